package store

import (
	"fmt"
	"testing"
)

// putHash writes a hash of n fields (f<i> -> v<i>) under key by hand, as the
// hash type does: metadata with a fresh id, one element per field.
func putHash(tx *Tx, db int, key string, n int, expire int64) uint64 {
	id, err := tx.NewID()
	if err != nil {
		failf("%v", err)
	}
	for i := 0; i < n; i++ {
		tx.PutElem(CFSub, id, []byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)))
	}
	tx.PutMeta(db, []byte(key), &Meta{Type: TypeHash, Expire: expire, ID: id, Count: uint64(n)}, nil)
	return id
}

// countElems counts the elements of id in CFSub and checks their values.
func countElems(tx *Tx, id uint64) int {
	it := tx.Iter(CFSub, id, nil, nil, false)
	defer it.Close()
	n := 0
	for ; it.Valid(); it.Next() {
		k, v := string(it.Key()), string(it.Value())
		if "v"+k[1:] != v {
			failf("element %q = %q", k, v)
		}
		n++
	}
	if err := it.Err(); err != nil {
		failf("%v", err)
	}
	return n
}

func lookup(tx *Tx, db int, key string) (Meta, bool) {
	m, ok, err := tx.Lookup(db, []byte(key))
	if err != nil {
		failf("%v", err)
	}
	return m, ok
}

// TestRenameMoveCopyCollections: RENAME and MOVE re-point a collection's
// metadata (same id, elements untouched, TTL kept); COPY makes a new id
// with every element; a replaced destination loses its elements.
func TestRenameMoveCopyCollections(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	const n = 200
	var id, oldDst uint64
	exp := int64(0)
	runAll(t, e, func(tx *Tx) {
		exp = tx.Now() + 3_600_000
		id = putHash(tx, 0, "h", n, exp)
		oldDst = putHash(tx, 0, "{x}dst", 10, 0)
	})
	runAll(t, e, func(tx *Tx) {
		if ok, err := tx.Rename(0, []byte("h"), []byte("{x}dst"), false); !ok || err != nil {
			failf("Rename: %v %v", ok, err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		if _, ok := lookup(tx, 0, "h"); ok {
			failf("source still exists after Rename")
		}
		m, ok := lookup(tx, 0, "{x}dst")
		if !ok || m.Type != TypeHash || m.ID != id || m.Count != n || m.Expire != exp {
			failf("renamed meta = %+v, %v; want id %d count %d expire %d", m, ok, id, n, exp)
		}
		if got := countElems(tx, id); got != n {
			failf("%d elements after Rename, want %d", got, n)
		}
		if got := countElems(tx, oldDst); got != 0 {
			failf("replaced destination kept %d elements", got)
		}
		if ok, err := tx.Move(0, []byte("{x}dst"), 2); !ok || err != nil {
			failf("Move: %v %v", ok, err)
		}
	})
	if e.DBSize(0) != 0 || e.DBSize(2) != 1 || e.DBExpires(2) != 1 {
		t.Fatalf("after Move: db0 %d keys, db2 %d keys %d expires", e.DBSize(0), e.DBSize(2), e.DBExpires(2))
	}
	var cid uint64
	runAll(t, e, func(tx *Tx) {
		m, ok := lookup(tx, 2, "{x}dst")
		if !ok || m.ID != id || m.Expire != exp {
			failf("moved meta = %+v, %v", m, ok)
		}
		if ok, err := tx.Copy(2, []byte("{x}dst"), 3, []byte("copy"), false); !ok || err != nil {
			failf("Copy: %v %v", ok, err)
		}
		c, ok := lookup(tx, 3, "copy")
		if !ok || c.ID == id || c.Count != n || c.Expire != exp || c.Type != TypeHash {
			failf("copy meta = %+v, %v", c, ok)
		}
		cid = c.ID
		if got := countElems(tx, cid); got != n {
			failf("copy has %d elements, want %d", got, n)
		}
		// Without REPLACE an existing destination stays.
		if ok, err := tx.Copy(2, []byte("{x}dst"), 3, []byte("copy"), false); ok || err != nil {
			failf("Copy onto an existing key: %v %v", ok, err)
		}
	})
	// The copy is independent: deleting the original leaves it whole.
	runAll(t, e, func(tx *Tx) {
		if ok, err := tx.Delete(2, []byte("{x}dst")); !ok || err != nil {
			failf("Delete: %v %v", ok, err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		if got := countElems(tx, id); got != 0 {
			failf("deleted hash kept %d elements", got)
		}
		if got := countElems(tx, cid); got != n {
			failf("copy has %d elements after the original's delete", got)
		}
		if err := tx.FlushDB(3); err != nil {
			failf("%v", err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		if got := countElems(tx, cid); got != 0 {
			failf("FlushDB left %d elements of the copy", got)
		}
	})
	for db := 0; db < 4; db++ {
		if e.DBSize(db) != 0 || e.DBExpires(db) != 0 {
			t.Fatalf("db%d: %d keys, %d expires at the end", db, e.DBSize(db), e.DBExpires(db))
		}
	}
}

// TestScanPositions: Scan visits every live key of the db once, in slot
// order, resuming strictly after the position it returned.
func TestScanPositions(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	runAll(t, e, func(tx *Tx) {
		for i := 0; i < 1000; i++ {
			tx.SetString(1, []byte(fmt.Sprint("k", i)), []byte("v"), 0, nil)
		}
		tx.SetString(0, []byte("other-db"), []byte("v"), 0, nil)
		tx.SetString(2, []byte("other-db"), []byte("v"), 0, nil)
		tx.SetString(1, []byte(""), []byte("empty key"), 0, nil)
	})
	runAll(t, e, func(tx *Tx) {
		seen := map[string]int{}
		var after []byte
		calls := 0
		lastSlot := -1
		for {
			keys, next, err := tx.Scan(1, after, ScanOpts{Count: 13})
			if err != nil {
				failf("%v", err)
			}
			calls++
			for _, k := range keys {
				seen[string(k)]++
				if s := int(Slot(k)); s < lastSlot {
					failf("key %q of slot %d after slot %d", k, s, lastSlot)
				} else {
					lastSlot = s
				}
			}
			if next == nil {
				break
			}
			after = next
		}
		if len(seen) != 1001 || calls != (1001+12)/13 {
			failf("Scan saw %d keys in %d calls", len(seen), calls)
		}
		for k, n := range seen {
			if n != 1 {
				failf("key %q seen %d times", k, n)
			}
		}
		if seen["other-db"] != 0 {
			failf("Scan crossed into another db")
		}
	})
}
