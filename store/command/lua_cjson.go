package command

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// cjson for scripts, behaving as the lua-cjson 2.1.0 Redis ships: numbers
// with %.14g, '/' escaped, tables with only positive integer keys encoded
// as arrays (unless excessively sparse), the empty table as {}, JSON null
// as the cjson.null light userdata.

type cjsonConfig struct {
	sparseConvert  bool
	sparseRatio    int64
	sparseSafe     int64
	encodeMaxDepth int64
	decodeMaxDepth int64
	encodeInvalid  int // 0 off, 1 on, 2 null
	decodeInvalid  bool
	precision      int
	keepBuffer     bool
}

func defaultCJSONConfig() *cjsonConfig {
	return &cjsonConfig{sparseRatio: 2, sparseSafe: 10, encodeMaxDepth: 1000, decodeMaxDepth: 1000, decodeInvalid: true, precision: 14, keepBuffer: true}
}

// cjsonNull is the value of cjson.null (a NULL light userdata in Redis).
var cjsonNull = &lua.LUserData{}

func newCJSONLib(L *lua.LState) *lua.LTable {
	cfg := defaultCJSONConfig()
	checkArgs := func(L *lua.LState, max int, name string) {
		if L.GetTop() > max {
			luaArgError(L, max+1, name, "found too many arguments")
		}
	}
	intOpt := func(name string, p *int64, min, max int64) lua.LGFunction {
		return func(L *lua.LState) int {
			checkArgs(L, 1, name)
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				v := luaCheckInt(L, 1, name)
				if v < min || v > max {
					luaArgError(L, 1, name, "expected integer between "+strconv.FormatInt(min, 10)+" and "+strconv.FormatInt(max, 10))
				}
				*p = v
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	boolOpt := func(L *lua.LState, n int, name string, p *bool) {
		if n > L.GetTop() || L.Get(n) == lua.LNil {
			return
		}
		switch v := L.Get(n).(type) {
		case lua.LBool:
			*p = bool(v)
		case lua.LString:
			switch v {
			case "on":
				*p = true
			case "off":
				*p = false
			default:
				luaArgError(L, n, name, "invalid option '"+string(v)+"'")
			}
		default:
			luaArgError(L, n, name, "invalid option '"+luaToString(v)+"'")
		}
	}
	var prec int64 = 14
	t := luaNewLib(L, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaArgError(L, 1, "encode", "expected 1 argument")
			}
			e := cjsonEncoder{L: L, cfg: cfg}
			e.value(L.Get(1), 0)
			L.Push(lua.LString(e.buf))
			return 1
		},
		"decode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaArgError(L, 1, "decode", "expected 1 argument")
			}
			s := luaCheckString(L, 1, "decode")
			d := cjsonDecoder{L: L, cfg: cfg, s: s}
			L.Push(d.decode())
			return 1
		},
		"encode_sparse_array": func(L *lua.LState) int {
			checkArgs(L, 3, "encode_sparse_array")
			boolOpt(L, 1, "encode_sparse_array", &cfg.sparseConvert)
			for i, p := range []*int64{&cfg.sparseRatio, &cfg.sparseSafe} {
				n := i + 2
				if n <= L.GetTop() && L.Get(n) != lua.LNil {
					v := luaCheckInt(L, n, "encode_sparse_array")
					if v < 0 {
						luaArgError(L, 1, "encode_sparse_array", "expected integer between 0 and 2147483647")
					}
					*p = v
				}
			}
			L.Push(lua.LBool(cfg.sparseConvert))
			L.Push(lua.LNumber(cfg.sparseRatio))
			L.Push(lua.LNumber(cfg.sparseSafe))
			return 3
		},
		"encode_max_depth": intOpt("encode_max_depth", &cfg.encodeMaxDepth, 1, math.MaxInt32),
		"decode_max_depth": intOpt("decode_max_depth", &cfg.decodeMaxDepth, 1, math.MaxInt32),
		"encode_number_precision": func(L *lua.LState) int {
			n := intOpt("encode_number_precision", &prec, 1, 14)(L)
			cfg.precision = int(prec)
			return n
		},
		"encode_keep_buffer": func(L *lua.LState) int {
			checkArgs(L, 1, "encode_keep_buffer")
			boolOpt(L, 1, "encode_keep_buffer", &cfg.keepBuffer)
			L.Push(lua.LBool(cfg.keepBuffer))
			return 1
		},
		"encode_invalid_numbers": func(L *lua.LState) int {
			checkArgs(L, 1, "encode_invalid_numbers")
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				switch v := L.Get(1).(type) {
				case lua.LBool:
					cfg.encodeInvalid = 0
					if v {
						cfg.encodeInvalid = 1
					}
				case lua.LString:
					switch v {
					case "off":
						cfg.encodeInvalid = 0
					case "on":
						cfg.encodeInvalid = 1
					case "null":
						cfg.encodeInvalid = 2
					default:
						luaArgError(L, 1, "encode_invalid_numbers", "invalid option '"+string(v)+"'")
					}
				default:
					luaArgError(L, 1, "encode_invalid_numbers", "invalid option '"+luaToString(v)+"'")
				}
			}
			if cfg.encodeInvalid == 2 {
				L.Push(lua.LString("null"))
			} else {
				L.Push(lua.LBool(cfg.encodeInvalid == 1))
			}
			return 1
		},
		"decode_invalid_numbers": func(L *lua.LState) int {
			checkArgs(L, 1, "decode_invalid_numbers")
			boolOpt(L, 1, "decode_invalid_numbers", &cfg.decodeInvalid)
			L.Push(lua.LBool(cfg.decodeInvalid))
			return 1
		},
	})
	t.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(newCJSONLib(L))
		return 1
	}))
	t.RawSetString("null", cjsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// --- encoding ---

type cjsonEncoder struct {
	L   *lua.LState
	cfg *cjsonConfig
	buf []byte
}

func (e *cjsonEncoder) fail(typ, reason string) {
	e.L.RaiseError("Cannot serialise %s: %s", typ, reason)
}

func (e *cjsonEncoder) value(v lua.LValue, depth int) {
	switch x := v.(type) {
	case lua.LString:
		e.buf = cjsonQuote(e.buf, string(x))
	case lua.LNumber:
		e.number(float64(x))
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LUserData:
		if x == cjsonNull {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail("userdata", "type not supported")
	case *lua.LTable:
		depth++
		if int64(depth) > e.cfg.encodeMaxDepth {
			e.L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := e.arrayLength(x); n > 0 {
			e.buf = append(e.buf, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					e.buf = append(e.buf, ',')
				}
				e.value(x.RawGet(lua.LNumber(i)), depth)
			}
			e.buf = append(e.buf, ']')
			return
		}
		e.buf = append(e.buf, '{')
		first := true
		for k, val := x.Next(lua.LNil); k != lua.LNil; k, val = x.Next(k) {
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LString:
				e.buf = cjsonQuote(e.buf, string(kk))
			case lua.LNumber:
				e.buf = append(e.buf, '"')
				e.number(float64(kk))
				e.buf = append(e.buf, '"')
			default:
				e.fail(k.Type().String(), "table key must be a number or string")
			}
			e.buf = append(e.buf, ':')
			e.value(val, depth)
		}
		e.buf = append(e.buf, '}')
	default:
		e.fail(v.Type().String(), "type not supported")
	}
}

func (e *cjsonEncoder) number(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch e.cfg.encodeInvalid {
		case 0:
			e.fail("number", "must not be NaN or Inf")
		case 2:
			e.buf = append(e.buf, "null"...)
			return
		}
	}
	switch {
	case math.IsInf(f, 1):
		e.buf = append(e.buf, "inf"...)
	case math.IsInf(f, -1):
		e.buf = append(e.buf, "-inf"...)
	case math.IsNaN(f):
		e.buf = append(e.buf, "nan"...)
	default:
		e.buf = strconv.AppendFloat(e.buf, f, 'g', e.cfg.precision, 64)
	}
}

// arrayLength returns the length of t as a JSON array, or -1 (an object).
func (e *cjsonEncoder) arrayLength(t *lua.LTable) int {
	max, items := 0.0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f == 0 || math.Floor(f) != f || f < 1 {
			return -1
		}
		if f > max {
			max = f
		}
		items++
	}
	if e.cfg.sparseRatio > 0 && max > float64(items)*float64(e.cfg.sparseRatio) && max > float64(e.cfg.sparseSafe) {
		if !e.cfg.sparseConvert {
			e.fail("table", "excessively sparse array")
		}
		return -1
	}
	if max > math.MaxInt32 {
		return -1
	}
	return int(max)
}

var cjsonEscapes = func() (t [256]string) {
	for i := 0; i < 32; i++ {
		t[i] = "\\u00" + string("0123456789abcdef"[i>>4]) + string("0123456789abcdef"[i&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['\\'], t['/'], t[127] = `\"`, `\\`, `\/`, `\u007f`
	return
}()

func cjsonQuote(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if esc := cjsonEscapes[s[i]]; esc != "" {
			dst = append(dst, esc...)
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, '"')
}

// --- decoding ---

type cjsonTok int

const (
	tObjBegin cjsonTok = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var cjsonTokNames = []string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

type cjsonToken struct {
	typ   cjsonTok
	index int
	str   string
	num   float64
	b     bool
	err   string
}

type cjsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	s     string
	pos   int
	depth int64
}

// at returns the byte at i, 0 past the end (the input is a C string for
// lua-cjson: a NUL byte ends it).
func (d *cjsonDecoder) at(i int) byte {
	if i < len(d.s) {
		return d.s[i]
	}
	return 0
}

func (d *cjsonDecoder) decode() lua.LValue {
	if len(d.s) >= 2 && (d.s[0] == 0 || d.s[1] == 0) {
		d.L.RaiseError("JSON parser does not support UTF-16 or UTF-32")
	}
	var tok cjsonToken
	d.next(&tok)
	v := d.value(&tok)
	d.next(&tok)
	if tok.typ != tEnd {
		d.fail("the end", &tok)
	}
	return v
}

func (d *cjsonDecoder) fail(exp string, tok *cjsonToken) {
	found := ""
	if tok.typ == tError {
		found = tok.err
	} else {
		found = cjsonTokNames[tok.typ]
	}
	d.L.RaiseError("Expected %s but found %s at character %d", exp, found, tok.index+1)
}

func (d *cjsonDecoder) tokErr(tok *cjsonToken, msg string) {
	tok.typ = tError
	tok.index = d.pos
	tok.err = msg
}

func (d *cjsonDecoder) next(tok *cjsonToken) {
	for {
		c := d.at(d.pos)
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			d.pos++
			continue
		}
		break
	}
	tok.index = d.pos
	c := d.at(d.pos)
	switch c {
	case 0:
		tok.typ = tEnd
		return
	case '{':
		tok.typ = tObjBegin
	case '}':
		tok.typ = tObjEnd
	case '[':
		tok.typ = tArrBegin
	case ']':
		tok.typ = tArrEnd
	case ',':
		tok.typ = tComma
	case ':':
		tok.typ = tColon
	case '"':
		d.stringToken(tok)
		return
	case 'f', 'i', 'I', 'n', 'N', 't', '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		d.unknownToken(tok, c)
		return
	default:
		d.tokErr(tok, "invalid token")
		return
	}
	d.pos++
}

func (d *cjsonDecoder) unknownToken(tok *cjsonToken, c byte) {
	rest := d.s[d.pos:]
	if i := strings.IndexByte(rest, 0); i >= 0 {
		rest = rest[:i]
	}
	switch {
	case c == '-' || (c >= '0' && c <= '9'):
		if !d.cfg.decodeInvalid && cjsonInvalidNumber(rest) {
			d.tokErr(tok, "invalid number")
			return
		}
		d.numberToken(tok, rest)
	case strings.HasPrefix(rest, "true"):
		tok.typ, tok.b = tBoolean, true
		d.pos += 4
	case strings.HasPrefix(rest, "false"):
		tok.typ, tok.b = tBoolean, false
		d.pos += 5
	case strings.HasPrefix(rest, "null"):
		tok.typ = tNull
		d.pos += 4
	case d.cfg.decodeInvalid && cjsonInvalidNumber(rest):
		d.numberToken(tok, rest)
	default:
		d.tokErr(tok, "invalid token")
	}
}

// cjsonInvalidNumber detects numbers strict JSON refuses but strtod takes.
func cjsonInvalidNumber(s string) bool {
	if strings.HasPrefix(s, "+") {
		return true
	}
	s = strings.TrimPrefix(s, "-")
	if strings.HasPrefix(s, "0") {
		if len(s) > 1 && (s[1]|0x20 == 'x' || (s[1] >= '0' && s[1] <= '9')) {
			return true
		}
		return false
	}
	if s != "" && s[0] <= '9' {
		return false
	}
	ls := strings.ToLower(s)
	return strings.HasPrefix(ls, "inf") || strings.HasPrefix(ls, "nan")
}

func (d *cjsonDecoder) numberToken(tok *cjsonToken, s string) {
	f, n := strtodPrefix(s)
	if n == 0 {
		d.tokErr(tok, "invalid number")
		return
	}
	tok.typ, tok.num = tNumber, f
	d.pos += n
}

func (d *cjsonDecoder) stringToken(tok *cjsonToken) {
	d.pos++ // opening quote
	var b []byte
	for {
		c := d.at(d.pos)
		if c == '"' {
			break
		}
		if c == 0 {
			d.tokErr(tok, "unexpected end of string")
			return
		}
		if c == '\\' {
			e := d.at(d.pos + 1)
			var out byte
			switch e {
			case '"', '\\', '/':
				out = e
			case 'b':
				out = '\b'
			case 't':
				out = '\t'
			case 'n':
				out = '\n'
			case 'f':
				out = '\f'
			case 'r':
				out = '\r'
			case 'u':
				var ok bool
				if b, ok = d.unicodeEscape(b); !ok {
					d.tokErr(tok, "invalid unicode escape code")
					return
				}
				continue
			default:
				d.tokErr(tok, "invalid escape code")
				return
			}
			b = append(b, out)
			d.pos += 2
			continue
		}
		b = append(b, c)
		d.pos++
	}
	d.pos++
	tok.typ, tok.str = tString, string(b)
}

func (d *cjsonDecoder) hex4(at int) int {
	v := 0
	for i := 0; i < 4; i++ {
		c := d.at(at + i)
		var n byte
		switch {
		case c >= '0' && c <= '9':
			n = c - '0'
		case c >= 'a' && c <= 'f':
			n = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			n = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(n)
	}
	return v
}

func (d *cjsonDecoder) unicodeEscape(b []byte) ([]byte, bool) {
	cp := d.hex4(d.pos + 2)
	if cp < 0 {
		return b, false
	}
	n := 6
	if cp&0xf800 == 0xd800 {
		if cp&0x400 != 0 {
			return b, false
		}
		if d.at(d.pos+6) != '\\' || d.at(d.pos+7) != 'u' {
			return b, false
		}
		lo := d.hex4(d.pos + 8)
		if lo < 0 || lo&0xfc00 != 0xdc00 {
			return b, false
		}
		cp = ((cp&0x3ff)<<10 | lo&0x3ff) + 0x10000
		n = 12
	}
	b = utf8.AppendRune(b, rune(cp))
	d.pos += n
	return b, true
}

func (d *cjsonDecoder) descend() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *cjsonDecoder) value(tok *cjsonToken) lua.LValue {
	L := d.L
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tNull:
		return cjsonNull
	case tObjBegin:
		d.descend()
		t := L.NewTable()
		d.next(tok)
		if tok.typ == tObjEnd {
			d.depth--
			return t
		}
		for {
			if tok.typ != tString {
				d.fail("object key string", tok)
			}
			key := tok.str
			d.next(tok)
			if tok.typ != tColon {
				d.fail("colon", tok)
			}
			d.next(tok)
			t.RawSetString(key, d.value(tok))
			d.next(tok)
			if tok.typ == tObjEnd {
				d.depth--
				return t
			}
			if tok.typ != tComma {
				d.fail("comma or object end", tok)
			}
			d.next(tok)
		}
	case tArrBegin:
		d.descend()
		t := L.NewTable()
		d.next(tok)
		if tok.typ == tArrEnd {
			d.depth--
			return t
		}
		for i := 1; ; i++ {
			t.RawSetInt(i, d.value(tok))
			d.next(tok)
			if tok.typ == tArrEnd {
				d.depth--
				return t
			}
			if tok.typ != tComma {
				d.fail("comma or array end", tok)
			}
			d.next(tok)
		}
	}
	d.fail("value", tok)
	return lua.LNil
}

// strtodPrefix parses the longest prefix of s that C's strtod accepts
// (decimal, hexadecimal, inf, infinity, nan) and returns the value and the
// bytes used (0: no number).
func strtodPrefix(s string) (float64, int) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(rest, "nan"):
		n := i + 3
		if n < len(s) && s[n] == '(' {
			if j := strings.IndexByte(s[n:], ')'); j > 0 {
				n += j + 1
			}
		}
		return sign(math.NaN()), n
	case strings.HasPrefix(rest, "0x"):
		j := i + 2
		mant := uint64(0)
		exp := 0
		digits := 0
		for ; j < len(s); j++ {
			v, ok := hexDigit(s[j])
			if !ok {
				break
			}
			if mant < 1<<60 {
				mant = mant<<4 | uint64(v)
			} else {
				exp += 4
			}
			digits++
		}
		if j < len(s) && s[j] == '.' {
			k := j + 1
			for ; k < len(s); k++ {
				v, ok := hexDigit(s[k])
				if !ok {
					break
				}
				if mant < 1<<60 {
					mant = mant<<4 | uint64(v)
					exp -= 4
				}
				digits++
			}
			if digits > 0 {
				j = k
			}
		}
		if digits == 0 {
			return 0, i + 1 // "0" then garbage
		}
		if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
			k := j + 1
			eneg := false
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				eneg = s[k] == '-'
				k++
			}
			e, ed := 0, 0
			for ; k < len(s) && s[k] >= '0' && s[k] <= '9'; k++ {
				if e < 100000 {
					e = e*10 + int(s[k]-'0')
				}
				ed++
			}
			if ed > 0 {
				if eneg {
					e = -e
				}
				exp += e
				j = k
			}
		}
		return sign(math.Ldexp(float64(mant), exp)), j
	}
	j := i
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		k := j + 1
		fd := 0
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
			fd++
		}
		if digits+fd > 0 {
			j = k
			digits += fd
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		ed := 0
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
			ed++
		}
		if ed > 0 {
			j = k
		}
	}
	f, err := strconv.ParseFloat(s[:j], 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, 0
		}
	}
	return f, j
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
