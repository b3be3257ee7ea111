//go:build linux

package uring

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"

	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/store/command"
	"github.com/diskdb/diskdb/tuning"
)

// conn is one connection: the command layer's Conn, and the reactor's
// bookkeeping of the requests that name it. Fields without a comment on
// threading belong to the reactor goroutine.
type conn struct {
	l     *loop
	id    uint32 // slot in l.conns
	gen   uint32 // the slot's generation when this connection took it
	fd    int
	cl    *command.Client
	raddr string
	laddr string

	out    []byte // output waiting for the send in flight to finish
	snd    []byte // the send in flight (the kernel reads it until its completion)
	sndOff int    // bytes of snd already sent
	fed    int    // input handed to Serve since the backlog was last seen empty

	ops     int  // requests in flight naming this connection
	recvOn  bool // a receive is armed
	sending bool // a send is in flight
	paused  bool // not read: too much unsent output or queued input
	held    bool // a wake-up waits for the output to drain (Serve would add more)
	closing bool // close once the output is sent
	inDirty bool // listed in l.dirty
	shut    bool // closed for the command layer; the socket waits for ops == 0
	final   bool // socket closed, slot released

	// Shared with other goroutines.
	woken    atomic.Bool // a Wake is queued
	closeReq atomic.Bool // Close was called
	dead     atomic.Bool // closed: Wake and Close do nothing
}

var _ command.SessionConn = (*conn)(nil)

// Wake makes the reactor call Serve(nil) soon and send what it returns.
// Any goroutine; calls coalesce until the reactor serves the connection.
func (c *conn) Wake() {
	if c.dead.Load() {
		return
	}
	if c.woken.CompareAndSwap(false, true) {
		c.l.enqueue(c)
	}
}

// Close closes the connection once the output handed over so far is sent.
// Any goroutine.
func (c *conn) Close() {
	if c.dead.Load() {
		return
	}
	if c.closeReq.CompareAndSwap(false, true) {
		c.l.enqueue(c)
	}
}

// Session returns the reactor's group-commit session (command.SessionConn).
func (c *conn) Session() *store.Session { return c.l.sess }

func (c *conn) RemoteAddr() string { return c.raddr }
func (c *conn) LocalAddr() string  { return c.laddr }

// accept sets up a connection the kernel accepted on ln.
func (l *loop) accept(ln *listener, fd int) {
	_ = tuning.NoDelay(fd)
	if l.s.opts.QuickAck {
		_ = tuning.QuickAck(fd)
	}
	// tcp-keepalive as it is now: CONFIG SET applies to new connections
	// (Options.KeepAlive when the server has no settings).
	ka := l.s.opts.KeepAlive
	if cfg := l.s.cmd.Config(); cfg != nil {
		ka = time.Duration(cfg.Int("tcp-keepalive")) * time.Second
	}
	if ka > 0 {
		setKeepAlive(fd, ka)
	}
	c := &conn{l: l, fd: fd, laddr: ln.addr}
	if sa, err := unix.Getpeername(fd); err == nil {
		c.raddr = sockaddrString(sa)
	}
	if ln.any {
		if sa, err := unix.Getsockname(fd); err == nil {
			c.laddr = sockaddrString(sa)
		}
	}
	cl, reject := l.s.cmd.NewClient(c)
	if cl == nil {
		// maxclients: the socket is blocking and the reply a few bytes.
		_, _ = unix.Write(fd, reject)
		unix.Close(fd)
		return
	}
	c.cl = cl
	if n := len(l.free); n > 0 {
		c.id = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		c.id = uint32(len(l.conns))
		l.conns = append(l.conns, nil)
		l.gens = append(l.gens, 0)
	}
	c.gen = l.gens[c.id]
	l.conns[c.id] = c
	l.live++
	l.armRecv(c)
}

// setKeepAlive turns TCP keepalive on as Redis does: probes after d idle,
// then every d/3, three of them.
func setKeepAlive(fd int, d time.Duration) {
	secs := int(d / time.Second)
	if secs < 1 {
		secs = 1
	}
	intvl := secs / 3
	if intvl < 1 {
		intvl = 1
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, intvl)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
}

// armRecv arms a receive into the provided buffers: multishot where the
// kernel has it, so one request serves the connection until it ends.
func (l *loop) armRecv(c *conn) {
	sqe := l.sqe()
	sqe.PrepareRecv(c.fd, 0, 0, 0)
	if l.feat.multishotRecv {
		sqe.IoPrio |= giouring.RecvMultishot
	}
	sqe.Flags |= giouring.SqeBufferSelect
	sqe.BufIG = bufGroup
	sqe.UserData = userData(opRecv, c.gen, c.id)
	c.recvOn = true
	c.ops++
}

func (l *loop) onRecv(c *conn, res int32, flags uint32) {
	if flags&giouring.CQEFMore == 0 {
		c.recvOn = false
		c.ops--
	}
	if flags&giouring.CQEFBuffer != 0 {
		bid := uint16(flags >> giouring.CQEBufferShift)
		if res > 0 && !c.shut && !c.closing {
			l.serveConn(c, l.bufs.data(bid, int(res)))
		}
		l.bufs.recycle(bid)
	}
	switch {
	case res > 0:
	case res == 0: // the peer closed: drop what is pending, as Redis does
		l.teardown(c)
	default:
		switch syscall.Errno(-res) {
		case syscall.ENOBUFS:
			l.nobufs++
		case syscall.EAGAIN, syscall.EINTR, syscall.ECANCELED:
			// Out of buffers (they are back by now), interrupted, or
			// cancelled by a pause: armed again below unless paused.
		default:
			l.teardown(c)
		}
	}
	if !c.recvOn && !c.shut && !c.paused && !c.closing {
		l.armRecv(c)
	}
}

// serveConn hands data (nil after a wake-up) to the client and keeps its
// output: Serve's slice is valid only until the next call.
func (l *loop) serveConn(c *conn, data []byte) {
	if len(data) > 0 && len(c.out)+len(c.snd)-c.sndOff > l.s.opts.OutLimit {
		// Over the output limit (several receives can land in one
		// iteration, before flow pauses reading): keep the bytes, run
		// nothing; flow serves the client once the output drains.
		if !c.cl.Buffer(data) {
			l.teardown(c) // over client-query-buffer-limit
			return
		}
		c.fed += len(data)
		c.held = true
		c.woken.Store(true)
		l.markDirty(c)
		return
	}
	c.woken.Store(false)
	out, closeAfter := c.cl.Serve(data)
	c.fed += len(data)
	if len(out) > 0 {
		if c.out == nil {
			c.out = l.getBuf(len(out))
		}
		c.out = append(c.out, out...)
	}
	if closeAfter {
		c.closing = true
	}
	if len(out) > 0 || closeAfter || c.paused || c.fed >= fedCheck {
		l.markDirty(c)
	}
}

func (l *loop) markDirty(c *conn) {
	if !c.inDirty {
		c.inDirty = true
		l.dirty = append(l.dirty, c)
	}
}

// flush starts the sends of this iteration, closes connections whose
// output is out, and applies back-pressure.
func (l *loop) flush() {
	for i := 0; i < len(l.dirty); i++ {
		c := l.dirty[i]
		c.inDirty = false
		if !c.shut {
			l.flushConn(c)
		}
	}
	clear(l.dirty)
	l.dirty = l.dirty[:0]
}

func (l *loop) flushConn(c *conn) {
	if !c.sending && len(c.out) > 0 {
		c.snd, c.out = c.out, c.snd[:0]
		c.sndOff = 0
		l.submitSend(c)
	}
	if !c.sending {
		if c.closing {
			l.teardown(c)
			return
		}
		// Idle connections hold no output buffer.
		l.putBuf(c.out)
		l.putBuf(c.snd)
		c.out, c.snd = nil, nil
	}
	l.flow(c)
}

// flow pauses reading a connection whose unsent output or whose input queued
// behind a batch in flight is too large, and resumes it once they shrink.
func (l *loop) flow(c *conn) {
	o := &l.s.opts
	pending := len(c.out) + len(c.snd) - c.sndOff
	if c.held && pending <= o.OutLimit/2 {
		c.held = false
		if c.woken.Load() {
			l.serveConn(c, nil) // marks c dirty: flow runs again
			return
		}
	}
	inHigh := false
	if c.fed >= fedCheck {
		b := c.cl.Backlog()
		if b == 0 {
			c.fed = 0
		}
		inHigh = b > o.InLimit
	}
	switch {
	case !c.paused && (pending > o.OutLimit || inHigh):
		c.paused = true
		l.pauses++
		if c.recvOn && l.feat.multishotRecv {
			sqe := l.sqe()
			sqe.PrepareCancel64(userData(opRecv, c.gen, c.id), 0)
			sqe.UserData = userData(opCancel, c.gen, c.id)
			c.ops++
		}
	case c.paused && pending <= o.OutLimit/2 && !inHigh:
		c.paused = false
		if !c.recvOn && !c.closing {
			l.armRecv(c)
		}
	}
}

func (l *loop) submitSend(c *conn) {
	b := c.snd[c.sndOff:]
	if len(b) > maxSendLen {
		b = b[:maxSendLen]
	}
	sqe := l.sqe()
	sqe.PrepareSend(c.fd, uintptr(unsafe.Pointer(&b[0])), uint32(len(b)), unix.MSG_NOSIGNAL)
	sqe.UserData = userData(opSend, c.gen, c.id)
	c.sending = true
	c.ops++
}

func (l *loop) onSend(c *conn, res int32) {
	c.sending = false
	c.ops--
	if c.shut {
		return
	}
	if res < 0 {
		switch syscall.Errno(-res) {
		case syscall.EAGAIN, syscall.EINTR:
			l.submitSend(c)
		default: // EPIPE, ECONNRESET ...: the peer is gone
			l.teardown(c)
		}
		return
	}
	c.sndOff += int(res)
	if c.sndOff < len(c.snd) {
		l.submitSend(c) // partial send: the rest
		return
	}
	c.snd = c.snd[:0]
	c.sndOff = 0
	l.markDirty(c)
}

// teardown closes c for the command layer (OnClose, exactly once) and
// cancels its requests; the socket is closed and the slot released when
// the last of them completes.
func (l *loop) teardown(c *conn) {
	if c.shut {
		return
	}
	c.shut = true
	c.dead.Store(true)
	c.cl.OnClose()
	if c.ops == 0 {
		l.finalize(c)
		return
	}
	sqe := l.sqe()
	sqe.PrepareCancelFd(c.fd, giouring.AsyncCancelAll)
	sqe.UserData = userData(opCancel, c.gen, c.id)
	c.ops++
}

func (l *loop) finalize(c *conn) {
	if c.final {
		return
	}
	c.final = true
	unix.Close(c.fd)
	l.putBuf(c.out)
	l.putBuf(c.snd)
	c.out, c.snd = nil, nil
	l.conns[c.id] = nil
	l.gens[c.id] = (l.gens[c.id] + 1) & genMask
	l.free = append(l.free, c.id)
	l.live--
}

// getBuf returns an empty output buffer for at least n bytes.
func (l *loop) getBuf(n int) []byte {
	if n <= poolBufSize {
		if k := len(l.pool); k > 0 {
			b := l.pool[k-1]
			l.pool[k-1] = nil
			l.pool = l.pool[:k-1]
			return b
		}
		return make([]byte, 0, poolBufSize)
	}
	return make([]byte, 0, n)
}

func (l *loop) putBuf(b []byte) {
	if b == nil || cap(b) > poolMaxCap || len(l.pool) >= poolMax {
		return
	}
	l.pool = append(l.pool, b[:0])
}

// OutboundBuffered is the output the socket has not taken yet: the unsent
// rest of the send in flight and what waits behind it. Reactor goroutine
// only (the command layer asks inside Serve, for its output limits).
func (c *conn) OutboundBuffered() int { return len(c.out) + len(c.snd) - c.sndOff }

// Fd is the socket's descriptor (CLIENT LIST fd=).
func (c *conn) Fd() int { return c.fd }
