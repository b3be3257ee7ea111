//go:build linux

package uring

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"

	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/tuning"
)

// Operation kinds, kept in the top byte of a request's user data. The low
// 32 bits hold the connection's slot (or the listener's index) and bits
// 32-55 the slot's generation, so a completion never reaches a connection
// that reused the slot of the one it was meant for.
const (
	opAccept   uint64 = iota + 1 // multishot (or single) accept on listener id
	opRecv                       // receive on connection id
	opSend                       // send on connection id
	opCancel                     // cancellation of connection id's requests
	opLnCancel                   // cancellation of listener id's accept
	opWake                       // eventfd read: another goroutine woke us
	opWakeStop                   // cancellation of the eventfd read at exit
	opTimer                      // accept back-off elapsed
)

const (
	opShift  = 56
	genShift = 32
	genMask  = 1<<24 - 1
)

func userData(op uint64, gen, id uint32) uint64 {
	return op<<opShift | uint64(gen&genMask)<<genShift | uint64(id)
}

func splitUserData(u uint64) (op uint64, gen, id uint32) {
	return u >> opShift, uint32(u>>genShift) & genMask, uint32(u)
}

// Reactor states, for waking one blocked in io_uring_enter.
const (
	stRunning  int32 = iota // busy: it drains the wake queue before waiting
	stSleeping              // about to wait or waiting: wakers write the eventfd
	stNotified              // the eventfd was written
	stExited                // eventfd closed
)

const (
	reapBatch   = 512
	maxSendLen  = 1 << 30
	poolBufSize = 16 << 10
	poolMaxCap  = 64 << 10
	poolMax     = 256
	fedCheck    = 1 << 20 // input handed to Serve before the backlog is checked
)

// cqe is a copy of one completion, taken before the ring slot is released.
type cqe struct {
	ud    uint64
	res   int32
	flags uint32
}

// loop is one reactor: one ring, its listeners, its connections. Everything
// but the wake queue and the stop flags belongs to its goroutine.
type loop struct {
	s     *Server
	idx   int
	feat  features
	ready chan error
	done  chan struct{}

	ring  *giouring.Ring
	bufs  *bufRing
	lns   []*listener
	efd   int
	efdIn *[8]byte // the eventfd read's target (kernel-written)

	conns []*conn // by slot; nil when free
	gens  []uint32
	free  []uint32
	live  int

	dirty []*conn
	sess  *store.Session // inline runs of this turn, committed together
	cqes  []*giouring.CompletionQueueEvent
	batch []cqe
	pool  [][]byte // send buffers of cap ≤ poolMaxCap

	wakeArmed     bool
	wakeStopSent  bool
	stopping      bool
	timerArmed    bool
	timeout       unix.Timespec
	lastAcceptErr time.Time
	view          *ringView
	pauses        int // connections paused by back-pressure (tests)
	held          int // wake-ups held back by back-pressure (tests)
	nobufs        int // receives that found no provided buffer (tests)

	// Shared with other goroutines.
	wmu     sync.Mutex
	wq      []*conn
	wq2     []*conn
	state   atomic.Int32
	stopReq atomic.Bool
	force   atomic.Bool
}

// run is the reactor's goroutine. It owns its OS thread for good: the ring
// is single-issuer, completions run as task work on the thread that
// submitted, and the registered ring descriptor is per thread.
func (l *loop) run() {
	runtime.LockOSThread()
	defer close(l.done)
	if err := l.setup(); err != nil {
		l.closeListeners()
		l.teardownRing()
		l.ready <- err
		return
	}
	l.ready <- nil
	l.serve()
	l.sess.Flush()
	l.teardownRing()
}

func (l *loop) setup() error {
	if l.s.opts.Pin {
		if err := tuning.PinThread(l.idx % runtime.NumCPU()); err != nil {
			l.s.opts.Logger.Warn("uring: pinning reactor thread", "loop", l.idx, "err", err)
		}
	}
	l.efd = -1
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	l.efd = efd
	l.efdIn = new([8]byte)
	// Fastest first: one issuer whose task work runs only when it enters
	// the kernel to reap (6.1), then cooperative task work (5.19), then
	// plain. IORING_SQ_TASKRUN then tells when entering is needed.
	l.ring = giouring.NewRing()
	flagSets := []uint32{
		giouring.SetupSingleIssuer | giouring.SetupDeferTaskrun | giouring.SetupTaskrunFlag,
		giouring.SetupCoopTaskrun | giouring.SetupTaskrunFlag,
		0,
	}
	for _, fl := range flagSets {
		err = l.ring.QueueInit(l.s.opts.Entries, fl)
		if err == nil {
			break
		}
		l.ring = giouring.NewRing()
	}
	if err != nil {
		l.ring = nil
		return fmt.Errorf("%w: io_uring_setup: %v", ErrUnavailable, err)
	}
	l.view = viewOf(l.ring)
	// A registered ring descriptor spares io_uring_enter a file lookup;
	// without it (an error) the plain descriptor serves.
	_, _ = l.ring.RegisterRingFd()
	l.bufs, err = newBufRing(l.ring, l.s.opts.Bufs, l.s.opts.BufSize)
	if err != nil {
		return fmt.Errorf("%w: provided-buffer ring: %v", ErrUnavailable, err)
	}
	l.cqes = make([]*giouring.CompletionQueueEvent, reapBatch)
	l.batch = make([]cqe, 0, reapBatch)
	l.armWake()
	for i := range l.lns {
		l.armAccept(uint32(i))
	}
	if _, err := l.ring.Submit(); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	return nil
}

// teardownRing frees the ring and its buffers and closes the eventfd. No
// request may be pending.
func (l *loop) teardownRing() {
	if l.ring != nil {
		if l.bufs != nil {
			l.bufs.free(l.ring)
			l.bufs = nil
		}
		l.ring.QueueExit()
		l.ring = nil
	}
	l.wmu.Lock()
	l.state.Store(stExited)
	l.wmu.Unlock()
	if l.efd >= 0 {
		unix.Close(l.efd)
		l.efd = -1
	}
}

func (l *loop) closeListeners() {
	for _, ln := range l.lns {
		if !ln.closed {
			unix.Close(ln.fd)
			ln.closed = true
		}
	}
}

// serve is the reactor loop: handle wake-ups, queue sends, then one
// io_uring_enter that submits everything and waits for (or just collects)
// completions, and handle the batch of completions.
func (l *loop) serve() {
	for {
		l.drainWakes()
		if l.stopReq.Load() {
			if !l.stopping {
				l.beginStop()
			}
			if l.force.Load() {
				for _, c := range l.conns {
					if c != nil {
						l.teardown(c)
					}
				}
			}
		}
		if l.sess.Held() {
			// Commit the turn's inline runs; their connections wake,
			// and are served now so their replies leave in this turn.
			l.sess.Flush()
			l.drainWakes()
			if l.sess.Held() {
				l.sess.Flush() // served next turn (enter does not wait)
			}
		}
		l.flush()
		if l.sess.Held() {
			// Runs started by flush (a connection released from
			// back-pressure): their wake-ups keep enter from waiting.
			l.sess.Flush()
		}
		if l.stopping && l.live == 0 && l.listenersClosed() {
			if !l.wakeArmed && !l.timerArmed {
				return
			}
			if l.wakeArmed && !l.wakeStopSent {
				sqe := l.sqe()
				sqe.PrepareCancel64(userData(opWake, 0, 0), 0)
				sqe.UserData = userData(opWakeStop, 0, 0)
				l.wakeStopSent = true
			}
		}
		if err := l.enter(); err != nil {
			l.s.opts.Logger.Error("uring: io_uring_enter failed; closing the reactor", "loop", l.idx, "err", err)
			l.abandon()
			return
		}
		l.reap()
	}
}

// enter is the iteration's one io_uring_enter: it submits what the
// iteration prepared and collects completions, waiting for one when there
// is nothing else to do. It skips the call when nothing is prepared and no
// completion waits in the kernel.
func (l *loop) enter() error {
	wait := l.ring.CQReady() == 0 && !l.queued()
	for {
		if wait {
			l.state.Store(stSleeping)
			if l.queued() {
				wait = false
			}
		}
		n := l.view.flushSQ()
		fd, regFlag := l.view.enterFd()
		var err error
		switch {
		case wait:
			// Hand the P over while asleep: the goroutines this iteration
			// readied (shard work) run at once instead of after sysmon
			// takes the P back.
			if _, errno := enterBlocking(fd, n, 1, giouring.EnterGetEvents|regFlag); errno != 0 {
				err = errno
			}
		case n > 0 || l.view.sqFlags()&(giouring.SQTaskrun|giouring.SQCQOverflow) != 0:
			_, err = l.ring.Enter(n, 0, giouring.EnterGetEvents|regFlag, nil)
		}
		l.state.Store(stRunning)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EBUSY), errors.Is(err, syscall.ETIME):
			// The kernel is short of memory for requests, or waits for
			// room in the completion queue: reap what there is first.
			if l.ring.CQReady() > 0 {
				return nil
			}
			wait = false
			runtime.Gosched()
		default:
			return err
		}
	}
}

// reap handles one batch of completions.
func (l *loop) reap() {
	n := l.ring.PeekBatchCQE(l.cqes)
	if n == 0 {
		return
	}
	b := l.batch[:0]
	for _, e := range l.cqes[:n] {
		b = append(b, cqe{ud: e.UserData, res: e.Res, flags: e.Flags})
	}
	l.ring.CQAdvance(n)
	for _, e := range b {
		l.handle(e)
	}
	l.batch = b[:0]
}

func (l *loop) handle(e cqe) {
	op, gen, id := splitUserData(e.ud)
	switch op {
	case opRecv, opSend, opCancel:
		var c *conn
		if int(id) < len(l.conns) {
			c = l.conns[id]
		}
		if c == nil || c.gen != gen {
			// Stale: cannot happen while slots wait for their last
			// completion, but a provided buffer must still go back.
			if e.flags&giouring.CQEFBuffer != 0 {
				l.bufs.recycle(uint16(e.flags >> giouring.CQEBufferShift))
			}
			return
		}
		switch op {
		case opRecv:
			l.onRecv(c, e.res, e.flags)
		case opSend:
			l.onSend(c, e.res)
		default:
			c.ops--
		}
		if c.shut && c.ops == 0 {
			l.finalize(c)
		}
	case opAccept:
		l.onAccept(id, e.res, e.flags)
	case opLnCancel:
		ln := l.lns[id]
		ln.ops--
		l.maybeCloseListener(ln)
	case opWake:
		l.wakeArmed = false
		if e.res < 0 && e.res != -int32(syscall.ECANCELED) && e.res != -int32(syscall.EINTR) {
			l.s.opts.Logger.Warn("uring: eventfd read failed", "loop", l.idx, "err", syscall.Errno(-e.res))
		}
		if !l.wakeStopSent {
			l.armWake()
		}
	case opWakeStop:
	case opTimer:
		l.timerArmed = false
		if !l.stopping {
			for i, ln := range l.lns {
				if !ln.armed && !ln.closed {
					l.armAccept(uint32(i))
				}
			}
		}
	}
}

// sqe returns a free submission entry, submitting the queue when it is full.
func (l *loop) sqe() *giouring.SubmissionQueueEntry {
	for {
		if s := l.ring.GetSQE(); s != nil {
			*s = giouring.SubmissionQueueEntry{} // no field of an earlier request survives
			return s
		}
		// The queue is full: hand it to the kernel. EBUSY and EAGAIN mean
		// it is short of room or memory for a moment.
		if _, err := l.ring.Submit(); err != nil && !errors.Is(err, syscall.EINTR) {
			if !errors.Is(err, syscall.EBUSY) && !errors.Is(err, syscall.EAGAIN) {
				l.s.opts.Logger.Error("uring: submit", "loop", l.idx, "err", err)
			}
			runtime.Gosched()
		}
	}
}

func (l *loop) armWake() {
	sqe := l.sqe()
	sqe.PrepareRead(l.efd, uintptr(unsafe.Pointer(l.efdIn)), 8, 0)
	sqe.UserData = userData(opWake, 0, 0)
	l.wakeArmed = true
}

// notify wakes the reactor unconditionally (stop requests).
func (l *loop) notify() {
	l.wmu.Lock()
	if l.state.Load() != stExited {
		l.state.Store(stNotified)
		l.writeEventfd()
	}
	l.wmu.Unlock()
}

var one = [8]byte{1}

func (l *loop) writeEventfd() {
	for {
		_, err := unix.Write(l.efd, one[:])
		if err != unix.EINTR {
			return
		}
	}
}

// enqueue asks the reactor to look at c (Wake, Close). Any goroutine.
func (l *loop) enqueue(c *conn) {
	l.wmu.Lock()
	l.wq = append(l.wq, c)
	if l.state.CompareAndSwap(stSleeping, stNotified) {
		l.writeEventfd()
	}
	l.wmu.Unlock()
}

func (l *loop) queued() bool {
	l.wmu.Lock()
	n := len(l.wq)
	l.wmu.Unlock()
	return n > 0
}

// drainWakes serves the connections other goroutines woke or closed.
func (l *loop) drainWakes() {
	l.wmu.Lock()
	q := l.wq
	l.wq = l.wq2
	l.wmu.Unlock()
	for _, c := range q {
		if c.shut {
			continue
		}
		if c.closeReq.Load() && !c.closing {
			c.closing = true
			if c.sending {
				// Close does not wait for a peer that stopped reading (a
				// client killed over its output limit): the send in
				// flight is cancelled and its output dropped, as Redis
				// drops a killed client's replies.
				l.teardown(c)
				continue
			}
			l.markDirty(c)
		}
		if c.woken.Load() {
			if len(c.out)+len(c.snd)-c.sndOff > l.s.opts.OutLimit {
				// Serve would run the next batch and add to the output:
				// wait until the peer reads (flow serves it then).
				c.held = true
				l.held++
				continue
			}
			l.serveConn(c, nil)
		}
	}
	clear(q)
	l.wq2 = q[:0]
}

// --- listeners ---

func (l *loop) armAccept(i uint32) {
	ln := l.lns[i]
	sqe := l.sqe()
	if !l.s.opts.SingleShot {
		sqe.PrepareMultishotAccept(ln.fd, 0, 0, unix.SOCK_CLOEXEC)
	} else {
		sqe.PrepareAccept(ln.fd, 0, 0, unix.SOCK_CLOEXEC)
	}
	sqe.UserData = userData(opAccept, 0, i)
	ln.armed = true
	ln.ops++
}

func (l *loop) onAccept(i uint32, res int32, flags uint32) {
	ln := l.lns[i]
	if flags&giouring.CQEFMore == 0 {
		ln.armed = false
		ln.ops--
	}
	backoff := false
	if res >= 0 {
		if l.stopping {
			unix.Close(int(res))
		} else {
			l.accept(ln, int(res))
		}
	} else {
		switch errno := syscall.Errno(-res); errno {
		case syscall.ECANCELED:
		case syscall.EINTR, syscall.EAGAIN, syscall.ECONNABORTED:
		default:
			// EMFILE, ENFILE, ENOBUFS, ENOMEM: retry in a while, as
			// Redis does, instead of spinning.
			backoff = true
			if time.Since(l.lastAcceptErr) > time.Second {
				l.lastAcceptErr = time.Now()
				l.s.opts.Logger.Warn("accepting a connection failed", "addr", ln.addr, "err", errno)
			}
		}
	}
	if !ln.armed && !l.stopping && !ln.closed {
		if backoff {
			l.armTimer(10 * time.Millisecond)
		} else {
			l.armAccept(i)
		}
	}
	l.maybeCloseListener(ln)
}

func (l *loop) armTimer(d time.Duration) {
	if l.timerArmed {
		return
	}
	l.timeout = unix.NsecToTimespec(d.Nanoseconds())
	sqe := l.sqe()
	sqe.PrepareNop()
	sqe.OpCode = giouring.OpTimeout
	sqe.Addr = uint64(uintptr(unsafe.Pointer(&l.timeout)))
	sqe.Len = 1
	sqe.UserData = userData(opTimer, 0, 0)
	l.timerArmed = true
}

func (l *loop) beginStop() {
	l.stopping = true
	for i, ln := range l.lns {
		if ln.armed {
			sqe := l.sqe()
			sqe.PrepareCancel64(userData(opAccept, 0, uint32(i)), 0)
			sqe.UserData = userData(opLnCancel, 0, uint32(i))
			ln.ops++
		}
		l.maybeCloseListener(ln)
	}
	for _, c := range l.conns {
		if c != nil && !c.shut && !c.closing {
			c.closing = true
			l.markDirty(c)
		}
	}
}

func (l *loop) maybeCloseListener(ln *listener) {
	if l.stopping && !ln.closed && ln.ops == 0 {
		unix.Close(ln.fd)
		ln.closed = true
	}
}

func (l *loop) listenersClosed() bool {
	for _, ln := range l.lns {
		if !ln.closed {
			return false
		}
	}
	return true
}

// abandon closes everything after the ring failed: sockets are closed and
// clients released; the kernel drops their requests with the ring.
func (l *loop) abandon() {
	for _, c := range l.conns {
		if c != nil && !c.shut {
			c.shut = true
			c.dead.Store(true)
			c.cl.OnClose()
			unix.Close(c.fd)
		}
	}
	l.conns = nil
	l.closeListeners()
	// Pending requests reference the buffers: leave them to the kernel's
	// ring teardown rather than unmapping under it.
	l.bufs = nil
}
