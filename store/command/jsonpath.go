package command

import (
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"

	"github.com/diskdb/diskdb/store"
)

// JSONPath for the JSON.* commands, with RedisJSON's semantics.
//
// A path argument is either JSONPath ("$", "$.a", "$[0]", "$..a" ...) or a
// legacy RedisJSON 1.x path (".a.b", "a.b", ".", "[\"x\"]"), which is
// rewritten to JSONPath exactly as RedisJSON rewrites it: "." -> "$",
// ".a" -> "$.a", "a" -> "$.a". Legacy paths answer a single value and
// error when nothing matches; JSONPath answers an array of all matches.
//
// The path grammar is RedisJSON's (its literal characters, ".." followed
// by a name, '*' or a bracket, brackets with index lists, quoted key lists,
// slices and "?" filters). Filter expressions are parsed and evaluated by
// ojg (github.com/ohler55/ojg/jp: jp.Filter.Match on each candidate). The
// walk over the document is ours because RedisJSON's result order and
// result locations matter to every command: matches come in document order
// (a node before its descendants for ".."), and writes need the location
// of each match. ojg's own Locate returns filter matches in reverse order
// and its Walk skips matches in ordered (jp.Keyed) objects, so they cannot
// give RedisJSON's answers.

type jsStepKind uint8

const (
	jsKey     jsStepKind = iota // .name or ['name']
	jsIndex                     // [n]
	jsWild                      // .* or [*]
	jsDescent                   // .. (applies the next step at every depth)
	jsKeys                      // ['a','b']
	jsIndexes                   // [1,2]
	jsSlice                     // [start:end:step]
	jsFilter                    // [?(...)]
)

type jsStep struct {
	kind   jsStepKind
	key    string
	idx    int
	keys   []string
	idxs   []int
	slice  [3]int  // start, end, step
	sliceS [2]bool // start, end set
	filter *jp.Filter
}

// jsonPath is a parsed path argument.
type jsonPath struct {
	orig   string // as the client sent it
	fixed  string // JSONPath form (legacy paths rewritten)
	legacy bool
	steps  []jsStep
	err    error // compile error, reported by commands that evaluate the path
}

// jsonPathErr is a path compile error; like RedisJSON's it has no "ERR"
// prefix.
type jsonPathErr struct{ msg string }

func (e *jsonPathErr) Error() string { return e.msg }

// parseJSONPath rewrites and compiles a path argument. Compile errors are
// kept in p.err: some commands ignore them (JSON.MGET answers nil).
func parseJSONPath(arg string) *jsonPath {
	p := &jsonPath{orig: arg}
	if strings.HasPrefix(arg, "$") && (len(arg) < 2 || arg[1] == '.' || arg[1] == '[') {
		p.fixed = arg
	} else {
		p.legacy = true
		switch {
		case arg == ".":
			p.fixed = "$"
		case strings.HasPrefix(arg, "."):
			p.fixed = "$" + arg
		default:
			p.fixed = "$." + arg
		}
	}
	p.steps, p.err = compileJSONPath(p.fixed)
	return p
}

// isRoot reports whether the path is the document root ("$" or ".").
func (p *jsonPath) isRoot() bool { return p.fixed == "$" }

// static reports whether every step names one key or one index (a path
// JSON.SET may create the last key of).
func (p *jsonPath) static() bool {
	for i := range p.steps {
		if k := p.steps[i].kind; k != jsKey && k != jsIndex {
			return false
		}
	}
	return true
}

// --- compiling ---

type pathLexer struct {
	s string
	i int
}

func isLiteralChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '`', '~', '+', '#', '%', '$', '^', '/', ':':
		return true
	}
	return false
}

func (l *pathLexer) spaces() {
	for l.i < len(l.s) && l.s[l.i] == ' ' {
		l.i++
	}
}

// fail builds RedisJSON's compile error text for a failure at l.i.
func (l *pathLexer) fail(expected string) error {
	pos := l.i
	if pos > len(l.s) {
		pos = len(l.s)
	}
	var where string
	if pos == len(l.s) {
		where = "\"" + l.s + " <<<<----\""
	} else {
		where = "\"" + l.s[:pos] + " ---->>>> " + l.s[pos:] + "\""
	}
	return &jsonPathErr{msg: "Error occurred on position " + strconv.Itoa(pos) + ", " + where + ", expected one of the following: " + expected + "."}
}

func (l *pathLexer) literal() (string, bool) {
	start := l.i
	for l.i < len(l.s) && isLiteralChar(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i], l.i > start
}

func compileJSONPath(s string) ([]jsStep, error) {
	l := &pathLexer{s: s}
	if !strings.HasPrefix(s, "$") {
		return nil, l.fail("'$'")
	}
	l.i = 1
	var steps []jsStep
	first := true
	for {
		l.spaces()
		if l.i >= len(s) {
			return steps, nil
		}
		c := s[l.i]
		switch {
		case c == '.' && l.i+1 < len(s) && s[l.i+1] == '.':
			l.i += 2
			l.spaces()
			steps = append(steps, jsStep{kind: jsDescent})
			if l.i >= len(s) {
				return nil, l.fail("<string>, '*', '['")
			}
			switch s[l.i] {
			case '*':
				l.i++
				steps = append(steps, jsStep{kind: jsWild})
			case '[':
				st, err := l.bracket()
				if err != nil {
					return nil, err
				}
				steps = append(steps, st)
			default:
				name, ok := l.literal()
				if !ok {
					return nil, l.fail("<string>, '*', '['")
				}
				steps = append(steps, jsStep{kind: jsKey, key: name})
			}
		case c == '.':
			l.i++
			l.spaces()
			if l.i >= len(s) {
				return nil, l.fail("<string>, '*', '['")
			}
			switch s[l.i] {
			case '*':
				l.i++
				steps = append(steps, jsStep{kind: jsWild})
			case '[':
				st, err := l.bracket()
				if err != nil {
					return nil, err
				}
				steps = append(steps, st)
			default:
				name, ok := l.literal()
				if !ok {
					return nil, l.fail("<string>, '*', '['")
				}
				steps = append(steps, jsStep{kind: jsKey, key: name})
			}
		case c == '[':
			st, err := l.bracket()
			if err != nil {
				return nil, err
			}
			steps = append(steps, st)
		case first && c == '*':
			l.i++
			steps = append(steps, jsStep{kind: jsWild})
		case first && isLiteralChar(c):
			name, _ := l.literal()
			steps = append(steps, jsStep{kind: jsKey, key: name})
		default:
			return nil, l.fail("'..', '.', '['")
		}
		first = false
	}
}

// bracket reads "[...]" at l.i.
func (l *pathLexer) bracket() (jsStep, error) {
	s := l.s
	l.i++ // '['
	l.spaces()
	if l.i >= len(s) {
		return jsStep{}, l.fail("'<number>[,<number>,...]', '<string>[,<string>,...]', ['start:end:steps'], '*', '[?(filter_expression)]'")
	}
	var st jsStep
	switch c := s[l.i]; {
	case c == '*':
		l.i++
		st.kind = jsWild
	case c == '?':
		end := l.filterEnd(l.i + 1)
		if end < 0 {
			l.i = len(s)
			return jsStep{}, l.fail("']'")
		}
		x, err := jp.ParseString("$[" + s[l.i:end] + "]")
		if err != nil || len(x) != 2 {
			return jsStep{}, l.fail("'[?(filter_expression)]'")
		}
		f, ok := x[1].(*jp.Filter)
		if !ok {
			return jsStep{}, l.fail("'[?(filter_expression)]'")
		}
		st.kind, st.filter = jsFilter, f
		l.i = end
	case c == '\'' || c == '"':
		for {
			k, err := l.quoted()
			if err != nil {
				return jsStep{}, err
			}
			st.keys = append(st.keys, k)
			l.spaces()
			if l.i < len(s) && s[l.i] == ',' {
				l.i++
				l.spaces()
				continue
			}
			break
		}
		if len(st.keys) == 1 {
			st.kind, st.key, st.keys = jsKey, st.keys[0], nil
		} else {
			st.kind = jsKeys
		}
	default:
		if err := l.numbers(&st); err != nil {
			return jsStep{}, err
		}
	}
	l.spaces()
	if l.i >= len(s) || s[l.i] != ']' {
		return jsStep{}, l.fail("']'")
	}
	l.i++
	return st, nil
}

// filterEnd returns the index of the ']' closing a filter that starts at
// i, skipping quoted strings and nested brackets; -1 if there is none.
func (l *pathLexer) filterEnd(i int) int {
	depth := 0
	for ; i < len(l.s); i++ {
		switch c := l.s[i]; c {
		case '\'', '"':
			for i++; i < len(l.s) && l.s[i] != c; i++ {
				if l.s[i] == '\\' {
					i++
				}
			}
		case '[', '(':
			depth++
		case ')':
			depth--
		case ']':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// quoted reads a '...' or "..." key; a backslash escapes the quote or a
// backslash.
func (l *pathLexer) quoted() (string, error) {
	q := l.s[l.i]
	if q != '\'' && q != '"' {
		return "", l.fail("<string>")
	}
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == q:
			l.i++
			return b.String(), nil
		case c == '\\' && l.i+1 < len(l.s) && (l.s[l.i+1] == q || l.s[l.i+1] == '\\'):
			b.WriteByte(l.s[l.i+1])
			l.i += 2
		default:
			b.WriteByte(c)
			l.i++
		}
	}
	return "", l.fail("'" + string(q) + "'")
}

// number reads an optionally negative integer.
func (l *pathLexer) number() (int, bool) {
	start := l.i
	if l.i < len(l.s) && l.s[l.i] == '-' {
		l.i++
	}
	d := l.i
	for l.i < len(l.s) && l.s[l.i] >= '0' && l.s[l.i] <= '9' {
		l.i++
	}
	if l.i == d || (l.s[d] == '0' && l.i-d > 1) {
		l.i = start
		return 0, false
	}
	n, err := strconv.Atoi(l.s[start:l.i])
	if err != nil {
		l.i = start
		return 0, false
	}
	return n, true
}

// numbers reads an index list or a slice.
func (l *pathLexer) numbers(st *jsStep) error {
	const want = "'<number>[,<number>,...]', '<string>[,<string>,...]', ['start:end:steps'], '*', '[?(filter_expression)]'"
	n, ok := l.number()
	l.spaces()
	if l.i < len(l.s) && l.s[l.i] == ':' {
		st.kind = jsSlice
		st.slice = [3]int{n, 0, 1}
		st.sliceS[0] = ok
		l.i++
		l.spaces()
		if e, ok := l.number(); ok {
			st.slice[1], st.sliceS[1] = e, true
		}
		l.spaces()
		if l.i < len(l.s) && l.s[l.i] == ':' {
			l.i++
			l.spaces()
			if step, ok := l.number(); ok {
				if step <= 0 {
					return l.fail("'<number>'")
				}
				st.slice[2] = step
			}
		}
		return nil
	}
	if !ok {
		return l.fail(want)
	}
	st.idxs = append(st.idxs, n)
	for l.i < len(l.s) && l.s[l.i] == ',' {
		l.i++
		l.spaces()
		n, ok := l.number()
		if !ok {
			return l.fail("'<number>'")
		}
		st.idxs = append(st.idxs, n)
		l.spaces()
	}
	if len(st.idxs) == 1 {
		st.kind, st.idx, st.idxs = jsIndex, st.idxs[0], nil
	} else {
		st.kind = jsIndexes
	}
	return nil
}

// --- evaluating ---

// jsSeg is one step of a match's location: an object key or (idx >= 0) an
// array index.
type jsSeg struct {
	key string
	idx int
}

// jsMatch is one value a path selected, with its location in the document.
type jsMatch struct {
	v    any
	path []jsSeg
}

// eval returns the matches of p in root, in RedisJSON's order.
func (p *jsonPath) eval(root any) []jsMatch {
	var out []jsMatch
	walkPath(root, p.steps, nil, &out)
	return out
}

func emitMatch(v any, path []jsSeg, out *[]jsMatch) {
	*out = append(*out, jsMatch{v: v, path: append([]jsSeg(nil), path...)})
}

func walkPath(v any, steps []jsStep, path []jsSeg, out *[]jsMatch) {
	if len(steps) == 0 {
		emitMatch(v, path, out)
		return
	}
	st := &steps[0]
	rest := steps[1:]
	switch st.kind {
	case jsKey:
		if o, ok := v.(*store.JSONObject); ok {
			if i := o.Index(st.key); i >= 0 {
				walkPath(o.Value(i), rest, append(path, jsSeg{key: st.key, idx: -1}), out)
			}
		}
	case jsKeys:
		if o, ok := v.(*store.JSONObject); ok {
			for _, k := range st.keys {
				if i := o.Index(k); i >= 0 {
					walkPath(o.Value(i), rest, append(path, jsSeg{key: k, idx: -1}), out)
				}
			}
		}
	case jsIndex:
		if a, ok := v.([]any); ok {
			if i, ok := normIndex(st.idx, len(a)); ok {
				walkPath(a[i], rest, append(path, jsSeg{idx: i}), out)
			}
		}
	case jsIndexes:
		if a, ok := v.([]any); ok {
			for _, n := range st.idxs {
				if i, ok := normIndex(n, len(a)); ok {
					walkPath(a[i], rest, append(path, jsSeg{idx: i}), out)
				}
			}
		}
	case jsWild:
		walkChildren(v, func(c any, seg jsSeg) {
			walkPath(c, rest, append(path, seg), out)
		})
	case jsSlice:
		if a, ok := v.([]any); ok {
			start, end, step := sliceBounds(st, len(a))
			for i := start; i < end; i += step {
				walkPath(a[i], rest, append(path, jsSeg{idx: i}), out)
				if step >= end-i {
					break // also keeps i + step from overflowing
				}
			}
		}
	case jsFilter:
		walkChildren(v, func(c any, seg jsSeg) {
			if st.filter.Match(c) {
				walkPath(c, rest, append(path, seg), out)
			}
		})
	case jsDescent:
		walkPath(v, rest, path, out)
		walkChildren(v, func(c any, seg jsSeg) {
			walkPath(c, steps, append(path, seg), out)
		})
	}
}

// walkChildren calls fn for each value of an object (in key order) or
// element of an array.
func walkChildren(v any, fn func(c any, seg jsSeg)) {
	switch t := v.(type) {
	case *store.JSONObject:
		for i := 0; i < t.Len(); i++ {
			fn(t.Value(i), jsSeg{key: t.Key(i), idx: -1})
		}
	case []any:
		for i, c := range t {
			fn(c, jsSeg{idx: i})
		}
	}
}

func normIndex(n, l int) (int, bool) {
	if n < 0 {
		n += l
	}
	return n, n >= 0 && n < l
}

func sliceBounds(st *jsStep, l int) (start, end, step int) {
	start, end, step = 0, l, st.slice[2]
	if st.sliceS[0] {
		start = st.slice[0]
		if start < 0 {
			start += l
		}
	}
	if st.sliceS[1] {
		end = st.slice[1]
		if end < 0 {
			end += l
		}
	}
	start = max(0, min(start, l))
	end = max(0, min(end, l))
	if step < 1 {
		step = 1
	}
	return
}

// --- locations ---

// jsonDoc is a document being read or changed by one command.
type jsonDoc struct {
	root any
}

// at returns the value at a location.
func (d *jsonDoc) at(path []jsSeg) (any, bool) {
	v := d.root
	for _, s := range path {
		switch t := v.(type) {
		case *store.JSONObject:
			if s.idx >= 0 {
				return nil, false
			}
			c, ok := t.Get(s.key)
			if !ok {
				return nil, false
			}
			v = c
		case []any:
			if s.idx < 0 || s.idx >= len(t) {
				return nil, false
			}
			v = t[s.idx]
		default:
			return nil, false
		}
	}
	return v, true
}

// set replaces the value at an existing location and reports whether it
// did.
func (d *jsonDoc) set(path []jsSeg, nv any) bool {
	if len(path) == 0 {
		d.root = nv
		return true
	}
	parent, ok := d.at(path[:len(path)-1])
	if !ok {
		return false
	}
	s := path[len(path)-1]
	switch t := parent.(type) {
	case *store.JSONObject:
		if s.idx >= 0 {
			return false
		}
		i := t.Index(s.key)
		if i < 0 {
			return false
		}
		t.SetValue(i, nv)
		return true
	case []any:
		if s.idx < 0 || s.idx >= len(t) {
			return false
		}
		t[s.idx] = nv
		return true
	}
	return false
}

// remove deletes the value at a location and reports whether it did.
func (d *jsonDoc) remove(path []jsSeg) bool {
	if len(path) == 0 {
		return false
	}
	ppath := path[:len(path)-1]
	parent, ok := d.at(ppath)
	if !ok {
		return false
	}
	s := path[len(path)-1]
	switch t := parent.(type) {
	case *store.JSONObject:
		return s.idx < 0 && t.Remove(s.key)
	case []any:
		if s.idx < 0 || s.idx >= len(t) {
			return false
		}
		copy(t[s.idx:], t[s.idx+1:])
		t[len(t)-1] = nil
		return d.set(ppath, t[:len(t)-1])
	}
	return false
}

// comparePathsForUpdate orders locations for safe in-place changes:
// deeper locations first, higher array indices before lower ones, keys
// before indices (RedisJSON's ordering for DEL and array changes).
func comparePathsForUpdate(a, b []jsSeg) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.idx < 0 && y.idx < 0:
			if x.key != y.key {
				return strings.Compare(x.key, y.key)
			}
		case x.idx >= 0 && y.idx < 0:
			return 1
		case x.idx < 0 && y.idx >= 0:
			return -1
		default:
			if x.idx != y.idx {
				if x.idx > y.idx {
					return -1
				}
				return 1
			}
		}
	}
	switch {
	case len(a) > len(b):
		return -1
	case len(a) < len(b):
		return 1
	}
	return 0
}

// isPrefixPath reports whether p is a proper prefix of q.
func isPrefixPath(p, q []jsSeg) bool {
	if len(p) >= len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// --- reading static paths from the stored text ---

// rawStatic finds the value a static path (keys and indexes only) selects
// in a stored document without decoding it: stored documents are canonical
// compact JSON, so the matching slice of the text is already the reply.
// ok is false when the answer needs a full decode (escaped keys, or text
// that is not canonical).
func rawStatic(doc []byte, steps []jsStep) (raw []byte, found, ok bool) {
	i := 0
	for si := range steps {
		st := &steps[si]
		if i >= len(doc) {
			return nil, false, false
		}
		switch st.kind {
		case jsKey:
			if doc[i] != '{' {
				return nil, false, true
			}
			j, hit, ok := rawObjectKey(doc, i, st.key)
			if !ok || !hit {
				return nil, false, ok
			}
			i = j
		case jsIndex:
			if doc[i] != '[' {
				return nil, false, true
			}
			j, hit, ok := rawArrayIndex(doc, i, st.idx)
			if !ok || !hit {
				return nil, false, ok
			}
			i = j
		default:
			return nil, false, false
		}
	}
	end := skipRawValue(doc, i)
	if end < 0 {
		return nil, false, false
	}
	return doc[i:end], true, true
}

// rawObjectKey returns the offset of key's value in the object at i.
func rawObjectKey(doc []byte, i int, key string) (int, bool, bool) {
	i++
	if i < len(doc) && doc[i] == '}' {
		return 0, false, true
	}
	for i < len(doc) && doc[i] == '"' {
		ks := i + 1
		ke := ks
		for ke < len(doc) && doc[ke] != '"' {
			if doc[ke] == '\\' {
				return 0, false, false
			}
			ke++
		}
		i = ke + 1
		if i >= len(doc) || doc[i] != ':' {
			return 0, false, false
		}
		i++
		if string(doc[ks:ke]) == key {
			return i, true, true
		}
		if i = skipRawValue(doc, i); i < 0 || i >= len(doc) {
			return 0, false, false
		}
		switch doc[i] {
		case ',':
			i++
		case '}':
			return 0, false, true
		default:
			return 0, false, false
		}
	}
	return 0, false, false
}

// rawArrayIndex returns the offset of element n (negative: from the end)
// of the array at i.
func rawArrayIndex(doc []byte, i int, n int) (int, bool, bool) {
	var starts []int
	var buf [16]int
	starts = buf[:0]
	i++
	if i < len(doc) && doc[i] == ']' {
		return 0, false, true
	}
	for {
		if n >= 0 && len(starts) == n {
			return i, true, true
		}
		starts = append(starts, i)
		if i = skipRawValue(doc, i); i < 0 || i >= len(doc) {
			return 0, false, false
		}
		switch doc[i] {
		case ',':
			i++
		case ']':
			if n < 0 && len(starts)+n >= 0 {
				return starts[len(starts)+n], true, true
			}
			return 0, false, true
		default:
			return 0, false, false
		}
	}
}

// skipRawValue returns the offset just past the value starting at i, -1 if
// the text is not well formed.
func skipRawValue(doc []byte, i int) int {
	if i >= len(doc) {
		return -1
	}
	switch doc[i] {
	case '"':
		return skipRawString(doc, i)
	case '{', '[':
		depth := 0
		for i < len(doc) {
			switch doc[i] {
			case '"':
				if i = skipRawString(doc, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(doc) {
		switch doc[i] {
		case ',', ']', '}':
			return i
		}
		i++
	}
	return i
}

func skipRawString(doc []byte, i int) int {
	for i++; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}
