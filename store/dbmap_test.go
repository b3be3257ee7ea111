package store

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// The logical → physical database map: SwapDB, persistence across a
// reopen, and the refusal to open when the map sends a database beyond
// the configured number.
func TestSwapDBMapPersists(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := openTest(t, Options{Dir: dir, Shards: 2, Logger: quiet})
	for db := 0; db < 16; db++ {
		if e.PhysDB(db) != db || e.LogicalDB(db) != db {
			t.Fatalf("a new engine maps db %d to %d", db, e.PhysDB(db))
		}
	}
	setString(t, e, 0, "k", "in-0", 0)
	doAll(t, e, func(tx *Tx) {
		pa, pb, moved, err := tx.SwapDB(0, 12)
		if err != nil || pa != 0 || pb != 12 || len(moved) != 0 {
			t.Errorf("SwapDB = %d %d %v %v", pa, pb, moved, err)
		}
	})
	if e.PhysDB(12) != 0 || e.PhysDB(0) != 12 || e.LogicalDB(0) != 12 || e.LogicalDB(12) != 0 {
		t.Fatal("the map was not swapped")
	}
	// The data stays where it was: physical 0, now logical 12.
	if v, ok := getString(t, e, 0, "k"); !ok || v != "in-0" {
		t.Fatalf("physical db 0 holds %q %v", v, ok)
	}
	doAll(t, e, func(tx *Tx) { tx.SwapDB(12, 3) })
	e.Close()

	e = openTest(t, Options{Dir: dir, Shards: 2, Logger: quiet})
	if e.PhysDB(0) != 12 || e.PhysDB(12) != 3 || e.PhysDB(3) != 0 {
		t.Fatalf("after reopen: 0→%d 12→%d 3→%d", e.PhysDB(0), e.PhysDB(12), e.PhysDB(3))
	}
	e.Close()

	// With 8 databases, logical 0 would hide physical 12's data.
	if _, err := Open(Options{Dir: dir, Databases: 8, Shards: 2, Logger: quiet}); err == nil || !strings.Contains(err.Error(), "databases") {
		t.Fatalf("Open with fewer databases: %v", err)
	}

	// Swapping back to the identity removes the record.
	e = openTest(t, Options{Dir: dir, Shards: 2, Logger: quiet})
	doAll(t, e, func(tx *Tx) { tx.SwapDB(12, 3) })
	doAll(t, e, func(tx *Tx) { tx.SwapDB(0, 12) })
	e.Close()
	e = openTest(t, Options{Dir: dir, Databases: 8, Shards: 2, Logger: quiet})
	if e.PhysDB(0) != 0 || e.PhysDB(3) != 3 {
		t.Fatal("the identity map did not come back")
	}
}
