package command

import (
	"errors"
	"math"
	"sort"
	"strconv"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// JSON commands: RedisJSON 2.x (the ReJSON-RL type), replies and error
// texts as RedisJSON gives them. Documents are stored as canonical compact
// JSON text (store/json.go); paths are RedisJSON's JSONPath or legacy paths
// (jsonpath.go).

func init() {
	j := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Handler: h, Group: "json", Summary: summary, Since: since}
	}
	w, r := FlagWrite, FlagReadOnly
	register(
		j("json.set", -4, w|FlagDenyOOM, cmdJSONSet, "1.0.0", "Sets or updates the JSON value at a path."),
		j("json.get", -2, r, cmdJSONGet, "1.0.0", "Gets the value at one or more paths in JSON serialized form."),
		&Spec{Name: "json.mget", Arity: -3, Flags: r, FirstKey: 1, LastKey: -2, Handler: cmdJSONMGet, Group: "json", Summary: "Returns the values at a path from one or more keys.", Since: "1.0.0"},
		&Spec{Name: "json.mset", Arity: -4, Flags: w | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 3, Handler: cmdJSONMSet, Group: "json", Summary: "Sets or updates the JSON value of one or more keys.", Since: "2.6.0"},
		j("json.merge", -4, w|FlagDenyOOM, cmdJSONMerge, "2.6.0", "Merges a given JSON value into matching paths (RFC 7396 merge patch)."),
		j("json.del", -2, w, cmdJSONDel, "1.0.0", "Deletes a value."),
		j("json.forget", -2, w, cmdJSONDel, "1.0.0", "Deletes a value."),
		j("json.type", -2, r, cmdJSONType, "1.0.0", "Returns the type of the JSON value at a path."),
		j("json.numincrby", 4, w, cmdJSONNumIncrBy, "1.0.0", "Increments the numeric value at a path by a value."),
		j("json.nummultby", 4, w, cmdJSONNumMultBy, "1.0.0", "Multiplies the numeric value at a path by a value."),
		j("json.numpowby", 4, w, cmdJSONNumPowBy, "1.0.0", "Raises the numeric value at a path to a power."),
		j("json.toggle", 3, w, cmdJSONToggle, "2.0.0", "Toggles a boolean value."),
		j("json.strappend", -3, w|FlagDenyOOM, cmdJSONStrAppend, "1.0.0", "Appends a string to a JSON string value at a path."),
		j("json.strlen", -2, r, cmdJSONStrLen, "1.0.0", "Returns the length of the JSON string at a path."),
		j("json.arrappend", -3, w|FlagDenyOOM, cmdJSONArrAppend, "1.0.0", "Appends one or more values to the JSON array at a path."),
		j("json.arrindex", -4, r, cmdJSONArrIndex, "1.0.0", "Returns the index of the first occurrence of a JSON scalar value in the array at a path."),
		j("json.arrinsert", -5, w|FlagDenyOOM, cmdJSONArrInsert, "1.0.0", "Inserts the JSON scalar(s) value at the specified index in the array at a path."),
		j("json.arrlen", -2, r, cmdJSONArrLen, "1.0.0", "Returns the length of the array at a path."),
		j("json.arrpop", -2, w, cmdJSONArrPop, "1.0.0", "Removes and returns the element at the specified index in the array at a path."),
		j("json.arrtrim", 5, w, cmdJSONArrTrim, "1.0.0", "Trims the array at a path to contain only the specified inclusive range of indices."),
		j("json.objkeys", -2, r, cmdJSONObjKeys, "1.0.0", "Returns the JSON keys of the object at a path."),
		j("json.objlen", -2, r, cmdJSONObjLen, "1.0.0", "Returns the number of keys of the object at a path."),
		j("json.clear", -2, w, cmdJSONClear, "2.0.0", "Clears all values from an array or an object and sets numeric values to 0."),
		j("json.resp", -2, r, cmdJSONResp, "1.0.0", "Returns the JSON value at a path in Redis serialization protocol (RESP)."),
		&Spec{Name: "json.debug", Arity: -2, Flags: r, KeysFn: jsonDebugKeys, Handler: cmdJSONDebug, Group: "json", Summary: "Debugging container command (MEMORY, HELP).", Since: "1.0.0"},
	)
}

// Error texts of RedisJSON.
const (
	errJSONNoKey       = "ERR could not perform this operation on a key that doesn't exist"
	errJSONNewAtRoot   = "ERR new objects must be created at the root"
	errJSONStaticPath  = "Err wrong static path"
	errJSONArrayRange  = "ERR array index out of range"
	errJSONIndexBounds = "ERR index out of bounds"
	errJSONNotInteger  = "Couldn't parse as integer"
	errJSONBadNumber   = "bad input number"
	errJSONNaN         = "result is not a number"
	errJSONWrongFormat = "ERR wrong format"
	errJSONReplyFormat = "ERR wrong reply format"
	errJSONFormatRESP2 = "ERR FORMAT argument is not supported on RESP2"
	errJSONDebugSub    = "ERR unknown subcommand - try `JSON.DEBUG HELP`"
	errJSONTooBig      = "ERR JSON document exceeds maximum allowed size (proto-max-bulk-len)"
)

func errJSONPathMissing(path string) string { return "ERR Path '" + path + "' does not exist" }

func errJSONPathOr(path, or string) string {
	return "ERR Path '" + path + "' does not exist or " + or
}

func errJSONExpected(want, found string) string {
	return "WRONGTYPE wrong type of path value - expected " + want + " but found " + found
}

// --- documents ---

// jsonLookup returns key's live metadata; it replies the error itself.
func jsonLookup(c *Ctx, key []byte) (m store.Meta, found, ok bool) {
	m, found, err := c.Tx.LookupType(c.DB, key, store.TypeJSON)
	if err != nil {
		c.StoreErr(err)
		return m, false, false
	}
	return m, found, true
}

// jsonDecode decodes a stored document; it replies the error itself.
func jsonDecode(c *Ctx, m *store.Meta) (*jsonDoc, bool) {
	v, _, err := store.ParseJSON(m.Body, store.JSONStored)
	if err != nil {
		c.StoreErr(store.ErrCorrupt)
		return nil, false
	}
	return &jsonDoc{root: v}, true
}

// jsonLoad reads key's document: found=false when the key is absent.
func jsonLoad(c *Ctx, key []byte) (doc *jsonDoc, m store.Meta, found, ok bool) {
	m, found, ok = jsonLookup(c, key)
	if !ok || !found {
		return nil, m, found, ok
	}
	doc, ok = jsonDecode(c, &m)
	return doc, m, true, ok
}

// jsonSave writes doc as key's value (old: the key's metadata, nil when it
// is new) and queues the keyspace event. It replies the error itself.
func jsonSave(c *Ctx, key []byte, root any, old *store.Meta, event string) bool {
	body := store.AppendJSON(make([]byte, 0, 256), root, nil)
	if int64(len(body)) > c.S.maxBulk.Load() {
		c.Err(errJSONTooBig)
		return false
	}
	c.Tx.SetJSON(c.DB, key, body, old)
	c.Tx.Notify(c.DB, event, key)
	return true
}

// jsonParseErr replies a JSON syntax or path error as RedisJSON does: the
// parser's text without an "ERR" prefix.
func jsonReplyErr(c *Ctx, err error) {
	var se *store.JSONSyntaxError
	var pe *jsonPathErr
	switch {
	case errors.As(err, &se), errors.As(err, &pe):
		c.Err(err.Error())
	default:
		c.StoreErr(err)
	}
}

// checkDepth refuses a value of depth vdepth placed under at containers.
func checkDepth(c *Ctx, at, vdepth int) bool {
	if at+vdepth >= store.JSONMaxDepth {
		c.StoreErr(store.ErrJSONDepth)
		return false
	}
	return true
}

func argStr(b []byte) string { return string(b) }

// --- JSON.SET ---

// jsonSetPlan is what JSON.SET, MSET and MERGE change in a document.
type jsonSetPlan struct {
	updates [][]jsSeg // existing locations to replace
	adds    []jsonAdd // new object keys
}

type jsonAdd struct {
	parent []jsSeg
	key    string
}

func (pl *jsonSetPlan) empty() bool { return len(pl.updates) == 0 && len(pl.adds) == 0 }

// planSet finds where a value set at path goes: the existing matches, or
// (a static path whose parent exists) the new key to add.
func planSet(doc *jsonDoc, p *jsonPath, nx, xx bool) (jsonSetPlan, string) {
	var pl jsonSetPlan
	if p.err != nil {
		return pl, p.err.Error()
	}
	if !nx {
		for _, m := range p.eval(doc.root) {
			pl.updates = append(pl.updates, m.path)
		}
		if len(pl.updates) > 0 {
			return pl, ""
		}
	}
	if xx {
		return pl, ""
	}
	if !p.static() {
		return pl, errJSONStaticPath
	}
	last := p.steps[len(p.steps)-1]
	if last.kind == jsIndex {
		if len(p.eval(doc.root)) == 0 {
			return pl, errJSONArrayRange
		}
		return pl, ""
	}
	parents := &jsonPath{steps: p.steps[:len(p.steps)-1]}
	for _, m := range parents.eval(doc.root) {
		pl.adds = append(pl.adds, jsonAdd{parent: m.path, key: last.key})
	}
	return pl, ""
}

// applySet applies a plan with val (merge: RFC 7396 merge at the updated
// locations) and reports whether anything changed.
func applySet(doc *jsonDoc, pl *jsonSetPlan, val any, merge bool) bool {
	changed := false
	n := 0
	next := func() any {
		n++
		if n == 1 {
			return val
		}
		return store.JSONClone(val)
	}
	for _, path := range pl.updates {
		if merge {
			cur, ok := doc.at(path)
			if ok && doc.set(path, mergePatch(cur, next())) {
				changed = true
			}
			continue
		}
		if _, ok := doc.at(path); ok && doc.set(path, next()) {
			changed = true
		}
	}
	for _, a := range pl.adds {
		parent, ok := doc.at(a.parent)
		if !ok {
			continue
		}
		if o, isObj := parent.(*store.JSONObject); isObj && o.Index(a.key) < 0 {
			o.Set(a.key, next())
			changed = true
		}
	}
	return changed
}

// planDepthOK checks that val fits under every location of the plan.
func planDepthOK(c *Ctx, pl *jsonSetPlan, vdepth int) bool {
	for _, p := range pl.updates {
		if !checkDepth(c, len(p), vdepth) {
			return false
		}
	}
	for _, a := range pl.adds {
		if !checkDepth(c, len(a.parent)+1, vdepth) {
			return false
		}
	}
	return true
}

// mergePatch merges patch into cur (RFC 7396) and returns the result.
func mergePatch(cur, patch any) any {
	po, ok := patch.(*store.JSONObject)
	if !ok {
		return patch
	}
	co, ok := cur.(*store.JSONObject)
	if !ok {
		co = store.NewJSONObject(po.Len())
	}
	for i := 0; i < po.Len(); i++ {
		k, v := po.Key(i), po.Value(i)
		if v == nil {
			co.Remove(k)
			continue
		}
		old, _ := co.Get(k)
		co.Set(k, mergePatch(old, v))
	}
	return co
}

// parseFormatArg reads the FORMAT argument of JSON.SET / JSON.MERGE.
func parseFormatArg(b []byte) bool {
	s := string(b)
	return s == "JSON" || s == "STRING"
}

// JSON.SET key path value [NX | XX] [FORMAT JSON|STRING]
func cmdJSONSet(c *Ctx) {
	key := c.Args[1]
	path := parseJSONPath(argStr(c.Args[2]))
	nx, xx := false, false
	for i := 4; i < len(c.Args); i++ {
		switch {
		case c.is(i, "nx") && !nx && !xx:
			nx = true
		case c.is(i, "xx") && !nx && !xx:
			xx = true
		case c.is(i, "format"):
			if i+1 >= len(c.Args) {
				c.ArgErr()
				return
			}
			i++
			if !parseFormatArg(c.Args[i]) {
				c.Err(errJSONWrongFormat)
				return
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	m, found, ok := jsonLookup(c, key)
	if !ok {
		return
	}
	val, vdepth, err := store.ParseJSON(c.Args[3], store.JSONValue)
	if err != nil {
		jsonReplyErr(c, err)
		return
	}
	if !found {
		switch {
		case xx:
			c.Null()
		case path.isRoot():
			if jsonSave(c, key, val, nil, "json.set") {
				c.OK()
			}
		default:
			c.Err(errJSONNewAtRoot)
		}
		return
	}
	if path.isRoot() {
		if nx {
			c.Null()
		} else if jsonSave(c, key, val, &m, "json.set") {
			c.OK()
		}
		return
	}
	doc, ok := jsonDecode(c, &m)
	if !ok {
		return
	}
	pl, msg := planSet(doc, path, nx, xx)
	if msg != "" {
		c.Err(msg)
		return
	}
	if !planDepthOK(c, &pl, vdepth) {
		return
	}
	if pl.empty() || !applySet(doc, &pl, val, false) {
		c.Null()
		return
	}
	if jsonSave(c, key, doc.root, &m, "json.set") {
		c.OK()
	}
}

// JSON.MERGE key path value [FORMAT JSON|STRING]
func cmdJSONMerge(c *Ctx) {
	key := c.Args[1]
	path := parseJSONPath(argStr(c.Args[2]))
	for i := 4; i < len(c.Args); i++ {
		if !c.is(i, "format") {
			c.Err(errSyntax)
			return
		}
		if i+1 >= len(c.Args) {
			c.ArgErr()
			return
		}
		i++
		if !parseFormatArg(c.Args[i]) {
			c.Err(errJSONWrongFormat)
			return
		}
	}
	m, found, ok := jsonLookup(c, key)
	if !ok {
		return
	}
	val, vdepth, err := store.ParseJSON(c.Args[3], store.JSONValue)
	if err != nil {
		jsonReplyErr(c, err)
		return
	}
	if !found {
		if !path.isRoot() {
			c.Err(errJSONNewAtRoot)
			return
		}
		if jsonSave(c, key, val, nil, "json.merge") {
			c.OK()
		}
		return
	}
	doc, ok := jsonDecode(c, &m)
	if !ok {
		return
	}
	var pl jsonSetPlan
	if path.isRoot() {
		pl.updates = [][]jsSeg{nil}
	} else {
		var msg string
		if pl, msg = planSet(doc, path, false, false); msg != "" {
			c.Err(msg)
			return
		}
	}
	if pl.empty() || !applySet(doc, &pl, val, true) {
		c.Null()
		return
	}
	if vdepth > 0 && store.JSONDepth(doc.root) >= store.JSONMaxDepth {
		c.StoreErr(store.ErrJSONDepth)
		return
	}
	if jsonSave(c, key, doc.root, &m, "json.merge") {
		c.OK()
	}
}

// JSON.MSET key path value [key path value ...]
func cmdJSONMSet(c *Ctx) {
	if (len(c.Args)-1)%3 != 0 {
		c.ArgErr()
		return
	}
	type triplet struct {
		key    []byte
		path   *jsonPath
		val    any
		plan   jsonSetPlan
		isRoot bool
	}
	type keyState struct {
		doc   *jsonDoc
		meta  store.Meta
		found bool
		dirty bool
	}
	docs := map[string]*keyState{}
	var order []string
	ts := make([]triplet, 0, min((len(c.Args)-1)/3, 1024))
	// Pass 1: check every triplet against the documents as they are.
	for i := 1; i < len(c.Args); i += 3 {
		t := triplet{key: c.Args[i], path: parseJSONPath(argStr(c.Args[i+1]))}
		ks := docs[string(t.key)]
		if ks == nil {
			m, found, ok := jsonLookup(c, t.key)
			if !ok {
				return
			}
			ks = &keyState{meta: m, found: found}
			if found {
				m.Body = append([]byte(nil), m.Body...)
				ks.meta = m
				if ks.doc, ok = jsonDecode(c, &ks.meta); !ok {
					return
				}
			}
			docs[string(t.key)] = ks
			order = append(order, string(t.key))
		}
		t.isRoot = t.path.isRoot()
		if !t.isRoot {
			if !ks.found {
				c.Err(errJSONNewAtRoot)
				return
			}
			var msg string
			if t.plan, msg = planSet(ks.doc, t.path, false, false); msg != "" {
				c.Err(msg)
				return
			}
		}
		v, vdepth, err := store.ParseJSON(c.Args[i+2], store.JSONValue)
		if err != nil {
			jsonReplyErr(c, err)
			return
		}
		if !planDepthOK(c, &t.plan, vdepth) {
			return
		}
		t.val = v
		ts = append(ts, t)
	}
	// Pass 2: apply in order.
	for i := range ts {
		t := &ts[i]
		ks := docs[string(t.key)]
		if t.isRoot {
			if ks.doc == nil {
				ks.doc = &jsonDoc{}
			}
			ks.doc.root = t.val
			ks.dirty = true
			continue
		}
		if applySet(ks.doc, &t.plan, t.val, false) {
			ks.dirty = true
		}
	}
	for _, k := range order {
		ks := docs[k]
		if !ks.dirty {
			continue
		}
		var old *store.Meta
		if ks.found {
			// Re-read: the key's record may have moved in the batch view.
			m, found, ok := jsonLookup(c, []byte(k))
			if !ok {
				return
			}
			if found {
				old = &m
			}
		}
		if !jsonSave(c, []byte(k), ks.doc.root, old, "json.mset") {
			return
		}
	}
	c.OK()
}

// --- JSON.GET / JSON.MGET / JSON.RESP ---

type jsonReplyFormat uint8

const (
	fmtString jsonReplyFormat = iota
	fmtStrings
	fmtExpand1
	fmtExpand
)

func parseReplyFormat(b []byte) (jsonReplyFormat, bool) {
	switch string(b) {
	case "STRING":
		return fmtString, true
	case "STRINGS":
		return fmtStrings, true
	case "EXPAND1":
		return fmtExpand1, true
	case "EXPAND":
		return fmtExpand, true
	}
	return 0, false
}

// JSON.GET key [INDENT s] [NEWLINE s] [SPACE s] [FORMAT f] [path ...]
func cmdJSONGet(c *Ctx) {
	var f store.JSONFormat
	hasFmt := false
	format := fmtString
	var paths []*jsonPath
	for i := 2; i < len(c.Args); i++ {
		a := c.Args[i]
		if len(a) > 8 {
			paths = append(paths, parseJSONPath(argStr(a)))
			continue
		}
		opt := func() ([]byte, bool) {
			if i+1 >= len(c.Args) {
				c.ArgErr()
				return nil, false
			}
			i++
			return c.Args[i], true
		}
		switch {
		case c.is(i, "format"):
			if !c.RESP3 && len(paths) == 0 {
				c.Err(errJSONFormatRESP2)
				return
			}
			v, ok := opt()
			if !ok {
				return
			}
			if string(v) == "STRINGS" {
				c.Err(errJSONReplyFormat)
				return
			}
			if format, ok = parseReplyFormat(v); !ok {
				c.Err(errJSONReplyFormat)
				return
			}
		case c.is(i, "indent"):
			v, ok := opt()
			if !ok {
				return
			}
			f.Indent, hasFmt = string(v), true
		case c.is(i, "newline"):
			v, ok := opt()
			if !ok {
				return
			}
			f.Newline, hasFmt = string(v), true
		case c.is(i, "space"):
			v, ok := opt()
			if !ok {
				return
			}
			f.Space, hasFmt = string(v), true
		case c.is(i, "noescape"):
		default:
			paths = append(paths, parseJSONPath(argStr(a)))
		}
	}
	if len(paths) == 0 {
		paths = append(paths, parseJSONPath("."))
	}
	var fp *store.JSONFormat
	if hasFmt {
		fp = &f
	}
	m, found, ok := jsonLookup(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.Null()
		return
	}
	resp3Reply := c.RESP3 && format != fmtString
	// The whole document, unformatted: the stored text is the reply.
	if len(paths) == 1 && fp == nil && !resp3Reply && paths[0].isRoot() {
		if paths[0].legacy {
			c.Bulk(m.Body)
		} else {
			out := make([]byte, 0, len(m.Body)+2)
			out = append(append(append(out, '['), m.Body...), ']')
			c.Bulk(out)
		}
		return
	}
	// One static path, unformatted: read it from the stored text.
	if len(paths) == 1 && fp == nil && !resp3Reply && paths[0].err == nil && paths[0].static() {
		p := paths[0]
		if raw, hit, ok := rawStatic(m.Body, p.steps); ok {
			switch {
			case p.legacy && hit:
				c.Bulk(raw)
			case p.legacy:
				c.Err(errJSONPathMissing(p.fixed))
			case hit:
				c.Bulk(append(append(append(make([]byte, 0, len(raw)+2), '['), raw...), ']'))
			default:
				c.BulkStr("[]")
			}
			return
		}
	}
	doc, ok := jsonDecode(c, &m)
	if !ok {
		return
	}
	if resp3Reply {
		c.Array(len(paths))
		for _, p := range paths {
			if p.err != nil {
				c.Array(0)
				continue
			}
			ms := p.eval(doc.root)
			c.Array(len(ms))
			for _, x := range ms {
				replyJSONTyped(c, x.v, format, fp)
			}
		}
		return
	}
	legacy := true
	for _, p := range paths {
		if !p.legacy {
			legacy = false
		}
	}
	if len(paths) == 1 {
		p := paths[0]
		if p.err != nil {
			jsonReplyErr(c, p.err)
			return
		}
		ms := p.eval(doc.root)
		if legacy {
			if len(ms) == 0 {
				c.Err(errJSONPathMissing(p.fixed))
				return
			}
			c.Bulk(store.AppendJSON(nil, ms[0].v, fp))
			return
		}
		c.Bulk(store.AppendJSON(nil, matchArray(ms), fp))
		return
	}
	// Several paths: an object keyed by path.
	out := store.NewJSONObject(len(paths))
	for _, p := range paths {
		if p.err != nil {
			continue
		}
		ms := p.eval(doc.root)
		if legacy {
			if len(ms) == 0 {
				c.Err(errJSONPathMissing(p.orig))
				return
			}
			out.Set(p.orig, ms[0].v)
		} else {
			out.Set(p.orig, matchArray(ms))
		}
	}
	c.Bulk(store.AppendJSON(nil, out, fp))
}

func matchArray(ms []jsMatch) []any {
	a := make([]any, len(ms))
	for i := range ms {
		a[i] = ms[i].v
	}
	return a
}

// replyJSONTyped replies v as a RESP3 value: scalars typed, containers as
// JSON text (EXPAND1, STRINGS) or expanded recursively (EXPAND).
func replyJSONTyped(c *Ctx, v any, format jsonReplyFormat, fp *store.JSONFormat) {
	switch t := v.(type) {
	case nil:
		c.Null()
	case bool:
		c.Bool(t)
	case int64:
		c.Int(t)
	case uint64:
		c.Double(float64(t))
	case float64:
		c.Double(t)
	case string:
		c.BulkStr(t)
	case []any:
		if format != fmtExpand {
			c.Bulk(store.AppendJSON(nil, t, fp))
			return
		}
		c.Array(len(t))
		for _, e := range t {
			replyJSONTyped(c, e, format, fp)
		}
	case *store.JSONObject:
		if format != fmtExpand {
			c.Bulk(store.AppendJSON(nil, t, fp))
			return
		}
		c.Map(t.Len())
		for i := 0; i < t.Len(); i++ {
			c.BulkStr(t.Key(i))
			replyJSONTyped(c, t.Value(i), format, fp)
		}
	}
}

// JSON.MGET key [key ...] path
func cmdJSONMGet(c *Ctx) {
	p := parseJSONPath(argStr(c.Args[len(c.Args)-1]))
	keys := c.Args[1 : len(c.Args)-1]
	c.Array(len(keys))
	for _, k := range keys {
		m, found, err := c.Tx.LookupType(c.DB, k, store.TypeJSON)
		if err != nil || !found || p.err != nil {
			c.Null()
			continue
		}
		if p.isRoot() {
			if p.legacy {
				c.Bulk(m.Body)
			} else {
				c.Bulk(append(append(append(make([]byte, 0, len(m.Body)+2), '['), m.Body...), ']'))
			}
			continue
		}
		if p.static() {
			if raw, hit, ok := rawStatic(m.Body, p.steps); ok {
				switch {
				case hit && p.legacy:
					c.Bulk(raw)
				case hit:
					c.Bulk(append(append(append(make([]byte, 0, len(raw)+2), '['), raw...), ']'))
				case p.legacy:
					c.Null()
				default:
					c.BulkStr("[]")
				}
				continue
			}
		}
		v, _, err := store.ParseJSON(m.Body, store.JSONStored)
		if err != nil {
			c.Null()
			continue
		}
		ms := p.eval(v)
		switch {
		case !p.legacy:
			c.Bulk(store.AppendJSON(nil, matchArray(ms), nil))
		case len(ms) == 0:
			c.Null()
		default:
			c.Bulk(store.AppendJSON(nil, ms[0].v, nil))
		}
	}
}

// JSON.RESP key [path]
func cmdJSONResp(c *Ctx) {
	p := optPath(c, 2)
	doc, _, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.Null()
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	if p.legacy {
		if len(ms) == 0 {
			c.Err(errJSONPathMissing(p.fixed))
			return
		}
		replyJSONResp(c, ms[0].v)
		return
	}
	c.Array(len(ms))
	for _, x := range ms {
		replyJSONResp(c, x.v)
	}
}

// replyJSONResp writes v as JSON.RESP does: "[" and "{" markers first in
// arrays, true/false as simple strings, floats as doubles.
func replyJSONResp(c *Ctx, v any) {
	switch t := v.(type) {
	case nil:
		c.Null()
	case bool:
		if t {
			c.Status("true")
		} else {
			c.Status("false")
		}
	case int64:
		c.Int(t)
	case uint64:
		c.Double(float64(t))
	case float64:
		c.Double(t)
	case string:
		c.BulkStr(t)
	case []any:
		c.Array(len(t) + 1)
		c.Status("[")
		for _, e := range t {
			replyJSONResp(c, e)
		}
	case *store.JSONObject:
		c.Array(2*t.Len() + 1)
		c.Status("{")
		for i := 0; i < t.Len(); i++ {
			c.BulkStr(t.Key(i))
			replyJSONResp(c, t.Value(i))
		}
	}
}

// optPath returns argument i as a path, or the legacy root when absent.
func optPath(c *Ctx, i int) *jsonPath {
	if i < len(c.Args) {
		return parseJSONPath(argStr(c.Args[i]))
	}
	return parseJSONPath(".")
}

// --- JSON.DEL / JSON.TYPE / JSON.CLEAR ---

// JSON.DEL key [path]
func cmdJSONDel(c *Ctx) {
	key := c.Args[1]
	p := optPath(c, 2)
	doc, m, found, ok := jsonLoad(c, key)
	if !ok {
		return
	}
	if !found {
		c.Int(0)
		return
	}
	if p.isRoot() {
		c.Tx.DeleteKey(c.DB, key, &m)
		c.Tx.Notify(c.DB, "json.del", key)
		c.Int(1)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	paths := make([][]jsSeg, 0, len(ms))
	for _, x := range ms {
		paths = append(paths, x.path)
	}
	paths = prepareForUpdate(paths)
	var n int64
	for _, path := range paths {
		if doc.remove(path) {
			n++
		}
	}
	if n == 0 {
		c.Int(0)
		return
	}
	if jsonEmptyContainer(doc.root) {
		c.Tx.DeleteKey(c.DB, key, &m)
		c.Tx.Notify(c.DB, "json.del", key)
	} else if !jsonSave(c, key, doc.root, &m, "json.del") {
		return
	}
	c.Int(n)
}

func jsonEmptyContainer(v any) bool {
	switch t := v.(type) {
	case []any:
		return len(t) == 0
	case *store.JSONObject:
		return t.Len() == 0
	}
	return false
}

// prepareForUpdate sorts locations for in-place removal (deepest and
// highest index first) and drops locations inside another one.
func prepareForUpdate(paths [][]jsSeg) [][]jsSeg {
	if len(paths) < 2 {
		return paths
	}
	sort.SliceStable(paths, func(i, j int) bool { return comparePathsForUpdate(paths[i], paths[j]) < 0 })
	out := paths[:0]
	for i, p := range paths {
		nested := false
		for j, q := range paths {
			if i != j && (isPrefixPath(q, p) || (j < i && equalPath(q, p))) {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, p)
		}
	}
	return out
}

func equalPath(a, b []jsSeg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// JSON.TYPE key [path]
func cmdJSONType(c *Ctx) {
	p := optPath(c, 2)
	doc, _, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return
	}
	if found && !p.legacy && p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	if c.RESP3 {
		c.Array(1) // RESP3 wraps the answer in an array
	}
	if !found {
		c.Null()
		return
	}
	if p.legacy {
		var ms []jsMatch
		if p.err == nil {
			ms = p.eval(doc.root)
		}
		if len(ms) == 0 {
			c.Null()
			return
		}
		c.BulkStr(store.JSONTypeName(ms[0].v))
		return
	}
	ms := p.eval(doc.root)
	c.Array(len(ms))
	for _, x := range ms {
		c.BulkStr(store.JSONTypeName(x.v))
	}
}

// JSON.CLEAR key [path ...]
func cmdJSONClear(c *Ctx) {
	key := c.Args[1]
	p := optPath(c, 2)
	doc, m, found, ok := jsonLoad(c, key)
	if !ok {
		return
	}
	if !found {
		c.Err(errJSONNoKey)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	var n int64
	for _, x := range p.eval(doc.root) {
		cur, ok := doc.at(x.path)
		if !ok {
			continue
		}
		switch t := cur.(type) {
		case *store.JSONObject:
			if t.Len() > 0 {
				t.Clear()
				n++
			}
		case []any:
			if len(t) > 0 && doc.set(x.path, []any{}) {
				n++
			}
		case int64:
			if t != 0 && doc.set(x.path, int64(0)) {
				n++
			}
		case uint64:
			if t != 0 && doc.set(x.path, int64(0)) {
				n++
			}
		case float64:
			if t != 0 && doc.set(x.path, int64(0)) {
				n++
			}
		}
	}
	if n > 0 && !jsonSave(c, key, doc.root, &m, "json.clear") {
		return
	}
	c.Int(n)
}

// --- numbers and booleans ---

func cmdJSONNumIncrBy(c *Ctx) { jsonNumOp(c, '+', "json.numincrby") }
func cmdJSONNumMultBy(c *Ctx) { jsonNumOp(c, '*', "json.nummultby") }
func cmdJSONNumPowBy(c *Ctx)  { jsonNumOp(c, '^', "json.numpowby") }

// jsonNumOp runs JSON.NUMINCRBY / NUMMULTBY / NUMPOWBY key path number.
func jsonNumOp(c *Ctx, op byte, event string) {
	key := c.Args[1]
	p := parseJSONPath(argStr(c.Args[2]))
	doc, m, found, ok := jsonLoad(c, key)
	if !ok {
		return
	}
	if !found {
		c.Err(errJSONNoKey)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	results := make([]any, len(ms))
	numeric := 0
	var operand any
	for i, x := range ms {
		switch x.v.(type) {
		case int64, uint64, float64:
		default:
			continue
		}
		numeric++
		if operand == nil {
			v, _, err := store.ParseJSON(c.Args[3], store.JSONStrict)
			if err != nil {
				jsonReplyErr(c, err)
				return
			}
			switch v.(type) {
			case int64, uint64, float64:
			default:
				c.Err(errJSONBadNumber)
				return
			}
			operand = v
		}
		r, ok := numResult(x.v, operand, op)
		if !ok {
			c.Err(errJSONNaN)
			return
		}
		doc.set(x.path, r)
		results[i] = r
	}
	legacyResp2 := p.legacy && !c.RESP3
	if legacyResp2 && numeric == 0 {
		c.Err(errJSONPathOr(p.fixed, "does not contains a number"))
		return
	}
	if numeric > 0 && !jsonSave(c, key, doc.root, &m, event) {
		return
	}
	switch {
	case c.RESP3:
		c.Array(len(results))
		for _, r := range results {
			switch t := r.(type) {
			case int64:
				c.Int(t)
			case float64:
				c.Double(t)
			default:
				c.Null()
			}
		}
	case legacyResp2:
		var last any
		for _, r := range results {
			if r != nil {
				last = r
			}
		}
		c.Bulk(store.AppendJSON(nil, last, nil))
	default:
		c.Bulk(store.AppendJSON(nil, results, nil))
	}
}

// numResult applies op to a number: integer arithmetic (wrapping, as
// RedisJSON's) when both are integers, else float arithmetic refusing NaN
// and infinities.
func numResult(cur, arg any, op byte) (any, bool) {
	a, aInt := cur.(int64)
	b, bInt := arg.(int64)
	if aInt && bInt {
		switch op {
		case '+':
			return a + b, true
		case '*':
			return a * b, true
		default:
			return ipow(a, uint32(b)), true
		}
	}
	x, y := toFloat(cur), toFloat(arg)
	var r float64
	switch op {
	case '+':
		r = x + y
	case '*':
		r = x * y
	default:
		r = math.Pow(x, y)
	}
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return nil, false
	}
	return r, true
}

func ipow(base int64, exp uint32) int64 {
	r := int64(1)
	for exp > 0 {
		if exp&1 != 0 {
			r *= base
		}
		base *= base
		exp >>= 1
	}
	return r
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	case float64:
		return t
	}
	return 0
}

// JSON.TOGGLE key path
func cmdJSONToggle(c *Ctx) {
	key := c.Args[1]
	p := parseJSONPath(argStr(c.Args[2]))
	doc, m, found, ok := jsonLoad(c, key)
	if !ok {
		return
	}
	if !found {
		c.Err(errJSONNoKey)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	res := make([]int64, len(ms)) // -1: not a boolean
	n := 0
	last := false
	for i, x := range ms {
		b, isBool := x.v.(bool)
		if !isBool {
			res[i] = -1
			continue
		}
		n++
		last = !b
		doc.set(x.path, last)
		if last {
			res[i] = 1
		}
	}
	if p.legacy && n == 0 {
		c.Err(errJSONPathOr(p.fixed, "not a bool"))
		return
	}
	if n > 0 && !jsonSave(c, key, doc.root, &m, "json.toggle") {
		return
	}
	if p.legacy {
		c.BulkStr(strconv.FormatBool(last))
		return
	}
	replyIntsOrNull(c, res)
}

// replyIntsOrNull replies an array of integers, -1 standing for null.
func replyIntsOrNull(c *Ctx, a []int64) {
	c.Array(len(a))
	for _, n := range a {
		if n < 0 {
			c.Null()
		} else {
			c.Int(n)
		}
	}
}

// --- strings ---

// JSON.STRAPPEND key [path] value
func cmdJSONStrAppend(c *Ctx) {
	key := c.Args[1]
	var p *jsonPath
	var raw []byte
	if len(c.Args) >= 4 {
		p, raw = parseJSONPath(argStr(c.Args[2])), c.Args[3]
	} else {
		p, raw = parseJSONPath("."), c.Args[2]
	}
	doc, m, found, ok := jsonLoad(c, key)
	if !ok {
		return
	}
	if !found {
		c.Err(errJSONNoKey)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	res := make([]int64, len(ms))
	n := 0
	var suffix *string
	for i, x := range ms {
		s, isStr := x.v.(string)
		if !isStr {
			res[i] = -1
			continue
		}
		if suffix == nil {
			v, _, err := store.ParseJSON(raw, store.JSONStrict)
			if err != nil {
				jsonReplyErr(c, err)
				return
			}
			sv, ok := v.(string)
			if !ok {
				c.Err(errJSONExpected("string", string(raw)))
				return
			}
			suffix = &sv
		}
		ns := s + *suffix
		doc.set(x.path, ns)
		res[i] = int64(len(ns))
		n++
	}
	if p.legacy && n == 0 {
		c.Err(errJSONPathOr(p.fixed, "not a string"))
		return
	}
	if n > 0 && !jsonSave(c, key, doc.root, &m, "json.strappend") {
		return
	}
	if p.legacy {
		for i := len(res) - 1; i >= 0; i-- {
			if res[i] >= 0 {
				c.Int(res[i])
				return
			}
		}
	}
	replyIntsOrNull(c, res)
}

// JSON.STRLEN key [path]
func cmdJSONStrLen(c *Ctx) {
	p := optPath(c, 2)
	doc, _, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		if p.legacy {
			c.Null()
		} else {
			c.Err(errJSONNoKey)
		}
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	if p.legacy {
		if len(ms) == 0 {
			c.Err(errJSONPathMissing(p.fixed))
			return
		}
		s, isStr := ms[0].v.(string)
		if !isStr {
			c.Err(errJSONExpected("string", store.JSONTypeName(ms[0].v)))
			return
		}
		c.Int(int64(len(s)))
		return
	}
	res := make([]int64, len(ms))
	for i, x := range ms {
		if s, isStr := x.v.(string); isStr {
			res[i] = int64(len(s))
		} else {
			res[i] = -1
		}
	}
	replyIntsOrNull(c, res)
}

// --- arrays ---

// parseJSONValues parses values leniently (JSON.ARRAPPEND, ARRINSERT).
func parseJSONValues(c *Ctx, args [][]byte) ([]any, int, bool) {
	vals := make([]any, 0, min(len(args), 1024))
	depth := 0
	for _, a := range args {
		v, d, err := store.ParseJSON(a, store.JSONValue)
		if err != nil {
			jsonReplyErr(c, err)
			return nil, 0, false
		}
		vals = append(vals, v)
		depth = max(depth, d)
	}
	return vals, depth, true
}

// arrayTargets loads the document and the array matches of a write
// command; it replies the error itself.
func arrayTargets(c *Ctx, p *jsonPath, legacyName string) (doc *jsonDoc, m store.Meta, ms []jsMatch, arrays int, ok bool) {
	doc, m, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return nil, m, nil, 0, false
	}
	if !found {
		c.Err(errJSONNoKey)
		return nil, m, nil, 0, false
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return nil, m, nil, 0, false
	}
	ms = p.eval(doc.root)
	for _, x := range ms {
		if _, isArr := x.v.([]any); isArr {
			arrays++
		}
	}
	if p.legacy && arrays == 0 {
		c.Err(errJSONPathOr(legacyName, "not an array"))
		return nil, m, nil, 0, false
	}
	return doc, m, ms, arrays, true
}

// sortedArrayMatches returns the indices of the array matches in the order
// that keeps later locations valid while arrays change size.
func sortedArrayMatches(ms []jsMatch) []int {
	var idx []int
	for i, x := range ms {
		if _, isArr := x.v.([]any); isArr {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return comparePathsForUpdate(ms[idx[a]].path, ms[idx[b]].path) < 0
	})
	return idx
}

// replyArrayResults replies the last result (legacy paths) or all of them.
func replyArrayResults(c *Ctx, p *jsonPath, res []int64) {
	if p.legacy {
		for i := len(res) - 1; i >= 0; i-- {
			if res[i] >= 0 {
				c.Int(res[i])
				return
			}
		}
		c.Null()
		return
	}
	replyIntsOrNull(c, res)
}

// JSON.ARRAPPEND key path value [value ...]
func cmdJSONArrAppend(c *Ctx) {
	if len(c.Args) < 4 {
		c.ArgErr()
		return
	}
	p := parseJSONPath(argStr(c.Args[2]))
	vals, vdepth, ok := parseJSONValues(c, c.Args[3:])
	if !ok {
		return
	}
	doc, m, ms, arrays, ok := arrayTargets(c, p, p.orig)
	if !ok {
		return
	}
	for _, x := range ms {
		if _, isArr := x.v.([]any); isArr && !checkDepth(c, len(x.path)+1, vdepth) {
			return
		}
	}
	res := make([]int64, len(ms))
	for i := range res {
		res[i] = -1
	}
	first := true
	for _, i := range sortedArrayMatches(ms) {
		cur, _ := doc.at(ms[i].path)
		a, _ := cur.([]any)
		for _, v := range vals {
			if !first {
				v = store.JSONClone(v)
			}
			a = append(a, v)
		}
		first = false
		doc.set(ms[i].path, a)
		res[i] = int64(len(a))
	}
	if arrays > 0 && !jsonSave(c, c.Args[1], doc.root, &m, "json.arrappend") {
		return
	}
	replyArrayResults(c, p, res)
}

// JSON.ARRINSERT key path index value [value ...]
func cmdJSONArrInsert(c *Ctx) {
	p := parseJSONPath(argStr(c.Args[2]))
	index, ok := proto.ParseInt(c.Args[3])
	if !ok {
		c.Err(errJSONNotInteger)
		return
	}
	vals, vdepth, ok := parseJSONValues(c, c.Args[4:])
	if !ok {
		return
	}
	doc, m, ms, arrays, ok := arrayTargets(c, p, p.fixed)
	if !ok {
		return
	}
	for _, x := range ms {
		if _, isArr := x.v.([]any); isArr && !checkDepth(c, len(x.path)+1, vdepth) {
			return
		}
	}
	res := make([]int64, len(ms))
	for i := range res {
		res[i] = -1
	}
	first := true
	for _, i := range sortedArrayMatches(ms) {
		cur, _ := doc.at(ms[i].path)
		a, _ := cur.([]any)
		at := index
		if at < 0 {
			at += int64(len(a))
		}
		if at < 0 || at > int64(len(a)) {
			c.Err(errJSONIndexBounds)
			return
		}
		ins := vals
		if !first {
			ins = make([]any, len(vals))
			for j, v := range vals {
				ins[j] = store.JSONClone(v)
			}
		}
		first = false
		na := make([]any, 0, len(a)+len(ins))
		na = append(append(append(na, a[:at]...), ins...), a[at:]...)
		doc.set(ms[i].path, na)
		res[i] = int64(len(na))
	}
	if arrays > 0 && !jsonSave(c, c.Args[1], doc.root, &m, "json.arrinsert") {
		return
	}
	replyArrayResults(c, p, res)
}

// JSON.ARRLEN key [path]
func cmdJSONArrLen(c *Ctx) {
	p := optPath(c, 2)
	doc, _, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		if p.legacy {
			c.Null()
		} else {
			c.Err(errJSONNoKey)
		}
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	if p.legacy {
		if len(ms) == 0 {
			c.Err(errJSONPathMissing(p.orig))
			return
		}
		a, isArr := ms[0].v.([]any)
		if !isArr {
			c.Err(errJSONPathOr(p.orig, "not an array"))
			return
		}
		c.Int(int64(len(a)))
		return
	}
	res := make([]int64, len(ms))
	for i, x := range ms {
		if a, isArr := x.v.([]any); isArr {
			res[i] = int64(len(a))
		} else {
			res[i] = -1
		}
	}
	replyIntsOrNull(c, res)
}

// JSON.ARRINDEX key path value [start [stop]]
func cmdJSONArrIndex(c *Ctx) {
	if len(c.Args) > 6 {
		c.ArgErr()
		return
	}
	p := parseJSONPath(argStr(c.Args[2]))
	var start, stop int64
	for i, dst := range []*int64{&start, &stop} {
		if 4+i < len(c.Args) {
			n, ok := proto.ParseInt(c.Args[4+i])
			if !ok {
				c.Err(errJSONNotInteger)
				return
			}
			*dst = n
		}
	}
	m, found, ok := jsonLookup(c, c.Args[1])
	if !ok {
		return
	}
	want, _, err := store.ParseJSON(c.Args[3], store.JSONStrict)
	if err != nil {
		jsonReplyErr(c, err)
		return
	}
	if !found {
		c.Err(errJSONPathMissing(p.orig))
		return
	}
	doc, ok := jsonDecode(c, &m)
	if !ok {
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	if p.legacy {
		if len(ms) == 0 {
			c.Err(errJSONPathMissing(p.fixed))
			return
		}
		a, isArr := ms[0].v.([]any)
		if !isArr {
			c.Err(errJSONExpected("array", store.JSONTypeName(ms[0].v)))
			return
		}
		c.Int(arrIndex(a, want, start, stop))
		return
	}
	c.Array(len(ms))
	for _, x := range ms {
		if a, isArr := x.v.([]any); isArr {
			c.Int(arrIndex(a, want, start, stop))
		} else {
			c.Null()
		}
	}
}

// arrIndex searches a[start:stop) as RedisJSON normalizes them: negative
// from the end, stop 0 meaning the end.
func arrIndex(a []any, want any, start, stop int64) int64 {
	n := int64(len(a))
	if n == 0 {
		return -1
	}
	if start < 0 {
		start = max(0, n+start)
	} else {
		start = min(start, n-1)
	}
	switch {
	case stop == 0:
		stop = n
	case stop < 0:
		stop = max(0, n+stop)
	default:
		stop = min(stop, n)
	}
	for i := start; i < stop; i++ {
		if store.JSONEqual(a[i], want) {
			return i
		}
	}
	return -1
}

// JSON.ARRPOP key [FORMAT f] [path [index]]
func cmdJSONArrPop(c *Ctx) {
	format := fmtStrings
	i := 2
	if i < len(c.Args) && c.is(i, "format") && i+1 < len(c.Args) {
		f, ok := parseReplyFormat(c.Args[i+1])
		if !ok || f == fmtString {
			c.Err(errJSONReplyFormat)
			return
		}
		if !c.RESP3 {
			c.Err(errJSONFormatRESP2)
			return
		}
		format = f
		i += 2
	}
	p := parseJSONPath(".")
	index := int64(math.MaxInt64)
	if i < len(c.Args) {
		p = parseJSONPath(argStr(c.Args[i]))
		index = -1
		if i+1 < len(c.Args) {
			if n, ok := proto.ParseInt(c.Args[i+1]); ok {
				index = n
			}
		}
	}
	if p.legacy && format != fmtStrings {
		c.Err("Legacy paths are supported only with FORMAT STRINGS")
		return
	}
	doc, m, ms, _, ok := arrayTargets(c, p, p.fixed)
	if !ok {
		return
	}
	popped := make([]any, len(ms))
	has := make([]bool, len(ms))
	changed := false
	for _, i := range sortedArrayMatches(ms) {
		cur, _ := doc.at(ms[i].path)
		a, _ := cur.([]any)
		if len(a) == 0 {
			continue
		}
		n := int64(len(a))
		at := index
		if at < 0 {
			at = max(0, n+at)
		} else {
			at = min(at, n-1)
		}
		popped[i], has[i] = a[at], true
		na := make([]any, 0, n-1)
		na = append(append(na, a[:at]...), a[at+1:]...)
		doc.set(ms[i].path, na)
		changed = true
	}
	if changed && !jsonSave(c, c.Args[1], doc.root, &m, "json.arrpop") {
		return
	}
	if p.legacy {
		for j := len(ms) - 1; j >= 0; j-- {
			if _, isArr := ms[j].v.([]any); isArr {
				if has[j] {
					c.Bulk(store.AppendJSON(nil, popped[j], nil))
				} else {
					c.Null()
				}
				return
			}
		}
		c.Null()
		return
	}
	c.Array(len(ms))
	for j := range ms {
		switch {
		case !has[j]:
			c.Null()
		case c.RESP3 && format != fmtStrings:
			replyJSONTyped(c, popped[j], format, nil)
		default:
			c.Bulk(store.AppendJSON(nil, popped[j], nil))
		}
	}
}

// JSON.ARRTRIM key path start stop
func cmdJSONArrTrim(c *Ctx) {
	p := parseJSONPath(argStr(c.Args[2]))
	start, ok1 := proto.ParseInt(c.Args[3])
	stop, ok2 := proto.ParseInt(c.Args[4])
	if !ok1 || !ok2 {
		c.Err(errJSONNotInteger)
		return
	}
	doc, m, ms, arrays, ok := arrayTargets(c, p, p.fixed)
	if !ok {
		return
	}
	res := make([]int64, len(ms))
	for i := range res {
		res[i] = -1
	}
	for _, i := range sortedArrayMatches(ms) {
		cur, _ := doc.at(ms[i].path)
		a, _ := cur.([]any)
		n := int64(len(a))
		hi := normArrayIndex(stop, n)
		var lo int64
		if start < 0 || start < n {
			lo = normArrayIndex(start, n)
		} else {
			lo = hi + 1
		}
		var na []any
		if lo <= hi && n > 0 {
			na = append(make([]any, 0, hi-lo+1), a[lo:hi+1]...)
		} else {
			na = []any{}
		}
		doc.set(ms[i].path, na)
		res[i] = int64(len(na))
	}
	if arrays > 0 && !jsonSave(c, c.Args[1], doc.root, &m, "json.arrtrim") {
		return
	}
	replyArrayResults(c, p, res)
}

// normArrayIndex clamps an index into [0, n-1] (negative: from the end).
func normArrayIndex(i, n int64) int64 {
	switch {
	case i < 0:
		if i == math.MinInt64 {
			return 0
		}
		return n - min(n, -i)
	case n > 0:
		return min(n-1, i)
	}
	return 0
}

// --- objects ---

// JSON.OBJKEYS key [path]
func cmdJSONObjKeys(c *Ctx) {
	p := optPath(c, 2)
	doc, _, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		if p.legacy {
			c.Null()
		} else {
			c.Err(errJSONNoKey)
		}
		return
	}
	if p.legacy {
		if p.err != nil {
			c.Null()
			return
		}
		ms := p.eval(doc.root)
		if len(ms) == 0 {
			c.Null()
			return
		}
		o, isObj := ms[0].v.(*store.JSONObject)
		if !isObj {
			c.Err(errJSONPathOr(p.fixed, "not an object"))
			return
		}
		replyObjKeys(c, o)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	c.Array(len(ms))
	for _, x := range ms {
		if o, isObj := x.v.(*store.JSONObject); isObj {
			replyObjKeys(c, o)
		} else {
			c.Null()
		}
	}
}

func replyObjKeys(c *Ctx, o *store.JSONObject) {
	c.Array(o.Len())
	for i := 0; i < o.Len(); i++ {
		c.BulkStr(o.Key(i))
	}
}

// JSON.OBJLEN key [path]
func cmdJSONObjLen(c *Ctx) {
	p := optPath(c, 2)
	doc, _, found, ok := jsonLoad(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		if p.legacy {
			c.Null()
		} else {
			c.Err(errJSONPathOr(p.fixed, "not an object"))
		}
		return
	}
	if p.legacy {
		if p.err != nil {
			c.Null()
			return
		}
		ms := p.eval(doc.root)
		if len(ms) == 0 {
			c.Null()
			return
		}
		o, isObj := ms[0].v.(*store.JSONObject)
		if !isObj {
			c.Err(errJSONExpected("object", store.JSONTypeName(ms[0].v)))
			return
		}
		c.Int(int64(o.Len()))
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	res := make([]int64, len(ms))
	for i, x := range ms {
		if o, isObj := x.v.(*store.JSONObject); isObj {
			res[i] = int64(o.Len())
		} else {
			res[i] = -1
		}
	}
	replyIntsOrNull(c, res)
}

// --- JSON.DEBUG ---

func jsonDebugKeys(args [][]byte, dst []int) []int {
	if len(args) > 2 && eqFold(args[1], "memory") {
		dst = append(dst, 2)
	}
	return dst
}

// JSON.DEBUG MEMORY key [path] | JSON.DEBUG HELP
func cmdJSONDebug(c *Ctx) {
	switch {
	case c.is(1, "help"):
		c.Array(2)
		c.BulkStr("MEMORY <key> [path] - reports memory usage")
		c.BulkStr("HELP                - this message")
		return
	case !c.is(1, "memory"):
		c.Err(errJSONDebugSub)
		return
	case len(c.Args) < 3:
		c.ArgErr()
		return
	}
	p := optPath(c, 3)
	doc, _, found, ok := jsonLoad(c, c.Args[2])
	if !ok {
		return
	}
	if p.legacy {
		if !found {
			c.Int(0)
			return
		}
		if p.err != nil {
			jsonReplyErr(c, p.err)
			return
		}
		ms := p.eval(doc.root)
		if len(ms) == 0 {
			c.Err(errJSONPathMissing(p.fixed))
			return
		}
		c.Int(store.JSONMemory(ms[0].v))
		return
	}
	if !found {
		c.Array(0)
		return
	}
	if p.err != nil {
		jsonReplyErr(c, p.err)
		return
	}
	ms := p.eval(doc.root)
	c.Array(len(ms))
	for _, x := range ms {
		c.Int(store.JSONMemory(x.v))
	}
}
