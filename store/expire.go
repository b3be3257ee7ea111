package store

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/linxGnu/grocksdb"
)

// Active expiry: a background goroutine walks the expire CF (ordered by
// expiry time) up to now and asks each key's shard to delete the keys whose
// metadata still carries that expiry. TTLs thus fire on time for keys that
// nobody reads, DBSIZE stays exact, and "expired" keyspace events fire.

const (
	expireEvery    = 100 * time.Millisecond
	expireBatchMax = 2000
	// expireRoundsMax bounds the rounds of one tick, so entries that cannot
	// be deleted (a storage error) never keep the loop spinning.
	expireRoundsMax = 64
)

type expireEntry struct {
	at  int64
	db  int
	key []byte
}

type expireTask struct {
	e       *Engine
	entries []expireEntry
	wg      *sync.WaitGroup
}

func (t *expireTask) Run(tx *Tx) {
	for _, en := range t.entries {
		tx.mk = appendMetaKey(tx.mk[:0], en.db, en.key)
		rec, ok, err := tx.get(CFMeta, tx.mk)
		if err != nil {
			continue
		}
		if !ok || metaExpire(rec) != en.at {
			// Stale index entry: the key is gone or has another expiry.
			tx.k2 = appendExpireKey(tx.k2[:0], en.at, en.db, en.key)
			tx.del(CFExpire, tx.k2)
			continue
		}
		if _, _, err := tx.Lookup(en.db, en.key); err != nil {
			continue
		}
	}
}

func (t *expireTask) Done(error) { t.wg.Done() }

func (e *Engine) expireLoop() {
	defer e.wg.Done()
	t := time.NewTicker(expireEvery)
	defer t.Stop()
	var floor int64 // expiries below it have been processed
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		if e.noExpire.Load() {
			continue
		}
		for round := 0; round < expireRoundsMax; round++ {
			n, last := e.expireRound(floor)
			if last > 0 {
				floor = last - 10_000 // leave a margin for clock steps
			}
			if n < expireBatchMax {
				break
			}
			select {
			case <-e.stop:
				return
			default:
			}
		}
	}
}

// SetActiveExpire turns active expiry on or off (DEBUG SET-ACTIVE-EXPIRE).
// Expired keys still vanish when read.
func (e *Engine) SetActiveExpire(on bool) { e.noExpire.Store(!on) }

// expireRound deletes up to expireBatchMax expired keys; it returns how
// many it found and the expiry time of the last one.
func (e *Engine) expireRound(floor int64) (int, int64) {
	now := time.Now().UnixMilli()
	var lower [8]byte
	if floor > 0 {
		binary.BigEndian.PutUint64(lower[:], uint64(floor))
	}
	var upper [8]byte
	binary.BigEndian.PutUint64(upper[:], uint64(now+1))
	it := e.newIter(CFExpire, lower[:], upper[:])
	perShard := make(map[int][]expireEntry)
	n := 0
	var last int64
	for it.SeekToFirst(); it.Valid() && n < expireBatchMax; it.Next() {
		k := it.Key()
		kb := k.Data()
		if len(kb) >= 9 {
			at := int64(binary.BigEndian.Uint64(kb))
			db := int(kb[8])
			key := append([]byte(nil), kb[9:]...)
			if db < e.opts.Databases {
				sh := e.ShardOf(key)
				perShard[sh] = append(perShard[sh], expireEntry{at, db, key})
				n++
				last = at
			}
		}
		k.Free()
	}
	it.Close()
	if n == 0 {
		return 0, 0
	}
	var wg sync.WaitGroup
	for sh, entries := range perShard {
		wg.Add(1)
		e.Submit(sh, &expireTask{e: e, entries: entries, wg: &wg})
	}
	// Close stops the shards before it closes e.stop: a task queued just
	// then never runs, so stop waiting for it at close.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-e.stop:
	}
	return n, last
}

// queueReclaim asks the background reclaimer to compact the ranges of
// collections deleted with a range tombstone, so their space returns without
// a manual compaction and reads stop paying for the tombstones.
func (e *Engine) queueReclaim(ids []uint64) {
	e.reclaimMu.Lock()
	e.reclaimIDs = append(e.reclaimIDs, ids...)
	e.reclaimMu.Unlock()
	select {
	case e.reclaimCh <- struct{}{}:
	default:
	}
}

// reclaimAll asks the reclaimer to compact everything (after FLUSHALL).
const reclaimAll = ^uint64(0)

func (e *Engine) reclaimLoop() {
	defer e.wg.Done()
	for {
		select {
		case <-e.stop:
			return
		case <-e.reclaimCh:
		}
		// Let deletes pile up a little: one compaction can cover many.
		select {
		case <-e.stop:
			return
		case <-time.After(time.Second):
		}
		e.reclaimMu.Lock()
		ids := e.reclaimIDs
		e.reclaimIDs = nil
		e.reclaimMu.Unlock()
		for _, id := range ids {
			if id == reclaimAll {
				for _, cf := range e.cfs {
					e.db.CompactRangeCF(cf, grocksdb.Range{})
				}
				continue
			}
			lo, hi := idPrefix(id), idPrefix(id+1)
			for _, cf := range []CF{CFSub, CFScore, CFStream} {
				e.db.CompactRangeCF(e.cfs[cf], grocksdb.Range{Start: lo[:], Limit: hi[:]})
			}
			e.stats.Reclaimed.Add(1)
		}
	}
}
