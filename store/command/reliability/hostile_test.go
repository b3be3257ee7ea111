package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// fuzzCommands are the commands the network fuzzer builds frames from:
// everything on main but what would end the test on purpose (SHUTDOWN,
// FLUSHALL/FLUSHDB/SWAPDB would take the well-behaved client's keys, CONFIG SET
// requirepass would lock it out, CLIENT KILL/PAUSE, DEBUG).
var fuzzCommands = strings.Fields(`GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT
MGET MSET MSETNX SETRANGE GETRANGE SUBSTR LCS DEL UNLINK EXISTS TYPE TTL PTTL EXPIRE PEXPIRE EXPIREAT PERSIST RENAME RENAMENX
COPY MOVE KEYS SCAN RANDOMKEY DBSIZE SELECT OBJECT TOUCH EXPIRETIME SORT
LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LRANGE LINDEX LSET LLEN LREM LTRIM LINSERT LPOS LMOVE LMPOP RPOPLPUSH BLPOP BRPOP BLMOVE BLMPOP
HSET HSETNX HGET HMGET HMSET HDEL HLEN HEXISTS HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HSCAN HRANDFIELD HSTRLEN
SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SINTERCARD SSCAN
ZADD ZREM ZSCORE ZMSCORE ZINCRBY ZCARD ZCOUNT ZRANGE ZRANGEBYSCORE ZREVRANGE ZRANK ZREVRANK ZPOPMIN ZPOPMAX BZPOPMIN ZRANGESTORE
ZUNIONSTORE ZINTERSTORE ZDIFF ZUNION ZINTER ZLEXCOUNT ZRANGEBYLEX ZREMRANGEBYSCORE ZREMRANGEBYRANK ZRANDMEMBER ZSCAN ZMPOP
JSON.SET JSON.GET JSON.DEL JSON.MGET JSON.TYPE JSON.NUMINCRBY JSON.STRAPPEND JSON.STRLEN JSON.ARRAPPEND JSON.ARRLEN JSON.ARRPOP
JSON.ARRINSERT JSON.ARRINDEX JSON.ARRTRIM JSON.OBJKEYS JSON.OBJLEN JSON.TOGGLE JSON.CLEAR JSON.RESP JSON.DEBUG JSON.FORGET JSON.MSET
MULTI EXEC DISCARD WATCH UNWATCH SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB
PING ECHO HELLO AUTH CLIENT INFO TIME COMMAND CONFIG LASTSAVE RESET QUIT SLOWLOG
SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO PFADD PFCOUNT PFMERGE
EVAL EVALSHA EVAL_RO SCRIPT FCALL FUNCTION MEMORY`)

// fuzzArg returns a random argument: small keys, numbers at the edges,
// glob patterns, JSON, binary junk.
func fuzzArg(r *rand.Rand) string {
	switch r.IntN(14) {
	case 0, 1, 2:
		return "fz" + strconv.Itoa(r.IntN(8))
	case 3:
		return strconv.Itoa(r.IntN(200) - 100)
	case 4:
		return []string{"9223372036854775807", "-9223372036854775808", "18446744073709551616", "1e308", "-inf", "+inf", "nan", "0x10", "", " 1", "1.5", "-0"}[r.IntN(12)]
	case 5:
		return []string{"*", "fz*", "[a-", "\\", "?*[]", "{", "$", "$..a", "$.a[999999999]", ".", "$[-1]"}[r.IntN(11)]
	case 6:
		return []string{`{"a":1}`, `[1,2,3]`, `"s"`, `{"a":[{"b":null}]}`, `{`, `[[[[[[[[[[`, `1e999`, `"\u0000"`}[r.IntN(8)]
	case 7:
		return []string{"EX", "PX", "NX", "XX", "GT", "LT", "KEEPTTL", "GET", "WITHSCORES", "LIMIT", "COUNT", "MATCH", "TYPE", "BYSCORE", "BYLEX", "REV", "LEFT", "RIGHT", "BEFORE", "AFTER", "STORE", "IDLETIME", "LEN"}[r.IntN(23)]
	case 8:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	case 9:
		return strings.Repeat("x", r.IntN(5000))
	default:
		return "m" + strconv.Itoa(r.IntN(20))
	}
}

// fuzzFrame returns one frame: a well-formed command with random
// arguments, the same mutated, an inline command, or raw junk.
func fuzzFrame(r *rand.Rand) []byte {
	name := fuzzCommands[r.IntN(len(fuzzCommands))]
	args := []string{name}
	if name == "CLIENT" || name == "CONFIG" || name == "COMMAND" || name == "OBJECT" || name == "PUBSUB" || name == "SLOWLOG" || name == "JSON.DEBUG" || name == "SCRIPT" || name == "FUNCTION" || name == "MEMORY" {
		args = append(args, []string{"LIST", "INFO", "GETNAME", "SETNAME", "ID", "GET", "COUNT", "DOCS", "ENCODING", "CHANNELS", "NUMSUB", "HELP", "MEMORY", "LEN", "NO-EVICT", "LOAD", "EXISTS", "USAGE", "STATS", "DUMP"}[r.IntN(20)])
	}
	if name == "EVAL" || name == "EVAL_RO" {
		// A script: a real one over the fuzz keys, or junk Lua; keys and
		// arguments follow.
		args = append(args[:1], []string{"return redis.call('INCR', KEYS[1])", "return {1, 'a', {2}}", "return redis.call('GET', KEYS[1])",
			"redis.call('SET', KEYS[1], ARGV[1]) return redis.status_reply('OK')", "return cjson.encode({a=1})", "error('x')", "return 1 +", fuzzArg(r)}[r.IntN(8)],
			[]string{"0", "1", "2", "-1", "99999999999"}[r.IntN(5)])
	}
	for n := r.IntN(7); n > 0; n-- {
		args = append(args, fuzzArg(r))
	}
	if name == "BLPOP" || name == "BRPOP" || name == "BLMOVE" || name == "BLMPOP" || name == "BZPOPMIN" {
		args = append(args, "0.01")
	}
	frame := testkit.Encode(args...)
	switch r.IntN(10) {
	case 0, 1, 2: // mutate
		m := append([]byte(nil), frame...)
		for k := 1 + r.IntN(4); k > 0 && len(m) > 0; k-- {
			i := r.IntN(len(m))
			switch r.IntN(4) {
			case 0:
				m[i] = byte(r.IntN(256))
			case 1:
				m = append(m[:i], m[i+1:]...)
			case 2:
				const ins = "*$:+-\r\n0123456789"
				m = append(m[:i], append([]byte{ins[r.IntN(len(ins))]}, m[i:]...)...)
			case 3:
				m = m[:i]
			}
		}
		return m
	case 3: // inline
		return []byte(strings.Join([]string{name, fuzzArg(r), `"quoted \x41 arg"`, "'single'"}, " ") + "\r\n")
	case 4: // headers at the edges
		return []byte([]string{"*2147483647\r\n", "*-1\r\n", "$-1\r\n", "*1\r\n$536870913\r\n", "*1\r\n$-5\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$99999999\r\nabc", "*0\r\n", "\r\n\r\n", "*1\r\n*1\r\n", "%1\r\n"}[r.IntN(10)])
	case 5: // junk
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	return frame
}

// goodLoad runs the mixed workload of the crash loop from a few workers
// (their replies are checked as they come) until ctx ends, then verifies
// every key; the server must stay correct next to hostile clients.
func goodLoad(t *testing.T, s *testkit.Server, ctx context.Context, n, base int) (*harness, func()) {
	h := &harness{t: t, s: s}
	sharedAcked.Store(0)
	sharedSent.Store(0)
	for i := 0; i < n; i++ {
		h.workers = append(h.workers, newWorker(h, base+i))
	}
	wait := h.runWorkers(ctx)
	return h, func() {
		wait()
		if s.Exited() {
			t.Fatalf("server exited:\n%s", tail(s.Logs()))
		}
		h.verify()
		if h.cnt.ops.Load() == 0 {
			t.Errorf("the well-behaved client got nothing done")
		}
	}
}

// sampler records the server's RSS and descriptors once a period.
type sampler struct {
	mu      sync.Mutex
	maxRSS  int64
	maxFDs  int
	samples []string
}

func sample(ctx context.Context, pid int, every time.Duration, sm *sampler) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rss, fds := procStat(pid)
			sm.mu.Lock()
			sm.maxRSS = max(sm.maxRSS, rss)
			sm.maxFDs = max(sm.maxFDs, fds)
			sm.mu.Unlock()
		}
	}
}

// TestHostileFuzzNet sends random and mutated RESP frames over many
// connections (RELIABILITY_FUZZ_DURATION, 20 s by default; make fuzznet
// runs minutes) while a well-behaved client checks its answers: the server
// never crashes, its RSS stays bounded, the good client's data is exact.
func TestHostileFuzzNet(t *testing.T) {
	skipShort(t)
	dur := envDur("RELIABILITY_FUZZ_DURATION", 20*time.Second)
	conns := envInt("RELIABILITY_FUZZ_CONNS", 32)
	s := testkit.Start(t, "--loglevel", "notice")
	pid := serverPID(t, s.Addr)
	rss0, _ := procStat(pid)
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	sm := &sampler{}
	go sample(ctx, pid, 200*time.Millisecond, sm)
	fz := startFuzzers(ctx, s, conns)
	gctx, gcancel := context.WithTimeout(context.Background(), dur)
	defer gcancel()
	h, finish := goodLoad(t, s, gctx, 4, 500)
	fz.wait()
	finish()
	if s.Exited() {
		t.Fatalf("server crashed under fuzzing:\n%s", tail(s.Logs()))
	}
	for _, l := range logErrors(s.Logs()) {
		t.Errorf("server log: %s", l)
	}
	rss1, fds1 := procStat(pid)
	t.Logf("%v, %d connections: %d frames (%d MiB), %d sessions; good client %d ops, %d lost; server RSS %d → max %d → %d MiB, fds max %d now %d",
		dur, conns, fz.frames.Load(), fz.bytes.Load()>>20, fz.sessions.Load(), h.cnt.ops.Load(), h.cnt.lost.Load(), rss0>>20, sm.maxRSS>>20, rss1>>20, sm.maxFDs, fds1)
	if sm.maxRSS > 2<<30 {
		t.Errorf("server RSS reached %d MiB under fuzzing", sm.maxRSS>>20)
	}
	record(t, "fuzznet", map[string]any{"seconds": dur.Seconds(), "conns": conns, "frames": fz.frames.Load(), "sessions": fz.sessions.Load(),
		"good_ops": h.cnt.ops.Load(), "lost": h.cnt.lost.Load(), "rss_start_mib": rss0 >> 20, "rss_max_mib": sm.maxRSS >> 20, "rss_end_mib": rss1 >> 20, "fds_max": sm.maxFDs})
}

// TestHostileSlowloris opens connections that send a command one byte a
// second: the server keeps serving a well-behaved client at normal speed,
// and the slow commands complete correctly.
func TestHostileSlowloris(t *testing.T) {
	skipShort(t)
	dur := envDur("RELIABILITY_SLOWLORIS_DURATION", 6*time.Second)
	const slow = 200
	s := testkit.Start(t, "--loglevel", "notice")
	pid := serverPID(t, s.Addr)
	// One byte a second: an inline PING (6 s) in the short run, a whole
	// RESP SET (33 bytes, 33 s) when RELIABILITY_SLOWLORIS_DURATION >= 30s.
	cmd, want := []byte("PING\r\n"), "+PONG\r\n"
	if dur >= 30*time.Second {
		cmd, want = testkit.Encode("SET", "slow", strings.Repeat("z", 4)), "+OK\r\n"
	}
	const per = time.Second
	slowDone := make(chan struct{})
	var done, good atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < slow; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			for _, b := range cmd {
				if _, err := c.Write([]byte{b}); err != nil {
					t.Errorf("slow write: %v", err)
					return
				}
				time.Sleep(per)
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != want {
				t.Errorf("slow command's reply %q, %v; want %q", line, err, want)
				return
			}
			done.Add(1)
		}()
	}
	c := newClient(s.Addr, 5*time.Second)
	defer c.Close()
	var worst time.Duration
	ctx := context.Background()
	go func() { wg.Wait(); close(slowDone) }()
	for running := true; running; {
		select {
		case <-slowDone:
			running = false
		default:
		}
		t0 := time.Now()
		k := "good" + strconv.Itoa(int(good.Load()))
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("good SET next to slowloris clients: %v", err)
		}
		if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
			t.Fatalf("good GET = %q, %v", v, err)
		}
		worst = max(worst, time.Since(t0))
		good.Add(1)
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	rss, fds := procStat(pid)
	t.Logf("%d slowloris clients (one byte per %v): %d completed; good client %d SET+GET, worst %v; server RSS %d MiB, %d fds", slow, per, done.Load(), good.Load(), worst.Round(time.Millisecond), rss>>20, fds)
	if done.Load() != slow {
		t.Errorf("%d of %d slow commands completed", done.Load(), slow)
	}
	if worst > 2*time.Second {
		t.Errorf("good client's worst SET+GET took %v next to slowloris clients", worst)
	}
	record(t, "slowloris", map[string]any{"slow_clients": slow, "completed": done.Load(), "good_ops": good.Load(), "worst_ms": worst.Milliseconds(), "rss_mib": rss >> 20})
}

// TestHostileNonReader measures what a client that never reads its
// replies costs the server, each case on a fresh server: GETs of a 1 MiB
// value pipelined without reading, and a subscriber that never reads while
// a publisher floods it. Output buffer limits are not this harness's to
// enforce: it fails only if the server dies or stops serving others, and
// reports the growth, and the RSS and Go heap 3 s after the client is gone.
func TestHostileNonReader(t *testing.T) {
	skipShort(t)
	dur := envDur("RELIABILITY_NONREADER_DURATION", 3*time.Second)
	// The machine is shared: a server whose memory grows without bound is
	// stopped at this size (the growth is the finding).
	const rssCap = 1536 << 20
	// The value the non-reader GETs: 1 MiB in the long run, 64 KiB in the
	// short one (the growth goes on after the client is gone: keep make
	// test light on a shared machine).
	bigSize := 64 << 10
	if dur >= 10*time.Second {
		bigSize = 1 << 20
	}
	ctx := context.Background()
	type result struct {
		sent, start, max, after, heapAfter int64
		capped, worstPing                  time.Duration
	}
	run := func(t *testing.T, name string, open func(net.Conn), flood func(context.Context, string)) result {
		s := testkit.Start(t, "--loglevel", "notice")
		pid := serverPID(t, s.Addr)
		c := newClient(s.Addr, 10*time.Second)
		defer c.Close()
		if err := c.Set(ctx, "big", strings.Repeat("b", bigSize), 0).Err(); err != nil {
			t.Fatal(err)
		}
		var r result
		r.start, _ = procStat(pid)
		nc, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096) // keep the kernel from absorbing much
		}
		open(nc)
		fctx, cancel := context.WithTimeout(ctx, dur)
		defer cancel()
		var sent atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if flood != nil {
				flood(fctx, s.Addr)
				return
			}
			frame := testkit.Encode("GET", "big")
			for fctx.Err() == nil {
				_ = nc.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := nc.Write(frame); err == nil {
					sent.Add(1)
				}
			}
		}()
		t0 := time.Now()
		for fctx.Err() == nil {
			rss, _ := procStat(pid)
			r.max = max(r.max, rss)
			if rss > rssCap {
				r.capped = time.Since(t0)
				t.Logf("%s: server RSS passed %d MiB after %v: its memory is not bounded; stopping", name, rssCap>>20, r.capped.Round(time.Millisecond))
				cancel()
				break
			}
			t1 := time.Now()
			if err := c.Ping(ctx).Err(); err != nil {
				t.Errorf("%s: PING from another client: %v", name, err)
			}
			r.worstPing = max(r.worstPing, time.Since(t1))
			time.Sleep(100 * time.Millisecond)
		}
		wg.Wait()
		nc.Close()
		time.Sleep(3 * time.Second)
		r.after, _ = procStat(pid)
		r.heapAfter, _ = strconv.ParseInt(info(c, "memory", "used_memory"), 10, 64)
		r.sent = sent.Load()
		if s.Exited() {
			t.Fatalf("server died:\n%s", tail(s.Logs()))
		}
		t.Logf("%s for %v: %d requests written; server RSS %d MiB → max %d MiB; another client's worst PING %v; 3 s after the client left: RSS %d MiB, Go heap %d MiB",
			name, dur, r.sent, r.start>>20, r.max>>20, r.worstPing.Round(time.Millisecond), r.after>>20, r.heapAfter>>20)
		return r
	}
	get := run(t, fmt.Sprintf("pipelined GET of %d KiB, never read", bigSize>>10), func(net.Conn) {}, nil)
	var published atomic.Int64
	sub := run(t, "subscriber never reads, publisher floods 64 KiB messages", func(nc net.Conn) {
		_, _ = nc.Write(testkit.Encode("SUBSCRIBE", "flood"))
	}, func(fctx context.Context, addr string) {
		p := newClient(addr, 5*time.Second)
		defer p.Close()
		msg := strings.Repeat("p", 64<<10)
		for fctx.Err() == nil {
			if err := p.Publish(ctx, "flood", msg).Err(); err != nil {
				return
			}
			published.Add(1)
		}
	})
	t.Logf("published %d × 64 KiB = %d MiB to the non-reading subscriber", published.Load(), published.Load()>>4)
	record(t, "nonreader", map[string]any{"seconds": dur.Seconds(),
		"get_value_kib": bigSize >> 10, "get_requests": get.sent, "get_worst_ping_ms": get.worstPing.Milliseconds(), "sub_worst_ping_ms": sub.worstPing.Milliseconds(), "get_rss_start_mib": get.start >> 20, "get_rss_max_mib": get.max >> 20, "get_capped_ms": get.capped.Milliseconds(),
		"get_rss_after_mib": get.after >> 20, "get_heap_after_mib": get.heapAfter >> 20,
		"published_mib": published.Load() >> 4, "sub_rss_start_mib": sub.start >> 20, "sub_rss_max_mib": sub.max >> 20, "sub_capped_ms": sub.capped.Milliseconds(),
		"sub_rss_after_mib": sub.after >> 20, "sub_heap_after_mib": sub.heapAfter >> 20})
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// TestHostileTenThousandConnections holds 10 000 connections open (each
// answered a PING), raising the server's descriptor limit with prlimit,
// while a well-behaved client works; then closes them and checks the
// server's descriptors come back down.
func TestHostileTenThousandConnections(t *testing.T) {
	const n = 10000
	// This process needs n descriptors, and the server inherits the limit
	// set here (an explicit Setrlimit is what children get); root may raise
	// the hard limit too. prlimit below raises the server's own besides.
	var lim syscall.Rlimit
	// (Always set it: Go raises its own soft limit at start but restores the
	// original for the processes it starts unless the limit was set.)
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		want := syscall.Rlimit{Cur: max(lim.Cur, n+2000), Max: max(lim.Max, n+2000)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			t.Skipf("RLIMIT_NOFILE is %d/%d and cannot be raised to %d: %v", lim.Cur, lim.Max, n+2000, err)
		}
	}
	s := testkit.Start(t, "--loglevel", "notice", "--maxclients", strconv.Itoa(n+100))
	pid := serverPID(t, s.Addr)
	if out, err := exec.Command("prlimit", "--pid", strconv.Itoa(pid), "--nofile="+strconv.Itoa(n+2000)+":"+strconv.Itoa(n+2000)).CombinedOutput(); err != nil {
		t.Logf("prlimit: %v %s (keeping the inherited limit)", err, out)
	}
	rss0, fds0 := procStat(pid)
	ctx, cancel := context.WithCancel(context.Background())
	h, finish := goodLoad(t, s, ctx, 2, 600)
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	t0 := time.Now()
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += 50 {
				c, err := net.DialTimeout("tcp", s.Addr, 10*time.Second)
				if err == nil {
					_ = c.SetDeadline(time.Now().Add(20 * time.Second))
					_, err = c.Write([]byte("PING\r\n"))
					if err == nil {
						var line string
						line, err = bufio.NewReader(c).ReadString('\n')
						if err == nil && line != "+PONG\r\n" {
							err = fmt.Errorf("reply %q", line)
						}
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					if c != nil {
						c.Close()
					}
					continue
				}
				conns[i] = c
			}
		}(g)
	}
	wg.Wait()
	opened := time.Since(t0)
	rss1, fds1 := procStat(pid)
	cc := newClient(s.Addr, 10*time.Second)
	clients := info(cc, "clients", "connected_clients")
	cc.Close()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	var fds2 int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if _, fds2 = procStat(pid); fds2 < fds0+50 {
			break
		}
	}
	cancel()
	finish()
	t.Logf("%d connections in %v (%d failed, first: %v); connected_clients %s; server RSS %d → %d MiB, fds %d → %d → %d after closing; good client %d ops, %d lost",
		n, opened.Round(time.Millisecond), failed.Load(), firstErr.Load(), clients, rss0>>20, rss1>>20, fds0, fds1, fds2, h.cnt.ops.Load(), h.cnt.lost.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d connections failed (first: %v)", failed.Load(), n, firstErr.Load())
	}
	if fds2 >= fds0+50 {
		t.Errorf("server descriptors %d after closing every connection (%d before)", fds2, fds0)
	}
	record(t, "connections", map[string]any{"conns": n, "failed": failed.Load(), "open_ms": opened.Milliseconds(), "rss_before_mib": rss0 >> 20, "rss_open_mib": rss1 >> 20,
		"fds_before": fds0, "fds_open": fds1, "fds_after": fds2, "good_ops": h.cnt.ops.Load(), "lost": h.cnt.lost.Load()})
}

// fuzzers are connections sending fuzzFrame until ctx ends, reconnecting
// after a random number of frames.
type fuzzers struct {
	frames, bytes, sessions atomic.Int64
	wg                      sync.WaitGroup
}

func (f *fuzzers) wait() { f.wg.Wait() }

func startFuzzers(ctx context.Context, s *testkit.Server, conns int) *fuzzers {
	f := &fuzzers{}
	for i := 0; i < conns; i++ {
		f.wg.Add(1)
		go func(i int) {
			defer f.wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				c, err := net.DialTimeout("tcp", s.Addr, 2*time.Second)
				if err != nil {
					if s.Exited() {
						return
					}
					time.Sleep(10 * time.Millisecond)
					continue
				}
				f.sessions.Add(1)
				go io.Copy(io.Discard, c) // drain replies
				for k := r.IntN(200); k > 0 && ctx.Err() == nil; k-- {
					fr := fuzzFrame(r)
					_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
					if _, err := c.Write(fr); err != nil {
						break
					}
					f.frames.Add(1)
					f.bytes.Add(int64(len(fr)))
				}
				c.Close()
			}
		}(i)
	}
	return f
}
