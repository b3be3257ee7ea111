package reliability

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// TestLiveConsistency checks the acknowledged-state model while the server
// runs, not only after restarts: every worker runs the mixed load and, every
// ten operations, reads back all of its keys on a second connection and
// compares them with what it was acknowledged. Meanwhile an admin client
// switches the fsync mode, runs SAVE and BGSAVE and scans the keyspace. The
// memtable is 1 MiB, so data moves to table files (and through compactions)
// all along, and the reads mix memtable, block cache and disk.
//
// This is the harness that caught RELIABILITY.md's problem 9 (a stream
// read inline, without I/O, answered 1 of its 30 entries). Knobs:
// RELIABILITY_LIVE_DURATION (10 s), RELIABILITY_LIVE_WORKERS (8); DISKDB_BIN
// picks the server (make livecheck runs the race build for longer).
func TestLiveConsistency(t *testing.T) {
	dur := envDur("RELIABILITY_LIVE_DURATION", 10*time.Second)
	s := testkit.Start(t, "--loglevel", "notice", "--write-buffer-size", "1mb")
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	h := &harness{t: t, s: s}
	var wg sync.WaitGroup
	for i := 0; i < envInt("RELIABILITY_LIVE_WORKERS", 8); i++ {
		w := newWorker(h, 900+i)
		h.workers = append(h.workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.c = newClient(s.Addr, 10*time.Second)
			w.c2 = newClient(s.Addr, 10*time.Second)
			defer w.c.Close()
			defer w.c2.Close()
			chk := newClient(s.Addr, 10*time.Second)
			defer chk.Close()
			for n := 0; ctx.Err() == nil; n++ {
				if err := w.step(ctx); err != nil || ctx.Err() != nil {
					return
				}
				if n%10 != 9 {
					continue
				}
				for _, wl := range w.loads {
					for _, err := range wl.check(ctx, chk, time.Now()) {
						if ctx.Err() != nil {
							return // the deadline cut the read short
						}
						h.failf("worker %d after %d operations: %v", w.id, n+1, err)
					}
				}
			}
		}()
	}
	admin := newClient(s.Addr, 30*time.Second)
	defer admin.Close()
	for i := 0; ctx.Err() == nil; i++ {
		for _, cmd := range [][]any{
			{"BGSAVE"}, {"CONFIG", "SET", "appendfsync", []string{"always", "everysec", "no"}[i%3]},
			{"KEYS", "w90*"}, {"SAVE"}, {"SCAN", "0", "COUNT", "100"},
		} {
			if err := admin.Do(context.Background(), cmd...).Err(); err != nil && !strings.Contains(err.Error(), "in progress") {
				t.Errorf("%v: %v", cmd, err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	ops := h.cnt.ops.Load()
	t.Logf("%d operations acknowledged by %d workers in %v, %d read-back failures", ops, len(h.workers), dur, h.fails)
	if ops == 0 {
		t.Fatal("no operation was acknowledged")
	}
}
