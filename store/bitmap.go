package store

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Bitmaps are strings, as in Redis: bit i is bit 7-(i%8) of byte i/8 (the
// most significant bit of a byte comes first). Everything here works on the
// string layout of string.go without materializing a chunked value:
// counting and searching walk only the stored chunks of the range (absent
// chunks are zeros), SETBIT rewrites one chunk, BITOP combines chunk by
// chunk, so a sparse 512 MiB bitmap costs what its set bits cost.

// SetBit sets (on) or clears bit off of the string at key, creating the key
// or zero-extending it to hold the bit (even when clearing, as Redis does),
// and keeps its expiry. The caller bounds off (proto-max-bulk-len). It
// returns the bit's previous value and whether the key changed (created,
// grown, or the bit flipped: nothing is written otherwise); ErrWrongType.
func (tx *Tx) SetBit(db int, key []byte, off uint64, on bool) (old, changed bool, err error) {
	e, err := tx.EditString(db, key)
	if err != nil {
		return false, false, err
	}
	byteOff := int64(off >> 3)
	mask := byte(1) << (7 - off&7)
	grows := !e.Exists() || byteOff >= e.Len()
	err = e.Update(byteOff, 1, func(w []byte) bool {
		old = w[0]&mask != 0
		if old == on {
			return false
		}
		if on {
			w[0] |= mask
		} else {
			w[0] &^= mask
		}
		return true
	})
	return old, err == nil && (grows || old != on), err
}

// GetBit returns bit off of the string at key (false past its end or when
// the key is absent); ErrWrongType.
func (tx *Tx) GetBit(db int, key []byte, off uint64) (bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeString)
	if err != nil || !ok {
		return false, err
	}
	byteOff := int64(off >> 3)
	if byteOff >= m.StringLen() {
		return false, nil
	}
	var b [1]byte
	if err := tx.ReadStringAt(&m, b[:], byteOff); err != nil {
		return false, err
	}
	return b[0]&(1<<(7-off&7)) != 0, nil
}

// popcount counts the set bits of b.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// CountBits returns the number of set bits of string m in the bit range
// [from, to], both inclusive (0 <= from <= to). Bits past the end count as
// clear. Only the stored chunks of the range are read.
func (tx *Tx) CountBits(m *Meta, from, to int64) (int64, error) {
	fb, lb := from>>3, to>>3
	var n int64
	err := tx.stringSegments(m, fb, lb+1, func(off int64, seg []byte) bool {
		n += popcount(seg)
		if off == fb { // bits of the first byte before from
			n -= int64(bits.OnesCount8(seg[0] &^ (0xff >> (from & 7))))
		}
		if off+int64(len(seg))-1 == lb { // bits of the last byte after to
			n -= int64(bits.OnesCount8(seg[len(seg)-1] & (0xff >> (to&7 + 1))))
		}
		return true
	})
	return n, err
}

// FindBit returns the position of the first bit equal to want in the bit
// range [from, to] of string m (0 <= from <= to < 8·length), or found ==
// false. Only the stored chunks of the range are read: a gap between them
// is a run of clear bits.
func (tx *Tx) FindBit(m *Meta, want bool, from, to int64) (pos int64, found bool, err error) {
	fb, lb := from>>3, to>>3
	pos = -1
	// check examines byte i (value b) with the bits outside the range masked.
	check := func(i int64, b byte) bool {
		mask := byte(0xff)
		if i == fb {
			mask &= 0xff >> (from & 7)
		}
		if i == lb {
			mask &= 0xff << (7 - to&7)
		}
		hits := b
		if !want {
			hits = ^b
		}
		if hits &= mask; hits != 0 {
			pos = i*8 + int64(bits.LeadingZeros8(hits))
			return true
		}
		return false
	}
	var skip uint64 // a word that holds no wanted bit
	if !want {
		skip = ^uint64(0)
	}
	next := fb // the first byte not examined yet
	err = tx.stringSegments(m, fb, lb+1, func(off int64, seg []byte) bool {
		if !want && off > next && check(next, 0) { // a gap of zeros
			return false
		}
		for i := 0; i < len(seg); {
			if i+8 <= len(seg) && binary.LittleEndian.Uint64(seg[i:]) == skip {
				i += 8 // masking can only remove hits: safe to skip whole
				continue
			}
			if check(off+int64(i), seg[i]) {
				return false
			}
			i++
		}
		next = off + int64(len(seg))
		return true
	})
	if err != nil || pos >= 0 {
		return pos, pos >= 0, err
	}
	if !want && next <= lb && check(next, 0) { // zeros after the last segment
		return pos, true, nil
	}
	return -1, false, nil
}

// BitOpKind is a BITOP operation.
type BitOpKind int

// BITOP operations.
const (
	BitAnd BitOpKind = iota
	BitOr
	BitXor
	BitNot
)

// BitOp stores op applied to the strings at srcs (absent keys read as empty
// strings; NOT takes one source) at dst without expiry, replacing any value
// of any type, or deletes dst when every source is empty. It returns the
// result's length, the longest source's, and whether it deleted dst;
// ErrWrongType when a source is not a string. The Tx must hold the shards of dst and of every source. A
// result longer than stringInlineMax is built chunk by chunk, visiting
// only the chunks the sources store (but every chunk for NOT).
func (tx *Tx) BitOp(db int, op BitOpKind, dst []byte, srcs [][]byte) (n int64, deleted bool, err error) {
	metas := make([]*Meta, len(srcs))
	var maxLen int64
	for i, k := range srcs {
		m, ok, err := tx.LookupType(db, k, TypeString)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			continue
		}
		if !m.chunked {
			m.Body = bytes.Clone(m.Body) // outlives the writes below
		}
		metas[i] = &m
		maxLen = max(maxLen, m.StringLen())
	}
	dm, dok, err := tx.Lookup(db, dst)
	if err != nil {
		return 0, false, err
	}
	var old *Meta
	if dok {
		old = &dm
	}
	if maxLen == 0 {
		if dok {
			tx.DeleteKey(db, dst, old)
		}
		return 0, dok, nil
	}
	if maxLen <= stringInlineMax {
		res := make([]byte, maxLen)
		for i, m := range metas {
			var v []byte
			if m != nil {
				if v, err = tx.StringValue(m); err != nil {
					return 0, false, err
				}
			}
			combine(op, res, v, i == 0)
		}
		return maxLen, false, tx.SetString(db, dst, res, 0, old)
	}
	id, err := tx.NewID()
	if err != nil {
		return 0, false, err
	}
	if err := tx.bitOpChunks(op, id, metas, maxLen); err != nil {
		return 0, false, err
	}
	if dok {
		tx.DeleteKey(db, dst, old)
	}
	tx.PutMeta(db, dst, &Meta{Type: TypeString, ID: id, Count: uint64(maxLen), chunked: true}, nil)
	return maxLen, false, nil
}

// combine applies op to res with source v (zero-padded to len(res)); first
// says v is the first source (which res becomes for AND, OR and XOR).
func combine(op BitOpKind, res, v []byte, first bool) {
	switch {
	case op == BitNot:
		for j := range res {
			res[j] = 0xff
		}
		for j, c := range v {
			res[j] = ^c
		}
	case first:
		clear(res[copy(res, v):])
	case op == BitAnd:
		for j := range res {
			if j < len(v) {
				res[j] &= v[j]
			} else {
				res[j] = 0
			}
		}
	case op == BitOr:
		for j, c := range v {
			res[j] |= c
		}
	case op == BitXor:
		for j, c := range v {
			res[j] ^= c
		}
	}
}

// chunkCursor walks the stored chunks of one BITOP source in index order.
type chunkCursor struct {
	it     *ElemIter // chunked source
	inline []byte    // inline source
	idx    int64     // current chunk index; -1 when exhausted
	data   []byte    // current chunk's stored bytes
}

func (tx *Tx) newChunkCursor(m *Meta) *chunkCursor {
	c := &chunkCursor{idx: -1}
	if m == nil {
		return c
	}
	if m.chunked {
		c.it = tx.Iter(CFSub, m.ID, nil, nil, false)
	} else {
		c.inline = m.Body
	}
	c.load(0)
	return c
}

// load positions the cursor at the first stored chunk with index >= i.
func (c *chunkCursor) load(i int64) {
	c.idx, c.data = -1, nil
	if c.it != nil {
		for ; c.it.Valid(); c.it.Next() {
			k := c.it.Key()
			if len(k) == 4 && int64(binary.BigEndian.Uint32(k)) >= i {
				c.idx, c.data = int64(binary.BigEndian.Uint32(k)), c.it.Value()
				return
			}
		}
		return
	}
	for ; i*stringChunk < int64(len(c.inline)); i++ {
		if d := trimZeros(c.inline[i*stringChunk : min((i+1)*stringChunk, int64(len(c.inline)))]); len(d) > 0 {
			c.idx, c.data = i, d
			return
		}
	}
}

func (c *chunkCursor) next() {
	if c.idx < 0 {
		return
	}
	if c.it != nil {
		c.it.Next()
	}
	c.load(c.idx + 1)
}

func (c *chunkCursor) close() error {
	if c.it == nil {
		return nil
	}
	err := c.it.Err()
	c.it.Close()
	return err
}

// bitOpChunks writes the chunks of op over the sources (nil: absent) as
// the chunks of the new string id, maxLen bytes long.
func (tx *Tx) bitOpChunks(op BitOpKind, id uint64, metas []*Meta, maxLen int64) error {
	cursors := make([]*chunkCursor, len(metas))
	for i, m := range metas {
		cursors[i] = tx.newChunkCursor(m)
	}
	out := make([]byte, stringChunk)
	put := func(i int64) {
		n := min(int64(stringChunk), maxLen-i*stringChunk)
		if d := trimZeros(out[:n]); len(d) > 0 {
			k := chunkKey(i)
			tx.PutElem(CFSub, id, k[:], d)
		}
	}
	switch op {
	case BitNot:
		c := cursors[0]
		for i := int64(0); i*stringChunk < maxLen; i++ {
			var v []byte
			if c.idx == i {
				v = c.data
			}
			combine(BitNot, out, v, true)
			if c.idx == i {
				c.next() // after the use: it invalidates c.data
			}
			put(i)
		}
	case BitAnd:
		// A chunk of the result can be non-zero only where every source
		// stores one.
		for {
			target := int64(0)
			for _, c := range cursors {
				if c.idx < 0 {
					target = -1
					break
				}
				target = max(target, c.idx)
			}
			if target < 0 {
				break
			}
			aligned := true
			for _, c := range cursors {
				if c.idx < target {
					c.load(target)
				}
				aligned = aligned && c.idx == target
			}
			if !aligned {
				continue
			}
			for j, c := range cursors {
				combine(BitAnd, out, c.data, j == 0)
				c.next()
			}
			put(target)
		}
	default: // OR, XOR: every chunk any source stores
		for {
			lowest := int64(-1)
			for _, c := range cursors {
				if c.idx >= 0 && (lowest < 0 || c.idx < lowest) {
					lowest = c.idx
				}
			}
			if lowest < 0 {
				break
			}
			clear(out)
			for _, c := range cursors {
				if c.idx == lowest {
					combine(op, out, c.data, false)
					c.next()
				}
			}
			put(lowest)
		}
	}
	var err error
	for _, c := range cursors {
		if e := c.close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// FieldGet reads the bits-wide (1..64) unsigned integer at bit offset off
// of buf, most significant bit first (Redis's getUnsignedBitfield). buf
// must hold the bits.
func FieldGet(buf []byte, off uint64, width int) uint64 {
	var v uint64
	for j := 0; j < width; j++ {
		b := buf[off>>3] >> (7 - off&7) & 1
		v = v<<1 | uint64(b)
		off++
	}
	return v
}

// FieldSet writes the low width bits of v at bit offset off of buf, most
// significant bit first (Redis's setUnsignedBitfield).
func FieldSet(buf []byte, off uint64, width int, v uint64) {
	for j := 0; j < width; j++ {
		mask := byte(1) << (7 - off&7)
		if v>>(width-1-j)&1 != 0 {
			buf[off>>3] |= mask
		} else {
			buf[off>>3] &^= mask
		}
		off++
	}
}
