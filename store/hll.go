package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// HyperLogLogs are strings whose bytes are exactly those redis-server 7.0
// builds (its documented hyperloglog.c format), so a value moves between
// Redis and DiskDB with GET/SET or DUMP/RESTORE and reads the same:
//
//	+------+-----+----------+------------------+----------------------------+
//	| HYLL | enc | 3 × 0    | card: 8 bytes LE | registers                  |
//	+------+-----+----------+------------------+----------------------------+
//	enc 0 dense:  16384 6-bit registers, register i at bits 6i..6i+5 counted
//	              from the least significant bit of byte 0: 12288 bytes
//	enc 1 sparse: run-length opcodes over the registers
//	              00xxxxxx           ZERO:  xxxxxx+1 registers (1..64) at 0
//	              01xxxxxx yyyyyyyy  XZERO: 14-bit length+1 (1..16384) at 0
//	              1vvvvvxx           VAL:   xx+1 registers (1..4) at vvvvv+1 (1..32)
//	card:         the cached cardinality; the top bit of its last byte set
//	              means "stale, recompute"
//
// An element hashes with MurmurHash64A (seed 0xadc83b19): the low 14 bits
// pick the register, and one plus the number of trailing zeros of the
// remaining 50 bits (capped at 51) is the candidate value; a register
// keeps the largest. A new HLL is sparse; it turns dense when a register
// needs a value above 32 or the sparse form would exceed
// hll-sparse-max-bytes. The count is Otmar Ertl's improved estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches",
// arXiv:1702.01284) over the histogram of register values, as Redis
// computes it, so cached and computed cardinalities agree with Redis's.

const (
	hllP          = 14
	hllQ          = 64 - hllP
	hllRegisters  = 1 << hllP
	hllBits       = 6
	hllRegMax     = 1<<hllBits - 1
	hllHdrSize    = 16
	hllDenseSize  = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense      = 0
	hllSparse     = 1
	hllMaxEnc     = hllSparse
	hllAlphaInf   = 0.721347520444481703680 // 1 / (2 ln 2)
	hllHashSeed   = 0xadc83b19
	sparseValMax  = 32    // largest value a VAL opcode holds
	sparseValLen  = 4     // longest run of a VAL opcode
	sparseZeroLen = 64    // longest run of a ZERO opcode
	sparseXZLen   = 16384 // longest run of an XZERO opcode
)

// Errors of the HyperLogLog API, worded as redis-server words them.
var (
	ErrNotHLL     = errors.New("WRONGTYPE Key is not a valid HyperLogLog string value.")
	ErrInvalidHLL = errors.New("INVALIDOBJ Corrupted HLL object detected")
)

// murmur64A is Austin Appleby's MurmurHash64A over little-endian words.
func murmur64A(data []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(data))*m
	for len(data) >= 8 {
		k := binary.LittleEndian.Uint64(data)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		data = data[8:]
	}
	if len(data) > 0 {
		for i := len(data) - 1; i >= 0; i-- {
			h ^= uint64(data[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element goes to and the value it
// offers that register.
func hllPatLen(ele []byte) (index int, count uint8) {
	hash := murmur64A(ele, hllHashSeed)
	index = int(hash & (hllRegisters - 1))
	hash >>= hllP
	hash |= 1 << hllQ // bounds the count at hllQ+1
	count = 1
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// --- header ---

func hllInvalidate(v []byte) { v[15] |= 0x80 }

func hllCacheValid(v []byte) bool { return v[15]&0x80 == 0 }

// --- dense registers ---

func denseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[b])
	var b1 uint
	if b+1 < len(regs) { // Redis reads the string's NUL terminator there
		b1 = uint(regs[b+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegMax)
}

func denseSet(regs []byte, i int, val uint8) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	regs[b] = byte(uint(regs[b])&^(hllRegMax<<fb) | v<<fb)
	if b+1 < len(regs) {
		regs[b+1] = byte(uint(regs[b+1])&^(hllRegMax>>(8-fb)) | v>>(8-fb))
	}
}

// denseSetMax raises register i to count; it reports whether it changed.
func denseSetMax(regs []byte, i int, count uint8) bool {
	if count > denseGet(regs, i) {
		denseSet(regs, i, count)
		return true
	}
	return false
}

// --- sparse opcodes ---

func spIsZero(op byte) bool  { return op&0xc0 == 0 }
func spIsXZero(op byte) bool { return op&0xc0 == 0x40 }
func spIsVal(op byte) bool   { return op&0x80 != 0 }
func spZeroLen(op byte) int  { return int(op&0x3f) + 1 }
func spValLen(op byte) int   { return int(op&0x3) + 1 }
func spValue(op byte) uint8  { return (op>>2)&0x1f + 1 }
func spVal(val uint8, n int) byte {
	return byte(int(val-1)<<2|(n-1)) | 0x80
}

// spXZeroLen reads the XZERO opcode at v[p]; past the end reads as 0, as
// Redis reads the string's NUL terminator.
func spXZeroLen(v []byte, p int) int {
	var lo byte
	if p+1 < len(v) {
		lo = v[p+1]
	}
	return (int(v[p]&0x3f)<<8 | int(lo)) + 1
}

func appendXZero(dst []byte, n int) []byte {
	n--
	return append(dst, byte(n>>8)|0x40, byte(n))
}

// appendZeros appends the opcode for a run of n zero registers (1..16384).
func appendZeros(dst []byte, n int) []byte {
	if n > sparseZeroLen {
		return appendXZero(dst, n)
	}
	return append(dst, byte(n-1))
}

// newHLL returns an empty HLL: sparse, every register in XZERO runs, the
// cached cardinality 0 and valid.
func newHLL() []byte {
	v := make([]byte, hllHdrSize, hllHdrSize+2*((hllRegisters+sparseXZLen-1)/sparseXZLen))
	copy(v, "HYLL")
	v[4] = hllSparse
	for n := hllRegisters; n > 0; n -= sparseXZLen {
		v = appendXZero(v, min(n, sparseXZLen))
	}
	return v
}

// sparseToDense converts a sparse HLL to dense, keeping its header (so its
// cached cardinality); a dense one is returned as it is. ok is false when
// the opcodes do not cover exactly the 16384 registers.
func sparseToDense(v []byte) ([]byte, bool) {
	if v[4] == hllDense {
		return v, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, v[:hllHdrSize])
	d[4] = hllDense
	regs := d[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(v); {
		op := v[p]
		switch {
		case spIsZero(op):
			idx += spZeroLen(op)
			p++
		case spIsXZero(op):
			idx += spXZeroLen(v, p)
			p += 2
		default:
			n, val := spValLen(op), spValue(op)
			if idx+n > hllRegisters {
				return nil, false
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, val)
				idx++
			}
			p++
		}
	}
	if idx != hllRegisters {
		return nil, false
	}
	return d, true
}

// sparseSet raises register index of the sparse HLL v to count, splitting
// the opcode that covers it and merging equal neighbours as Redis does (so
// the bytes match), or turning v dense when count exceeds what VAL holds
// or the result would pass sparseMax bytes. It returns the new value and 1
// (changed; the cache is invalidated), 0 (register already >= count) or
// -1 (corrupt).
func sparseSet(v []byte, index int, count uint8, sparseMax int64) ([]byte, int) {
	if count > sparseValMax {
		return promoteAndSet(v, index, count)
	}
	// Find the opcode covering the register.
	end := len(v)
	p, prev := hllHdrSize, -1
	first, span, oplen := 0, 0, 1
	for p < end {
		op := v[p]
		oplen = 1
		switch {
		case spIsZero(op):
			span = spZeroLen(op)
		case spIsVal(op):
			span = spValLen(op)
		default:
			span = spXZeroLen(v, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return v, -1
	}
	op := v[p]
	isXZero := spIsXZero(op)
	switch {
	case spIsVal(op):
		if spValue(op) >= count {
			return v, 0
		}
		if span == 1 {
			v[p] = spVal(count, 1)
			return mergeVals(v, prev), 1
		}
	case spIsZero(op) && span == 1:
		v[p] = spVal(count, 1)
		return mergeVals(v, prev), 1
	}
	// Split the run into (before, our register, after): at most
	// XZERO VAL XZERO, five bytes.
	var seqBuf [5]byte
	seq := seqBuf[:0]
	last := first + span - 1
	if spIsVal(op) {
		cur := spValue(op)
		if index != first {
			seq = append(seq, spVal(cur, index-first))
		}
		seq = append(seq, spVal(count, 1))
		if index != last {
			seq = append(seq, spVal(cur, last-index))
		}
	} else {
		if index != first {
			seq = appendZeros(seq, index-first)
		}
		seq = append(seq, spVal(count, 1))
		if index != last {
			seq = appendZeros(seq, last-index)
		}
	}
	oldLen := 1
	if isXZero {
		oldLen = 2
	}
	delta := len(seq) - oldLen
	if delta > 0 && int64(len(v)+delta) > sparseMax {
		return promoteAndSet(v, index, count)
	}
	v = slices.Replace(v, p, min(p+oldLen, len(v)), seq...)
	return mergeVals(v, prev), 1
}

// mergeVals joins adjacent VAL opcodes of equal value (up to the longest
// VAL run), scanning five opcodes from prev (or the first opcode), then
// invalidates the cached cardinality.
func mergeVals(v []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = hllHdrSize
	}
	for scan := 5; p < len(v) && scan > 0; scan-- {
		op := v[p]
		if spIsXZero(op) {
			p += 2
			continue
		}
		if spIsZero(op) {
			p++
			continue
		}
		if p+1 < len(v) && spIsVal(v[p+1]) && spValue(op) == spValue(v[p+1]) {
			if n := spValLen(op) + spValLen(v[p+1]); n <= sparseValLen {
				v[p+1] = spVal(spValue(op), n)
				v = append(v[:p], v[p+1:]...)
				continue // try the merged run with its right neighbour
			}
		}
		p++
	}
	hllInvalidate(v)
	return v
}

func promoteAndSet(v []byte, index int, count uint8) ([]byte, int) {
	d, ok := sparseToDense(v)
	if !ok {
		return v, -1
	}
	denseSetMax(d[hllHdrSize:], index, count)
	return d, 1
}

// hllAdd adds an element to the HLL v (valid per isHLL): 1 when a register
// changed, 0 when not, -1 when v is corrupt. Dense adds leave the cache to
// the caller, as Redis's do.
func hllAdd(v, ele []byte, sparseMax int64) ([]byte, int) {
	index, count := hllPatLen(ele)
	switch v[4] {
	case hllDense:
		if denseSetMax(v[hllHdrSize:], index, count) {
			return v, 1
		}
		return v, 0
	case hllSparse:
		return sparseSet(v, index, count, sparseMax)
	}
	return v, -1
}

// --- counting ---

// hllHisto counts the registers of v per value; ok is false for a sparse
// value whose opcodes do not cover exactly the registers.
func hllHisto(v []byte, h *[64]int) bool {
	if v[4] == hllDense {
		regs := v[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			h[denseGet(regs, i)]++
		}
		return true
	}
	idx := 0
	for p := hllHdrSize; p < len(v); {
		op := v[p]
		switch {
		case spIsZero(op):
			n := spZeroLen(op)
			idx += n
			h[0] += n
			p++
		case spIsXZero(op):
			n := spXZeroLen(v, p)
			idx += n
			h[0] += n
			p += 2
		default:
			n := spValLen(op)
			idx += n
			h[spValue(op)] += n
			p++
		}
	}
	return idx == hllRegisters
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		zp := z
		z += float64(x * y)
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zp == z {
			return z / 3
		}
	}
}

// hllEstimate turns a register histogram into a cardinality.
func hllEstimate(h *[64]int) uint64 {
	const m = float64(hllRegisters)
	z := float64(m * hllTau((m-float64(h[hllQ+1]))/m))
	for j := hllQ; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(h[0])/m))
	return uint64(math.Round(float64(float64(hllAlphaInf*m)*m) / z))
}

// hllCount estimates the cardinality of v; ok is false when v is corrupt.
func hllCount(v []byte) (uint64, bool) {
	var h [64]int
	if !hllHisto(v, &h) {
		return 0, false
	}
	return hllEstimate(&h), true
}

// hllMerge raises max[i] to each register of v; false when v is corrupt.
func hllMerge(max *[hllRegisters]uint8, v []byte) bool {
	if v[4] == hllDense {
		regs := v[hllHdrSize:]
		for i := range max {
			if r := denseGet(regs, i); r > max[i] {
				max[i] = r
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(v); {
		op := v[p]
		switch {
		case spIsZero(op):
			i += spZeroLen(op)
			p++
		case spIsXZero(op):
			i += spXZeroLen(v, p)
			p += 2
		default:
			n, val := spValLen(op), spValue(op)
			if i+n > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				if val > max[i] {
					max[i] = val
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// --- the typed API ---

// openHLL reads the HyperLogLog at key: nil when absent; ErrWrongType for
// other types, ErrNotHLL for a string that is not one. The value is a copy
// the caller may modify.
func (tx *Tx) openHLL(db int, key []byte) ([]byte, *Meta, error) {
	m, ok, err := tx.LookupType(db, key, TypeString)
	if err != nil || !ok {
		return nil, nil, err
	}
	// Check the header before reading a long value whole.
	hdr, err := tx.StringSlice(&m, 0, hllHdrSize)
	if err != nil {
		return nil, nil, err
	}
	if n := m.StringLen(); n < hllHdrSize || string(hdr[:4]) != "HYLL" || hdr[4] > hllMaxEnc ||
		(hdr[4] == hllDense && n != hllDenseSize) {
		return nil, nil, ErrNotHLL
	}
	v, err := tx.StringValue(&m)
	if err != nil {
		return nil, nil, err
	}
	return bytes.Clone(v), &m, nil
}

// saveHLL writes v as the value of key (old: its metadata, nil if new),
// keeping its expiry.
func (tx *Tx) saveHLL(db int, key, v []byte, old *Meta) error {
	return tx.ReplaceString(db, key, v, old)
}

// PFAdd adds elements to the HyperLogLog at key, creating it (even with no
// elements). It reports whether the key changed. sparseMax is
// hll-sparse-max-bytes. ErrWrongType, ErrNotHLL, ErrInvalidHLL (what was
// added before the corruption was found stays, as in Redis).
func (tx *Tx) PFAdd(db int, key []byte, elements [][]byte, sparseMax int64) (bool, error) {
	v, m, err := tx.openHLL(db, key)
	if err != nil {
		return false, err
	}
	updated := false
	if v == nil {
		v, updated = newHLL(), true
	}
	for _, ele := range elements {
		var r int
		v, r = hllAdd(v, ele, sparseMax)
		switch r {
		case 1:
			updated = true
		case -1:
			if updated {
				if err := tx.saveHLL(db, key, v, m); err != nil {
					return false, err
				}
			}
			return false, ErrInvalidHLL
		}
	}
	if !updated {
		return false, nil
	}
	hllInvalidate(v)
	return true, tx.saveHLL(db, key, v, m)
}

// PFCount estimates the cardinality of the union of the HyperLogLogs at
// keys (absent keys are empty). With one key it serves the cached
// cardinality, computing and storing it when stale; with several it merges
// into a scratch register set and writes nothing. ErrWrongType, ErrNotHLL,
// ErrInvalidHLL. With several keys the Tx must hold their shards.
func (tx *Tx) PFCount(db int, keys [][]byte) (uint64, error) {
	if len(keys) == 1 {
		v, m, err := tx.openHLL(db, keys[0])
		if err != nil || v == nil {
			return 0, err
		}
		if hllCacheValid(v) {
			return binary.LittleEndian.Uint64(v[8:16]), nil
		}
		card, ok := hllCount(v)
		if !ok {
			return 0, ErrInvalidHLL
		}
		binary.LittleEndian.PutUint64(v[8:16], card)
		return card, tx.saveHLL(db, keys[0], v, m)
	}
	var max [hllRegisters]uint8
	for _, k := range keys {
		v, _, err := tx.openHLL(db, k)
		if err != nil {
			return 0, err
		}
		if v != nil && !hllMerge(&max, v) {
			return 0, ErrInvalidHLL
		}
	}
	var h [64]int
	for _, r := range max {
		h[r]++
	}
	return hllEstimate(&h), nil
}

// PFMerge stores at dst the union of the HyperLogLogs at dst and srcs
// (absent keys are empty): dst keeps its expiry, becomes dense if any input
// is dense, and its cached cardinality is invalidated. ErrWrongType,
// ErrNotHLL, ErrInvalidHLL. The Tx must hold the shards of every key.
func (tx *Tx) PFMerge(db int, dst []byte, srcs [][]byte, sparseMax int64) error {
	var max [hllRegisters]uint8
	dense := false
	for i := -1; i < len(srcs); i++ {
		k := dst
		if i >= 0 {
			k = srcs[i]
		}
		v, _, err := tx.openHLL(db, k)
		if err != nil {
			return err
		}
		if v == nil {
			continue
		}
		dense = dense || v[4] == hllDense
		if !hllMerge(&max, v) {
			return ErrInvalidHLL
		}
	}
	v, m, err := tx.openHLL(db, dst)
	if err != nil {
		return err
	}
	if v == nil {
		v = newHLL()
	}
	if dense {
		var ok bool
		if v, ok = sparseToDense(v); !ok {
			return ErrInvalidHLL
		}
	}
	for j, r := range max {
		if r == 0 {
			continue
		}
		if v[4] == hllDense {
			denseSetMax(v[hllHdrSize:], j, r)
		} else {
			v, _ = sparseSet(v, j, r, sparseMax)
		}
	}
	hllInvalidate(v)
	return tx.saveHLL(db, dst, v, m)
}

// HLLDebug runs a PFDEBUG subcommand (lower case) on the HyperLogLog at
// key: "getreg" (turns it dense, returns the registers), "decode" (the
// sparse opcodes as text), "encoding" ("dense" or "sparse"), "todense"
// (reports whether it converted). found is false when the key is absent;
// ErrWrongType, ErrNotHLL, ErrInvalidHLL, ErrNotSparse, ErrUnknownDebug.
func (tx *Tx) HLLDebug(db int, key []byte, sub string) (regs []uint8, text string, converted, found bool, err error) {
	v, m, err := tx.openHLL(db, key)
	if err != nil || v == nil {
		return nil, "", false, false, err
	}
	toDense := func() error {
		if v[4] != hllSparse {
			return nil
		}
		d, ok := sparseToDense(v)
		if !ok {
			return ErrInvalidHLL
		}
		v, converted = d, true
		return tx.saveHLL(db, key, v, m)
	}
	switch sub {
	case "getreg":
		if err := toDense(); err != nil {
			return nil, "", false, true, err
		}
		regs = make([]uint8, hllRegisters)
		for i := range regs {
			regs[i] = denseGet(v[hllHdrSize:], i)
		}
		return regs, "", converted, true, nil
	case "decode":
		if v[4] != hllSparse {
			return nil, "", false, true, ErrNotSparse
		}
		var b strings.Builder
		for p := hllHdrSize; p < len(v); {
			op := v[p]
			switch {
			case spIsZero(op):
				fmt.Fprintf(&b, "z:%d ", spZeroLen(op))
				p++
			case spIsXZero(op):
				fmt.Fprintf(&b, "Z:%d ", spXZeroLen(v, p))
				p += 2
			default:
				fmt.Fprintf(&b, "v:%d,%d ", spValue(op), spValLen(op))
				p++
			}
		}
		return nil, strings.Trim(b.String(), " "), false, true, nil
	case "encoding":
		if v[4] == hllDense {
			return nil, "dense", false, true, nil
		}
		return nil, "sparse", false, true, nil
	case "todense":
		err := toDense()
		return nil, "", converted, true, err
	}
	return nil, "", false, true, ErrUnknownDebug
}

// Errors of HLLDebug.
var (
	ErrNotSparse    = errors.New("ERR HLL encoding is not sparse")
	ErrUnknownDebug = errors.New("ERR unknown PFDEBUG subcommand")
)

// HLLSelfTest checks the implementation as Redis's PFSELFTEST does: dense
// registers read back what was written, and the estimate of 1..10^7
// distinct elements stays within a few standard errors, sparse and dense
// agreeing while the sparse form is in use. It returns nil or an error
// worded as Redis's TESTFAILED replies.
func HLLSelfTest(sparseMax int64) error {
	// Registers: random values written and read back.
	regs := make([]byte, hllDenseSize-hllHdrSize)
	var shadow [hllRegisters]uint8
	for round := 0; round < 1000; round++ {
		for i := range shadow {
			r := uint8(rand.IntN(hllRegMax + 1))
			shadow[i] = r
			denseSet(regs, i, r)
		}
		for i := range shadow {
			if denseGet(regs, i) != shadow[i] {
				return fmt.Errorf("TESTFAILED Register error at index %d", i)
			}
		}
	}
	// Estimates, sparse and dense side by side.
	dense := make([]byte, hllDenseSize)
	copy(dense, "HYLL")
	sparse := newHLL()
	relerr := 1.04 / math.Sqrt(hllRegisters)
	checkpoint := int64(1)
	seed := rand.Uint64()
	var ele [8]byte
	for j := int64(1); j <= 10_000_000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		hllAdd(dense, ele[:], sparseMax)
		sparse, _ = hllAdd(sparse, ele[:], sparseMax)
		if j != checkpoint {
			continue
		}
		if j < sparseMax/2 && sparse[4] != hllSparse {
			return errors.New("TESTFAILED sparse encoding not used")
		}
		dc, _ := hllCount(dense)
		sc, _ := hllCount(sparse)
		if dc != sc {
			return errors.New("TESTFAILED dense/sparse disagree")
		}
		abserr := checkpoint - int64(dc)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			return errors.New("TESTFAILED Too big error. card:" + strconv.FormatInt(checkpoint, 10) +
				" abserr:" + strconv.FormatInt(abserr, 10))
		}
		checkpoint *= 10
	}
	return nil
}
