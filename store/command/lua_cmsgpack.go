package command

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpack for scripts, byte for byte as lua-cmsgpack 0.4.0 in Redis:
// integral numbers as the smallest integer encoding, others as float32
// when exact, else float64; tables whose keys are exactly 1..n as arrays,
// others as maps; tables nested deeper than 16 as nil.

const cmsgpackMaxNesting = 16

func newCMsgpackLib(L *lua.LState) *lua.LTable {
	t := luaNewLib(L, map[string]lua.LGFunction{
		"pack": func(L *lua.LState) int {
			n := L.GetTop()
			if n == 0 {
				L.RaiseError("bad argument #0 to 'pack' (MessagePack pack needs input.)")
			}
			var buf []byte
			for i := 1; i <= n; i++ {
				buf = mpEncode(buf, L.Get(i), 0)
			}
			L.Push(lua.LString(buf))
			return 1
		},
		"unpack": func(L *lua.LState) int {
			return mpUnpack(L, "unpack", 0, 0)
		},
		"unpack_one": func(L *lua.LState) int {
			off := luaOptInt(L, 2, "unpack_one", 0)
			return mpUnpack(L, "unpack_one", 1, off)
		},
		"unpack_limit": func(L *lua.LState) int {
			limit := luaCheckInt(L, 2, "unpack_limit")
			off := luaOptInt(L, 3, "unpack_limit", 0)
			return mpUnpack(L, "unpack_limit", limit, off)
		},
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return mpBytes(b, string(x))
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(x)
		if !math.IsInf(f, 0) && !math.IsNaN(f) && float64(luaNumberToInt(f)) == f {
			return mpInt(b, luaNumberToInt(f))
		}
		if f32 := float32(f); float64(f32) == f {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(f32))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case *lua.LTable:
		if level == cmsgpackMaxNesting {
			return append(b, 0xc0)
		}
		if mpIsArray(x) {
			n := x.Len()
			b = mpHeader(b, 0x90, 0xdc, 0xdd, n)
			for i := 1; i <= n; i++ {
				b = mpEncode(b, x.RawGet(lua.LNumber(i)), level+1)
			}
			return b
		}
		n := 0
		x.ForEach(func(lua.LValue, lua.LValue) { n++ })
		b = mpHeader(b, 0x80, 0xde, 0xdf, n)
		x.ForEach(func(k, val lua.LValue) {
			b = mpEncode(b, k, level+1)
			b = mpEncode(b, val, level+1)
		})
		return b
	}
	return append(b, 0xc0)
}

// mpIsArray reports whether t's keys are exactly 1..n.
func mpIsArray(t *lua.LTable) bool {
	count, max := 0, 0
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		if !ok {
			return
		}
		n, isNum := k.(lua.LNumber)
		f := float64(n)
		if !isNum || f <= 0 || f != float64(int32(f)) {
			ok = false
			return
		}
		if int(f) > max {
			max = int(f)
		}
		count++
	})
	return ok && max == count
}

func mpHeader(b []byte, fix, b16, b32 byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		b = append(b, b16)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	}
	b = append(b, b32)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func mpBytes(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

func mpInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			b = append(b, 0xcd)
			return binary.BigEndian.AppendUint16(b, uint16(n))
		case n <= 0xffffffff:
			b = append(b, 0xce)
			return binary.BigEndian.AppendUint32(b, uint32(n))
		}
		b = append(b, 0xcf)
		return binary.BigEndian.AppendUint64(b, uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		b = append(b, 0xd1)
		return binary.BigEndian.AppendUint16(b, uint16(int16(n)))
	case n >= -2147483648:
		b = append(b, 0xd2)
		return binary.BigEndian.AppendUint32(b, uint32(int32(n)))
	}
	b = append(b, 0xd3)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// mpUnpack is mp_unpack_full: limit 0 and offset 0 decode everything and
// return only the values; otherwise the next offset (-1 at the end) comes
// first.
func mpUnpack(L *lua.LState, name string, limit, offset int64) int {
	s := luaCheckString(L, 1, name)
	all := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	}
	if offset > int64(len(s)) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	if all {
		limit = math.MaxInt32
	}
	d := mpDecoder{L: L, b: []byte(s[offset:])}
	var vals []lua.LValue
	for cnt := int64(0); len(d.b) > 0 && cnt < limit; cnt++ {
		v := d.value()
		switch d.err {
		case mpErrEOF:
			L.RaiseError("Missing bytes in input.")
		case mpErrFormat:
			L.RaiseError("Bad data format in input.")
		}
		vals = append(vals, v)
	}
	if !all {
		next := int64(len(s)) - int64(len(d.b))
		if len(d.b) == 0 {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range vals {
		L.Push(v)
	}
	if all {
		return len(vals)
	}
	return len(vals) + 1
}

const (
	mpErrNone = iota
	mpErrEOF
	mpErrFormat
)

type mpDecoder struct {
	L   *lua.LState
	b   []byte
	err int
}

func (d *mpDecoder) need(n int) bool {
	if len(d.b) < n {
		d.err = mpErrEOF
		return false
	}
	return true
}

func (d *mpDecoder) value() lua.LValue {
	if !d.need(1) {
		return lua.LNil
	}
	c := d.b[0]
	num := func(n int, f func(p []byte) float64) lua.LValue {
		if !d.need(1 + n) {
			return lua.LNil
		}
		v := f(d.b[1 : 1+n])
		d.b = d.b[1+n:]
		return lua.LNumber(v)
	}
	str := func(hdr, n int) lua.LValue {
		if !d.need(hdr + n) {
			return lua.LNil
		}
		s := lua.LString(d.b[hdr : hdr+n])
		d.b = d.b[hdr+n:]
		return s
	}
	switch c {
	case 0xcc:
		return num(1, func(p []byte) float64 { return float64(p[0]) })
	case 0xd0:
		return num(1, func(p []byte) float64 { return float64(int8(p[0])) })
	case 0xcd:
		return num(2, func(p []byte) float64 { return float64(binary.BigEndian.Uint16(p)) })
	case 0xd1:
		return num(2, func(p []byte) float64 { return float64(int16(binary.BigEndian.Uint16(p))) })
	case 0xce:
		return num(4, func(p []byte) float64 { return float64(binary.BigEndian.Uint32(p)) })
	case 0xd2:
		return num(4, func(p []byte) float64 { return float64(int32(binary.BigEndian.Uint32(p))) })
	case 0xcf, 0xd3:
		return num(8, func(p []byte) float64 { return float64(int64(binary.BigEndian.Uint64(p))) })
	case 0xca:
		return num(4, func(p []byte) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(p))) })
	case 0xcb:
		return num(8, func(p []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(p)) })
	case 0xc0:
		d.b = d.b[1:]
		return lua.LNil
	case 0xc3, 0xc2:
		d.b = d.b[1:]
		return lua.LBool(c == 0xc3)
	case 0xd9:
		if !d.need(2) {
			return lua.LNil
		}
		return str(2, int(d.b[1]))
	case 0xda:
		if !d.need(3) {
			return lua.LNil
		}
		return str(3, int(binary.BigEndian.Uint16(d.b[1:])))
	case 0xdb:
		if !d.need(5) {
			return lua.LNil
		}
		return str(5, int(binary.BigEndian.Uint32(d.b[1:])))
	case 0xdc, 0xde:
		if !d.need(3) {
			return lua.LNil
		}
		n := int(binary.BigEndian.Uint16(d.b[1:]))
		d.b = d.b[3:]
		return d.container(c == 0xde, n)
	case 0xdd, 0xdf:
		if !d.need(5) {
			return lua.LNil
		}
		n := int(binary.BigEndian.Uint32(d.b[1:]))
		d.b = d.b[5:]
		return d.container(c == 0xdf, n)
	}
	switch {
	case c&0x80 == 0:
		d.b = d.b[1:]
		return lua.LNumber(c)
	case c&0xe0 == 0xe0:
		d.b = d.b[1:]
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return str(1, int(c&0x1f))
	case c&0xf0 == 0x90:
		d.b = d.b[1:]
		return d.container(false, int(c&0xf))
	case c&0xf0 == 0x80:
		d.b = d.b[1:]
		return d.container(true, int(c&0xf))
	}
	d.err = mpErrFormat
	return lua.LNil
}

func (d *mpDecoder) container(isMap bool, n int) lua.LValue {
	// No preallocation: a count beyond the input fails on missing bytes
	// after at most one value per byte.
	t := d.L.CreateTable(0, 0)
	for i := 1; i <= n; i++ {
		if isMap {
			k := d.value()
			if d.err != mpErrNone {
				return lua.LNil
			}
			v := d.value()
			if d.err != mpErrNone {
				return lua.LNil
			}
			if k != lua.LNil {
				if nk, ok := k.(lua.LNumber); ok && math.IsNaN(float64(nk)) {
					continue
				}
				t.RawSet(k, v)
			}
			continue
		}
		v := d.value()
		if d.err != mpErrNone {
			return lua.LNil
		}
		t.RawSetInt(i, v)
	}
	return t
}
