package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Tests of the HyperLogLog format and estimator. Byte compatibility with
// redis-server itself is checked by the differential script hll.txt and
// store/command/compat/hll_test.go.

func TestHyperLogLogApproximationOverAMillionElements(t *testing.T) {
	v := newHLL()
	dense := make([]byte, hllDenseSize)
	copy(dense, "HYLL")
	const n = 1_000_000
	stdErr := 1.04 / math.Sqrt(hllRegisters) // 0.81 %
	var buf []byte
	for i := 1; i <= n; i++ {
		buf = strconv.AppendInt(append(buf[:0], "element:"...), int64(i), 10)
		var r int
		v, r = hllAdd(v, buf, 3000)
		if r < 0 {
			t.Fatalf("add %d: corrupt", i)
		}
		hllAdd(dense, buf, 3000)
		if i == 10 || i == 100 || i == 1000 || i == 10_000 || i == 100_000 || i == n {
			got, ok := hllCount(v)
			dc, _ := hllCount(dense)
			if !ok || got != dc {
				t.Fatalf("%d elements: count %d (ok %v), dense sibling %d", i, got, ok, dc)
			}
			relErr := math.Abs(float64(got)-float64(i)) / float64(i)
			t.Logf("%8d elements: estimate %8d, error %.3f %% (%s)", i, got, 100*relErr, []string{"dense", "sparse"}[v[4]])
			if i >= 1000 && relErr > 3*stdErr {
				t.Errorf("%d elements: estimate %d is %.2f %% off, more than 3 standard errors (%.2f %%)", i, got, 100*relErr, 300*stdErr)
			}
		}
	}
	if v[4] != hllDense {
		t.Fatal("a million elements left the HLL sparse")
	}
	if !bytes.Equal(v[hllHdrSize:], dense[hllHdrSize:]) {
		t.Fatal("the promoted HLL's registers differ from the always-dense one's")
	}
}

// TestMurmurHash64A pins the hash: MurmurHash64A's reference outputs for
// short inputs, computed independently of this implementation.
func TestMurmurHash64A(t *testing.T) {
	// The reference implementation of the tail switch and the word loop,
	// written out byte by byte.
	ref := func(data []byte, seed uint64) uint64 {
		const m, r = 0xc6a4a7935bd1e995, 47
		h := seed ^ uint64(len(data))*m
		n := len(data) / 8
		for i := 0; i < n; i++ {
			var k uint64
			for j := 7; j >= 0; j-- {
				k = k<<8 | uint64(data[8*i+j])
			}
			k *= m
			k ^= k >> r
			k *= m
			h ^= k
			h *= m
		}
		tail := data[8*n:]
		switch len(tail) {
		case 7:
			h ^= uint64(tail[6]) << 48
			fallthrough
		case 6:
			h ^= uint64(tail[5]) << 40
			fallthrough
		case 5:
			h ^= uint64(tail[4]) << 32
			fallthrough
		case 4:
			h ^= uint64(tail[3]) << 24
			fallthrough
		case 3:
			h ^= uint64(tail[2]) << 16
			fallthrough
		case 2:
			h ^= uint64(tail[1]) << 8
			fallthrough
		case 1:
			h ^= uint64(tail[0])
			h *= m
		}
		h ^= h >> r
		h *= m
		h ^= h >> r
		return h
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		if got, want := murmur64A(b, hllHashSeed), ref(b, hllHashSeed); got != want {
			t.Fatalf("len %d: %x, want %x", n, got, want)
		}
	}
}

// TestSparseAndDenseAgree: a sparse HLL and its dense conversion count
// alike at every size, the sparse one stays within hll-sparse-max-bytes,
// and its opcodes always cover the 16384 registers.
func TestSparseAndDenseAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, limit := range []int64{0, 30, 300, 3000, 9000} {
		v := newHLL()
		for i := 0; i < 30000 && v[4] == hllSparse; i++ {
			var ele [8]byte
			binary.LittleEndian.PutUint64(ele[:], rng.Uint64())
			v, _ = hllAdd(v, ele[:], limit)
			if v[4] == hllSparse && (i%7 == 0 || limit < 3000) {
				if int64(len(v)) > max(limit, hllHdrSize+2) && len(v) > hllHdrSize+2 {
					t.Fatalf("limit %d: sparse HLL of %d bytes", limit, len(v))
				}
				d, ok := sparseToDense(v)
				if !ok {
					t.Fatalf("limit %d: sparse opcodes corrupt after %d adds", limit, i+1)
				}
				sc, _ := hllCount(v)
				dc, _ := hllCount(d)
				if sc != dc {
					t.Fatalf("limit %d: sparse count %d, dense %d", limit, sc, dc)
				}
			}
		}
		if v[4] != hllDense {
			t.Fatalf("limit %d: still sparse after 30000 elements", limit)
		}
	}
}

// TestCorruptHyperLogLogsAreDetected: random damage to valid HLLs never
// panics; counting, adding and merging either work or report corruption.
func TestCorruptHyperLogLogsAreDetected(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := 0; round < 2000; round++ {
		v := newHLL()
		for i := rng.IntN(300); i > 0; i-- {
			v, _ = hllAdd(v, []byte(fmt.Sprint(rng.Uint64())), 3000)
		}
		for i := rng.IntN(5) + 1; i > 0; i-- {
			if len(v) > hllHdrSize {
				v[hllHdrSize+rng.IntN(len(v)-hllHdrSize)] = byte(rng.IntN(256))
			}
		}
		if rng.IntN(4) == 0 {
			v = v[:hllHdrSize+rng.IntN(len(v)-hllHdrSize+1)]
		}
		if rng.IntN(4) == 0 {
			v = append(v, byte(rng.IntN(256)))
		}
		hllCount(v)
		var m [hllRegisters]uint8
		hllMerge(&m, v)
		sparseToDense(v)
		w := bytes.Clone(v)
		for i := 0; i < 20; i++ {
			var r int
			if w, r = hllAdd(w, []byte(fmt.Sprint(i)), 3000); r < 0 {
				break
			}
		}
	}
}

func TestHLLSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 10 million elements")
	}
	if err := HLLSelfTest(3000); err != nil {
		t.Fatal(err)
	}
}

// TestPFAddPFCountPFMergeThroughTheExecutor: the typed API on real RocksDB:
// PFADD creates, PFCOUNT caches the estimate in the value (and keeps the
// TTL), several keys count their union without writing.
func TestPFAddPFCountPFMergeThroughTheExecutor(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	var els [][]byte
	for i := 0; i < 5000; i++ {
		els = append(els, []byte(fmt.Sprint("m", i)))
	}
	runAll(t, e, func(tx *Tx) {
		if ok, err := tx.PFAdd(0, []byte("a"), els[:3000], 3000); !ok || err != nil {
			failf("PFAdd a: %v %v", ok, err)
		}
		if ok, err := tx.PFAdd(0, []byte("b"), els[2000:], 3000); !ok || err != nil {
			failf("PFAdd b: %v %v", ok, err)
		}
		if ok, err := tx.PFAdd(0, []byte("a"), els[:10], 3000); ok || err != nil {
			failf("PFAdd of known elements: %v %v", ok, err)
		}
		m, _ := lookup(tx, 0, "a")
		tx.SetExpire(0, []byte("a"), &m, tx.Now()+3_600_000)
	})
	runAll(t, e, func(tx *Tx) {
		v, _, _ := tx.GetString(0, []byte("a"))
		if hllCacheValid(v) {
			failf("cache valid after PFADD")
		}
		n, err := tx.PFCount(0, [][]byte{[]byte("a")})
		if err != nil || n < 2900 || n > 3100 {
			failf("PFCount a = %d, %v", n, err)
		}
		v, _, _ = tx.GetString(0, []byte("a"))
		if !hllCacheValid(v) || binary.LittleEndian.Uint64(v[8:]) != n {
			failf("cache not stored: % x", v[8:16])
		}
		m, _ := lookup(tx, 0, "a")
		if m.Expire == 0 {
			failf("PFCOUNT dropped the TTL")
		}
		u, err := tx.PFCount(0, [][]byte{[]byte("a"), []byte("b"), []byte("missing")})
		if err != nil || u < 4850 || u > 5150 {
			failf("PFCount union = %d, %v", u, err)
		}
		if err := tx.PFMerge(0, []byte("u"), [][]byte{[]byte("a"), []byte("b")}, 3000); err != nil {
			failf("%v", err)
		}
		if n, _ := tx.PFCount(0, [][]byte{[]byte("u")}); n != u {
			failf("merged count %d, union count %d", n, u)
		}
		if _, err := tx.PFCount(0, [][]byte{[]byte("missing")}); err != nil {
			failf("%v", err)
		}
	})
	if e.DBSize(0) != 3 {
		t.Fatalf("DBSize %d: multi-key PFCOUNT or a missing key created keys", e.DBSize(0))
	}
}

// BenchmarkPFADD adds one new element per command to a dense HLL (the
// common steady state: read the 12 KiB value, set a register, write it).
func BenchmarkPFADD(b *testing.B) {
	e := szOpen(b)
	key := []byte("bench:hll")
	szRun(b, e, string(key), func(t testing.TB, tx *Tx) {
		var els [][]byte
		for i := 0; i < 5000; i++ {
			els = append(els, []byte(fmt.Sprint("seed", i)))
		}
		if _, err := tx.PFAdd(0, key, els, 3000); err != nil {
			t.Fatal(err)
		}
	})
	var ele [1][]byte
	szBench(b, e, string(key), func(tx *Tx, i int) {
		ele[0] = strconv.AppendInt(ele[0][:0], int64(i), 10)
		if _, err := tx.PFAdd(0, key, ele[:], 3000); err != nil {
			b.Error(err)
		}
	})
}

// BenchmarkPFADDSparse adds to a fresh sparse HLL per 1000 elements.
func BenchmarkPFADDSparse(b *testing.B) {
	e := szOpen(b)
	var key, ele [1][]byte
	szBench(b, e, "bench:hll", func(tx *Tx, i int) {
		key[0] = strconv.AppendInt(append(key[0][:0], "{bench:hll}"...), int64(i/1000), 10)
		ele[0] = strconv.AppendInt(ele[0][:0], int64(i), 10)
		if _, err := tx.PFAdd(0, key[0], ele[:], 3000); err != nil {
			b.Error(err)
		}
	})
}
