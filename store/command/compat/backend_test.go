package compat

// Network backend tests: the edge cases of moving bytes, run over both
// backends (io_uring and gnet's epoll) against the real binary. The rest of
// the suite runs over whichever $DISKDB_IO names (make test runs it on
// both).

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
	"github.com/diskdb/diskdb/uring"
)

var backends = []string{"uring", "epoll"}

// TestMain says once, whatever the verbosity, when DISKDB_IO=uring asks for
// a backend this kernel refuses: every test that starts a server is then
// skipped (testkit), not passed.
func TestMain(m *testing.M) {
	if os.Getenv("DISKDB_IO") == "uring" {
		if err := uring.Probe(); err != nil {
			fmt.Printf("compat: DISKDB_IO=uring: %v: the tests that start a server are SKIPPED\n", err)
		}
	}
	os.Exit(m.Run())
}

// eachBackend runs f once per backend, or only on $DISKDB_IO's when it names
// one (make test runs the package once per backend). The io_uring run is
// skipped, saying why, where the kernel refuses io_uring.
func eachBackend(t *testing.T, f func(t *testing.T, start func(args ...string) *testkit.Server)) {
	for _, io := range backends {
		if env := os.Getenv("DISKDB_IO"); (env == "uring" || env == "epoll") && env != io {
			continue
		}
		t.Run(io, func(t *testing.T) {
			f(t, func(args ...string) *testkit.Server {
				return testkit.Start(t, append([]string{"--io", io}, args...)...)
			})
		})
	}
}

func mustDo(t *testing.T, c *testkit.Conn, args ...string) string {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(r)
}

// infoField returns one field of INFO's reply.
func rawInfoField(t *testing.T, c *testkit.Conn, section, field string) string {
	t.Helper()
	for _, line := range strings.Split(mustDo(t, c, "INFO", section), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

// waitClients waits until INFO reports n connected clients.
func waitClients(t *testing.T, c *testkit.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = rawInfoField(t, c, "clients", "connected_clients"); got == strconv.Itoa(n) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("connected_clients = %s, want %d", got, n)
}

func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("cannot count the server's descriptors: %v", err)
	}
	return len(ents)
}

// rssKiB returns the server's resident set size.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("cannot read the server's memory use: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/<pid>/status")
	return 0
}

func TestINFOReportsTheIOBackend(t *testing.T) {
	want := map[string]string{"uring": "io_uring", "epoll": "epoll"}
	for _, io := range backends {
		t.Run(io, func(t *testing.T) {
			s := testkit.Start(t, "--io", io)
			if got := rawInfoField(t, s.Raw(), "server", "io_backend"); got != want[io] {
				t.Fatalf("io_backend = %q, want %q", got, want[io])
			}
		})
	}
}

func TestIOAutoPicksIOUringWhereTheKernelAllows(t *testing.T) {
	want := "io_uring"
	if err := uring.Probe(); err != nil {
		want = "epoll"
	}
	s := testkit.Start(t, "--io", "auto")
	if got := rawInfoField(t, s.Raw(), "server", "io_backend"); got != want {
		t.Fatalf("--io auto serves with %q, want %q", got, want)
	}
}

func TestLoopPinPinsEachReactorThread(t *testing.T) {
	s := testkit.Start(t, "--io", "uring", "--loops", "2", "--loop-pin", "yes")
	if got := mustDo(t, s.Raw(), "PING"); got != "+PONG\r\n" {
		t.Fatalf("PING with pinned reactors: %q", got)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", s.PID()))
	if err != nil {
		t.Skipf("cannot list the server's threads: %v", err)
	}
	pinned := 0
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", s.PID(), task.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				if _, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					pinned++
				}
			}
		}
	}
	if pinned < 2 {
		t.Fatalf("%d threads are pinned to one CPU, want the 2 reactors", pinned)
	}
}

func TestClientSendingOneByteAtATime(t *testing.T) {
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start()
		c := s.Raw()
		req := string(testkit.Encode("SET", "k", "hello world")) + "PING\r\n" +
			string(testkit.Encode("APPEND", "k", "!")) + string(testkit.Encode("GET", "k"))
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		for i := 0; i < len(req); i++ {
			if _, err := c.Write([]byte{req[i]}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond) // one segment, one read each
		}
		want := []string{"+OK\r\n", "+PONG\r\n", ":12\r\n", "$12\r\nhello world!\r\n"}
		for _, w := range want {
			got, err := c.ReadReply()
			if err != nil || string(got) != w {
				t.Fatalf("reply %q, %v; want %q", got, err, w)
			}
		}
	})
}

func TestTenThousandIdleConnections(t *testing.T) {
	const n = 10000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur < n+500 {
		want := uint64(n + 1000)
		if lim.Max < want {
			t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d descriptors this test needs", lim.Max, want)
		}
		old := lim
		lim.Cur = want
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("cannot raise RLIMIT_NOFILE to %d: %v", want, err)
		}
		t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	}
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start("--maxclients", strconv.Itoa(n+10))
		ctl := s.Raw()
		conns := make([]net.Conn, 0, n)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < n; i++ {
			c, err := net.DialTimeout("tcp", s.Addr, 10*time.Second)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		waitClients(t, ctl, n+1)
		if got := mustDo(t, ctl, "SET", "still", "serving"); got != "+OK\r\n" {
			t.Fatalf("SET with %d idle connections: %q", n, got)
		}
		// Every hundredth idle connection still answers.
		for i := 0; i < n; i += 100 {
			c := conns[i]
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(testkit.Encode("GET", "still")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			m, err := io.ReadAtLeast(c, buf, len("$7\r\nserving\r\n"))
			if err != nil || string(buf[:m]) != "$7\r\nserving\r\n" {
				t.Fatalf("idle connection %d: %q, %v", i, buf[:m], err)
			}
		}
		for _, c := range conns {
			c.Close()
		}
		conns = conns[:0]
		waitClients(t, ctl, 1)
	})
}

func TestPipelineLargerThanOneReceiveBuffer(t *testing.T) {
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start()
		c := s.Raw()
		const n = 20000
		var req bytes.Buffer
		for i := 0; i < n; i++ {
			req.Write(testkit.Encode("SET", "key:"+strconv.Itoa(i), strings.Repeat("v", 40)+strconv.Itoa(i)))
		}
		if req.Len() < 1<<20 {
			t.Fatalf("pipeline is only %d bytes", req.Len())
		}
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		werr := make(chan error, 1)
		go func() { _, err := c.Write(req.Bytes()); werr <- err }()
		for i := 0; i < n; i++ {
			got, err := c.ReadReply()
			if err != nil || string(got) != "+OK\r\n" {
				t.Fatalf("reply %d: %q, %v", i, got, err)
			}
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		if got := mustDo(t, c, "DBSIZE"); got != ":"+strconv.Itoa(n)+"\r\n" {
			t.Fatalf("DBSIZE = %q", got)
		}
		want := strings.Repeat("v", 40) + "12345"
		if got := mustDo(t, c, "GET", "key:12345"); got != "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n" {
			t.Fatalf("GET key:12345 = %q", got)
		}
	})
}

// bigValue stores a value of n bytes at key.
func bigValue(t *testing.T, c *testkit.Conn, key string, n int) {
	t.Helper()
	if got := mustDo(t, c, "SET", key, strings.Repeat("x", n)); got != "+OK\r\n" {
		t.Fatalf("SET %s: %q", key, got)
	}
}

func TestPeerResetWhileTheServerSends(t *testing.T) {
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start()
		ctl := s.Raw()
		bigValue(t, ctl, "big", 4<<20)
		fds := fdCount(t, s.PID())
		for round := 0; round < 3; round++ {
			c, err := net.Dial("tcp", s.Addr)
			if err != nil {
				t.Fatal(err)
			}
			tc := c.(*net.TCPConn)
			_ = tc.SetReadBuffer(4096)
			var req bytes.Buffer
			for i := 0; i < 10; i++ { // 40 MiB of replies
				req.Write(testkit.Encode("GET", "big"))
			}
			if _, err := c.Write(req.Bytes()); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			if _, err := io.ReadFull(c, buf); err != nil { // the server is sending
				t.Fatal(err)
			}
			_ = tc.SetLinger(0) // close with RST
			c.Close()
		}
		waitClients(t, ctl, 1)
		if got := mustDo(t, ctl, "STRLEN", "big"); got != ":4194304\r\n" {
			t.Fatalf("STRLEN after resets: %q", got)
		}
		deadline := time.Now().Add(10 * time.Second)
		for fdCount(t, s.PID()) > fds && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := fdCount(t, s.PID()); got > fds {
			t.Fatalf("server holds %d descriptors after the resets, %d before", got, fds)
		}
	})
}

func TestShutdownWithConnectionsOpen(t *testing.T) {
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start("--loglevel", "notice")
		ctl := s.Raw()
		if got := mustDo(t, ctl, "SET", "kept", "yes"); got != "+OK\r\n" {
			t.Fatal(got)
		}
		bigValue(t, ctl, "big", 1<<20)
		var open []*testkit.Conn
		for i := 0; i < 50; i++ {
			open = append(open, s.Raw())
		}
		// One blocked in BLPOP, one not reading a large reply.
		_, _ = open[0].Write(testkit.Encode("BLPOP", "nothing", "0"))
		var req bytes.Buffer
		for i := 0; i < 64; i++ {
			req.Write(testkit.Encode("GET", "big"))
		}
		_, _ = open[1].Write(req.Bytes())
		time.Sleep(100 * time.Millisecond)
		t0 := time.Now()
		s.Stop()
		if !s.Exited() {
			t.Fatal("server still running after SIGTERM")
		}
		if d := time.Since(t0); d > 15*time.Second {
			t.Fatalf("shutdown took %v", d)
		}
		if !strings.Contains(s.Logs(), "ready to exit") {
			t.Fatalf("no clean exit in the log: %s", s.Logs())
		}
		// Idle connections see the close.
		_ = open[2].SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := open[2].R.ReadByte(); err == nil {
			t.Fatal("idle connection still open after shutdown")
		}
		s.Restart()
		if got := mustDo(t, s.Raw(), "GET", "kept"); got != "$3\r\nyes\r\n" {
			t.Fatalf("GET after restart: %q", got)
		}
	})
}

func TestMaxclientsRejectsWithAnError(t *testing.T) {
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start("--maxclients", "2")
		a := s.Raw()
		waitClients(t, a, 1) // testkit's start-up PING connection is gone
		_ = s.Raw()
		waitClients(t, a, 2)
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "-ERR max number of clients reached\r\n" {
			t.Fatalf("third client got %q, %v", got, err)
		}
		if got := mustDo(t, a, "PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	})
}

func TestConnectDisconnectCyclesLeakNothing(t *testing.T) {
	cycles := 100000
	if testing.Short() {
		cycles = 10000
	}
	eachBackend(t, func(t *testing.T, start func(...string) *testkit.Server) {
		s := start()
		ctl := s.Raw()
		pid := s.PID()
		run := func(n int) {
			const workers = 4
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					buf := make([]byte, 16)
					for i := w; i < n; i += workers {
						c, err := net.DialTimeout("tcp", s.Addr, 10*time.Second)
						if err != nil {
							errs <- fmt.Errorf("cycle %d: %w", i, err)
							return
						}
						_ = c.SetDeadline(time.Now().Add(10 * time.Second))
						// Half close from our side, half from the server's (QUIT).
						cmd, want := "PING\r\n", "+PONG\r\n"
						if i%2 == 1 {
							cmd, want = "QUIT\r\n", "+OK\r\n"
						}
						if _, err := c.Write([]byte(cmd)); err != nil {
							c.Close()
							errs <- fmt.Errorf("cycle %d: %w", i, err)
							return
						}
						m, err := io.ReadAtLeast(c, buf, len(want))
						c.Close()
						if err != nil || string(buf[:m]) != want {
							errs <- fmt.Errorf("cycle %d: %q, %v", i, buf[:m], err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			waitClients(t, ctl, 1)
		}
		run(5000) // warm up pools and tables
		fds, rss := fdCount(t, pid), rssKiB(t, pid)
		t0 := time.Now()
		run(cycles)
		elapsed := time.Since(t0)
		fds2, rss2 := fdCount(t, pid), rssKiB(t, pid)
		t.Logf("%d cycles in %v; descriptors %d -> %d; RSS %d -> %d KiB", cycles, elapsed.Round(time.Millisecond), fds, fds2, rss, rss2)
		if fds2 > fds {
			t.Fatalf("descriptors grew from %d to %d over %d cycles", fds, fds2, cycles)
		}
		if rss2-rss > 32<<10 {
			t.Fatalf("RSS grew by %d KiB over %d cycles", rss2-rss, cycles)
		}
		if got := mustDo(t, ctl, "PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	})
}

// TestSlowReaderIsNotServedUnboundedOutput checks the io_uring backend's
// back-pressure: a client that pipelines reads of a large value and does
// not read the replies makes the server stop serving it, not buffer all of
// them. (gnet buffers everything, like Redis with no output limit.)
func TestSlowReaderIsNotServedUnboundedOutput(t *testing.T) {
	s := testkit.Start(t, "--io", "uring")
	ctl := s.Raw()
	bigValue(t, ctl, "v", 256<<10)
	c := s.Raw()
	const n = 6000 // 1.5 GiB of replies
	var req bytes.Buffer
	for i := 0; i < n; i++ {
		req.Write(testkit.Encode("GET", "v"))
	}
	rss := rssKiB(t, s.PID())
	if _, err := c.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	grown := rssKiB(t, s.PID()) - rss
	t.Logf("RSS grew by %d MiB while the client did not read", grown>>10)
	if grown > 512<<10 {
		t.Fatalf("RSS grew by %d MiB for a client that reads nothing", grown>>10)
	}
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReaderSize(c, 1<<20)
	hdr := "$" + strconv.Itoa(256<<10) + "\r\n"
	body := make([]byte, 256<<10+2)
	for i := 0; i < n; i++ {
		line, err := r.ReadString('\n')
		if err != nil || line != hdr {
			t.Fatalf("reply %d: %q, %v", i, line, err)
		}
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	if got := mustDo(t, ctl, "PING"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
}
