package command

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/bytebufferpool"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Conn is the backend's side of one connection. The command layer calls it
// from any goroutine.
type Conn interface {
	// Wake asks the backend to call Client.OnWake on the connection's loop
	// goroutine soon. Calls may be coalesced.
	Wake()
	// Close closes the connection after the output handed over so far is
	// written.
	Close()
	RemoteAddr() string
	LocalAddr() string
}

// SessionConn is a Conn whose backend commits the inline runs of each of
// its turns together (store.Session): Session returns the session of the
// connection's loop, which the backend flushes before it waits for I/O.
type SessionConn interface {
	Conn
	Session() *store.Session
}

// Client is one connection's state: its input buffer and parser, the batch
// in flight, and the session (db, protocol, name, auth).
//
// Threading: OnData, OnWake and OnClose run on the connection's loop
// goroutine. A batch in flight runs on shard goroutines; it owns the batch
// fields until it hands its output over under mu. While a batch is in flight
// the loop only appends to the input buffer: bytes already parsed are never
// moved, so the batch's arguments (which alias them) stay valid.
type Client struct {
	s    *Server
	conn Conn
	id   int64

	// Loop-goroutine state.
	parser  proto.Parser
	inBuf   *bytebufferpool.ByteBuffer
	in      []byte
	inPos   int
	wout    []byte
	closing bool // close once wout is written
	nameBuf []byte

	// Batch state, owned by the batch's current runner.
	cmds    []cmdRec
	argv    [][]byte
	tasks   []*shardTask // by shard
	active  []int        // shards with work in the current phase
	bar     barTask
	inline  []byte // replies of commands run inline
	ictx    Ctx
	aout    []byte
	next    int
	flushed int // replies of cmds[:flushed] already handed over
	pending atomic.Int32
	keyPos  []int
	shardBf []int

	// Hand-over between batch runners and the loop.
	mu       sync.Mutex
	ready    []byte
	inflight bool
	killed   bool

	// Session, read by CLIENT LIST and INFO from other goroutines.
	info      sync.Mutex
	db        int
	resp3     bool
	name      string
	user      string
	authed    bool
	aclUser   atomic.Pointer[aclUser] // ACL user (acl.go)
	mem       clientMem               // buffer accounting and limits (limits.go)
	monitor   bool                    // in MONITOR mode (batch runner only)
	libName   string
	libVer    string
	created   time.Time
	lastSpec  atomic.Pointer[Spec] // last command dispatched (CLIENT LIST cmd=)
	addr      string
	laddr     string
	lastTouch atomic.Int64 // unix ms of the last command
	noEvict   bool
	noTouch   bool
	replyMode int // CLIENT REPLY: replyOn, replyOff, replySkip (next); batch runner only
	// replyUnmute: CLIENT REPLY ON answers even when SKIP dropped it.
	replyUnmute bool

	blocked atomic.Pointer[waiter] // the wait of a blocked command
	syncRun atomic.Bool            // process is running a batch on the loop goroutine
	sess    *store.Session         // the backend's group-commit session (SessionConn), or nil
	subs    subState               // pub/sub subscriptions (hub lock)
	nsubs   atomic.Int64           // their number

	// Client-side caching (tracking.go): the tracking state (nil until
	// CLIENT TRACKING is first used), invalidations held back (mu) until the
	// batch in flight hands its replies over, and the count of hand-overs.
	trk    *trackState
	held   []byte
	outSeq atomic.Uint64

	// Transactions (owned by the batch runner).
	multi   *multiState  // non-nil between MULTI and EXEC/DISCARD
	watch   *store.Watch // current WATCH registration set
	watched []watchedKey
}

// cmdRec is one parsed command of a batch.
type cmdRec struct {
	args       [][]byte
	a0, a1     int
	spec       *Spec
	errMsg     string // rejected at dispatch (unknown, arity, auth ...)
	db         int
	resp3      bool
	class      Flag
	shard      int
	shards     []int
	buf        int // reply location: bufInline, bufBarrier or a shard index
	start, end int
	commitErr  string
	closeAfter bool // a protocol error: reply, then close
	dispatched bool // reply mode applied (runFrom may see a command twice)
	mute       int  // CLIENT REPLY: 0, or the mode that drops this reply
}

const (
	bufInline  = -1
	bufBarrier = -2
)

// Classes the dispatcher assigns besides the exec flags.
const (
	clsKeyed Flag = 0       // single-shard keyed command (no exec flag)
	clsMulti Flag = 1 << 31 // keys on several shards: all of them held
	clsQueue Flag = 1 << 30 // inside MULTI: queued, replies +QUEUED
)

func newClient(s *Server, c Conn) *Client {
	cl := &Client{s: s, conn: c, created: time.Now(), addr: c.RemoteAddr(), laddr: c.LocalAddr()}
	cl.id = s.nextClientID.Add(1)
	cl.parser.Limits = s.protoLimits()
	cl.authed = !s.authRequired()
	cl.user = "default"
	cl.aclUser.Store(s.acl.def)
	cl.mem.multi.Store(-1)
	cl.bar.cl = cl
	if sc, ok := c.(SessionConn); ok {
		cl.sess = sc.Session()
	}
	cl.lastTouch.Store(time.Now().UnixMilli())
	return cl
}

// ID returns the client's id (CLIENT ID).
func (cl *Client) ID() int64 { return cl.id }

// Serve is called on the connection's loop goroutine when bytes arrived
// (data, copied: it may be reused after the call) or after Wake (data
// empty). It returns the output to write now, valid until the next call on
// this client, and whether to close the connection once it is written.
func (cl *Client) Serve(data []byte) (out []byte, closeAfter bool) {
	cl.mu.Lock()
	cl.wout, cl.ready = cl.ready, cl.wout[:0]
	busy, killed := cl.inflight, cl.killed
	cl.mu.Unlock()
	if killed {
		return cl.wout, true
	}
	if len(data) > 0 {
		cl.s.stats.netIn.Add(int64(len(data)))
		cl.appendInput(data, busy)
		if len(cl.in)-cl.inPos > cl.s.queryBufLimit() {
			cl.s.log.Warn("closing client over query buffer limit", "id", cl.id, "addr", cl.addr)
			cl.s.lim.qbufKills.Add(1)
			return cl.wout, true
		}
	}
	if !busy {
		cl.process()
	}
	// Close (QUIT, CLIENT KILL of oneself) only once the batch that asked
	// for it has handed its replies over; closing is the batch's until then.
	cl.mu.Lock()
	busy = cl.inflight
	if !busy && len(cl.ready) > 0 {
		// A batch completed since the start of this call: its replies go
		// out now, before a close it may have asked for (QUIT).
		cl.wout = append(cl.wout, cl.ready...)
		cl.ready = cl.ready[:0]
	}
	ready := len(cl.ready)
	cl.mu.Unlock()
	cl.s.stats.netOut.Add(int64(len(cl.wout)))
	if !busy {
		cl.afterBatch()
	}
	if cl.afterServe(len(cl.wout), ready) {
		return nil, true // over its output buffer limit (limits.go)
	}
	return cl.wout, !busy && cl.closing
}

// Backlog returns the bytes of input queued behind the batch in flight, or 0
// when no batch is in flight. A backend may stop reading a connection while
// its backlog is large: the batch's completion wakes it. Loop goroutine only.
func (cl *Client) Backlog() int {
	cl.mu.Lock()
	busy := cl.inflight
	cl.mu.Unlock()
	if !busy {
		return 0
	}
	return len(cl.in) - cl.inPos
}

// Buffer takes bytes read from the connection without running anything:
// backends call it while the client's unsent output is over their limit,
// then Serve(nil) once it drains. Same goroutine and copy rules as Serve.
// It reports false when the input passed the query buffer limit: close.
func (cl *Client) Buffer(data []byte) bool {
	cl.mu.Lock()
	busy := cl.inflight
	cl.mu.Unlock()
	cl.s.stats.netIn.Add(int64(len(data)))
	cl.appendInput(data, busy)
	if len(cl.in)-cl.inPos > cl.s.queryBufLimit() {
		cl.s.lim.qbufKills.Add(1)
		return false
	}
	return true
}

// maxServeOutput bounds the output one Serve call produces from a long
// pipeline; the rest runs on the next call (the client wakes itself).
const maxServeOutput = 4 << 20

// OnClose releases the client. A batch in flight finishes on its own.
func (cl *Client) OnClose() {
	cl.s.removeClient(cl)
	if cl.s.mon.n.Load() > 0 {
		cl.s.mon.remove(cl)
	}
	cl.unsubscribeAll()
	cl.trackingClosed()
	cl.mu.Lock()
	cl.killed = true
	busy := cl.inflight
	cl.mu.Unlock()
	if !busy {
		cl.releaseInput()
		cl.resetTransaction()
	} else {
		cl.unblock(cancelSilent)
	}
	cl.parser.Reset()
}

// push queues out-of-band output (pub/sub messages) from any goroutine.
func (cl *Client) push(b []byte) {
	cl.mu.Lock()
	if cl.killed {
		cl.mu.Unlock()
		return
	}
	cl.ready = append(cl.ready, b...)
	n := len(cl.ready)
	cl.mu.Unlock()
	if cl.afterPush(n) {
		return
	}
	cl.conn.Wake()
}

// --- input ---

var inPools [3]bytebufferpool.Pool

const (
	inTier0 = 512
	inTier1 = 4 << 10
	inTier2 = 64 << 10
)

func tierOf(n int) int {
	switch {
	case n <= inTier0:
		return 0
	case n <= inTier1:
		return 1
	}
	return 2
}

func (cl *Client) appendInput(data []byte, busy bool) {
	if cl.inBuf == nil {
		cl.inBuf = inPools[tierOf(len(data))].Get()
		cl.in = cl.inBuf.B[:0]
		cl.inPos = 0
	}
	if !busy && cl.inPos > 0 {
		// Nothing parsed is referenced any more: move the tail to the front.
		n := copy(cl.in, cl.in[cl.inPos:])
		cl.in = cl.in[:n]
		cl.inPos = 0
	}
	cl.in = append(cl.in, data...)
}

// releaseInput returns the input buffer to its pool when all of it has been
// consumed, so idle connections hold no buffer.
func (cl *Client) releaseInput() {
	if cl.inBuf == nil || cl.inPos < len(cl.in) || cl.parser.Pending() {
		return
	}
	if cap(cl.in) <= 4*inTier2 {
		cl.inBuf.B = cl.in[:0]
		inPools[tierOf(cap(cl.in))].Put(cl.inBuf)
	}
	cl.inBuf, cl.in, cl.inPos = nil, nil, 0
	clear(cl.argv)
}

// --- batches ---

// process parses and runs batches while they complete synchronously. When a
// batch goes to the executor it returns; OnWake resumes.
func (cl *Client) process() {
	for !cl.closing {
		if len(cl.wout) >= maxServeOutput && cl.inPos < len(cl.in) {
			// Enough output for one write: let the backend send it (and
			// apply back-pressure) before running more of the pipeline.
			cl.conn.Wake()
			return
		}
		if !cl.parseBatch() {
			break
		}
		cl.mu.Lock()
		cl.inflight = true
		cl.mu.Unlock()
		cl.syncRun.Store(true)
		done := cl.runFrom(0)
		cl.syncRun.Store(false)
		cl.mu.Lock()
		if !done && cl.inflight {
			cl.mu.Unlock()
			return // asynchronous: the last task hands the output over
		}
		if !done {
			// Completed during runFrom by tasks run inline (Engine.TryRun):
			// the output (held invalidations included) is already in
			// ready, and nobody woke the loop.
			cl.wout = append(cl.wout, cl.ready...)
			cl.ready = cl.ready[:0]
			cl.mu.Unlock()
			continue
		}
		cl.wout = cl.assemble(cl.wout)
		cl.inflight = false
		cl.wout = cl.handOver(cl.wout)
		cl.mu.Unlock()
	}
	cl.releaseInput()
}

// parseBatch parses up to pipeline-max-batch commands. It reports whether
// there is anything to run.
func (cl *Client) parseBatch() bool {
	cl.cmds = cl.cmds[:0]
	cl.flushed = 0
	cl.argv = cl.argv[:0]
	cl.inline = cl.inline[:0]
	cl.bar.out = cl.bar.out[:0]
	cl.shardBf = cl.shardBf[:0]
	for _, t := range cl.tasks {
		if t != nil {
			t.out = t.out[:0]
		}
	}
	max := cl.s.maxBatch()
	// Before AUTH, Redis refuses more than 10 arguments or a bulk over
	// 16384 bytes; parse one command at a time so AUTH applies to the next.
	cl.parser.Limits.Unauthenticated = !cl.authed
	if !cl.authed {
		max = 1
	}
	for len(cl.cmds) < max {
		buf := cl.in[cl.inPos:]
		if len(buf) == 0 || cl.parser.Need() > len(buf) {
			break
		}
		args, n, err := cl.parser.ReadCommand(buf)
		if errors.Is(err, proto.ErrIncomplete) {
			break
		}
		if err != nil {
			cl.cmds = append(cl.cmds, cmdRec{errMsg: err.Error(), class: ExecInline, closeAfter: true})
			cl.inPos = len(cl.in)
			cl.parser.Reset()
			break
		}
		cl.inPos += n
		if args == nil {
			continue
		}
		a0 := len(cl.argv)
		if buf[0] != '*' {
			// Inline arguments may live in the parser's scratch space.
			for _, a := range args {
				cl.argv = append(cl.argv, append([]byte(nil), a...))
			}
		} else {
			cl.argv = append(cl.argv, args...)
		}
		cl.cmds = append(cl.cmds, cmdRec{a0: a0, a1: len(cl.argv)})
	}
	for i := range cl.cmds {
		r := &cl.cmds[i]
		if r.errMsg == "" {
			r.args = cl.argv[r.a0:r.a1]
		}
	}
	return len(cl.cmds) > 0
}

// classify checks the command and decides where it runs. It runs in order
// at dispatch, right before the command would run inline, so session state
// changed by earlier inline commands (SELECT, AUTH) applies.
func (cl *Client) classify(r *cmdRec) {
	if r.errMsg != "" {
		return
	}
	spec, nb := lookup(r.args[0], cl.nameBuf)
	cl.nameBuf = nb
	if spec == nil {
		cl.lastSpec.Store(nil)
		r.errMsg = errUnknownCommand(r.args)
		return
	}
	if spec.Subs != nil && (len(r.args) >= 2 || spec.Handler == nil) {
		if len(r.args) < 2 {
			r.errMsg = errArity(spec.Name)
			return
		}
		sub, nb := lookupSub(spec, r.args[1], cl.nameBuf)
		cl.nameBuf = nb
		if sub == nil {
			cl.lastSpec.Store(nil)
			r.errMsg = errUnknownSub(r.args[1], spec.Name)
			return
		}
		spec = sub
	}
	r.spec = spec
	cl.lastSpec.Store(spec)
	if !spec.arityOK(len(r.args)) {
		r.errMsg = errArity(spec.Name)
		return
	}
	if !cl.authed && spec.Flags&FlagNoAuth == 0 && cl.s.authRequired() {
		r.errMsg = errNoAuth
		return
	}
	if u := cl.aclUser.Load(); u != cl.s.acl.free.Load() {
		// Not the default user with every permission: check the ACL.
		ctx := aclCtxTop
		if cl.multi != nil {
			ctx = aclCtxMulti
		}
		if msg := cl.aclDenied(spec, r.args, ctx); msg != "" {
			r.errMsg = msg
			return
		}
	}
	if cl.monitor && spec.Flags&(FlagWrite|FlagReadOnly) != 0 {
		r.errMsg = errMonitorKeyspace
		return
	}
	if spec.Flags&flagSubOK == 0 && !cl.resp3 && cl.nsubs.Load() > 0 {
		r.errMsg = "ERR Can't execute '" + spec.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
		return
	}
	if busyScripts.Load() > 0 && spec.Flags&FlagAllowBusy == 0 {
		// A script has run past busy-reply-threshold (lua_script.go).
		r.errMsg = busyError()
		return
	}
	// r.db is the logical database; commands get the physical one when
	// they start to run (after any SWAPDB queued before them).
	r.db, r.resp3 = cl.db, cl.resp3
	if cl.multi != nil && spec.Flags&flagMultiCtl == 0 {
		if spec.Flags&FlagNoMulti != 0 {
			r.errMsg = "ERR Command not allowed inside a transaction"
			cl.multi.failed = true
			return
		}
		r.class = clsQueue
		return
	}
	if spec.Flags&flagExec != 0 {
		cl.routeExec(r)
		return
	}
	if c := spec.execClass(); c != 0 {
		r.class = c
		return
	}
	cl.keyPos = spec.keyPositions(r.args, cl.keyPos[:0])
	if len(cl.keyPos) == 0 {
		r.class = ExecGlobal
		return
	}
	eng := cl.s.eng
	first := eng.ShardOf(r.args[cl.keyPos[0]])
	r.class, r.shard = clsKeyed, first
	if spec.Flags&(FlagBlocking|flagIsolated) != 0 {
		// A blocking command runs alone: later commands of the batch wait
		// for it, as they do in Redis.
		r.class = clsMulti
	}
	for _, p := range cl.keyPos[1:] {
		if p < len(r.args) && eng.ShardOf(r.args[p]) != first {
			r.class = clsMulti
			break
		}
	}
	if r.class == clsMulti {
		start := len(cl.shardBf)
		var seen shardSet
		for _, p := range cl.keyPos {
			if p < len(r.args) {
				if sh := eng.ShardOf(r.args[p]); seen.add(sh) {
					cl.shardBf = append(cl.shardBf, sh)
				}
			}
		}
		r.shards = sortUnique(cl.shardBf[start:])
	}
}

// shardSet remembers shard numbers (up to 1024, the executor's limit), so
// a command with a million keys adds each shard once.
type shardSet [16]uint64

func (s *shardSet) add(sh int) bool {
	w, b := sh>>6, uint64(1)<<(sh&63)
	if s[w]&b != 0 {
		return false
	}
	s[w] |= b
	return true
}

func sortUnique(a []int) []int {
	sort.Ints(a)
	out := a[:0]
	for i, v := range a {
		if i == 0 || v != a[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func lookupSub(parent *Spec, name []byte, scratch []byte) (*Spec, []byte) {
	scratch = append(scratch[:0], name...)
	for i, c := range scratch {
		if c >= 'A' && c <= 'Z' {
			scratch[i] = c + 32
		}
	}
	return parent.Subs[string(scratch)], scratch
}

// runFrom runs the batch from command i. It returns true when the batch
// completed synchronously; false when tasks are out, in which case the last
// one continues the batch and finally hands the output over.
func (cl *Client) runFrom(i int) bool {
	for i < len(cl.cmds) {
		r := &cl.cmds[i]
		if cl.closing && r.errMsg == "" {
			// QUIT (or a kill) ends the connection: drop what follows.
			cl.cmds = cl.cmds[:i]
			break
		}
		cl.classify(r)
		if r.errMsg == "" && cl.s.adm.pause.blocks(r.spec) {
			// CLIENT PAUSE: run what is queued, then wait for the end of
			// the pause off the loop goroutine and continue from here.
			if len(cl.active) > 0 {
				break
			}
			cl.flushUpTo(i)
			cl.next = i
			go cl.awaitUnpause()
			return false
		}
		if !r.dispatched {
			r.dispatched = true
			r.mute = cl.muteNext()
		}
		if r.errMsg != "" {
			if cl.multi != nil && r.spec != nil && r.spec.Flags&flagMultiCtl == 0 || cl.multi != nil && r.spec == nil {
				cl.multi.failed = true
			}
			start := len(cl.inline)
			cl.inline = proto.AppendError(cl.inline, r.errMsg)
			cl.s.countError(r.errMsg)
			if r.spec != nil {
				r.spec.stats.rejected.Add(1)
			}
			r.buf, r.start, r.end = bufInline, start, len(cl.inline)
			if r.closeAfter {
				cl.closing = true
			}
			i++
			continue
		}
		switch r.class {
		case ExecInline:
			cl.runInline(r)
			if r.mute != 0 && (cl.replyUnmute || r.mute == replyOff && cl.replyMode == replyOn) {
				r.mute = 0 // CLIENT REPLY ON (or RESET after OFF) answers
			}
			cl.replyUnmute = false
			i++
			continue
		case clsQueue:
			cl.queue(r)
			i++
			continue
		case clsKeyed:
			t := cl.task(r.shard)
			if len(t.idx) == 0 {
				cl.active = append(cl.active, r.shard)
			}
			t.idx = append(t.idx, i)
			i++
			continue
		}
		// Commands that need every earlier command of the batch done.
		if len(cl.active) > 0 {
			break
		}
		switch r.class {
		case ExecAfter:
			cl.runInline(r)
			i++
			continue
		case ExecBackground:
			cl.next = i + 1
			cl.bar.idx = i
			go cl.bar.background()
			return false
		case ExecGlobal:
			cl.next = i + 1
			cl.bar.idx = i
			if r.spec.Flags&flagIsolated != 0 {
				cl.s.eng.SubmitIsolated(cl.s.eng.AllShards(), &cl.bar)
			} else {
				cl.s.eng.SubmitAll(&cl.bar)
			}
			return false
		case clsMulti:
			cl.next = i + 1
			cl.bar.idx = i
			if r.spec.Flags&flagIsolated != 0 {
				cl.s.eng.SubmitIsolated(r.shards, &cl.bar)
			} else {
				cl.s.eng.SubmitMulti(r.shards, &cl.bar)
			}
			return false
		}
	}
	if len(cl.active) == 0 {
		return true
	}
	cl.next = i
	n := len(cl.active)
	cl.pending.Store(int32(n))
	active := cl.active
	cl.active = cl.active[:0] // the submit loop reads no element after the last Submit
	inline := cl.syncRun.Load() && cl.s.inlineExec.Load()
	writes := cl.s.eng.Fsync() != store.FsyncAlways
	for _, sh := range active {
		t := cl.tasks[sh]
		if inline {
			// The shard is idle: run the task here, from memory, without
			// a hand-off to the shard goroutine and back. In a reactor's
			// session its commit waits for the end of the reactor's turn.
			mark := len(t.out)
			if cl.sess != nil {
				if cl.sess.TryRun(sh, t, writes) {
					continue
				}
			} else if cl.s.eng.TryRun(sh, t, writes) {
				continue
			}
			t.out = t.out[:mark]
		}
		cl.s.eng.Submit(sh, t)
	}
	return false
}

// taskDone is called by each task of a phase; the last continues the batch.
func (cl *Client) taskDone() {
	if cl.pending.Add(-1) != 0 {
		return
	}
	cl.resume()
}

// resume continues the batch after an asynchronous step.
func (cl *Client) resume() {
	for _, t := range cl.tasks {
		if t != nil {
			t.idx = t.idx[:0]
		}
	}
	if !cl.runFrom(cl.next) {
		return
	}
	cl.aout = cl.assemble(cl.aout[:0])
	cl.mu.Lock()
	if len(cl.ready) == 0 {
		cl.ready, cl.aout = cl.aout, cl.ready[:0]
	} else {
		cl.ready = append(cl.ready, cl.aout...)
	}
	cl.ready = cl.handOver(cl.ready)
	cl.inflight = false
	killed := cl.killed
	// On the loop goroutine, inside process (an inline run completed the
	// batch), process collects the output itself: no wake-up needed.
	wake := !cl.syncRun.Load()
	cl.mu.Unlock()
	if killed {
		cl.resetTransaction()
	}
	if wake {
		cl.conn.Wake()
	}
}

func (cl *Client) task(shard int) *shardTask {
	if cl.tasks == nil {
		cl.tasks = make([]*shardTask, cl.s.eng.Shards())
	}
	t := cl.tasks[shard]
	if t == nil {
		t = &shardTask{cl: cl, shard: shard}
		cl.tasks[shard] = t
	}
	return t
}

// flushUpTo hands the replies of commands [flushed, i) over to the loop
// before the batch waits (CLIENT PAUSE), as Redis sends them.
func (cl *Client) flushUpTo(i int) {
	if i <= cl.flushed {
		return
	}
	out := cl.assembleRange(nil, cl.flushed, i)
	cl.flushed = i
	cl.mu.Lock()
	cl.ready = append(cl.ready, out...)
	cl.ready = cl.handOver(cl.ready)
	cl.mu.Unlock()
	cl.conn.Wake()
}

// assemble appends the replies of the batch not flushed yet, in command
// order.
func (cl *Client) assemble(dst []byte) []byte {
	return cl.assembleRange(dst, cl.flushed, len(cl.cmds))
}

func (cl *Client) assembleRange(dst []byte, from, to int) []byte {
	for i := from; i < to; i++ {
		r := &cl.cmds[i]
		if r.mute != 0 {
			r.commitErr = ""
			continue
		}
		if r.commitErr != "" {
			dst = proto.AppendError(dst, r.commitErr)
			r.commitErr = ""
			continue
		}
		var src []byte
		switch r.buf {
		case bufInline:
			src = cl.inline
		case bufBarrier:
			src = cl.bar.out
		default:
			src = cl.tasks[r.buf].out
		}
		dst = append(dst, src[r.start:r.end]...)
	}
	return dst
}

// runInline runs r on the current goroutine without a store view.
func (cl *Client) runInline(r *cmdRec) {
	c := &cl.ictx
	*c = Ctx{S: cl.s, Cl: cl, Spec: r.spec, Args: r.args, DB: cl.s.eng.PhysDB(r.db), Out: cl.inline, RESP3: r.resp3}
	start := len(cl.inline)
	cl.s.call(c)
	cl.inline = c.Out
	r.buf, r.start, r.end = bufInline, start, len(cl.inline)
}

// shardTask runs a batch's commands of one shard.
type shardTask struct {
	cl    *Client
	shard int
	idx   []int
	out   []byte
	ctx   Ctx
}

func (t *shardTask) Run(tx *store.Tx) {
	cl := t.cl
	for _, i := range t.idx {
		r := &cl.cmds[i]
		c := &t.ctx
		*c = Ctx{S: cl.s, Cl: cl, Spec: r.spec, Args: r.args, DB: cl.s.eng.PhysDB(r.db), Tx: tx, Out: t.out, RESP3: r.resp3}
		start := len(t.out)
		cl.s.call(c)
		t.out = c.Out
		r.buf, r.start, r.end = t.shard, start, len(t.out)
		tx.RefreshNow()
	}
}

func (t *shardTask) Done(err error) {
	if err != nil {
		for _, i := range t.idx {
			if r := &t.cl.cmds[i]; r.spec.Flags&FlagWrite != 0 {
				r.commitErr = err.Error()
			}
		}
	}
	t.cl.taskDone()
}

// barTask runs one command that needs several shards, every shard, or a
// goroutine of its own.
type barTask struct {
	cl  *Client
	idx int
	out []byte
	ctx Ctx
	// waiting is set when the command blocked (Ctx.Block): the batch then
	// resumes when the waiter is served, times out or is cancelled.
	waiting *waiter
	// retryAll asks Done to run the command again with every shard held.
	retryAll bool
	retryOut int
}

func (b *barTask) Run(tx *store.Tx) {
	cl := b.cl
	r := &cl.cmds[b.idx]
	c := &b.ctx
	*c = Ctx{S: cl.s, Cl: cl, Spec: r.spec, Args: r.args, DB: cl.s.eng.PhysDB(r.db), Tx: tx, Out: b.out, RESP3: r.resp3, bar: b}
	start := len(b.out)
	cl.s.call(c)
	b.out = c.Out
	r.buf, r.start, r.end = bufBarrier, start, len(b.out)
}

func (b *barTask) Done(err error) {
	if r := &b.cl.cmds[b.idx]; err != nil && r.spec.Flags&(FlagWrite|flagExec) != 0 {
		r.commitErr = err.Error()
	}
	if b.waiting != nil {
		return // blocked: the waiter resumes the batch
	}
	if b.retryAll {
		// The command rolled back and asked for every shard (a script
		// touched a key it did not declare): run it again.
		b.retryAll = false
		b.out = b.out[:b.retryOut]
		b.cl.s.eng.SubmitIsolated(b.cl.s.eng.AllShards(), b)
		return
	}
	b.cl.resume()
}

func (b *barTask) background() {
	b.Run(nil)
	b.cl.resume()
}
