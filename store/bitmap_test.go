package store

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Tests of the bitmap functions on real RocksDB, through the executor,
// against a byte-slice model: sparse chunked values, gaps between chunks,
// edges of ranges, and BITOP chunk by chunk.

// modelCount counts the set bits of v in bit range [from, to].
func modelCount(v []byte, from, to int64) int64 {
	var n int64
	for i := from; i <= to; i++ {
		if i>>3 < int64(len(v)) && v[i>>3]&(0x80>>(i&7)) != 0 {
			n++
		}
	}
	return n
}

func modelFind(v []byte, want bool, from, to int64) int64 {
	for i := from; i <= to; i++ {
		if (i>>3 < int64(len(v)) && v[i>>3]&(0x80>>(i&7)) != 0) == want {
			return i
		}
	}
	return -1
}

// sparseBitmap writes a random sparse bitmap of about n bytes to key with
// SetBit and returns its model.
func sparseBitmap(tx *Tx, rng *rand.Rand, key string, n int) []byte {
	model := make([]byte, 0, n)
	for i := 0; i < 200; i++ {
		var off int64
		if rng.IntN(3) == 0 { // clusters at chunk edges
			off = int64(rng.IntN(n/stringChunk+1))*stringChunk*8 + int64(rng.IntN(32)) - 16
		} else {
			off = rng.Int64N(int64(n) * 8)
		}
		off = max(off, 0)
		on := rng.IntN(5) > 0
		if _, _, err := tx.SetBit(0, []byte(key), uint64(off), on); err != nil {
			failf("%v", err)
		}
		for int64(len(model)) <= off>>3 {
			model = append(model, 0)
		}
		if on {
			model[off>>3] |= 0x80 >> (off & 7)
		} else {
			model[off>>3] &^= 0x80 >> (off & 7)
		}
	}
	// A dense run somewhere, with all-ones bytes to skip over.
	at := int64(rng.IntN(len(model)))
	run := bytes.Repeat([]byte{0xff}, rng.IntN(3*stringChunk))
	if _, err := tx.SetRange(0, []byte(key), at, run, 1<<30); err != nil {
		failf("%v", err)
	}
	for int64(len(model)) < at+int64(len(run)) {
		model = append(model, 0)
	}
	copy(model[at:], run)
	return model
}

func TestCountBitsAndFindBitMatchAModel(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	rng := rand.New(rand.NewPCG(21, 22))
	for _, size := range []int{100, 9000, int(stringInlineMax) + 1000, 200_000} {
		var model []byte
		key := "bm" + strconv.Itoa(size)
		runAll(t, e, func(tx *Tx) { model = sparseBitmap(tx, rng, key, size) })
		runAll(t, e, func(tx *Tx) {
			m, _ := lookup(tx, 0, key)
			nbits := int64(len(model)) * 8
			for q := 0; q < 300; q++ {
				from := rng.Int64N(nbits)
				to := from + rng.Int64N(nbits-from)
				if q%10 == 0 {
					from, to = 0, nbits-1
				}
				n, err := tx.CountBits(&m, from, to)
				if err != nil || n != modelCount(model, from, to) {
					failf("%d bytes: CountBits(%d, %d) = %d %v, want %d", size, from, to, n, err, modelCount(model, from, to))
				}
				for _, want := range []bool{false, true} {
					pos, found, err := tx.FindBit(&m, want, from, to)
					if mp := modelFind(model, want, from, to); err != nil || pos != mp || found != (mp >= 0) {
						failf("%d bytes: FindBit(%v, %d, %d) = %d %v %v, want %d", size, want, from, to, pos, found, err, mp)
					}
				}
			}
		})
	}
}

func TestBitOpChunkByChunkMatchesAModel(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	rng := rand.New(rand.NewPCG(23, 24))
	models := map[string][]byte{}
	keys := []string{"{b}1", "{b}2", "{b}3", "{b}small"}
	runAll(t, e, func(tx *Tx) {
		for i, k := range keys[:3] {
			models[k] = sparseBitmap(tx, rng, k, []int{30_000, 70_000, 150_000}[i])
		}
		tx.SetString(0, []byte("{b}small"), []byte("\xff\x0f\xf0abc"), 0, nil)
		models["{b}small"] = []byte("\xff\x0f\xf0abc")
	})
	for round := 0; round < 40; round++ {
		op := BitOpKind(rng.IntN(4))
		var srcs [][]byte
		if op == BitNot {
			srcs = [][]byte{[]byte(keys[rng.IntN(len(keys))])}
		} else {
			for i := rng.IntN(3) + 1; i > 0; i-- {
				srcs = append(srcs, []byte(keys[rng.IntN(len(keys))]))
			}
			if rng.IntN(5) == 0 {
				srcs = append(srcs, []byte("{b}missing"))
			}
		}
		dst := keys[rng.IntN(len(keys))]
		// The model.
		var maxLen int
		for _, s := range srcs {
			maxLen = max(maxLen, len(models[string(s)]))
		}
		want := make([]byte, maxLen)
		for i, s := range srcs {
			v := models[string(s)]
			for j := range want {
				var c byte
				if j < len(v) {
					c = v[j]
				}
				switch {
				case op == BitNot:
					want[j] = ^c
				case i == 0:
					want[j] = c
				case op == BitAnd:
					want[j] &= c
				case op == BitOr:
					want[j] |= c
				default:
					want[j] ^= c
				}
			}
		}
		runAll(t, e, func(tx *Tx) {
			n, _, err := tx.BitOp(0, op, []byte(dst), srcs)
			if err != nil || n != int64(maxLen) {
				failf("BitOp: %d %v, want length %d", n, err, maxLen)
			}
		})
		models[dst] = want
		runAll(t, e, func(tx *Tx) {
			if v, _, _ := tx.GetString(0, []byte(dst)); !bytes.Equal(v, want) {
				i := 0
				for i < len(v) && i < len(want) && v[i] == want[i] {
					i++
				}
				failf("op %d srcs %q dst %s: first difference at byte %d of %d/%d", op, srcs, dst, i, len(v), len(want))
			}
			m := mustString(tx, dst, want)
			if m.chunked {
				for _, i := range storedChunks(tx, m.ID) {
					if bytes.Count(want[i*stringChunk:min((i+1)*stringChunk, int64(len(want)))], []byte{0}) == int(min(stringChunk, int64(len(want))-i*stringChunk)) {
						failf("BitOp stored all-zero chunk %d", i)
					}
				}
			}
		})
	}
}

// TestSparse512MiBBitmap: the last bit of a 512 MiB bitmap costs one chunk;
// counting, searching and slicing it read only that chunk.
func TestSparse512MiBBitmap(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	const last = 1<<32 - 1
	runAll(t, e, func(tx *Tx) {
		old, changed, err := tx.SetBit(0, []byte("huge"), last, true)
		if old || !changed || err != nil {
			failf("SetBit: %v %v %v", old, changed, err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		m, _ := lookup(tx, 0, "huge")
		if m.StringLen() != 1<<29 {
			failf("length %d", m.StringLen())
		}
		if got := storedChunks(tx, m.ID); len(got) != 1 || got[0] != (1<<29-1)/stringChunk {
			failf("stored chunks %v", got)
		}
		if n, err := tx.CountBits(&m, 0, last); n != 1 || err != nil {
			failf("CountBits %d %v", n, err)
		}
		if p, ok, err := tx.FindBit(&m, true, 0, last); p != last || !ok || err != nil {
			failf("FindBit 1: %d %v %v", p, ok, err)
		}
		if p, ok, _ := tx.FindBit(&m, false, 0, last); p != 0 || !ok {
			failf("FindBit 0: %d %v", p, ok)
		}
		if p, ok, _ := tx.FindBit(&m, false, last-7, last); p != last-7 || !ok {
			failf("FindBit 0 in the last byte: %d %v", p, ok)
		}
		if p, ok, _ := tx.FindBit(&m, true, 0, last-1); ok {
			failf("FindBit 1 before the last bit: %d", p)
		}
		s, err := tx.StringSlice(&m, 1<<29-3, 1<<29+5)
		if err != nil || string(s) != "\x00\x00\x01" {
			failf("tail %q %v", s, err)
		}
	})
}

func BenchmarkSETBIT(b *testing.B) {
	for _, c := range []struct {
		name  string
		space uint64 // bits the offsets spread over
	}{
		{"inline-1KiB", 8 << 10},
		{"chunked-1MiB", 8 << 20},
		{"sparse-512MiB", 1 << 32},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := szOpen(b)
			key := []byte("bench:bits")
			rng := rand.New(rand.NewPCG(1, 1))
			szBench(b, e, string(key), func(tx *Tx, i int) {
				off := rng.Uint64N(c.space)
				if _, _, err := tx.SetBit(0, key, off, bits.OnesCount(uint(i))&1 == 0); err != nil {
					b.Error(err)
				}
			})
		})
	}
}

func BenchmarkGETBIT(b *testing.B) {
	e := szOpen(b)
	key := []byte("bench:bits")
	szRun(b, e, string(key), func(t testing.TB, tx *Tx) {
		for i := uint64(0); i < 1<<23; i += 4099 {
			tx.SetBit(0, key, i, true)
		}
	})
	rng := rand.New(rand.NewPCG(2, 2))
	szBench(b, e, string(key), func(tx *Tx, i int) {
		if _, err := tx.GetBit(0, key, rng.Uint64N(1<<23)); err != nil {
			b.Error(err)
		}
	})
}
