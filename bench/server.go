package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server kinds.
const (
	KindDiskDB = "diskdb"
	KindRedis  = "redis"
)

// Mode is a persistence setting and how each server spells it.
type Mode struct {
	Name       string
	DiskDBArgs []string
	RedisArgs  []string
	Doc        string
}

// Modes are the persistence settings compared: each DiskDB fsync mode
// against the Redis setting that promises the same. DiskDB always writes its
// WAL before replying, so even "none" survives a process crash; Redis with
// no persistence keeps nothing.
var Modes = []Mode{
	{Name: "none", DiskDBArgs: []string{"--fsync", "no"}, RedisArgs: []string{"--save", "", "--appendonly", "no"},
		Doc: "DiskDB --fsync no vs redis-server --save \"\" --appendonly no"},
	{Name: "everysec", DiskDBArgs: []string{"--fsync", "everysec"}, RedisArgs: []string{"--save", "", "--appendonly", "yes", "--appendfsync", "everysec"},
		Doc: "DiskDB --fsync everysec vs redis-server --save \"\" --appendonly yes --appendfsync everysec"},
	{Name: "always", DiskDBArgs: []string{"--fsync", "always"}, RedisArgs: []string{"--save", "", "--appendonly", "yes", "--appendfsync", "always"},
		Doc: "DiskDB --fsync always vs redis-server --save \"\" --appendonly yes --appendfsync always"},
}

// ModeByName returns the mode called name.
func ModeByName(name string) (Mode, error) {
	for _, m := range Modes {
		if m.Name == name {
			return m, nil
		}
	}
	return Mode{}, fmt.Errorf("bench: unknown persistence mode %q (none, everysec, always)", name)
}

// Server is a server process started for a benchmark, on a free loopback
// port with its own data directory.
type Server struct {
	Kind string
	Addr string
	Port int
	Dir  string
	Args []string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

// StartServer starts bin (kind KindDiskDB or KindRedis) with its data in a
// fresh directory under parent, plus extra args, and waits until it
// answers PING.
func StartServer(kind, bin, parent string, extra ...string) (*Server, error) {
	dir, err := os.MkdirTemp(parent, "diskdb-bench-"+kind+"-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: kind, Port: port, Dir: dir, Addr: "127.0.0.1:" + strconv.Itoa(port)}
	p := strconv.Itoa(port)
	switch kind {
	case KindDiskDB:
		s.Args = append([]string{"--port", p, "--bind", "127.0.0.1", "--dir", dir, "--loglevel", "warning"}, extra...)
	case KindRedis:
		s.Args = append([]string{"--port", p, "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no",
			"--loglevel", "warning", "--protected-mode", "yes"}, extra...)
	default:
		return nil, fmt.Errorf("bench: unknown server kind %q", kind)
	}
	s.cmd = exec.Command(bin, s.Args...)
	s.cmd.Stdout = s
	s.cmd.Stderr = s
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.Exited() {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("bench: %s exited at start: %s", kind, s.Log())
		}
		if r, err := s.Do("PING"); err == nil && string(r) == "+PONG\r\n" {
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return nil, fmt.Errorf("bench: %s did not answer PING: %s", kind, s.Log())
}

// Write collects the server's output (at most 64 KiB of it).
func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log.Len() < 64<<10 {
		s.log.Write(p)
	}
	return len(p), nil
}

// Log returns what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Do sends one command on a fresh connection and returns the raw reply.
func (s *Server) Do(args ...string) ([]byte, error) {
	c, err := dial(s.Addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.close()
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
	return c.do(args...)
}

// DBSize returns DBSIZE.
func (s *Server) DBSize() (int64, error) {
	r, err := s.Do("DBSIZE")
	if err != nil {
		return 0, err
	}
	if len(r) < 3 || r[0] != ':' {
		return 0, fmt.Errorf("bench: DBSIZE replied %q", r)
	}
	return strconv.ParseInt(strings.TrimSpace(string(r[1:])), 10, 64)
}

// FlushAll empties the server.
func (s *Server) FlushAll() error {
	r, err := s.Do("FLUSHALL")
	if err != nil {
		return err
	}
	if string(r) != "+OK\r\n" {
		return fmt.Errorf("bench: FLUSHALL on %s replied %q", s.Kind, r)
	}
	return nil
}

// Stop ends the server with SIGTERM (SIGKILL after 30 s) and removes its
// directory.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.Kill()
	}
	os.RemoveAll(s.Dir)
}

// Kill ends the server with SIGKILL and waits for it.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// RSS returns the process's resident set size in bytes (VmRSS).
func (s *Server) RSS() (int64, error) { return ProcRSS(s.PID()) }

// ProcRSS reads VmRSS from /proc/<pid>/status, in bytes.
func ProcRSS(pid int) (int64, error) { return procStatusBytes(pid, "VmRSS:") }

func parseKB(v string) (int64, error) {
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("bench: unexpected VmRSS %q", v)
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	return n << 10, err
}

// CPUTime returns the user+system CPU time the process used so far.
func (s *Server) CPUTime() (time.Duration, error) { return procCPU(s.PID()) }

func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// parseStatCPU reads utime+stime (fields 14 and 15) of a /proc/<pid>/stat
// line; the command name in parentheses may hold spaces.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bench: bad /proc stat line")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, errors.New("bench: short /proc stat line")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bench: bad cpu times in /proc stat")
	}
	return time.Duration(u+st) * time.Second / clockTicks, nil
}

// WaitIdle waits until every server used less than 5 % of a core over a
// quarter of a second (background flushes and compactions, AOF rewrites
// done), or max passed. It returns how long it waited and whether the
// servers went idle.
func WaitIdle(ctx context.Context, max time.Duration, servers ...*Server) (time.Duration, bool) {
	const window = 250 * time.Millisecond
	start := time.Now()
	for {
		before := make([]time.Duration, len(servers))
		for i, s := range servers {
			before[i], _ = s.CPUTime()
		}
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(window):
		}
		idle := true
		for i, s := range servers {
			after, err := s.CPUTime()
			if err == nil && after-before[i] > window/20 {
				idle = false
			}
		}
		if idle {
			return time.Since(start), true
		}
		if time.Since(start) >= max {
			return time.Since(start), false
		}
	}
}

// DirSize returns the bytes of the files under dir.
func DirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
