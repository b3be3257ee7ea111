package command

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Functions (functions.c, function_lua.c): FUNCTION LOAD/DELETE/FLUSH/
// LIST/STATS/KILL/DUMP/RESTORE and FCALL. Libraries are stored in the
// engine (store/functions.go) and survive restarts; the registry below is
// built from them on first use.
//
// A library's code runs once at FUNCTION LOAD, with a global table that
// only offers redis.register_function, redis.log and the version fields,
// to collect its functions. Each pooled Lua state runs the code again the
// first time it calls one of the library's functions (so a library's
// top-level locals are per state, where Redis has one state).

func init() {
	fcallFlags := FlagNoScript | FlagSkipMonitor | FlagStale | flagIsolated
	fnFlags := FlagNoScript | ExecBackground
	register(
		&Spec{Name: "fcall", Arity: -3, Flags: fcallFlags, KeysFn: evalKeys, Handler: cmdFcall, Group: "scripting", Summary: "Invokes a function.", Since: "7.0.0"},
		&Spec{Name: "fcall_ro", Arity: -3, Flags: fcallFlags | FlagReadOnly, KeysFn: evalKeys, Handler: cmdFcallRO, Group: "scripting", Summary: "Invokes a read-only function.", Since: "7.0.0"},
		&Spec{Name: "function", Arity: -2, Group: "scripting", Summary: "A container for function commands.", Since: "7.0.0"},
		&Spec{Name: "function|load", Arity: -3, Flags: fnFlags | FlagWrite | FlagDenyOOM, Handler: cmdFunctionLoad, Group: "scripting", Summary: "Creates a library.", Since: "7.0.0"},
		&Spec{Name: "function|delete", Arity: 3, Flags: fnFlags | FlagWrite, Handler: cmdFunctionDelete, Group: "scripting", Summary: "Deletes a library and its functions.", Since: "7.0.0"},
		&Spec{Name: "function|flush", Arity: -2, Flags: fnFlags | FlagWrite, Handler: cmdFunctionFlush, Group: "scripting", Summary: "Deletes all libraries and functions.", Since: "7.0.0"},
		&Spec{Name: "function|restore", Arity: -3, Flags: fnFlags | FlagWrite | FlagDenyOOM, Handler: cmdFunctionRestore, Group: "scripting", Summary: "Restores all libraries from a payload.", Since: "7.0.0"},
		&Spec{Name: "function|list", Arity: -2, Flags: FlagNoScript | ExecInline, Handler: cmdFunctionList, Group: "scripting", Summary: "Returns information about all libraries.", Since: "7.0.0"},
		&Spec{Name: "function|dump", Arity: 2, Flags: FlagNoScript | ExecInline, Handler: cmdFunctionDump, Group: "scripting", Summary: "Dumps all libraries into a serialized binary payload.", Since: "7.0.0"},
		&Spec{Name: "function|stats", Arity: 2, Flags: FlagNoScript | FlagAllowBusy | ExecInline, Handler: cmdFunctionStats, Group: "scripting", Summary: "Returns information about a function during execution.", Since: "7.0.0"},
		&Spec{Name: "function|kill", Arity: 2, Flags: FlagNoScript | FlagAllowBusy | ExecInline, Handler: cmdFunctionKill, Group: "scripting", Summary: "Terminates a function during execution.", Since: "7.0.0"},
		&Spec{Name: "function|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: scriptHelp("FUNCTION", []string{
			"LOAD [REPLACE] <FUNCTION CODE>", "    Create a new library with the given library name and code.",
			"DELETE <LIBRARY NAME>", "    Delete the given library.",
			"LIST [LIBRARYNAME PATTERN] [WITHCODE]", "    Return general information on all the libraries:",
			"    * Library name", "    * The engine used to run the Library", "    * Library description",
			"    * Functions list", "    * Library code (if WITHCODE is given)",
			"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
			"STATS", "    Return information about the current function running:", "    * Function name",
			"    * Command used to run the function", "    * Duration in MS that the function is running",
			"    If no function is running, return nil", "    In addition, returns a list of available engines.",
			"KILL", "    Kill the current running function.",
			"FLUSH [ASYNC|SYNC]", "    Delete all the libraries.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the libraries.", "    * SYNC: Synchronously flush the libraries.",
			"DUMP", "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
			"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
			"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
			"    control how to handle existing libraries (default APPEND):",
			"    * FLUSH: delete all existing libraries.",
			"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
			"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
			"      libraries with the new libraries (notice that even on this option there is a chance of failure",
			"      in case of functions name collision with another library).",
		}), Group: "scripting", Summary: "Returns helpful text about the different subcommands.", Since: "7.0.0"},
	)
}

const (
	errLibName      = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	errFuncNotFound = "ERR Function not found"
	errROWithWrite  = "ERR Can not execute a script with write flag using *_ro command."
)

// Script flags, in the order Redis lists them.
var scriptFlagNames = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// funcLib is one library.
type funcLib struct {
	name  string
	code  string
	proto *lua.FunctionProto
	funcs []*funcDef
}

// funcDef is one registered function.
type funcDef struct {
	name    string
	desc    string
	hasDesc bool
	flags   uint8 // bit i: scriptFlagNames[i]
	lib     *funcLib
	idx     int
}

func (f *funcDef) noWrites() bool { return f.flags&1 != 0 }

// libInstance is a library's functions in one Lua state.
type libInstance struct {
	fns map[string]*lua.LFunction
}

var functions struct {
	mu    sync.RWMutex
	wmu   sync.Mutex // serializes changes
	eng   *store.Engine
	libs  map[string]*funcLib
	funcs map[string]*funcDef // by lower-case name
	gen   atomic.Uint64
}

// ensureFunctions builds the registry from the stored libraries the first
// time the server needs it.
func ensureFunctions(s *Server) {
	functions.mu.RLock()
	ok := functions.eng == s.eng
	functions.mu.RUnlock()
	if ok {
		return
	}
	functions.wmu.Lock()
	defer functions.wmu.Unlock()
	functions.mu.RLock()
	ok = functions.eng == s.eng
	functions.mu.RUnlock()
	if ok {
		return
	}
	libs := map[string]*funcLib{}
	funcs := map[string]*funcDef{}
	stored, err := s.eng.FunctionLibs()
	if err != nil {
		s.log.Error("cannot read the function libraries", "err", err)
	}
	for _, sl := range stored {
		lib, msg := buildLibrary(s, string(sl.Code), false)
		if lib == nil {
			s.log.Error("cannot load a stored function library", "library", sl.Name, "err", msg)
			continue
		}
		if msg := checkCollisions(lib, libs, funcs, nil); msg != "" {
			s.log.Error("cannot load a stored function library", "library", sl.Name, "err", msg)
			continue
		}
		addLibrary(lib, libs, funcs)
	}
	functions.mu.Lock()
	functions.eng, functions.libs, functions.funcs = s.eng, libs, funcs
	functions.gen.Add(1)
	functions.mu.Unlock()
}

func addLibrary(lib *funcLib, libs map[string]*funcLib, funcs map[string]*funcDef) {
	libs[lib.name] = lib
	for _, f := range lib.funcs {
		funcs[strings.ToLower(f.name)] = f
	}
}

func removeLibrary(lib *funcLib, libs map[string]*funcLib, funcs map[string]*funcDef) {
	delete(libs, lib.name)
	for _, f := range lib.funcs {
		delete(funcs, strings.ToLower(f.name))
	}
}

// checkCollisions reports a function of lib that another library (other
// than replaced) already has.
func checkCollisions(lib *funcLib, libs map[string]*funcLib, funcs map[string]*funcDef, replaced *funcLib) string {
	for _, f := range lib.funcs {
		if old := funcs[strings.ToLower(f.name)]; old != nil && old.lib != replaced {
			return "ERR Function " + f.name + " already exists"
		}
	}
	return ""
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// libMeta parses a library's "#!<engine> name=<name>" first line. It
// returns the name, the code after the first line (from its newline), or
// Redis's error.
func libMeta(code string) (name, rest, msg string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	nl := strings.IndexByte(code, '\n')
	if nl < 0 {
		return "", "", "ERR Invalid library metadata"
	}
	parts, ok := splitArgs(code[:nl])
	if !ok || len(parts) == 0 {
		return "", "", "ERR Invalid library metadata"
	}
	engine := parts[0][2:]
	haveName := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if haveName {
				return "", "", "ERR Invalid metadata value, name argument was given multiple times"
			}
			name, haveName = p[5:], true
			continue
		}
		return "", "", "ERR Invalid metadata value given: " + p
	}
	if !haveName {
		return "", "", "ERR Library name was not given"
	}
	if !validName(name) {
		return "", "", "ERR " + errLibName
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "", "ERR Engine '" + engine + "' not found"
	}
	return name, code[nl:], ""
}

// buildLibrary compiles code and runs it to collect its functions. With
// live it is a FUNCTION LOAD (redis.log writes, a 500 ms limit applies).
func buildLibrary(s *Server, code string, live bool) (*funcLib, string) {
	name, body, msg := libMeta(code)
	if msg != "" {
		return nil, msg
	}
	return compileLibrary(s, name, code, body, live)
}

func compileLibrary(s *Server, name, code, body string, live bool) (*funcLib, string) {
	p, err := luaCompile(body, "user_function")
	if err != nil {
		return nil, "ERR Error compiling function: " + err.Error()
	}
	lib := &funcLib{name: name, code: code, proto: p}
	vm := getVM()
	regs, msg := vm.runLibrary(p, s, live)
	putVM(vm)
	if msg != "" {
		return nil, msg
	}
	if len(regs) == 0 {
		return nil, "ERR No functions registered"
	}
	for i, r := range regs {
		lib.funcs = append(lib.funcs, &funcDef{name: r.name, desc: r.desc, hasDesc: r.hasDesc, flags: r.flags, lib: lib, idx: i})
	}
	return lib, ""
}

// --- running library code ---

type libReg struct {
	name    string
	fn      *lua.LFunction
	desc    string
	hasDesc bool
	flags   uint8
}

type luaLoadState struct {
	s    *Server // set for FUNCTION LOAD: redis.log writes
	regs []libReg
	logs []func()
}

// loadAPI builds, once per state, the globals library code sees while it
// loads: redis.register_function, redis.log and the version fields.
func (vm *luaVM) loadAPI() *lua.LTable {
	if vm.loadReal != nil {
		return vm.loadReal
	}
	L := vm.L
	r := L.NewTable()
	r.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	r.RawSetString("log", L.NewFunction(vm.redisLog))
	luaSetLogLevels(r)
	r.RawSetString("REDIS_VERSION", lua.LString(Version))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	noGlobal := L.GetMetatable(vm.real)
	L.SetMetatable(r, noGlobal)
	real := L.NewTable()
	real.RawSetString("redis", vm.protect(r))
	L.SetMetatable(real, noGlobal)
	vm.loadReal = real
	return real
}

// runLibrary runs a library's code and returns its registrations; the
// functions then see the normal globals.
func (vm *luaVM) runLibrary(p *lua.FunctionProto, s *Server, live bool) ([]libReg, string) {
	L := vm.L
	env := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", vm.loadAPI())
	mt.RawSetString("__newindex", vm.roErr)
	mt.RawSetString("__metatable", vm.emptyProtected())
	L.SetMetatable(env, mt)
	fn := L.NewFunctionFromProto(p)
	fn.Env = env
	ls := &luaLoadState{}
	if live {
		ls.s = s
	}
	vm.loadR = ls
	var timedOut atomic.Bool
	cancel := vm.cancel
	timer := time.AfterFunc(500*time.Millisecond, func() {
		timedOut.Store(true)
		cancel(errors.New("FUNCTION LOAD timeout"))
	})
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	if !timer.Stop() {
		vm.renew = true
	}
	vm.loadR = nil
	if timedOut.Load() {
		return nil, "ERR Error registering functions: ERR FUNCTION LOAD timeout"
	}
	if err != nil {
		msg := err.Error()
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			msg = "ERR " + luaToString(ae.Object)
			if t, ok := ae.Object.(*lua.LTable); ok {
				if e, ok := t.RawGetString("err").(lua.LString); ok {
					msg = string(e)
				}
			}
		}
		return nil, "ERR Error registering functions: " + msg
	}
	mt.RawSetString("__index", vm.real)
	return ls.regs, ""
}

// registerFunction is redis.register_function(name, fn) or
// redis.register_function{function_name=, callback=, flags=, description=}.
func (vm *luaVM) registerFunction(L *lua.LState) int {
	ls := vm.loadR
	if ls == nil {
		luaRaiseErr(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var r libReg
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			luaRaiseErr(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		haveName := false
		for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
			key, ok := luaStringish(k)
			if !ok {
				luaRaiseErr(L, "named argument key given to redis.register_function is not a string")
			}
			switch strings.ToLower(key) {
			case "function_name":
				if r.name, ok = luaStringish(v); !ok {
					luaRaiseErr(L, "function_name argument given to redis.register_function must be a string")
				}
				haveName = true
			case "description":
				if r.desc, ok = luaStringish(v); !ok {
					luaRaiseErr(L, "description argument given to redis.register_function must be a string")
				}
				r.hasDesc = true
			case "callback":
				if r.fn, ok = v.(*lua.LFunction); !ok {
					luaRaiseErr(L, "callback argument given to redis.register_function must be a function")
				}
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					luaRaiseErr(L, "flags argument to redis.register_function must be a table representing function flags")
				}
				for fk, fv := ft.Next(lua.LNil); fk != lua.LNil; fk, fv = ft.Next(fk) {
					s, ok := luaStringish(fv)
					bit := -1
					for i, n := range scriptFlagNames {
						if ok && strings.EqualFold(s, n) {
							bit = i
						}
					}
					if bit < 0 {
						luaRaiseErr(L, "unknown flag given")
					}
					r.flags |= 1 << bit
				}
			default:
				luaRaiseErr(L, "unknown argument given to redis.register_function")
			}
		}
		if !haveName {
			luaRaiseErr(L, "redis.register_function must get a function name argument")
		}
		if r.fn == nil {
			luaRaiseErr(L, "redis.register_function must get a callback argument")
		}
	case 2:
		var ok bool
		if r.name, ok = luaStringish(L.Get(1)); !ok {
			luaRaiseErr(L, "first argument to redis.register_function must be a string")
		}
		if r.fn, ok = L.Get(2).(*lua.LFunction); !ok {
			luaRaiseErr(L, "second argument to redis.register_function must be a function")
		}
	default:
		luaRaiseErr(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(r.name) {
		luaRaiseErr(L, errLibName)
	}
	for _, o := range ls.regs {
		if strings.EqualFold(o.name, r.name) {
			luaRaiseErr(L, "Function already exists in the library")
		}
	}
	ls.regs = append(ls.regs, r)
	return 0
}

// libFunction returns the state's closure of f, running the library's
// code in this state first if needed.
func (vm *luaVM) libFunction(s *Server, f *funcDef) (*lua.LFunction, string) {
	if g := functions.gen.Load(); g != vm.fgen {
		clear(vm.libs)
		vm.fgen = g
	}
	inst := vm.libs[f.lib]
	if inst == nil {
		regs, msg := vm.runLibrary(f.lib.proto, s, false)
		if msg != "" {
			return nil, msg
		}
		inst = &libInstance{fns: map[string]*lua.LFunction{}}
		for _, r := range regs {
			inst.fns[r.name] = r.fn
		}
		vm.libs[f.lib] = inst
	}
	fn := inst.fns[f.name]
	if fn == nil {
		return nil, "ERR Function not found"
	}
	return fn, ""
}

// --- FCALL ---

func cmdFcall(c *Ctx)   { fcallGeneric(c, false) }
func cmdFcallRO(c *Ctx) { fcallGeneric(c, true) }

// FCALL function numkeys [key ...] [arg ...]
func fcallGeneric(c *Ctx, ro bool) {
	outStart := len(c.Out)
	ensureFunctions(c.S)
	functions.mu.RLock()
	f := functions.funcs[strings.ToLower(string(c.Args[1]))]
	functions.mu.RUnlock()
	if f == nil {
		c.Err(errFuncNotFound)
		return
	}
	n, ok := proto.ParseInt(c.Args[2])
	if !ok {
		c.Err("ERR Bad number of keys provided")
		return
	}
	if msg := numKeysErr(n, len(c.Args)); msg != "" {
		c.Err(msg)
		return
	}
	if ro && !f.noWrites() {
		c.Err(errROWithWrite)
		return
	}
	vm := getVM()
	fn, msg := vm.libFunction(c.S, f)
	if fn == nil {
		putVM(vm)
		c.Err(msg)
		return
	}
	run := &luaRun{vm: vm, c: c, name: f.name, readOnly: ro || f.noWrites(), db: c.S.eng.LogicalDB(c.DB)}
	done := run.call(fn, c.Args[3:3+n], c.Args[3+n:])
	putVM(vm)
	if !done {
		retryOrFail(c, outStart)
	}
}

// --- FUNCTION ---

// FUNCTION LOAD [REPLACE] code
func cmdFunctionLoad(c *Ctx) {
	replace := false
	for _, a := range c.Args[2 : len(c.Args)-1] {
		if eqFold(a, "replace") {
			replace = true
			continue
		}
		c.Err("ERR Unknown option given: " + string(a))
		return
	}
	ensureFunctions(c.S)
	functions.wmu.Lock()
	defer functions.wmu.Unlock()
	code := string(c.Args[len(c.Args)-1])
	name, body, msg := libMeta(code)
	if msg != "" {
		c.Err(msg)
		return
	}
	functions.mu.RLock()
	old := functions.libs[name]
	functions.mu.RUnlock()
	if old != nil && !replace {
		c.Err("ERR Library '" + name + "' already exists")
		return
	}
	lib, msg := compileLibrary(c.S, name, code, body, true)
	if lib == nil {
		c.Err(msg)
		return
	}
	functions.mu.RLock()
	msg = checkCollisions(lib, functions.libs, functions.funcs, old)
	functions.mu.RUnlock()
	if msg != "" {
		c.Err(msg)
		return
	}
	if err := c.S.eng.SaveFunctionLibs(false, nil, []store.FunctionLib{{Name: name, Code: []byte(code)}}); err != nil {
		c.StoreErr(err)
		return
	}
	functions.mu.Lock()
	if old != nil {
		removeLibrary(old, functions.libs, functions.funcs)
	}
	addLibrary(lib, functions.libs, functions.funcs)
	functions.gen.Add(1)
	functions.mu.Unlock()
	c.BulkStr(name)
}

func cmdFunctionDelete(c *Ctx) {
	ensureFunctions(c.S)
	functions.wmu.Lock()
	defer functions.wmu.Unlock()
	name := string(c.Args[2])
	functions.mu.RLock()
	lib := functions.libs[name]
	functions.mu.RUnlock()
	if lib == nil {
		c.Err("ERR Library not found")
		return
	}
	if err := c.S.eng.SaveFunctionLibs(false, []string{name}, nil); err != nil {
		c.StoreErr(err)
		return
	}
	functions.mu.Lock()
	removeLibrary(lib, functions.libs, functions.funcs)
	functions.gen.Add(1)
	functions.mu.Unlock()
	c.OK()
}

func cmdFunctionFlush(c *Ctx) {
	if len(c.Args) > 3 {
		c.Err("ERR unknown subcommand or wrong number of arguments for '" + clip(string(c.Args[1]), 128) + "'. Try FUNCTION HELP.")
		return
	}
	if len(c.Args) == 3 && !c.is(2, "sync") && !c.is(2, "async") {
		c.Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	ensureFunctions(c.S)
	functions.wmu.Lock()
	defer functions.wmu.Unlock()
	if err := c.S.eng.SaveFunctionLibs(true, nil, nil); err != nil {
		c.StoreErr(err)
		return
	}
	functions.mu.Lock()
	functions.libs, functions.funcs = map[string]*funcLib{}, map[string]*funcDef{}
	functions.gen.Add(1)
	functions.mu.Unlock()
	c.OK()
}

// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
func cmdFunctionList(c *Ctx) {
	withCode := false
	var pattern []byte
	havePattern := false
	for i := 2; i < len(c.Args); i++ {
		switch {
		case !withCode && c.is(i, "withcode"):
			withCode = true
		case !havePattern && c.is(i, "libraryname"):
			if i >= len(c.Args)-1 {
				c.Err("ERR library name argument was not given")
				return
			}
			i++
			pattern, havePattern = c.Args[i], true
		default:
			c.Err("ERR Unknown argument " + string(c.Args[i]))
			return
		}
	}
	ensureFunctions(c.S)
	functions.mu.RLock()
	var libs []*funcLib
	for _, l := range functions.libs {
		if havePattern && !storeMatch(pattern, []byte(l.name), true) {
			continue
		}
		libs = append(libs, l)
	}
	functions.mu.RUnlock()
	c.Array(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		c.Map(n)
		c.BulkStr("library_name")
		c.BulkStr(l.name)
		c.BulkStr("engine")
		c.BulkStr("LUA")
		c.BulkStr("functions")
		c.Array(len(l.funcs))
		for _, f := range l.funcs {
			c.Map(3)
			c.BulkStr("name")
			c.BulkStr(f.name)
			c.BulkStr("description")
			if f.hasDesc {
				c.BulkStr(f.desc)
			} else {
				c.Null()
			}
			c.BulkStr("flags")
			nf := 0
			for i := range scriptFlagNames {
				if f.flags&(1<<i) != 0 {
					nf++
				}
			}
			c.Set(nf)
			for i, fl := range scriptFlagNames {
				if f.flags&(1<<i) != 0 {
					c.Status(fl)
				}
			}
		}
		if withCode {
			c.BulkStr("library_code")
			c.BulkStr(l.code)
		}
	}
}

func cmdFunctionStats(c *Ctx) {
	ensureFunctions(c.S)
	c.Map(2)
	c.BulkStr("running_script")
	if name, args, ms, ok := runningScript(); ok {
		c.Map(3)
		c.BulkStr("name")
		c.BulkStr(name)
		c.BulkStr("command")
		c.Array(len(args))
		for _, a := range args {
			c.Bulk(a)
		}
		c.BulkStr("duration_ms")
		c.Int(ms)
	} else {
		c.Null()
	}
	functions.mu.RLock()
	nl, nf := len(functions.libs), len(functions.funcs)
	functions.mu.RUnlock()
	c.BulkStr("engines")
	c.Map(1)
	c.BulkStr("LUA")
	c.Map(2)
	c.BulkStr("libraries_count")
	c.Int(int64(nl))
	c.BulkStr("functions_count")
	c.Int(int64(nf))
}

func cmdFunctionKill(c *Ctx) {
	if r := killScripts(false); r == "+OK" {
		c.OK()
	} else {
		c.Err(r)
	}
}

// --- FUNCTION DUMP / RESTORE: Redis's payload (RDB function records,
// RDB version, CRC64) ---

const (
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10
)

func cmdFunctionDump(c *Ctx) {
	ensureFunctions(c.S)
	functions.mu.RLock()
	var b []byte
	for _, l := range functions.libs {
		b = append(b, rdbOpcodeFunction2)
		b = rdbAppendLen(b, uint64(len(l.code)))
		b = append(b, l.code...)
	}
	functions.mu.RUnlock()
	b = append(b, rdbVersion, 0)
	b = binary.LittleEndian.AppendUint64(b, store.CRC64(0, b))
	c.Bulk(b)
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
func cmdFunctionRestore(c *Ctx) {
	if len(c.Args) > 4 {
		c.Err("ERR unknown subcommand or wrong number of arguments for '" + clip(string(c.Args[1]), 128) + "'. Try FUNCTION HELP.")
		return
	}
	policy := "append"
	if len(c.Args) == 4 {
		switch {
		case c.is(3, "append"):
		case c.is(3, "replace"):
			policy = "replace"
		case c.is(3, "flush"):
			policy = "flush"
		default:
			c.Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	data := c.Args[2]
	if len(data) < 10 || binary.LittleEndian.Uint16(data[len(data)-10:]) > rdbVersion ||
		store.CRC64(0, data[:len(data)-8]) != binary.LittleEndian.Uint64(data[len(data)-8:]) {
		c.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	ensureFunctions(c.S)
	functions.wmu.Lock()
	defer functions.wmu.Unlock()
	body := data[:len(data)-10]
	newLibs := map[string]*funcLib{}
	newFuncs := map[string]*funcDef{}
	var order []*funcLib
	for len(body) > 0 {
		if body[0] != rdbOpcodeFunction2 {
			c.Err("ERR given type is not a function")
			return
		}
		code, rest, ok := rdbReadString(body[1:])
		if !ok {
			c.Err("ERR failed loading the given functions payload")
			return
		}
		body = rest
		name, lbody, msg := libMeta(string(code))
		if msg == "" && newLibs[name] != nil {
			msg = "ERR Library '" + name + "' already exists"
		}
		var lib *funcLib
		if msg == "" {
			lib, msg = compileLibrary(c.S, name, string(code), lbody, false)
		}
		if msg == "" {
			msg = checkCollisions(lib, newLibs, newFuncs, nil)
		}
		if msg != "" {
			c.Err(msg)
			return
		}
		addLibrary(lib, newLibs, newFuncs)
		order = append(order, lib)
	}
	functions.mu.RLock()
	libs := make(map[string]*funcLib, len(functions.libs))
	funcs := make(map[string]*funcDef, len(functions.funcs))
	if policy != "flush" {
		for k, v := range functions.libs {
			libs[k] = v
		}
		for k, v := range functions.funcs {
			funcs[k] = v
		}
	}
	functions.mu.RUnlock()
	for _, l := range order {
		if old := libs[l.name]; old != nil {
			if policy != "replace" {
				c.Err("ERR Library " + l.name + " already exists")
				return
			}
			removeLibrary(old, libs, funcs)
		}
	}
	for _, l := range order {
		if msg := checkCollisions(l, libs, funcs, nil); msg != "" {
			c.Err(msg)
			return
		}
	}
	put := make([]store.FunctionLib, 0, len(order))
	for _, l := range order {
		addLibrary(l, libs, funcs)
		put = append(put, store.FunctionLib{Name: l.name, Code: []byte(l.code)})
	}
	if err := c.S.eng.SaveFunctionLibs(policy == "flush", nil, put); err != nil {
		c.StoreErr(err)
		return
	}
	functions.mu.Lock()
	functions.libs, functions.funcs = libs, funcs
	functions.gen.Add(1)
	functions.mu.Unlock()
	c.OK()
}

// rdbAppendLen appends an RDB length.
func rdbAppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		b = append(b, 0x80)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0x81)
	return binary.BigEndian.AppendUint64(b, n)
}

// rdbReadLen reads an RDB length; enc reports a special encoding (the
// low 6 bits then name it).
func rdbReadLen(b []byte) (n uint64, enc bool, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, false, nil, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], true
	case 1:
		if len(b) < 2 {
			return 0, false, nil, false
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], true
	case 2:
		switch b[0] {
		case 0x80:
			if len(b) < 5 {
				return 0, false, nil, false
			}
			return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], true
		case 0x81:
			if len(b) < 9 {
				return 0, false, nil, false
			}
			return binary.BigEndian.Uint64(b[1:]), false, b[9:], true
		}
		return 0, false, nil, false
	}
	return uint64(b[0] & 0x3f), true, b[1:], true
}

// rdbReadString reads an RDB string: raw, integer-encoded or LZF.
func rdbReadString(b []byte) ([]byte, []byte, bool) {
	n, enc, b, ok := rdbReadLen(b)
	if !ok {
		return nil, nil, false
	}
	if !enc {
		if uint64(len(b)) < n {
			return nil, nil, false
		}
		return b[:n], b[n:], true
	}
	switch n {
	case 0, 1, 2: // int8, int16, int32
		size := 1 << n
		if len(b) < size {
			return nil, nil, false
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return []byte(itoa(v)), b[size:], true
	case 3: // LZF
		clen, _, b2, ok := rdbReadLen(b)
		if !ok {
			return nil, nil, false
		}
		ulen, _, b3, ok := rdbReadLen(b2)
		if !ok || uint64(len(b3)) < clen || ulen > 1<<30 {
			return nil, nil, false
		}
		out, ok := store.LZFDecompress(b3[:clen], ulen)
		if !ok {
			return nil, nil, false
		}
		return out, b3[clen:], true
	}
	return nil, nil, false
}

// runningScript describes a script past busy-reply-threshold for FUNCTION
// STATS (only then can Redis answer while a script runs).
func runningScript() (name string, args [][]byte, ms int64, ok bool) {
	running.mu.Lock()
	defer running.mu.Unlock()
	for run := range running.runs {
		if run.busy {
			return run.name, run.c.Args, time.Since(run.start).Milliseconds(), true
		}
	}
	return "", nil, 0, false
}

// splitArgs splits a line as sdssplitargs does (the shebang lines of
// scripts and libraries): spaces separate, "..." and '...' quote, with
// \xHH and \n-style escapes in double quotes. It reports false on
// unbalanced quotes.
func splitArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			if i >= len(line) {
				if inq || insq {
					return nil, false
				}
				break
			}
			c := line[i]
			switch {
			case inq:
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHexDigit(line[i+2]) && isHexDigit(line[i+3]) {
					h, _ := hexDigit(line[i+2])
					l, _ := hexDigit(line[i+3])
					cur = append(cur, h<<4|l)
					i += 3
				} else if c == '\\' && i+1 < len(line) {
					i++
					switch e := line[i]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				} else if c == '"' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, c)
				}
			case insq:
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur = append(cur, '\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\t', '\n', '\r', '\v', '\f':
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			i++
		}
		out = append(out, string(cur))
	}
}

func isHexDigit(c byte) bool {
	_, ok := hexDigit(c)
	return ok
}
