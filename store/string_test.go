package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Tests of the string layout (inline or chunked) on real RocksDB, through
// the executor: values around the inline limit and the chunk boundaries,
// sparse writes, the generic key operations and reopening.

// storedChunks returns the stored chunk indexes of chunked string id.
func storedChunks(tx *Tx, id uint64) []int64 {
	var out []int64
	if err := tx.eachChunk(id, 0, 1<<32-1, func(i int64, data []byte) bool {
		if len(data) == 0 || data[len(data)-1] == 0 {
			failf("chunk %d stored with trailing zeros (%d bytes)", i, len(data))
		}
		out = append(out, i)
		return true
	}); err != nil {
		failf("%v", err)
	}
	return out
}

// mustString reads key and compares it with want, whole and by slices.
func mustString(tx *Tx, key string, want []byte) Meta {
	m, ok, err := tx.LookupType(0, []byte(key), TypeString)
	if err != nil || !ok {
		failf("%s: %v %v", key, ok, err)
	}
	if m.StringLen() != int64(len(want)) {
		failf("%s: length %d, want %d", key, m.StringLen(), len(want))
	}
	if chunked := int64(len(want)) > stringInlineMax; m.chunked != chunked {
		failf("%s: %d bytes stored chunked=%v", key, len(want), m.chunked)
	}
	v, err := tx.StringValue(&m)
	if err != nil || !bytes.Equal(v, want) {
		failf("%s: value differs (%d bytes, %v)", key, len(v), err)
	}
	n := int64(len(want))
	for _, r := range [][2]int64{{0, 1}, {n - 1, n}, {stringChunk - 1, stringChunk + 1}, {n / 3, n / 2}, {n - stringChunk - 3, n + 10}} {
		from, to := max(r[0], 0), min(r[1], n)
		s, err := tx.StringSlice(&m, r[0], r[1])
		if err != nil || (from < to && !bytes.Equal(s, want[from:to])) || (from >= to && len(s) != 0) {
			failf("%s: StringSlice(%d, %d) differs", key, r[0], r[1])
		}
	}
	return m
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251 + 1)
	}
	return b
}

func TestStringsAroundTheInlineLimitAndChunkBoundaries(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	lim := int(stringInlineMax)
	sizes := []int{0, 1, stringChunk - 1, stringChunk, stringChunk + 1, lim - 1, lim, lim + 1,
		lim + stringChunk - 1, lim + stringChunk, 3*stringChunk + lim + 5, 1 << 20}
	runAll(t, e, func(tx *Tx) {
		for _, n := range sizes {
			key := fmt.Sprint("s", n)
			if err := tx.SetString(0, []byte(key), pattern(n), 0, nil); err != nil {
				failf("%v", err)
			}
			mustString(tx, key, pattern(n)) // read back in the writing group
		}
	})
	runAll(t, e, func(tx *Tx) {
		for _, n := range sizes {
			m := mustString(tx, fmt.Sprint("s", n), pattern(n))
			if m.chunked {
				if got, want := len(storedChunks(tx, m.ID)), (n+stringChunk-1)/stringChunk; got != want {
					failf("%d bytes: %d chunks stored, want %d", n, got, want)
				}
			}
		}
	})
	if got := e.DBSize(0); got != int64(len(sizes)) {
		t.Fatalf("DBSize = %d, want %d", got, len(sizes))
	}
}

// TestStringEditsMatchAModel applies random SETRANGE, APPEND, SETBIT and
// growths, around chunk boundaries and far past the end, to one string and
// compares it with a byte-slice model after every group.
func TestStringEditsMatchAModel(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	var model []byte
	const key = "edit"
	for round := 0; round < 60; round++ {
		runAll(t, e, func(tx *Tx) {
			for op := 0; op < 5; op++ {
				var off int64
				switch rng.IntN(4) {
				case 0: // near a chunk boundary
					off = int64(rng.IntN(len(model)/stringChunk+2))*stringChunk - int64(rng.IntN(9))
				case 1: // near the end
					off = int64(len(model)) - int64(rng.IntN(20))
				case 2: // far past the end, in small steps
					off = int64(len(model)) + int64(rng.IntN(3*stringChunk))
				default:
					off = rng.Int64N(int64(len(model)) + 1)
				}
				off = max(off, 0)
				val := make([]byte, rng.IntN(2*stringChunk+10)+1)
				for i := range val {
					if rng.IntN(3) > 0 {
						val[i] = byte(rng.IntN(256))
					} // else a zero byte, to exercise trimming
				}
				switch rng.IntN(4) {
				case 0:
					if _, err := tx.AppendString(0, []byte(key), val, 1<<30); err != nil {
						failf("%v", err)
					}
					model = append(model, val...)
				case 1:
					bit := uint64(off)*8 + uint64(rng.IntN(8))
					on := rng.IntN(2) == 0
					old, _, err := tx.SetBit(0, []byte(key), bit, on)
					if err != nil {
						failf("%v", err)
					}
					for int64(len(model)) <= off {
						model = append(model, 0)
					}
					mask := byte(1) << (7 - bit%8)
					if old != (model[off]&mask != 0) {
						failf("SetBit(%d) returned old %v", bit, old)
					}
					if on {
						model[off] |= mask
					} else {
						model[off] &^= mask
					}
				default:
					n, err := tx.SetRange(0, []byte(key), off, val, 1<<30)
					if err != nil {
						failf("%v", err)
					}
					for int64(len(model)) < off+int64(len(val)) {
						model = append(model, 0)
					}
					copy(model[off:], val)
					if n != int64(len(model)) {
						failf("SetRange returned %d, want %d", n, len(model))
					}
				}
			}
			mustString(tx, key, model)
		})
		runAll(t, e, func(tx *Tx) { mustString(tx, key, model) })
	}
	if int64(len(model)) <= stringInlineMax {
		t.Fatalf("the model stayed at %d bytes: the chunked path was not exercised", len(model))
	}
}

// TestSparseStringStoresOnlyTouchedChunks: writes far apart store one
// chunk each; zero bytes come back for the rest; clearing the only set
// bit of a chunk deletes the chunk.
func TestSparseStringStoresOnlyTouchedChunks(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	const far = 300 << 20
	runAll(t, e, func(tx *Tx) {
		if _, err := tx.SetRange(0, []byte("sp"), far, []byte("end"), 1<<30); err != nil {
			failf("%v", err)
		}
		if _, err := tx.SetRange(0, []byte("sp"), 5*stringChunk+3, []byte("mid"), 1<<30); err != nil {
			failf("%v", err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		m, _ := lookup(tx, 0, "sp")
		if m.StringLen() != far+3 || !m.chunked {
			failf("meta %+v", m)
		}
		got := storedChunks(tx, m.ID)
		if len(got) != 2 || got[0] != 5 || got[1] != far/stringChunk {
			failf("stored chunks %v", got)
		}
		s, err := tx.StringSlice(&m, 5*stringChunk, 5*stringChunk+8)
		if err != nil || string(s) != "\x00\x00\x00mid\x00\x00" {
			failf("slice %q %v", s, err)
		}
		s, _ = tx.StringSlice(&m, far-2, far+10)
		if string(s) != "\x00\x00end" {
			failf("tail %q", s)
		}
		// Clear "mid" bit by bit: the chunk goes away.
		for bit := uint64(5*stringChunk+3) * 8; bit < uint64(5*stringChunk+6)*8; bit++ {
			if _, _, err := tx.SetBit(0, []byte("sp"), bit, false); err != nil {
				failf("%v", err)
			}
		}
	})
	runAll(t, e, func(tx *Tx) {
		m, _ := lookup(tx, 0, "sp")
		if got := storedChunks(tx, m.ID); len(got) != 1 {
			failf("stored chunks after clearing %v", got)
		}
		if m.StringLen() != far+3 {
			failf("length %d after clearing", m.StringLen())
		}
	})
}

// TestChunkedStringsThroughKeyOperations: DEL, RENAME, MOVE, COPY, SET
// over it, expiry and FLUSHDB treat a chunked string's chunks like a
// collection's elements.
func TestChunkedStringsThroughKeyOperations(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	big := pattern(int(stringInlineMax) + 3*stringChunk)
	var id, goneID uint64
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("a"), big, 0, nil)
		tx.SetString(0, []byte("gone"), big, tx.Now()+200, nil)
	})
	runAll(t, e, func(tx *Tx) {
		goneID = mustString(tx, "gone", big).ID
		id = mustString(tx, "a", big).ID
		if ok, err := tx.Rename(0, []byte("a"), []byte("{a}b"), false); !ok || err != nil {
			failf("Rename %v %v", ok, err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		if m := mustString(tx, "{a}b", big); m.ID != id {
			failf("Rename changed the id")
		}
		if ok, err := tx.Move(0, []byte("{a}b"), 1); !ok || err != nil {
			failf("Move %v %v", ok, err)
		}
		if ok, err := tx.Copy(1, []byte("{a}b"), 0, []byte("c"), false); !ok || err != nil {
			failf("Copy %v %v", ok, err)
		}
	})
	var cid uint64
	runAll(t, e, func(tx *Tx) {
		m, ok := lookup(tx, 1, "{a}b")
		if !ok || m.ID != id {
			failf("moved %+v %v", m, ok)
		}
		c := mustString(tx, "c", big)
		if c.ID == id {
			failf("Copy shares the id")
		}
		cid = c.ID
		// The copy is independent.
		if _, err := tx.SetRange(0, []byte("c"), 0, []byte("X"), 1<<30); err != nil {
			failf("%v", err)
		}
		if ok, err := tx.Delete(1, []byte("{a}b")); !ok || err != nil {
			failf("Delete %v %v", ok, err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		if n := len(storedChunks(tx, id)); n != 0 {
			failf("DEL left %d chunks", n)
		}
		want := append([]byte("X"), big[1:]...)
		mustString(tx, "c", want)
		// SET of a short value over it: inline, chunks gone.
		m, _ := lookup(tx, 0, "c")
		tx.SetString(0, []byte("c"), []byte("short"), 0, &m)
	})
	time.Sleep(500 * time.Millisecond) // active expiry removes "gone"
	if e.DBSize(0) != 1 {
		t.Fatalf("DBSize %d after the expiry", e.DBSize(0))
	}
	runAll(t, e, func(tx *Tx) {
		mustString(tx, "c", []byte("short"))
		if n := len(storedChunks(tx, cid)); n != 0 {
			failf("SET left %d chunks", n)
		}
		if n := len(storedChunks(tx, goneID)); n != 0 {
			failf("expiry left %d chunks", n)
		}
	})
	if e.DBSize(0) != 1 || e.DBSize(1) != 0 {
		t.Fatalf("DBSize %d %d", e.DBSize(0), e.DBSize(1))
	}
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("f"), big, 0, nil)
	})
	runAll(t, e, func(tx *Tx) {
		id = mustString(tx, "f", big).ID
		if err := tx.FlushDB(0); err != nil {
			failf("%v", err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		if n := len(storedChunks(tx, id)); n != 0 {
			failf("FLUSHDB left %d chunks", n)
		}
	})
}

func TestChunkedStringsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	e := openKeysTest(t, dir)
	big := pattern(int(stringInlineMax)*2 + 17)
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("big"), big, 0, nil)
		if _, _, err := tx.SetBit(0, []byte("bits"), 1<<30, true); err != nil {
			failf("%v", err)
		}
	})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openKeysTest(t, dir)
	defer e.Close()
	runAll(t, e, func(tx *Tx) {
		mustString(tx, "big", big)
		m, _ := lookup(tx, 0, "bits")
		if m.StringLen() != 1<<27+1 {
			failf("bits length %d", m.StringLen())
		}
		if on, err := tx.GetBit(0, []byte("bits"), 1<<30); !on || err != nil {
			failf("GetBit after reopen %v %v", on, err)
		}
	})
}

// BenchmarkStringLayout measures what the inline/chunked choice costs for
// values of several sizes: a one-byte edit (SETRANGE/SETBIT), a whole
// write (SET) and a whole read (GET), each value stored both ways. It is
// how stringInlineMax was chosen.
func BenchmarkStringLayout(b *testing.B) {
	saved := stringInlineMax
	defer func() { stringInlineMax = saved }()
	for _, size := range []int64{4 << 10, 16 << 10, 64 << 10} {
		for _, chunked := range []bool{false, true} {
			layout := "inline"
			if chunked {
				layout = "chunked"
			}
			e := szOpen(b)
			key := []byte("layout")
			stringInlineMax = size
			if chunked {
				stringInlineMax = size - 1
			}
			val := pattern(int(size))
			szRun(b, e, string(key), func(t testing.TB, tx *Tx) {
				if err := tx.SetString(0, key, val, 0, nil); err != nil {
					t.Fatal(err)
				}
			})
			b.Run(fmt.Sprintf("edit/%dKiB/%s", size>>10, layout), func(b *testing.B) {
				szBench(b, e, string(key), func(tx *Tx, i int) {
					ed, err := tx.EditString(0, key)
					if err == nil {
						err = ed.WriteAt([]byte{byte(i)}, rand.Int64N(size))
					}
					if err != nil {
						b.Error(err)
					}
				})
			})
			b.Run(fmt.Sprintf("set/%dKiB/%s", size>>10, layout), func(b *testing.B) {
				szBench(b, e, string(key), func(tx *Tx, i int) {
					m, _, err := tx.Lookup(0, key)
					if err == nil {
						err = tx.SetString(0, key, val, 0, &m)
					}
					if err != nil {
						b.Error(err)
					}
				})
			})
			b.Run(fmt.Sprintf("get/%dKiB/%s", size>>10, layout), func(b *testing.B) {
				szBench(b, e, string(key), func(tx *Tx, i int) {
					v, ok, err := tx.GetString(0, key)
					if err != nil || !ok || int64(len(v)) != size {
						b.Errorf("GetString: %d bytes, %v %v", len(v), ok, err)
					}
				})
			})
			e.Close()
		}
	}
}
