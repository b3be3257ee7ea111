package command

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/diskdb/diskdb/proto"
)

// The redis library of scripts (redis.call, redis.pcall ...) and the run
// of one script or function: commands called from Lua go through the same
// handlers as clients' commands, against the script's own store view.

// Errors of scripts, worded as redis-server 7.0.
const (
	errScriptNoArgs     = "Please specify at least one argument for this redis lib call"
	errScriptArgType    = "Lua redis lib command arguments must be strings or integers"
	errScriptUnknownCmd = "Unknown Redis command called from script"
	errScriptArity      = "Wrong number of args calling Redis command from script"
	errScriptNoScript   = "This Redis command is not allowed from script"
	errScriptReadOnly   = "Write commands are not allowed from read-only scripts."
	errScriptUndeclared = "ERR Script accessed a key that was not declared in its keys arguments, and the script could not be re-run with every key available (it had already written a large change). Declare every key the script uses."
	errBusyEval         = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction     = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNotBusy          = "NOTBUSY No scripts in execution right now."
	errUnkillable       = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)

// Version numbers scripts see.
const redisVersionNum = 7<<16 | 0<<8 | 15

// scriptDenied are the commands redis-server 7.0 flags noscript; the check
// does not depend on every command file setting FlagNoScript.
var scriptDenied = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`acl|cat acl|deluser acl|dryrun acl|genpass acl|getuser acl|list acl|load acl|log
		acl|save acl|setuser acl|users acl|whoami auth bgrewriteaof bgsave blmove blpop brpop brpoplpush bzpopmax
		bzpopmin client|caching client|getname client|getredir client|id client|info client|kill client|list
		client|no-evict client|no-touch client|pause client|reply client|setname client|setinfo client|tracking client|trackinginfo
		client|unblock client|unpause cluster|reset config|get config|resetstat config|rewrite config|set debug discard
		eval eval_ro evalsha evalsha_ro exec failover fcall fcall_ro function|delete function|dump function|flush
		function|kill function|list function|load function|restore function|stats hello latency|doctor latency|graph
		latency|histogram latency|history latency|latest latency|reset module|list module|load module|loadex
		module|unload monitor multi psubscribe psync punsubscribe quit replconf replicaof reset role save script|debug
		script|exists script|flush script|kill script|load shutdown slaveof ssubscribe subscribe sunsubscribe sync
		unsubscribe unwatch wait watch`) {
		scriptDenied[n] = true
	}
}

// mayReplicate are commands a read-only script may not call although they
// are not writes (Redis's may-replicate flag).
var mayReplicate = map[string]bool{"publish": true, "spublish": true, "pfcount": true}

// luaRun is one script or function invocation.
type luaRun struct {
	vm       *luaVM
	c        *Ctx   // the EVAL or FCALL command
	name     string // sha1 or function name, for error replies
	isEval   bool
	readOnly bool
	db       int  // logical (SELECT); mapped to the physical db per command (SWAPDB)
	resp3    bool // redis.setresp(3)
	start    time.Time

	dirty  atomic.Bool // a write command ran: SCRIPT KILL refuses
	killed atomic.Bool
	retry  bool // a command needed a shard the Tx does not hold

	busy  bool // past busy-reply-threshold (registry lock)
	timer *time.Timer

	deferred []func() // side effects done once the run is final
	argBuf   []byte
	argv     [][]byte
	out      []byte
	sub      Ctx
}

var errRunAborted = errors.New("script aborted to run again with every key")

// --- the registry of running scripts (SCRIPT KILL, BUSY) ---

var running struct {
	mu   sync.Mutex
	runs map[*luaRun]struct{}
}

// busyScripts counts runs past busy-reply-threshold: while it is above
// zero other clients' commands get -BUSY.
var busyScripts atomic.Int32

// busyReplyMs is busy-reply-threshold in milliseconds (0: never busy).
var busyReplyMs atomic.Int64

func init() { busyReplyMs.Store(5000) }

func (run *luaRun) register() {
	running.mu.Lock()
	if running.runs == nil {
		running.runs = map[*luaRun]struct{}{}
	}
	running.runs[run] = struct{}{}
	running.mu.Unlock()
	if ms := busyReplyMs.Load(); ms > 0 {
		run.timer = time.AfterFunc(time.Duration(ms)*time.Millisecond, run.markBusy)
	}
}

func (run *luaRun) markBusy() {
	running.mu.Lock()
	if _, ok := running.runs[run]; ok && !run.busy {
		run.busy = true
		busyScripts.Add(1)
		run.c.S.log.Warn("slow script detected: still in execution after busy-reply-threshold", "script", run.name, "ms", time.Since(run.start).Milliseconds())
	}
	running.mu.Unlock()
}

func (run *luaRun) unregister() {
	if run.timer != nil {
		run.timer.Stop()
		run.timer = nil
	}
	running.mu.Lock()
	delete(running.runs, run)
	if run.busy {
		run.busy = false
		busyScripts.Add(-1)
	}
	running.mu.Unlock()
}

// busyError returns the -BUSY reply for the running busy script.
func busyError() string {
	running.mu.Lock()
	defer running.mu.Unlock()
	for run := range running.runs {
		if run.busy && !run.isEval {
			return errBusyFunction
		}
	}
	return errBusyEval
}

// killScripts is SCRIPT KILL (eval) and FUNCTION KILL: it stops the
// scripts past busy-reply-threshold that have not written (Redis can only
// answer these commands while a script is busy).
func killScripts(eval bool) string {
	running.mu.Lock()
	defer running.mu.Unlock()
	reply := errNotBusy
	for run := range running.runs {
		if !run.busy {
			continue
		}
		switch {
		case run.dirty.Load():
			reply = errUnkillable
		case run.isEval != eval:
			if reply == errNotBusy {
				if eval {
					reply = errBusyFunction
				} else {
					reply = errBusyEval
				}
			}
		case run.killed.CompareAndSwap(false, true):
			run.vm.stop(errors.New(errLuaKilled))
			return "+OK"
		}
	}
	return reply
}

// --- running ---

// call runs fn (a compiled script, or a function with its keys and args)
// and appends its reply to c.Out. It returns false when the run must be
// repeated with every shard held (the caller asks the dispatcher).
func (run *luaRun) call(fn *lua.LFunction, keys, args [][]byte) bool {
	vm := run.vm
	L := vm.L
	vm.run = run
	run.start = time.Now()
	run.register()
	L.Push(fn)
	var err error
	if run.isEval {
		vm.real.RawSetString("KEYS", luaStringArray(L, keys))
		vm.real.RawSetString("ARGV", luaStringArray(L, args))
		err = L.PCall(0, 1, vm.handler)
	} else {
		vm.real.RawSetString("KEYS", lua.LNil)
		vm.real.RawSetString("ARGV", lua.LNil)
		L.Push(luaStringArray(L, keys))
		L.Push(luaStringArray(L, args))
		err = L.PCall(2, 1, vm.handler)
	}
	run.unregister()
	if run.killed.Load() || run.retry {
		vm.renew = true
	}
	if run.retry {
		if err == nil {
			L.Pop(1)
		}
		return false
	}
	c := run.c
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			obj = ae.Object
		}
		c.Err(run.errorReply(obj))
	} else {
		v := L.Get(-1)
		L.Pop(1)
		c.Out = luaToResp(c.Out, v, c.RESP3, run.resp3, 0)
	}
	for _, f := range run.deferred {
		f()
	}
	return true
}

// errorReply formats the error a run ended with, as luaCallFunction does.
func (run *luaRun) errorReply(obj lua.LValue) string {
	t, ok := obj.(*lua.LTable)
	if !ok {
		return "ERR Error running script " + run.name + ", " + clip(luaToString(obj), 100)
	}
	msg, ok := t.RawGetString("err").(lua.LString)
	if !ok {
		if n, isNum := t.RawGetString("err").(lua.LNumber); isNum {
			msg, ok = lua.LString(luaNumberString(float64(n))), true
		}
	}
	if !ok {
		msg = "ERR unknown error"
	}
	out := string(msg)
	src, okS := luaStringish(t.RawGetString("source"))
	line, okL := luaStringish(t.RawGetString("line"))
	if okS && okL {
		out += " script: " + run.name + ", on " + src + ":" + line + "."
	}
	return out
}

// luaStringish returns v as lua_isstring/lua_tostring see it.
func luaStringish(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return luaNumberString(float64(x)), true
	}
	return "", false
}

// errorHandler is __redis__err__handler: it turns the error into a table
// {err=..., source=..., line=...} naming where the script failed.
func (vm *luaVM) errorHandler(L *lua.LState) int {
	obj := L.Get(1)
	run := vm.run
	var t *lua.LTable
	switch {
	case run != nil && run.killed.Load():
		t = L.NewTable()
		t.RawSetString("err", lua.LString(errLuaKilled))
	default:
		if tt, ok := obj.(*lua.LTable); ok {
			t = tt
		} else {
			msg := luaToString(obj)
			if _, isStr := obj.(lua.LString); isStr {
				msg = luaReword(msg)
			}
			t = L.NewTable()
			t.RawSetString("err", lua.LString("ERR "+msg))
		}
	}
	for lv := 1; ; lv++ {
		dbg, ok := L.GetStack(lv)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		src := "@" + dbg.Source
		if name, ok := vm.chunkNames[dbg.Source]; ok {
			src = name
		}
		t.RawSetString("source", lua.LString(src))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// luaStringArray builds a Lua array of strings (KEYS, ARGV).
func luaStringArray(L *lua.LState, a [][]byte) *lua.LTable {
	t := L.CreateTable(len(a), 0)
	for i, s := range a {
		t.RawSetInt(i+1, lua.LString(s))
	}
	return t
}

// --- the redis table ---

func (vm *luaVM) newRedisLib() *lua.LTable {
	L := vm.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":    func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall":   func(L *lua.LState) int { return vm.redisCall(L, false) },
		"log":     vm.redisLog,
		"setresp": vm.redisSetResp,
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaRaiseErr(L, "wrong number of arguments")
			}
			s, _ := luaStringish(L.Get(1))
			sum := sha1.Sum([]byte(s))
			L.Push(lua.LString(hex.EncodeToString(sum[:])))
			return 1
		},
		"error_reply": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				L.Push(luaErrTable(L, "wrong number or type of arguments"))
				return 1
			}
			if !strings.HasPrefix(string(s), "-") {
				s = "-" + s
			}
			L.Push(luaErrTable(L, string(s)))
			return 1
		},
		"status_reply": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				L.Push(luaErrTable(L, "wrong number or type of arguments"))
				return 1
			}
			r := L.NewTable()
			r.RawSetString("ok", s)
			L.Push(r)
			return 1
		},
		"set_repl": func(L *lua.LState) int {
			if vm.run == nil {
				luaRaiseErr(L, "redis.set_repl can only be called inside a script invocation")
			}
			if L.GetTop() != 1 {
				luaRaiseErr(L, "redis.set_repl() requires two arguments.")
			}
			if f := int(L.ToNumber(1)); f&^3 != 0 {
				luaRaiseErr(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
			}
			return 0
		},
		"replicate_commands": func(L *lua.LState) int {
			L.Push(lua.LTrue)
			return 1
		},
		"breakpoint": func(L *lua.LState) int {
			L.Push(lua.LFalse)
			return 1
		},
		"debug": func(L *lua.LState) int { return 0 },
		"acl_check_cmd": func(L *lua.LState) int {
			if vm.run == nil {
				luaRaiseErr(L, "redis.acl_check_cmd can only be called inside a script invocation")
			}
			args, _, msg := luaCommandArgs(L, nil, nil)
			if msg != "" {
				luaRaiseErr(L, msg)
			}
			if spec, _ := lookup(args[0], nil); spec == nil {
				luaRaiseErr(L, "Invalid command passed to redis.acl_check_cmd()")
			}
			L.Push(lua.LTrue)
			return 1
		},
	}
	for n, f := range fns {
		t.RawSetString(n, L.NewFunction(f))
	}
	luaSetLogLevels(t)
	t.RawSetString("REDIS_VERSION", lua.LString(Version))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	for n, v := range map[string]int{"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		t.RawSetString(n, lua.LNumber(v))
	}
	return t
}

func luaSetLogLevels(t *lua.LTable) {
	for i, n := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		t.RawSetString(n, lua.LNumber(i))
	}
}

// luaErrTable builds an error table as luaPushErrorBuff does: "-CODE msg"
// keeps its code, anything else gets ERR.
func luaErrTable(L *lua.LState, s string) *lua.LTable {
	code := "ERR"
	msg := s
	if strings.HasPrefix(s, "-") {
		if i := strings.IndexByte(s, ' '); i < 0 {
			msg = s[1:]
		} else {
			code, msg = s[1:i], s[i+1:]
		}
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// luaRaiseErr raises an error table built from msg.
func luaRaiseErr(L *lua.LState, msg string) {
	L.Error(luaErrTable(L, msg), 1)
}

// redis.log(level, message ...): logged once the script has finished.
func (vm *luaVM) redisLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		luaRaiseErr(L, "redis.log() requires two arguments or more.")
	}
	lvl, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); isStr {
			if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
				lvl, ok = lua.LNumber(f), true
			}
		}
	}
	if !ok {
		luaRaiseErr(L, "First argument must be a number (log level).")
	}
	level := int(lvl)
	if level < 0 || level > 3 {
		luaRaiseErr(L, "Invalid debug level.")
	}
	var b strings.Builder
	for j := 2; j <= n; j++ {
		s, ok := luaStringish(L.Get(j))
		if !ok {
			continue
		}
		if j != 2 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	msg := b.String()
	log := func(s *Server) {
		switch level {
		case 0, 1:
			s.log.Debug(msg, "source", "script")
		case 2:
			s.log.Info(msg, "source", "script")
		default:
			s.log.Warn(msg, "source", "script")
		}
	}
	if run := vm.run; run != nil {
		s := run.c.S
		run.deferred = append(run.deferred, func() { log(s) })
	} else if vm.loadR != nil && vm.loadR.s != nil {
		vm.loadR.logs = append(vm.loadR.logs, func() { log(vm.loadR.s) })
	}
	return 0
}

func (vm *luaVM) redisSetResp(L *lua.LState) int {
	run := vm.run
	if run == nil {
		luaRaiseErr(L, "redis.setresp can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		luaRaiseErr(L, "redis.setresp() requires one argument.")
	}
	switch int(L.ToNumber(1)) {
	case 2:
		run.resp3 = false
	case 3:
		run.resp3 = true
	default:
		luaRaiseErr(L, "RESP version must be 2 or 3.")
	}
	return 0
}

// luaCommandArgs converts the Lua arguments of redis.call into argv, in
// buf and dst (reused); numbers are written with %.17g. It returns Redis's
// error text on bad arguments.
func luaCommandArgs(L *lua.LState, buf []byte, dst [][]byte) ([][]byte, []byte, string) {
	n := L.GetTop()
	if n == 0 {
		return dst, buf, errScriptNoArgs
	}
	buf = buf[:0]
	dst = dst[:0]
	for i := 1; i <= n; i++ {
		start := len(buf)
		switch v := L.Get(i).(type) {
		case lua.LString:
			buf = append(buf, v...)
		case lua.LNumber:
			buf = proto.AppendFloat(buf, float64(v))
		default:
			return dst, buf, errScriptArgType
		}
		// Offsets now, slices once buf has stopped moving.
		dst = append(dst, buf[start:len(buf):len(buf)])
	}
	start := 0
	for i, a := range dst {
		end := start + len(a)
		dst[i] = buf[start:end:end]
		start = end
	}
	return dst, buf, ""
}

// redisCall is redis.call (raise) and redis.pcall.
func (vm *luaVM) redisCall(L *lua.LState, raise bool) int {
	run := vm.run
	if run == nil {
		luaRaiseErr(L, "redis.call/pcall can only be called inside a script invocation")
	}
	if run.retry {
		L.RaiseError("%s", errRunAborted.Error())
	}
	args, buf, msg := luaCommandArgs(L, run.argBuf, run.argv)
	run.argv, run.argBuf = args, buf
	var reply []byte
	if msg == "" {
		reply, msg = run.exec(args)
		if run.retry {
			vm.stop(errRunAborted)
			L.RaiseError("%s", errRunAborted.Error())
		}
	}
	L.SetTop(0)
	if msg != "" {
		t := luaErrTable(L, msg)
		if raise {
			L.Error(t, 1)
		}
		L.Push(t)
		return 1
	}
	v, _, err := respToLua(L, reply)
	if err != nil {
		luaRaiseErr(L, "ERR invalid reply from command")
	}
	if raise && len(reply) > 0 && reply[0] == '-' {
		L.Error(v, 1)
	}
	L.Push(v)
	return 1
}

// exec runs one command for the script. It returns the command's raw
// reply, or the error text of a call Redis refuses before running it.
func (run *luaRun) exec(args [][]byte) ([]byte, string) {
	c := run.c
	spec, _ := lookup(args[0], nil)
	if spec == nil {
		return nil, errScriptUnknownCmd
	}
	if spec.Subs != nil && (len(args) >= 2 || spec.Handler == nil) {
		if len(args) < 2 {
			return nil, errScriptArity
		}
		sub, _ := lookupSub(spec, args[1], nil)
		if sub == nil {
			return nil, errScriptUnknownCmd
		}
		spec = sub
	}
	if !spec.arityOK(len(args)) {
		return nil, errScriptArity
	}
	if spec.Flags&FlagNoScript != 0 || scriptDenied[spec.Name] {
		return nil, errScriptNoScript
	}
	write := spec.Flags&FlagWrite != 0
	if run.readOnly && (write || mayReplicate[spec.Name]) {
		return nil, errScriptReadOnly
	}
	// The script's Tx must hold every shard the command touches; a script
	// may name keys it did not declare (legal in standalone Redis): then
	// it runs again with every shard held.
	cls := spec.execClass()
	var pos []int
	if cls == 0 || cls == ExecGlobal {
		pos = spec.keyPositions(args, nil)
		if cls == ExecGlobal || len(pos) == 0 {
			if !run.holdsAll() {
				run.retry = true
				return nil, ""
			}
		}
		for _, p := range pos {
			if p < len(args) && !c.HoldsKey(args[p]) {
				run.retry = true
				return nil, ""
			}
		}
	}
	if write {
		run.dirty.Store(true)
	}
	switch spec.Name {
	case "select":
		return run.selectDB(args), ""
	case "publish", "spublish":
		return run.publish(args, spec.Name == "spublish"), ""
	}
	sub := &run.sub
	*sub = Ctx{S: c.S, Cl: c.Cl, Spec: spec, Args: args, DB: c.S.eng.PhysDB(run.db), Tx: c.Tx, Out: run.out[:0], RESP3: run.resp3, InExec: true}
	c.S.call(sub)
	run.out = sub.Out
	return sub.Out, ""
}

func (run *luaRun) holdsAll() bool {
	tx := run.c.Tx
	if tx == nil {
		return false
	}
	n := run.c.S.eng.Shards()
	for i := 0; i < n; i++ {
		if !tx.Holds(i) {
			return false
		}
	}
	return true
}

// selectDB is SELECT inside a script: it changes the script's database for
// the rest of the script, never the caller's.
func (run *luaRun) selectDB(args [][]byte) []byte {
	n, ok := proto.ParseInt(args[1])
	switch {
	case !ok:
		return proto.AppendError(run.out[:0], errNotInt)
	case n < 0 || n >= int64(run.c.S.eng.Databases()):
		return proto.AppendError(run.out[:0], errDBIndex)
	}
	run.db = int(n)
	return proto.AppendOK(run.out[:0])
}

// publish counts the receivers now and delivers the message once the run
// is final, so that a re-run never delivers it twice.
func (run *luaRun) publish(args [][]byte, shard bool) []byte {
	ch := append([]byte(nil), args[1]...)
	msg := append([]byte(nil), args[2]...)
	n := publishReceivers(ch, shard)
	run.deferred = append(run.deferred, func() { publish(ch, msg, shard) })
	return proto.AppendInt(run.out[:0], int64(n))
}

// publishReceivers counts who would receive a message on channel.
func publishReceivers(channel []byte, shard bool) int {
	h := &pubsub
	h.mu.RLock()
	defer h.mu.RUnlock()
	if shard {
		return len(h.shardChs[string(channel)])
	}
	n := len(h.channels[string(channel)])
	if h.npat.Load() > 0 {
		for pat, set := range h.patterns {
			if storeMatch([]byte(pat), channel, false) {
				n += len(set)
			}
		}
	}
	return n
}

// gopher-lua words some runtime errors its own way; luaReword gives them
// Lua 5.1's wording (without the variable names Lua adds when it knows
// them, as Lua does for temporaries).
var luaRewords = []struct {
	re  *regexp.Regexp
	fix func(m []string) string
}{
	{regexp.MustCompile(`^cannot perform concat operation between (\w+) and (\w+)$`), func(m []string) string {
		t := m[1]
		if t == "string" || t == "number" {
			t = m[2]
		}
		return "attempt to concatenate a " + t + " value"
	}},
	{regexp.MustCompile(`^cannot perform \w+ operation between (\w+) and (\w+)$`), func(m []string) string {
		t := m[1]
		if t == "number" {
			t = m[2]
		}
		return "attempt to perform arithmetic on a " + t + " value"
	}},
	{regexp.MustCompile(`^attempt to index a non-table object\((\w+)\) with key '.*'$`), func(m []string) string {
		return "attempt to index a " + m[1] + " value"
	}},
	{regexp.MustCompile(`^attempt to call a non-function object$`), func([]string) string {
		return "attempt to call a nil value"
	}},
	{regexp.MustCompile(`^attempt to compare (\w+) with (\w+)$`), func(m []string) string {
		if m[1] == m[2] {
			return "attempt to compare two " + m[1] + " values"
		}
		return "attempt to compare " + m[1] + " with " + m[2]
	}},
	{regexp.MustCompile(`^__unm undefined$`), func([]string) string { return "attempt to perform arithmetic on a nil value" }},
	{regexp.MustCompile(`^__len undefined$`), func([]string) string { return "attempt to get length of a nil value" }},
	{regexp.MustCompile(`^for statement init must be a number$`), func([]string) string { return "'for' initial value must be a number" }},
	{regexp.MustCompile(`^for statement limit must be a number$`), func([]string) string { return "'for' limit must be a number" }},
	{regexp.MustCompile(`^for statement step must be a number$`), func([]string) string { return "'for' step must be a number" }},
}

func luaReword(msg string) string {
	pos := ""
	body := msg
	// "user_script:3: message"
	if i := strings.Index(msg, ": "); i > 0 && strings.Count(msg[:i], ":") == 1 {
		pos, body = msg[:i+2], msg[i+2:]
	}
	for _, r := range luaRewords {
		if m := r.re.FindStringSubmatch(body); m != nil {
			return pos + r.fix(m)
		}
	}
	return msg
}
