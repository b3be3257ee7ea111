package store

import (
	"fmt"
)

// Logical and physical databases. SELECT's numbers are logical; the db
// byte of every meta and expire key is physical. The engine maps one to
// the other, and SWAPDB swaps two entries of the map: O(1) whatever the
// databases hold, nothing is rewritten.
//
// The map is persisted in the sys column family (key 'm': 256 bytes, the
// physical database of each logical one; absent = identity) and published
// to readers through an atomic pointer. The command layer turns a
// client's logical database into the physical one when a command starts
// to run (so a command queued before a SWAPDB and run after it works on
// the database its client selected, as in Redis), and the store turns
// physical databases back into logical ones for keyspace events.

// dbMapping is one immutable version of the map.
type dbMapping struct {
	phys    [256]uint8 // logical → physical
	logical [256]uint8 // physical → logical
}

var identityMapping = func() *dbMapping {
	m := &dbMapping{}
	for i := range m.phys {
		m.phys[i], m.logical[i] = uint8(i), uint8(i)
	}
	return m
}()

var sysDBMapKey = []byte{'m'}

// loadDBMap reads the persisted map. A map that sends a database within
// the configured number outside of it (data swapped into a database the
// configuration no longer has) is refused: starting would hide that data.
func (e *Engine) loadDBMap() error {
	v, err := e.db.GetCF(e.ro, e.cfs[CFSys], sysDBMapKey)
	if err != nil {
		return fmt.Errorf("store: read database map: %w", err)
	}
	defer v.Free()
	if !v.Exists() {
		e.dbmap.Store(identityMapping)
		return nil
	}
	b := v.Data()
	if len(b) != 256 {
		return fmt.Errorf("store: database map of %d bytes, want 256: %w", len(b), ErrCorrupt)
	}
	m := &dbMapping{}
	seen := [256]bool{}
	for l, p := range b {
		if seen[p] {
			return fmt.Errorf("store: database map is not a permutation: %w", ErrCorrupt)
		}
		seen[p] = true
		m.phys[l], m.logical[p] = p, uint8(l)
		if l < e.opts.Databases && int(p) >= e.opts.Databases {
			return fmt.Errorf("store: database %d holds the data of physical database %d (swapped by SWAPDB), beyond databases=%d: start with more databases", l, p, e.opts.Databases)
		}
	}
	e.dbmap.Store(m)
	return nil
}

// PhysDB returns the physical database of logical database db.
func (e *Engine) PhysDB(db int) int { return int(e.dbmap.Load().phys[db]) }

// LogicalDB returns the logical database of physical database db.
func (e *Engine) LogicalDB(db int) int { return int(e.dbmap.Load().logical[db]) }

// SwapDB swaps logical databases a and b (SWAPDB); the Tx must hold every
// shard. The new map is written to RocksDB at once (through the WAL, as
// the group's commit would be) and then published, so the commands that
// follow, in this group too, see the swap. Clients blocked on keys of
// either database keep waiting on their logical database: their
// registrations move to the other physical database, and the keys they
// wait for are signalled, as they may exist there. A WATCH on a key of
// either database is marked dirty when the key exists in either (as
// Redis's touchAllWatchedKeysInDb). SwapDB returns the physical databases a and b
// had and the blocked clients it moved, whose own record of their
// physical database the caller must swap likewise.
func (tx *Tx) SwapDB(a, b int) (pa, pb int, moved []Blocked, err error) {
	e := tx.e
	old := e.dbmap.Load()
	pa, pb = int(old.phys[a]), int(old.phys[b])
	m := *old
	m.phys[a], m.phys[b] = old.phys[b], old.phys[a]
	m.logical[pa], m.logical[pb] = uint8(b), uint8(a)
	rec := m.phys[:]
	// Watches first: a failure here leaves the map as it was (and at
	// worst a transaction aborted for nothing).
	if err := tx.touchSwapped(pa, pb); err != nil {
		return pa, pb, nil, err
	}
	if m == *identityMapping {
		err = e.db.DeleteCF(tx.writeOpts(true), e.cfs[CFSys], sysDBMapKey)
	} else {
		err = e.db.PutCF(tx.writeOpts(true), e.cfs[CFSys], sysDBMapKey, rec)
	}
	if err != nil {
		return pa, pb, nil, fmt.Errorf("ERR write to storage failed: %v", err)
	}
	e.dbmap.Store(&m)

	// Move the blocked registrations of pa to pb and back.
	type reg struct {
		mk   string
		list []Blocked
	}
	seen := map[Blocked]bool{}
	for _, s := range tx.shards {
		if s.w == nil || s.w.nblock == 0 {
			continue
		}
		var regs []reg
		for mk, list := range s.w.blocked {
			if int(mk[0]) == pa || int(mk[0]) == pb {
				regs = append(regs, reg{mk, list})
			}
		}
		for _, r := range regs {
			delete(s.w.blocked, r.mk)
		}
		for _, r := range regs {
			nk := []byte(r.mk)
			if int(nk[0]) == pa {
				nk[0] = byte(pb)
			} else {
				nk[0] = byte(pa)
			}
			s.w.blocked[string(nk)] = r.list
			for _, bl := range r.list {
				if !seen[bl] {
					seen[bl] = true
					moved = append(moved, bl)
				}
			}
			tx.SignalReady(int(nk[0]), nk[3:])
		}
	}
	return pa, pb, moved, nil
}

// touchSwapped marks dirty the watches on keys of physical databases pa
// and pb whose key exists in either of them (expired or not: Redis looks
// in its dictionaries).
func (tx *Tx) touchSwapped(pa, pb int) error {
	var mk []byte
	exists := func(db int, key []byte) (bool, error) {
		mk = appendMetaKey(mk[:0], db, key)
		_, ok, err := tx.get(CFMeta, mk)
		return ok, err
	}
	for _, s := range tx.shards {
		if s.w == nil || s.w.nwatch == 0 {
			continue
		}
		for wk, list := range s.w.watches {
			if db := int(wk[0]); db != pa && db != pb {
				continue
			}
			key := []byte(wk[3:])
			inA, err := exists(pa, key)
			if err != nil {
				return err
			}
			inB := false
			if !inA {
				if inB, err = exists(pb, key); err != nil {
					return err
				}
			}
			if inA || inB {
				for _, w := range list {
					w.dirty.Store(true)
				}
			}
		}
	}
	return nil
}
