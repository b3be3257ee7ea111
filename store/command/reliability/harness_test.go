package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// envInt reads a RELIABILITY_* knob (the Makefile's long targets set them).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// harness is one run of a mixed load against one server.
type harness struct {
	t       *testing.T
	s       *testkit.Server
	workers []*worker
	cnt     counters
	mu      sync.Mutex
	fails   int
	quiet   bool // count failures without failing the test (negative controls)
}

// failf reports a failure, at most 50 of them in full.
func (h *harness) failf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails++
	if h.quiet {
		return
	}
	if h.fails <= 50 {
		h.t.Errorf(format, args...)
	} else if h.fails == 51 {
		h.t.Errorf("more failures follow; not printed")
	}
}

// newClient returns a go-redis client with retries off: a command that
// failed on the network must never be sent again behind the test's back.
func newClient(addr string, readTimeout time.Duration) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, PoolSize: 1, MaxRetries: -1, DisableIdentity: true,
		DialTimeout: 2 * time.Second, ReadTimeout: readTimeout, WriteTimeout: readTimeout,
		MinIdleConns: 0, ConnMaxIdleTime: -1,
	})
}

// runWorkers starts every worker's loop; they stop on ctx or on the first
// network error (the server went away). It returns a wait function.
func (h *harness) runWorkers(ctx context.Context) func() {
	var wg sync.WaitGroup
	for _, w := range h.workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			w.c = newClient(h.s.Addr, 10*time.Second)
			w.c2 = newClient(h.s.Addr, 10*time.Second)
			defer w.c.Close()
			defer w.c2.Close()
			for ctx.Err() == nil {
				if err := w.step(ctx); err != nil {
					if isNetErr(err) {
						return
					}
				}
			}
		}(w)
	}
	return wg.Wait
}

// verify checks every workload of every worker against the server.
func (h *harness) verify() {
	ctx := context.Background()
	c := newClient(h.s.Addr, 30*time.Second)
	defer c.Close()
	now := time.Now()
	for _, w := range h.workers {
		for i, wl := range w.loads {
			errs := wl.check(ctx, c, now)
			h.cnt.checked.Add(1)
			for _, err := range errs {
				h.cnt.lost.Add(1)
				h.failf("after restart, worker %d %s: %v", w.id, w.names[i], err)
			}
		}
	}
	if err := checkShared(ctx, c); err != nil {
		h.cnt.lost.Add(1)
		h.failf("after restart: %v", err)
	}
}

// info returns one INFO field.
func info(c *redis.Client, section, field string) string {
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// procStat returns a process's RSS in bytes and its open descriptors.
func procStat(pid int) (rss int64, fds int) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid)); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			rss = n * int64(os.Getpagesize())
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		fds = len(ents)
	}
	return rss, fds
}

// serverPID reads the server's pid from INFO.
func serverPID(t testing.TB, addr string) int {
	c := newClient(addr, 5*time.Second)
	defer c.Close()
	pid, err := strconv.Atoi(info(c, "server", "process_id"))
	if err != nil {
		t.Fatalf("INFO process_id: %v", err)
	}
	return pid
}

// record appends a result line to $RELIABILITY_REPORT (JSON lines), which
// RELIABILITY.md's figures come from.
func record(t testing.TB, kind string, fields map[string]any) {
	fields["harness"] = kind
	fields["date"] = time.Now().UTC().Format(time.RFC3339)
	fields["test"] = t.Name()
	b, _ := json.Marshal(fields)
	t.Logf("RESULT %s", b)
	p := os.Getenv("RELIABILITY_REPORT")
	if p == "" {
		return
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Logf("report: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\n", b)
}

// logErrors returns the server log's error lines (slog text format).
func logErrors(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") || strings.Contains(l, "fatal error") || strings.Contains(l, "DATA RACE") {
			out = append(out, l)
		}
	}
	return out
}

// byType sums the workers' acknowledged operations per workload.
func (h *harness) byType() map[string]int64 {
	out := map[string]int64{}
	for _, w := range h.workers {
		for i, n := range w.perLoad {
			out[workloads[i].name] += n
		}
	}
	return out
}

// quietLogger drops go-redis's own log lines ("failed to dial"): the
// harnesses kill servers on purpose and report what matters themselves.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

// skipShort skips the timed harnesses in -short runs (make test-short);
// make test runs their short versions.
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("timed harness: skipped in -short")
	}
}

// procSockets counts a process's open sockets (its other descriptors are
// RocksDB's table files, WAL and logs, whose number follows the data).
func procSockets(pid int) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}
