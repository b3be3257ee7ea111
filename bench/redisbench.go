package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
)

// RBConfig is one redis-benchmark invocation.
type RBConfig struct {
	Bin       string // default "redis-benchmark"
	Addr      string // host:port
	Tests     string // -t, e.g. "set,get"
	Conns     int    // -c; default 50
	Pipeline  int    // -P; default 1
	Requests  int    // -n; default 100000
	ValueSize int    // -d; default 100
	KeySpace  int    // -r; default 100000
	Threads   int    // --threads; 0 leaves redis-benchmark single-threaded
}

// Args returns the command line (without the binary).
func (c RBConfig) Args() ([]string, error) {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("bench: redis-benchmark address %q: %w", c.Addr, err)
	}
	if c.Conns <= 0 {
		c.Conns = 50
	}
	if c.Pipeline <= 0 {
		c.Pipeline = 1
	}
	if c.Requests <= 0 {
		c.Requests = 100000
	}
	if c.ValueSize <= 0 {
		c.ValueSize = 100
	}
	if c.KeySpace <= 0 {
		c.KeySpace = 100000
	}
	args := []string{"-h", host, "-p", port, "-c", strconv.Itoa(c.Conns), "-P", strconv.Itoa(c.Pipeline),
		"-n", strconv.Itoa(c.Requests), "-d", strconv.Itoa(c.ValueSize), "-r", strconv.Itoa(c.KeySpace),
		"-t", c.Tests, "--csv"}
	if c.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(c.Threads))
	}
	return args, nil
}

// RBResult is one line of redis-benchmark's --csv output.
type RBResult struct {
	Test      string  `json:"test"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Latency   Latency `json:"latency"` // mean, p50, p99, max; the CSV has no p99.9 (left 0)
	MinMs     float64 `json:"min_ms"`
	P95Ms     float64 `json:"p95_ms"`
	// CPUSeconds is the user+system CPU time of the whole invocation
	// (every test of it), as the kernel accounted it.
	CPUSeconds float64 `json:"cpu_seconds"`
	// ErrorReply is the first error reply redis-benchmark printed during
	// the invocation (its CSV has no error count), or "".
	ErrorReply string `json:"error_reply,omitempty"`
}

// RunRedisBenchmark runs redis-benchmark and parses its CSV output.
func RunRedisBenchmark(ctx context.Context, c RBConfig) ([]RBResult, error) {
	args, err := c.Args()
	if err != nil {
		return nil, err
	}
	bin := c.Bin
	if bin == "" {
		bin = "redis-benchmark"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench: %s %s: %v: %s", bin, strings.Join(args, " "), err, errOut.String())
	}
	res, err := ParseRBCSV(&out)
	if err != nil {
		return nil, err
	}
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	for i := range res {
		res[i].CPUSeconds = cpu
	}
	// redis-benchmark prints an error reply and goes on; its CSV has no
	// error count, so a reply error shows only in its text output.
	if msg := firstError(out.String() + errOut.String()); msg != "" {
		for i := range res {
			res[i].ErrorReply = msg
		}
	}
	return res, nil
}

func firstError(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "Error from server") || strings.HasPrefix(line, "Error:") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// ParseRBCSV parses redis-benchmark 7's --csv output:
//
//	"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
//	"SET","160000.00","4.787","0.416","4.687","6.999","12.007","12.199"
//
// Lines that are not CSV records of that shape (error messages printed
// between them) are skipped.
func ParseRBCSV(r io.Reader) ([]RBResult, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out []RBResult
	var cols map[string]int
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, `"`) {
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			continue
		}
		if cols == nil {
			if rec[0] != "test" {
				return nil, fmt.Errorf("bench: redis-benchmark CSV without a header: %q", line)
			}
			cols = map[string]int{}
			for i, name := range rec {
				cols[name] = i
			}
			for _, need := range []string{"rps", "avg_latency_ms", "p50_latency_ms", "p99_latency_ms", "max_latency_ms"} {
				if _, ok := cols[need]; !ok {
					return nil, fmt.Errorf("bench: redis-benchmark CSV lacks %q: %q", need, line)
				}
			}
			continue
		}
		if len(rec) != len(cols) {
			continue
		}
		num := func(name string) (float64, error) {
			i, ok := cols[name]
			if !ok {
				return 0, nil
			}
			return strconv.ParseFloat(rec[i], 64)
		}
		var res RBResult
		res.Test = rec[0]
		var errs [7]error
		res.OpsPerSec, errs[0] = num("rps")
		res.Latency.Mean, errs[1] = num("avg_latency_ms")
		res.MinMs, errs[2] = num("min_latency_ms")
		res.Latency.P50, errs[3] = num("p50_latency_ms")
		res.P95Ms, errs[4] = num("p95_latency_ms")
		res.Latency.P99, errs[5] = num("p99_latency_ms")
		res.Latency.Max, errs[6] = num("max_latency_ms")
		for _, e := range errs {
			if e != nil {
				return nil, fmt.Errorf("bench: redis-benchmark CSV line %q: %v", line, e)
			}
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: no results in redis-benchmark output: %q", b)
	}
	return out, nil
}
