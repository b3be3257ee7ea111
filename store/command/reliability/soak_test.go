package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// soakRow is one sample of the soak's table.
type soakRow struct {
	At         time.Duration
	RSSMiB     int64
	Goroutines int
	FDs        int
	Sockets    int
	Clients    int
	Acked      int64
	Churned    int64
	Messages   int64
}

// TestSoak runs the mixed load with connection churn and a pub/sub pair
// for RELIABILITY_SOAK_DURATION (30 s; make soak runs 30 min), sampling
// the server's RSS, goroutines (INFO server go_goroutines) and open
// descriptors every RELIABILITY_SOAK_EVERY (5 s; 1 min long), printed as a
// table. The log must hold no error; goroutines and descriptors must come
// back to their start level once the load stops; every acknowledged write
// is checked at the end.
func TestSoak(t *testing.T) {
	skipShort(t)
	dur := envDur("RELIABILITY_SOAK_DURATION", 30*time.Second)
	every := envDur("RELIABILITY_SOAK_EVERY", 5*time.Second)
	s := testkit.Start(t, "--loglevel", "notice")
	pid := serverPID(t, s.Addr)
	mon := newClient(s.Addr, 10*time.Second)
	defer mon.Close()
	base := func() (g int, socks int) {
		g, _ = strconv.Atoi(info(mon, "server", "go_goroutines"))
		return g, procSockets(pid)
	}
	g0, fd0 := base()

	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	h, finish := goodLoad(t, s, ctx, envInt("RELIABILITY_SOAK_WORKERS", 8), 700)

	// Connection churn: connect, a few commands, sometimes a SUBSCRIBE,
	// disconnect (half the time without QUIT).
	var churned atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 99))
			for ctx.Err() == nil {
				c, err := testkit.Dial(s.Addr)
				if err != nil {
					t.Errorf("churn dial: %v", err)
					return
				}
				k := "churn" + strconv.Itoa(g)
				for i := r.IntN(5); i >= 0; i-- {
					if _, err := c.Do("INCR", k); err != nil {
						t.Errorf("churn INCR: %v", err)
					}
				}
				if r.IntN(4) == 0 {
					_, _ = c.Do("SUBSCRIBE", "churn")
				}
				if r.IntN(2) == 0 {
					_, _ = c.Do("QUIT")
				}
				c.Close()
				churned.Add(1)
				time.Sleep(time.Millisecond)
			}
		}(g)
	}

	// A publisher and a subscriber that checks every message arrives, in
	// order.
	var msgs atomic.Int64
	sub := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2, DisableIdentity: true})
	defer sub.Close()
	ps := sub.Subscribe(context.Background(), "soak")
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		p := newClient(s.Addr, 10*time.Second)
		defer p.Close()
		for i := 0; ctx.Err() == nil; i++ {
			if err := p.Publish(context.Background(), "soak", strconv.Itoa(i)).Err(); err != nil {
				t.Errorf("PUBLISH: %v", err)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		_ = p.Publish(context.Background(), "soak", "end").Err()
	}()
	go func() {
		defer wg.Done()
		ch := ps.Channel()
		next := 0
		for m := range ch {
			if m.Payload == "end" {
				return
			}
			if m.Payload != strconv.Itoa(next) {
				t.Errorf("subscriber got message %q, want %d", m.Payload, next)
				n, _ := strconv.Atoi(m.Payload)
				next = n
			}
			next++
			msgs.Add(1)
		}
	}()

	var rows []soakRow
	start := time.Now()
	take := func() {
		rss, fds := procStat(pid)
		g, _ := strconv.Atoi(info(mon, "server", "go_goroutines"))
		cl, _ := strconv.Atoi(info(mon, "clients", "connected_clients"))
		rows = append(rows, soakRow{time.Since(start).Round(time.Second), rss >> 20, g, fds, procSockets(pid), cl, h.cnt.ops.Load(), churned.Load(), msgs.Load()})
	}
	take()
	tick := time.NewTicker(every)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			take()
		}
	}
	tick.Stop()
	wg.Wait()
	_ = ps.Close()
	finish()
	// After the load: goroutines and descriptors back to the start level.
	var g1, fd1 int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if g1, fd1 = base(); g1 <= g0+10 && fd1 <= fd0+10 {
			break
		}
	}
	take()

	var b strings.Builder
	fmt.Fprintf(&b, "\n%8s %8s %10s %5s %7s %7s %10s %8s %8s\n", "time", "RSS MiB", "goroutines", "fds", "sockets", "clients", "acked ops", "churned", "pub/sub")
	for _, r := range rows {
		fmt.Fprintf(&b, "%8v %8d %10d %5d %7d %7d %10d %8d %8d\n", r.At, r.RSSMiB, r.Goroutines, r.FDs, r.Sockets, r.Clients, r.Acked, r.Churned, r.Messages)
	}
	t.Logf("soak %v, sample every %v:%s", dur, every, b.String())
	for _, l := range logErrors(s.Logs()) {
		t.Errorf("server log: %s", l)
	}
	if g1 > g0+10 || fd1 > fd0+10 {
		t.Errorf("after the load: %d goroutines (%d at the start), %d sockets (%d at the start): a leak", g1, g0, fd1, fd0)
	}
	if churned.Load() == 0 || msgs.Load() == 0 {
		t.Errorf("churn %d connections, %d pub/sub messages: the load did not run", churned.Load(), msgs.Load())
	}
	record(t, "soak", map[string]any{"seconds": dur.Seconds(), "rows": rows, "acked": h.cnt.ops.Load(), "lost": h.cnt.lost.Load(),
		"churned": churned.Load(), "messages": msgs.Load(), "goroutines_start": g0, "goroutines_end": g1, "sockets_start": fd0, "sockets_end": fd1})
}
