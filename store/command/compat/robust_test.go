package compat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Robustness: hostile or careless clients must get redis-server's replies
// (protocol errors byte for byte, then the close) and must never disturb a
// well-behaved client, which keeps getting correct answers throughout.

// watchdog is a well-behaved client: it writes and reads back its own keys
// and counts, and records the first wrong or late answer.
type watchdog struct {
	ops  atomic.Int64
	err  atomic.Value // string
	stop chan struct{}
	done chan struct{}
}

func startWatchdog(t *testing.T, s *testkit.Server) *watchdog {
	t.Helper()
	w := &watchdog{stop: make(chan struct{}), done: make(chan struct{})}
	c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetries: -1})
	go func() {
		defer close(w.done)
		defer c.Close()
		ctx := context.Background()
		for i := int64(1); ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			key := "watchdog:" + strconv.FormatInt(i%64, 10)
			val := "v" + strconv.FormatInt(i, 10)
			if err := c.Set(ctx, key, val, 0).Err(); err != nil {
				w.err.CompareAndSwap(nil, fmt.Sprintf("SET #%d: %v", i, err))
				return
			}
			if got, err := c.Get(ctx, key).Result(); err != nil || got != val {
				w.err.CompareAndSwap(nil, fmt.Sprintf("GET #%d = %q, %v; want %q", i, got, err, val))
				return
			}
			if n, err := c.Incr(ctx, "watchdog:count").Result(); err != nil || n != i {
				w.err.CompareAndSwap(nil, fmt.Sprintf("INCR #%d = %d, %v", i, n, err))
				return
			}
			w.ops.Add(1)
		}
	}()
	return w
}

// healthy fails the test if the watchdog saw a wrong answer, or made no
// progress since `since` ops.
func (w *watchdog) healthy(t *testing.T, since int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.ops.Load() <= since+5 && w.err.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if e := w.err.Load(); e != nil {
		t.Fatalf("well-behaved client: %s", e)
	}
	if w.ops.Load() <= since+5 {
		t.Fatalf("well-behaved client stalled at %d operations", w.ops.Load())
	}
}

func (w *watchdog) finish(t *testing.T) {
	t.Helper()
	close(w.stop)
	<-w.done
	if e := w.err.Load(); e != nil {
		t.Fatalf("well-behaved client: %s", e)
	}
}

// exchange sends payload on a new connection and returns what the server
// sent back within quiet of silence (or until it closed).
func exchangeRaw(t *testing.T, addr string, payload []byte, quiet time.Duration) (reply []byte, closed bool) {
	t.Helper()
	c, err := testkit.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		_, _ = c.Write(payload) // the server may close before reading it all
	}()
	buf := make([]byte, 64<<10)
	for {
		_ = c.SetReadDeadline(time.Now().Add(quiet))
		n, err := c.R.Read(buf)
		reply = append(reply, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return reply, false
			}
			return reply, true // EOF or reset: the server closed
		}
	}
}

func TestRobustness(t *testing.T) {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	w := startWatchdog(t, dut)
	defer w.finish(t)

	// sameAll sends each payload to both servers (concurrently, each on a
	// new connection) and compares the raw replies and whether each server
	// closed the connection.
	sameAll := func(t *testing.T, names []string, payloads [][]byte) {
		t.Helper()
		diffs := make([]string, len(payloads))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range payloads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				want, wc := exchangeRaw(t, ref.Addr, payloads[i], 300*time.Millisecond)
				got, gc := exchangeRaw(t, dut.Addr, payloads[i], 300*time.Millisecond)
				if !bytes.Equal(want, got) || wc != gc {
					diffs[i] = fmt.Sprintf("%s (%d bytes)\n redis-server: %q closed=%v\n       diskdb: %q closed=%v",
						names[i], len(payloads[i]), clip(want), wc, clip(got), gc)
				}
			}()
		}
		wg.Wait()
		for _, d := range diffs {
			if d != "" {
				t.Error(d)
			}
		}
	}

	t.Run("protocol errors as redis-server", func(t *testing.T) {
		before := w.ops.Load()
		var names []string
		var payloads [][]byte
		for _, c := range []struct{ name, payload string }{
			{"bulk length of 1 GiB", "*1\r\n$1073741824\r\n"},
			{"bulk length over proto-max-bulk-len", "*1\r\n$536870913\r\n"},
			{"negative bulk length", "*1\r\n$-1\r\nPING\r\n"},
			{"negative bulk length -5", "*2\r\n$4\r\nECHO\r\n$-5\r\n"},
			{"negative multibulk count is skipped", "*-1\r\nPING\r\n"},
			{"multibulk count -5 is skipped", "*-5\r\n*0\r\nPING\r\n"},
			{"multibulk count not a number", "*abc\r\n"},
			{"multibulk count over 2^31", "*2147483648\r\n"},
			{"bulk length not a number", "*1\r\n$x\r\n"},
			{"bulk without $", "*1\r\nPING\r\n"},
			{"bulk longer than declared", "*2\r\n$4\r\nECHO\r\n$3\r\nabcde\r\nPING\r\n"},
			{"garbage bytes", "\x00\xff\x01garbage\r\nPING\r\n"},
			{"binary inline command", "\xde\xad\xbe\xef \x01\x02\r\nPING\r\n"},
			{"reply types as commands", ":1\r\n+OK\r\n-ERR x\r\n$5\r\nhellp\r\nPING\r\n"},
			{"unbalanced double quote", "SET \"a b\r\nPING\r\n"},
			{"unbalanced single quote", "SET 'a\r\nPING\r\n"},
			{"quote not followed by space", "SET \"a\"b c\r\nPING\r\n"},
			{"inline escapes", "ECHO \"\\x41\\n\\t\\\"q\" 'it\\'s'\r\nECHO \"\\xZZ\"\r\n"},
			{"inline line over 64 KiB", strings.Repeat("A", 70000)},
			{"multibulk count line over 64 KiB", "*" + strings.Repeat("1", 70000)},
			{"bulk count line over 64 KiB", "*1\r\n$" + strings.Repeat("1", 70000)},
			{"empty lines", "\r\n\n \r\nPING\r\n"},
		} {
			names = append(names, c.name)
			payloads = append(payloads, []byte(c.payload))
		}
		sameAll(t, names, payloads)
		w.healthy(t, before)
	})

	t.Run("random garbage as redis-server", func(t *testing.T) {
		before := w.ops.Load()
		var names []string
		var payloads [][]byte
		for seed := int64(0); seed < 80; seed++ {
			names = append(names, "seed "+strconv.FormatInt(seed, 10))
			payloads = append(payloads, garbage(seed))
		}
		sameAll(t, names, payloads)
		w.healthy(t, before)
	})

	t.Run("command with 1000000 arguments", func(t *testing.T) {
		before := w.ops.Load()
		var b bytes.Buffer
		const n = 1000000
		fmt.Fprintf(&b, "*%d\r\n$3\r\nDEL\r\n", n+1)
		for i := 0; i < n; i++ {
			k := "k" + strconv.Itoa(i)
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(k), k)
		}
		b.WriteString("PING\r\n")
		for _, s := range []*testkit.Server{ref, dut} {
			c := s.Raw()
			start := time.Now()
			send(t, c, b.String())
			if got := readUntil(t, c, "+PONG\r\n"); string(got) != ":0\r\n+PONG\r\n" {
				t.Fatalf("%s: DEL with %d keys replied %q", s.Addr, n, got)
			}
			t.Logf("%s: DEL of %d keys in %v", s.Addr, n, time.Since(start))
		}
		// Some of the keys exist: the count is exact.
		c := dut.Raw()
		for _, k := range []string{"k0", "k500000", "k999999"} {
			do(t, c, "SET", k, "x")
		}
		send(t, c, b.String())
		if got := readUntil(t, c, "+PONG\r\n"); string(got) != ":3\r\n+PONG\r\n" {
			t.Fatalf("DEL with 3 existing keys replied %q", got)
		}
		w.healthy(t, before)
	})

	t.Run("client that disconnects mid-batch", func(t *testing.T) {
		before := w.ops.Load()
		var b bytes.Buffer
		for i := 0; i < 10000; i++ {
			b.Write(testkit.Encode("SET", "gone:"+strconv.Itoa(i), strconv.Itoa(i)))
		}
		for round := 0; round < 5; round++ {
			c, err := testkit.Dial(dut.Addr)
			if err != nil {
				t.Fatal(err)
			}
			if tc, ok := c.Conn.(*net.TCPConn); ok && round%2 == 1 {
				_ = tc.SetLinger(0) // close with a reset
			}
			_, _ = c.Write(b.Bytes())
			c.Close()
		}
		// The server stays consistent: every key it stored has its value.
		time.Sleep(300 * time.Millisecond)
		ctx := context.Background()
		cl := client(t, dut, 2)
		for i := 0; i < 10000; i += 997 {
			k := "gone:" + strconv.Itoa(i)
			v, err := cl.Get(ctx, k).Result()
			if err != nil && err != redis.Nil {
				t.Fatalf("GET %s: %v", k, err)
			}
			if err == nil && v != strconv.Itoa(i) {
				t.Fatalf("GET %s = %q", k, v)
			}
		}
		w.healthy(t, before)
	})

	t.Run("pipeline of 1000 commands replies in order", func(t *testing.T) {
		before := w.ops.Load()
		var b bytes.Buffer
		for i := 0; i < 1000; i++ {
			k := "pipe:" + strconv.Itoa(i%37)
			switch i % 5 {
			case 0:
				b.Write(testkit.Encode("SET", k, strconv.Itoa(i)))
			case 1:
				b.Write(testkit.Encode("GET", k))
			case 2:
				b.Write(testkit.Encode("INCR", "pipe:n"))
			case 3:
				b.Write(testkit.Encode("ECHO", strconv.Itoa(i)))
			case 4:
				b.Write(testkit.Encode("MGET", k, "pipe:n", "pipe:none"))
			}
		}
		b.WriteString("ECHO __end__\r\n")
		var outs [2][]byte
		for i, s := range []*testkit.Server{ref, dut} {
			c := s.Raw()
			send(t, c, b.String())
			outs[i] = readUntil(t, c, "$7\r\n__end__\r\n")
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Fatalf("pipeline replies differ\n redis-server: %q\n       diskdb: %q", clip(outs[0]), clip(outs[1]))
		}
		if n := bytes.Count(outs[1], []byte("\r\n$")); n < 1000 {
			t.Fatalf("pipeline: only %d replies", n)
		}
		w.healthy(t, before)
	})

	t.Run("200 concurrent clients INCR one key exactly", func(t *testing.T) {
		before := w.ops.Load()
		ctx := context.Background()
		const clients, each = 200, 25
		var wg sync.WaitGroup
		var failed atomic.Int64
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: dut.Addr, PoolSize: 1, DisableIdentity: true})
				defer c.Close()
				for j := 0; j < each; j++ {
					if err := c.Incr(ctx, "robust:counter").Err(); err != nil {
						failed.Add(1)
						return
					}
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d clients failed", failed.Load())
		}
		c := client(t, dut, 2)
		if n, err := c.Get(ctx, "robust:counter").Int(); err != nil || n != clients*each {
			t.Fatalf("counter = %d, %v; want %d", n, err, clients*each)
		}
		w.healthy(t, before)
	})
}

// garbage returns a reproducible hostile payload: random bytes, or RESP-
// looking noise, sometimes behind a valid command prefix.
func garbage(seed int64) []byte {
	r := rand.New(rand.NewSource(seed))
	sizes := []int{10, 100, 1000, 5000, 70000}
	n := sizes[r.Intn(len(sizes))]
	alphabet := []byte("ab *$:\r\n\"'\\x0123-")
	if seed%2 == 0 {
		alphabet = make([]byte, 256)
		for i := range alphabet {
			alphabet[i] = byte(i)
		}
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	switch seed % 4 {
	case 1:
		b = append([]byte("*"), b...)
	case 2:
		b = append([]byte("*2\r\n$3\r\nGET\r\n"), b...)
	case 3:
		b = append([]byte("*3\r\n$3\r\nSET\r\n$"), b...)
	}
	return b
}

func clip(b []byte) []byte {
	if len(b) > 300 {
		return append(append([]byte(nil), b[:300]...), "..."...)
	}
	return b
}
