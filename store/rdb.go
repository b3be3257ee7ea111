package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
)

// DUMP and RESTORE payloads: one value in Redis's RDB serialization,
// followed by the RDB version (2 bytes, little endian) and a CRC-64/Jones
// of everything before it (8 bytes, little endian), as redis-server's
// createDumpPayload writes it. The codec here is written from the format's
// description (rdb.h, listpack.md, ziplist.c's and intset.c's layout
// comments); it never sees RESP.
//
// What DiskDB writes (RDB version 10, readable by redis-server 7.0 and
// later): strings as RDB_TYPE_STRING (integers in the compact integer
// form, other strings raw: no LZF compression); lists as QUICKLIST_2 with
// packed listpack nodes of at most list-max-listpack-size; sets as an
// intset when all members are integers and there are at most
// set-max-intset-entries of them, else RDB_TYPE_SET; hashes and sorted
// sets as a listpack within the *-max-listpack-entries/-value limits, else
// RDB_TYPE_HASH and ZSET_2 (binary doubles, highest score first); streams
// as STREAM_LISTPACKS_2 with consumer groups, PELs and consumers, nodes cut
// at stream-node-max-bytes/-entries (rdb_stream.go). These are the forms
// redis-server itself writes for the same values, so a RESTORE into Redis
// gives the encodings Redis would have chosen.
//
// What DiskDB reads: everything redis-server 7.0 writes, and the older
// forms still found in payloads of earlier versions: integer-encoded and
// LZF-compressed strings, plain lists, quicklists of ziplists (v1) and of
// listpacks or plain nodes (v2), intsets, plain sets, hashes and sorted
// sets (doubles as text or binary), zipmap, ziplist and listpack hashes,
// ziplist and listpack sorted sets, streams of 5.0 and later (v1 and v2).
// Module values (JSON included) are refused as "Bad data format".

// RDBVersion is the serialization version DUMP writes and the newest
// RESTORE accepts (redis-server 7.0's).
const RDBVersion = 10

// Errors of RESTORE, worded as redis-server words them, and DUMP's error
// for a type DiskDB cannot serialize in Redis's format (JSON documents,
// which Redis serializes with its module's own format).
var (
	ErrDumpPayload   = errors.New("ERR DUMP payload version or checksum are wrong")
	ErrBadDataFormat = errors.New("ERR Bad data format")
	ErrDumpType      = errors.New("ERR DUMP is not supported for values of this type")
)

// RDB object types (rdb.h): part of Redis's format, never renumbered.
const (
	rdbString          = 0
	rdbList            = 1
	rdbSet             = 2
	rdbZSet            = 3
	rdbHash            = 4
	rdbZSet2           = 5
	rdbModule          = 6
	rdbModule2         = 7
	rdbHashZipmap      = 9
	rdbListZiplist     = 10
	rdbSetIntset       = 11
	rdbZSetZiplist     = 12
	rdbHashZiplist     = 13
	rdbListQuicklist   = 14
	rdbStreamListpacks = 15
	rdbHashListpack    = 16
	rdbZSetListpack    = 17
	rdbListQuicklist2  = 18
	rdbStreamListpack2 = 19
)

// Length and string encodings (rdb.h).
const (
	rdb6Bit  = 0
	rdb14Bit = 1
	rdb32Bit = 0x80
	rdb64Bit = 0x81
	rdbEnc   = 3 // top bits 11: a special string encoding follows
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Quicklist v2 node containers.
const (
	qlPlain  = 1
	qlPacked = 2
)

// --- CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9, init 0) ---

var crc64Table = func() (t [256]uint64) {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 bit-reversed
	for i := range t {
		c := uint64(i)
		for j := 0; j < 8; j++ {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return
}()

// CRC64 updates crc with b as Redis's crc64 does.
func CRC64(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc = crc64Table[byte(crc)^c] ^ crc>>8
	}
	return crc
}

// --- values ---

// DumpValue is a value in transit between the store and a payload. Elems
// holds a list's elements in order, a set's members, a hash's fields and
// values alternated, or a sorted set's members (scores in Scores).
type DumpValue struct {
	Type   Type
	Str    []byte
	Elems  [][]byte
	Scores []float64
	Stream *DumpStream
}

// DumpLimits are the compact-encoding thresholds DUMP applies (and the
// stream node limits RESTORE gives a stream), as Redis's configuration
// names them.
type DumpLimits struct {
	ListMaxListpackSize  int // > 0: entries per node; -1..-5: 4..64 KiB per node
	SetMaxIntsetEntries  int
	HashMaxEntries       int
	HashMaxValue         int
	ZSetMaxEntries       int
	ZSetMaxValue         int
	StreamNodeMaxBytes   int // 0: unlimited
	StreamNodeMaxEntries int // 0: unlimited
}

// DefaultDumpLimits are redis-server's defaults.
var DefaultDumpLimits = DumpLimits{
	ListMaxListpackSize: -2, SetMaxIntsetEntries: 512,
	HashMaxEntries: 512, HashMaxValue: 64, ZSetMaxEntries: 128, ZSetMaxValue: 64,
	StreamNodeMaxBytes: DefaultStreamNodeMaxBytes, StreamNodeMaxEntries: DefaultStreamNodeMaxEntries,
}

// --- encoding ---

func appendRDBLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|rdb14Bit<<6, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, rdb32Bit)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, rdb64Bit)
	return binary.BigEndian.AppendUint64(dst, n)
}

// appendRDBString appends s as rdbSaveRawString does without compression:
// a canonical integer of at most 11 bytes that fits 32 bits in its
// integer form, anything else as length and bytes.
func appendRDBString(dst, s []byte) []byte {
	if len(s) <= 11 {
		if v, ok := parseInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				return append(dst, rdbEnc<<6|encInt8, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				dst = append(dst, rdbEnc<<6|encInt16)
				return binary.LittleEndian.AppendUint16(dst, uint16(v))
			default:
				dst = append(dst, rdbEnc<<6|encInt32)
				return binary.LittleEndian.AppendUint32(dst, uint32(v))
			}
		}
	}
	dst = appendRDBLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// listpack is a listpack under construction.
type listpack struct {
	buf []byte
	n   int
}

func newListpack() *listpack { return &listpack{buf: make([]byte, 6, 64)} }

// lpBacklenSize is the size of the back length of an entry of l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func appendBacklen(dst []byte, l int) []byte {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		b := byte(l>>(7*i)) & 127
		if i != n-1 {
			b |= 128
		}
		dst = append(dst, b)
	}
	return dst
}

// entrySize is the size of the entry add(s) writes, back length included.
func lpEntrySize(s []byte) int {
	var l int
	if v, ok := parseInt(s); ok {
		switch {
		case v >= 0 && v <= 127:
			l = 1
		case v >= -4096 && v <= 4095:
			l = 2
		case v >= -32768 && v <= 32767:
			l = 3
		case v >= -8388608 && v <= 8388607:
			l = 4
		case v >= math.MinInt32 && v <= math.MaxInt32:
			l = 5
		default:
			l = 9
		}
	} else {
		switch n := len(s); {
		case n < 64:
			l = 1 + n
		case n < 4096:
			l = 2 + n
		default:
			l = 5 + n
		}
	}
	return l + lpBacklenSize(l)
}

// add appends s, as an integer when it is a canonical int64 (as lpAppend).
func (lp *listpack) add(s []byte) {
	start := len(lp.buf)
	b := lp.buf
	if v, ok := parseInt(s); ok {
		switch {
		case v >= 0 && v <= 127:
			b = append(b, byte(v))
		case v >= -4096 && v <= 4095:
			u := uint64(v) & (1<<13 - 1)
			b = append(b, byte(u>>8)|0xC0, byte(u))
		case v >= -32768 && v <= 32767:
			b = append(b, 0xF1)
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case v >= -8388608 && v <= 8388607:
			u := uint32(v)
			b = append(b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			b = append(b, 0xF3)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = append(b, 0xF4)
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	} else {
		switch n := len(s); {
		case n < 64:
			b = append(b, 0x80|byte(n))
		case n < 4096:
			b = append(b, 0xE0|byte(n>>8), byte(n))
		default:
			b = append(b, 0xF0)
			b = binary.LittleEndian.AppendUint32(b, uint32(n))
		}
		b = append(b, s...)
	}
	lp.buf = appendBacklen(b, len(b)-start)
	lp.n++
}

// bytes terminates the listpack and returns it.
func (lp *listpack) bytes() []byte {
	lp.buf = append(lp.buf, 0xFF)
	binary.LittleEndian.PutUint32(lp.buf, uint32(len(lp.buf)))
	binary.LittleEndian.PutUint16(lp.buf[4:], uint16(min(lp.n, 65535)))
	return lp.buf
}

// appendScore appends a score as redis-server 7.0.15 writes it into a
// listpack (d2string: integers within ±2^62 plainly, others "%.17g").
func appendScore(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	case f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f):
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// listNodeFull reports whether a quicklist node of n entries and size
// bytes can take no entry of add more bytes (list-max-listpack-size).
func listNodeFull(n, size, add, fill int) bool {
	if fill >= 0 {
		const safety = 8192 // SIZE_SAFETY_LIMIT for count-limited nodes
		return n >= max(fill, 1) || size+add > safety
	}
	limits := [...]int{4096, 8192, 16384, 32768, 65536}
	i := min(-fill, len(limits)) - 1
	return size+add > limits[i]
}

// EncodeDump serializes v as a DUMP payload.
func EncodeDump(v *DumpValue, lim *DumpLimits) []byte {
	var out []byte
	switch v.Type {
	case TypeString:
		out = append(out, rdbString)
		out = appendRDBString(out, v.Str)
	case TypeList:
		out = encodeList(v.Elems, lim)
	case TypeSet:
		out = encodeSet(v.Elems, lim)
	case TypeHash:
		out = encodeHash(v.Elems, lim)
	case TypeZSet:
		out = encodeZSet(v.Elems, v.Scores, lim)
	case TypeStream:
		out = encodeStream([]byte{rdbStreamListpack2}, v.Stream, lim)
	}
	out = binary.LittleEndian.AppendUint16(out, RDBVersion)
	return binary.LittleEndian.AppendUint64(out, CRC64(0, out))
}

func encodeList(elems [][]byte, lim *DumpLimits) []byte {
	var nodes [][]byte
	lp := newListpack()
	for _, e := range elems {
		sz := lpEntrySize(e)
		if lp.n > 0 && listNodeFull(lp.n, len(lp.buf)+1, sz, lim.ListMaxListpackSize) {
			nodes = append(nodes, lp.bytes())
			lp = newListpack()
		}
		lp.add(e)
	}
	if lp.n > 0 {
		nodes = append(nodes, lp.bytes())
	}
	out := []byte{rdbListQuicklist2}
	out = appendRDBLen(out, uint64(len(nodes)))
	for _, n := range nodes {
		out = appendRDBLen(out, qlPacked)
		out = appendRDBString(out, n)
	}
	return out
}

func encodeSet(members [][]byte, lim *DumpLimits) []byte {
	ints := len(members) <= lim.SetMaxIntsetEntries
	var vals []int64
	if ints {
		vals = make([]int64, 0, len(members))
		for _, m := range members {
			v, ok := parseInt(m)
			if !ok {
				ints = false
				break
			}
			vals = append(vals, v)
		}
	}
	if !ints {
		out := []byte{rdbSet}
		out = appendRDBLen(out, uint64(len(members)))
		for _, m := range members {
			out = appendRDBString(out, m)
		}
		return out
	}
	// An intset: ascending values of the smallest width that holds all.
	slices.Sort(vals)
	width := 2
	for _, v := range vals {
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			width = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && width < 4:
			width = 4
		}
	}
	blob := make([]byte, 8, 8+width*len(vals))
	binary.LittleEndian.PutUint32(blob, uint32(width))
	binary.LittleEndian.PutUint32(blob[4:], uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			blob = binary.LittleEndian.AppendUint16(blob, uint16(v))
		case 4:
			blob = binary.LittleEndian.AppendUint32(blob, uint32(v))
		default:
			blob = binary.LittleEndian.AppendUint64(blob, uint64(v))
		}
	}
	out := []byte{rdbSetIntset}
	return appendRDBString(out, blob)
}

func encodeHash(fv [][]byte, lim *DumpLimits) []byte {
	n := len(fv) / 2
	small := n <= lim.HashMaxEntries
	for i := 0; small && i < len(fv); i++ {
		small = len(fv[i]) <= lim.HashMaxValue
	}
	if small {
		lp := newListpack()
		for _, s := range fv {
			lp.add(s)
		}
		return appendRDBString([]byte{rdbHashListpack}, lp.bytes())
	}
	out := []byte{rdbHash}
	out = appendRDBLen(out, uint64(n))
	for _, s := range fv {
		out = appendRDBString(out, s)
	}
	return out
}

func encodeZSet(members [][]byte, scores []float64, lim *DumpLimits) []byte {
	small := len(members) <= lim.ZSetMaxEntries
	for i := 0; small && i < len(members); i++ {
		small = len(members[i]) <= lim.ZSetMaxValue
	}
	if small {
		lp := newListpack()
		var sb [32]byte
		for i, m := range members {
			lp.add(m)
			lp.add(appendScore(sb[:0], scores[i]))
		}
		return appendRDBString([]byte{rdbZSetListpack}, lp.bytes())
	}
	out := []byte{rdbZSet2}
	out = appendRDBLen(out, uint64(len(members)))
	for i := len(members) - 1; i >= 0; i-- { // from the highest score, as Redis
		out = appendRDBString(out, members[i])
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(scores[i]))
	}
	return out
}

// --- decoding ---

// rdbReader reads an RDB value; any error is "Bad data format".
type rdbReader struct {
	b   []byte
	pos int
	bad bool
}

func (r *rdbReader) fail() { r.bad = true }

func (r *rdbReader) byte() byte {
	if r.bad || r.pos >= len(r.b) {
		r.fail()
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *rdbReader) take(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)-r.pos) {
		r.fail()
		return nil
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s
}

// length reads a length; enc reports a special string encoding (the
// returned value is then its kind).
func (r *rdbReader) length() (n uint64, enc bool) {
	c := r.byte()
	switch c >> 6 {
	case rdb6Bit:
		return uint64(c & 0x3f), false
	case rdb14Bit:
		return uint64(c&0x3f)<<8 | uint64(r.byte()), false
	case rdbEnc:
		return uint64(c & 0x3f), true
	}
	switch c {
	case rdb32Bit:
		if b := r.take(4); b != nil {
			return uint64(binary.BigEndian.Uint32(b)), false
		}
	case rdb64Bit:
		if b := r.take(8); b != nil {
			return binary.BigEndian.Uint64(b), false
		}
	}
	r.fail()
	return 0, false
}

// count reads a collection length, refusing lengths the remaining bytes
// cannot hold (each element takes at least min bytes).
func (r *rdbReader) count(min uint64) uint64 {
	n, enc := r.length()
	if enc || n > uint64(len(r.b)-r.pos)/min {
		r.fail()
		return 0
	}
	return n
}

func (r *rdbReader) string() []byte {
	n, enc := r.length()
	if r.bad {
		return nil
	}
	if !enc {
		return r.take(n)
	}
	switch n {
	case encInt8:
		return strconv.AppendInt(nil, int64(int8(r.byte())), 10)
	case encInt16:
		b := r.take(2)
		if r.bad {
			return nil
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10)
	case encInt32:
		b := r.take(4)
		if r.bad {
			return nil
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10)
	case encLZF:
		clen, e1 := r.length()
		ulen, e2 := r.length()
		if e1 || e2 {
			r.fail()
			return nil
		}
		in := r.take(clen)
		if r.bad {
			return nil
		}
		out, ok := lzfDecompress(in, ulen)
		if !ok {
			r.fail()
		}
		return out
	}
	r.fail()
	return nil
}

// LZFDecompress expands LZF data to exactly n bytes, as RDB payloads
// (DUMP, FUNCTION DUMP) carry it.
func LZFDecompress(in []byte, n uint64) ([]byte, bool) { return lzfDecompress(in, n) }

// lzfDecompress expands LZF data (liblzf's format: literal runs of 1..32
// bytes and back references of 3..264 bytes) to exactly n bytes.
func lzfDecompress(in []byte, n uint64) ([]byte, bool) {
	// A back reference of 3 bytes yields at most 264: bound the claim.
	if n == 0 || n > uint64(len(in))*88+64 {
		return nil, false
	}
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			run := ctrl + 1
			if i+run > len(in) || uint64(len(out)+run) > n {
				return nil, false
			}
			out = append(out, in[i:i+run]...)
			i += run
			continue
		}
		l := ctrl >> 5
		if l == 7 {
			if i >= len(in) {
				return nil, false
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		back := (ctrl&0x1f)<<8 + int(in[i]) + 1
		i++
		l += 2
		if back > len(out) || uint64(len(out)+l) > n {
			return nil, false
		}
		from := len(out) - back
		for k := 0; k < l; k++ { // may overlap what it appends
			out = append(out, out[from+k])
		}
	}
	return out, uint64(len(out)) == n
}

// VerifyDump checks a payload's footer: its version is not newer than
// RDBVersion and its CRC64 matches. It returns the serialized value.
func VerifyDump(p []byte) ([]byte, error) {
	if len(p) < 10 {
		return nil, ErrDumpPayload
	}
	body := p[:len(p)-10]
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > RDBVersion {
		return nil, ErrDumpPayload
	}
	if binary.LittleEndian.Uint64(footer[2:]) != CRC64(0, p[:len(p)-8]) {
		return nil, ErrDumpPayload
	}
	return body, nil
}

// DecodeDump verifies a payload and decodes its value (ErrDumpPayload,
// ErrBadDataFormat). The value's slices may alias p.
func DecodeDump(p []byte) (*DumpValue, error) {
	body, err := VerifyDump(p)
	if err != nil {
		return nil, err
	}
	r := &rdbReader{b: body}
	v := r.value()
	if r.bad || v == nil {
		return nil, ErrBadDataFormat
	}
	return v, nil
}

func (r *rdbReader) value() *DumpValue {
	t := r.byte()
	if r.bad {
		return nil
	}
	v := &DumpValue{}
	switch t {
	case rdbString:
		v.Type, v.Str = TypeString, r.string()
		return v
	case rdbList:
		v.Type = TypeList
		n := r.count(1)
		v.Elems = make([][]byte, 0, n)
		for i := uint64(0); i < n && !r.bad; i++ {
			v.Elems = append(v.Elems, r.string())
		}
	case rdbListZiplist:
		v.Type = TypeList
		v.Elems = parseZiplist(r, r.string())
	case rdbListQuicklist, rdbListQuicklist2:
		v.Type = TypeList
		n := r.count(1)
		for i := uint64(0); i < n && !r.bad; i++ {
			container := uint64(qlPacked)
			if t == rdbListQuicklist2 {
				container, _ = r.length()
			}
			blob := r.string()
			switch {
			case r.bad:
			case t == rdbListQuicklist:
				v.Elems = append(v.Elems, parseZiplist(r, blob)...)
			case container == qlPlain:
				v.Elems = append(v.Elems, blob)
			case container == qlPacked:
				v.Elems = append(v.Elems, parseListpack(r, blob)...)
			default:
				r.fail()
			}
		}
	case rdbSet:
		v.Type = TypeSet
		n := r.count(1)
		v.Elems = make([][]byte, 0, n)
		for i := uint64(0); i < n && !r.bad; i++ {
			v.Elems = append(v.Elems, r.string())
		}
	case rdbSetIntset:
		v.Type = TypeSet
		v.Elems = parseIntset(r, r.string())
	case rdbHash:
		v.Type = TypeHash
		n := r.count(2)
		v.Elems = make([][]byte, 0, 2*n)
		for i := uint64(0); i < 2*n && !r.bad; i++ {
			v.Elems = append(v.Elems, r.string())
		}
	case rdbHashZipmap:
		v.Type = TypeHash
		v.Elems = parseZipmap(r, r.string())
	case rdbHashZiplist, rdbHashListpack:
		v.Type = TypeHash
		blob := r.string()
		if t == rdbHashZiplist {
			v.Elems = parseZiplist(r, blob)
		} else {
			v.Elems = parseListpack(r, blob)
		}
		if len(v.Elems)%2 != 0 {
			r.fail()
		}
	case rdbZSet, rdbZSet2:
		v.Type = TypeZSet
		n := r.count(2)
		v.Elems = make([][]byte, 0, n)
		v.Scores = make([]float64, 0, n)
		for i := uint64(0); i < n && !r.bad; i++ {
			v.Elems = append(v.Elems, r.string())
			var f float64
			if t == rdbZSet2 {
				if b := r.take(8); b != nil {
					f = math.Float64frombits(binary.LittleEndian.Uint64(b))
				}
			} else {
				f = r.textDouble()
			}
			if math.IsNaN(f) {
				r.fail()
			}
			v.Scores = append(v.Scores, f)
		}
	case rdbZSetZiplist, rdbZSetListpack:
		v.Type = TypeZSet
		blob := r.string()
		var flat [][]byte
		if t == rdbZSetZiplist {
			flat = parseZiplist(r, blob)
		} else {
			flat = parseListpack(r, blob)
		}
		if len(flat)%2 != 0 {
			r.fail()
			return nil
		}
		for i := 0; i < len(flat) && !r.bad; i += 2 {
			f, ok := parseScoreText(flat[i+1])
			if !ok {
				r.fail()
			}
			v.Elems = append(v.Elems, flat[i])
			v.Scores = append(v.Scores, f)
		}
	case rdbStreamListpacks, rdbStreamListpack2:
		v.Type = TypeStream
		if v.Stream = r.stream(t == rdbStreamListpack2); v.Stream == nil {
			r.fail()
		}
		if r.bad {
			return nil
		}
		return v // an empty stream is a stream
	default:
		// Modules and unknown types.
		r.fail()
		return nil
	}
	if r.bad || len(v.Elems) == 0 || !distinct(v) {
		r.fail()
		return nil
	}
	return v
}

// textDouble reads a double of RDB_TYPE_ZSET: a length byte (253 nan,
// 254 inf, 255 -inf) and that many characters.
func (r *rdbReader) textDouble() float64 {
	n := r.byte()
	switch n {
	case 253:
		return math.NaN()
	case 254:
		return math.Inf(1)
	case 255:
		return math.Inf(-1)
	}
	f, ok := parseScoreText(r.take(uint64(n)))
	if !ok {
		r.fail()
	}
	return f
}

// parseScoreText parses a score stored as text (listpack, ziplist, v1
// zsets): what d2string writes, "inf", "-inf", or any number.
func parseScoreText(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, !math.IsNaN(f)
}

// distinct reports whether the members (set, sorted set) or fields (hash)
// of v are distinct, as Redis's loader requires.
func distinct(v *DumpValue) bool {
	if v.Type == TypeList {
		return true
	}
	step := 1
	if v.Type == TypeHash {
		step = 2
	}
	seen := make(map[string]struct{}, len(v.Elems)/step)
	for i := 0; i < len(v.Elems); i += step {
		if _, dup := seen[string(v.Elems[i])]; dup {
			return false
		}
		seen[string(v.Elems[i])] = struct{}{}
	}
	return true
}

// parseListpack returns a listpack's entries (integers as decimal text).
func parseListpack(r *rdbReader, lp []byte) [][]byte {
	if r.bad {
		return nil
	}
	if len(lp) < 7 || binary.LittleEndian.Uint32(lp) != uint32(len(lp)) || lp[len(lp)-1] != 0xFF {
		r.fail()
		return nil
	}
	declared := int(binary.LittleEndian.Uint16(lp[4:]))
	var out [][]byte
	p := 6
	end := len(lp) - 1
	for p < end {
		c := lp[p]
		var hdr, dlen int
		var ival int64
		isInt := true
		switch {
		case c&0x80 == 0:
			hdr, ival = 1, int64(c&0x7f)
		case c&0xC0 == 0x80:
			hdr, dlen, isInt = 1, int(c&0x3f), false
		case c&0xE0 == 0xC0:
			if p+2 > end {
				r.fail()
				return nil
			}
			u := int64(c&0x1f)<<8 | int64(lp[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			hdr, ival = 2, u
		case c&0xF0 == 0xE0:
			if p+2 > end {
				r.fail()
				return nil
			}
			hdr, dlen, isInt = 2, int(c&0x0f)<<8|int(lp[p+1]), false
		default:
			var size int
			switch c {
			case 0xF0:
				size = 4
			case 0xF1:
				size = 2
			case 0xF2:
				size = 3
			case 0xF3:
				size = 4
			case 0xF4:
				size = 8
			default:
				r.fail()
				return nil
			}
			if p+1+size > end {
				r.fail()
				return nil
			}
			b := lp[p+1 : p+1+size]
			switch c {
			case 0xF0:
				hdr, dlen, isInt = 5, int(binary.LittleEndian.Uint32(b)), false
			case 0xF1:
				hdr, ival = 3, int64(int16(binary.LittleEndian.Uint16(b)))
			case 0xF2:
				u := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
				hdr, ival = 4, int64(int32(u<<8)>>8)
			case 0xF3:
				hdr, ival = 5, int64(int32(binary.LittleEndian.Uint32(b)))
			case 0xF4:
				hdr, ival = 9, int64(binary.LittleEndian.Uint64(b))
			}
		}
		if dlen < 0 || p+hdr+dlen > end {
			r.fail()
			return nil
		}
		if isInt {
			out = append(out, strconv.AppendInt(nil, ival, 10))
		} else {
			out = append(out, lp[p+hdr:p+hdr+dlen])
		}
		l := hdr + dlen
		bl := lpBacklenSize(l)
		if p+l+bl > end || !bytes.Equal(lp[p+l:p+l+bl], appendBacklen(nil, l)) {
			r.fail()
			return nil
		}
		p += l + bl
	}
	if declared != 65535 && declared != len(out) {
		r.fail()
		return nil
	}
	return out
}

// parseZiplist returns a ziplist's entries (integers as decimal text).
func parseZiplist(r *rdbReader, zl []byte) [][]byte {
	if r.bad {
		return nil
	}
	if len(zl) < 11 || binary.LittleEndian.Uint32(zl) != uint32(len(zl)) || zl[len(zl)-1] != 0xFF {
		r.fail()
		return nil
	}
	declared := int(binary.LittleEndian.Uint16(zl[8:]))
	var out [][]byte
	p := 10
	end := len(zl) - 1
	prev := 0
	for p < end {
		start := p
		// prevlen: one byte, or 0xFE and four bytes.
		pl := int(zl[p])
		if pl == 0xFE {
			if p+5 > end {
				r.fail()
				return nil
			}
			pl = int(binary.LittleEndian.Uint32(zl[p+1:]))
			p += 5
		} else {
			p++
		}
		if pl != prev || p >= end {
			r.fail()
			return nil
		}
		c := zl[p]
		need := func(n int) bool {
			if p+n > end {
				r.fail()
				return false
			}
			return true
		}
		switch {
		case c>>6 == 0, c>>6 == 1, c == 0x80:
			var n, hdr int
			switch c >> 6 {
			case 0:
				n, hdr = int(c&0x3f), 1
			case 1:
				if !need(2) {
					return nil
				}
				n, hdr = int(c&0x3f)<<8|int(zl[p+1]), 2
			default:
				if !need(5) {
					return nil
				}
				n, hdr = int(binary.BigEndian.Uint32(zl[p+1:])), 5
			}
			if n < 0 || !need(hdr+n) {
				return nil
			}
			out = append(out, zl[p+hdr:p+hdr+n])
			p += hdr + n
		default:
			var v int64
			var size int
			switch c {
			case 0xC0:
				size = 2
			case 0xD0:
				size = 4
			case 0xE0:
				size = 8
			case 0xF0:
				size = 3
			case 0xFE:
				size = 1
			default:
				if c >= 0xF1 && c <= 0xFD {
					v = int64(c&0x0f) - 1
				} else {
					r.fail()
					return nil
				}
			}
			if !need(1 + size) {
				return nil
			}
			b := zl[p+1 : p+1+size]
			switch c {
			case 0xC0:
				v = int64(int16(binary.LittleEndian.Uint16(b)))
			case 0xD0:
				v = int64(int32(binary.LittleEndian.Uint32(b)))
			case 0xE0:
				v = int64(binary.LittleEndian.Uint64(b))
			case 0xF0:
				u := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
				v = int64(int32(u<<8) >> 8)
			case 0xFE:
				v = int64(int8(b[0]))
			}
			out = append(out, strconv.AppendInt(nil, v, 10))
			p += 1 + size
		}
		prev = p - start
	}
	if declared != 65535 && declared != len(out) {
		r.fail()
		return nil
	}
	return out
}

// parseIntset returns an intset's members as decimal text.
func parseIntset(r *rdbReader, is []byte) [][]byte {
	if r.bad {
		return nil
	}
	if len(is) < 8 {
		r.fail()
		return nil
	}
	width := binary.LittleEndian.Uint32(is)
	n := uint64(binary.LittleEndian.Uint32(is[4:]))
	if (width != 2 && width != 4 && width != 8) || uint64(len(is)-8) != n*uint64(width) {
		r.fail()
		return nil
	}
	out := make([][]byte, 0, n)
	var prev int64
	for i := uint64(0); i < n; i++ {
		b := is[8+i*uint64(width):]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		default:
			v = int64(binary.LittleEndian.Uint64(b))
		}
		if i > 0 && v <= prev {
			r.fail() // an intset is strictly ascending
			return nil
		}
		prev = v
		out = append(out, strconv.AppendInt(nil, v, 10))
	}
	return out
}

// parseZipmap returns a zipmap's fields and values alternated (the hash
// encoding of Redis before 2.6).
func parseZipmap(r *rdbReader, zm []byte) [][]byte {
	if r.bad {
		return nil
	}
	var out [][]byte
	p := 1 // zmlen
	readLen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		c := zm[p]
		switch {
		case c < 254:
			p++
			return int(c), true
		case c == 254 && p+5 <= len(zm):
			n := int(binary.LittleEndian.Uint32(zm[p+1:]))
			p += 5
			return n, true
		}
		return 0, false
	}
	for p < len(zm) && zm[p] != 0xFF {
		kl, ok := readLen()
		if !ok || kl < 0 || p+kl > len(zm) {
			r.fail()
			return nil
		}
		k := zm[p : p+kl]
		p += kl
		vl, ok := readLen()
		if !ok || vl < 0 || p+1+vl > len(zm) {
			r.fail()
			return nil
		}
		free := int(zm[p])
		p++
		val := zm[p : p+vl]
		p += vl + free
		out = append(out, k, val)
	}
	if p != len(zm)-1 {
		r.fail()
		return nil
	}
	return out
}

// --- the store side ---

// Dump serializes the value at key; ok is false when the key is absent.
// Strings, lists, hashes, sets and sorted sets can be dumped; other types
// (JSON) fail with ErrDumpType.
func (tx *Tx) Dump(db int, key []byte, lim *DumpLimits) ([]byte, bool, error) {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return nil, false, err
	}
	v := DumpValue{Type: m.Type}
	switch m.Type {
	case TypeString:
		v.Str = m.Body
	case TypeList:
		l, err := tx.OpenList(db, key)
		if err != nil {
			return nil, false, err
		}
		var a arena
		if err := l.Range(0, -1, func(e []byte) { a.add(e) }); err != nil {
			return nil, false, err
		}
		v.Elems = a.slices()
	case TypeHash:
		h, err := tx.OpenHash(db, key)
		if err != nil {
			return nil, false, err
		}
		var a arena
		if err := h.Each(func(f, val []byte) bool { a.add(f); a.add(val); return true }); err != nil {
			return nil, false, err
		}
		v.Elems = a.slices()
	case TypeSet:
		if v.Elems, err = tx.setMembers(&m); err != nil {
			return nil, false, err
		}
	case TypeZSet:
		es, err := tx.ZRange(db, key, ZRange{Kind: ZByRank, Start: 0, Stop: -1})
		if err != nil {
			return nil, false, err
		}
		v.Elems = make([][]byte, len(es))
		v.Scores = make([]float64, len(es))
		for i, e := range es {
			v.Elems[i], v.Scores[i] = e.Member, e.Score
		}
	case TypeStream:
		if v.Stream, err = tx.dumpStream(db, key); err != nil {
			return nil, false, err
		}
	default:
		return nil, false, ErrDumpType
	}
	return EncodeDump(&v, lim), true, nil
}

// Restore makes key hold v (decoded by DecodeDump) with expiry expire
// (unix ms, 0 none). The key must be absent (the caller deletes it first
// for REPLACE). lim gives a stream its node limits (nil: the defaults).
func (tx *Tx) Restore(db int, key []byte, v *DumpValue, expire int64, lim *DumpLimits) error {
	switch v.Type {
	case TypeStream:
		if err := tx.restoreStream(db, key, v.Stream, lim); err != nil {
			return err
		}
	case TypeString:
		tx.SetString(db, key, v.Str, expire, nil)
		return nil
	case TypeList:
		l, err := tx.OpenList(db, key)
		if err != nil {
			return err
		}
		if err := l.Push(false, v.Elems...); err != nil {
			return err
		}
		l.Save()
	case TypeHash:
		h, err := tx.OpenHash(db, key)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if _, err := h.Set(v.Elems[i], v.Elems[i+1]); err != nil {
				return err
			}
		}
		h.Save()
	case TypeSet:
		if _, err := tx.SAdd(db, key, v.Elems); err != nil {
			return err
		}
	case TypeZSet:
		es := make([]ZEntry, len(v.Elems))
		for i := range es {
			es[i] = ZEntry{Member: v.Elems[i], Score: v.Scores[i]}
		}
		if _, err := tx.ZStore(db, key, es); err != nil {
			return err
		}
	default:
		return ErrBadDataFormat
	}
	if expire != 0 {
		m, ok, err := tx.Lookup(db, key)
		if err != nil || !ok {
			return err
		}
		tx.SetExpire(db, key, &m, expire)
	}
	return nil
}
