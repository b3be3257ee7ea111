package compat

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Client-side caching between connections (the single-connection shapes
// are in testdata/diff/tracking.txt). Titles follow Redis's
// tests/unit/tracking.tcl.

// rawDo sends a command on a raw connection and returns its reply, failing
// the test on error.
func rawDo(t *testing.T, c *testkit.Conn, args ...string) string {
	t.Helper()
	out, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(out)
}

// readWithin reads one reply (a push, usually) or fails after d.
func readWithin(t *testing.T, c *testkit.Conn, d time.Duration) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	out, err := c.ReadReply()
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		t.Fatalf("no reply within %v: %v", d, err)
	}
	return string(out)
}

// nothingWithin checks that nothing arrives on c for d.
func nothingWithin(t *testing.T, c *testkit.Conn, d time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	out, err := c.ReadReply()
	_ = c.SetReadDeadline(time.Time{})
	if err == nil {
		t.Fatalf("unexpected output: %q", out)
	}
}

func push(keys ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, ">2\r\n$10\r\ninvalidate\r\n*%d\r\n", len(keys))
	for _, k := range keys {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(k), k)
	}
	return b.String()
}

func redirMsg(keys ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*%d\r\n", len(keys))
	for _, k := range keys {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(k), k)
	}
	return b.String()
}

// redirection opens a RESP2 connection subscribed to __redis__:invalidate
// and returns it with its client id.
func redirection(t *testing.T, s *testkit.Server) (*testkit.Conn, string) {
	t.Helper()
	rd := s.Raw()
	id := strings.TrimSuffix(strings.TrimPrefix(rawDo(t, rd, "CLIENT", "ID"), ":"), "\r\n")
	if got := rawDo(t, rd, "SUBSCRIBE", "__redis__:invalidate"); !strings.Contains(got, "__redis__:invalidate") {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	return rd, id
}

func resp3(t *testing.T, s *testkit.Server) *testkit.Conn {
	t.Helper()
	c := s.Raw()
	if got := rawDo(t, c, "HELLO", "3"); !strings.HasPrefix(got, "%") {
		t.Fatalf("HELLO 3: %q", got)
	}
	return c
}

func TestTrackingRedirectToPubSubConnection(t *testing.T) {
	s := testkit.Start(t)
	rd, id := redirection(t, s)
	r, o := s.Raw(), s.Raw()

	t.Run("Clients are able to enable tracking and redirect it", func(t *testing.T) {
		if got := rawDo(t, r, "CLIENT", "TRACKING", "on", "REDIRECT", id); got != "+OK\r\n" {
			t.Fatal(got)
		}
		if got := rawDo(t, r, "CLIENT", "GETREDIR"); got != ":"+id+"\r\n" {
			t.Fatalf("GETREDIR %q", got)
		}
	})
	t.Run("The other connection is able to get invalidations", func(t *testing.T) {
		rawDo(t, r, "SET", "a{t}", "1")
		rawDo(t, r, "SET", "b{t}", "1")
		rawDo(t, r, "GET", "a{t}")
		rawDo(t, r, "INCR", "b{t}") // not fetched: no invalidation
		rawDo(t, r, "INCR", "a{t}")
		if got := readWithin(t, rd, 5*time.Second); got != redirMsg("a{t}") {
			t.Fatalf("got %q", got)
		}
		nothingWithin(t, rd, 100*time.Millisecond)
	})
	t.Run("Invalidations of keys read on other shards and by MGET", func(t *testing.T) {
		rawDo(t, r, "MGET", "k1", "k2", "k3", "k4")
		rawDo(t, o, "SET", "k3", "x")
		if got := readWithin(t, rd, 5*time.Second); got != redirMsg("k3") {
			t.Fatalf("got %q", got)
		}
		rawDo(t, o, "DEL", "k1", "k2", "k4") // absent keys: nothing changes
		nothingWithin(t, rd, 100*time.Millisecond)
		rawDo(t, o, "MSET", "k1", "1", "k2", "2")
		got := readWithin(t, rd, 5*time.Second) + readWithin(t, rd, 5*time.Second)
		if got != redirMsg("k1")+redirMsg("k2") && got != redirMsg("k2")+redirMsg("k1") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("Tracking NOLOOP mode in standard mode works", func(t *testing.T) {
		rawDo(t, r, "CLIENT", "TRACKING", "off")
		rawDo(t, r, "CLIENT", "TRACKING", "on", "REDIRECT", id, "NOLOOP")
		rawDo(t, r, "MGET", "otherkey1{t}", "loopkey{t}", "otherkey2{t}")
		rawDo(t, o, "SET", "otherkey1{t}", "1")
		rawDo(t, r, "SET", "loopkey{t}", "1")
		rawDo(t, o, "SET", "otherkey2{t}", "1")
		got := readWithin(t, rd, 5*time.Second) + readWithin(t, rd, 5*time.Second)
		if got != redirMsg("otherkey1{t}")+redirMsg("otherkey2{t}") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("Invalidation message received for flushall", func(t *testing.T) {
		rawDo(t, r, "CLIENT", "TRACKING", "off")
		rawDo(t, r, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		rawDo(t, o, "SET", "key1", "1")
		rawDo(t, r, "GET", "key1")
		rawDo(t, o, "FLUSHALL")
		if got := readWithin(t, rd, 5*time.Second); got != "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n" {
			t.Fatalf("got %q", got)
		}
		rawDo(t, o, "FLUSHDB")
		if got := readWithin(t, rd, 5*time.Second); !strings.HasSuffix(got, "$-1\r\n") {
			t.Fatalf("got %q", got)
		}
		if got := rawDo(t, o, "INFO", "stats"); !strings.Contains(got, "tracking_total_keys:0\r\n") {
			t.Fatalf("table not emptied by the flush: %q", got)
		}
	})
	t.Run("Tracking gets notification of expired keys", func(t *testing.T) {
		rawDo(t, r, "CLIENT", "TRACKING", "off")
		rawDo(t, r, "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id, "NOLOOP")
		rawDo(t, r, "SET", "mykey", "myval", "px", "1")
		rawDo(t, r, "SET", "mykeyotherkey", "myval") // NOLOOP: not sent
		if got := readWithin(t, rd, 5*time.Second); got != redirMsg("mykey") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("Tracking gets notification of lazy expired keys", func(t *testing.T) {
		rawDo(t, r, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		defer rawDo(t, r, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
		rawDo(t, r, "SET", "lazy", "myval", "px", "1")
		time.Sleep(20 * time.Millisecond)
		nothingWithin(t, rd, 50*time.Millisecond)
		if got := rawDo(t, r, "GET", "lazy"); got != "$-1\r\n" {
			t.Fatal(got)
		}
		// The client's own read expired it: NOLOOP does not hide expiries.
		if got := readWithin(t, rd, 5*time.Second); got != redirMsg("lazy") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("Tracking gets notification on tracking table key eviction", func(t *testing.T) {
		rawDo(t, r, "CLIENT", "TRACKING", "off")
		rawDo(t, r, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		for i := 0; i < 250; i++ {
			k := "key" + strconv.Itoa(i)
			rawDo(t, o, "SET", k, "v")
			rawDo(t, r, "GET", k)
		}
		if got := rawDo(t, o, "INFO", "stats"); !strings.Contains(got, "tracking_total_keys:250\r\n") || !strings.Contains(got, "tracking_total_items:250\r\n") {
			t.Fatalf("INFO stats: %q", got)
		}
		rawDo(t, r, "CONFIG", "SET", "tracking-table-max-keys", "1")
		seen := map[string]bool{}
		for i := 0; i < 249; i++ {
			got := readWithin(t, rd, 5*time.Second)
			if seen[got] || !strings.HasPrefix(got, redirMsg()[:len(redirMsg())-4]) {
				t.Fatalf("eviction %d: %q", i, got)
			}
			seen[got] = true
		}
		nothingWithin(t, rd, 200*time.Millisecond)
		if got := rawDo(t, o, "INFO", "stats"); !strings.Contains(got, "tracking_total_keys:1\r\n") {
			t.Fatalf("INFO stats: %q", got)
		}
		rawDo(t, r, "CONFIG", "SET", "tracking-table-max-keys", "1000000")
	})
	t.Run("Tracking info is correct", func(t *testing.T) {
		rawDo(t, o, "FLUSHALL")
		readWithin(t, rd, 5*time.Second) // the flush invalidation
		rawDo(t, r, "CLIENT", "TRACKING", "off")
		rawDo(t, r, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		rawDo(t, o, "SET", "key1", "1")
		rawDo(t, o, "SET", "key2", "2")
		rawDo(t, r, "GET", "key1")
		rawDo(t, r, "GET", "key2")
		b := s.Raw()
		rawDo(t, b, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "prefix:")
		rawDo(t, o, "SET", "prefix:key1", "1")
		rawDo(t, o, "SET", "prefix:key2", "2")
		info := rawDo(t, o, "INFO")
		for _, want := range []string{"tracking_total_items:2\r\n", "tracking_total_keys:2\r\n", "tracking_total_prefixes:1\r\n", "tracking_clients:2\r\n"} {
			if !strings.Contains(info, want) {
				t.Errorf("INFO lacks %q", want)
			}
		}
		if got := rawDo(t, o, "CLIENT", "LIST"); !strings.Contains(got, "flags=t ") || !strings.Contains(got, "flags=tB ") || !strings.Contains(got, "redir="+id+" ") {
			t.Errorf("CLIENT LIST: %q", got)
		}
		b.Close()
		time.Sleep(100 * time.Millisecond)
		if got := rawDo(t, o, "INFO", "clients"); !strings.Contains(got, "tracking_clients:1\r\n") {
			t.Errorf("a closed client still counts: %q", got)
		}
	})
}

func TestTrackingRESP3(t *testing.T) {
	s := testkit.Start(t)
	r, o := resp3(t, s), s.Raw()

	t.Run("RESP3 based basic invalidation", func(t *testing.T) {
		rawDo(t, r, "CLIENT", "TRACKING", "on")
		rawDo(t, o, "SET", "key1", "1")
		rawDo(t, r, "GET", "key1")
		rawDo(t, o, "SET", "key1", "2")
		if got := readWithin(t, r, 5*time.Second); got != push("key1") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("Invalidation on RENAME, DEL, EXPIRE and element writes", func(t *testing.T) {
		rawDo(t, o, "RPUSH", "list", "a")
		rawDo(t, o, "HSET", "hash", "f", "1")
		rawDo(t, o, "SET", "str", "v")
		rawDo(t, o, "SET", "str2", "v")
		rawDo(t, r, "LRANGE", "list", "0", "-1")
		rawDo(t, r, "HGET", "hash", "f")
		rawDo(t, r, "GET", "str")
		rawDo(t, r, "TTL", "str2")
		rawDo(t, o, "LSET", "list", "0", "b")
		rawDo(t, o, "HSET", "hash", "f", "2")
		rawDo(t, o, "RENAME", "str", "str-renamed")
		rawDo(t, o, "EXPIRE", "str2", "100")
		want := push("list") + push("hash") + push("str") + push("str2")
		got := ""
		for i := 0; i < 4; i++ {
			got += readWithin(t, r, 5*time.Second)
		}
		if got != want {
			t.Fatalf("got %q\nwant %q", got, want)
		}
	})
	t.Run("Different clients using different protocols can track the same key", func(t *testing.T) {
		rd, id := redirection(t, s)
		r2 := s.Raw()
		rawDo(t, r2, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		rawDo(t, o, "SET", "shared", "1")
		rawDo(t, r, "GET", "shared")
		rawDo(t, r2, "GET", "shared")
		rawDo(t, o, "INCR", "shared")
		if got := readWithin(t, rd, 5*time.Second); got != redirMsg("shared") {
			t.Fatalf("redirected: %q", got)
		}
		if got := readWithin(t, r, 5*time.Second); got != push("shared") {
			t.Fatalf("RESP3: %q", got)
		}
	})
	t.Run("RESP3 Client gets tracking-redir-broken push message after cached key changed when rediretion client is terminated", func(t *testing.T) {
		rd := s.Raw()
		id := strings.TrimSuffix(strings.TrimPrefix(rawDo(t, rd, "CLIENT", "ID"), ":"), "\r\n")
		rawDo(t, r, "CLIENT", "TRACKING", "off")
		rawDo(t, r, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		rawDo(t, o, "SET", "key1", "1")
		rawDo(t, r, "GET", "key1")
		rd.Close()
		time.Sleep(100 * time.Millisecond)
		rawDo(t, o, "SET", "key1", "2")
		if got := readWithin(t, r, 5*time.Second); got != ">2\r\n$21\r\ntracking-redir-broken\r\n:"+id+"\r\n" {
			t.Fatalf("got %q", got)
		}
		info := rawDo(t, r, "CLIENT", "TRACKINGINFO")
		if !strings.Contains(info, "broken_redirect") {
			t.Fatalf("TRACKINGINFO %q", info)
		}
		rawDo(t, r, "CLIENT", "TRACKING", "off")
	})
	t.Run("Unblocked BLMOVE gets notification after response", func(t *testing.T) {
		b := resp3(t, s)
		rawDo(t, o, "RPUSH", "list2{t}", "a")
		rawDo(t, b, "CLIENT", "TRACKING", "on")
		rawDo(t, b, "LRANGE", "list2{t}", "0", "-1")
		if _, err := b.Write(testkit.Encode("BLMOVE", "list1{t}", "list2{t}", "left", "left", "0")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		rawDo(t, o, "RPUSH", "list1{t}", "foo")
		if got := readWithin(t, b, 5*time.Second); got != "$3\r\nfoo\r\n" {
			t.Fatalf("reply %q", got)
		}
		if got := readWithin(t, b, 5*time.Second); got != push("list2{t}") {
			t.Fatalf("push %q", got)
		}
	})
	t.Run("An idle client blocked in BLPOP gets invalidations at once", func(t *testing.T) {
		b := resp3(t, s)
		rawDo(t, o, "SET", "seen", "1")
		rawDo(t, b, "CLIENT", "TRACKING", "on")
		rawDo(t, b, "GET", "seen")
		if _, err := b.Write(testkit.Encode("BLPOP", "nolist", "0")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		rawDo(t, o, "SET", "seen", "2")
		if got := readWithin(t, b, 5*time.Second); got != push("seen") {
			t.Fatalf("push %q", got)
		}
		rawDo(t, o, "RPUSH", "nolist", "x")
		if got := readWithin(t, b, 5*time.Second); got != "*2\r\n$6\r\nnolist\r\n$1\r\nx\r\n" {
			t.Fatalf("BLPOP %q", got)
		}
	})
}

// TestTrackingNeverLeavesAStaleValue reads a key that another connection
// keeps incrementing, through a local cache kept the way client libraries
// keep it (fill on reply, drop on invalidation): once the writer stops,
// the cache must hold the last value. An invalidation sent before the reply
// that carried the value it invalidates would leave a stale entry for good.
func TestTrackingNeverLeavesAStaleValue(t *testing.T) {
	s := testkit.Start(t, "--shards", "2")
	r := resp3(t, s)
	rawDo(t, r, "CLIENT", "TRACKING", "on")
	keys := []string{"hot:a", "hot:b", "hot:c", "hot:d"}
	for _, k := range keys {
		rawDo(t, r, "SET", k, "0")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := testkit.Dial(s.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := 0; !stop.Load(); i++ {
				var pipe []byte
				for _, k := range keys {
					pipe = append(pipe, testkit.Encode("INCR", k)...)
				}
				if _, err := c.Write(pipe); err != nil {
					t.Error(err)
					return
				}
				for range keys {
					if _, err := c.ReadReply(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	cache := map[string]string{}
	inflight := []string{}
	deadline := time.Now().Add(1500 * time.Millisecond)
	handle := func(v []byte) {
		if bytes.HasPrefix(v, []byte(">2\r\n$10\r\ninvalidate\r\n")) {
			for _, k := range keys {
				if bytes.HasSuffix(v, []byte("$"+strconv.Itoa(len(k))+"\r\n"+k+"\r\n")) {
					delete(cache, k)
				}
			}
			return
		}
		k := inflight[0]
		inflight = inflight[1:]
		if bytes.HasPrefix(v, []byte("$")) {
			cache[k] = string(v)
		}
	}
	for time.Now().Before(deadline) {
		var pipe []byte
		for _, k := range keys {
			if _, ok := cache[k]; !ok {
				pipe = append(pipe, testkit.Encode("GET", k)...)
				inflight = append(inflight, k)
			}
		}
		if len(pipe) == 0 {
			pipe = testkit.Encode("PING")
			inflight = append(inflight, "")
		}
		if _, err := r.Write(pipe); err != nil {
			t.Fatal(err)
		}
		for len(inflight) > 0 {
			v, err := r.ReadReply()
			if err != nil {
				t.Fatal(err)
			}
			handle(v)
		}
	}
	stop.Store(true)
	wg.Wait()
	// Let the last invalidations arrive.
	for {
		_ = r.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		v, err := r.ReadReply()
		if err != nil {
			break
		}
		handle(v)
	}
	_ = r.SetReadDeadline(time.Time{})
	o := s.Raw()
	for _, k := range keys {
		want := rawDo(t, o, "GET", k)
		if got, ok := cache[k]; ok && got != want {
			t.Errorf("%s: cached %q, server has %q: an invalidation was lost or came before its reply", k, got, want)
		}
	}
}

// TestTrackingGoRedisClientSideCache uses go-redis's own client-side cache
// (RESP3, CLIENT TRACKING on each connection).
func TestTrackingGoRedisClientSideCache(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	mut := client(t, s, 2)
	cache := redis.NewLocalCache(redis.CacheConfig{MaxEntries: 128})
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 3, ClientSideCache: cache})
	t.Cleanup(func() { c.Close() })
	if err := mut.Set(ctx, "csc", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "csc").Result(); err != nil || v != "v1" {
		t.Fatalf("GET %q %v", v, err)
	}
	waitFor(t, "the value to be cached", func() bool { return cache.Len() >= 1 })
	hits := c.CSCStats().Hits
	if v, err := c.Get(ctx, "csc").Result(); err != nil || v != "v1" {
		t.Fatalf("GET %q %v", v, err)
	}
	if c.CSCStats().Hits <= hits {
		t.Fatalf("second GET not served from the cache: %+v", c.CSCStats())
	}
	if err := mut.Set(ctx, "csc", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the invalidation", func() bool {
		v, err := c.Get(ctx, "csc").Result()
		return err == nil && v == "v2"
	})
	// Deleting and flushing invalidate too.
	if err := mut.Del(ctx, "csc").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the DEL invalidation", func() bool { return c.Get(ctx, "csc").Err() == redis.Nil })
	mut.Set(ctx, "csc", "v3", 0)
	waitFor(t, "the SET invalidation", func() bool { v, _ := c.Get(ctx, "csc").Result(); return v == "v3" })
	mut.FlushAll(ctx)
	waitFor(t, "the FLUSHALL invalidation", func() bool { return c.Get(ctx, "csc").Err() == redis.Nil })
}

// TestTrackingRueidisDoCache uses rueidis, whose NewClient first probes
// CLUSTER (standalone: the cluster-disabled error) and whose DoCache runs
// CLIENT CACHING YES and a MULTI/EXEC of PTTL and the command on a
// connection in OPTIN mode.
func TestTrackingRueidisDoCache(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{s.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mut := client(t, s, 2)
	mut.Set(ctx, "rk", "v1", 0)
	get := func() rueidis.RedisResult { return c.DoCache(ctx, c.B().Get().Key("rk").Cache(), time.Minute) }
	res := get()
	if v, err := res.ToString(); err != nil || v != "v1" || res.IsCacheHit() {
		t.Fatalf("first DoCache: %q %v hit=%v", v, err, res.IsCacheHit())
	}
	res = get()
	if v, err := res.ToString(); err != nil || v != "v1" || !res.IsCacheHit() {
		t.Fatalf("second DoCache: %q %v hit=%v", v, err, res.IsCacheHit())
	}
	mut.Set(ctx, "rk", "v2", 0)
	waitFor(t, "rueidis to see the invalidation", func() bool {
		res := get()
		v, _ := res.ToString()
		return v == "v2"
	})
	if res := get(); !res.IsCacheHit() {
		t.Fatal("the new value is not cached")
	}
	mut.PExpire(ctx, "rk", 50*time.Millisecond)
	waitFor(t, "the expiry invalidation", func() bool { return rueidis.IsRedisNil(get().Error()) })
	// Plain commands work on the same client.
	if err := c.Do(ctx, c.B().Set().Key("rk2").Value("x").Build()).Error(); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClientLibraryHandshakes connects with go-redis v9's default
// handshake (HELLO 3, CLIENT SETINFO, CLIENT MAINT_NOTIFICATIONS in auto
// mode) and its cluster client, which must get Redis's errors and keep
// the connection.
func TestClientLibraryHandshakes(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 3})
	defer c.Close()
	if err := c.Set(ctx, "hs", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "hs").Result(); err != nil || v != "1" {
		t.Fatalf("GET %q %v", v, err)
	}
	if err := c.Do(ctx, "CLIENT", "MAINT_NOTIFICATIONS", "on", "moving-endpoint-type", "internal-ip").Err(); err == nil || !strings.Contains(err.Error(), "unknown subcommand 'MAINT_NOTIFICATIONS'") {
		t.Fatalf("CLIENT MAINT_NOTIFICATIONS: %v", err)
	}
	for _, cmd := range [][]any{{"CLUSTER", "SLOTS"}, {"CLUSTER", "SHARDS"}, {"CLUSTER", "INFO"}, {"CLUSTER", "NODES"}, {"CLUSTER", "MYID"}, {"CLUSTER", "KEYSLOT", "x"}, {"READONLY"}, {"READWRITE"}} {
		if err := c.Do(ctx, cmd...).Err(); err == nil || err.Error() != "ERR This instance has cluster support disabled" {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	if n, err := c.Exists(ctx, "hs").Result(); err != nil || n != 1 {
		t.Fatalf("connection unusable after the errors: %d %v", n, err)
	}
	// A cluster client pointed at a standalone server fails cleanly.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{s.Addr}, MaxRedirects: 1})
	defer cc.Close()
	if err := cc.Get(ctx, "hs").Err(); err == nil {
		t.Log("cluster client served the key")
	} else if !strings.Contains(err.Error(), "cluster support disabled") {
		t.Fatalf("cluster client: %v", err)
	}
	if got := s.Logs(); strings.Contains(got, "panic") {
		t.Fatalf("server log: %s", got)
	}
}
