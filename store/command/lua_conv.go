package command

import (
	"errors"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/diskdb/diskdb/proto"
)

// Conversions between RESP and Lua values, as script_lua.c does them.
//
// Command replies to Lua (redis.call):
//
//	integer      number            bulk string   string
//	null bulk    false             array         table (1..n)
//	null array   false             status        {ok=...}
//	error        {err=...}
//	RESP3 (after redis.setresp(3)):
//	null         nil               boolean       boolean
//	double       {double=n}        big number    {big_number="..."}
//	map          {map={k=v}}       set           {set={m=true}}
//	verbatim     {verbatim_string={format="txt", string="..."}}
//
// Script results to replies: string → bulk, number → integer (truncated),
// true → 1 (RESP3 scripts: #t), false → null (RESP3 scripts: #f), tables
// with a string err / ok field → error / status, double, big_number,
// verbatim_string, map and set fields → their RESP3 types, other tables →
// arrays up to the first nil, anything else → null.

var errBadReply = errors.New("malformed reply")

// respToLua parses one reply at b and returns it as a Lua value and the
// bytes it used.
func respToLua(L *lua.LState, b []byte) (lua.LValue, int, error) {
	if len(b) < 3 {
		return lua.LNil, 0, errBadReply
	}
	nl := indexCRLF(b)
	if nl < 0 {
		return lua.LNil, 0, errBadReply
	}
	line := b[1:nl]
	used := nl + 2
	switch b[0] {
	case ':':
		n, ok := proto.ParseInt(line)
		if !ok {
			return lua.LNil, 0, errBadReply
		}
		return lua.LNumber(n), used, nil
	case '$', '=':
		n, ok := proto.ParseInt(line)
		if !ok {
			return lua.LNil, 0, errBadReply
		}
		if n < 0 {
			return lua.LFalse, used, nil
		}
		if int64(len(b)-used) < n+2 {
			return lua.LNil, 0, errBadReply
		}
		s := b[used : used+int(n)]
		used += int(n) + 2
		if b[0] == '$' {
			return lua.LString(s), used, nil
		}
		t := L.NewTable()
		v := L.NewTable()
		if len(s) >= 4 && s[3] == ':' {
			v.RawSetString("string", lua.LString(s[4:]))
			v.RawSetString("format", lua.LString(s[:3]))
		} else {
			v.RawSetString("string", lua.LString(s))
			v.RawSetString("format", lua.LString("txt"))
		}
		t.RawSetString("verbatim_string", v)
		return t, used, nil
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, used, nil
	case '-':
		return luaErrTable(L, "-"+string(line)), used, nil
	case '_':
		return lua.LNil, used, nil
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), used, nil
	case ',':
		f, err := parseRespDouble(line)
		if err != nil {
			return lua.LNil, 0, err
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, used, nil
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, used, nil
	case '*', '~', '%', '|', '>':
		n, ok := proto.ParseInt(line)
		if !ok {
			return lua.LNil, 0, errBadReply
		}
		if n < 0 {
			return lua.LFalse, used, nil
		}
		switch b[0] {
		case '*', '>':
			t := L.CreateTable(int(min(n, 1024)), 0)
			for i := int64(1); i <= n; i++ {
				v, u, err := respToLua(L, b[used:])
				if err != nil {
					return lua.LNil, 0, err
				}
				used += u
				t.RawSetInt(int(i), v)
			}
			return t, used, nil
		case '~':
			set := L.NewTable()
			for i := int64(0); i < n; i++ {
				v, u, err := respToLua(L, b[used:])
				if err != nil {
					return lua.LNil, 0, err
				}
				used += u
				if v != lua.LNil {
					set.RawSet(v, lua.LTrue)
				}
			}
			t := L.NewTable()
			t.RawSetString("set", set)
			return t, used, nil
		case '%':
			m := L.NewTable()
			for i := int64(0); i < n; i++ {
				k, u, err := respToLua(L, b[used:])
				if err != nil {
					return lua.LNil, 0, err
				}
				used += u
				v, u2, err := respToLua(L, b[used:])
				if err != nil {
					return lua.LNil, 0, err
				}
				used += u2
				if k != lua.LNil {
					m.RawSet(k, v)
				}
			}
			t := L.NewTable()
			t.RawSetString("map", m)
			return t, used, nil
		default: // attribute: skipped, the value follows
			for i := int64(0); i < 2*n; i++ {
				_, u, err := respToLua(L, b[used:])
				if err != nil {
					return lua.LNil, 0, err
				}
				used += u
			}
			v, u, err := respToLua(L, b[used:])
			if err != nil {
				return lua.LNil, 0, err
			}
			return v, used + u, nil
		}
	}
	return lua.LNil, 0, errBadReply
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

func parseRespDouble(b []byte) (float64, error) {
	switch string(b) {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan", "-nan":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(string(b), 64)
}

// luaMaxReplyDepth bounds the nesting of a converted result (a table that
// contains itself must not recurse forever).
const luaMaxReplyDepth = 1000

// luaToResp appends the reply for a script's result v. callerRESP3 is the
// calling client's protocol, scriptRESP3 the script's (redis.setresp).
func luaToResp(dst []byte, v lua.LValue, callerRESP3, scriptRESP3 bool, depth int) []byte {
	if depth > luaMaxReplyDepth {
		return proto.AppendError(dst, "ERR reached lua stack limit")
	}
	switch x := v.(type) {
	case lua.LString:
		return proto.AppendBulkString(dst, string(x))
	case lua.LBool:
		if !scriptRESP3 {
			if x {
				return proto.AppendInt(dst, 1)
			}
			return proto.AppendNull(dst, callerRESP3)
		}
		return proto.AppendBool(dst, bool(x), callerRESP3)
	case lua.LNumber:
		return proto.AppendInt(dst, luaNumberToInt(float64(x)))
	case *lua.LTable:
		return luaTableToResp(dst, x, callerRESP3, scriptRESP3, depth)
	}
	return proto.AppendNull(dst, callerRESP3)
}

// luaNumberToInt is C's (long long) cast as x86-64 does it: values out of
// range (and NaN) become the minimum integer.
func luaNumberToInt(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

func luaTableToResp(dst []byte, t *lua.LTable, callerRESP3, scriptRESP3 bool, depth int) []byte {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		return proto.AppendError(dst, string(e))
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		return appendStatusSafe(dst, string(s))
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		return proto.AppendDouble(dst, float64(d), callerRESP3)
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		return proto.AppendBigNumber(dst, mapCRLF(string(s)), callerRESP3)
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, okF := vt.RawGetString("format").(lua.LString)
		s, okS := vt.RawGetString("string").(lua.LString)
		if okF && okS {
			return proto.AppendVerbatim(dst, string(f), string(s), callerRESP3)
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(lua.LValue, lua.LValue) { n++ })
		dst = proto.AppendMap(dst, n, callerRESP3)
		m.ForEach(func(k, v lua.LValue) {
			dst = luaToResp(dst, k, callerRESP3, scriptRESP3, depth+1)
			dst = luaToResp(dst, v, callerRESP3, scriptRESP3, depth+1)
		})
		return dst
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		s.ForEach(func(lua.LValue, lua.LValue) { n++ })
		dst = proto.AppendSet(dst, n, callerRESP3)
		s.ForEach(func(k, _ lua.LValue) {
			dst = luaToResp(dst, k, callerRESP3, scriptRESP3, depth+1)
		})
		return dst
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	dst = proto.AppendArray(dst, n)
	for i := 1; i <= n; i++ {
		dst = luaToResp(dst, t.RawGetInt(i), callerRESP3, scriptRESP3, depth+1)
	}
	return dst
}

// appendStatusSafe appends a status reply with CR and LF mapped to spaces.
func appendStatusSafe(dst []byte, s string) []byte {
	return proto.AppendStatus(dst, mapCRLF(s))
}

func mapCRLF(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] == '\r' || b[j] == '\n' {
					b[j] = ' '
				}
			}
			return string(b)
		}
	}
	return s
}
