package store

import (
	"sync"
	"sync/atomic"
)

// Task is a unit of work for the executor: typically one client's commands
// for one shard.
type Task interface {
	// Run executes the task against tx on the goroutine that owns tx's
	// shards. Run must not block on anything but the store.
	Run(tx *Tx)
	// Done is called once the group that ran the task is committed: err is
	// nil when the task's writes are durable per the fsync mode, or the
	// commit's error. It runs on a shard goroutine and must not block.
	Done(err error)
}

// maxGroupTasks caps how many tasks one commit covers, so a flood of
// clients still sees replies at a steady pace.
const maxGroupTasks = 4096

// shard owns the keys of the slots congruent to its index. One goroutine
// runs all of its tasks, so the shard's cache, counters and overlay need no
// locks.
type shard struct {
	e     *Engine
	idx   int
	cache *hotCache
	tx    *Tx

	mu       sync.Mutex
	queue    []item
	spare    []item
	idle     bool // the shard goroutine waits for work
	owned    bool // a goroutine (the shard's or an inline runner) is running tasks
	stopping bool
	wake     chan struct{}
	done     chan struct{}

	finished []doneFunc
	holder   *Session     // the session holding the shard (under mu)
	busy     atomic.Int64 // tasks run, for INFO
	w        *waiters     // WATCH and blocked clients on this shard's keys
}

type item struct {
	task Task
	bar  *barrier
}

// barrier is the rendezvous of a task over several shards: every involved
// shard commits what it had, then parks; the last to arrive runs the task
// with all of them held and releases them after its commit.
type barrier struct {
	task    Task
	shards  []*shard
	arrived atomic.Int32
	release chan struct{}
}

func (e *Engine) startShards() {
	n := e.opts.Shards
	per := e.opts.HotCacheSize / int64(n)
	for i := 0; i < n; i++ {
		s := &shard{e: e, idx: i, wake: make(chan struct{}, 1), done: make(chan struct{})}
		if per > 0 {
			s.cache = newHotCache(per)
		}
		s.tx = newTx(e, []*shard{s})
		e.shards = append(e.shards, s)
		go s.run()
	}
}

// stopShards lets every shard finish its queue, then stops it.
func (e *Engine) stopShards() {
	for _, s := range e.shards {
		s.mu.Lock()
		s.stopping = true
		idle := s.idle
		s.idle = false
		s.mu.Unlock()
		if idle {
			s.wake <- struct{}{}
		}
	}
	for _, s := range e.shards {
		<-s.done
	}
}

// Shards returns the number of executor shards.
func (e *Engine) Shards() int { return len(e.shards) }

// ShardOf returns the shard that owns key.
func (e *Engine) ShardOf(key []byte) int { return int(Slot(key)) % len(e.shards) }

// ShardOfSlot returns the shard that owns slot.
func (e *Engine) ShardOfSlot(slot uint16) int { return int(slot) % len(e.shards) }

// Submit queues t on shard i. It never blocks.
func (e *Engine) Submit(i int, t Task) {
	e.shards[i].push(item{task: t})
}

// SubmitMulti queues t to run with all the given shards held (ascending,
// without duplicates). With one shard it is Submit.
func (e *Engine) SubmitMulti(shards []int, t Task) {
	if len(shards) == 1 {
		e.Submit(shards[0], t)
		return
	}
	b := &barrier{task: t, release: make(chan struct{})}
	for _, i := range shards {
		b.shards = append(b.shards, e.shards[i])
	}
	// All barriers enter every queue in one global order, so two
	// multi-shard tasks can never wait for each other.
	e.multi.Lock()
	for _, s := range b.shards {
		s.push(item{bar: b})
	}
	e.multi.Unlock()
}

// SubmitIsolated queues t to run with the given shards held (ascending,
// without duplicates) and a Tx of its own even for one shard, so the task
// can roll its writes back (Tx.Rollback): scripts use it.
func (e *Engine) SubmitIsolated(shards []int, t Task) {
	b := &barrier{task: t, release: make(chan struct{})}
	for _, i := range shards {
		b.shards = append(b.shards, e.shards[i])
	}
	e.multi.Lock()
	for _, s := range b.shards {
		s.push(item{bar: b})
	}
	e.multi.Unlock()
}

// AllShards returns the indices of every shard.
func (e *Engine) AllShards() []int {
	all := make([]int, len(e.shards))
	for i := range all {
		all[i] = i
	}
	return all
}

// SubmitAll queues t to run with every shard held.
func (e *Engine) SubmitAll(t Task) {
	if len(e.shards) == 1 {
		e.Submit(0, t)
		return
	}
	all := make([]int, len(e.shards))
	for i := range all {
		all[i] = i
	}
	e.SubmitMulti(all, t)
}

func (s *shard) push(it item) {
	s.mu.Lock()
	s.queue = append(s.queue, it)
	wake := s.idle && !s.owned
	if wake {
		s.idle = false
	}
	s.mu.Unlock()
	if wake {
		s.wake <- struct{}{}
	}
}

// release gives up ownership after an inline run, waking the shard
// goroutine if work arrived meanwhile.
func (s *shard) release() {
	s.mu.Lock()
	s.owned = false
	s.holder = nil
	wake := s.idle && len(s.queue) > 0
	if wake {
		s.idle = false
	}
	s.mu.Unlock()
	if wake {
		s.wake <- struct{}{}
	}
}

// TryRun runs t on the caller's goroutine when shard i is idle, so a
// client's batch needs no hand-off to the shard goroutine and back. The
// task runs in memory-only mode: a read that would go to disk, or a write
// when writes is false, aborts it; then its writes are rolled back and
// TryRun returns false (the caller submits it normally). On success the
// task is committed and completed (Done) before TryRun returns true.
func (e *Engine) TryRun(i int, t Task, writes bool) bool {
	s := e.shards[i]
	s.mu.Lock()
	if s.owned || len(s.queue) > 0 || s.stopping {
		s.mu.Unlock()
		return false
	}
	s.owned = true
	s.mu.Unlock()
	tx := s.tx
	tx.startTask()
	tx.memOnly, tx.aborted, tx.noWrites = true, false, !writes
	t.Run(tx)
	tx.memOnly = false
	if tx.aborted || len(tx.ready) > 0 {
		tx.Rollback()
		s.release()
		e.stats.InlineAborts.Add(1)
		return false
	}
	err := tx.commit()
	s.release()
	e.stats.Inline.Add(1)
	t.Done(err)
	return true
}

// Session runs tasks inline, like TryRun, for one goroutine (a network
// reactor) and commits them together: the shards it runs on stay held
// until Flush, which writes each shard's group once and completes its
// tasks. A reactor flushes at the end of every turn, so the commands of
// all the connections it served in that turn share one WAL write and one
// pass through RocksDB's write path, as Redis writes one AOF buffer per
// event-loop turn. Not safe for concurrent use.
type Session struct {
	e    *Engine
	held []*shard
}

// NewSession returns a session over e.
func (e *Engine) NewSession() *Session { return &Session{e: e} }

// TryRun runs t inline on shard i as Engine.TryRun does, but leaves the
// commit, and t's Done, to Flush. It reports false, with nothing of t
// kept, when the shard is busy elsewhere or t needed the disk (or, when
// writes is false, wrote): the caller submits t normally.
func (ss *Session) TryRun(i int, t Task, writes bool) bool {
	e := ss.e
	s := e.shards[i]
	s.mu.Lock()
	if s.holder != ss {
		if s.owned || len(s.queue) > 0 || s.stopping {
			s.mu.Unlock()
			return false
		}
		s.owned = true
		s.holder = ss
		ss.held = append(ss.held, s)
	}
	s.mu.Unlock()
	tx := s.tx
	tx.startTask()
	sp := tx.save()
	tx.memOnly, tx.aborted, tx.noWrites = true, false, !writes
	t.Run(tx)
	tx.memOnly = false
	if tx.aborted || len(tx.ready) > sp.ready {
		tx.rollbackTo(sp)
		e.stats.InlineAborts.Add(1)
		// t goes to the shard goroutine (a disk read, as a rule): let it
		// start now, beside this reactor, not at the end of the turn.
		ss.drop(s)
		return false
	}
	e.stats.Inline.Add(1)
	s.finished = append(s.finished, t)
	if len(s.finished) >= maxGroupTasks {
		s.commit()
	}
	return true
}

// drop commits the session's group on s and releases s.
func (ss *Session) drop(s *shard) {
	s.busy.Add(int64(len(s.finished)))
	s.commit()
	s.release()
	for i, h := range ss.held {
		if h == s {
			last := len(ss.held) - 1
			ss.held[i], ss.held[last] = ss.held[last], nil
			ss.held = ss.held[:last]
			break
		}
	}
}

// Held reports whether the session holds tasks to commit.
func (ss *Session) Held() bool { return len(ss.held) > 0 }

// Flush commits the session's groups, completes their tasks and releases
// the shards. Done runs on the caller's goroutine.
func (ss *Session) Flush() {
	for len(ss.held) > 0 {
		ss.drop(ss.held[len(ss.held)-1])
	}
}

func (s *shard) run() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 || s.owned {
			if s.stopping && len(s.queue) == 0 && !s.owned {
				s.mu.Unlock()
				return
			}
			s.idle = true
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		s.owned = true
		items := s.queue
		s.queue = s.spare[:0]
		s.mu.Unlock()

		for _, it := range items {
			if it.bar != nil {
				s.commit()
				it.bar.arrive(s)
				continue
			}
			s.tx.startTask()
			it.task.Run(s.tx)
			s.finished = append(s.finished, it.task)
			if len(s.tx.ready) > 0 {
				s.finished = s.tx.serveReady(s.finished)
			}
			if len(s.finished) >= maxGroupTasks {
				s.commit()
			}
		}
		s.commit()
		s.busy.Add(int64(len(items)))
		clear(items)
		s.spare = items
		s.mu.Lock()
		s.owned = false
		s.mu.Unlock()
	}
}

// commit writes the shard's group and completes its tasks.
func (s *shard) commit() {
	if len(s.finished) == 0 && s.tx.clean() {
		return
	}
	err := s.tx.commit()
	for i, t := range s.finished {
		t.Done(err)
		s.finished[i] = nil
	}
	s.finished = s.finished[:0]
}

func (b *barrier) arrive(s *shard) {
	if int(b.arrived.Add(1)) < len(b.shards) {
		<-b.release
		return
	}
	tx := s.e.barrierTx(b.shards)
	tx.startTask()
	b.task.Run(tx)
	var served []doneFunc
	if len(tx.ready) > 0 {
		served = tx.serveReady(nil)
	}
	err := tx.commit()
	tx.shards = nil
	s.e.txPool.Put(tx)
	b.task.Done(err)
	for _, d := range served {
		d.Done(err)
	}
	close(b.release)
}

// barrierTx returns a Tx over shards from the pool: a fresh Tx costs
// ~70 KB of overlay and batch buffers, too much for every script and
// multi-shard command. A committed Tx holds no state but its buffers.
func (e *Engine) barrierTx(shards []*shard) *Tx {
	if tx, ok := e.txPool.Get().(*Tx); ok {
		tx.shards = shards
		return tx
	}
	return newTx(e, shards)
}
