package store

import "sync/atomic"

// Per-shard registries of clients interested in keys: WATCH (a transaction
// aborts when a watched key changes) and blocking commands (BLPOP & co.
// wait for a key to receive data). Both are owned by the shard goroutine of
// the key, like the key itself, so they need no locks; a Tx reaches them
// for the shards it holds.

// Watch is one client's WATCH state. The store sets it dirty when a watched
// key is written, deleted, expires or is flushed.
type Watch struct {
	dirty atomic.Bool
}

// Dirty reports whether a watched key changed since the watch began.
func (w *Watch) Dirty() bool { return w.dirty.Load() }

// Reset clears the dirty flag (UNWATCH, EXEC, DISCARD).
func (w *Watch) Reset() { w.dirty.Store(false) }

// MarkDirty sets the flag (for changes the store does not see itself).
func (w *Watch) MarkDirty() { w.dirty.Store(true) }

// Blocked is a command waiting for a key to receive data.
type Blocked interface {
	// Serve is called on the shard goroutine with a Tx holding the key's
	// shard when key in db was signalled ready (a push, an add, a new
	// entry). It returns true when the wait is over (served, or abandoned
	// because another key served it) and the registration must go.
	Serve(tx *Tx, db int, key []byte) bool
	// Done is called after the commit of the group in which Serve
	// returned true having done work; err is the commit's error.
	Done(err error)
}

type doneFunc interface{ Done(err error) }

type waiters struct {
	watches map[string][]*Watch
	blocked map[string][]Blocked
	nwatch  int
	nblock  int
}

func (s *shard) waiters() *waiters {
	if s.w == nil {
		s.w = &waiters{watches: map[string][]*Watch{}, blocked: map[string][]Blocked{}}
	}
	return s.w
}

// shardFor returns the held shard owning meta key mk.
func (tx *Tx) shardFor(mk []byte) *shard {
	if len(tx.shards) == 1 {
		return tx.shards[0]
	}
	slot := uint16(mk[1])<<8 | uint16(mk[2])
	want := tx.e.ShardOfSlot(slot)
	for _, s := range tx.shards {
		if s.idx == want {
			return s
		}
	}
	return nil
}

// Holds reports whether the Tx holds shard i.
func (tx *Tx) Holds(i int) bool {
	for _, s := range tx.shards {
		if s.idx == i {
			return true
		}
	}
	return false
}

// AddWatch registers w on key (db). The Tx must hold the key's shard.
func (tx *Tx) AddWatch(db int, key []byte, w *Watch) {
	mk := appendMetaKey(nil, db, key)
	s := tx.shardFor(mk)
	ws := s.waiters()
	for _, x := range ws.watches[string(mk)] {
		if x == w {
			return
		}
	}
	ws.watches[string(mk)] = append(ws.watches[string(mk)], w)
	ws.nwatch++
}

// RemoveWatch unregisters w from key (db).
func (tx *Tx) RemoveWatch(db int, key []byte, w *Watch) {
	mk := appendMetaKey(tx.k2[:0], db, key)
	s := tx.shardFor(mk)
	if s == nil || s.w == nil {
		return
	}
	list := s.w.watches[string(mk)]
	for i, x := range list {
		if x == w {
			list = append(list[:i], list[i+1:]...)
			s.w.nwatch--
			break
		}
	}
	if len(list) == 0 {
		delete(s.w.watches, string(mk))
	} else {
		s.w.watches[string(mk)] = list
	}
}

// KeyObserver is told of every change of a key, on the goroutine that
// runs the task changing it (holding the key's shard), before the group's
// commit: client-side caching (CLIENT TRACKING) invalidates with it.
type KeyObserver interface {
	// KeyChanged: key's metadata in db was written or deleted; expired
	// when the key was deleted because its TTL passed (lazily or actively).
	// key is valid during the call only.
	KeyChanged(tx *Tx, db int, key []byte, expired bool)
	// DBFlushed: every key of db was deleted (FLUSHDB; FLUSHALL calls it
	// for each database).
	DBFlushed(tx *Tx, db int)
}

type keyObserver struct{ o KeyObserver }

// SetKeyObserver installs o (nil removes it). Without one, key changes cost
// one atomic load.
func (e *Engine) SetKeyObserver(o KeyObserver) {
	if o == nil {
		e.keyObs.Store(nil)
		return
	}
	e.keyObs.Store(&keyObserver{o})
}

// touched is called for every metadata write or delete.
func (tx *Tx) touched(mk []byte) {
	if ko := tx.e.keyObs.Load(); ko != nil {
		ko.o.KeyChanged(tx, int(mk[0]), mk[3:], tx.expiring)
	}
	s := tx.shardFor(mk)
	if s == nil || s.w == nil || s.w.nwatch == 0 {
		return
	}
	for _, w := range s.w.watches[string(mk)] {
		w.dirty.Store(true)
	}
}

// touchedDB marks every watch on db dirty (FLUSHDB, FLUSHALL, SWAPDB).
func (tx *Tx) touchedDB(db int) {
	if ko := tx.e.keyObs.Load(); ko != nil {
		ko.o.DBFlushed(tx, db)
	}
	for _, s := range tx.shards {
		if s.w == nil || s.w.nwatch == 0 {
			continue
		}
		for mk, list := range s.w.watches {
			if int(mk[0]) == db {
				for _, w := range list {
					w.dirty.Store(true)
				}
			}
		}
	}
}

// TouchDB marks every watch on db dirty; the Tx must hold every shard.
func (tx *Tx) TouchDB(db int) { tx.touchedDB(db) }

// Block registers b to be served when key (db) is signalled ready. The Tx
// must hold the key's shard.
func (tx *Tx) Block(db int, key []byte, b Blocked) {
	mk := appendMetaKey(nil, db, key)
	ws := tx.shardFor(mk).waiters()
	ws.blocked[string(mk)] = append(ws.blocked[string(mk)], b)
	ws.nblock++
}

// Unblock removes b's registration on key (db).
func (tx *Tx) Unblock(db int, key []byte, b Blocked) {
	mk := appendMetaKey(tx.k2[:0], db, key)
	s := tx.shardFor(mk)
	if s == nil || s.w == nil {
		return
	}
	list := s.w.blocked[string(mk)]
	for i, x := range list {
		if x == b {
			list = append(list[:i], list[i+1:]...)
			s.w.nblock--
			break
		}
	}
	if len(list) == 0 {
		delete(s.w.blocked, string(mk))
	} else {
		s.w.blocked[string(mk)] = list
	}
}

// SignalReady tells the shard that key (db) received data, so clients
// blocked on it are served after the current command (as Redis's
// signalKeyAsReady). Cheap when nobody is blocked.
func (tx *Tx) SignalReady(db int, key []byte) {
	mk := appendMetaKey(tx.k2[:0], db, key)
	s := tx.shardFor(mk)
	if s == nil || s.w == nil || s.w.nblock == 0 {
		return
	}
	if _, ok := s.w.blocked[string(mk)]; !ok {
		return
	}
	for _, r := range tx.ready {
		if string(r) == string(mk) {
			return
		}
	}
	tx.ready = append(tx.ready, append([]byte(nil), mk...))
}

// serveReady serves the clients blocked on keys signalled ready, in the
// order they blocked, and returns those whose wait ended with work done so
// they can complete after the commit.
func (tx *Tx) serveReady(done []doneFunc) []doneFunc {
	for len(tx.ready) > 0 {
		mk := tx.ready[0]
		tx.ready = tx.ready[1:]
		s := tx.shardFor(mk)
		if s == nil || s.w == nil {
			continue
		}
		db, key := int(mk[0]), append([]byte(nil), mk[3:]...)
		for {
			list := s.w.blocked[string(mk)]
			if len(list) == 0 {
				break
			}
			served := -1
			for i, b := range list {
				tx.RefreshNow()
				if b.Serve(tx, db, key) {
					served = i
					break
				}
			}
			if served < 0 {
				break
			}
			b := list[served]
			tx.Unblock(db, key, b)
			done = append(done, b)
		}
	}
	return done
}
