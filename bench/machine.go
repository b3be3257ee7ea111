package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Machine records what a result was measured on.
type Machine struct {
	Date      string `json:"date"`
	Host      string `json:"host"`
	Nproc     string `json:"nproc"`
	Memory    string `json:"memory"` // `free -g` Mem line
	Kernel    string `json:"kernel"` // `uname -r`
	CPU       string `json:"cpu"`
	Go        string `json:"go"`
	DiskDB    string `json:"diskdb"`
	Redis     string `json:"redis_server"`
	RBench    string `json:"redis_benchmark"`
	LoadStart string `json:"load_start"` // /proc/loadavg when the run began
	LoadEnd   string `json:"load_end"`
}

// ReadMachine collects the machine facts and the versions of the binaries.
func ReadMachine(diskdb, redisServer, redisBenchmark string) Machine {
	m := Machine{
		Date:      time.Now().Format("2006-01-02 15:04 MST"),
		Nproc:     cmdOut("nproc"),
		Kernel:    cmdOut("uname", "-r"),
		Go:        runtime.Version(),
		LoadStart: loadAvg(),
	}
	m.Host, _ = os.Hostname()
	for _, line := range strings.Split(cmdOut("free", "-g"), "\n") {
		if strings.HasPrefix(line, "Mem:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				m.Memory = f[1] + " GiB total (free -g)"
			}
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if diskdb != "" {
		m.DiskDB = cmdOut(diskdb, "--version")
	}
	m.Redis = cmdOut(redisServer, "--version")
	m.RBench = cmdOut(redisBenchmark, "--version")
	return m
}

// Line is the machine in one line.
func (m Machine) Line() string {
	return fmt.Sprintf("nproc %s, %s, kernel %s, load %s", m.Nproc, m.Memory, m.Kernel, m.LoadStart)
}

func cmdOut(name string, args ...string) string {
	if name == "" {
		return ""
	}
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unavailable (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
