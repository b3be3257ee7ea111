package command

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// struct for scripts (Roberto Ierusalimschy's struct library as Redis
// ships it): struct.pack(fmt, ...), struct.unpack(fmt, s [, pos]) and
// struct.size(fmt). Format: '<' little endian, '>' big endian, '!n'
// alignment, 'x' pad byte, 'b'/'B' char, 'h'/'H' short, 'l'/'L' long,
// 'T' size_t, 'i'/'I' [n] int of n bytes, 'f' float, 'd' double, 's'
// zero-terminated string, 'c' [n] fixed string, ' ' ignored. Lower case
// integers are signed. Sizes are those of x86-64.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structHeader struct {
	little bool
	align  int
}

func newStructLib(L *lua.LState) *lua.LTable {
	return luaNewLib(L, map[string]lua.LGFunction{
		"pack":   structPack,
		"unpack": structUnpack,
		"size":   structSize,
	})
}

// structNum reads the optional size after an option.
func structNum(L *lua.LState, f string, i *int, def int) int {
	if *i >= len(f) || f[*i] < '0' || f[*i] > '9' {
		return def
	}
	a := 0
	for *i < len(f) && f[*i] >= '0' && f[*i] <= '9' {
		d := int(f[*i] - '0')
		if a > (math.MaxInt32/10) || a*10 > math.MaxInt32-d {
			L.RaiseError("integral size overflow")
		}
		a = a*10 + d
		*i++
	}
	return a
}

func structOptSize(L *lua.LState, opt byte, f string, i *int) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return structNum(L, f, i, 1)
	case 'i', 'I':
		sz := structNum(L, f, i, 4)
		if sz > structMaxIntSize {
			L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func structToAlign(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func structControl(L *lua.LState, fname string, opt byte, f string, i *int, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.little = false
	case '<':
		h.little = true
	case '!':
		a := structNum(L, f, i, structMaxAlign)
		if a == 0 || a&(a-1) != 0 {
			L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		luaArgError(L, 1, fname, "invalid format option '"+string(opt)+"'")
	}
}

func structPack(L *lua.LState) int {
	f := luaCheckString(L, 1, "pack")
	// struct.pack pushes a nil after its arguments: the first missing
	// argument reads as nil, not as no value.
	L.SetTop(L.GetTop() + 1)
	h := structHeader{little: true, align: 1}
	arg := 2
	var b []byte
	total := 0
	for i := 0; i < len(f); {
		opt := f[i]
		i++
		size := structOptSize(L, opt, f, &i)
		pad := structToAlign(total, &h, opt, size)
		total += pad
		for ; pad > 0; pad-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := luaCheckNumber(L, arg, "pack")
			arg++
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			buf := make([]byte, size)
			if h.little {
				for j := 0; j < size; j++ {
					buf[j] = byte(v)
					v >>= 8
				}
			} else {
				for j := size - 1; j >= 0; j-- {
					buf[j] = byte(v)
					v >>= 8
				}
			}
			b = append(b, buf...)
		case 'x':
			b = append(b, 0)
		case 'f':
			v := math.Float32bits(float32(luaCheckNumber(L, arg, "pack")))
			arg++
			if h.little {
				b = binary.LittleEndian.AppendUint32(b, v)
			} else {
				b = binary.BigEndian.AppendUint32(b, v)
			}
		case 'd':
			v := math.Float64bits(luaCheckNumber(L, arg, "pack"))
			arg++
			if h.little {
				b = binary.LittleEndian.AppendUint64(b, v)
			} else {
				b = binary.BigEndian.AppendUint64(b, v)
			}
		case 'c', 's':
			s := luaCheckString(L, arg, "pack")
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				luaArgError(L, arg, "pack", "string too short")
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
				size++
			}
		default:
			structControl(L, "pack", opt, f, &i, &h)
		}
		total += size
	}
	L.Push(lua.LString(b))
	return 1
}

func structUnpack(L *lua.LState) int {
	f := luaCheckString(L, 1, "unpack")
	data := luaCheckString(L, 2, "unpack")
	ld := len(data)
	pos := int(luaOptInt(L, 3, "unpack", 1))
	if pos <= 0 {
		luaArgError(L, 3, "unpack", "offset must be 1 or greater")
	}
	pos--
	h := structHeader{little: true, align: 1}
	var out []lua.LValue
	for i := 0; i < len(f); {
		opt := f[i]
		i++
		size := structOptSize(L, opt, f, &i)
		pos += structToAlign(pos, &h, opt, size)
		if size > ld || pos > ld-size {
			luaArgError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			var v uint64
			p := data[pos : pos+size]
			if h.little {
				for j := size - 1; j >= 0; j-- {
					v = v<<8 | uint64(p[j])
				}
			} else {
				for j := 0; j < size; j++ {
					v = v<<8 | uint64(p[j])
				}
			}
			if opt >= 'a' && opt <= 'z' { // signed
				if size < 8 && size > 0 {
					mask := ^uint64(0) << (uint(size)*8 - 1)
					if v&mask != 0 {
						v |= mask
					}
				}
				out = append(out, lua.LNumber(float64(int64(v))))
			} else {
				out = append(out, lua.LNumber(float64(v)))
			}
		case 'x':
		case 'f':
			p := []byte(data[pos : pos+4])
			var v uint32
			if h.little {
				v = binary.LittleEndian.Uint32(p)
			} else {
				v = binary.BigEndian.Uint32(p)
			}
			out = append(out, lua.LNumber(float64(math.Float32frombits(v))))
		case 'd':
			p := []byte(data[pos : pos+8])
			var v uint64
			if h.little {
				v = binary.LittleEndian.Uint64(p)
			} else {
				v = binary.BigEndian.Uint64(p)
			}
			out = append(out, lua.LNumber(math.Float64frombits(v)))
		case 'c':
			if size == 0 {
				if len(out) == 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				n, ok := luaToNumber(out[len(out)-1])
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(n)
				out = out[:len(out)-1]
				if size < 0 || size > ld || pos > ld-size {
					luaArgError(L, 2, "unpack", "data string too short")
				}
			}
			out = append(out, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e + 1
			out = append(out, lua.LString(data[pos:pos+e]))
		default:
			structControl(L, "unpack", opt, f, &i, &h)
		}
		pos += size
	}
	for _, v := range out {
		L.Push(v)
	}
	L.Push(lua.LNumber(pos + 1))
	return len(out) + 1
}

func structSize(L *lua.LState) int {
	f := luaCheckString(L, 1, "size")
	h := structHeader{little: true, align: 1}
	pos := 0
	for i := 0; i < len(f); {
		opt := f[i]
		i++
		size := structOptSize(L, opt, f, &i)
		pos += structToAlign(pos, &h, opt, size)
		if opt == 's' {
			luaArgError(L, 1, "size", "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			luaArgError(L, 1, "size", "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			structControl(L, "size", opt, f, &i, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
