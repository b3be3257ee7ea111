package compat

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Each limit is breached by a misbehaving client while a well-behaved one
// keeps getting answers.

// stubbornConn dials with a tiny receive buffer (no autotuning), so that
// output the client does not read piles up on the server side.
func stubbornConn(t *testing.T, addr string) *testkit.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		_ = rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &testkit.Conn{Conn: c, R: bufio.NewReaderSize(c, 4096)}
}

// closedByServer reports whether the server closed c within d (reading
// and dropping whatever arrives).
func closedByServer(c *testkit.Conn, d time.Duration) bool {
	_, closed := readFor(c, d)
	return closed
}

// infoField returns one INFO field of a server.
func infoValue(t *testing.T, c *redis.Client, section, field string) string {
	t.Helper()
	info, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(field) + `:(.*)\r$`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("INFO %s has no %s:\n%s", section, field, info)
	}
	return m[1]
}

func stillServes(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	if err := c.Set(ctx, "alive", "yes", 0).Err(); err != nil {
		t.Fatalf("the well-behaved client failed: %v", err)
	}
	if v := c.Get(ctx, "alive").Val(); v != "yes" {
		t.Fatalf("the well-behaved client read %q", v)
	}
}

func TestMaxClientsReached(t *testing.T) {
	s := testkit.Start(t)
	good := client(t, s, 2)
	ctx := context.Background()
	if err := good.ConfigSet(ctx, "maxclients", "4").Err(); err != nil {
		t.Fatal(err)
	}
	var conns []*testkit.Conn
	for i := 0; i < 3; i++ {
		c := s.Raw()
		do(t, c, "PING")
		conns = append(conns, c)
	}
	extra := s.Raw()
	out, closed := readFor(extra, 2*time.Second)
	if string(out) != "-ERR max number of clients reached\r\n" || !closed {
		t.Fatalf("over maxclients: %q closed=%v", out, closed)
	}
	for _, c := range conns {
		if r := do(t, c, "PING"); r != "+PONG\r\n" {
			t.Fatalf("a client under the limit: %q", r)
		}
	}
	stillServes(t, good)
	if n := infoValue(t, good, "stats", "rejected_connections"); n != "1" {
		t.Fatalf("rejected_connections = %s", n)
	}
	good.ConfigSet(ctx, "maxclients", "10000")
	do(t, s.Raw(), "PING")
}

func TestIdleClientsAreClosedAfterTimeout(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	good := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, PoolSize: 1})
	defer good.Close()
	good.ConfigSet(ctx, "timeout", "1")
	idle := s.Raw()
	do(t, idle, "PING")
	sub := s.Raw()
	do(t, sub, "SUBSCRIBE", "ch")
	blocked := s.Raw()
	send(t, blocked, string(testkit.Encode("BLPOP", "q", "0")))
	done := time.Now().Add(3 * time.Second)
	for time.Now().Before(done) {
		stillServes(t, good)
		time.Sleep(200 * time.Millisecond)
	}
	if !closedByServer(idle, 2*time.Second) {
		t.Fatal("the idle client was not closed")
	}
	if r := do(t, sub, "PING"); r != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Fatalf("a subscriber was closed as idle: %q", r)
	}
	good.RPush(ctx, "q", "x")
	if r, err := blocked.ReadReply(); err != nil || !strings.Contains(string(r), "x") {
		t.Fatalf("the blocked client: %q %v", r, err)
	}
	if n := infoValue(t, good, "stats", "client_idle_disconnections"); n != "1" {
		t.Fatalf("client_idle_disconnections = %s", n)
	}
}

func TestTCPKeepaliveOnNewConnections(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss not installed")
	}
	s := testkit.Start(t)
	do(t, s.Raw(), "CONFIG", "SET", "tcp-keepalive", "7")
	c := s.Raw()
	do(t, c, "PING")
	local := c.LocalAddr().(*net.TCPAddr).Port
	out, err := exec.Command("ss", "-tno", "state", "established", "( sport = :"+strconv.Itoa(s.Port)+" and dport = :"+strconv.Itoa(local)+" )").CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v %s", err, out)
	}
	// The server's side of the connection has a keepalive timer of at
	// most 7 seconds.
	m := regexp.MustCompile(`timer:\(keepalive,(\d+(?:\.\d+)?)(ms|sec)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no keepalive timer on the server's socket:\n%s", out)
	}
	if v, _ := strconv.ParseFloat(m[1], 64); m[2] == "sec" && v > 7 {
		t.Fatalf("keepalive timer %s%s, want at most 7 s", m[1], m[2])
	}
}

func TestQueryBufferLimitClosesTheSender(t *testing.T) {
	s := testkit.Start(t)
	good := client(t, s, 2)
	ctx := context.Background()
	good.ConfigSet(ctx, "client-query-buffer-limit", "1mb")
	bad := s.Raw()
	send(t, bad, "*2\r\n$3\r\nGET\r\n$100000000\r\n")
	chunk := strings.Repeat("x", 64<<10)
	for i := 0; i < 40; i++ {
		_ = bad.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := bad.Write([]byte(chunk)); err != nil {
			break
		}
	}
	if !closedByServer(bad, 3*time.Second) {
		t.Fatal("a client over client-query-buffer-limit was not closed")
	}
	stillServes(t, good)
	if n := infoValue(t, good, "stats", "client_query_buffer_limit_disconnections"); n != "1" {
		t.Fatalf("client_query_buffer_limit_disconnections = %s", n)
	}
}

func TestProtoMaxBulkLenAsRedis(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	for _, s := range []*testkit.Server{ref, dut} {
		do(t, s.Raw(), "CONFIG", "SET", "proto-max-bulk-len", "1mb")
	}
	sameRaw(t, ref, dut,
		"*2\r\n$3\r\nGET\r\n$1048577\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n"+strings.Repeat("v", 1048576)+"\r\nECHO __end__\r\n")
	stillServes(t, client(t, dut, 2))
}

// publishUntil publishes msg to channel until stop returns true or max
// messages went out; it returns how many were published.
func publishUntil(t *testing.T, c *redis.Client, channel, msg string, max int, stop func() bool) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for ; n < max && !stop(); n++ {
		if err := c.Publish(ctx, channel, msg).Err(); err != nil {
			t.Fatalf("PUBLISH: %v", err)
		}
	}
	return n
}

func TestSubscriberThatDoesNotReadIsDisconnected(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	pub := client(t, s, 2)
	pub.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 1mb 512kb 60")
	slow := stubbornConn(t, s.Addr)
	send(t, slow, string(testkit.Encode("SUBSCRIBE", "news")))
	reader := client(t, s, 2)
	ps := reader.Subscribe(ctx, "news")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	var got int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range ps.Channel(redis.WithChannelSize(1 << 16)) {
			got++
		}
	}()
	time.Sleep(100 * time.Millisecond)
	msg := strings.Repeat("m", 32<<10)
	numsub := func() int64 { return pub.PubSubNumSub(ctx, "news").Val()["news"] }
	sent := publishUntil(t, pub, "news", msg, 4000, func() bool { return numsub() < 2 })
	if numsub() != 1 {
		t.Fatalf("the stubborn subscriber is still subscribed after %d messages of 32 KiB", sent)
	}
	if !closedByServer(slow, 3*time.Second) {
		t.Fatal("the stubborn subscriber's connection is open")
	}
	// The reading subscriber got every message.
	deadline := time.Now().Add(10 * time.Second)
	for got < sent && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ps.Close()
	wg.Wait()
	if got != sent {
		t.Fatalf("the reading subscriber got %d of %d messages", got, sent)
	}
	stillServes(t, pub)
	if n, _ := strconv.Atoi(infoValue(t, pub, "stats", "client_output_buffer_limit_disconnections")); n != 1 {
		t.Fatalf("client_output_buffer_limit_disconnections = %d", n)
	}
}

func TestSoftOutputLimitAllowsABurst(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	pub := client(t, s, 2)
	// No hard limit; over 256 KiB for more than 2 seconds closes.
	pub.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 0 256kb 2")
	slow := stubbornConn(t, s.Addr)
	send(t, slow, string(testkit.Encode("SUBSCRIBE", "news")))
	time.Sleep(100 * time.Millisecond)
	msg := strings.Repeat("m", 32<<10)
	// A burst far over the soft limit: the subscriber survives it ...
	publishUntil(t, pub, "news", msg, 400, func() bool { return false })
	if n := pub.PubSubNumSub(ctx, "news").Val()["news"]; n != 1 {
		t.Fatal("the soft limit closed the subscriber at once")
	}
	// ... but not staying over the soft limit for longer than 2 seconds.
	start := time.Now()
	for pub.PubSubNumSub(ctx, "news").Val()["news"] == 1 {
		if time.Since(start) > 15*time.Second {
			t.Fatal("a subscriber over the soft limit for 15 s is still subscribed")
		}
		pub.Publish(ctx, "news", "tick")
		time.Sleep(100 * time.Millisecond)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("closed after %v, before the soft limit's seconds", time.Since(start))
	}
}

func TestNormalOutputLimitAndClientEviction(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	good := client(t, s, 2)
	good.Set(ctx, "big", strings.Repeat("v", 256<<10), 0)
	pipeline := strings.Repeat(string(testkit.Encode("GET", "big")), 200) // 50 MiB of replies
	t.Run("client-output-buffer-limit normal", func(t *testing.T) {
		good.ConfigSet(ctx, "client-output-buffer-limit", "normal 4mb 0 0")
		defer good.ConfigSet(ctx, "client-output-buffer-limit", "normal 0 0 0")
		bad := stubbornConn(t, s.Addr)
		send(t, bad, pipeline)
		if !closedByServer(bad, 5*time.Second) {
			t.Fatal("a client over the normal hard limit was not closed")
		}
		stillServes(t, good)
	})
	t.Run("maxmemory-clients", func(t *testing.T) {
		good.ConfigSet(ctx, "maxmemory-clients", "8mb")
		defer good.ConfigSet(ctx, "maxmemory-clients", "0")
		spared := stubbornConn(t, s.Addr)
		do(t, spared, "CLIENT", "NO-EVICT", "on")
		bad := stubbornConn(t, s.Addr)
		send(t, bad, pipeline)
		if !closedByServer(bad, 5*time.Second) {
			t.Fatal("the client holding the most memory was not evicted")
		}
		stillServes(t, good)
		if n := infoValue(t, good, "stats", "evicted_clients"); n != "1" {
			t.Fatalf("evicted_clients = %s", n)
		}
		if v := infoValue(t, good, "memory", "maxmemory_clients"); v != "8388608" {
			t.Fatalf("maxmemory_clients = %s", v)
		}
		// A NO-EVICT client is spared even when it is the largest.
		send(t, spared, pipeline)
		if closedByServer(spared, 2*time.Second) {
			t.Fatal("a NO-EVICT client was evicted")
		}
	})
}

func TestMaxReplySizeRefusesHugeReadReplies(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.ConfigSet(ctx, "max-reply-size", "1mb")
	big := strings.Repeat("v", 2<<20)
	if err := c.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	err := c.Get(ctx, "big").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR reply of 2097164 bytes exceeds max-reply-size (1048576 bytes)") {
		t.Fatalf("GET of 2 MiB: %v", err)
	}
	if v := c.GetRange(ctx, "big", 0, 9).Val(); v != "vvvvvvvvvv" {
		t.Fatalf("GETRANGE: %q", v)
	}
	for i := 0; i < 3000; i++ {
		c.RPush(ctx, "list", strings.Repeat("e", 500))
	}
	if err := c.LRange(ctx, "list", 0, -1).Err(); err == nil {
		t.Fatal("LRANGE of 1.5 MB was not refused")
	}
	// A write's reply is never refused: its effect would be lost.
	if v, err := c.GetDel(ctx, "big").Result(); err != nil || len(v) != len(big) {
		t.Fatalf("GETDEL: %d bytes, %v", len(v), err)
	}
	if n := infoValue(t, c, "stats", "max_reply_size_rejections"); n != "2" {
		t.Fatalf("max_reply_size_rejections = %s", n)
	}
}
