package command

import (
	"github.com/diskdb/diskdb/store"
)

// Transactions (multi.c): MULTI queues commands, EXEC runs them atomically
// with the shards of every key they name (and of the watched keys) held, in
// one store.Tx: one WriteBatch, no other client sees a partial transaction,
// and clients working on keys of other shards keep flowing.

// Internal flags of the transaction commands.
const (
	flagMultiCtl Flag = 1 << 28 // runs (never queued) inside MULTI
	flagExec     Flag = 1 << 27 // EXEC: routed by the queued commands' keys
	flagIsolated Flag = 1 << 25 // runs with a Tx of its own (scripts: may roll back)
)

func init() {
	register(
		&Spec{Name: "multi", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy | ExecInline | flagMultiCtl, Handler: cmdMulti, Group: "transactions", Summary: "Starts a transaction.", Since: "1.2.0"},
		&Spec{Name: "exec", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagSkipSlowlog | flagMultiCtl | flagExec, Handler: cmdExec, Group: "transactions", Summary: "Executes all commands in a transaction.", Since: "1.2.0"},
		&Spec{Name: "discard", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy | ExecInline | flagMultiCtl, Handler: cmdDiscard, Group: "transactions", Summary: "Discards a transaction.", Since: "2.0.0"},
		&Spec{Name: "watch", Arity: -2, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy | flagMultiCtl, FirstKey: 1, LastKey: -1, Handler: cmdWatch, Group: "transactions", Summary: "Monitors changes to keys to determine the execution of a transaction.", Since: "2.2.0"},
		&Spec{Name: "unwatch", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy | ExecInline, Handler: cmdUnwatch, Group: "transactions", Summary: "Forgets about watched keys of a transaction.", Since: "2.2.0"},
	)
	// QUIT and RESET act at once inside MULTI too.
	for _, n := range []string{"quit", "reset"} {
		if s := table[n]; s != nil {
			s.Flags |= flagMultiCtl
		}
	}
}

type multiState struct {
	cmds   []queuedCmd
	failed bool // a command was rejected while queuing: EXEC aborts
}

type queuedCmd struct {
	spec *Spec
	args [][]byte
}

type watchedKey struct {
	db  int
	key []byte
}

// queue stores a command received inside MULTI and replies +QUEUED.
func (cl *Client) queue(r *cmdRec) {
	args := make([][]byte, len(r.args))
	for i, a := range r.args {
		args[i] = append([]byte(nil), a...)
	}
	cl.multi.cmds = append(cl.multi.cmds, queuedCmd{spec: r.spec, args: args})
	start := len(cl.inline)
	cl.inline = append(cl.inline, "+QUEUED\r\n"...)
	r.buf, r.start, r.end = bufInline, start, len(cl.inline)
}

// routeExec decides where EXEC runs: with the shards of every key of the
// queued commands and of the watched keys, every shard if a queued command
// needs them all, inline if no key is involved.
func (cl *Client) routeExec(r *cmdRec) {
	if cl.multi == nil || cl.multi.failed {
		r.class = ExecInline // the handler replies the error
		return
	}
	eng := cl.s.eng
	start := len(cl.shardBf)
	all := false
	for _, q := range cl.multi.cmds {
		switch q.spec.execClass() {
		case ExecInline, ExecAfter, ExecBackground:
			continue
		case ExecGlobal:
			all = true
		}
		if q.spec.Flags&flagIsolated != 0 {
			// A script may use keys it did not declare; inside EXEC it
			// cannot run again with more shards, so it gets them all.
			all = true
		}
		pos := q.spec.keyPositions(q.args, cl.keyPos[:0])
		cl.keyPos = pos
		if len(pos) == 0 {
			all = true
		}
		for _, p := range pos {
			if p < len(q.args) {
				cl.shardBf = append(cl.shardBf, eng.ShardOf(q.args[p]))
			}
		}
	}
	for _, w := range cl.watched {
		cl.shardBf = append(cl.shardBf, eng.ShardOf(w.key))
	}
	switch {
	case all:
		r.class = ExecGlobal
	case len(cl.shardBf) == start:
		r.class = ExecAfter
	default:
		r.class = clsMulti
		r.shards = sortUnique(cl.shardBf[start:])
	}
}

func cmdMulti(c *Ctx) {
	if c.Cl.multi != nil {
		c.Err(errNestedMulti)
		return
	}
	c.Cl.multi = &multiState{}
	c.OK()
}

func cmdDiscard(c *Ctx) {
	if c.Cl.multi == nil {
		c.Err("ERR DISCARD without MULTI")
		return
	}
	c.Cl.multi = nil
	c.Cl.unwatch(nil)
	c.OK()
}

func cmdExec(c *Ctx) {
	cl := c.Cl
	m := cl.multi
	if m == nil {
		c.Err(errNotInMulti)
		return
	}
	cl.multi = nil
	if m.failed {
		cl.unwatch(c.Tx)
		c.Err(errExecAbort)
		return
	}
	if cl.watch != nil {
		if c.Tx != nil {
			// A watched key that expired since WATCH counts as changed:
			// the lookup deletes it, which marks the watch.
			for _, w := range cl.watched {
				if _, _, err := c.Tx.Lookup(w.db, w.key); err != nil {
					cl.unwatch(c.Tx)
					c.StoreErr(err)
					return
				}
			}
		}
		dirty := cl.watch.Dirty()
		cl.unwatch(c.Tx)
		if dirty {
			c.NullArray()
			return
		}
	}
	c.Array(len(m.cmds))
	for _, q := range m.cmds {
		sub := &Ctx{S: c.S, Cl: cl, Spec: q.spec, Args: q.args, DB: c.S.eng.PhysDB(cl.currentDB()), Tx: c.Tx, Out: c.Out, RESP3: c.RESP3, InExec: true}
		c.S.call(sub)
		c.Out = sub.Out
		if c.Tx != nil {
			c.Tx.RefreshNow()
		}
	}
}

func cmdWatch(c *Ctx) {
	cl := c.Cl
	if cl.multi != nil {
		c.Err("ERR WATCH inside MULTI is not allowed")
		return
	}
	if cl.watch == nil {
		cl.watch = &store.Watch{}
	}
	for _, k := range c.Args[1:] {
		// Expire first, so a key already expired at WATCH time does not
		// count as a change later.
		if _, _, err := c.Tx.Lookup(c.DB, k); err != nil {
			c.StoreErr(err)
			return
		}
		c.Tx.AddWatch(c.DB, k, cl.watch)
		cl.watched = append(cl.watched, watchedKey{db: c.DB, key: append([]byte(nil), k...)})
	}
	c.OK()
}

func cmdUnwatch(c *Ctx) {
	c.Cl.unwatch(nil)
	c.OK()
}

func (cl *Client) currentDB() int {
	cl.info.Lock()
	defer cl.info.Unlock()
	return cl.db
}

// unwatch forgets the watched keys. With tx (holding their shards) the
// registrations go at once; otherwise small tasks remove them, and a fresh
// Watch is used for later WATCHes so late removals cannot hit it.
func (cl *Client) unwatch(tx *store.Tx) {
	w, keys := cl.watch, cl.watched
	cl.watch, cl.watched = nil, nil
	if w == nil {
		return
	}
	if tx != nil {
		for _, k := range keys {
			tx.RemoveWatch(k.db, k.key, w)
		}
		return
	}
	eng := cl.s.eng
	byShard := map[int][]watchedKey{}
	for _, k := range keys {
		sh := eng.ShardOf(k.key)
		byShard[sh] = append(byShard[sh], k)
	}
	for sh, ks := range byShard {
		eng.Submit(sh, &unwatchTask{w: w, keys: ks})
	}
}

// resetTransaction drops MULTI state and watches (RESET, disconnect).
func (cl *Client) resetTransaction() {
	cl.multi = nil
	cl.unwatch(nil)
}

type unwatchTask struct {
	w    *store.Watch
	keys []watchedKey
}

func (t *unwatchTask) Run(tx *store.Tx) {
	for _, k := range t.keys {
		tx.RemoveWatch(k.db, k.key, t.w)
	}
}

func (t *unwatchTask) Done(error) {}
