package command

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/tuning"
)

// Server commands: INFO, CONFIG, persistence (SAVE, BGSAVE, LASTSAVE,
// SHUTDOWN), TIME, DEBUG and SLOWLOG.

func init() {
	adm := FlagAdmin | FlagNoScript | FlagLoading | FlagStale
	register(
		&Spec{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale | ExecAfter, ACL: []string{"dangerous"}, Handler: cmdInfo, Group: "server", Summary: "Returns information and statistics about the server.", Since: "1.0.0"},
		&Spec{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdTime, Group: "server", Summary: "Returns the server time.", Since: "2.6.0"},
		&Spec{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, ACL: []string{"admin", "dangerous"}, Handler: cmdLastSave, Group: "server", Summary: "Returns the Unix timestamp of the last successful save to disk.", Since: "1.0.0"},
		&Spec{Name: "save", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | FlagNoMulti | ExecBackground, Handler: cmdSave, Group: "server", Summary: "Synchronously saves the database (a RocksDB checkpoint) to disk.", Since: "1.0.0"},
		&Spec{Name: "bgsave", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | ExecAfter, Handler: cmdBgSave, Group: "server", Summary: "Asynchronously saves the database (a RocksDB checkpoint) to disk.", Since: "1.0.0"},
		&Spec{Name: "shutdown", Arity: -1, Flags: adm | FlagNoMulti | FlagAllowBusy | ExecBackground, Handler: cmdShutdown, Group: "server", Summary: "Synchronously saves the database(s) to disk and shuts down the server.", Since: "1.0.0"},
		&Spec{Name: "debug", Arity: -2, Flags: adm | ExecBackground, Handler: cmdDebug, Group: "server", Summary: "A container for debugging commands.", Since: "1.0.0"},
		&Spec{Name: "config", Arity: -2, Group: "server", Summary: "A container for server configuration commands.", Since: "2.0.0"},
		&Spec{Name: "config|get", Arity: -3, Flags: adm | ExecInline, Handler: cmdConfigGet, Group: "server", Summary: "Returns the effective values of configuration parameters.", Since: "2.0.0"},
		&Spec{Name: "config|set", Arity: -4, Flags: adm | ExecInline, Handler: cmdConfigSet, Group: "server", Summary: "Sets configuration parameters in-flight.", Since: "2.0.0"},
		&Spec{Name: "config|resetstat", Arity: 2, Flags: adm | ExecInline, Handler: cmdConfigResetStat, Group: "server", Summary: "Resets the server's statistics.", Since: "2.0.0"},
		&Spec{Name: "config|rewrite", Arity: 2, Flags: adm | ExecInline, Handler: cmdConfigRewrite, Group: "server", Summary: "Persists the effective configuration to file.", Since: "2.8.0"},
		&Spec{Name: "config|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: helpHandler("CONFIG", []string{
			"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
			"RESETSTAT", "    Reset statistics reported by the INFO command.",
			"REWRITE", "    Rewrite the configuration file.",
		}), Group: "server", Summary: "Returns helpful text about the different subcommands.", Since: "5.0.0"},
		&Spec{Name: "slowlog", Arity: -2, Group: "server", Summary: "A container for slow log commands.", Since: "2.2.12"},
		&Spec{Name: "slowlog|get", Arity: -2, Flags: FlagAdmin | FlagLoading | FlagStale | ExecInline, Handler: cmdSlowlogGet, Group: "server", Summary: "Returns the slow log's entries.", Since: "2.2.12"},
		&Spec{Name: "slowlog|len", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale | ExecInline, Handler: cmdSlowlogLen, Group: "server", Summary: "Returns the number of entries in the slow log.", Since: "2.2.12"},
		&Spec{Name: "slowlog|reset", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale | ExecInline, Handler: cmdSlowlogReset, Group: "server", Summary: "Clears all entries from the slow log.", Since: "2.2.12"},
		&Spec{Name: "slowlog|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: helpHandler("SLOWLOG", []string{
			"GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
			"    Entries are made of:",
			"    id, timestamp, time in microseconds, arguments array, client IP and port,",
			"    client name",
			"LEN", "    Return the length of the slowlog.",
			"RESET", "    Reset the slowlog.",
		}), Group: "server", Summary: "Show helpful text about the different subcommands", Since: "6.2.0"},
	)
}

// adminState is the server-wide state of the commands in this file and of
// CLIENT PAUSE.
type adminState struct {
	pause pauseState

	saveMu       sync.Mutex
	saves        int64     // successful SAVE/BGSAVE since start
	lastSaveOK   bool      // rdb_last_bgsave_status
	lastSaveDur  int64     // seconds, -1 before the first
	bgStart      time.Time // zero when no BGSAVE runs
	dirtyAtSave  int64     // writeCalls() at the last save
	saveAttempts int64
	peakMemory   atomic.Int64

	rateMu            sync.Mutex
	rateAt            time.Time // last sample of the counters below
	rateCmds, rateIn  int64
	rateOut           int64
	opsSec, inB, outB float64 // rates over the last sampled interval
}

// instantaneous returns commands, input bytes and output bytes per second
// over the interval since the previous sample (taken by INFO, at most
// every 100 ms; the rates stay as they were for calls closer together).
func (s *Server) instantaneous() (ops, in, out float64) {
	a := &s.adm
	a.rateMu.Lock()
	defer a.rateMu.Unlock()
	now := time.Now()
	cmds, nin, nout := s.stats.commands.Load(), s.stats.netIn.Load(), s.stats.netOut.Load()
	if a.rateAt.IsZero() {
		a.rateAt, a.rateCmds, a.rateIn, a.rateOut = s.start, 0, 0, 0
	}
	if d := now.Sub(a.rateAt).Seconds(); d >= 0.1 {
		a.opsSec = float64(max(cmds-a.rateCmds, 0)) / d
		a.inB = float64(max(nin-a.rateIn, 0)) / d
		a.outB = float64(max(nout-a.rateOut, 0)) / d
		a.rateAt, a.rateCmds, a.rateIn, a.rateOut = now, cmds, nin, nout
	}
	return a.opsSec, a.inB, a.outB
}

// helpHandler replies a HELP text the way redis-server formats one.
func helpHandler(name string, lines []string) func(c *Ctx) {
	return func(c *Ctx) {
		c.Array(len(lines) + 3)
		c.Status(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
		for _, l := range lines {
			c.Status(l)
		}
		c.Status("HELP")
		c.Status("    Prints this help.")
	}
}

// TIME
func cmdTime(c *Ctx) {
	now := time.Now()
	c.Array(2)
	c.BulkInt(now.Unix())
	c.BulkInt(int64(now.Nanosecond() / 1000))
}

// --- persistence ---

// LASTSAVE
func cmdLastSave(c *Ctx) { c.Int(c.S.eng.LastSave()) }

// writeCalls counts the successful calls of write commands: the "changes"
// of INFO persistence.
func writeCalls() int64 {
	var n int64
	var walk func(sp *Spec)
	walk = func(sp *Spec) {
		if sp.Flags&FlagWrite != 0 {
			n += sp.stats.calls.Load() - sp.stats.failed.Load()
		}
		for _, sub := range sp.Subs {
			walk(sub)
		}
	}
	for _, sp := range table {
		walk(sp)
	}
	return n
}

// save writes a checkpoint to <dir>/checkpoint and records the outcome.
func (s *Server) save() error {
	start := time.Now()
	dirty := writeCalls()
	err := s.eng.Save()
	a := &s.adm
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	a.saveAttempts++
	if err == nil {
		a.saves++
		a.dirtyAtSave = dirty
		a.lastSaveOK = true
		a.lastSaveDur = int64(time.Since(start) / time.Second)
	} else if err.Error() != errBgSaveInProgress {
		a.lastSaveOK = false
	}
	return err
}

const errBgSaveInProgress = "ERR Background save already in progress"

// SAVE
func cmdSave(c *Ctx) {
	if err := c.S.save(); err != nil {
		c.StoreErr(err)
		return
	}
	c.OK()
}

// BGSAVE [SCHEDULE]
func cmdBgSave(c *Ctx) {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.is(1, "schedule")) {
		c.Err(errSyntax)
		return
	}
	a := &c.S.adm
	a.saveMu.Lock()
	if !a.bgStart.IsZero() || c.S.eng.Saving() {
		a.saveMu.Unlock()
		c.Err(errBgSaveInProgress)
		return
	}
	a.bgStart = time.Now()
	a.saveMu.Unlock()
	s := c.S
	go func() {
		if err := s.save(); err != nil {
			s.log.Error("background save failed", "err", err)
		}
		a.saveMu.Lock()
		a.bgStart = time.Time{}
		a.saveMu.Unlock()
	}()
	c.Status("Background saving started")
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. DiskDB's data is always on
// disk; SAVE also writes a checkpoint first. NOW and FORCE are accepted:
// there are no replicas to wait for, and a failed save without FORCE
// cancels the shutdown as in Redis.
func cmdShutdown(c *Ctx) {
	var nosave, save, force, abort, other bool
	for i := 1; i < len(c.Args); i++ {
		switch {
		case c.is(i, "nosave"):
			nosave = true
		case c.is(i, "save"):
			save = true
		case c.is(i, "now"):
			other = true
		case c.is(i, "force"):
			force, other = true, true
		case c.is(i, "abort"):
			abort = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	if (abort && (nosave || save || other)) || (nosave && save) {
		c.Err(errSyntax)
		return
	}
	if abort {
		c.Err("ERR No shutdown in progress.")
		return
	}
	if c.S.Shutdown == nil {
		c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	if save {
		if err := c.S.save(); err != nil && !force {
			c.S.log.Error("error trying to save the DB, can't exit", "err", err)
			c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	c.S.log.Info("user requested shutdown", "client", c.Cl.addr)
	c.Cl.closing = true
	go c.S.Shutdown()
}

// --- DEBUG ---

// debugAllowed applies enable-debug-command: no, yes, or local (loopback
// clients only).
func (c *Ctx) debugAllowed() bool {
	switch c.S.cfg.Get("enable-debug-command") {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.Cl.addr)
		if err != nil {
			return true // a unix socket
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// DEBUG SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 | HELP. Only what tests of
// Redis-compatible software commonly need; SLEEP delays the calling client
// only, not the whole server.
func cmdDebug(c *Ctx) {
	if !c.debugAllowed() {
		c.Err(`ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`)
		return
	}
	switch {
	case len(c.Args) == 2 && c.is(1, "help"):
		helpHandler("DEBUG", []string{
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop this connection for <seconds>. Decimals allowed.",
		})(c)
	case len(c.Args) == 3 && c.is(1, "sleep"):
		if d := atof(c.Args[2]); d > 0 {
			time.Sleep(time.Duration(d * float64(time.Second)))
		}
		c.OK()
	case len(c.Args) == 3 && c.is(1, "set-active-expire"):
		c.S.eng.SetActiveExpire(atoi(c.Args[2]) != 0)
		c.OK()
	default:
		c.Err(errSubSyntax(c.Args[1], "DEBUG"))
	}
}

// atof parses the longest numeric prefix of b, 0 if none (C's atof).
func atof(b []byte) float64 {
	s := strings.TrimLeft(string(b), " \t")
	for n := len(s); n > 0; n-- {
		if f, err := strconv.ParseFloat(s[:n], 64); err == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return 0
			}
			return f
		}
	}
	return 0
}

// atoi parses the leading integer of b, 0 if none (C's atoi).
func atoi(b []byte) int64 {
	s := strings.TrimLeft(string(b), " \t")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

// --- CONFIG ---

// CONFIG GET parameter [parameter ...]
func cmdConfigGet(c *Ctx) {
	type kv struct{ k, v string }
	var out []kv
	seen := map[string]bool{}
	add := func(name string, p *Param) {
		if seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		out = append(out, kv{name, c.S.cfg.Get(p.Name)})
	}
	for _, pat := range c.Args[2:] {
		if !strings.ContainsAny(string(pat), "[*?") {
			if p := paramIndex[lower(pat)]; p != nil {
				add(string(pat), p)
			}
			continue
		}
		for _, p := range params {
			for _, n := range append([]string{p.Name}, p.Aliases...) {
				if storeMatch(pat, []byte(n), true) {
					add(n, p)
				}
			}
		}
	}
	c.Map(len(out))
	for _, e := range out {
		c.BulkStr(e.k)
		c.BulkStr(e.v)
	}
}

// protectedConfigs may not be changed at run time (redis-server's
// enable-protected-configs is always "no" here).
var protectedConfigs = map[string]bool{"dir": true, "dbfilename": true}

// configFixups check and canonicalize values whose syntax is more than a
// number, a boolean or a word: they get the normalized value and the
// current one, and return what to store or the error text.
var configFixups = map[string]func(v, cur string) (string, string){
	"hz": func(v, _ string) (string, string) {
		n, _ := strconv.ParseInt(v, 10, 64)
		return strconv.FormatInt(min(max(n, 1), 500), 10), ""
	},
	"save":                       fixSave,
	"notify-keyspace-events":     fixKeyspaceEvents,
	"client-output-buffer-limit": fixOutputBufferLimit,
}

// fixSave validates "seconds changes [seconds changes ...]" (single
// spaces, as redis-server splits it).
func fixSave(v, _ string) (string, string) {
	if v == "" {
		return "", ""
	}
	f := strings.Split(v, " ")
	if len(f)%2 != 0 {
		return "", "Invalid save parameters"
	}
	for i, x := range f {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil || (i%2 == 0 && n < 1) || (i%2 == 1 && n < 0) {
			return "", "Invalid save parameters"
		}
		f[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(f, " "), ""
}

// Keyspace event classes, in the order redis-server prints them.
const (
	keAll      = "g$lshzxetd"
	keyClasses = "g$lshzxetdn"
)

// fixKeyspaceEvents validates notify-keyspace-events and writes it as
// redis-server does (A for all classes, then K, E, m).
func fixKeyspaceEvents(v, _ string) (string, string) {
	set := map[byte]bool{}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch == 'A':
			for j := 0; j < len(keAll); j++ {
				set[keAll[j]] = true
			}
		case strings.IndexByte(keyClasses+"KEm", ch) >= 0:
			set[ch] = true
		default:
			return "", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
	}
	var b []byte
	all := true
	for j := 0; j < len(keAll); j++ {
		all = all && set[keAll[j]]
	}
	if all {
		b = append(b, 'A') // as in redis-server, A hides n
	} else {
		for j := 0; j < len(keyClasses); j++ {
			if set[keyClasses[j]] {
				b = append(b, keyClasses[j])
			}
		}
	}
	for _, ch := range []byte("KEm") {
		if set[ch] {
			b = append(b, ch)
		}
	}
	return string(b), ""
}

// fixOutputBufferLimit merges "class hard soft seconds ..." into the
// current limits of the three classes.
func fixOutputBufferLimit(v, cur string) (string, string) {
	classes := []string{"normal", "slave", "pubsub"}
	vals := map[string][3]int64{}
	cf := strings.Fields(cur)
	for i := 0; i+3 < len(cf); i += 4 {
		var l [3]int64
		for j := 0; j < 3; j++ {
			l[j], _ = parseMem(cf[i+1+j])
		}
		vals[cf[i]] = l
	}
	f := strings.Fields(v)
	if len(f)%4 != 0 {
		return "", "Wrong number of arguments in buffer limit configuration."
	}
	for i := 0; i < len(f); i += 4 {
		class := strings.ToLower(f[i])
		switch class {
		case "replica":
			class = "slave"
		case "normal", "slave", "pubsub":
		default:
			return "", "Invalid client class specified in buffer limit configuration."
		}
		hard, err1 := memValue(f[i+1])
		soft, err2 := memValue(f[i+2])
		secs, err3 := strconv.ParseInt(f[i+3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
			return "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		vals[class] = [3]int64{hard, soft, secs}
	}
	var parts []string
	for _, cl := range classes {
		l := vals[cl]
		parts = append(parts, fmt.Sprintf("%s %d %d %d", cl, l[0], l[1], l[2]))
	}
	return strings.Join(parts, " "), ""
}

// CONFIG SET parameter value [parameter value ...]: all or nothing, with
// redis-server 7.0's checks and error texts in its order.
func cmdConfigSet(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.Err(errSyntax)
		return
	}
	type change struct {
		p    *Param
		name string // as given
		v    string
	}
	changes := make([]change, 0, (len(c.Args)-2)/2)
	errName, errStr := "", ""
	for i := 2; i < len(c.Args); i += 2 {
		name := string(c.Args[i])
		p := paramIndex[strings.ToLower(name)]
		if p == nil {
			c.Err("ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'")
			return
		}
		switch {
		case protectedConfigs[p.Name]:
			errStr = "can't set protected config"
		case p.Immutable:
			errStr = "can't set immutable config"
		}
		for _, ch := range changes {
			if ch.p == p {
				errStr = "duplicate parameter"
			}
		}
		if errStr != "" {
			errName = name
			break
		}
		changes = append(changes, change{p, name, string(c.Args[i+1])})
	}
	if errStr == "" {
		for i := range changes {
			ch := &changes[i]
			v, err := ch.p.normalize(ch.v)
			if err == nil {
				if fix := configFixups[ch.p.Name]; fix != nil {
					var msg string
					if v, msg = fix(v, c.S.cfg.Get(ch.p.Name)); msg != "" {
						err = errors.New(msg)
					}
				}
			}
			if err != nil {
				errStr, errName = err.Error(), strings.ToLower(ch.name)
				break
			}
			ch.v = v
		}
	}
	if errStr != "" {
		c.Err("ERR CONFIG SET failed (possibly related to argument '" + errName + "') - " + errStr)
		return
	}
	for _, ch := range changes {
		_ = c.S.cfg.Set(ch.p.Name, ch.v)
		if ch.p.apply != nil {
			ch.p.apply(c.S, ch.v)
		}
	}
	c.OK()
}

// CONFIG RESETSTAT
func cmdConfigResetStat(c *Ctx) {
	c.S.resetStats()
	c.OK()
}

// CONFIG REWRITE: writes the current settings back to the file the server
// was started with (see Config.Rewrite).
func cmdConfigRewrite(c *Ctx) {
	if c.S.cfg.File() == "" {
		c.Err("ERR The server is running without a config file")
		return
	}
	if err := c.S.cfg.Rewrite(); err != nil {
		c.S.log.Error("CONFIG REWRITE failed", "err", err)
		c.Err("ERR Rewriting config file: " + err.Error())
		return
	}
	c.S.log.Info("CONFIG REWRITE executed with success.")
	c.OK()
}

func (s *Server) resetStats() {
	for _, sp := range table {
		resetSpecStats(sp)
	}
	s.errMu.Lock()
	s.errStats = map[string]*atomicInt{}
	s.errMu.Unlock()
	s.stats.commands.Store(0)
	s.stats.conns.Store(0)
	s.stats.rejected.Store(0)
	s.stats.netIn.Store(0)
	s.stats.netOut.Store(0)
	s.adm.peakMemory.Store(0)
	s.adm.saveMu.Lock()
	s.adm.dirtyAtSave = 0
	s.adm.saveMu.Unlock()
}

func resetSpecStats(sp *Spec) {
	sp.stats.calls.Store(0)
	sp.stats.usec.Store(0)
	sp.stats.failed.Store(0)
	sp.stats.rejected.Store(0)
	sp.stats.lat.reset()
	for _, sub := range sp.Subs {
		resetSpecStats(sub)
	}
}

// --- SLOWLOG ---

type slowEntry struct {
	id     int64
	at     int64
	micros int64
	args   []string
	addr   string
	name   string
}

var slowlog struct {
	mu      sync.Mutex
	entries []slowEntry // newest first
	nextID  int64
}

func (s *Server) slowlogAdd(c *Ctx, start time.Time, d time.Duration) {
	if c.Spec.Flags&FlagSkipSlowlog != 0 {
		return
	}
	max := int(s.cfg.Int("slowlog-max-len"))
	args := make([]string, 0, min(len(c.Args), 32))
	for i, a := range c.Args {
		if i == 31 && len(c.Args) > 32 {
			args = append(args, fmt.Sprintf("... (%d more arguments)", len(c.Args)-31))
			break
		}
		if redacted(c.Spec, c.Args, i) {
			args = append(args, "(redacted)")
			continue
		}
		if len(a) > 128 {
			args = append(args, fmt.Sprintf("%s... (%d more bytes)", a[:128], len(a)-128))
		} else {
			args = append(args, string(a))
		}
	}
	c.Cl.info.Lock()
	name := c.Cl.name
	c.Cl.info.Unlock()
	slowlog.mu.Lock()
	defer slowlog.mu.Unlock()
	e := slowEntry{id: slowlog.nextID, at: start.Unix(), micros: int64(d / time.Microsecond), args: args, addr: c.Cl.addr, name: name}
	slowlog.nextID++
	slowlog.entries = append([]slowEntry{e}, slowlog.entries...)
	if len(slowlog.entries) > max {
		slowlog.entries = slowlog.entries[:max]
	}
}

// SLOWLOG GET [count]
func cmdSlowlogGet(c *Ctx) {
	count := int64(10)
	if len(c.Args) == 3 {
		n, ok := parseInt(c.Args[2])
		if !ok || n < -1 {
			c.Err("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	} else if len(c.Args) > 3 {
		c.Err(errSubSyntax(c.Args[1], "SLOWLOG"))
		return
	}
	slowlog.mu.Lock()
	entries := slowlog.entries
	if count >= 0 && int(count) < len(entries) {
		entries = entries[:count]
	}
	entries = append([]slowEntry(nil), entries...)
	slowlog.mu.Unlock()
	c.Array(len(entries))
	for _, e := range entries {
		c.Array(6)
		c.Int(e.id)
		c.Int(e.at)
		c.Int(e.micros)
		c.Array(len(e.args))
		for _, a := range e.args {
			c.BulkStr(a)
		}
		c.BulkStr(e.addr)
		c.BulkStr(e.name)
	}
}

// SLOWLOG LEN
func cmdSlowlogLen(c *Ctx) {
	slowlog.mu.Lock()
	n := len(slowlog.entries)
	slowlog.mu.Unlock()
	c.Int(int64(n))
}

// SLOWLOG RESET
func cmdSlowlogReset(c *Ctx) {
	slowlog.mu.Lock()
	slowlog.entries = nil
	slowlog.mu.Unlock()
	c.OK()
}

// --- INFO ---

// infoSections lists INFO's sections in output order; rocksdb is DiskDB's.
var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
	"modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "rocksdb"}

var infoDefault = map[string]bool{"server": true, "clients": true, "memory": true, "persistence": true,
	"stats": true, "replication": true, "cpu": true, "modules": true, "errorstats": true, "cluster": true, "keyspace": true}

// INFO [section [section ...]]: sections come out in the server's order,
// each once; unknown sections are empty.
func cmdInfo(c *Ctx) {
	want := map[string]bool{}
	if len(c.Args) == 1 {
		want = infoDefault
	}
	for _, a := range c.Args[1:] {
		switch s := lower(a); s {
		case "default":
			for k := range infoDefault {
				want[k] = true
			}
		case "all", "everything":
			for _, k := range infoSections {
				want[k] = true
			}
		default:
			want[s] = true
		}
	}
	var b []byte
	for _, sec := range infoSections {
		if want[sec] {
			if len(b) > 0 {
				b = append(b, "\r\n"...)
			}
			b = c.S.infoSection(b, sec)
		}
	}
	c.Verbatim(string(b))
}

// infoWriter appends "name:value\r\n" lines.
type infoWriter struct{ b []byte }

func (w *infoWriter) kv(k string, v any) {
	w.b = append(w.b, k...)
	w.b = append(w.b, ':')
	switch x := v.(type) {
	case string:
		w.b = append(w.b, x...)
	case int:
		w.b = strconv.AppendInt(w.b, int64(x), 10)
	case int64:
		w.b = strconv.AppendInt(w.b, x, 10)
	case uint64:
		w.b = strconv.AppendUint(w.b, x, 10)
	default:
		w.b = fmt.Append(w.b, x)
	}
	w.b = append(w.b, "\r\n"...)
}

// zeros writes fields that are always 0 in DiskDB (no fork, no AOF
// rewrite, no defragmentation ...), present so that tools find them.
func (w *infoWriter) zeros(names ...string) {
	for _, n := range names {
		w.kv(n, 0)
	}
}

func (s *Server) infoSection(b []byte, sec string) []byte {
	w := &infoWriter{b: b}
	switch sec {
	case "server":
		w.b = append(w.b, "# Server\r\n"...)
		up := time.Since(s.start)
		exe, _ := os.Executable()
		w.kv("redis_version", Version)
		w.kv("diskdb_version", DiskDBVersion)
		w.kv("redis_git_sha1", "00000000")
		w.kv("redis_git_dirty", 0)
		w.kv("redis_build_id", "0")
		w.kv("redis_mode", "standalone")
		w.kv("os", osName())
		w.kv("arch_bits", strconv.IntSize)
		w.kv("monotonic_clock", "POSIX clock_gettime")
		w.kv("multiplexing_api", s.Backend)
		w.kv("atomicvar_api", "c11-builtin")
		w.kv("gcc_version", "0.0.0")
		w.kv("go_version", runtime.Version())
		w.kv("process_id", os.Getpid())
		w.kv("process_supervised", "no")
		w.kv("run_id", s.runID)
		w.kv("tcp_port", s.cfg.Get("port"))
		w.kv("server_time_usec", time.Now().UnixMicro())
		w.kv("uptime_in_seconds", int64(up/time.Second))
		w.kv("uptime_in_days", int64(up/(24*time.Hour)))
		w.kv("hz", s.cfg.Get("hz"))
		w.kv("configured_hz", s.cfg.Get("hz"))
		w.kv("lru_clock", time.Now().Unix()&(1<<24-1))
		w.kv("executable", exe)
		w.kv("config_file", s.cfg.File())
		w.kv("io_threads_active", 0)
		w.kv("io_backend", s.Backend)
		w.kv("shards", s.eng.Shards())
		w.kv("go_goroutines", runtime.NumGoroutine())
	case "clients":
		w.b = append(w.b, "# Clients\r\n"...)
		blocked, pubsubClients := 0, 0
		for _, cl := range s.clientList() {
			if cl.blocked.Load() != nil {
				blocked++
			}
			if cl.class() == classPubsub {
				pubsubClients++
			}
		}
		w.kv("connected_clients", s.ClientCount())
		w.kv("cluster_connections", 0)
		w.kv("maxclients", s.maxClients.Load())
		w.kv("client_recent_max_input_buffer", s.lim.recentMaxIn.Load())
		w.kv("client_recent_max_output_buffer", s.lim.recentMaxOut.Load())
		w.kv("blocked_clients", blocked)
		tc, _, _, _ := trackingInfo()
		w.kv("tracking_clients", tc)
		w.kv("clients_in_timeout_table", blocked)
		w.kv("pubsub_clients", pubsubClients)
		w.kv("monitor_clients", s.mon.n.Load())
	case "memory":
		w.b = append(w.b, "# Memory\r\n"...)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mem := s.memoryFigures(&ms)
		memtables, cache, used, peak := mem.memtables, mem.cache, mem.used, mem.peak
		clientsNormal, clientsPubsub := s.clientMemory()
		rss := readRSS()
		sys := totalSystemMemory()
		maxmem := s.cfg.Int("maxmemory")
		w.kv("used_memory", used)
		w.kv("used_memory_human", humanBytes(used))
		w.kv("used_memory_rss", rss)
		w.kv("used_memory_rss_human", humanBytes(rss))
		w.kv("used_memory_peak", peak)
		w.kv("used_memory_peak_human", humanBytes(peak))
		w.kv("used_memory_peak_perc", fmt.Sprintf("%.2f%%", 100*float64(used)/float64(max(peak, 1))))
		w.kv("used_memory_overhead", int64(ms.HeapAlloc))
		w.kv("used_memory_startup", 0)
		w.kv("used_memory_dataset", cache+memtables)
		w.kv("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", 100*float64(cache+memtables)/float64(max(used, 1))))
		w.kv("allocator_allocated", ms.HeapAlloc)
		w.kv("allocator_active", ms.HeapInuse)
		w.kv("allocator_resident", ms.Sys)
		w.kv("total_system_memory", sys)
		w.kv("total_system_memory_human", humanBytes(sys))
		w.zeros("used_memory_lua", "used_memory_vm_eval")
		w.kv("used_memory_lua_human", "0B")
		w.zeros("used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions", "number_of_libraries",
			"used_memory_vm_functions", "used_memory_vm_total")
		w.kv("used_memory_vm_total_human", "0B")
		w.zeros("used_memory_functions", "used_memory_scripts")
		w.kv("used_memory_scripts_human", "0B")
		w.kv("maxmemory", maxmem)
		w.kv("maxmemory_human", humanBytes(maxmem))
		w.kv("maxmemory_policy", s.cfg.Get("maxmemory-policy"))
		w.kv("allocator_frag_ratio", "1.00")
		w.kv("allocator_frag_bytes", 0)
		w.kv("allocator_rss_ratio", "1.00")
		w.kv("allocator_rss_bytes", 0)
		w.kv("rss_overhead_ratio", "1.00")
		w.kv("rss_overhead_bytes", 0)
		w.kv("mem_fragmentation_ratio", fmt.Sprintf("%.2f", float64(rss)/float64(max(used, 1))))
		w.kv("mem_fragmentation_bytes", rss-used)
		w.zeros("mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves")
		w.kv("mem_clients_normal", clientsNormal+clientsPubsub)
		w.zeros("mem_cluster_links", "mem_aof_buffer")
		w.kv("mem_allocator", tuning.Allocator()) // the C heap's: RocksDB's memory
		w.zeros("active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects")
		w.kv("rocksdb_block_cache_usage", cache)
		w.kv("rocksdb_memtables", memtables)
		budget := s.lim.budget.Load()
		w.kv("maxmemory_clients", budget)
		w.kv("maxmemory_clients_human", humanBytes(budget))
	case "persistence":
		w.b = append(w.b, "# Persistence\r\n"...)
		a := &s.adm
		a.saveMu.Lock()
		dirty := writeCalls() - a.dirtyAtSave
		bgRunning, bgStart := !a.bgStart.IsZero(), a.bgStart
		status := "ok"
		if a.saveAttempts > 0 && !a.lastSaveOK {
			status = "err"
		}
		lastDur, saves := a.lastSaveDur, a.saves
		if a.saves == 0 {
			lastDur = -1
		}
		a.saveMu.Unlock()
		cur := int64(-1)
		if bgRunning {
			cur = int64(time.Since(bgStart) / time.Second)
		}
		w.zeros("loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age")
		w.kv("current_fork_perc", "0.00")
		w.zeros("current_save_keys_processed", "current_save_keys_total")
		w.kv("rdb_changes_since_last_save", max(dirty, 0))
		w.kv("rdb_bgsave_in_progress", b2i(bgRunning || s.eng.Saving()))
		w.kv("rdb_last_save_time", s.eng.LastSave())
		w.kv("rdb_last_bgsave_status", status)
		w.kv("rdb_last_bgsave_time_sec", lastDur)
		w.kv("rdb_current_bgsave_time_sec", cur)
		w.kv("rdb_saves", saves)
		w.zeros("rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded")
		// The RocksDB write-ahead log plays the part of the AOF.
		w.kv("aof_enabled", 1)
		w.zeros("aof_rewrite_in_progress", "aof_rewrite_scheduled")
		w.kv("aof_last_rewrite_time_sec", -1)
		w.kv("aof_current_rewrite_time_sec", -1)
		w.kv("aof_last_bgrewrite_status", "ok")
		w.zeros("aof_rewrites", "aof_rewrites_consecutive_failures")
		// err while RocksDB refuses writes (a full disk): back to ok once
		// they resumed.
		wstatus := "ok"
		if s.eng.WriteError() != "" {
			wstatus = "err"
		}
		w.kv("aof_last_write_status", wstatus)
		// With the AOF on, Redis adds these; the WAL takes the AOF's place.
		wal := s.walSize()
		w.kv("aof_current_size", wal)
		w.kv("aof_base_size", wal)
		w.zeros("aof_pending_rewrite", "aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync")
		w.zeros("aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size")
		w.kv("fsync", s.eng.Fsync().String())
		w.kv("wal_syncs", s.eng.Stats().WALSyncs.Load())
		w.kv("commits", s.eng.Stats().Commits.Load())
		w.kv("commit_errors", s.eng.Stats().CommitErrors.Load())
		w.kv("storage_write_error", strconv.Quote(s.eng.WriteError()))
		w.kv("storage_write_resumes", s.eng.Stats().WriteResumes.Load())
		cr, cl := store.Corruptions()
		w.kv("storage_corrupt_reads", cr)
		w.kv("rocksdb_corruption_reports", cl)
	case "stats":
		w.b = append(w.b, "# Stats\r\n"...)
		st := s.eng.Stats()
		w.kv("total_connections_received", s.stats.conns.Load())
		w.kv("total_commands_processed", s.stats.commands.Load())
		ops, in, out := s.instantaneous()
		w.kv("instantaneous_ops_per_sec", int64(ops))
		w.kv("total_net_input_bytes", s.stats.netIn.Load())
		w.kv("total_net_output_bytes", s.stats.netOut.Load())
		w.zeros("total_net_repl_input_bytes", "total_net_repl_output_bytes")
		w.kv("instantaneous_input_kbps", fmt.Sprintf("%.2f", in/1024))
		w.kv("instantaneous_output_kbps", fmt.Sprintf("%.2f", out/1024))
		w.kv("instantaneous_input_repl_kbps", "0.00")
		w.kv("instantaneous_output_repl_kbps", "0.00")
		w.kv("rejected_connections", s.stats.rejected.Load())
		w.zeros("sync_full", "sync_partial_ok", "sync_partial_err")
		w.kv("expired_keys", st.ExpiredKeys.Load())
		w.kv("expired_stale_perc", "0.00")
		w.zeros("expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys")
		w.kv("evicted_clients", s.lim.evicted.Load())
		w.zeros("total_eviction_exceeded_time", "current_eviction_exceeded_time")
		w.kv("keyspace_hits", st.KeyspaceHits.Load())
		w.kv("keyspace_misses", st.KeyspaceMisses.Load())
		pubsub.mu.RLock()
		w.kv("pubsub_channels", len(pubsub.channels))
		w.kv("pubsub_patterns", len(pubsub.patterns))
		w.kv("pubsubshard_channels", len(pubsub.shardChs))
		pubsub.mu.RUnlock()
		w.zeros("latest_fork_usec", "total_forks",
			"migrate_cached_sockets", "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
			"active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time")
		_, tk, ti, tp := trackingInfo()
		w.kv("tracking_total_keys", tk)
		w.kv("tracking_total_items", ti)
		w.kv("tracking_total_prefixes", tp)
		w.zeros("unexpected_error_replies")
		w.kv("total_error_replies", s.totalErrors())
		w.zeros("dump_payload_sanitizations", "total_reads_processed", "total_writes_processed",
			"io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands")
		w.kv("hot_cache_hits", st.CacheHits.Load())
		w.kv("hot_cache_misses", st.CacheMisses.Load())
		// Batches run on the network goroutine (exec-inline), and those
		// that needed the disk and went to their shard after all.
		w.kv("inline_executions", st.Inline.Load())
		w.kv("inline_aborts", st.InlineAborts.Load())
		w.kv("reclaimed_collections", st.Reclaimed.Load())
		w.kv("client_output_buffer_limit_disconnections", s.lim.obKills.Load())
		w.kv("client_query_buffer_limit_disconnections", s.lim.qbufKills.Load())
		w.kv("client_idle_disconnections", s.lim.idleKills.Load())
		w.kv("max_reply_size_rejections", s.lim.replyCaps.Load())
	case "replication":
		w.b = append(w.b, "# Replication\r\n"...)
		w.kv("role", "master")
		w.kv("connected_slaves", 0)
		w.kv("master_failover_state", "no-failover")
		w.kv("master_replid", s.runID)
		w.kv("master_replid2", "0000000000000000000000000000000000000000")
		w.kv("master_repl_offset", 0)
		w.kv("second_repl_offset", -1)
		w.kv("repl_backlog_active", 0)
		w.kv("repl_backlog_size", s.cfg.Get("repl-backlog-size"))
		w.kv("repl_backlog_first_byte_offset", 0)
		w.kv("repl_backlog_histlen", 0)
	case "cpu":
		w.b = append(w.b, "# CPU\r\n"...)
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
		w.kv("used_cpu_sys", tv(ru.Stime))
		w.kv("used_cpu_user", tv(ru.Utime))
		w.kv("used_cpu_sys_children", "0.000000")
		w.kv("used_cpu_user_children", "0.000000")
		w.kv("used_cpu_sys_main_thread", tv(ru.Stime))
		w.kv("used_cpu_user_main_thread", tv(ru.Utime))
	case "modules":
		w.b = append(w.b, "# Modules\r\n"...)
	case "commandstats":
		w.b = append(w.b, "# Commandstats\r\n"...)
		for _, sp := range Commands() {
			w.b = appendCmdStats(w.b, sp)
		}
	case "errorstats":
		w.b = append(w.b, "# Errorstats\r\n"...)
		s.errMu.Lock()
		codes := make([]string, 0, len(s.errStats))
		for k := range s.errStats {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		for _, k := range codes {
			w.kv("errorstat_"+k, "count="+itoa(s.errStats[k].Load()))
		}
		s.errMu.Unlock()
	case "latencystats":
		w.b = append(w.b, "# Latencystats\r\n"...)
		s.appendLatencyStats(w)
	case "cluster":
		w.b = append(w.b, "# Cluster\r\n"...)
		w.kv("cluster_enabled", 0)
	case "keyspace":
		w.b = append(w.b, "# Keyspace\r\n"...)
		for db := 0; db < s.eng.Databases(); db++ {
			p := s.eng.PhysDB(db) // logical numbers, as SELECT's (SWAPDB)
			if n := s.eng.DBSize(p); n > 0 {
				w.b = fmt.Appendf(w.b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, n, s.eng.DBExpires(p))
			}
		}
	case "rocksdb":
		w.b = append(w.b, "# RocksDB\r\n"...)
		s.appendRocksDBInfo(w)
	}
	return w.b
}

// appendCmdStats writes the commandstats lines of sp and its subcommands.
func appendCmdStats(b []byte, sp *Spec) []byte {
	st := sp.stats
	if calls := st.calls.Load(); calls > 0 || st.rejected.Load() > 0 || st.failed.Load() > 0 {
		usec := st.usec.Load()
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		b = fmt.Appendf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			sp.Name, calls, usec, per, st.rejected.Load(), st.failed.Load())
	}
	for _, sub := range SortedSubs(sp) {
		b = appendCmdStats(b, sub)
	}
	return b
}

func (s *Server) totalErrors() int64 {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	var n int64
	for _, v := range s.errStats {
		n += v.Load()
	}
	return n
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// osName is "Linux 6.1.0 x86_64", as redis-server prints uname.
func osName() string {
	typ, err1 := os.ReadFile("/proc/sys/kernel/ostype")
	rel, err2 := os.ReadFile("/proc/sys/kernel/osrelease")
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	}
	if err1 != nil || err2 != nil {
		return runtime.GOOS + " " + arch
	}
	return strings.TrimSpace(string(typ)) + " " + strings.TrimSpace(string(rel)) + " " + arch
}

// humanBytes formats n as redis-server's bytesToHuman.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(f/1024, 'f', 2, 64) + "K"
	case n < 1<<30:
		return strconv.FormatFloat(f/(1<<20), 'f', 2, 64) + "M"
	case n < 1<<40:
		return strconv.FormatFloat(f/(1<<30), 'f', 2, 64) + "G"
	}
	return strconv.FormatFloat(f/(1<<40), 'f', 2, 64) + "T"
}

func readRSS() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func totalSystemMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// File returns the absolute path of the config file loaded at start, or ""
// when the server runs without one.
func (c *Config) File() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.file
}

// tomlLine matches a "key = value" line of a flat TOML file.
var tomlLine = regexp.MustCompile(`^\s*("?)([A-Za-z0-9_.-]+)("?)\s*=`)

// Rewrite writes the current settings back to the config file, as CONFIG
// REWRITE does in Redis: a line that sets a known setting gets its current
// value (comments and other lines stay as they are), and settings that
// differ from their defaults and are not in the file yet are appended. The
// file is replaced atomically.
func (c *Config) Rewrite() error {
	path := c.File()
	if path == "" {
		return errors.New("no config file")
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	c.mu.RLock()
	vals := maps.Clone(c.vals)
	c.mu.RUnlock()
	seen := map[*Param]bool{}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		m := tomlLine.FindStringSubmatch(line)
		if m == nil || m[1] != m[3] {
			out = append(out, line)
			continue
		}
		p := paramIndex[strings.ToLower(m[2])]
		if p == nil {
			out = append(out, line)
			continue
		}
		if seen[p] {
			continue // set twice (by a name and an alias): keep the first
		}
		seen[p] = true
		out = append(out, p.Name+" = "+tomlValue(p, vals[p.Name]))
	}
	added := false
	for _, p := range params {
		if seen[p] || vals[p.Name] == p.Default {
			continue
		}
		if !added {
			out = append(out, "", "# Generated by CONFIG REWRITE")
			added = true
		}
		out = append(out, p.Name+" = "+tomlValue(p, vals[p.Name]))
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp := path + ".rewrite.tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strings.Join(out, "\n") + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// tomlValue writes a setting as LoadFile reads it back: numbers bare,
// everything else as a basic string.
func tomlValue(p *Param, v string) string {
	if p.Kind == kInt || p.Kind == kMem {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return v
		}
	}
	b := []byte{'"'}
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20 || r == 0x7f:
			b = fmt.Appendf(b, `\u%04X`, r)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, '"'))
}

// TOMLDefault is the setting's default as diskdb.toml writes it.
func (p *Param) TOMLDefault() string { return tomlValue(p, p.Default) }

// RunTime reports whether CONFIG SET may change the setting.
func (p *Param) RunTime() bool { return !p.Immutable && !protectedConfigs[p.Name] }

// Effective reports whether DiskDB uses the setting (false: accepted for
// compatibility with redis.conf only).
func (p *Param) Effective() bool { return p.Help != "" }
