package command

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Blocking commands (blocked.c): a command that finds no data calls
// Ctx.Block. The client's batch then pauses; each key's shard keeps the
// waiter in its registry (store/waiters.go) and serves it, first come first
// served, when a write signals the key ready (Tx.SignalReady). A timer, a
// disconnect or CLIENT UNBLOCK cancels it. A blocked client costs no CPU.

const (
	waitWaiting = iota
	waitDone
)

type waiter struct {
	mu        sync.Mutex
	state     int
	cl        *Client
	b         *barTask
	idx       int
	db        int
	keys      [][]byte
	shards    []int
	timer     *time.Timer
	onTimeout func(c *Ctx)
	ctx       Ctx
	// retryPending is set while a retry over all the command's shards is
	// queued (Ctx.ServeElsewhere).
	retryPending bool
	// served is set by the Serve call that served the client, until its
	// Done resumes the batch.
	served atomic.Bool
}

var blockedClients atomic.Int64

// parseTimeout parses a blocking timeout in seconds (a double, as Redis 6+
// takes it); 0 means forever.
func parseTimeout(c *Ctx, i int) (time.Duration, bool) {
	f, ok := proto.ParseFloat(c.Args[i])
	if !ok {
		c.Err("ERR timeout is not a float or out of range")
		return 0, false
	}
	ms := math.Ceil(f * 1000)
	// redis-server 7.0 converts to long long without a range check: what
	// does not fit (inf included) comes out negative.
	if ms < 0 || ms >= math.MaxInt64 || math.IsInf(ms, 0) {
		c.Err(errTimeoutNeg)
		return 0, false
	}
	if ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		ms = float64(math.MaxInt64 / int64(time.Millisecond)) // ~292 years: forever enough
	}
	return time.Duration(ms) * time.Millisecond, true
}

// CanBlock reports whether the command may block (not inside EXEC or a
// script, where blocking commands behave as if they timed out at once).
func (c *Ctx) CanBlock() bool { return c.bar != nil && !c.InExec }

// Block parks the client until one of keys (in c.DB) receives data and the
// command's Spec.Serve serves it, or timeout (0: forever) passes and
// onTimeout writes the reply. Only for commands with FlagBlocking, after
// CanBlock returned true, and without having replied.
func (c *Ctx) Block(keys [][]byte, timeout time.Duration, onTimeout func(c *Ctx)) {
	b := c.bar
	w := &waiter{cl: c.Cl, b: b, idx: b.idx, db: c.DB, onTimeout: onTimeout}
	eng := c.S.eng
	for _, k := range keys {
		kc := append([]byte(nil), k...)
		w.keys = append(w.keys, kc)
		w.shards = append(w.shards, eng.ShardOf(kc))
		c.Tx.Block(c.DB, kc, w)
	}
	// Cancels and retries hold every shard the command names (BLMOVE's
	// destination too), not only those it waits on.
	for _, sh := range c.Cl.cmds[b.idx].shards {
		w.shards = append(w.shards, sh)
	}
	w.shards = sortUnique(w.shards)
	b.waiting = w
	c.Cl.blocked.Store(w)
	blockedClients.Add(1)
	if timeout > 0 {
		w.timer = time.AfterFunc(timeout, func() { w.cancel(cancelTimeout) })
	}
}

func (w *waiter) Serve(tx *store.Tx, db int, key []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != waitWaiting {
		return true // served or cancelled through another key: drop it
	}
	cl := w.cl
	r := &cl.cmds[w.idx]
	c := &w.ctx
	*c = Ctx{S: cl.s, Cl: cl, Spec: r.spec, Args: r.args, DB: db, Tx: tx, Out: w.b.out, RESP3: r.resp3}
	start := len(w.b.out)
	if !r.spec.Serve(c, key) {
		if c.elsewhere && !w.retryPending {
			// The command also needs keys of shards this Tx does not
			// hold (BLMOVE to another shard): retry with all of them.
			w.retryPending = true
			cl.s.eng.SubmitMulti(w.shards, &retryTask{w: w, key: append([]byte(nil), key...)})
		}
		return false
	}
	w.b.out = c.Out
	r.buf, r.start, r.end = bufBarrier, start, len(w.b.out)
	w.finish(tx, key)
	w.served.Store(true)
	return true
}

// finish ends the wait (w.mu held): registrations on shards tx holds go
// now, the others by small tasks.
func (w *waiter) finish(tx *store.Tx, servedKey []byte) {
	w.state = waitDone
	if w.timer != nil {
		w.timer.Stop()
	}
	blockedClients.Add(-1)
	w.cl.blocked.CompareAndSwap(w, nil)
	eng := w.cl.s.eng
	var rest map[int][][]byte
	for _, k := range w.keys {
		if servedKey != nil && string(k) == string(servedKey) {
			continue // the store drops the served registration itself
		}
		sh := eng.ShardOf(k)
		if tx.Holds(sh) {
			tx.Unblock(w.db, k, w)
			continue
		}
		if rest == nil {
			rest = map[int][][]byte{}
		}
		rest[sh] = append(rest[sh], k)
	}
	for sh, ks := range rest {
		eng.Submit(sh, &unblockTask{w: w, keys: ks})
	}
}

// Done resumes the client's batch after the commit that served it.
func (w *waiter) Done(err error) {
	// The store calls Done for every registration Serve dropped, including
	// stale ones (the wait already ended through another key): only the
	// call that follows the serve resumes the client.
	if !w.served.CompareAndSwap(true, false) {
		return
	}
	if r := &w.cl.cmds[w.idx]; err != nil && r.spec.Flags&FlagWrite != 0 {
		r.commitErr = err.Error()
	}
	w.b.waiting = nil
	w.cl.resume()
}

const (
	cancelTimeout = iota // reply as the command's timeout
	cancelError          // reply -UNBLOCKED (CLIENT UNBLOCK ... ERROR)
	cancelSilent         // the client is gone
)

// cancel ends the wait from outside (timer, CLIENT UNBLOCK, disconnect):
// a task holding every shard of the waiter's keys removes it.
func (w *waiter) cancel(mode int) {
	w.cl.s.eng.SubmitMulti(w.shards, &cancelTask{w: w, mode: mode})
}

type cancelTask struct {
	w      *waiter
	mode   int
	worked bool
}

func (t *cancelTask) Run(tx *store.Tx) {
	w := t.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != waitWaiting {
		return
	}
	cl := w.cl
	r := &cl.cmds[w.idx]
	c := &w.ctx
	*c = Ctx{S: cl.s, Cl: cl, Spec: r.spec, Args: r.args, DB: w.db, Tx: tx, Out: w.b.out, RESP3: r.resp3}
	start := len(w.b.out)
	switch t.mode {
	case cancelTimeout:
		w.onTimeout(c)
	case cancelError:
		c.Err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
	}
	w.b.out = c.Out
	r.buf, r.start, r.end = bufBarrier, start, len(w.b.out)
	w.finish(tx, nil)
	t.worked = true
}

func (t *cancelTask) Done(error) {
	if t.worked {
		t.w.b.waiting = nil
		t.w.cl.resume()
	}
}

// retryTask serves a waiter whose command needs several shards, with all
// of them held.
type retryTask struct {
	w      *waiter
	key    []byte
	worked bool
}

func (t *retryTask) Run(tx *store.Tx) {
	w := t.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.retryPending = false
	if w.state != waitWaiting {
		return
	}
	cl := w.cl
	r := &cl.cmds[w.idx]
	c := &w.ctx
	*c = Ctx{S: cl.s, Cl: cl, Spec: r.spec, Args: r.args, DB: w.db, Tx: tx, Out: w.b.out, RESP3: r.resp3}
	start := len(w.b.out)
	if !r.spec.Serve(c, t.key) {
		return
	}
	w.b.out = c.Out
	r.buf, r.start, r.end = bufBarrier, start, len(w.b.out)
	w.finish(tx, nil)
	t.worked = true
}

func (t *retryTask) Done(err error) {
	if !t.worked {
		return
	}
	if r := &t.w.cl.cmds[t.w.idx]; err != nil && r.spec.Flags&FlagWrite != 0 {
		r.commitErr = err.Error()
	}
	t.w.b.waiting = nil
	t.w.cl.resume()
}

// ServeElsewhere tells the blocking machinery, from a Spec.Serve that
// returns false, that it could not serve only because the command also
// needs a key on a shard the current Tx does not hold.
func (c *Ctx) ServeElsewhere() { c.elsewhere = true }

type unblockTask struct {
	w    *waiter
	keys [][]byte
}

func (t *unblockTask) Run(tx *store.Tx) {
	for _, k := range t.keys {
		tx.Unblock(t.w.db, k, t.w)
	}
}

func (t *unblockTask) Done(error) {}

// unblock cancels the client's wait, if any (CLIENT UNBLOCK, disconnect).
// It reports whether the client was blocked.
func (cl *Client) unblock(mode int) bool {
	w := cl.blocked.Load()
	if w == nil {
		return false
	}
	w.cancel(mode)
	return true
}

func init() {
	unblockers = append(unblockers, func(cl *Client, withError bool) bool {
		if withError {
			return cl.unblock(cancelError)
		}
		return cl.unblock(cancelTimeout)
	})
	resetHooks = append(resetHooks, func(cl *Client) {
		cl.resetTransaction()
		cl.unsubscribeAll()
	})
}

// BlockedClients returns how many clients wait in blocking commands.
func BlockedClients() int64 { return blockedClients.Load() }
