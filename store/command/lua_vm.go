package command

import (
	"context"
	"errors"
	"math"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// The Lua sandbox (script_lua.c). Scripts run on gopher-lua (Lua 5.1, as
// Redis). A Lua state is costly to build, so states are pooled and reused:
// each script body and each function library is compiled once into a
// FunctionProto shared by every state, and each state keeps the closures it
// made from them.
//
// Redis 7 makes the globals and every library table read-only; gopher-lua
// has no read-only tables, so scripts see proxies instead: an empty table
// whose metatable reads through to the real table and refuses writes. The
// few functions that bypass metatables (rawset, rawget, next, pairs,
// setmetatable, table.insert ...) are wrapped to see through proxies or to
// refuse them.

const (
	errLuaReadonly     = "Attempt to modify a readonly table"
	errLuaNoGlobal     = "Script attempted to access nonexistent global variable '%s'"
	errLuaKilled       = "ERR Script killed by user with SCRIPT KILL..."
	luaMaxStringResult = 512 << 20 // largest string string.rep may build
)

// luaVM is one pooled Lua state and what it has built from shared code.
type luaVM struct {
	L         *lua.LState
	real      *lua.LTable                 // the globals' contents
	gproxy    *lua.LTable                 // _G as scripts see it
	proxies   map[*lua.LTable]*lua.LTable // proxy -> real table
	strMeta   *lua.LTable                 // proxy of the string metatable
	emptyMeta *lua.LTable                 // what getmetatable shows of proxies
	roErr     *lua.LFunction              // __newindex of proxies
	handler   *lua.LFunction              // error handler (__redis__err__handler)

	ctx    context.Context
	cancel context.CancelCauseFunc
	// renew is set when the context must be replaced before the next run:
	// it was cancelled, or coroutines derived contexts from it.
	renew bool

	run *luaRun // the script running on this state, nil between runs

	gen   uint64 // script cache generation fns belongs to
	fns   map[*luaScript]*lua.LFunction
	libs  map[*funcLib]*libInstance
	fgen  uint64        // function registry generation libs belongs to
	loadR *luaLoadState // the library being loaded
	// loadReal is the globals of library code while it loads.
	loadReal *lua.LTable
	// chunkNames maps loadstring chunks' display names to their names.
	chunkNames map[string]string
}

func init() {
	// gopher-lua keeps integer keys up to MaxArrayIndex in a slice padded
	// with nils: t[60000000] = 1 would allocate 1 GiB. Larger keys go to
	// the hash part.
	lua.MaxArrayIndex = 1 << 22
}

var vmPool struct {
	mu   sync.Mutex
	free []*luaVM
}

// getVM takes a state from the pool, building one if none is free.
func getVM() *luaVM {
	vmPool.mu.Lock()
	if n := len(vmPool.free); n > 0 {
		vm := vmPool.free[n-1]
		vmPool.free = vmPool.free[:n-1]
		vmPool.mu.Unlock()
		return vm
	}
	vmPool.mu.Unlock()
	return newLuaVM()
}

// putVM returns a state to the pool.
func putVM(vm *luaVM) {
	vm.run = nil
	if vm.renew {
		vm.newContext()
	}
	vmPool.mu.Lock()
	if len(vmPool.free) < 64 {
		vmPool.free = append(vmPool.free, vm)
		vmPool.mu.Unlock()
		return
	}
	vmPool.mu.Unlock()
	vm.L.Close()
}

// flushVMs drops every pooled state, so that SCRIPT FLUSH frees the
// closures of old scripts (states in use drop theirs by generation check).
func flushVMs() {
	vmPool.mu.Lock()
	free := vmPool.free
	vmPool.free = nil
	vmPool.mu.Unlock()
	for _, vm := range free {
		vm.L.Close()
	}
}

func (vm *luaVM) newContext() {
	if vm.cancel != nil {
		vm.cancel(nil)
	}
	vm.ctx, vm.cancel = context.WithCancelCause(context.Background())
	vm.L.SetContext(vm.ctx)
	vm.renew = false
}

// stop makes every further instruction of the running script fail.
func (vm *luaVM) stop(cause error) {
	vm.cancel(cause)
}

func newLuaVM() *luaVM {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       1024,
		RegistrySize:        1024 * 4,
		RegistryMaxSize:     1 << 22,
		MinimizeStackMemory: true,
	})
	vm := &luaVM{L: L, proxies: map[*lua.LTable]*lua.LTable{}, fns: map[*luaScript]*lua.LFunction{}, libs: map[*funcLib]*libInstance{}}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{"", lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	real := L.G.Global
	vm.real = real
	for _, name := range []string{"dofile", "loadfile", "print", "_printregs", "getfenv", "setfenv", "module", "require", "newproxy", "_GOPHER_LUA_VERSION"} {
		real.RawSetString(name, lua.LNil)
	}
	vm.roErr = L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errLuaReadonly)
		return 0
	})
	vm.installBase()
	vm.installTableLib()
	vm.installCoroutineLib()
	vm.installStringLib()
	vm.installMathLib()
	real.RawSetString("cjson", newCJSONLib(L))
	real.RawSetString("cmsgpack", newCMsgpackLib(L))
	real.RawSetString("bit", newBitLib(L))
	real.RawSetString("struct", newStructLib(L))
	real.RawSetString("redis", vm.newRedisLib())
	vm.handler = L.NewFunction(vm.errorHandler)
	real.RawSetString("__redis__err__handler", vm.handler)

	// The string library is not its own metatable (gopher-lua's is), so
	// pairs(string) shows what Lua's shows. getmetatable("") shows a
	// read-only metatable whose __index is the protected library.
	strlib := L.NewTable()
	real.RawGetString("string").(*lua.LTable).ForEach(func(k, v lua.LValue) {
		if k != lua.LString("__index") {
			strlib.RawSet(k, v)
		}
	})
	real.RawSetString("string", strlib)
	strMT := L.NewTable()
	strMT.RawSetString("__index", strlib)
	L.SetMetatable(lua.LString(""), strMT)
	// Protect: libraries and the globals become read-only proxies, and
	// reading an undefined global is an error.
	for _, name := range []string{"string", "math", "table", "coroutine", "cjson", "cmsgpack", "bit", "struct", "redis"} {
		if t, ok := real.RawGetString(name).(*lua.LTable); ok {
			real.RawSetString(name, vm.protect(t))
		}
	}
	sm := L.NewTable()
	sm.RawSetString("__index", real.RawGetString("string"))
	vm.strMeta = vm.protect(sm)
	noGlobal := L.NewTable()
	noGlobal.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errLuaNoGlobal, luaToString(L.Get(2)))
		return 0
	}))
	L.SetMetatable(real, noGlobal)
	vm.gproxy = vm.protect(real)
	real.RawSetString("_G", vm.gproxy)
	L.Env = vm.gproxy
	vm.newContext()
	return vm
}

// protect returns a read-only proxy of t.
func (vm *luaVM) protect(t *lua.LTable) *lua.LTable {
	L := vm.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", vm.roErr)
	// getmetatable on a protected table returns a read-only empty table.
	mt.RawSetString("__metatable", vm.emptyProtected())
	L.SetMetatable(p, mt)
	vm.proxies[p] = t
	return p
}

// emptyProtected returns the read-only empty table getmetatable shows for
// protected tables.
func (vm *luaVM) emptyProtected() *lua.LTable {
	if vm.emptyMeta != nil {
		return vm.emptyMeta
	}
	L := vm.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__newindex", vm.roErr)
	L.SetMetatable(p, mt)
	vm.proxies[p] = L.NewTable()
	vm.emptyMeta = p
	return p
}

// unproxy returns the real table behind a proxy, or v.
func (vm *luaVM) unproxy(v lua.LValue) lua.LValue {
	if t, ok := v.(*lua.LTable); ok {
		if r, ok := vm.proxies[t]; ok {
			return r
		}
	}
	return v
}

func (vm *luaVM) isProxy(v lua.LValue) bool {
	t, ok := v.(*lua.LTable)
	if !ok {
		return false
	}
	_, ok = vm.proxies[t]
	return ok
}

// wrapReading makes fn see through a proxy given as its first argument.
func (vm *luaVM) wrapReading(fn lua.LValue) *lua.LFunction {
	orig := fn.(*lua.LFunction).GFunction
	return vm.L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 {
			if r := vm.unproxy(L.Get(1)); r != L.Get(1) {
				L.Replace(1, r)
			}
		}
		return orig(L)
	})
}

// wrapWriting makes fn refuse a proxy as its first argument (the error
// has no position: it comes from a library function, as in Lua).
func (vm *luaVM) wrapWriting(fn lua.LValue) *lua.LFunction {
	orig := fn.(*lua.LFunction).GFunction
	return vm.L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && vm.isProxy(L.Get(1)) {
			L.Error(lua.LString(errLuaReadonly), 0)
		}
		return orig(L)
	})
}

// loadChunk compiles src for loadstring and load: the function, or nil
// and the message. name is the chunk name ("=x" and "@x" as in Lua).
func (vm *luaVM) loadChunk(L *lua.LState, src, name string) int {
	display := luaChunkID(name)
	p, err := luaCompile(src, display)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if vm.chunkNames == nil {
		vm.chunkNames = map[string]string{}
	}
	if len(vm.chunkNames) < 1024 {
		vm.chunkNames[display] = name
	}
	L.Push(L.NewFunctionFromProto(p))
	return 1
}

// luaChunkID is luaO_chunkid: how Lua names a chunk in messages.
func luaChunkID(name string) string {
	const idsize = 60
	switch {
	case strings.HasPrefix(name, "="):
		return clip(name[1:], idsize-1)
	case strings.HasPrefix(name, "@"):
		s := name[1:]
		if len(s) > idsize-1-3 {
			s = "..." + s[len(s)-(idsize-1-3):]
		}
		return s
	}
	n := idsize - len(` [string "..."] `) - 1
	l := len(name)
	if l > n {
		l = n
	}
	if nl := strings.IndexByte(name, '\n'); nl >= 0 && nl < l {
		l = nl
	}
	if l < len(name) {
		return `[string "` + name[:l] + `..."]`
	}
	return `[string "` + name + `"]`
}

func (vm *luaVM) installBase() {
	L, real := vm.L, vm.real
	next := real.RawGetString("next")
	real.RawSetString("next", vm.wrapReading(next))
	real.RawSetString("rawget", vm.wrapReading(real.RawGetString("rawget")))
	real.RawSetString("unpack", vm.wrapReading(real.RawGetString("unpack")))
	real.RawSetString("rawset", vm.wrapWriting(real.RawGetString("rawset")))
	real.RawSetString("setmetatable", vm.wrapWriting(real.RawGetString("setmetatable")))
	origToNumber := real.RawGetString("tonumber").(*lua.LFunction).GFunction
	real.RawSetString("tonumber", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			if b, ok := L.Get(2).(lua.LNumber); !ok || b != 10 {
				return origToNumber(L)
			}
		}
		v := L.CheckAny(1)
		if f, ok := luaToNumber(v); ok {
			L.Push(lua.LNumber(f))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	real.RawSetString("loadstring", L.NewFunction(func(L *lua.LState) int {
		src := L.CheckString(1)
		return vm.loadChunk(L, src, L.OptString(2, src))
	}))
	real.RawSetString("load", L.NewFunction(func(L *lua.LState) int {
		fn := L.CheckFunction(1)
		name := L.OptString(2, "=(load)")
		var b strings.Builder
		for {
			L.Push(fn)
			L.Call(0, 1)
			v := L.Get(-1)
			L.Pop(1)
			if v == lua.LNil {
				break
			}
			s, ok := luaStringish(v)
			if !ok {
				L.Push(lua.LNil)
				L.Push(lua.LString("reader function must return a string"))
				return 2
			}
			if s == "" {
				break
			}
			b.WriteString(s)
		}
		return vm.loadChunk(L, b.String(), name)
	}))
	real.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		t := vm.unproxy(L.CheckTable(1))
		L.Push(next)
		L.Push(t)
		L.Push(lua.LNil)
		return 3
	}))
	ipairsIter := L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		i := L.CheckInt(2) + 1
		v := t.RawGetInt(i)
		if v == lua.LNil {
			return 0
		}
		L.Push(lua.LNumber(i))
		L.Push(v)
		return 2
	})
	real.RawSetString("ipairs", L.NewFunction(func(L *lua.LState) int {
		t := vm.unproxy(L.CheckTable(1))
		L.Push(ipairsIter)
		L.Push(t)
		L.Push(lua.LNumber(0))
		return 3
	}))
	origGetMeta := real.RawGetString("getmetatable").(*lua.LFunction).GFunction
	real.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
		if _, ok := L.CheckAny(1).(lua.LString); ok && vm.strMeta != nil {
			L.Push(vm.strMeta)
			return 1
		}
		return origGetMeta(L)
	}))
	origToString := real.RawGetString("tostring").(*lua.LFunction).GFunction
	real.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.CheckAny(1).(lua.LNumber); ok {
			L.Push(lua.LString(luaNumberString(float64(n))))
			return 1
		}
		return origToString(L)
	}))
	real.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int {
		opt := L.OptString(1, "collect")
		switch opt {
		case "count":
			L.Push(lua.LNumber(float64(luaHeapKB())))
		default:
			L.Push(lua.LNumber(0))
		}
		return 1
	}))
	real.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(float64(int64(luaHeapKB()))))
		return 1
	}))
	// error(v [, level]) as Lua 5.1: strings and numbers get the position
	// of the function at level (1: error's caller), others go as they are.
	real.RawSetString("error", L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		level := L.OptInt(2, 1)
		if s, ok := luaStringish(v); ok {
			v = lua.LString(luaWhere(L, level) + s)
		}
		L.Error(v, 0)
		return 0
	}))
	// Redis's pcall hands back the message of an error table, not the table.
	origPCall := real.RawGetString("pcall").(*lua.LFunction).GFunction
	real.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int {
		n := origPCall(L)
		top := L.GetTop()
		if n >= 2 && L.Get(top-n+1) == lua.LFalse {
			if t, ok := L.Get(top).(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					L.Replace(top, s)
				}
			}
		}
		return n
	}))
}

// installCoroutineLib marks the state's context for renewal when a
// script makes a coroutine: each coroutine derives a context from it that
// lives until it is cancelled.
func (vm *luaVM) installCoroutineLib() {
	t := vm.real.RawGetString("coroutine").(*lua.LTable)
	for _, n := range []string{"create", "wrap"} {
		orig := t.RawGetString(n).(*lua.LFunction).GFunction
		t.RawSetString(n, vm.L.NewFunction(func(L *lua.LState) int {
			vm.renew = true
			return orig(L)
		}))
	}
}

func (vm *luaVM) installTableLib() {
	L := vm.L
	t := vm.real.RawGetString("table").(*lua.LTable)
	for _, n := range []string{"insert", "remove", "sort"} {
		t.RawSetString(n, vm.wrapWriting(t.RawGetString(n)))
	}
	for _, n := range []string{"concat", "getn", "maxn"} {
		t.RawSetString(n, vm.wrapReading(t.RawGetString(n)))
	}
	t.RawSetString("setn", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("'setn' is obsolete")
		return 0
	}))
	foreach := func(array bool) lua.LGFunction {
		return func(L *lua.LState) int {
			tb, _ := vm.unproxy(L.CheckTable(1)).(*lua.LTable)
			fn := L.CheckFunction(2)
			call := func(k, v lua.LValue) bool {
				L.Push(fn)
				L.Push(k)
				L.Push(v)
				L.Call(2, 1)
				r := L.Get(-1)
				if r != lua.LNil {
					return true
				}
				L.Pop(1)
				return false
			}
			if array {
				for i, n := 1, tb.Len(); i <= n; i++ {
					if call(lua.LNumber(i), tb.RawGetInt(i)) {
						return 1
					}
				}
				return 0
			}
			for k, v := tb.Next(lua.LNil); k != lua.LNil; k, v = tb.Next(k) {
				if call(k, v) {
					return 1
				}
			}
			return 0
		}
	}
	t.RawSetString("foreach", L.NewFunction(foreach(false)))
	t.RawSetString("foreachi", L.NewFunction(foreach(true)))
}

func (vm *luaVM) installStringLib() {
	L := vm.L
	t := vm.real.RawGetString("string").(*lua.LTable)
	// string.rep with a bounded result: a script must not exhaust memory
	// with one call.
	t.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		n := L.CheckInt(2)
		if n <= 0 || len(s) == 0 {
			L.Push(lua.LString(""))
			return 1
		}
		if int64(len(s))*int64(n) > luaMaxStringResult {
			L.RaiseError("resulting string too large")
		}
		b := make([]byte, 0, len(s)*n)
		for i := 0; i < n; i++ {
			b = append(b, s...)
		}
		L.Push(lua.LString(b))
		return 1
	}))
}

func (vm *luaVM) installMathLib() {
	L := vm.L
	t := vm.real.RawGetString("math").(*lua.LTable)
	t.RawSetString("random", L.NewFunction(luaMathRandom))
	t.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
		luaRand.seed(int32(L.CheckInt(1)))
		return 0
	}))
}

// --- math.random: Redis's rand48, one sequence for the whole server ---

type rand48 struct {
	mu sync.Mutex
	x  uint64
}

var luaRand = func() *rand48 { r := &rand48{}; r.seed(0); return r }()

func (r *rand48) seed(v int32) {
	r.mu.Lock()
	r.x = uint64(uint32(v))<<16 | 0x330e
	r.mu.Unlock()
}

// next returns the next 31-bit value (lrand48).
func (r *rand48) next() int32 {
	r.mu.Lock()
	r.x = (r.x*0x5deece66d + 0xb) & (1<<48 - 1)
	v := int32(r.x >> 17)
	r.mu.Unlock()
	return v
}

func luaMathRandom(L *lua.LState) int {
	const max = math.MaxInt32
	r := float64(luaRand.next()%max) / float64(max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			luaArgError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			luaArgError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

// luaHeapKB is what collectgarbage("count") reports: the Go heap in KB
// (read without stopping the world).
func luaHeapKB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s[0].Value.Uint64()) / 1024
}

// --- values ---

// luaNumberString formats a number as Lua 5.1 does ("%.14g").
func luaNumberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// luaToString is tostring() for values that have no metamethod.
func luaToString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LNumber:
		return luaNumberString(float64(x))
	case lua.LString:
		return string(x)
	}
	return v.String()
}

// luaWhere is luaL_where: "source:line: " of the function at level
// (0: the running Go function, 1: its caller), "" for Go functions.
func luaWhere(L *lua.LState, level int) string {
	if level <= 0 {
		return ""
	}
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine < 0 {
		return ""
	}
	return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// --- compilation ---

// luaCompile compiles src under chunk name (user_script, user_function).
// Errors are worded as Lua 5.1's: "<name>:<line>: <message>".
func luaCompile(src, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, errors.New(luaParseError(err, name, src))
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, errors.New(name + ": " + err.Error())
	}
	return proto, nil
}

// luaParseError rewords gopher-lua's parse errors in Lua 5.1's form
// ("<name>:<line>: <message> near '<token>'"). gopher-lua only says
// "syntax error", which becomes Lua's most common "unexpected symbol".
func luaParseError(err error, name, src string) string {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return name + ": " + err.Error()
	}
	line, near := pe.Pos.Line, pe.Token
	if line == parse.EOF || line <= 0 {
		line = strings.Count(src, "\n") + 1
		near = "<eof>"
	}
	if near == "" || near == "EOF" {
		near = "<eof>"
	}
	msg := pe.Message
	switch msg {
	case "", "syntax error":
		msg = "unexpected symbol"
	case "unterminated string":
		// gopher-lua stops after the newline; Lua names the line of the
		// string and shows it from its opening quote.
		msg = "unfinished string"
		lines := strings.Split(src, "\n")
		if pe.Pos.Line >= 2 && pe.Pos.Line-2 < len(lines) {
			l := strings.TrimSuffix(lines[pe.Pos.Line-2], "\r")
			if strings.HasSuffix(l, pe.Token) && len(l) > len(pe.Token) {
				line = pe.Pos.Line - 1
				near = l[len(l)-len(pe.Token)-1:]
			}
		}
	case "unterminated multiline string":
		msg, near = "unfinished long string", "<eof>"
	}
	return name + ":" + strconv.Itoa(line) + ": " + msg + " near '" + near + "'"
}
