package compat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// keysOnTwoShards returns two key names that live on different shards of a
// 2-shard server (their CRC16 slots differ in parity).
func keysOnTwoShards() (string, string) { return "{a}list", "{b}list" }

func TestBLPOPWithDataAvailableReturnsAtOnce(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	c.RPush(ctx, "l", "a", "b")
	v, err := c.BLPop(ctx, time.Second, "nokey", "l").Result()
	if err != nil || fmt.Sprint(v) != "[l a]" {
		t.Fatalf("BLPOP = %v, %v", v, err)
	}
}

func TestBLPOPServesBlockedClientsInOrder(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	const n = 3
	results := make([]chan string, n)
	for i := 0; i < n; i++ {
		results[i] = make(chan string, 1)
		c := client(t, s, 2)
		go func(i int) {
			v, err := c.BLPop(ctx, 10*time.Second, "q").Result()
			if err != nil {
				results[i] <- "err: " + err.Error()
				return
			}
			results[i] <- v[1]
		}(i)
		time.Sleep(100 * time.Millisecond) // block in a known order
	}
	p := client(t, s, 2)
	p.RPush(ctx, "q", "first", "second", "third")
	for i, want := range []string{"first", "second", "third"} {
		select {
		case got := <-results[i]:
			if got != want {
				t.Fatalf("client %d got %q, want %q", i, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("client %d was not served", i)
		}
	}
	if n, _ := p.Exists(ctx, "q").Result(); n != 0 {
		t.Fatal("the list should be gone")
	}
}

func TestBLPOPTimeout(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	start := time.Now()
	got, err := c.Do("BLPOP", "nokey", "0.2")
	el := time.Since(start)
	if err != nil || string(got) != "*-1\r\n" {
		t.Fatalf("BLPOP timeout = %q, %v", got, err)
	}
	if el < 180*time.Millisecond || el > 2*time.Second {
		t.Fatalf("timed out after %v, want ~200ms", el)
	}
	got, _ = c.Do("BLPOP", "nokey", "-1")
	if string(got) != "-ERR timeout is negative\r\n" {
		t.Fatalf("negative timeout = %q", got)
	}
	got, _ = c.Do("BLPOP", "nokey", "abc")
	if string(got) != "-ERR timeout is not a float or out of range\r\n" {
		t.Fatalf("bad timeout = %q", got)
	}
}

func TestBLPOPOnKeysOfSeveralShards(t *testing.T) {
	s := testkit.Start(t, "--shards", "2")
	ctx := context.Background()
	a, b := keysOnTwoShards()
	c := client(t, s, 2)
	res := make(chan []string, 1)
	go func() {
		v, _ := c.BLPop(ctx, 10*time.Second, a, b).Result()
		res <- v
	}()
	time.Sleep(100 * time.Millisecond)
	client(t, s, 2).RPush(ctx, b, "x")
	select {
	case v := <-res:
		if fmt.Sprint(v) != fmt.Sprintf("[%s x]", b) {
			t.Fatalf("BLPOP = %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not served")
	}
	// The registration on the other key is gone: a push there stays.
	w := client(t, s, 2)
	w.RPush(ctx, a, "y")
	time.Sleep(50 * time.Millisecond)
	if n, _ := w.LLen(ctx, a).Result(); n != 1 {
		t.Fatalf("LLEN %s = %d, want 1 (a stale waiter consumed it)", a, n)
	}
}

func TestBRPOPLPUSHAcrossShards(t *testing.T) {
	s := testkit.Start(t, "--shards", "2")
	ctx := context.Background()
	src, dst := keysOnTwoShards()
	c := client(t, s, 2)
	res := make(chan string, 1)
	go func() {
		v, err := c.BRPopLPush(ctx, src, dst, 10*time.Second).Result()
		if err != nil {
			res <- "err " + err.Error()
			return
		}
		res <- v
	}()
	time.Sleep(100 * time.Millisecond)
	w := client(t, s, 2)
	w.RPush(ctx, src, "job")
	select {
	case v := <-res:
		if v != "job" {
			t.Fatalf("BRPOPLPUSH = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not served")
	}
	if v, _ := w.LRange(ctx, dst, 0, -1).Result(); fmt.Sprint(v) != "[job]" {
		t.Fatalf("destination = %v", v)
	}
}

func TestBlockingCommandsDoNotBlockInsideMULTI(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	for _, cmd := range [][]string{{"MULTI"}, {"BLPOP", "nokey", "0"}} {
		if _, err := c.Do(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Do("EXEC")
	if err != nil || string(got) != "*1\r\n*-1\r\n" {
		t.Fatalf("EXEC = %q, %v", got, err)
	}
}

func TestPushInsideMULTIServesBlockedClient(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	res := make(chan string, 1)
	go func() {
		v, _ := c.BLPop(ctx, 10*time.Second, "mq").Result()
		res <- strings.Join(v, ",")
	}()
	time.Sleep(100 * time.Millisecond)
	w := client(t, s, 2)
	if _, err := w.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "mq", "m1")
		p.Set(ctx, "other", "x", 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-res:
		if v != "mq,m1" {
			t.Fatalf("BLPOP = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not served after EXEC")
	}
}

func TestBlockedClientDisconnectLeavesData(t *testing.T) {
	s := testkit.Start(t)
	raw := s.Raw()
	raw.Write(testkit.Encode("BLPOP", "dq", "0"))
	time.Sleep(100 * time.Millisecond)
	raw.Close()
	time.Sleep(100 * time.Millisecond)
	ctx := context.Background()
	w := client(t, s, 2)
	w.RPush(ctx, "dq", "kept")
	time.Sleep(50 * time.Millisecond)
	if n, _ := w.LLen(ctx, "dq").Result(); n != 1 {
		t.Fatalf("LLEN = %d: the gone client's wait consumed the element", n)
	}
}

func TestPipelineAfterBLPOPWaits(t *testing.T) {
	s := testkit.Start(t)
	raw := s.Raw()
	raw.Write(append(testkit.Encode("BLPOP", "pq", "0"), testkit.Encode("PING")...))
	time.Sleep(100 * time.Millisecond)
	ctx := context.Background()
	client(t, s, 2).RPush(ctx, "pq", "v")
	got, err := raw.ReadReply()
	if err != nil || string(got) != "*2\r\n$2\r\npq\r\n$1\r\nv\r\n" {
		t.Fatalf("BLPOP = %q, %v", got, err)
	}
	got, err = raw.ReadReply()
	if err != nil || string(got) != "+PONG\r\n" {
		t.Fatalf("PING after = %q, %v", got, err)
	}
}

// TestManyClientsBlockingOnOneQueue: 20 consumers BLPOP while producers
// push 2 000 items: each item is delivered exactly once.
func TestManyClientsBlockingOnOneQueue(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	const consumers, items = 20, 2000
	seen := make(chan string, items)
	var wg sync.WaitGroup
	for i := 0; i < consumers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, ReadTimeout: -1})
			defer c.Close()
			for {
				v, err := c.BLPop(ctx, 2*time.Second, "work").Result()
				if err == redis.Nil {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				seen <- v[1]
			}
		}()
	}
	p := client(t, s, 2)
	for i := 0; i < items; i++ {
		p.RPush(ctx, "work", i)
	}
	wg.Wait()
	close(seen)
	got := map[string]int{}
	for v := range seen {
		got[v]++
	}
	if len(got) != items {
		t.Fatalf("%d distinct items delivered, want %d", len(got), items)
	}
	for v, n := range got {
		if n != 1 {
			t.Fatalf("item %s delivered %d times", v, n)
		}
	}
}

func TestBZPOPMINServedByZADD(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	res := make(chan string, 1)
	go func() {
		v, err := c.BZPopMin(ctx, 10*time.Second, "zq").Result()
		if err != nil {
			res <- err.Error()
			return
		}
		res <- fmt.Sprintf("%s %v %v", v.Key, v.Member, v.Score)
	}()
	time.Sleep(100 * time.Millisecond)
	client(t, s, 2).ZAdd(ctx, "zq", redis.Z{Score: 2.5, Member: "m"})
	select {
	case v := <-res:
		if v != "zq m 2.5" {
			t.Fatalf("BZPOPMIN = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not served")
	}
}

func TestBLPOPServedWhenAListIsCreatedByRENAME(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	res := make(chan string, 1)
	go func() {
		v, _ := c.BLPop(ctx, 10*time.Second, "target").Result()
		res <- strings.Join(v, " ")
	}()
	time.Sleep(100 * time.Millisecond)
	w := client(t, s, 2)
	w.RPush(ctx, "{target}src", "x")
	if err := w.Rename(ctx, "{target}src", "target").Err(); err != nil {
		// Keys on different shards rename too; the tag only keeps it cheap.
		t.Fatal(err)
	}
	select {
	case v := <-res:
		if v != "target x" {
			t.Fatalf("BLPOP = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not served after RENAME created the list")
	}
}

func TestXREADBLOCKServedByXADD(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	w := client(t, s, 2)
	w.XAdd(ctx, &redis.XAddArgs{Stream: "s1", ID: "1-1", Values: []any{"old", "1"}})
	c := client(t, s, 2)
	res := make(chan string, 1)
	go func() {
		v, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"s1", "s2", "$", "$"}, Block: 10 * time.Second}).Result()
		if err != nil {
			res <- err.Error()
			return
		}
		res <- fmt.Sprintf("%s %s %v", v[0].Stream, v[0].Messages[0].ID, v[0].Messages[0].Values)
	}()
	time.Sleep(150 * time.Millisecond)
	w.XAdd(ctx, &redis.XAddArgs{Stream: "s2", ID: "5-1", Values: []any{"f", "v"}})
	select {
	case v := <-res:
		if v != "s2 5-1 map[f:v]" {
			t.Fatalf("XREAD BLOCK = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("XREAD BLOCK not served")
	}
}

func TestXREADGROUPBLOCKServedByXADD(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	w := client(t, s, 2)
	w.XGroupCreateMkStream(ctx, "gs", "g", "$")
	c := client(t, s, 2)
	res := make(chan string, 1)
	go func() {
		v, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"gs", ">"}, Block: 10 * time.Second}).Result()
		if err != nil {
			res <- err.Error()
			return
		}
		res <- v[0].Messages[0].ID
	}()
	time.Sleep(150 * time.Millisecond)
	w.XAdd(ctx, &redis.XAddArgs{Stream: "gs", ID: "7-1", Values: []any{"f", "v"}})
	select {
	case v := <-res:
		if v != "7-1" {
			t.Fatalf("XREADGROUP BLOCK = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("XREADGROUP BLOCK not served")
	}
	if p, _ := w.XPending(ctx, "gs", "g").Result(); p.Count != 1 {
		t.Fatalf("pending = %+v, want the served entry pending", p)
	}
	start := time.Now()
	got, _ := s.Raw().Do("XREAD", "BLOCK", "100", "STREAMS", "gs", "$")
	if string(got) != "*-1\r\n" || time.Since(start) < 90*time.Millisecond {
		t.Fatalf("XREAD BLOCK 100 timeout = %q after %v", got, time.Since(start))
	}
}

func TestCLIENTUNBLOCKTimeoutAndError(t *testing.T) {
	s := testkit.Start(t)
	for _, mode := range []struct{ arg, want string }{{"TIMEOUT", "*-1\r\n"}, {"ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"}} {
		b := s.Raw()
		id, _ := b.Do("CLIENT", "ID")
		b.Write(testkit.Encode("BLPOP", "never", "0"))
		time.Sleep(100 * time.Millisecond)
		got, _ := s.Raw().Do("CLIENT", "UNBLOCK", strings.TrimSpace(string(id[1:])), mode.arg)
		if string(got) != ":1\r\n" {
			t.Fatalf("CLIENT UNBLOCK %s = %q", mode.arg, got)
		}
		reply, err := b.ReadReply()
		if err != nil || string(reply) != mode.want {
			t.Fatalf("blocked client got %q, %v; want %q", reply, err, mode.want)
		}
	}
	got, _ := s.Raw().Do("CLIENT", "UNBLOCK", "999999")
	if string(got) != ":0\r\n" {
		t.Fatalf("CLIENT UNBLOCK of a client not blocked = %q", got)
	}
}

func TestRESETLeavesMULTIAndSubscriptions(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	for _, cmd := range [][]string{{"MULTI"}, {"SET", "x", "1"}} {
		c.Do(cmd...)
	}
	if got, _ := c.Do("RESET"); string(got) != "+RESET\r\n" {
		t.Fatalf("RESET = %q", got)
	}
	if got, _ := c.Do("EXEC"); string(got) != "-ERR EXEC without MULTI\r\n" {
		t.Fatalf("EXEC after RESET = %q", got)
	}
	c.Do("SUBSCRIBE", "ch")
	c.Do("RESET")
	if got, _ := s.Raw().Do("PUBLISH", "ch", "m"); string(got) != ":0\r\n" {
		t.Fatalf("PUBLISH after RESET = %q: the subscription survived", got)
	}
}

// TestBLPOPOnTwoShardsWithConcurrentPushes pushes to both keys of a
// blocked BLPOP at once, many times: the client is served once, by one key.
func TestBLPOPOnTwoShardsWithConcurrentPushes(t *testing.T) {
	s := testkit.Start(t, "--shards", "2")
	ctx := context.Background()
	a, b := keysOnTwoShards()
	c := client(t, s, 2)
	pa, pb := client(t, s, 2), client(t, s, 2)
	for i := 0; i < 200; i++ {
		res := make(chan error, 1)
		go func() {
			_, err := c.BLPop(ctx, 10*time.Second, a, b).Result()
			res <- err
		}()
		time.Sleep(2 * time.Millisecond)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); pa.RPush(ctx, a, "x") }()
		go func() { defer wg.Done(); pb.RPush(ctx, b, "y") }()
		wg.Wait()
		if err := <-res; err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		// One element was taken; clear the other for the next round.
		n, _ := pa.Del(ctx, a, b).Result()
		if n != 1 {
			t.Fatalf("round %d: %d keys left, want exactly 1 (served once)", i, n)
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("server gone: %v", err)
	}
}
