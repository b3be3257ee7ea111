package compat

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Stream tests, titled after redis's tests/unit/type/stream.tcl and
// stream-cgroups.tcl.

// radixNodes matches XINFO STREAM's radix-tree-nodes pair, the one field
// whose value depends on the shape of Redis's radix tree.
var radixNodes = regexp.MustCompile(`\$16\r\nradix-tree-nodes\r\n:\d+\r\n`)

// pair sends the same commands to redis-server and DiskDB and compares.
type pair struct {
	t        *testing.T
	ref, dut *testkit.Conn
	log      []string
}

func newPair(t *testing.T) *pair {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	return &pair{t: t, ref: ref.Raw(), dut: dut.Raw()}
}

func (p *pair) do(args ...string) []byte {
	p.t.Helper()
	p.log = append(p.log, strings.Join(args, " "))
	if len(p.log) > 30 {
		p.log = p.log[1:]
	}
	want, err := p.ref.Do(args...)
	if err != nil {
		p.t.Fatalf("redis-server: %v", err)
	}
	got, err := p.dut.Do(args...)
	if err != nil {
		p.t.Fatalf("diskdb: %v", err)
	}
	if strings.EqualFold(args[0], "xinfo") && strings.EqualFold(args[1], "stream") {
		want = radixNodes.ReplaceAll(want, nil)
		got = radixNodes.ReplaceAll(got, nil)
	}
	if !bytes.Equal(want, got) {
		p.t.Fatalf("%s\n redis-server: %q\n       diskdb: %q\nlast commands:\n  %s", strings.Join(args, " "), want, got, strings.Join(p.log, "\n  "))
	}
	return got
}

func randValue(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return strconv.Itoa(r.IntN(200000) - 100000) // stored as an integer by listpack
	case 1:
		return "0" + strconv.Itoa(r.IntN(100)) // looks numeric, is not
	case 2:
		return strings.Repeat("x", 60+r.IntN(10)) // around the 63/64 byte boundary
	case 3:
		return strings.Repeat("y", r.IntN(5000))
	case 4:
		return ""
	}
	return strings.Repeat("v", r.IntN(40))
}

// TestXADDWithMAXLENOptionAndTheTildeArgumentFuzzing drives random XADD,
// XDEL and XTRIM (exact and approximate, MAXLEN and MINID, LIMIT) under
// several node sizes, and checks every reply and XINFO STREAM (node count
// included) against redis-server: approximate trimming removes whole
// listpack nodes, so DiskDB must place node boundaries where Redis does.
func TestXADDWithMAXLENOptionAndTheTildeArgumentFuzzing(t *testing.T) {
	p := newPair(t)
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		maxEntries := []string{"0", "1", "3", "10", "100"}[r.IntN(5)]
		maxBytes := []string{"0", "60", "200", "4096"}[r.IntN(4)]
		p.do("CONFIG", "SET", "stream-node-max-entries", maxEntries)
		p.do("CONFIG", "SET", "stream-node-max-bytes", maxBytes)
		key := "fz" + strconv.FormatUint(seed, 10)
		ms, seq := uint64(1), uint64(0)
		var ids []string
		fieldSets := [][]string{{"a"}, {"a", "b"}, {"b", "a"}, {"123"}, {"a", "b", "c"}}
		for op := 0; op < 400; op++ {
			switch k := r.IntN(20); {
			case k < 12:
				if r.IntN(3) == 0 {
					ms += uint64(r.IntN(300))
					seq = uint64(r.IntN(3))
				} else {
					seq++
				}
				id := fmt.Sprintf("%d-%d", ms, seq)
				args := []string{"XADD", key}
				switch r.IntN(8) {
				case 0:
					args = append(args, "MAXLEN", "~", strconv.Itoa(r.IntN(40)))
				case 1:
					args = append(args, "MAXLEN", strconv.Itoa(r.IntN(60)))
				case 2:
					args = append(args, "MINID", "~", fmt.Sprintf("%d", ms-uint64(r.IntN(400))))
				case 3:
					args = append(args, "MAXLEN", "~", strconv.Itoa(r.IntN(40)), "LIMIT", strconv.Itoa(r.IntN(30)))
				}
				args = append(args, id)
				for _, f := range fieldSets[r.IntN(len(fieldSets))] {
					args = append(args, f, randValue(r))
				}
				p.do(args...)
				ids = append(ids, id)
			case k < 15:
				if len(ids) == 0 {
					continue
				}
				args := []string{"XDEL", key}
				for n := 1 + r.IntN(3); n > 0; n-- {
					args = append(args, ids[r.IntN(len(ids))])
				}
				p.do(args...)
			case k < 18:
				args := []string{"XTRIM", key}
				if r.IntN(2) == 0 {
					args = append(args, "MAXLEN")
				} else {
					args = append(args, "MINID")
				}
				approx := r.IntN(2) == 0
				if approx {
					args = append(args, "~")
				}
				if args[2] == "MAXLEN" {
					args = append(args, strconv.Itoa(r.IntN(80)))
				} else {
					args = append(args, fmt.Sprintf("%d-%d", ms-uint64(r.IntN(600)), r.IntN(3)))
				}
				if approx && r.IntN(2) == 0 {
					args = append(args, "LIMIT", strconv.Itoa(r.IntN(50)))
				}
				p.do(args...)
			case k < 19:
				p.do("XINFO", "STREAM", key)
				p.do("XLEN", key)
			default:
				p.do("XRANGE", key, "-", "+")
			}
		}
		p.do("XINFO", "STREAM", key)
		p.do("XRANGE", key, "-", "+")
		p.do("XREVRANGE", key, "+", "-", "COUNT", "7")
	}
	p.do("CONFIG", "SET", "stream-node-max-entries", "100")
	p.do("CONFIG", "SET", "stream-node-max-bytes", "4096")
}

// TestConsumerGroupReadCounterAndLagFuzzing runs random group reads, acks,
// deletions, trims and SETIDs and checks XINFO GROUPS (entries-read and
// lag, as Redis 7 computes them), XPENDING and XAUTOCLAIM's deleted ids
// against redis-server.
func TestConsumerGroupReadCounterAndLagFuzzing(t *testing.T) {
	p := newPair(t)
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		key := "lg" + strconv.FormatUint(seed, 10)
		groups := []string{"g1", "g2", "g3"}
		consumers := []string{"alice", "bob", "carol"}
		next := 1
		for i := 0; i < 20; i++ {
			p.do("XADD", key, fmt.Sprintf("%d-0", next), "f", "v")
			next++
		}
		for _, g := range groups {
			p.do("XGROUP", "CREATE", key, g, "0")
		}
		for op := 0; op < 300; op++ {
			g := groups[r.IntN(len(groups))]
			c := consumers[r.IntN(len(consumers))]
			switch k := r.IntN(14); {
			case k < 3:
				p.do("XADD", key, fmt.Sprintf("%d-0", next), "f", "v")
				next++
			case k < 6:
				args := []string{"XREADGROUP", "GROUP", g, c, "COUNT", strconv.Itoa(1 + r.IntN(4))}
				if r.IntN(4) == 0 {
					args = append(args, "NOACK")
				}
				id := ">"
				if r.IntN(4) == 0 {
					id = "0"
				}
				p.do(append(args, "STREAMS", key, id)...)
			case k < 8:
				args := []string{"XACK", key, g}
				for n := 1 + r.IntN(3); n > 0; n-- {
					args = append(args, fmt.Sprintf("%d-0", 1+r.IntN(next)))
				}
				p.do(args...)
			case k < 9:
				p.do("XDEL", key, fmt.Sprintf("%d-0", 1+r.IntN(next)))
			case k < 10:
				p.do("XTRIM", key, "MAXLEN", strconv.Itoa(5+r.IntN(30)))
			case k < 11:
				if r.IntN(2) == 0 {
					p.do("XGROUP", "SETID", key, g, fmt.Sprintf("%d-0", r.IntN(next+2)))
				} else {
					p.do("XGROUP", "SETID", key, g, "$", "ENTRIESREAD", strconv.Itoa(r.IntN(next+5)))
				}
			case k < 12:
				p.do("XAUTOCLAIM", key, g, c, "0", "0", "COUNT", strconv.Itoa(1+r.IntN(5)), "JUSTID")
			case k < 13:
				p.do("XCLAIM", key, g, c, "0", fmt.Sprintf("%d-0", 1+r.IntN(next)), "JUSTID")
			default:
				p.do("XPENDING", key, g)
			}
			p.do("XINFO", "GROUPS", key)
		}
		p.do("XINFO", "STREAM", key)
		for _, g := range groups {
			p.do("XPENDING", key, g)
		}
	}
}

// TestXADDCanAddEntriesIntoAStreamThatXRANGECanFetch checks the typed
// replies through go-redis in RESP2 and RESP3.
func TestXADDCanAddEntriesIntoAStreamThatXRANGECanFetch(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := client(t, s, proto)
		key := "mystream" + strconv.Itoa(proto)
		id1, err := c.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{"item", 1, "value", "a"}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		id2, err := c.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{"item", 2, "value", "b"}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := c.XLen(ctx, key).Result(); n != 2 {
			t.Fatalf("RESP%d XLEN = %d", proto, n)
		}
		msgs, err := c.XRange(ctx, key, id1, id1).Result()
		if err != nil || len(msgs) != 1 || msgs[0].Values["item"] != "1" || msgs[0].Values["value"] != "a" {
			t.Fatalf("RESP%d XRANGE = %v, %v", proto, msgs, err)
		}
		rev, err := c.XRevRange(ctx, key, "+", "-").Result()
		if err != nil || len(rev) != 2 || rev[0].ID != id2 {
			t.Fatalf("RESP%d XREVRANGE = %v, %v", proto, rev, err)
		}
		streams, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{key, id1}, Block: -1}).Result()
		if err != nil || len(streams) != 1 || streams[0].Stream != key || len(streams[0].Messages) != 1 || streams[0].Messages[0].ID != id2 {
			t.Fatalf("RESP%d XREAD = %v, %v", proto, streams, err)
		}
		if _, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{key, "$"}, Count: 1, Block: -1}).Result(); err != redis.Nil {
			t.Fatalf("RESP%d XREAD $ = %v, want nil", proto, err)
		}
	}
}

// TestXADDIDsAreIncrementalAcrossRestart checks that auto-generated ids
// keep growing after a kill -9, even when the clock reads an earlier time
// than the last id (XSETID into the future).
func TestXADDIDsAreIncrementalAcrossRestart(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	var last string
	for i := 0; i < 100; i++ {
		id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"i", i}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if last != "" && cmpID(id, last) <= 0 {
			t.Fatalf("id %s after %s", id, last)
		}
		last = id
	}
	future := fmt.Sprintf("%d-5", time.Now().Add(time.Hour).UnixMilli())
	if err := c.Do(ctx, "XSETID", "s", future).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	s.Restart()
	c = client(t, s, 2)
	id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"after", "restart"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := future[:strings.IndexByte(future, '-')] + "-6"
	if id != want {
		t.Fatalf("first id after restart = %s, want %s (last id %s)", id, want, future)
	}
	if n, _ := c.XLen(ctx, "s").Result(); n != 101 {
		t.Fatalf("XLEN after restart = %d, want 101", n)
	}
	info, err := c.XInfoStream(ctx, "s").Result()
	if err != nil || info.EntriesAdded != 101 || info.LastGeneratedID != want {
		t.Fatalf("XINFO STREAM after restart = %+v, %v", info, err)
	}
}

func cmpID(a, b string) int {
	pa := strings.SplitN(a, "-", 2)
	pb := strings.SplitN(b, "-", 2)
	for i := 0; i < 2; i++ {
		x, _ := strconv.ParseUint(pa[i], 10, 64)
		y, _ := strconv.ParseUint(pb[i], 10, 64)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// TestConsumerGroupsSurviveKill9 is "XREADGROUP will return only new
// elements" at scale and across a crash: three consumers read 10 000
// entries concurrently, acknowledging most, while the server is killed
// with SIGKILL halfway and restarted. Every entry is delivered to exactly
// one consumer (no id is ever seen by two consumers), and at the end every
// entry is either acknowledged or still pending in the PEL of the consumer
// that got it: none is lost.
func TestConsumerGroupsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	s := testkit.Start(t)
	ctx := context.Background()
	const total = 10000
	c := client(t, s, 2)
	pipe := c.Pipeline()
	for i := 0; i < total; i++ {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", ID: fmt.Sprintf("%d-1", i+1), Values: []any{"n", i}})
		if i%500 == 499 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.XGroupCreate(ctx, "jobs", "workers", "0").Err(); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	owner := map[string]string{} // id -> consumer that received it
	acked := map[string]bool{}
	ackInFlight := map[string]bool{} // XACK sent, reply lost to the kill: applied or not
	var dup []string
	read := func(name string, stop <-chan struct{}, crashed *bool) {
		cl := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, MaxRetries: -1})
		defer cl.Close()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			res, err := cl.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: name, Streams: []string{"jobs", ">"}, Count: 50, Block: -1}).Result()
			if err == redis.Nil {
				return
			}
			if err != nil {
				// The server is being killed: the reply (and maybe the
				// delivery) is lost; the PEL tells the truth afterwards.
				*crashed = true
				return
			}
			var toAck []string
			mu.Lock()
			for _, m := range res[0].Messages {
				if prev, ok := owner[m.ID]; ok {
					dup = append(dup, m.ID+" to "+prev+" and "+name)
				}
				owner[m.ID] = name
				if n%5 != 0 { // leave some batches pending
					toAck = append(toAck, m.ID)
				}
			}
			mu.Unlock()
			if len(toAck) > 0 {
				if err := cl.XAck(ctx, "jobs", "workers", toAck...).Err(); err != nil {
					mu.Lock()
					for _, id := range toAck {
						ackInFlight[id] = true
					}
					mu.Unlock()
					*crashed = true
					return
				}
				mu.Lock()
				for _, id := range toAck {
					acked[id] = true
				}
				mu.Unlock()
			}
		}
	}
	names := []string{"c1", "c2", "c3"}
	runPhase := func(until func() bool) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		crashed := make([]bool, len(names))
		for i, name := range names {
			wg.Add(1)
			go func() { defer wg.Done(); read(name, stop, &crashed[i]) }()
		}
		for !until() {
			time.Sleep(time.Millisecond)
		}
		close(stop)
		wg.Wait()
	}
	// Phase 1: read until about half is delivered, then kill -9 while the
	// consumers are still reading.
	runPhase(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(owner) >= total/2 {
			s.Kill()
			return true
		}
		return false
	})
	s.Restart()
	// Phase 2: read the rest.
	runPhase(func() bool { return true })
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Add(1)
			go func() { defer wg.Done(); var x bool; read(name, make(chan struct{}), &x) }()
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("consumers did not finish")
	}
	if len(dup) > 0 {
		t.Fatalf("%d entries delivered twice, e.g. %v", len(dup), dup[:min(5, len(dup))])
	}

	// The truth after the crash: the PEL of each consumer.
	c = client(t, s, 2)
	pending := map[string]string{}
	for _, name := range names {
		ps, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "jobs", Group: "workers", Start: "-", End: "+", Count: total, Consumer: name}).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Consumer != name {
				t.Fatalf("XPENDING for %s lists %s owned by %s", name, p.ID, p.Consumer)
			}
			if prev, ok := pending[p.ID]; ok {
				t.Fatalf("%s pending for %s and %s", p.ID, prev, name)
			}
			pending[p.ID] = name
		}
	}
	sum, err := c.XPending(ctx, "jobs", "workers").Result()
	if err != nil || sum.Count != int64(len(pending)) {
		t.Fatalf("XPENDING summary = %+v, %v; consumers' PELs hold %d", sum, err, len(pending))
	}
	lost := 0
	for i := 0; i < total; i++ {
		id := fmt.Sprintf("%d-1", i+1)
		p, isPending := pending[id]
		if o, seen := owner[id]; seen && isPending && o != p {
			t.Fatalf("%s received by %s but pending for %s", id, o, p)
		}
		if !isPending && !acked[id] && !ackInFlight[id] {
			lost++
			if lost < 5 {
				t.Errorf("entry %s neither acknowledged nor pending", id)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d entries lost", lost)
	}
	for id := range acked {
		if _, ok := pending[id]; ok {
			t.Fatalf("acknowledged %s still pending", id)
		}
	}
	groups, err := c.XInfoGroups(ctx, "jobs").Result()
	if err != nil || len(groups) != 1 || groups[0].LastDeliveredID != fmt.Sprintf("%d-1", total) ||
		groups[0].EntriesRead != total || groups[0].Lag != 0 || groups[0].Pending != int64(len(pending)) {
		t.Fatalf("XINFO GROUPS = %+v, %v", groups, err)
	}
	t.Logf("%d delivered before the reply was lost or after, %d acknowledged, %d pending", len(owner), len(acked), len(pending))
}

// TestXAUTOCLAIMCanClaimPELItemsFromAnotherConsumer: a consumer reads and
// dies (its connection and then the server go away); after the restart
// another consumer takes over its idle entries with XAUTOCLAIM, iterating
// with the returned cursor, and the dead consumer's PEL ends empty.
func TestXAUTOCLAIMCanClaimPELItemsFromAnotherConsumer(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	for i := 1; i <= 25; i++ {
		c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: fmt.Sprintf("%d-0", i), Values: []any{"n", i}})
	}
	c.XGroupCreate(ctx, "s", "g", "0")
	got, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "dead", Streams: []string{"s", ">"}, Block: -1}).Result()
	if err != nil || len(got[0].Messages) != 25 {
		t.Fatalf("XREADGROUP = %v, %v", got, err)
	}
	c.XAck(ctx, "s", "g", "3-0")
	c.XDel(ctx, "s", "7-0")
	s.Kill()
	s.Restart()
	c = client(t, s, 3)
	time.Sleep(20 * time.Millisecond)
	if ms, start, err := c.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: "rescuer", MinIdle: time.Hour, Start: "0"}).Result(); err != nil || len(ms) != 0 || start != "0-0" {
		t.Fatalf("XAUTOCLAIM with min-idle 1h = %v, %q, %v", ms, start, err)
	}
	var claimed []string
	start := "0"
	for rounds := 0; ; rounds++ {
		ms, next, err := c.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: "rescuer", MinIdle: 10 * time.Millisecond, Start: start, Count: 10}).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			claimed = append(claimed, m.ID)
			if m.Values["n"] == nil {
				t.Fatalf("claimed entry %s without its fields", m.ID)
			}
		}
		if next == "0-0" {
			break
		}
		if rounds > 10 {
			t.Fatal("XAUTOCLAIM cursor does not end")
		}
		start = next
	}
	if len(claimed) != 23 {
		t.Fatalf("claimed %d entries, want 23 (25 less one acked, one deleted): %v", len(claimed), claimed)
	}
	sort.Slice(claimed, func(i, j int) bool { return cmpID(claimed[i], claimed[j]) < 0 })
	if claimed[0] != "1-0" || claimed[2] != "4-0" || claimed[22] != "25-0" {
		t.Fatalf("claimed %v", claimed)
	}
	ps, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: "-", End: "+", Count: 100}).Result()
	if err != nil || len(ps) != 23 {
		t.Fatalf("XPENDING = %d entries, %v", len(ps), err)
	}
	for _, p := range ps {
		if p.Consumer != "rescuer" || p.RetryCount != 2 {
			t.Fatalf("pending entry %+v: want owner rescuer, 2 deliveries", p)
		}
	}
	cons, err := c.XInfoConsumers(ctx, "s", "g").Result()
	if err != nil || len(cons) != 2 || cons[0].Name != "dead" || cons[0].Pending != 0 || cons[1].Name != "rescuer" || cons[1].Pending != 23 {
		t.Fatalf("XINFO CONSUMERS = %+v, %v", cons, err)
	}
}

// TestXINFOFULLOutput checks XINFO STREAM FULL's times (which the
// differential script cannot compare) and its structure through go-redis.
func TestXINFOFULLOutput(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := client(t, s, proto)
		key := "x" + strconv.Itoa(proto)
		c.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "100-0", Values: []any{"a", 1}})
		c.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "101-0", Values: []any{"b", 2}})
		c.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "102-0", Values: []any{"c", 3}})
		c.XGroupCreate(ctx, key, "g1", "0")
		c.XGroupCreate(ctx, key, "g2", "0")
		before := time.Now().UnixMilli()
		c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "Alice", Streams: []string{key, ">"}, Count: 1, Block: -1})
		c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "Bob", Streams: []string{key, ">"}, Count: 2, Block: -1})
		after := time.Now().UnixMilli()
		info, err := c.XInfoStreamFull(ctx, key, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		if info.Length != 3 || len(info.Entries) != 3 || len(info.Groups) != 2 || info.EntriesAdded != 3 || info.RecordedFirstEntryID != "100-0" {
			t.Fatalf("RESP%d XINFO STREAM FULL = %+v", proto, info)
		}
		g := info.Groups[0]
		if g.Name != "g1" || g.PelCount != 3 || len(g.Pending) != 3 || len(g.Consumers) != 2 || g.EntriesRead != 3 || g.Lag != 0 {
			t.Fatalf("RESP%d group = %+v", proto, g)
		}
		for _, p := range g.Pending {
			if ms := p.DeliveryTime.UnixMilli(); ms < before || ms > after || p.DeliveryCount != 1 {
				t.Fatalf("RESP%d pending %+v: delivery time not in [%d, %d]", proto, p, before, after)
			}
		}
		if g.Consumers[0].Name != "Alice" || g.Consumers[0].PelCount != 1 || g.Consumers[1].Name != "Bob" || g.Consumers[1].PelCount != 2 {
			t.Fatalf("RESP%d consumers = %+v", proto, g.Consumers)
		}
		if ms := g.Consumers[1].SeenTime.UnixMilli(); ms < before || ms > after {
			t.Fatalf("RESP%d seen-time %d not in [%d, %d]", proto, ms, before, after)
		}
		if info.Groups[1].Name != "g2" || info.Groups[1].Lag != 3 || info.Groups[1].EntriesRead != 0 && info.Groups[1].EntriesRead != -1 {
			t.Fatalf("RESP%d group g2 = %+v", proto, info.Groups[1])
		}
		time.Sleep(30 * time.Millisecond)
		cons, err := c.XInfoConsumers(ctx, key, "g1").Result()
		if err != nil || len(cons) != 2 || cons[0].Idle < 30*time.Millisecond || cons[0].Idle > 10*time.Second {
			t.Fatalf("RESP%d XINFO CONSUMERS = %+v, %v", proto, cons, err)
		}
		ps, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: "g1", Start: "-", End: "+", Count: 10, Idle: 25 * time.Millisecond}).Result()
		if err != nil || len(ps) != 3 || ps[0].Idle < 30*time.Millisecond {
			t.Fatalf("RESP%d XPENDING IDLE = %+v, %v", proto, ps, err)
		}
	}
}

// TestXRANGEFuzzing compares random XRANGE/XREVRANGE windows, exclusive
// bounds and counts on a stream with holes against redis-server.
func TestXRANGEFuzzing(t *testing.T) {
	p := newPair(t)
	r := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 300; i++ {
		p.do("XADD", "fz", fmt.Sprintf("%d-%d", 1+i/3, i%3), "i", strconv.Itoa(i))
	}
	for i := 0; i < 40; i++ {
		p.do("XDEL", "fz", fmt.Sprintf("%d-%d", 1+r.IntN(100), r.IntN(3)))
	}
	bound := func() string {
		switch r.IntN(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2:
			return strconv.Itoa(r.IntN(110))
		case 3:
			return fmt.Sprintf("(%d-%d", r.IntN(110), r.IntN(4))
		}
		return fmt.Sprintf("%d-%d", r.IntN(110), r.IntN(4))
	}
	for i := 0; i < 300; i++ {
		a, b := bound(), bound()
		if strings.HasPrefix(a, "(") && (b == "-" || b == "+") || strings.HasPrefix(b, "(") && (a == "-" || a == "+") {
			continue // "(" with "-"/"+" is an error in both, covered by the script
		}
		args := []string{"XRANGE", "fz", a, b}
		if r.IntN(2) == 0 {
			args[0], args[2], args[3] = "XREVRANGE", b, a
		}
		if r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(r.IntN(20)))
		}
		p.do(args...)
	}
}
