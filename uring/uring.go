// Package uring is DiskDB's io_uring network backend (Linux 5.19 and later):
// one ring per reactor, each on its own locked OS thread with its own
// SO_REUSEPORT listener on every address. A reactor arms a multishot accept
// per listener and a multishot receive per connection into a ring of
// provided buffers (single-shot receives before Linux 6.0), batches sends,
// and enters the kernel at most once per loop iteration: submit what the
// iteration prepared and reap the next batch of completions in the same
// io_uring_enter. While it sleeps there, its P goes to the executor's
// goroutines. Other goroutines wake a reactor through an eventfd read armed
// on its ring.
//
// It serves the command layer through the same contract as package loop
// (the gnet backend): Server.NewClient on accept, Client.Serve on bytes and
// after Conn.Wake, Client.OnClose once at close. Probe reports whether the
// kernel allows io_uring here; `--io auto` uses it to fall back to gnet.
package uring

import (
	"errors"
	"log/slog"
	"time"
)

// ErrUnavailable prefixes every error that means "io_uring cannot run here"
// (old kernel, io_uring disabled by sysctl or seccomp, not Linux).
var ErrUnavailable = errors.New("io_uring unavailable")

// Options configure the backend. Zero fields take the defaults noted.
type Options struct {
	Addrs     []string      // host:port to listen on (required)
	Loops     int           // reactors, one ring each (one per core)
	QuickAck  bool          // set TCP_QUICKACK on accepted sockets
	KeepAlive time.Duration // TCP keepalive period (0: off)
	Backlog   int           // listen backlog per listener (511)
	Pin       bool          // pin reactor i's thread to CPU i mod ncpu (off)

	Entries uint32 // submission queue entries per ring (4096; completion queue: twice that)
	BufSize int    // size of one provided receive buffer, bytes (16 KiB)
	Bufs    int    // provided receive buffers per ring, a power of two (512)

	// OutLimit is the unsent output, bytes, above which a connection is not
	// read until it drains below half of it (16 MiB).
	OutLimit int
	// InLimit is the input, bytes, queued behind a connection's batch in
	// flight above which it is not read until the batch completes (8 MiB).
	InLimit int

	// SingleShot forces single-shot accept and receive, the path taken on
	// kernels without multishot receive (before 6.0). For tests.
	SingleShot bool

	Logger *slog.Logger
}

func (o *Options) ensureDefaults() {
	if o.Backlog <= 0 {
		o.Backlog = 511
	}
	if o.Entries == 0 {
		o.Entries = 4096
	}
	if o.BufSize <= 0 {
		o.BufSize = 16 << 10
	}
	if o.Bufs <= 0 {
		o.Bufs = 512
	}
	for o.Bufs&(o.Bufs-1) != 0 {
		o.Bufs &= o.Bufs - 1 // round down to a power of two
	}
	if o.Bufs > 1<<15 {
		o.Bufs = 1 << 15
	}
	if o.OutLimit <= 0 {
		o.OutLimit = 16 << 20
	}
	if o.InLimit <= 0 {
		o.InLimit = 8 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}
