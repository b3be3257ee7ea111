package store

import (
	"encoding/binary"
	"math/rand/v2"
)

// Generic key operations over every type.

// Delete deletes key if it exists; it reports whether it did.
func (tx *Tx) Delete(db int, key []byte) (bool, error) {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return false, err
	}
	tx.DeleteKey(db, key, &m)
	return true, nil
}

// TypeOf returns key's type, TypeNone if absent.
func (tx *Tx) TypeOf(db int, key []byte) (Type, error) {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return TypeNone, err
	}
	return m.Type, nil
}

// SetExpire gives key (live metadata m) the expiry at (unix ms); at == 0
// removes the expiry; an expiry not after now deletes the key, as Redis does.
func (tx *Tx) SetExpire(db int, key []byte, m *Meta, at int64) {
	if at != 0 && at <= tx.now {
		tx.DeleteKey(db, key, m)
		tx.Notify(db, "del", key)
		return
	}
	nm := *m
	nm.Expire = at
	tx.PutMeta(db, key, &nm, m)
}

// Rename moves src to dst (in the same db), replacing dst. With nx it does
// nothing when dst exists and returns false. ErrNoSuchKey if src is absent.
func (tx *Tx) Rename(db int, src, dst []byte, nx bool) (bool, error) {
	m, ok, err := tx.Lookup(db, src)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrNoSuchKey
	}
	if string(src) == string(dst) {
		return !nx, nil
	}
	m.Body = append([]byte(nil), m.Body...)
	dm, dok, err := tx.Lookup(db, dst)
	if err != nil {
		return false, err
	}
	if dok && nx {
		return false, nil
	}
	var old *Meta
	if dok {
		old = &dm
	}
	tx.RenameMeta(db, src, &m, db, dst, old)
	return true, nil
}

// Move moves key from db to dstDB unless it exists there. It reports
// whether it moved.
func (tx *Tx) Move(db int, key []byte, dstDB int) (bool, error) {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return false, err
	}
	m.Body = append([]byte(nil), m.Body...)
	if ok, err := tx.Exists(dstDB, key); err != nil || ok {
		return false, err
	}
	tx.RenameMeta(db, key, &m, dstDB, key, nil)
	return true, nil
}

// Copy copies src (db) to dst (dstDB). Without replace it does nothing when
// dst exists. Collections get a new id and a copy of every element.
func (tx *Tx) Copy(db int, src []byte, dstDB int, dst []byte, replace bool) (bool, error) {
	m, ok, err := tx.Lookup(db, src)
	if err != nil || !ok {
		return false, err
	}
	m.Body = append([]byte(nil), m.Body...)
	if db == dstDB && string(src) == string(dst) {
		return false, nil
	}
	dm, dok, err := tx.Lookup(dstDB, dst)
	if err != nil {
		return false, err
	}
	if dok && !replace {
		return false, nil
	}
	if dok {
		tx.DeleteKey(dstDB, dst, &dm)
	}
	nm := m
	if m.hasElements() {
		id, err := tx.NewID()
		if err != nil {
			return false, err
		}
		nm.ID = id
		for _, cf := range elementCFs(m.Type) {
			it := tx.Iter(cf, m.ID, nil, nil, false)
			for ; it.Valid(); it.Next() {
				k := append([]byte(nil), it.Key()...)
				tx.PutElem(cf, id, k, it.Value())
			}
			err := it.Err()
			it.Close()
			if err != nil {
				return false, err
			}
		}
	}
	tx.PutMeta(dstDB, dst, &nm, nil)
	return true, nil
}

// dbBounds returns bounds of db's range in the meta CF: every meta key of
// db starts with db and a slot whose high byte is below 0x40, so db·0xff is
// past all of them (and stays valid for db 255, where db+1 would wrap).
func dbBounds(db int) (lo, hi []byte) {
	return []byte{byte(db)}, []byte{byte(db), 0xff}
}

// FlushDB deletes every key of db. The Tx must hold every shard.
func (tx *Tx) FlushDB(db int) error {
	lo, hi := dbBounds(db)
	_, err := tx.walkMeta(db, nil, func(_, val []byte) bool {
		if m, ok := decodeMeta(val); ok && m.hasElements() {
			for _, cf := range elementCFs(m.Type) {
				p, e := idPrefix(m.ID), idPrefix(m.ID+1)
				tx.delRange(cf, p[:], e[:])
			}
			if m.Count > smallCollection {
				tx.reclaim = append(tx.reclaim, m.ID)
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	tx.delRange(CFMeta, lo, hi)
	tx.delRange(CFSys, []byte{'c', byte(db)}, []byte{'c', byte(db), 0xff})
	kept := tx.counts[:0]
	for _, d := range tx.counts {
		if d.db != db {
			kept = append(kept, d)
		}
	}
	tx.counts = kept
	tx.flushDBs = append(tx.flushDBs, db)
	tx.touchedDB(db)
	// Stale expire-index entries of the db are dropped by active expiry
	// when they come due (it checks each against the key's metadata).
	return nil
}

// FlushAll deletes every key of every db and compacts the freed space.
func (tx *Tx) FlushAll() error {
	full := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for _, cf := range []CF{CFSub, CFScore, CFStream, CFExpire} {
		tx.delRange(cf, []byte{}, full)
	}
	tx.delRange(CFMeta, []byte{}, full)
	tx.delRange(CFSys, []byte{'c'}, []byte{'d'})
	tx.counts = tx.counts[:0]
	for db := 0; db < tx.e.opts.Databases; db++ {
		tx.flushDBs = append(tx.flushDBs, db)
		tx.touchedDB(db)
	}
	tx.reclaim = append(tx.reclaim, reclaimAll)
	return nil
}

// ScanOpts filter a Scan.
type ScanOpts struct {
	Count int                   // entries to examine (>= 1)
	Match func(key []byte) bool // nil: all
	Type  Type                  // TypeNone: all
}

// Scan examines up to opts.Count keys of db after the position after (a
// value returned by an earlier Scan, nil to start) and returns the live ones
// that pass the filters, with the position to continue from (nil when done).
// The Tx must hold every shard.
func (tx *Tx) Scan(db int, after []byte, opts ScanOpts) (keys [][]byte, next []byte, err error) {
	n := 0
	var last []byte
	done, err := tx.walkMeta(db, after, func(mk, val []byte) bool {
		if n >= opts.Count {
			return false
		}
		n++
		last = append(last[:0], mk[1:]...)
		m, ok := decodeMeta(val)
		user := mk[3:]
		if ok && (m.Expire == 0 || m.Expire > tx.now) &&
			(opts.Type == TypeNone || opts.Type == m.Type) &&
			(opts.Match == nil || opts.Match(user)) {
			keys = append(keys, append([]byte(nil), user...))
		}
		return true
	})
	if err != nil || done {
		return keys, nil, err
	}
	return keys, last, nil
}

// walkMeta calls fn for the metadata records of db in key order, from just
// after position after (slot · user key, nil: the start), until fn returns
// false (done reports false then) or the db ends (done true). With a
// hash-indexed meta memtable (Options.MetaHashMemtable) it walks one slot
// at a time, each a prefix iteration (a total-order iteration over such a
// memtable copies it whole); otherwise one iterator covers the db.
func (tx *Tx) walkMeta(db int, after []byte, fn func(mk, val []byte) bool) (done bool, err error) {
	if !tx.e.opts.MetaHashMemtable {
		lo, hi := dbBounds(db)
		if after != nil {
			lo = append(append(lo, after...), 0)
		}
		it := tx.newMergedIter(CFMeta, lo, hi, false)
		defer it.Close()
		for ; it.Valid(); it.Next() {
			if !fn(it.Key(), it.Value()) {
				return false, nil
			}
		}
		return true, it.Err()
	}
	slot := 0
	if len(after) >= 2 {
		slot = int(binary.BigEndian.Uint16(after))
	}
	for ; slot < NumSlots; slot++ {
		lo := []byte{byte(db), byte(slot >> 8), byte(slot)}
		hi := []byte{byte(db), byte(slot >> 8), byte(slot) + 1}
		if byte(slot) == 0xff {
			hi = []byte{byte(db), byte(slot>>8) + 1, 0}
		}
		if after != nil && int(binary.BigEndian.Uint16(after)) == slot {
			lo = append(append([]byte{byte(db)}, after...), 0)
		}
		it := tx.newMergedIter(CFMeta, lo, hi, false)
		for ; it.Valid(); it.Next() {
			if !fn(it.Key(), it.Value()) {
				it.Close()
				return false, nil
			}
		}
		err := it.Err()
		it.Close()
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// RandomKey returns a random live key of db: it seeks to a random point of
// the db's key space (slot and first byte) and takes the first live key from
// there, wrapping around, stepping over keys whose TTL has passed (active
// expiry removes them soon). The Tx must hold every shard.
func (tx *Tx) RandomKey(db int) ([]byte, bool, error) {
	if tx.e.DBSize(db) == 0 && !tx.dirtyMeta {
		return nil, false, nil
	}
	// From a random point (slot and first byte), the first live key,
	// looking at a bounded number of records per try.
	const tries, walk = 8, 128
	var found []byte
	pick := func(_, val []byte, mk []byte) bool {
		if m, ok := decodeMeta(val); ok && (m.Expire == 0 || m.Expire > tx.now) {
			found = append([]byte(nil), metaKeyUser(mk)...)
			return false
		}
		return true
	}
	for try := 0; try < tries && found == nil; try++ {
		var from [3]byte
		binary.BigEndian.PutUint16(from[:], uint16(rand.IntN(NumSlots)))
		from[2] = byte(rand.IntN(256))
		seen := 0
		if _, err := tx.walkMeta(db, from[:], func(mk, val []byte) bool {
			seen++
			return seen < walk && pick(nil, val, mk)
		}); err != nil {
			return nil, false, err
		}
	}
	if found == nil {
		// Unlucky, past the last key, or mostly expired: walk from the start.
		if _, err := tx.walkMeta(db, nil, func(mk, val []byte) bool { return pick(nil, val, mk) }); err != nil {
			return nil, false, err
		}
	}
	return found, found != nil, nil
}
