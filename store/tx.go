package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/linxGnu/grocksdb"
)

// Errors of the typed API. The command layer turns them into Redis's texts.
var (
	ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNoSuchKey = errors.New("ERR no such key")
	ErrCorrupt   = errors.New("ERR corrupt record detected (checksum or format); refusing to serve it")
)

// Tx is the view a task runs against: reads see RocksDB, the shard's hot
// cache and the writes made earlier in the same group; writes go to the
// group's WriteBatch, committed once for the whole group. A Tx is used by
// one goroutine at a time and only for the keys of the shards it holds.
//
// Slices returned by a Tx's reads are valid until the next write or the end
// of the task, whichever is first; copy what must live longer.
type Tx struct {
	e      *Engine
	shards []*shard // held shards, indexed by shard number when len > 1

	w   wbuf
	ov  *overlay
	now int64

	counts    []countDelta
	countFrom int      // countKey merges into counts[countFrom:] only
	dirtyMeta bool     // metadata written in this group
	reclaim   []uint64 // ids range-deleted in this group
	flushDBs  []int    // databases emptied in this batch
	events    []event
	expired   int64
	ready     [][]byte // meta keys signalled ready for blocked clients

	// Inline runs (Engine.TryRun): reads must be served from memory, and
	// writes may be refused; either sets aborted and the run is redone on
	// the shard goroutine.
	memOnly  bool
	noWrites bool
	aborted  bool

	expiring bool // deleting an expired key (for the key observer)

	// Ext is free for the command layer's per-task state (client-side
	// caching keeps who runs the current command there); the store never
	// reads it.
	Ext any

	mk      []byte // scratch meta key
	k2      []byte // scratch key
	rbuf    []byte // copies of values read from RocksDB this task
	scratch []byte
}

type countDelta struct {
	db      int
	slot    uint16
	keys    int64
	expires int64
}

type event struct {
	db   int
	name string
	key  []byte
}

func newTx(e *Engine, shards []*shard) *Tx {
	tx := &Tx{e: e, shards: shards, ov: newOverlay()}
	tx.w.cfIDs = &e.cfIDs
	tx.w.reset()
	return tx
}

func (tx *Tx) startTask() {
	tx.now = time.Now().UnixMilli()
	tx.rbuf = tx.rbuf[:0]
}

// Now returns the task's clock in unix milliseconds (fixed for the task, as
// Redis fixes it per command).
func (tx *Tx) Now() int64 { return tx.now }

// RefreshNow re-reads the clock (between the commands of one task).
func (tx *Tx) RefreshNow() { tx.now = time.Now().UnixMilli() }

// Engine returns the engine the Tx belongs to.
func (tx *Tx) Engine() *Engine { return tx.e }

func (tx *Tx) clean() bool { return tx.ov.empty() }

func (tx *Tx) cacheFor(mk []byte) *hotCache {
	if len(tx.shards) == 1 {
		return tx.shards[0].cache
	}
	slot := uint16(mk[1])<<8 | uint16(mk[2])
	want := tx.e.ShardOfSlot(slot)
	for _, s := range tx.shards {
		if s.idx == want {
			return s.cache
		}
	}
	return nil
}

// get reads (cf, key): the group's writes first, then the hot cache (meta
// only), then RocksDB.
func (tx *Tx) get(cf CF, key []byte) ([]byte, bool, error) {
	if v, del, found := tx.ov.get(cf, key); found {
		return v, !del, nil
	}
	var c *hotCache
	if cf == CFMeta {
		c = tx.cacheFor(key)
		if rec, hit := c.get(key); hit {
			tx.e.stats.CacheHits.Add(1)
			return rec, rec != nil, nil
		}
		tx.e.stats.CacheMisses.Add(1)
	}
	start := len(tx.rbuf)
	ro := tx.e.ro
	if tx.memOnly {
		ro = tx.e.roMem
	}
	out, found, err := tx.e.getInto(ro, cf, key, tx.rbuf)
	if err != nil {
		if tx.memOnly {
			tx.aborted = true // not in memory: redo on the shard goroutine
		}
		return nil, false, fmt.Errorf("ERR storage read failed: %v", err)
	}
	tx.rbuf = out
	if !found {
		if c != nil {
			c.put(key, nil)
		}
		return nil, false, nil
	}
	v := out[start:len(out):len(out)]
	if c != nil {
		c.put(key, v)
	}
	return v, true, nil
}

func (tx *Tx) put(cf CF, key, val []byte) {
	if tx.noWrites && tx.memOnly {
		tx.aborted = true
	}
	tx.ov.set(cf, key, val, false)
	if cf == CFMeta {
		tx.dirtyMeta = true
		tx.touched(key)
	}
}

func (tx *Tx) del(cf CF, key []byte) {
	if tx.noWrites && tx.memOnly {
		tx.aborted = true
	}
	tx.ov.set(cf, key, nil, true)
	if cf == CFMeta {
		tx.dirtyMeta = true
		tx.touched(key)
	}
}

func (tx *Tx) delRange(cf CF, start, end []byte) {
	if tx.noWrites && tx.memOnly {
		tx.aborted = true
	}
	tx.ov.setRange(cf, start, end)
	if cf == CFMeta {
		tx.dirtyMeta = true
	}
}

// writeOpts returns the write options for a commit under the fsync mode.
func (tx *Tx) writeOpts(final bool) *grocksdb.WriteOptions {
	if final && tx.e.Fsync() == FsyncAlways {
		return tx.e.woSyn
	}
	return tx.e.woNo
}

// write commits the pending batch with wo and, on success, publishes it to
// the caches and counters. The overlay is reset either way.
func (tx *Tx) write(wo *grocksdb.WriteOptions) error {
	tx.w.reset()
	tx.ov.serialize(&tx.w)
	tx.mergeCounts()
	// Persist the key counts this batch changes.
	for i := range tx.counts {
		d := &tx.counts[i]
		c := tx.e.counts[d.db][d.slot]
		if tx.flushedDB(d.db) {
			c = slotCount{}
		}
		c.keys += d.keys
		c.expires += d.expires
		var k [4]byte
		k[0], k[1] = 'c', byte(d.db)
		binary.BigEndian.PutUint16(k[2:], d.slot)
		var v [16]byte
		binary.BigEndian.PutUint64(v[:], uint64(c.keys))
		binary.BigEndian.PutUint64(v[8:], uint64(c.expires))
		tx.w.put(CFSys, k[:], v[:])
	}
	tx.e.stats.Entries.Add(int64(tx.w.count))
	wb := grocksdb.WriteBatchFrom(tx.w.data())
	err := tx.e.db.Write(wo, wb)
	wb.Destroy()
	tx.e.stats.Commits.Add(1)
	if err != nil {
		tx.e.stats.CommitErrors.Add(1)
		tx.e.writeFailed(err)
		err = fmt.Errorf("ERR write to storage failed: %v", err)
		// The caches hold only committed state; drop entries this batch
		// touched in case a partial outcome is ever possible.
		tx.ov.latestMeta(func(k, _ []byte, _ bool) { tx.cacheFor(k).del(k) })
	} else {
		for _, db := range tx.flushDBs {
			tx.e.counts[db] = [NumSlots]slotCount{}
			tx.e.dbKeys[db].Store(0)
			tx.e.dbExpire[db].Store(0)
		}
		if len(tx.flushDBs) > 0 {
			for _, s := range tx.shards {
				s.cache.clear()
			}
		}
		tx.ov.latestMeta(func(k, v []byte, del bool) {
			c := tx.cacheFor(k)
			if del {
				c.put(k, nil)
			} else {
				c.put(k, v)
			}
		})
		// Expired-key figures and keyspace events first: whoever sees the
		// key counts drop (DBSIZE reaching 0) sees them too.
		tx.e.stats.ExpiredKeys.Add(tx.expired)
		for _, ev := range tx.events {
			tx.e.notify(ev.db, ev.name, ev.key)
		}
		for i := range tx.counts {
			d := &tx.counts[i]
			c := &tx.e.counts[d.db][d.slot]
			c.keys += d.keys
			c.expires += d.expires
			tx.e.dbKeys[d.db].Add(d.keys)
			tx.e.dbExpire[d.db].Add(d.expires)
		}
		if len(tx.reclaim) > 0 {
			tx.e.queueReclaim(tx.reclaim)
		}
	}
	tx.counts, tx.countFrom = tx.counts[:0], 0
	tx.flushDBs = tx.flushDBs[:0]
	tx.events = tx.events[:0]
	tx.expired = 0
	tx.reclaim = tx.reclaim[:0]
	tx.ov.reset()
	tx.w.reset()
	tx.dirtyMeta = false
	return err
}

// Rollback discards the writes made since the group began (nothing
// reaches RocksDB before the commit). It reports whether it could. Only for
// a Tx of its own (Engine.SubmitIsolated).
func (tx *Tx) Rollback() bool {
	tx.counts, tx.countFrom = tx.counts[:0], 0
	tx.flushDBs = tx.flushDBs[:0]
	tx.events = tx.events[:0]
	tx.expired = 0
	tx.ready = tx.ready[:0]
	tx.reclaim = tx.reclaim[:0]
	tx.ov.reset()
	tx.w.reset()
	tx.dirtyMeta = false
	return true
}

// mergeCounts folds the deltas of one (db, slot) into one entry.
func (tx *Tx) mergeCounts() {
	if tx.countFrom == 0 || len(tx.counts) < 2 {
		return
	}
	slices.SortFunc(tx.counts, func(a, b countDelta) int {
		if a.db != b.db {
			return a.db - b.db
		}
		return int(a.slot) - int(b.slot)
	})
	out := tx.counts[:1]
	for _, d := range tx.counts[1:] {
		last := &out[len(out)-1]
		if d.db == last.db && d.slot == last.slot {
			last.keys += d.keys
			last.expires += d.expires
			continue
		}
		out = append(out, d)
	}
	tx.counts = out
	tx.countFrom = 0
}

// savepoint is the state of a Tx between two tasks of a group.
type savepoint struct {
	ov                                  ovMark
	counts, events, reclaim, ready, dbs int
	expired                             int64
	dirtyMeta                           bool
}

// save marks the start of a task that may have to be undone alone
// (rollbackTo) while earlier tasks of the group stay.
func (tx *Tx) save() savepoint {
	tx.countFrom = len(tx.counts)
	return savepoint{
		ov:        tx.ov.mark(),
		counts:    len(tx.counts),
		events:    len(tx.events),
		reclaim:   len(tx.reclaim),
		ready:     len(tx.ready),
		dbs:       len(tx.flushDBs),
		expired:   tx.expired,
		dirtyMeta: tx.dirtyMeta,
	}
}

// rollbackTo undoes the writes made since sp. The caller must not have
// run a whole-database command (FLUSHDB) since sp: those run on every
// shard, never in a session.
func (tx *Tx) rollbackTo(sp savepoint) {
	tx.ov.rollbackTo(sp.ov)
	tx.counts = tx.counts[:sp.counts]
	clear(tx.events[sp.events:])
	tx.events = tx.events[:sp.events]
	tx.reclaim = tx.reclaim[:sp.reclaim]
	tx.ready = tx.ready[:sp.ready]
	tx.flushDBs = tx.flushDBs[:sp.dbs]
	tx.expired = sp.expired
	tx.dirtyMeta = sp.dirtyMeta
}

// Dirty reports whether the Tx holds writes not yet committed.
func (tx *Tx) Dirty() bool { return !tx.ov.empty() }

// commit ends the group: writes what is pending (synced in always mode)
// and returns the error every task of the group must report.
func (tx *Tx) commit() error {
	if tx.ov.empty() {
		return nil
	}
	return tx.write(tx.writeOpts(true))
}

func (tx *Tx) flushedDB(db int) bool {
	for _, f := range tx.flushDBs {
		if f == db {
			return true
		}
	}
	return false
}

func (tx *Tx) countKey(db int, key []byte, keys, expires int64) {
	slot := Slot(key)
	// Merge only into the current task's deltas, so a savepoint can drop
	// them by truncating (write merges the rest).
	for i := tx.countFrom; i < len(tx.counts); i++ {
		d := &tx.counts[i]
		if d.db == db && d.slot == slot {
			d.keys += keys
			d.expires += expires
			return
		}
	}
	tx.counts = append(tx.counts, countDelta{db, slot, keys, expires})
}

// Notify queues a keyspace event on key of (physical) database db,
// delivered after the commit under db's logical number (dbmap.go).
// It costs nothing unless a notification hook is installed.
func (tx *Tx) Notify(db int, name string, key []byte) {
	if !tx.e.notifyOn.Load() {
		return
	}
	tx.events = append(tx.events, event{db: tx.e.LogicalDB(db), name: name, key: append([]byte(nil), key...)})
}

// --- keys and metadata ---

// Lookup returns the live metadata of key in db. An expired key is deleted
// (as Redis's lazy expiry does) and reported absent.
func (tx *Tx) Lookup(db int, key []byte) (Meta, bool, error) {
	tx.mk = appendMetaKey(tx.mk[:0], db, key)
	rec, ok, err := tx.get(CFMeta, tx.mk)
	if err != nil || !ok {
		return Meta{}, false, err
	}
	m, valid := decodeMeta(rec)
	if !valid {
		tx.e.log.Error("corrupt metadata record", "db", db, "key", string(key))
		return Meta{}, false, ErrCorrupt
	}
	if m.Expire != 0 && m.Expire <= tx.now {
		tx.deleteKey(db, key, &m, true)
		return Meta{}, false, nil
	}
	return m, true, nil
}

// LookupType is Lookup that fails with ErrWrongType unless the key is absent
// or of type t.
func (tx *Tx) LookupType(db int, key []byte, t Type) (Meta, bool, error) {
	m, ok, err := tx.Lookup(db, key)
	if err == nil && ok && m.Type != t {
		return m, ok, ErrWrongType
	}
	return m, ok, err
}

// Exists reports whether key is live in db.
func (tx *Tx) Exists(db int, key []byte) (bool, error) {
	_, ok, err := tx.Lookup(db, key)
	return ok, err
}

// PutMeta writes key's metadata. old is the key's previous live metadata or
// nil if it had none; PutMeta keeps the key counts and the expiry index in
// step. Replacing a collection by another value is the caller's business
// (DeleteKey first).
func (tx *Tx) PutMeta(db int, key []byte, m *Meta, old *Meta) {
	tx.mk = appendMetaKey(tx.mk[:0], db, key)
	tx.scratch = appendMeta(tx.scratch[:0], m)
	tx.put(CFMeta, tx.mk, tx.scratch)
	var oldExp int64
	if old == nil {
		tx.countKey(db, key, 1, b2i(m.Expire != 0))
		tx.Notify(db, "new", key)
		if m.Type == TypeList || m.Type == TypeZSet || m.Type == TypeStream {
			// A new key of a type clients block on (as Redis's dbAdd).
			tx.SignalReady(db, key)
		}
	} else {
		oldExp = old.Expire
		if (oldExp != 0) != (m.Expire != 0) {
			tx.countKey(db, key, 0, b2i(m.Expire != 0)-b2i(oldExp != 0))
		}
	}
	if oldExp != m.Expire {
		if oldExp != 0 {
			tx.k2 = appendExpireKey(tx.k2[:0], oldExp, db, key)
			tx.del(CFExpire, tx.k2)
		}
		if m.Expire != 0 {
			tx.k2 = appendExpireKey(tx.k2[:0], m.Expire, db, key)
			tx.put(CFExpire, tx.k2, nil)
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// smallCollection is the size up to which a deleted collection's elements
// are deleted one by one; bigger ones get one range delete and background
// compaction of the range.
const smallCollection = 64

// DeleteKey deletes key (whose live metadata is m) with all its elements.
func (tx *Tx) DeleteKey(db int, key []byte, m *Meta) {
	tx.deleteKey(db, key, m, false)
}

func (tx *Tx) deleteKey(db int, key []byte, m *Meta, expired bool) {
	tx.mk = appendMetaKey(tx.mk[:0], db, key)
	tx.expiring = expired
	tx.del(CFMeta, tx.mk)
	tx.expiring = false
	if m.Expire != 0 {
		tx.k2 = appendExpireKey(tx.k2[:0], m.Expire, db, key)
		tx.del(CFExpire, tx.k2)
	}
	tx.countKey(db, key, -1, -b2i(m.Expire != 0))
	if m.hasElements() {
		tx.dropElements(m)
	}
	if expired {
		tx.expired++
		tx.Notify(db, "expired", key)
	}
}

// dropElements deletes the elements of a collection whose metadata is gone.
func (tx *Tx) dropElements(m *Meta) {
	p := idPrefix(m.ID)
	end := idPrefix(m.ID + 1)
	cfs := elementCFs(m.Type)
	if m.Count <= smallCollection {
		for _, cf := range cfs {
			it := tx.newMergedIter(cf, p[:], end[:], false)
			var keys [][]byte
			for ; it.Valid() && len(keys) <= 4*smallCollection; it.Next() {
				keys = append(keys, append([]byte(nil), it.Key()...))
			}
			err := it.Err()
			it.Close()
			// A read error leaves the list incomplete: a range delete
			// needs no list.
			if err != nil || len(keys) > 4*smallCollection {
				tx.delRange(cf, p[:], end[:])
				continue
			}
			for _, k := range keys {
				tx.del(cf, k)
			}
		}
		return
	}
	for _, cf := range cfs {
		tx.delRange(cf, p[:], end[:])
	}
	tx.reclaim = append(tx.reclaim, m.ID)
}

func elementCFs(t Type) []CF {
	switch t {
	case TypeZSet:
		return []CF{CFSub, CFScore}
	case TypeStream:
		return []CF{CFSub, CFStream}
	}
	return []CF{CFSub}
}

// RenameMeta moves src's metadata (m) to dst in dstDB, replacing whatever
// dst held (dstOld, nil if absent). Elements stay under their id: O(1).
func (tx *Tx) RenameMeta(srcDB int, src []byte, m *Meta, dstDB int, dst []byte, dstOld *Meta) {
	if dstOld != nil {
		tx.DeleteKey(dstDB, dst, dstOld)
	}
	// Remove src without touching its elements.
	tx.mk = appendMetaKey(tx.mk[:0], srcDB, src)
	tx.del(CFMeta, tx.mk)
	if m.Expire != 0 {
		tx.k2 = appendExpireKey(tx.k2[:0], m.Expire, srcDB, src)
		tx.del(CFExpire, tx.k2)
	}
	tx.countKey(srcDB, src, -1, -b2i(m.Expire != 0))
	tx.PutMeta(dstDB, dst, m, nil)
}

// NewID allocates an id for a new collection.
func (tx *Tx) NewID() (uint64, error) { return tx.e.newID() }

// --- element access for the collection types ---

// GetElem reads element elem of collection id from cf.
func (tx *Tx) GetElem(cf CF, id uint64, elem []byte) ([]byte, bool, error) {
	tx.k2 = appendSubKey(tx.k2[:0], id, elem)
	return tx.get(cf, tx.k2)
}

// PutElem writes element elem of collection id in cf.
func (tx *Tx) PutElem(cf CF, id uint64, elem, val []byte) {
	tx.k2 = appendSubKey(tx.k2[:0], id, elem)
	tx.put(cf, tx.k2, val)
}

// DelElem deletes element elem of collection id in cf.
func (tx *Tx) DelElem(cf CF, id uint64, elem []byte) {
	tx.k2 = appendSubKey(tx.k2[:0], id, elem)
	tx.del(cf, tx.k2)
}

// DelElemRange deletes the elements of id in cf whose element keys are in
// [from, to) (to == nil: to the end of the collection).
func (tx *Tx) DelElemRange(cf CF, id uint64, from, to []byte) {
	start := appendSubKey(nil, id, from)
	var end []byte
	if to == nil {
		e := idPrefix(id + 1)
		end = e[:]
	} else {
		end = appendSubKey(nil, id, to)
	}
	tx.delRange(cf, start, end)
}

// Iter iterates the elements of collection id in cf, in key order, from
// element key from (inclusive; nil = first) to to (exclusive; nil = last),
// seeing the group's own pending writes. Close it before the task ends.
func (tx *Tx) Iter(cf CF, id uint64, from, to []byte, reverse bool) *ElemIter {
	lower := appendSubKey(nil, id, from)
	var upper []byte
	if to == nil {
		e := idPrefix(id + 1)
		upper = e[:]
	} else {
		upper = appendSubKey(nil, id, to)
	}
	return &ElemIter{m: tx.newMergedIter(cf, lower, upper, reverse)}
}

// ElemIter walks a collection's elements. Key and Value are valid until the
// next call to Next, Seek or Close.
type ElemIter struct {
	m *mergedIter
}

// Valid reports whether the iterator is at an element.
func (i *ElemIter) Valid() bool { return i.m.Valid() }

// Key returns the element key (without the id prefix).
func (i *ElemIter) Key() []byte { return i.m.Key()[8:] }

// Value returns the element value.
func (i *ElemIter) Value() []byte { return i.m.Value() }

// Next moves to the next element (previous, in reverse).
func (i *ElemIter) Next() { i.m.Next() }

// Seek positions at the first element >= elem (reverse: the last <= elem).
func (i *ElemIter) Seek(id uint64, elem []byte) { i.m.Seek(appendSubKey(nil, id, elem)) }

// Err returns the iteration error, if any.
func (i *ElemIter) Err() error { return i.m.Err() }

// Close releases the iterator.
func (i *ElemIter) Close() { i.m.Close() }

// rawIter is a RocksDB iterator with its bounds kept alive.
type rawIter struct {
	*grocksdb.Iterator
	ro *grocksdb.ReadOptions
}

func (it *rawIter) Close() {
	it.Iterator.Close()
	it.ro.Destroy()
}

func (e *Engine) newIter(cf CF, lower, upper []byte) *rawIter {
	ro := grocksdb.NewDefaultReadOptions()
	ro.SetVerifyChecksums(true)
	if lower != nil {
		ro.SetIterateLowerBound(lower)
	}
	if upper != nil {
		ro.SetIterateUpperBound(upper)
	}
	return &rawIter{Iterator: e.db.NewIteratorCF(ro, e.cfs[cf]), ro: ro}
}

// hasPrefix is bytes.HasPrefix, kept for symmetry with the encoders.
func hasPrefix(b, p []byte) bool { return bytes.HasPrefix(b, p) }
