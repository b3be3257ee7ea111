//go:build linux

package uring

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/pawelgaczynski/giouring"

	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/store/command"
	"github.com/diskdb/diskdb/store/command/testkit"
)

// start runs the backend in this process over a real engine in a temporary
// directory, on a free loopback port.
func start(t *testing.T, opts Options) (*Server, *command.Server, string) {
	t.Helper()
	if err := Probe(); err != nil {
		t.Skipf("io_uring backend cannot run here: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := store.Open(store.Options{Dir: t.TempDir(), Shards: 2, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cmd := command.NewServer(eng, command.NewConfig(), log)
	addr := "127.0.0.1:" + strconv.Itoa(testkit.FreePort(t))
	opts.Addrs = []string{addr}
	opts.Logger = log
	s := New(opts, cmd)
	if err := s.Start(); err != nil {
		eng.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.CloseAll()
		if err := stop(t, s, 10*time.Second); err != nil { // no-op when the test stopped it
			t.Errorf("Stop: %v", err)
		}
		eng.Close()
	})
	return s, cmd, addr
}

func stop(t *testing.T, s *Server, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Stop(ctx)
}

func dial(t *testing.T, addr string) *testkit.Conn {
	t.Helper()
	c, err := testkit.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUserDataRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		op      uint64
		gen, id uint32
	}{{opRecv, 0, 0}, {opSend, genMask, 1<<32 - 1}, {opTimer, 12345, 678}} {
		op, gen, id := splitUserData(userData(tc.op, tc.gen, tc.id))
		if op != tc.op || gen != tc.gen || id != tc.id {
			t.Fatalf("round trip of %v = %d %d %d", tc, op, gen, id)
		}
	}
	if _, gen, _ := splitUserData(userData(opRecv, genMask+1, 0)); gen != 0 {
		t.Fatalf("generation wraps to %d, want 0", gen)
	}
}

// pipelineClients has n clients each send a pipeline of SETs in one write
// and check every reply, then read the keys back.
func pipelineClients(t *testing.T, addr string, n, cmds int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := testkit.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(60 * time.Second))
			var req bytes.Buffer
			for j := 0; j < cmds; j++ {
				req.Write(testkit.Encode("SET", "c"+strconv.Itoa(i)+":"+strconv.Itoa(j), strings.Repeat("x", 100)))
			}
			go func() { _, _ = c.Write(req.Bytes()) }()
			for j := 0; j < cmds; j++ {
				r, err := c.ReadReply()
				if err != nil || string(r) != "+OK\r\n" {
					errs <- errors.New("client " + strconv.Itoa(i) + " reply " + strconv.Itoa(j) + ": " + string(r))
					return
				}
			}
			r, err := c.Do("GET", "c"+strconv.Itoa(i)+":"+strconv.Itoa(cmds-1))
			if err != nil || string(r) != "$100\r\n"+strings.Repeat("x", 100)+"\r\n" {
				errs <- errors.New("GET: " + string(r))
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// The path of kernels before 6.0: one receive at a time, re-armed after
// each completion.
func TestSingleShotReceive(t *testing.T) {
	s, _, addr := start(t, Options{Loops: 2, SingleShot: true, Bufs: 8, BufSize: 1024})
	pipelineClients(t, addr, 20, 2000)
	if s.loops[0].feat.multishotRecv {
		t.Fatal("SingleShot left multishot receive on")
	}
}

// Two small buffers for twenty clients: multishot receives end with
// ENOBUFS and must be armed again without losing or reordering bytes.
func TestReceiveBuffersRunningOut(t *testing.T) {
	s, _, addr := start(t, Options{Loops: 1, Bufs: 2, BufSize: 256})
	pipelineClients(t, addr, 20, 2000)
	if err := stop(t, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := s.loops[0].nobufs; n == 0 {
		t.Fatal("the buffers never ran out")
	} else {
		t.Logf("%d receives found no buffer", n)
	}
}

// With tiny limits, a pipeline of large replies pauses reading and holds
// wake-ups; everything still arrives, in order.
func TestBackPressurePausesAndResumes(t *testing.T) {
	s, _, addr := start(t, Options{Loops: 1, OutLimit: 256 << 10, InLimit: 64 << 10})
	c := dial(t, addr)
	val := strings.Repeat("v", 64<<10)
	if r, err := c.Do("SET", "big", val); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("SET: %q %v", r, err)
	}
	const n = 2000
	var req bytes.Buffer
	for i := 0; i < n; i++ {
		req.Write(testkit.Encode("GET", "big"))
		req.Write(testkit.Encode("INCR", "n"))
	}
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	go func() { _, _ = c.Write(req.Bytes()) }()
	time.Sleep(300 * time.Millisecond) // let the output pile up
	want := "$" + strconv.Itoa(len(val)) + "\r\n" + val + "\r\n"
	for i := 0; i < n; i++ {
		r, err := c.ReadReply()
		if err != nil || string(r) != want {
			t.Fatalf("GET %d: %d bytes, %v", i, len(r), err)
		}
		r, err = c.ReadReply()
		if err != nil || string(r) != ":"+strconv.Itoa(i+1)+"\r\n" {
			t.Fatalf("INCR %d: %q, %v", i, r, err)
		}
	}
	if err := stop(t, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	l := s.loops[0]
	t.Logf("pauses %d, held wake-ups %d", l.pauses, l.held)
	if l.pauses == 0 || l.held == 0 {
		t.Fatalf("back-pressure never engaged: pauses %d, held %d", l.pauses, l.held)
	}
}

// Stop gives up waiting for a client that reads nothing when its context
// ends, and still closes everything.
func TestStopClosesAStuckConnection(t *testing.T) {
	s, cmd, addr := start(t, Options{Loops: 2})
	c := dial(t, addr)
	if r, err := c.Do("SET", "big", strings.Repeat("v", 1<<20)); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("SET: %q %v", r, err)
	}
	var req bytes.Buffer
	for i := 0; i < 64; i++ {
		req.Write(testkit.Encode("GET", "big"))
	}
	if _, err := c.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	idle := dial(t, addr)
	if r, err := idle.Do("PING"); err != nil || string(r) != "+PONG\r\n" {
		t.Fatalf("PING: %q %v", r, err)
	}
	if _, err := io.ReadFull(c.R, make([]byte, 64<<10)); err != nil { // the replies are on their way
		t.Fatal(err)
	}
	cmd.CloseAll()
	t0 := time.Now()
	err := stop(t, s, 500*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the context's deadline (the client reads nothing)", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("Stop took %v", d)
	}
	if n := cmd.ClientCount(); n != 0 {
		t.Fatalf("%d clients left after Stop", n)
	}
	_ = idle.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.R.ReadByte(); err == nil {
		t.Fatal("idle connection open after Stop")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still listening after Stop")
	}
}

func TestRingViewMatchesGiouring(t *testing.T) {
	if err := Probe(); err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	if a, b := unsafe.Sizeof(ringView{}), unsafe.Sizeof(giouring.Ring{}); a != b {
		t.Fatalf("ringView is %d bytes, giouring.Ring %d", a, b)
	}
	if a, b := unsafe.Sizeof(sqView{}), unsafe.Sizeof(giouring.SubmissionQueue{}); a != b {
		t.Fatalf("sqView is %d bytes, giouring.SubmissionQueue %d", a, b)
	}
	ring := giouring.NewRing()
	if err := ring.QueueInit(8, 0); err != nil {
		t.Fatal(err)
	}
	defer ring.QueueExit()
	v := viewOf(ring)
	if v.ringFd != ring.RingFd() {
		t.Fatalf("view's ring fd %d, RingFd %d", v.ringFd, ring.RingFd())
	}
	if fd, fl := v.enterFd(); fd != ring.RingFd() || fl != 0 {
		t.Fatalf("enterFd = %d, %d", fd, fl)
	}
	for i := 0; i < 3; i++ {
		ring.GetSQE().PrepareNop()
	}
	if n := ring.SQReady(); n != 3 {
		t.Fatalf("SQReady = %d", n)
	}
	if n := v.flushSQ(); n != 3 {
		t.Fatalf("flushSQ = %d, want 3", n)
	}
	if _, err := ring.Submit(); err != nil { // nothing left to flush: submits the three
		t.Fatal(err)
	}
	if n := v.flushSQ(); n != 0 {
		t.Fatalf("flushSQ after submit = %d", n)
	}
	if _, err := ring.SubmitAndWait(3); err != nil {
		t.Fatal(err)
	}
	if n := ring.CQReady(); n != 3 {
		t.Fatalf("CQReady = %d, want the three NOPs", n)
	}
	if f := v.sqFlags(); f&giouring.SQCQOverflow != 0 {
		t.Fatalf("sq flags %#x", f)
	}
}
