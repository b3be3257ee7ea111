package store

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Strings. Bitmaps and HyperLogLogs are strings too (bitmap.go, hll.go):
// GET returns the same bytes Redis would.
//
// A string of at most stringInlineMax bytes lives inline in its metadata
// record, so GET is one read that the shard's hot cache usually serves. A
// longer one is stored in fixed-size chunks under an id, like a
// collection's elements, so that SETBIT, SETRANGE, APPEND and BITFIELD on a
// big value rewrite one 4 KiB chunk instead of the whole value, and a
// sparse bitmap stores only the chunks it touched:
//
//	meta CF   db·slot·key ─▶ type=1 │ flags=chunked(2)[|expire(1)] │ [expire-ms] │ id u64 │ length u64
//	sub CF    id · 00000000  ─▶ bytes 0..4095 of the value
//	          id · 00000001  ─▶ (absent: 4096 zero bytes)
//	          id · 00000002  ─▶ bytes 8192..12287, trailing zeros dropped
//	          ...
//	          id · n-1 (u32) ─▶ the last chunk: at most length-(n-1)·4096 bytes
//
//	value:    │ chunk 0 │ chunk 1 (zeros) │ chunk 2 ···000 │ ··· │ chunk n-1 │
//	          0       4096              8192            12288          length
//
// Chunk keys are big-endian u32 indexes (offset / stringChunk), so chunks
// iterate in offset order. A chunk stores its bytes with the trailing zeros
// dropped and an all-zero chunk is not stored: absent bytes read as zeros.
// So SETBIT k 4294967295 1 on a new key writes one chunk of 4096 bytes and
// one metadata record for a 512 MiB value. The metadata keeps the exact
// length. Strings never shrink in place (no command truncates one): a SET
// replaces the whole value and a chunked value's id with it.
//
// The chunk size is part of the on-disk format; stringInlineMax is not (the
// flag tells how each record is stored), so it may be retuned freely.
//
// DEL, UNLINK, RENAME, MOVE, COPY, FLUSHDB and expiry handle chunked
// strings with the collections' machinery (Meta.hasElements): the chunks
// go with the id. Command code never reads Meta.Body of a string: it goes
// through the functions below, which see one logical value either way.

// stringChunk is the size of a chunk of a chunked string (on-disk format).
const stringChunk = 4096

// stringInlineMax is the longest string kept inline in its metadata record.
// Measured (BenchmarkStringLayout, README "Architecture"): at 16 KiB an
// inline SETBIT already costs more than a chunked one, while GET of a
// chunked value costs an iterator instead of one cached read.
var stringInlineMax int64 = 16 << 10

// Errors of the string API, worded as redis-server words them.
var (
	ErrNotInteger    = errors.New("ERR value is not an integer or out of range")
	ErrIncrOverflow  = errors.New("ERR increment or decrement would overflow")
	ErrStringTooLong = errors.New("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
)

// chunkKey is the element key of chunk i.
func chunkKey(i int64) [4]byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(i))
	return k
}

// trimZeros drops b's trailing zero bytes.
func trimZeros(b []byte) []byte {
	i := len(b)
	for i >= 8 && binary.LittleEndian.Uint64(b[i-8:]) == 0 {
		i -= 8
	}
	for i > 0 && b[i-1] == 0 {
		i--
	}
	return b[:i]
}

// StringLen returns the length of the string whose metadata is m.
func (m *Meta) StringLen() int64 {
	if m.chunked {
		return int64(m.Count)
	}
	return int64(len(m.Body))
}

// InlineString returns the value of a string kept inline in its metadata
// record, and false for a chunked one (whose bytes need StringValue).
func (m *Meta) InlineString() ([]byte, bool) {
	if m.chunked {
		return nil, false
	}
	return m.Body, true
}

// GetString returns the value of a string key. ErrWrongType for other types.
// The value is valid until the next write or the end of the task.
func (tx *Tx) GetString(db int, key []byte) ([]byte, bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeString)
	if err != nil || !ok {
		return nil, false, err
	}
	v, err := tx.StringValue(&m)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// StringLen returns the length of the string at key, 0 when absent, without
// reading its bytes. ErrWrongType for other types.
func (tx *Tx) StringLen(db int, key []byte) (int64, error) {
	m, ok, err := tx.LookupType(db, key, TypeString)
	if err != nil || !ok {
		return 0, err
	}
	return m.StringLen(), nil
}

// StringValue returns the whole value of the string whose live metadata is
// m (from Lookup). An inline value aliases m; a chunked one is assembled
// into a new buffer. Valid until the next write or the end of the task.
func (tx *Tx) StringValue(m *Meta) ([]byte, error) {
	return tx.StringSlice(m, 0, m.StringLen())
}

// StringSlice returns bytes [from, to) of the string m, clipped to its
// length (empty when from >= to). Only the chunks in the range are read.
func (tx *Tx) StringSlice(m *Meta, from, to int64) ([]byte, error) {
	n := m.StringLen()
	from, to = max(from, 0), min(to, n)
	if from >= to {
		return nil, nil
	}
	if !m.chunked {
		return m.Body[from:to], nil
	}
	buf := make([]byte, to-from)
	return buf, tx.readChunks(m.ID, from, buf)
}

// ReadStringAt fills dst with the bytes of string m from offset off (>= 0);
// bytes past the end read as zeros.
func (tx *Tx) ReadStringAt(m *Meta, dst []byte, off int64) error {
	if m.chunked {
		return tx.readChunks(m.ID, off, dst)
	}
	clear(dst)
	if off < int64(len(m.Body)) {
		copy(dst, m.Body[off:])
	}
	return nil
}

// readChunks fills dst with bytes [off, off+len(dst)) of the chunked string
// id: stored bytes where there are some, zeros elsewhere.
func (tx *Tx) readChunks(id uint64, off int64, dst []byte) error {
	clear(dst)
	if len(dst) == 0 {
		return nil
	}
	end := off + int64(len(dst))
	return tx.eachChunk(id, off/stringChunk, (end-1)/stringChunk, func(i int64, data []byte) bool {
		base := i * stringChunk
		lo, hi := max(base, off), min(base+int64(len(data)), end)
		if lo < hi {
			copy(dst[lo-off:hi-off], data[lo-base:hi-base])
		}
		return true
	})
}

// eachChunk calls fn for each stored chunk of id whose index is in [first,
// last], in index order, until fn returns false. data is valid during the
// call only. A single chunk is one point read; a range is one iterator.
func (tx *Tx) eachChunk(id uint64, first, last int64, fn func(i int64, data []byte) bool) error {
	if first == last {
		k := chunkKey(first)
		v, ok, err := tx.GetElem(CFSub, id, k[:])
		if err != nil || !ok {
			return err
		}
		if len(v) > stringChunk {
			return ErrCorrupt
		}
		fn(first, v)
		return nil
	}
	from := chunkKey(first)
	var to []byte
	if last+1 <= math.MaxUint32 {
		k := chunkKey(last + 1)
		to = k[:]
	}
	it := tx.Iter(CFSub, id, from[:], to, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 4 || len(v) > stringChunk {
			return ErrCorrupt
		}
		if !fn(int64(binary.BigEndian.Uint32(k)), v) {
			break
		}
	}
	return it.Err()
}

// stringSegments calls fn with the stored bytes of string m that fall in
// [from, to), in offset order, each with its offset; the bytes between
// segments (and after the last) are zeros. fn returns false to stop.
func (tx *Tx) stringSegments(m *Meta, from, to int64, fn func(off int64, seg []byte) bool) error {
	to = min(to, m.StringLen())
	if from >= to {
		return nil
	}
	if !m.chunked {
		fn(from, m.Body[from:to])
		return nil
	}
	return tx.eachChunk(m.ID, from/stringChunk, (to-1)/stringChunk, func(i int64, data []byte) bool {
		base := i * stringChunk
		lo, hi := max(base, from), min(base+int64(len(data)), to)
		if lo >= hi {
			return true
		}
		return fn(lo, data[lo-base:hi-base])
	})
}

// SetString makes key a string holding val with expiry expire (unix ms, 0
// none), replacing any value of any type. old is the key's live metadata
// from Lookup, nil if absent. A value longer than stringInlineMax is stored
// in chunks; the error is that of allocating their id.
func (tx *Tx) SetString(db int, key, val []byte, expire int64, old *Meta) error {
	if int64(len(val)) <= stringInlineMax {
		tx.SetValue(db, key, TypeString, val, expire, old)
		return nil
	}
	id, err := tx.NewID()
	if err != nil {
		return err
	}
	if old != nil && old.hasElements() {
		tx.DeleteKey(db, key, old)
		old = nil
	}
	tx.putChunks(id, val)
	m := Meta{Type: TypeString, Expire: expire, ID: id, Count: uint64(len(val)), chunked: true}
	tx.PutMeta(db, key, &m, old)
	return nil
}

// putChunks stores val as the chunks of a new chunked string id.
func (tx *Tx) putChunks(id uint64, val []byte) {
	for i := int64(0); i*stringChunk < int64(len(val)); i++ {
		data := trimZeros(val[i*stringChunk : min((i+1)*stringChunk, int64(len(val)))])
		if len(data) > 0 {
			k := chunkKey(i)
			tx.PutElem(CFSub, id, k[:], data)
		}
	}
}

// SetValue writes an inline-valued key (string, JSON) of type t.
func (tx *Tx) SetValue(db int, key []byte, t Type, val []byte, expire int64, old *Meta) {
	m := Meta{Type: t, Expire: expire, Body: val}
	if old != nil && old.hasElements() {
		tx.DeleteKey(db, key, old)
		old = nil
	}
	tx.PutMeta(db, key, &m, old)
}

// ReplaceString gives the existing string key (live metadata m) the value
// val and keeps its expiry, as Redis's in-place string edits do; m == nil
// creates the key without expiry.
func (tx *Tx) ReplaceString(db int, key, val []byte, m *Meta) error {
	var exp int64
	if m != nil {
		exp = m.Expire
	}
	return tx.SetString(db, key, val, exp, m)
}

// StringEditor reads and writes one string key at byte offsets within a
// command, growing it with zeros as Redis's sdsgrowzero does: SETRANGE,
// APPEND, SETBIT and BITFIELD. Writes to a chunked value touch only the
// chunks they cover; a value that grows past stringInlineMax moves to
// chunks. The key keeps its expiry.
type StringEditor struct {
	tx    *Tx
	db    int
	key   []byte
	m     Meta
	found bool
}

// EditString opens the string at key for editing (absent keys are created
// by the first write). ErrWrongType for other types.
func (tx *Tx) EditString(db int, key []byte) (StringEditor, error) {
	m, found, err := tx.LookupType(db, key, TypeString)
	if err != nil {
		return StringEditor{}, err
	}
	return StringEditor{tx: tx, db: db, key: key, m: m, found: found}, nil
}

// Exists reports whether the key exists (or has been created by a write).
func (e *StringEditor) Exists() bool { return e.found }

// Len returns the string's length (0 when absent).
func (e *StringEditor) Len() int64 {
	if !e.found {
		return 0
	}
	return e.m.StringLen()
}

// Meta returns the string's current metadata (for the read functions).
func (e *StringEditor) Meta() *Meta { return &e.m }

// ReadAt fills dst from offset off; bytes past the end read as zeros.
func (e *StringEditor) ReadAt(dst []byte, off int64) error {
	if !e.found {
		clear(dst)
		return nil
	}
	return e.tx.ReadStringAt(&e.m, dst, off)
}

// WriteAt writes src at offset off, zero-filling from the current end when
// off is past it, and creates the key when absent. The caller bounds
// off+len(src) (proto-max-bulk-len).
func (e *StringEditor) WriteAt(src []byte, off int64) error {
	return e.edit(off, len(src), func(w []byte) bool { copy(w, src); return true })
}

// Update calls fn with a copy of bytes [off, off+n) (zeros past the end);
// when fn reports a change, what it left there is stored. The string grows
// to off+n (or is created) either way. A chunked value has only the chunks
// of the range read, once, and rewritten.
func (e *StringEditor) Update(off int64, n int, fn func(w []byte) bool) error {
	return e.edit(off, n, fn)
}

// Grow zero-extends the string to at least n bytes, creating the key when
// absent (even with n == 0).
func (e *StringEditor) Grow(n int64) error {
	if e.found && e.Len() >= n {
		return nil
	}
	return e.edit(n, 0, nil)
}

func (e *StringEditor) edit(off int64, n int, fn func(w []byte) bool) error {
	tx := e.tx
	cur := e.Len()
	newLen := max(cur, off+int64(n))
	var old *Meta
	var exp int64
	if e.found {
		old, exp = &e.m, e.m.Expire
	}
	if !e.m.chunked || !e.found {
		var body []byte
		if e.found {
			body = e.m.Body
		}
		win := make([]byte, n)
		if off < int64(len(body)) {
			copy(win, body[off:])
		}
		changed := fn != nil && fn(win)
		if !changed && e.found && newLen == cur {
			return nil
		}
		if newLen <= stringInlineMax {
			buf := make([]byte, newLen)
			copy(buf, body)
			copy(buf[off:], win)
			nm := Meta{Type: TypeString, Expire: exp, Body: buf}
			tx.PutMeta(e.db, e.key, &nm, old)
			e.m, e.found = nm, true
			return nil
		}
		// The value outgrows the record: move it to chunks.
		id, err := tx.NewID()
		if err != nil {
			return err
		}
		tx.putChunks(id, body)
		if n > 0 {
			if _, err := tx.editChunks(id, off, n, func(w []byte) bool { copy(w, win); return true }); err != nil {
				return err
			}
		}
		nm := Meta{Type: TypeString, Expire: exp, ID: id, Count: uint64(newLen), chunked: true}
		tx.PutMeta(e.db, e.key, &nm, old)
		e.m, e.found = nm, true
		return nil
	}
	changed := false
	if n > 0 && fn != nil {
		var err error
		if changed, err = tx.editChunks(e.m.ID, off, n, fn); err != nil {
			return err
		}
	}
	if newLen != cur {
		nm := e.m
		nm.Count = uint64(newLen)
		tx.PutMeta(e.db, e.key, &nm, old)
		e.m = nm
	} else if changed {
		tx.modified(e.db, e.key) // the metadata stays: tell WATCH
	}
	return nil
}

// editChunks lets fn rewrite bytes [off, off+n) of chunked string id (n >
// 0); when fn reports a change it stores the chunks the range covers:
// changed ones put, ones left all zero deleted.
func (tx *Tx) editChunks(id uint64, off int64, n int, fn func(w []byte) bool) (bool, error) {
	first, last := off/stringChunk, (off+int64(n)-1)/stringChunk
	win := make([]byte, (last-first+1)*stringChunk)
	stored := make([]bool, last-first+1)
	err := tx.eachChunk(id, first, last, func(i int64, data []byte) bool {
		copy(win[(i-first)*stringChunk:], data)
		stored[i-first] = true
		return true
	})
	if err != nil {
		return false, err
	}
	start := off - first*stringChunk
	if !fn(win[start : start+int64(n)]) {
		return false, nil
	}
	for i := first; i <= last; i++ {
		j := i - first
		data := trimZeros(win[j*stringChunk : (j+1)*stringChunk])
		k := chunkKey(i)
		switch {
		case len(data) > 0:
			tx.PutElem(CFSub, id, k[:], data)
		case stored[j]:
			tx.DelElem(CFSub, id, k[:])
		}
	}
	return true, nil
}

// StringFits reports whether a string of cur+add bytes stays within limit
// bytes, without overflowing (Redis's checkStringLength).
func StringFits(cur, add, limit int64) bool {
	if cur < 0 || add < 0 || cur > math.MaxInt64-add {
		return false
	}
	return cur+add <= limit
}

// IncrString adds by to the integer held by the string at key (0 when the
// key is absent) and keeps the key's expiry. It returns the new value;
// ErrWrongType, ErrNotInteger when the value is not a canonical int64,
// ErrIncrOverflow when the sum leaves int64.
func (tx *Tx) IncrString(db int, key []byte, by int64) (int64, error) {
	m, found, err := tx.LookupType(db, key, TypeString)
	if err != nil {
		return 0, err
	}
	var cur int64
	if found {
		body, inline := m.InlineString()
		v, ok := parseInt(body)
		if !inline || !ok {
			return 0, ErrNotInteger
		}
		cur = v
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		return 0, ErrIncrOverflow
	}
	cur += by
	var buf [20]byte
	val := strconv.AppendInt(buf[:0], cur, 10)
	if found {
		tx.SetValue(db, key, TypeString, val, m.Expire, &m)
	} else {
		tx.SetValue(db, key, TypeString, val, 0, nil)
	}
	return cur, nil
}

// AppendString appends suffix to the string at key, creating the key when
// absent (even with an empty suffix, as Redis does), and keeps its expiry.
// It returns the new length; ErrWrongType, or ErrStringTooLong when the
// result would exceed limit bytes. Only the chunks at the end are written.
func (tx *Tx) AppendString(db int, key, suffix []byte, limit int64) (int64, error) {
	e, err := tx.EditString(db, key)
	if err != nil {
		return 0, err
	}
	if e.Exists() && !StringFits(e.Len(), int64(len(suffix)), limit) {
		return 0, ErrStringTooLong
	}
	if err := e.WriteAt(suffix, e.Len()); err != nil {
		return 0, err
	}
	return e.Len(), nil
}

// SetRange overwrites the string at key from byte offset off (>= 0) with
// val, zero-padding a shorter string, and keeps the key's expiry. An empty
// val writes nothing: it returns the current length (0 for an absent key,
// which stays absent). It returns the new length; ErrWrongType, or
// ErrStringTooLong when off+len(val) exceeds limit (checked before any
// allocation).
func (tx *Tx) SetRange(db int, key []byte, off int64, val []byte, limit int64) (int64, error) {
	e, err := tx.EditString(db, key)
	if err != nil {
		return 0, err
	}
	if len(val) == 0 {
		return e.Len(), nil
	}
	if !StringFits(off, int64(len(val)), limit) {
		return 0, ErrStringTooLong
	}
	if err := e.WriteAt(val, off); err != nil {
		return 0, err
	}
	return e.Len(), nil
}

// parseInt parses b as redis-server's string2ll: an optional '-', decimal
// digits without leading zeros (0 itself excepted), within int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	i := 0
	if neg {
		i = 1
	}
	if i == len(b) || b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
