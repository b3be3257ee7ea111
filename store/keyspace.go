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
	it := tx.newMergedIter(CFMeta, lo, hi, false)
	for ; it.Valid(); it.Next() {
		if m, ok := decodeMeta(it.Value()); ok && m.hasElements() {
			for _, cf := range elementCFs(m.Type) {
				p, e := idPrefix(m.ID), idPrefix(m.ID+1)
				tx.delRange(cf, p[:], e[:])
			}
			if m.Count > smallCollection {
				tx.reclaim = append(tx.reclaim, m.ID)
			}
		}
	}
	err := it.Err()
	it.Close()
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
	lo, hi := dbBounds(db)
	if after != nil {
		lo = append(append(lo, after...), 0)
	}
	it := tx.newMergedIter(CFMeta, lo, hi, false)
	defer it.Close()
	n := 0
	var last []byte
	for ; it.Valid(); it.Next() {
		if n >= opts.Count {
			return keys, last, nil
		}
		n++
		mk := it.Key()
		last = append(last[:0], mk[1:]...)
		m, ok := decodeMeta(it.Value())
		user := mk[3:]
		if ok && (m.Expire == 0 || m.Expire > tx.now) &&
			(opts.Type == TypeNone || opts.Type == m.Type) &&
			(opts.Match == nil || opts.Match(user)) {
			keys = append(keys, append([]byte(nil), user...))
		}
	}
	return keys, nil, it.Err()
}

// RandomKey returns a random live key of db: it seeks to a random point of
// the db's key space (slot and first byte) and takes the first live key from
// there, wrapping around, stepping over keys whose TTL has passed (active
// expiry removes them soon). The Tx must hold every shard.
func (tx *Tx) RandomKey(db int) ([]byte, bool, error) {
	if tx.e.DBSize(db) == 0 && !tx.dirtyMeta {
		return nil, false, nil
	}
	lo, hi := dbBounds(db)
	it := tx.newMergedIter(CFMeta, lo, hi, false)
	defer it.Close()
	const seeks, walk = 8, 128
	for try := 0; try < seeks; try++ {
		var seek [4]byte
		seek[0] = byte(db)
		binary.BigEndian.PutUint16(seek[1:], uint16(rand.IntN(NumSlots)))
		seek[3] = byte(rand.IntN(256))
		it.Seek(seek[:])
		for step := 0; step < walk; step++ {
			if !it.Valid() {
				if err := it.Err(); err != nil {
					return nil, false, err
				}
				it.seekStart()
				if !it.Valid() {
					return nil, false, it.Err()
				}
			}
			m, ok := decodeMeta(it.Value())
			var key []byte
			live := ok && (m.Expire == 0 || m.Expire > tx.now)
			if live {
				key = append([]byte(nil), metaKeyUser(it.Key())...)
			}
			if live {
				return key, true, nil
			}
			it.Next()
		}
	}
	// Unlucky or mostly expired: one longer walk from the start.
	for it.seekStart(); it.Valid(); it.Next() {
		if m, ok := decodeMeta(it.Value()); ok && (m.Expire == 0 || m.Expire > tx.now) {
			return append([]byte(nil), metaKeyUser(it.Key())...), true, nil
		}
	}
	return nil, false, it.Err()
}
