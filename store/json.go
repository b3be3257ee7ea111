package store

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// JSON documents (RedisJSON's "ReJSON-RL" type).
//
// Storage: a document is an inline value like a string — Meta{Type:
// TypeJSON, Body: document} — so reading one is a single Get. The body is
// the document's canonical compact JSON text (no insignificant whitespace,
// numbers and strings written exactly as JSON.GET writes them). Chosen over
// a binary tree encoding because JSON.GET of the whole document — the most
// common read — then replies the stored bytes without decoding them, and a
// write has to build the canonical text for its reply or the next read
// anyway; a hand-written decoder reads a 1 KiB document in a few
// microseconds, which is small next to the RocksDB write. The stored text
// is also what `redis-cli --raw GET`-style tooling can inspect.
//
// In memory a document is a tree of Go values:
//
//	null     nil
//	boolean  bool
//	integer  int64 (uint64 above math.MaxInt64, as RedisJSON keeps them)
//	number   float64 (a number written with '.' or an exponent)
//	string   string
//	array    []any
//	object   *JSONObject (keeps insertion order)
//
// Integers and floats stay distinct, as in RedisJSON: 1 and 1.0 are
// different values, NUMINCRBY 1 by 1 gives 2 and by 1.5 gives 2.5.

// JSONMaxDepth is the nesting limit of a parsed document: like RedisJSON
// (serde_json's recursion limit) a value nested JSONMaxDepth containers deep
// is refused, so the deepest document has JSONMaxDepth-1 nested containers.
const JSONMaxDepth = 128

// JSONObject is a JSON object that keeps its keys in insertion order, as
// RedisJSON does. It implements ojg's jp.Keyed so JSONPath filter scripts
// can read it.
type JSONObject struct {
	keys []string
	vals []any
	idx  map[string]int // built once the object grows past objectIndexMin keys
}

const objectIndexMin = 16

// NewJSONObject returns an empty object with room for n keys.
func NewJSONObject(n int) *JSONObject {
	if n > 1024 {
		n = 1024
	}
	return &JSONObject{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// Len returns the number of keys.
func (o *JSONObject) Len() int { return len(o.keys) }

// Key returns the i-th key.
func (o *JSONObject) Key(i int) string { return o.keys[i] }

// Value returns the i-th value.
func (o *JSONObject) Value(i int) any { return o.vals[i] }

// SetValue replaces the i-th value.
func (o *JSONObject) SetValue(i int, v any) { o.vals[i] = v }

// Index returns the position of key, -1 if absent.
func (o *JSONObject) Index(key string) int {
	if o.idx != nil {
		if i, ok := o.idx[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key.
func (o *JSONObject) Get(key string) (any, bool) {
	if i := o.Index(key); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Set replaces the value of key or appends the key at the end.
func (o *JSONObject) Set(key string, v any) {
	if i := o.Index(key); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[key] = len(o.keys) - 1
	} else if len(o.keys) > objectIndexMin {
		o.idx = make(map[string]int, len(o.keys)*2)
		for i, k := range o.keys {
			o.idx[k] = i
		}
	}
}

// Remove deletes key and reports whether it was present. As in RedisJSON
// (whose object storage swap-removes), the last key takes the removed
// key's place: removing "a" from {"a":1,"b":2,"c":3} leaves {"c":3,"b":2}.
func (o *JSONObject) Remove(key string) bool {
	i := o.Index(key)
	if i < 0 {
		return false
	}
	last := len(o.keys) - 1
	if o.idx != nil {
		delete(o.idx, key)
		if i != last {
			o.idx[o.keys[last]] = i
		}
	}
	o.keys[i], o.vals[i] = o.keys[last], o.vals[last]
	o.keys[last], o.vals[last] = "", nil
	o.keys, o.vals = o.keys[:last], o.vals[:last]
	return true
}

// Clear removes every key.
func (o *JSONObject) Clear() {
	clear(o.keys)
	clear(o.vals)
	o.keys, o.vals, o.idx = o.keys[:0], o.vals[:0], nil
}

// ValueForKey implements jp.Keyed.
func (o *JSONObject) ValueForKey(key string) (any, bool) { return o.Get(key) }

// SetValueForKey implements jp.Keyed.
func (o *JSONObject) SetValueForKey(key string, v any) { o.Set(key, v) }

// RemoveValueForKey implements jp.Keyed.
func (o *JSONObject) RemoveValueForKey(key string) { o.Remove(key) }

// Keys implements jp.Keyed; the slice is the object's own (do not modify).
func (o *JSONObject) Keys() []string { return o.keys }

// --- parsing ---

// JSONSyntaxError is a parse error worded as RedisJSON (serde_json) words
// it: "expected value at line 1 column 1". RedisJSON replies it without an
// "ERR" prefix.
type JSONSyntaxError struct{ Msg string }

func (e *JSONSyntaxError) Error() string { return e.Msg }

// ErrJSONDepth is the nesting-limit error of a document built by a write.
var ErrJSONDepth = errors.New("ERR recursion limit exceeded")

// JSONParseMode selects how strictly ParseJSON reads.
type JSONParseMode uint8

// Parse modes.
const (
	// JSONValue reads one value and ignores what follows it, as RedisJSON
	// does for the values of JSON.SET, MSET, MERGE, ARRAPPEND and ARRINSERT
	// (it never checks for trailing characters there).
	JSONValue JSONParseMode = iota
	// JSONStrict also refuses trailing characters (serde_json::from_str):
	// the values of ARRINDEX, STRAPPEND and the NUM* operands.
	JSONStrict
	// JSONStored reads a stored document: no depth limit.
	JSONStored
)

// ParseJSON parses a JSON text. It returns the value and the nesting depth
// of its containers (0 for a scalar). Errors are *JSONSyntaxError. The
// returned value does not alias b (its strings share one copy of it).
func ParseJSON(b []byte, mode JSONParseMode) (v any, depth int, err error) {
	p := jsonParser{b: b, src: string(b), limit: JSONMaxDepth}
	if mode == JSONStored {
		p.limit = math.MaxInt
	}
	v, err = p.value(0)
	if err != nil {
		return nil, 0, err
	}
	if mode == JSONStrict {
		p.ws()
		if p.i < len(p.b) {
			return nil, 0, p.peekErr("trailing characters")
		}
	}
	return v, p.maxDepth, nil
}

type jsonParser struct {
	b        []byte
	src      string // one copy of b: unescaped strings are slices of it
	i        int
	limit    int
	maxDepth int
	sb       []byte   // string scratch
	vstack   []any    // values of the open containers
	kstack   []string // keys of the open objects
}

// errAt builds an error at byte offset i (serde_json's line and column:
// column = bytes of the line consumed before i).
func (p *jsonParser) errAt(msg string, i int) error {
	if i > len(p.b) {
		i = len(p.b)
	}
	line, col := 1, 0
	for _, c := range p.b[:i] {
		if c == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	return &JSONSyntaxError{Msg: msg + " at line " + strconv.Itoa(line) + " column " + strconv.Itoa(col)}
}

// err reports at the current position (after the last consumed byte).
func (p *jsonParser) err(msg string) error { return p.errAt(msg, p.i) }

// peekErr reports at the next byte (serde_json's peek_error).
func (p *jsonParser) peekErr(msg string) error { return p.errAt(msg, p.i+1) }

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\n', '\t', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, p.peekErr("EOF while parsing a value")
	}
	switch c := p.b[p.i]; c {
	case '{':
		if depth+1 >= p.limit {
			return nil, p.peekErr("recursion limit exceeded")
		}
		p.i++
		return p.object(depth + 1)
	case '[':
		if depth+1 >= p.limit {
			return nil, p.peekErr("recursion limit exceeded")
		}
		p.i++
		return p.array(depth + 1)
	case '"':
		p.i++
		return p.str()
	case 't':
		p.i++
		return true, p.ident("rue")
	case 'f':
		p.i++
		return false, p.ident("alse")
	case 'n':
		p.i++
		return nil, p.ident("ull")
	case '-':
		p.i++
		return p.number(false)
	default:
		if c >= '0' && c <= '9' {
			return p.number(true)
		}
		return nil, p.peekErr("expected value")
	}
}

func (p *jsonParser) ident(rest string) error {
	for j := 0; j < len(rest); j++ {
		if p.i >= len(p.b) {
			return p.err("EOF while parsing a value")
		}
		c := p.b[p.i]
		p.i++
		if c != rest[j] {
			return p.err("expected ident")
		}
	}
	return nil
}

func (p *jsonParser) noteDepth(d int) {
	if d > p.maxDepth {
		p.maxDepth = d
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	p.noteDepth(depth)
	p.ws()
	if p.i >= len(p.b) {
		return nil, p.peekErr("EOF while parsing a list")
	}
	if p.b[p.i] == ']' {
		p.i++
		return []any{}, nil
	}
	mark := len(p.vstack)
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.vstack = append(p.vstack, v)
		p.ws()
		if p.i >= len(p.b) {
			return nil, p.peekErr("EOF while parsing a list")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == ']' {
				return nil, p.peekErr("trailing comma")
			}
		case ']':
			p.i++
			arr := make([]any, len(p.vstack)-mark)
			copy(arr, p.vstack[mark:])
			clear(p.vstack[mark:])
			p.vstack = p.vstack[:mark]
			return arr, nil
		default:
			return nil, p.peekErr("expected `,` or `]`")
		}
	}
}

func (p *jsonParser) object(depth int) (any, error) {
	p.noteDepth(depth)
	p.ws()
	if p.i >= len(p.b) {
		return nil, p.peekErr("EOF while parsing an object")
	}
	if p.b[p.i] == '}' {
		p.i++
		return &JSONObject{}, nil
	}
	kmark, vmark := len(p.kstack), len(p.vstack)
	for {
		p.ws()
		if p.i >= len(p.b) {
			return nil, p.peekErr("EOF while parsing an object")
		}
		if p.b[p.i] != '"' {
			return nil, p.peekErr("key must be a string")
		}
		p.i++
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.b) {
			return nil, p.peekErr("EOF while parsing an object")
		}
		if p.b[p.i] != ':' {
			return nil, p.peekErr("expected `:`")
		}
		p.i++
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.kstack = append(p.kstack, k)
		p.vstack = append(p.vstack, v)
		p.ws()
		if p.i >= len(p.b) {
			return nil, p.peekErr("EOF while parsing an object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.ws()
			if p.i >= len(p.b) {
				return nil, p.peekErr("EOF while parsing a value")
			}
			if p.b[p.i] == '}' {
				return nil, p.peekErr("trailing comma")
			}
		case '}':
			p.i++
			obj := newObjectFrom(p.kstack[kmark:], p.vstack[vmark:])
			clear(p.kstack[kmark:])
			clear(p.vstack[vmark:])
			p.kstack, p.vstack = p.kstack[:kmark], p.vstack[:vmark]
			return obj, nil
		default:
			return nil, p.peekErr("expected `,` or `}`")
		}
	}
}

// newObjectFrom builds an object of exactly the parsed size; a repeated key
// keeps its first place and takes the last value.
func newObjectFrom(keys []string, vals []any) *JSONObject {
	o := &JSONObject{keys: make([]string, len(keys)), vals: make([]any, len(vals))}
	copy(o.keys, keys)
	copy(o.vals, vals)
	if len(keys) > objectIndexMin {
		o.idx = make(map[string]int, len(keys))
	}
	n := 0
	for i, k := range o.keys {
		j := -1
		if o.idx != nil {
			if x, ok := o.idx[k]; ok {
				j = x
			} else {
				o.idx[k] = n
			}
		} else {
			for x := 0; x < n; x++ {
				if o.keys[x] == k {
					j = x
					break
				}
			}
		}
		if j >= 0 {
			o.vals[j] = o.vals[i]
			continue
		}
		o.keys[n], o.vals[n] = k, o.vals[i]
		n++
	}
	clear(o.keys[n:])
	clear(o.vals[n:])
	o.keys, o.vals = o.keys[:n], o.vals[:n]
	return o
}

// str reads a string whose opening quote was consumed.
func (p *jsonParser) str() (string, error) {
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.src[start:p.i]
			p.i++
			return s, checkUTF8(s)
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.i++
			return "", p.err("control character (\\u0000-\\u001F) found while parsing a string")
		}
		p.i++
	}
	p.sb = append(p.sb[:0], p.b[start:p.i]...)
	for {
		if p.i >= len(p.b) {
			return "", p.err("EOF while parsing a string")
		}
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			s := string(p.sb)
			return s, checkUTF8(s)
		case c < 0x20:
			return "", p.err("control character (\\u0000-\\u001F) found while parsing a string")
		case c != '\\':
			p.sb = append(p.sb, c)
			continue
		}
		if p.i >= len(p.b) {
			return "", p.err("EOF while parsing a string")
		}
		e := p.b[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			p.sb = append(p.sb, e)
		case 'b':
			p.sb = append(p.sb, '\b')
		case 'f':
			p.sb = append(p.sb, '\f')
		case 'n':
			p.sb = append(p.sb, '\n')
		case 'r':
			p.sb = append(p.sb, '\r')
		case 't':
			p.sb = append(p.sb, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return "", p.err("lone leading surrogate in hex escape")
			case r >= 0xD800 && r <= 0xDBFF:
				// serde_json consumes the byte that is not "\" or "u".
				for _, want := range []byte{'\\', 'u'} {
					if p.i >= len(p.b) {
						return "", p.err("EOF while parsing a string")
					}
					p.i++
					if p.b[p.i-1] != want {
						return "", p.err("unexpected end of hex escape")
					}
				}
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				if r2 < 0xDC00 || r2 > 0xDFFF {
					return "", p.err("lone leading surrogate in hex escape")
				}
				r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
			}
			p.sb = utf8.AppendRune(p.sb, r)
		default:
			return "", p.err("invalid escape")
		}
	}
}

func (p *jsonParser) hex4() (rune, error) {
	var r rune
	for j := 0; j < 4; j++ {
		if p.i >= len(p.b) {
			return 0, p.err("EOF while parsing a string")
		}
		c := p.b[p.i]
		p.i++
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, p.err("invalid escape")
		}
	}
	return r, nil
}

// checkUTF8 refuses strings that are not valid UTF-8 (RedisJSON's
// arguments are Rust &str).
func checkUTF8(s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	return &JSONSyntaxError{Msg: "Couldn't parse as UTF-8 string"}
}

// number reads a number; for a negative one the '-' was consumed.
func (p *jsonParser) number(positive bool) (any, error) {
	start := p.i
	if !positive {
		start--
	}
	if p.i >= len(p.b) {
		return nil, p.err("EOF while parsing a value")
	}
	c := p.b[p.i]
	p.i++
	var sig uint64
	overflow := false
	switch {
	case c == '0':
		if p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			return nil, p.peekErr("invalid number")
		}
	case c >= '1' && c <= '9':
		sig = uint64(c - '0')
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			d := uint64(p.b[p.i] - '0')
			if sig > (math.MaxUint64-d)/10 {
				overflow = true
			} else {
				sig = sig*10 + d
			}
			p.i++
		}
	default:
		return nil, p.err("invalid number")
	}
	isFloat := overflow
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		if n == 0 {
			if p.i < len(p.b) {
				return nil, p.peekErr("invalid number")
			}
			return nil, p.peekErr("EOF while parsing a value")
		}
		isFloat = true
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.b) {
			return nil, p.err("EOF while parsing a value")
		}
		if c := p.b[p.i]; c < '0' || c > '9' {
			p.i++
			return nil, p.err("invalid number")
		}
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		isFloat = true
	}
	if !isFloat {
		if positive {
			if sig <= math.MaxInt64 {
				return int64(sig), nil
			}
			return sig, nil
		}
		switch {
		case sig == 0:
			return math.Copysign(0, -1), nil // serde_json reads -0 as the float -0.0
		case sig <= 1<<63:
			return -int64(sig-1) - 1, nil
		}
		// Below math.MinInt64: a float, as serde_json reads it.
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	if err != nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, p.err("number out of range")
	}
	return f, nil
}

// --- writing ---

// JSONFormat holds JSON.GET's INDENT, NEWLINE and SPACE strings.
type JSONFormat struct {
	Indent, Newline, Space string
}

// AppendJSON appends v as JSON text, compact when f is nil, formatted as
// RedisJSON formats with INDENT/NEWLINE/SPACE otherwise.
func AppendJSON(dst []byte, v any, f *JSONFormat) []byte {
	if f == nil || (f.Indent == "" && f.Newline == "" && f.Space == "") {
		return appendCompact(dst, v)
	}
	w := jsonWriter{f: f}
	return w.value(dst, v)
}

func appendCompact(dst []byte, v any) []byte {
	switch t := v.(type) {
	case *JSONObject:
		dst = append(dst, '{')
		for i, k := range t.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendCompact(dst, t.vals[i])
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendCompact(dst, e)
		}
		return append(dst, ']')
	}
	return appendScalar(dst, v)
}

func appendScalar(dst []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		if t {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case int64:
		return strconv.AppendInt(dst, t, 10)
	case uint64:
		return strconv.AppendUint(dst, t, 10)
	case float64:
		return AppendJSONFloat(dst, t)
	case string:
		return AppendJSONString(dst, t)
	}
	return append(dst, "null"...)
}

// jsonWriter writes with RedisJSON's formatter: before each element or
// key a NEWLINE and depth × INDENT, SPACE after ':', and a NEWLINE plus
// indentation before the closing bracket of a non-empty container.
type jsonWriter struct {
	f     *JSONFormat
	depth int
}

func (w *jsonWriter) newline(dst []byte) []byte {
	dst = append(dst, w.f.Newline...)
	for i := 0; i < w.depth; i++ {
		dst = append(dst, w.f.Indent...)
	}
	return dst
}

func (w *jsonWriter) value(dst []byte, v any) []byte {
	switch t := v.(type) {
	case *JSONObject:
		dst = append(dst, '{')
		w.depth++
		for i, k := range t.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = w.newline(dst)
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = append(dst, w.f.Space...)
			dst = w.value(dst, t.vals[i])
		}
		w.depth--
		if len(t.keys) > 0 {
			dst = w.newline(dst)
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		w.depth++
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = w.newline(dst)
			dst = w.value(dst, e)
		}
		w.depth--
		if len(t) > 0 {
			dst = w.newline(dst)
		}
		return append(dst, ']')
	}
	return appendScalar(dst, v)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, escaped as serde_json
// escapes: quote, backslash and control characters only.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendJSONFloat appends f as RedisJSON writes a float (serde_json with
// ryu): the shortest digits that read back as f, "1.0" for integral
// values, plain notation for magnitudes in [1e-5, 1e16), else "1.5e-7" /
// "1e16" style exponents.
func AppendJSONFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...) // never stored: writes refuse them
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [40]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // "-d.ddde±XX"
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	e := 0
	for e < len(s) && s[e] != 'e' {
		e++
	}
	exp, _ := strconv.Atoi(string(s[e+1:]))
	var digs [24]byte
	d := digs[:0]
	for _, c := range s[:e] {
		if c != '.' {
			d = append(d, c)
		}
	}
	n := len(d)
	kk := exp + 1 // 10^(kk-1) <= f < 10^kk
	k := kk - n
	switch {
	case k >= 0 && kk <= 16:
		dst = append(dst, d...)
		for i := n; i < kk; i++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	case kk > 0 && kk <= 16:
		dst = append(dst, d[:kk]...)
		dst = append(dst, '.')
		return append(dst, d[kk:]...)
	case kk > -5 && kk <= 0:
		dst = append(dst, '0', '.')
		for i := kk; i < 0; i++ {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	case n == 1:
		dst = append(dst, d[0], 'e')
		return strconv.AppendInt(dst, int64(kk-1), 10)
	}
	dst = append(dst, d[0], '.')
	dst = append(dst, d[1:]...)
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, int64(kk-1), 10)
}

// JSONDepth returns the container nesting depth of v (0 for a scalar).
func JSONDepth(v any) int {
	switch t := v.(type) {
	case *JSONObject:
		m := 0
		for _, e := range t.vals {
			if d := JSONDepth(e); d > m {
				m = d
			}
		}
		return m + 1
	case []any:
		m := 0
		for _, e := range t {
			if d := JSONDepth(e); d > m {
				m = d
			}
		}
		return m + 1
	}
	return 0
}

// JSONTypeName returns RedisJSON's name of v's type (JSON.TYPE).
func JSONTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, uint64:
		return "integer"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case *JSONObject:
		return "object"
	}
	return "null"
}

// JSONEqual reports whether a and b are the same JSON value; numbers are
// equal only when of the same kind (1 and 1.0 differ), as in RedisJSON.
func JSONEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case uint64:
		y, ok := b.(uint64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !JSONEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *JSONObject:
		y, ok := b.(*JSONObject)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			v, ok := y.Get(k)
			if !ok || !JSONEqual(x.vals[i], v) {
				return false
			}
		}
		return true
	}
	return false
}

// JSONClone returns a deep copy of v.
func JSONClone(v any) any {
	switch t := v.(type) {
	case *JSONObject:
		o := &JSONObject{keys: append([]string(nil), t.keys...), vals: make([]any, len(t.vals))}
		for i, e := range t.vals {
			o.vals[i] = JSONClone(e)
		}
		if t.idx != nil {
			o.idx = make(map[string]int, len(t.idx))
			for k, i := range t.idx {
				o.idx[k] = i
			}
		}
		return o
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = JSONClone(e)
		}
		return a
	}
	return v
}

// JSONMemory estimates the bytes a value takes in memory (JSON.DEBUG
// MEMORY), following RedisJSON's accounting for its value layout: an
// 8-byte value slot, numbers outside the small inline range and floats 16
// bytes more, strings a header plus their bytes, containers a header plus
// a slot (or key/value pair) per element.
func JSONMemory(v any) int64 {
	const slot = 8
	switch t := v.(type) {
	case nil, bool:
		return slot
	case int64:
		switch {
		case t >= -128 && t <= 383:
			return slot
		case t > -8388608 && t <= 8388607:
			return slot + 4
		}
		return slot + 16
	case uint64, float64:
		return slot + 16
	case string:
		if t == "" {
			return slot
		}
		return slot + 16 + int64(len(t))
	case []any:
		if len(t) == 0 {
			return slot
		}
		n := int64(slot + 16 + slot*cap(t))
		for _, e := range t {
			n += JSONMemory(e) - slot
		}
		return n
	case *JSONObject:
		if t.Len() == 0 {
			return slot
		}
		n := int64(slot + 16 + 2*slot*cap(t.keys))
		if t.Len() > 8 {
			n += int64(4 * (cap(t.keys) + cap(t.keys)/4))
		}
		for i, k := range t.keys {
			n += JSONMemory(k) - slot + JSONMemory(t.vals[i]) - slot
		}
		return n
	}
	return slot
}

// --- keyspace ---

// GetJSON returns the stored text of a JSON document and its metadata.
// ErrWrongType for keys of other types. The slice is valid until the next
// write of the task.
func (tx *Tx) GetJSON(db int, key []byte) ([]byte, Meta, bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeJSON)
	if err != nil || !ok {
		return nil, m, false, err
	}
	return m.Body, m, true, nil
}

// SetJSON stores doc (canonical compact JSON text) as key's document. old
// is the key's live metadata (nil if absent); an existing key keeps its TTL,
// as RedisJSON replaces a document's value in place.
func (tx *Tx) SetJSON(db int, key, doc []byte, old *Meta) {
	var exp int64
	if old != nil {
		exp = old.Expire
	}
	tx.SetValue(db, key, TypeJSON, doc, exp, old)
}
