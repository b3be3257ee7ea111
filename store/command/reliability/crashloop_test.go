package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// faultKinds are the moments the crash loop kills the server at, in turn.
var faultKinds = []string{"random", "write-group", "save", "compaction"}

// TestCrashLoop runs the mixed workload, kills the server with SIGKILL,
// restarts it and checks every acknowledged write, for each fsync mode.
// RELIABILITY_CRASH_ITERS iterations per mode (4 by default, one per fault kind; make
// crashloop runs 100), RELIABILITY_WORKERS clients (12; 24 long).
func TestCrashLoop(t *testing.T) {
	iters := envInt("RELIABILITY_CRASH_ITERS", 4)
	workers := envInt("RELIABILITY_WORKERS", 12)
	modes := []string{"always", "everysec", "no"}
	if m := envStr("RELIABILITY_FSYNC"); m != "" {
		modes = strings.Split(m, ",")
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) { crashLoop(t, mode, iters, workers) })
	}
}

func crashLoop(t *testing.T, mode string, iters, nworkers int) {
	start := time.Now()
	// A 1 MiB memtable makes the bulk load flush and compact all the time.
	s := testkit.Start(t, "--fsync", mode, "--write-buffer-size", "1mb", "--loglevel", "notice")
	h := &harness{t: t, s: s}
	sharedAcked.Store(0)
	sharedSent.Store(0)
	for i := 0; i < nworkers; i++ {
		h.workers = append(h.workers, newWorker(h, i))
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	faults := map[string]int{}
	caught := map[string]int{}
	logErrs := 0
	for it := 0; it < iters && !t.Failed(); it++ {
		kind := faultKinds[it%len(faultKinds)]
		ctx, cancel := context.WithCancel(context.Background())
		wait := h.runWorkers(ctx)
		what := h.inject(kind, r)
		cancel()
		wait()
		faults[kind]++
		if what != "" {
			caught[what]++
		}
		for _, l := range logErrors(s.Logs()) {
			logErrs++
			h.failf("server log before kill %d: %s", it, l)
		}
		s.Restart()
		h.verify()
		if testing.Verbose() && (it+1)%10 == 0 {
			t.Logf("%s: %d iterations, %d acknowledged, %d lost", mode, it+1, h.cnt.ops.Load(), h.cnt.lost.Load())
		}
	}
	for _, l := range logErrors(s.Logs()) {
		logErrs++
		h.failf("server log after the last restart: %s", l)
	}
	record(t, "crashloop", map[string]any{
		"fsync": mode, "iterations": iters, "workers": nworkers,
		"acked": h.cnt.ops.Load(), "sent": h.cnt.sent.Load(), "lost": h.cnt.lost.Load(), "acked_by_type": h.byType(),
		"error_replies": h.cnt.errs.Load(), "checks": h.cnt.checked.Load(),
		"faults": faults, "caught": caught, "log_errors": logErrs,
		"seconds": int(time.Since(start).Seconds()),
	})
	if h.cnt.ops.Load() == 0 {
		t.Fatal("no operation was acknowledged: the load did not run")
	}
	if n := h.cnt.lost.Load(); n != 0 {
		t.Fatalf("%d acknowledged operations lost or wrong", n)
	}
}

// inject waits for the moment kind names and kills the server. It returns
// what was caught in progress at the kill ("" when only the time was
// random).
func (h *harness) inject(kind string, r *rand.Rand) string {
	time.Sleep(time.Duration(100+r.IntN(1100)) * time.Millisecond)
	side := newClient(h.s.Addr, 30*time.Second)
	defer side.Close()
	what := ""
	switch kind {
	case "write-group":
		deadline := time.Now().Add(3 * time.Second)
		for bulkInFlight.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Microsecond)
		}
		time.Sleep(time.Duration(r.IntN(2000)) * time.Microsecond)
		if bulkInFlight.Load() > 0 {
			what = "bulk-pipeline-in-flight"
		}
	case "save":
		done := make(chan error, 1)
		cmd := "SAVE"
		if r.IntN(2) == 0 {
			cmd = "BGSAVE"
		}
		go func() { done <- side.Do(context.Background(), cmd).Err() }()
		time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
		select {
		case err := <-done:
			if err != nil {
				h.failf("%s: %v", cmd, err)
			}
			if info(side, "persistence", "rdb_bgsave_in_progress") == "1" {
				what = "checkpoint-in-progress"
			}
		default:
			what = "checkpoint-in-progress"
		}
	case "compaction":
		deadline := time.Now().Add(4 * time.Second)
		flushSeen := false
		for time.Now().Before(deadline) {
			if n, _ := strconv.Atoi(info(side, "rocksdb", "rocksdb_num_running_compactions")); n > 0 {
				what = "compaction-running"
				break
			}
			if n, _ := strconv.Atoi(info(side, "rocksdb", "rocksdb_num_running_flushes")); n > 0 {
				flushSeen = true
				if time.Until(deadline) < 2*time.Second {
					what = "flush-running"
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		if what == "" && flushSeen {
			what = "flush-seen"
		}
	}
	h.s.Kill()
	return what
}

func envStr(name string) string { return strings.TrimSpace(os.Getenv(name)) }

// fmtCounts renders a map as "a=1 b=2" in key order.
func fmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

// TestCrashLoopDetectsLoss is the harness's negative control: the WAL and
// memtable contents of a killed server are thrown away (the data directory
// is replaced by an empty one), and the checks must notice.
func TestCrashLoopDetectsLoss(t *testing.T) {
	s := testkit.Start(t)
	h := &harness{t: t, s: s, quiet: true}
	for i := 0; i < 4; i++ {
		h.workers = append(h.workers, newWorker(h, 100+i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.runWorkers(ctx)
	time.Sleep(300 * time.Millisecond)
	s.Kill()
	cancel()
	wait()
	if err := os.RemoveAll(s.Dir); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	h.verify()
	if h.cnt.ops.Load() == 0 || h.cnt.lost.Load() == 0 {
		t.Fatalf("acknowledged %d operations, then wiped the data: the checks found %d losses, want > 0", h.cnt.ops.Load(), h.cnt.lost.Load())
	}
	t.Logf("negative control: %d acknowledged, %d keys reported lost", h.cnt.ops.Load(), h.cnt.lost.Load())
}
