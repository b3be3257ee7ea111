package command

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Helpers shared by the script libraries: argument checks worded as Lua
// 5.1's auxiliary library words them, and the bit library (LuaBitOp).

// luaArgError raises "bad argument #n to 'fname' (msg)".
func luaArgError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// luaTypeName is lua_typename of argument n ("no value" past the top).
func luaTypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	switch L.Get(n).(type) {
	case *lua.LUserData:
		return "userdata"
	}
	return L.Get(n).Type().String()
}

// luaToNumber converts v as lua_tonumber does (numbers and numeric strings).
func luaToNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		s := strings.TrimSpace(string(x))
		if s == "" {
			return 0, false
		}
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			u, err := strconv.ParseUint(s[2:], 16, 64)
			return float64(u), err == nil
		}
		if strings.HasPrefix(s, "-0x") || strings.HasPrefix(s, "-0X") {
			u, err := strconv.ParseUint(s[3:], 16, 64)
			return -float64(u), err == nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return f, true
			}
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// luaCheckNumber is luaL_checknumber.
func luaCheckNumber(L *lua.LState, n int, fname string) float64 {
	f, ok := luaToNumber(L.Get(n))
	if !ok || n > L.GetTop() {
		luaArgError(L, n, fname, "number expected, got "+luaTypeName(L, n))
	}
	return f
}

// luaCheckInt is luaL_checkinteger (truncating).
func luaCheckInt(L *lua.LState, n int, fname string) int64 {
	return int64(luaCheckNumber(L, n, fname))
}

// luaOptInt is luaL_optinteger.
func luaOptInt(L *lua.LState, n int, fname string, def int64) int64 {
	if n > L.GetTop() || L.Get(n) == lua.LNil {
		return def
	}
	return luaCheckInt(L, n, fname)
}

// luaCheckString is luaL_checklstring (numbers are converted).
func luaCheckString(L *lua.LState, n int, fname string) string {
	switch x := L.Get(n).(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		if n <= L.GetTop() {
			return luaNumberString(float64(x))
		}
	}
	luaArgError(L, n, fname, "string expected, got "+luaTypeName(L, n))
	return ""
}

func luaNewLib(L *lua.LState, fns map[string]lua.LGFunction) *lua.LTable {
	t := L.NewTable()
	for n, f := range fns {
		t.RawSetString(n, L.NewFunction(f))
	}
	return t
}

// --- bit (LuaBitOp): operations on 32-bit integers ---

// bitNorm maps a number to a 32-bit integer as LuaBitOp does: adding
// 2^52+2^51 puts the rounded integer in the low bits of the mantissa.
func bitNorm(f float64) int32 {
	return int32(uint32(math.Float64bits(f + 6755399441055744.0)))
}

func newBitLib(L *lua.LState) *lua.LTable {
	arg := func(L *lua.LState, n int, name string) uint32 {
		return uint32(bitNorm(luaCheckNumber(L, n, name)))
	}
	ret := func(L *lua.LState, v uint32) int {
		L.Push(lua.LNumber(int32(v)))
		return 1
	}
	fold := func(name string, op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := arg(L, 1, name)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, arg(L, i, name))
			}
			return ret(L, v)
		}
	}
	shift := func(name string, op func(a uint32, n uint) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := arg(L, 1, name)
			n := uint(arg(L, 2, name) & 31)
			return ret(L, op(v, n))
		}
	}
	return luaNewLib(L, map[string]lua.LGFunction{
		"tobit": func(L *lua.LState) int { return ret(L, arg(L, 1, "tobit")) },
		"bnot":  func(L *lua.LState) int { return ret(L, ^arg(L, 1, "bnot")) },
		"band":  fold("band", func(a, b uint32) uint32 { return a & b }),
		"bor":   fold("bor", func(a, b uint32) uint32 { return a | b }),
		"bxor":  fold("bxor", func(a, b uint32) uint32 { return a ^ b }),
		"lshift": shift("lshift", func(a uint32, n uint) uint32 {
			return a << n
		}),
		"rshift": shift("rshift", func(a uint32, n uint) uint32 {
			return a >> n
		}),
		"arshift": shift("arshift", func(a uint32, n uint) uint32 {
			return uint32(int32(a) >> n)
		}),
		"rol": shift("rol", func(a uint32, n uint) uint32 {
			return a<<n | a>>((32-n)&31)
		}),
		"ror": shift("ror", func(a uint32, n uint) uint32 {
			return a>>n | a<<((32-n)&31)
		}),
		"bswap": func(L *lua.LState) int {
			v := arg(L, 1, "bswap")
			return ret(L, v>>24|(v>>8)&0xff00|(v&0xff00)<<8|v<<24)
		},
		"tohex": func(L *lua.LState) int {
			v := arg(L, 1, "tohex")
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = int32(arg(L, 2, "tohex"))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[v&15]
				v >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	})
}
