package command

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"github.com/diskdb/diskdb/proto"
)

// Scripting (eval.c): EVAL, EVALSHA, their _RO variants and SCRIPT. The
// script cache maps the SHA1 of a body to its compiled code; it lives in
// memory only, as in Redis.
//
// A script runs as one isolated task holding the shards of its declared
// keys (all shards when it declares none), with a store view of its own:
// it is atomic, and its writes are one WriteBatch. A script that touches a
// key it did not declare, on a shard it does not hold, is rolled back and
// run again with every shard held.

func init() {
	evalFlags := FlagNoScript | FlagSkipMonitor | FlagStale | flagIsolated
	register(
		&Spec{Name: "eval", Arity: -3, Flags: evalFlags, KeysFn: evalKeys, Handler: cmdEval, Group: "scripting", Summary: "Executes a server-side Lua script.", Since: "2.6.0"},
		&Spec{Name: "evalsha", Arity: -3, Flags: evalFlags, KeysFn: evalKeys, Handler: cmdEvalSha, Group: "scripting", Summary: "Executes a server-side Lua script by SHA1 digest.", Since: "2.6.0"},
		&Spec{Name: "eval_ro", Arity: -3, Flags: evalFlags | FlagReadOnly, KeysFn: evalKeys, Handler: cmdEvalRO, Group: "scripting", Summary: "Executes a read-only server-side Lua script.", Since: "7.0.0"},
		&Spec{Name: "evalsha_ro", Arity: -3, Flags: evalFlags | FlagReadOnly, KeysFn: evalKeys, Handler: cmdEvalShaRO, Group: "scripting", Summary: "Executes a read-only server-side Lua script by SHA1 digest.", Since: "7.0.0"},
		&Spec{Name: "script", Arity: -2, Group: "scripting", Summary: "A container for Lua scripts management commands.", Since: "2.6.0"},
		&Spec{Name: "script|load", Arity: 3, Flags: FlagNoScript | FlagStale | ExecInline, Handler: cmdScriptLoad, Group: "scripting", Summary: "Loads a server-side Lua script to the script cache.", Since: "2.6.0"},
		&Spec{Name: "script|exists", Arity: -3, Flags: FlagNoScript | ExecInline, Handler: cmdScriptExists, Group: "scripting", Summary: "Determines whether server-side Lua scripts exist in the script cache.", Since: "2.6.0"},
		&Spec{Name: "script|flush", Arity: -2, Flags: FlagNoScript | ExecInline, Handler: cmdScriptFlush, Group: "scripting", Summary: "Removes all server-side Lua scripts from the script cache.", Since: "2.6.0"},
		&Spec{Name: "script|kill", Arity: 2, Flags: FlagNoScript | FlagAllowBusy | ExecInline, Handler: cmdScriptKill, Group: "scripting", Summary: "Terminates a server-side Lua script during execution.", Since: "2.6.0"},
		&Spec{Name: "script|debug", Arity: 3, Flags: FlagNoScript | ExecInline, Handler: cmdScriptDebug, Group: "scripting", Summary: "Sets the debug mode of server-side Lua scripts.", Since: "3.2.0"},
		&Spec{Name: "script|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: scriptHelp("SCRIPT", []string{
			"DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
			"EXISTS <sha1> [<sha1> ...]", "    Return information about the existence of the scripts in the script cache.",
			"FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the scripts cache.",
			"    * SYNC: Synchronously flush the scripts cache.",
			"KILL", "    Kill the currently executing Lua script.",
			"LOAD <script>", "    Load a script into the scripts cache without executing it.",
		}), Group: "scripting", Summary: "Returns helpful text about the different subcommands.", Since: "5.0.0"},
	)
}

// evalKeys returns the declared key positions of EVAL and FCALL: numkeys
// at 2, keys after it. Bad numkeys gives none (the handler replies).
func evalKeys(args [][]byte, dst []int) []int {
	n, ok := proto.ParseInt(args[2])
	if !ok || n < 0 || n > int64(len(args)-3) {
		return dst
	}
	for i := 3; i < 3+int(n); i++ {
		dst = append(dst, i)
	}
	return dst
}

// --- the script cache ---

// luaScript is one cached script body.
type luaScript struct {
	sha      string
	body     string
	proto    *lua.FunctionProto
	noWrites bool // #!lua flags=no-writes
	shebang  bool
}

var scriptCache struct {
	mu  sync.RWMutex
	m   map[string]*luaScript
	gen atomic.Uint64
}

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

func lookupScript(sha string) *luaScript {
	scriptCache.mu.RLock()
	s := scriptCache.m[sha]
	scriptCache.mu.RUnlock()
	return s
}

// loadScript compiles body and adds it to the cache (if not there). It
// returns the script or Redis's error text.
func loadScript(body []byte) (*luaScript, string) {
	sha := sha1Hex(body)
	if s := lookupScript(sha); s != nil {
		return s, ""
	}
	s := &luaScript{sha: sha, body: string(body)}
	code := s.body
	if strings.HasPrefix(code, "#!") {
		nl := strings.IndexByte(code, '\n')
		if nl < 0 {
			return nil, "ERR Invalid script shebang"
		}
		if msg := s.parseShebang(code[:nl]); msg != "" {
			return nil, msg
		}
		// Keep the newline so line numbers stay those of the body.
		code = code[nl:]
	}
	p, err := luaCompile(code, "user_script")
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + err.Error()
	}
	s.proto = p
	scriptCache.mu.Lock()
	if scriptCache.m == nil {
		scriptCache.m = map[string]*luaScript{}
	}
	if old := scriptCache.m[sha]; old != nil {
		s = old
	} else {
		scriptCache.m[sha] = s
	}
	scriptCache.mu.Unlock()
	return s, ""
}

// parseShebang reads "#!lua [flags=a,b]" (the first line of a body).
func (s *luaScript) parseShebang(line string) string {
	parts, ok := splitArgs(line)
	if !ok || len(parts) == 0 {
		return "ERR Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return "ERR Unexpected engine in script shebang: " + parts[0]
	}
	s.shebang = true
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "flags=") {
			return "ERR Unknown lua shebang option: " + p
		}
		if p == "flags=" {
			continue
		}
		for _, f := range strings.Split(p[len("flags="):], ",") {
			switch f {
			case "no-writes":
				s.noWrites = true
			case "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys":
			default:
				return "ERR Unexpected flag in script shebang: " + f
			}
		}
	}
	return ""
}

// flushScripts empties the cache.
func flushScripts() {
	scriptCache.mu.Lock()
	scriptCache.m = nil
	scriptCache.gen.Add(1)
	scriptCache.mu.Unlock()
	flushVMs()
}

// fn returns the state's closure for s, making it on first use.
func (vm *luaVM) scriptFn(s *luaScript) *lua.LFunction {
	if g := scriptCache.gen.Load(); g != vm.gen || len(vm.fns) > 4096 {
		clear(vm.fns)
		vm.gen = g
	}
	fn := vm.fns[s]
	if fn == nil {
		fn = vm.L.NewFunctionFromProto(s.proto)
		vm.fns[s] = fn
	}
	return fn
}

// --- EVAL ---

func cmdEval(c *Ctx)      { evalGeneric(c, false, false) }
func cmdEvalSha(c *Ctx)   { evalGeneric(c, true, false) }
func cmdEvalRO(c *Ctx)    { evalGeneric(c, false, true) }
func cmdEvalShaRO(c *Ctx) { evalGeneric(c, true, true) }

// numKeysErr checks numkeys against the arguments of EVAL and FCALL.
func numKeysErr(n int64, args int) string {
	switch {
	case n > int64(args-3):
		return "ERR Number of keys can't be greater than number of args"
	case n < 0:
		return "ERR Number of keys can't be negative"
	}
	return ""
}

// EVAL script numkeys [key ...] [arg ...]
func evalGeneric(c *Ctx, bySha, ro bool) {
	outStart := len(c.Out)
	n, ok := proto.ParseInt(c.Args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if msg := numKeysErr(n, len(c.Args)); msg != "" {
		c.Err(msg)
		return
	}
	var s *luaScript
	if bySha {
		sha := strings.ToLower(string(c.Args[1]))
		if len(sha) == 40 {
			s = lookupScript(sha)
		}
		if s == nil {
			c.Err("NOSCRIPT No matching script. Please use EVAL.")
			return
		}
	} else {
		var msg string
		if s, msg = loadScript(c.Args[1]); s == nil {
			c.Err(msg)
			return
		}
	}
	if ro && s.shebang && !s.noWrites {
		c.Err("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	keys := c.Args[3 : 3+n]
	args := c.Args[3+n:]
	vm := getVM()
	run := &luaRun{vm: vm, c: c, name: s.sha, isEval: true, readOnly: ro || s.noWrites, db: c.S.eng.LogicalDB(c.DB)}
	done := run.call(vm.scriptFn(s), keys, args)
	putVM(vm)
	if !done {
		retryOrFail(c, outStart)
	}
}

// retryOrFail asks the dispatcher to run the command again with every
// shard held, or replies why it cannot.
func retryOrFail(c *Ctx, outStart int) {
	if c.RetryWithAllShards(outStart) {
		return
	}
	c.Out = c.Out[:outStart]
	c.Err(errScriptUndeclared)
}

// --- SCRIPT ---

// scriptHelp is helpHandler with the last line as SCRIPT HELP and FUNCTION
// HELP word it.
func scriptHelp(name string, lines []string) func(c *Ctx) {
	return func(c *Ctx) {
		all := append([]string{name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"}, lines...)
		all = append(all, "HELP", "    Prints this help.")
		c.Array(len(all))
		for _, l := range all {
			c.Status(l)
		}
	}
}

func cmdScriptLoad(c *Ctx) {
	s, msg := loadScript(c.Args[2])
	if s == nil {
		c.Err(msg)
		return
	}
	c.BulkStr(s.sha)
}

func cmdScriptExists(c *Ctx) {
	c.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if lookupScript(strings.ToLower(string(a))) != nil {
			c.Int(1)
		} else {
			c.Int(0)
		}
	}
}

func cmdScriptFlush(c *Ctx) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !c.is(2, "sync") && !c.is(2, "async")) {
		c.Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	flushScripts()
	c.OK()
}

func cmdScriptKill(c *Ctx) {
	if r := killScripts(true); r == "+OK" {
		c.OK()
	} else {
		c.Err(r)
	}
}

func cmdScriptDebug(c *Ctx) {
	switch {
	case c.is(2, "no"):
		c.OK()
	case c.is(2, "yes"), c.is(2, "sync"):
		c.Err("ERR The Lua debugger (SCRIPT DEBUG YES|SYNC) is not supported by DiskDB")
	default:
		c.Err("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}
