package command

import (
	"bytes"
	"math"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Bitmap commands (bitops.c). Bitmaps are strings; the chunk-aware work is
// in store/bitmap.go.

func init() {
	register(
		&Spec{Name: "setbit", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdSetBit, Group: "bitmap", Summary: "Sets or clears the bit at offset in the string value stored at key", Since: "2.2.0"},
		&Spec{Name: "getbit", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdGetBit, Group: "bitmap", Summary: "Returns the bit value at offset in the string value stored at key", Since: "2.2.0"},
		&Spec{Name: "bitcount", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdBitCount, Group: "bitmap", Summary: "Count set bits in a string", Since: "2.6.0"},
		&Spec{Name: "bitpos", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdBitPos, Group: "bitmap", Summary: "Find first bit set or clear in a string", Since: "2.8.7"},
		&Spec{Name: "bitop", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 2, LastKey: -1, Handler: cmdBitOp, Group: "bitmap", Summary: "Perform bitwise operations between strings", Since: "2.6.0"},
		&Spec{Name: "bitfield", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdBitField, Group: "bitmap", Summary: "Perform arbitrary bitfield integer operations on strings", Since: "3.2.0"},
		&Spec{Name: "bitfield_ro", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdBitFieldRO, Group: "bitmap", Summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", Since: "6.0.0"},
	)
}

// bitOffset parses a bit offset as getBitOffsetFromArgument does: an
// integer, or with hash (BITFIELD) "#n" meaning n·width; negative offsets
// and offsets past proto-max-bulk-len bytes are refused.
func bitOffset(c *Ctx, arg []byte, hash bool, width int) (uint64, bool) {
	usehash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if usehash {
		arg = arg[1:]
	}
	n, ok := proto.ParseInt(arg)
	if usehash {
		n *= int64(width) // wraps as the C multiplication does
	}
	if !ok || n < 0 || n>>3 >= maxStringLen(c) {
		c.Err(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// SETBIT key offset value
func cmdSetBit(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	on, ok := proto.ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Err(errBitValue)
		return
	}
	old, changed, err := c.Tx.SetBit(c.DB, c.Args[1], off, on == 1)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if changed {
		c.Tx.Notify(c.DB, "setbit", c.Args[1])
	}
	c.Int(b2int(old))
}

// GETBIT key offset
func cmdGetBit(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	on, err := c.Tx.GetBit(c.DB, c.Args[1], off)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(b2int(on))
}

// bitRange applies the index rules of BITCOUNT and BITPOS to [start, end]
// over totlen units (bytes, or bits with isBit): negative indexes count
// from the end, both ends are clamped. It returns the range in bits, empty
// (from > to) when nothing is left.
func bitRange(start, end, totlen int64, isBit bool) (from, to int64) {
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	start, end = max(start, 0), max(end, 0)
	if end >= totlen {
		end = totlen - 1
	}
	if start > end {
		return 1, 0
	}
	if isBit {
		return start, end
	}
	return start * 8, end*8 + 7
}

// parseBitUnit parses BITCOUNT's and BITPOS's BYTE | BIT argument.
func parseBitUnit(c *Ctx, arg []byte) (isBit, ok bool) {
	switch {
	case optIs(arg, "bit"):
		return true, true
	case optIs(arg, "byte"):
		return false, true
	}
	c.Err(errSyntax)
	return false, false
}

// BITCOUNT key [start end [BYTE | BIT]]
func cmdBitCount(c *Ctx) {
	// As in 7.0, the key is looked up before the arguments are parsed: a
	// missing key counts 0 whatever follows.
	m, found, err := c.Tx.LookupType(c.DB, c.Args[1], store.TypeString)
	switch {
	case err != nil:
		c.StoreErr(err)
		return
	case !found:
		c.Int(0)
		return
	}
	n := m.StringLen()
	from, to := int64(0), n*8-1
	switch len(c.Args) {
	case 2:
	case 4, 5:
		start, ok := c.Int64(2)
		if !ok {
			return
		}
		end, ok := c.Int64(3)
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.Int(0)
			return
		}
		isBit := false
		if len(c.Args) == 5 {
			if isBit, ok = parseBitUnit(c, c.Args[4]); !ok {
				return
			}
		}
		totlen := n
		if isBit {
			totlen <<= 3
		}
		from, to = bitRange(start, end, totlen, isBit)
	default:
		c.Err(errSyntax)
		return
	}
	if from > to {
		c.Int(0)
		return
	}
	count, err := c.Tx.CountBits(&m, from, to)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(count)
}

// BITPOS key bit [start [end [BYTE | BIT]]]
func cmdBitPos(c *Ctx) {
	bit, ok := c.Int64(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Err(errBitposBit)
		return
	}
	m, found, err := c.Tx.LookupType(c.DB, c.Args[1], store.TypeString)
	switch {
	case err != nil:
		c.StoreErr(err)
		return
	case !found:
		// A missing key is an infinite run of clear bits.
		if bit == 1 {
			c.Int(-1)
		} else {
			c.Int(0)
		}
		return
	}
	n := m.StringLen()
	from, to := int64(0), n*8-1
	endGiven := false
	switch len(c.Args) {
	case 3:
	case 4, 5, 6:
		start, ok := c.Int64(3)
		if !ok {
			return
		}
		isBit := false
		if len(c.Args) == 6 {
			if isBit, ok = parseBitUnit(c, c.Args[5]); !ok {
				return
			}
		}
		totlen := n
		if isBit {
			totlen <<= 3
		}
		end := totlen - 1
		if len(c.Args) >= 5 {
			if end, ok = c.Int64(4); !ok {
				return
			}
			endGiven = true
		}
		from, to = bitRange(start, end, totlen, isBit)
	default:
		c.Err(errSyntax)
		return
	}
	if from > to {
		c.Int(-1) // an empty range holds neither a 0 nor a 1
		return
	}
	pos, found, err := c.Tx.FindBit(&m, bit == 1, from, to)
	switch {
	case err != nil:
		c.StoreErr(err)
	case found:
		c.Int(pos)
	case bit == 0 && !endGiven:
		// Looking for a clear bit without an explicit end: the string
		// is taken as padded with zeros on the right.
		c.Int(to + 1)
	default:
		c.Int(-1)
	}
}

// BITOP <AND | OR | XOR | NOT> destkey key [key ...]
func cmdBitOp(c *Ctx) {
	var op store.BitOpKind
	switch name := c.Args[1]; {
	case optIs(name, "and"):
		op = store.BitAnd
	case optIs(name, "or"):
		op = store.BitOr
	case optIs(name, "xor"):
		op = store.BitXor
	case optIs(name, "not"):
		op = store.BitNot
	default:
		c.Err(errSyntax)
		return
	}
	if op == store.BitNot && len(c.Args) != 4 {
		c.Err(errBitopNot)
		return
	}
	dst := c.Args[2]
	n, deleted, err := c.Tx.BitOp(c.DB, op, dst, c.Args[3:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	switch {
	case n > 0:
		c.Tx.Notify(c.DB, "set", dst)
	case deleted:
		c.Tx.Notify(c.DB, "del", dst)
	}
	c.Int(n)
}

// BITFIELD operations and overflow behaviours.
const (
	bfGet = iota
	bfSet
	bfIncrBy

	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	op     int
	off    uint64
	arg    int64
	ow     int
	width  int
	signed bool
}

// bitfieldType parses an encoding as getBitfieldTypeFromArgument does:
// i1..i64 or u1..u63, read up to the first NUL as C reads it.
func bitfieldType(c *Ctx, arg []byte) (signed bool, width int, ok bool) {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) > 0 && (arg[0] == 'i' || arg[0] == 'u') {
		signed = arg[0] == 'i'
		n, ok := proto.ParseInt(arg[1:])
		if ok && n >= 1 && (n <= 63 || (signed && n == 64)) {
			return signed, int(n), true
		}
	}
	c.Err(errBitfieldType)
	return false, 0, false
}

// BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
//
//	<SET encoding offset value | INCRBY encoding offset increment>
//	[GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
//	<SET encoding offset value | INCRBY encoding offset increment>
//	...]]
func cmdBitField(c *Ctx) { bitfieldGeneric(c, false) }

// BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
func cmdBitFieldRO(c *Ctx) { bitfieldGeneric(c, true) }

func bitfieldGeneric(c *Ctx, readOnlyCmd bool) {
	ops := make([]bitfieldOp, 0, min((len(c.Args)-2)/3, 64))
	ow := bfWrap
	readonly := true
	var highest uint64
	for j := 2; j < len(c.Args); j++ {
		remaining := len(c.Args) - j - 1
		sub := c.Args[j]
		var op int
		switch {
		case optIs(sub, "get") && remaining >= 2:
			op = bfGet
		case optIs(sub, "set") && remaining >= 3:
			op = bfSet
		case optIs(sub, "incrby") && remaining >= 3:
			op = bfIncrBy
		case optIs(sub, "overflow") && remaining >= 1:
			j++
			switch t := c.Args[j]; {
			case optIs(t, "wrap"):
				ow = bfWrap
			case optIs(t, "sat"):
				ow = bfSat
			case optIs(t, "fail"):
				ow = bfFail
			default:
				c.Err(errBitfieldOver)
				return
			}
			continue
		default:
			c.Err(errSyntax)
			return
		}
		signed, width, ok := bitfieldType(c, c.Args[j+1])
		if !ok {
			return
		}
		off, ok := bitOffset(c, c.Args[j+2], true, width)
		if !ok {
			return
		}
		var arg int64
		if op != bfGet {
			readonly = false
			highest = max(highest, off+uint64(width)-1)
			if arg, ok = c.Int64(j + 3); !ok {
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{op: op, off: off, arg: arg, ow: ow, width: width, signed: signed})
		j += 2
	}
	if !readonly && readOnlyCmd {
		c.Err(errBitfieldRO)
		return
	}
	ed, err := c.Tx.EditString(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !readonly {
		// Make room up to the farthest bit written, as Redis does before
		// running the operations (the key exists even if they all FAIL).
		if err := ed.Grow(int64(highest>>3) + 1); err != nil {
			c.StoreErr(err)
			return
		}
	}
	start := len(c.Out)
	c.Array(len(ops))
	changes := 0
	for i := range ops {
		op := &ops[i]
		// Work on a zero-padded copy of the (up to 9) bytes the field spans.
		var buf [9]byte
		byteOff := int64(op.off >> 3)
		rel := op.off & 7
		span := int((rel + uint64(op.width) + 7) / 8)
		var err error
		if op.op == bfGet {
			if err = ed.ReadAt(buf[:span], byteOff); err == nil {
				raw := store.FieldGet(buf[:], rel, op.width)
				if op.signed {
					c.Int(signExtend(raw, op.width))
				} else {
					c.Int(int64(raw))
				}
			}
		} else {
			changes++
			err = ed.Update(byteOff, span, func(w []byte) bool {
				copy(buf[:], w)
				newval, reply, ok := bitfieldWrite(op, store.FieldGet(buf[:], rel, op.width))
				if !ok {
					c.Null() // overflow under FAIL: nothing written
					return false
				}
				c.Int(reply)
				store.FieldSet(buf[:], rel, op.width, newval)
				copy(w, buf[:span])
				return true
			})
		}
		if err != nil {
			c.Out = c.Out[:start]
			c.StoreErr(err)
			return
		}
	}
	if changes > 0 {
		c.Tx.Notify(c.DB, "setbit", c.Args[1])
	}
}

// bitfieldWrite computes a SET or INCRBY over the field's current raw
// bits: the bits to store, the reply (SET: the old value, INCRBY: the new
// one), and ok == false when the operation overflows under FAIL.
func bitfieldWrite(op *bitfieldOp, raw uint64) (newval uint64, reply int64, ok bool) {
	overflow := false
	if op.signed {
		oldv := signExtend(raw, op.width)
		if op.op == bfIncrBy {
			nv := oldv + op.arg
			if wrapped, ovf := signedOverflow(oldv, op.arg, op.width, op.ow); ovf {
				nv, overflow = wrapped, true
			}
			newval, reply = uint64(nv), nv
		} else {
			nv := op.arg
			if wrapped, ovf := signedOverflow(nv, 0, op.width, op.ow); ovf {
				nv, overflow = wrapped, true
			}
			newval, reply = uint64(nv), oldv
		}
	} else {
		if op.op == bfIncrBy {
			nv := raw + uint64(op.arg)
			if wrapped, ovf := unsignedOverflow(raw, op.arg, op.width, op.ow); ovf {
				nv, overflow = wrapped, true
			}
			newval, reply = nv, int64(nv)
		} else {
			nv := uint64(op.arg)
			if wrapped, ovf := unsignedOverflow(nv, 0, op.width, op.ow); ovf {
				nv, overflow = wrapped, true
			}
			newval, reply = nv, int64(raw)
		}
	}
	return newval, reply, !(overflow && op.ow == bfFail)
}

// signExtend reads the low width bits of v as a two's complement integer.
func signExtend(v uint64, width int) int64 {
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}

// unsignedOverflow reports whether value+incr leaves the range of a
// width-bit unsigned field (value may already be outside it, for SET) and
// returns what the field holds then under ow: the wrapped sum, or the
// bound for SAT (checkUnsignedBitfieldOverflow).
func unsignedOverflow(value uint64, incr int64, width, ow int) (uint64, bool) {
	maxv := uint64(1)<<width - 1
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	switch {
	case value > maxv || (incr > 0 && incr > maxincr):
		if ow == bfSat {
			return maxv, true
		}
	case incr < 0 && incr < minincr:
		if ow == bfSat {
			return 0, true
		}
	default:
		return 0, false
	}
	return (value + uint64(incr)) & maxv, true
}

// signedOverflow is unsignedOverflow for a width-bit signed field: the
// wrapped sum keeps its sign bit extended (checkSignedBitfieldOverflow).
func signedOverflow(value, incr int64, width, ow int) (int64, bool) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	switch {
	case value > maxv || (width != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		if ow == bfSat {
			return maxv, true
		}
	case value < minv || (width != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		if ow == bfSat {
			return minv, true
		}
	default:
		return 0, false
	}
	c := uint64(value) + uint64(incr)
	if width < 64 {
		if c&(1<<(width-1)) != 0 {
			c |= math.MaxUint64 << width
		} else {
			c &^= math.MaxUint64 << width
		}
	}
	return int64(c), true
}
