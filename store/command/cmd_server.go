package command

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/diskdb/diskdb/store"
)

// Server commands (server.c, config.c).

func init() {
	register(
		&Spec{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale | ExecAfter, Handler: cmdInfo, Group: "server", Summary: "Returns information and statistics about the server.", Since: "1.0.0"},
		&Spec{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdTime, Group: "server", Summary: "Returns the server time.", Since: "2.6.0"},
		&Spec{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdLastSave, Group: "server", Summary: "Returns the Unix timestamp of the last successful save to disk.", Since: "1.0.0"},
		&Spec{Name: "save", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | ExecBackground, Handler: cmdSave, Group: "server", Summary: "Synchronously saves the database (a RocksDB checkpoint) to disk.", Since: "1.0.0"},
		&Spec{Name: "bgsave", Arity: -1, Flags: FlagAdmin | FlagNoScript | ExecAfter, Handler: cmdBgSave, Group: "server", Summary: "Asynchronously saves the database (a RocksDB checkpoint) to disk.", Since: "1.0.0"},
		&Spec{Name: "shutdown", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagNoMulti | FlagAllowBusy | ExecAfter, Handler: cmdShutdown, Group: "server", Summary: "Synchronously saves the database(s) to disk and shuts down the server.", Since: "1.0.0"},
		&Spec{Name: "config", Arity: -2, Group: "server", Summary: "A container for server configuration commands.", Since: "2.0.0"},
		&Spec{Name: "config|get", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdConfigGet, Group: "server", Summary: "Returns the effective values of configuration parameters.", Since: "2.0.0"},
		&Spec{Name: "config|set", Arity: -4, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdConfigSet, Group: "server", Summary: "Sets configuration parameters in-flight.", Since: "2.0.0"},
		&Spec{Name: "config|resetstat", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdConfigResetStat, Group: "server", Summary: "Resets the server's statistics.", Since: "2.0.0"},
		&Spec{Name: "config|rewrite", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdConfigRewrite, Group: "server", Summary: "Persists the effective configuration to file.", Since: "2.8.0"},
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

// FlagNoAsyncLoading is accepted for symmetry with Redis's flags; it has no
// effect in DiskDB.
const FlagNoAsyncLoading Flag = 0

func helpHandler(name string, lines []string) func(c *Ctx) {
	return func(c *Ctx) {
		all := append([]string{name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"}, lines...)
		all = append(all, "HELP", "    Print this help.")
		c.Array(len(all))
		for _, l := range all {
			c.Status(l)
		}
	}
}

func cmdTime(c *Ctx) {
	now := time.Now()
	c.Array(2)
	c.BulkInt(now.Unix())
	c.BulkInt(int64(now.Nanosecond() / 1000))
}

func cmdLastSave(c *Ctx) { c.Int(c.S.eng.LastSave()) }

func cmdSave(c *Ctx) {
	if err := c.S.eng.Save(); err != nil {
		c.StoreErr(err)
		return
	}
	c.OK()
}

func cmdBgSave(c *Ctx) {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.is(1, "schedule")) {
		c.Err(errSyntax)
		return
	}
	if c.S.eng.Saving() {
		c.Err("ERR Background save already in progress")
		return
	}
	s := c.S // c is reused by the client's next command: the goroutine must not read it
	go func() {
		if err := s.eng.Save(); err != nil {
			s.log.Error("background save failed", "err", err)
		}
	}()
	c.Status("Background saving started")
}

func cmdShutdown(c *Ctx) {
	for i := 1; i < len(c.Args); i++ {
		if !c.is(i, "nosave") && !c.is(i, "save") && !c.is(i, "now") && !c.is(i, "force") && !c.is(i, "abort") {
			c.Err(errSyntax)
			return
		}
		if c.is(i, "abort") {
			c.Err("ERR No shutdown in progress.")
			return
		}
	}
	if c.S.Shutdown == nil {
		c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	c.S.log.Info("user requested shutdown", "client", c.Cl.addr)
	c.Cl.closing = true
	go c.S.Shutdown()
}

// --- CONFIG ---

func cmdConfigGet(c *Ctx) {
	type kv struct{ k, v string }
	var out []kv
	seen := map[string]bool{}
	for _, pat := range c.Args[2:] {
		for _, p := range params {
			names := append([]string{p.Name}, p.Aliases...)
			for _, n := range names {
				if seen[n] {
					continue
				}
				if store.Match(pat, []byte(n), true) {
					seen[n] = true
					out = append(out, kv{n, c.S.cfg.Get(p.Name)})
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

func cmdConfigSet(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.ArgErr()
		return
	}
	type change struct {
		p    *Param
		v    string
		name string
	}
	var changes []change
	for i := 2; i < len(c.Args); i += 2 {
		name := lower(c.Args[i])
		p := paramIndex[name]
		if p == nil {
			c.Err("ERR Unknown option or number of arguments for CONFIG SET - '" + string(c.Args[i]) + "'")
			return
		}
		for _, ch := range changes {
			if ch.p == p {
				c.Err("ERR CONFIG SET failed (possibly related to argument '" + name + "') - duplicate parameter")
				return
			}
		}
		if p.Immutable {
			c.Err("ERR CONFIG SET failed (possibly related to argument '" + name + "') - can't set immutable config")
			return
		}
		v, err := p.normalize(string(c.Args[i+1]))
		if err != nil {
			c.Err("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + err.Error())
			return
		}
		changes = append(changes, change{p, v, name})
	}
	for _, ch := range changes {
		_ = c.S.cfg.Set(ch.p.Name, ch.v)
		if ch.p.apply != nil {
			ch.p.apply(c.S, ch.v)
		}
	}
	c.OK()
}

func cmdConfigResetStat(c *Ctx) {
	c.S.resetStats()
	c.OK()
}

func cmdConfigRewrite(c *Ctx) {
	c.Err("ERR The server is running without a config file")
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
}

func resetSpecStats(sp *Spec) {
	sp.stats.calls.Store(0)
	sp.stats.usec.Store(0)
	sp.stats.failed.Store(0)
	sp.stats.rejected.Store(0)
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
	args := make([]string, 0, len(c.Args))
	for i, a := range c.Args {
		if i == 31 && len(c.Args) > 32 {
			args = append(args, fmt.Sprintf("... (%d more arguments)", len(c.Args)-31))
			break
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
		c.ArgErr()
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

func cmdSlowlogLen(c *Ctx) {
	slowlog.mu.Lock()
	n := len(slowlog.entries)
	slowlog.mu.Unlock()
	c.Int(int64(n))
}

func cmdSlowlogReset(c *Ctx) {
	slowlog.mu.Lock()
	slowlog.entries = nil
	slowlog.mu.Unlock()
	c.OK()
}

// --- INFO ---

var infoDefault = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace", "rocksdb"}

func cmdInfo(c *Ctx) {
	var sections []string
	if len(c.Args) == 1 {
		sections = infoDefault
	} else {
		for _, a := range c.Args[1:] {
			switch s := lower(a); s {
			case "default":
				sections = append(sections, infoDefault...)
			case "all", "everything":
				sections = append(sections, infoDefault...)
				sections = append(sections, "commandstats", "latencystats")
			default:
				sections = append(sections, s)
			}
		}
	}
	var b strings.Builder
	done := map[string]bool{}
	for _, sec := range sections {
		if done[sec] {
			continue
		}
		done[sec] = true
		c.S.infoSection(&b, sec, c.Cl)
	}
	c.Verbatim(b.String())
}

func (s *Server) infoSection(b *strings.Builder, sec string, cl *Client) {
	w := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	start := b.Len()
	header := func(h string) {
		if start > 0 || b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + h + "\r\n")
	}
	_ = start
	switch sec {
	case "server":
		header("Server")
		up := time.Since(s.start)
		w("redis_version", Version)
		w("diskdb_version", DiskDBVersion)
		w("redis_git_sha1", "00000000")
		w("redis_git_dirty", 0)
		w("redis_build_id", "0")
		w("redis_mode", "standalone")
		w("os", runtime.GOOS+" "+runtime.GOARCH)
		w("arch_bits", strconv.IntSize)
		w("monotonic_clock", "POSIX clock_gettime")
		w("multiplexing_api", s.Backend)
		w("io_backend", s.Backend)
		w("atomicvar_api", "c11-builtin")
		w("gcc_version", "0.0.0")
		w("go_version", runtime.Version())
		w("process_id", os.Getpid())
		w("process_supervised", "no")
		w("run_id", s.runID)
		w("tcp_port", s.cfg.Get("port"))
		w("server_time_usec", time.Now().UnixMicro())
		w("uptime_in_seconds", int64(up/time.Second))
		w("uptime_in_days", int64(up/(24*time.Hour)))
		w("hz", s.cfg.Get("hz"))
		w("configured_hz", s.cfg.Get("hz"))
		w("lru_clock", (time.Now().Unix())&((1<<24)-1))
		exe, _ := os.Executable()
		w("executable", exe)
		w("config_file", "")
		w("io_threads_active", 0)
		w("shards", s.eng.Shards())
		w("go_goroutines", runtime.NumGoroutine())
	case "clients":
		header("Clients")
		w("connected_clients", s.ClientCount())
		w("cluster_connections", 0)
		w("maxclients", s.maxClients.Load())
		w("client_recent_max_input_buffer", 0)
		w("client_recent_max_output_buffer", 0)
		w("blocked_clients", 0)
		w("tracking_clients", 0)
		w("clients_in_timeout_table", 0)
	case "memory":
		header("Memory")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := readRSS()
		w("used_memory", ms.HeapAlloc)
		w("used_memory_human", humanBytes(int64(ms.HeapAlloc)))
		w("used_memory_rss", rss)
		w("used_memory_rss_human", humanBytes(rss))
		w("used_memory_peak", ms.HeapSys)
		w("used_memory_peak_human", humanBytes(int64(ms.HeapSys)))
		w("used_memory_startup", 0)
		w("used_memory_dataset", 0)
		w("total_system_memory", totalSystemMemory())
		w("total_system_memory_human", humanBytes(totalSystemMemory()))
		w("used_memory_lua", 0)
		w("maxmemory", s.cfg.Get("maxmemory"))
		w("maxmemory_human", humanBytes(s.cfg.Int("maxmemory")))
		w("maxmemory_policy", s.cfg.Get("maxmemory-policy"))
		w("mem_fragmentation_ratio", "1.00")
		w("mem_allocator", "go")
		w("rocksdb_block_cache_usage", s.eng.CacheUsage())
		w("rocksdb_memtables", s.eng.Property("rocksdb.cur-size-all-mem-tables"))
	case "persistence":
		header("Persistence")
		w("loading", 0)
		w("async_loading", 0)
		w("rdb_changes_since_last_save", 0)
		w("rdb_bgsave_in_progress", b2i(s.eng.Saving()))
		w("rdb_last_save_time", s.eng.LastSave())
		w("rdb_last_bgsave_status", "ok")
		w("aof_enabled", 1)
		w("aof_rewrite_in_progress", 0)
		w("aof_rewrite_scheduled", 0)
		if s.eng.WriteError() != "" {
			w("aof_last_write_status", "err")
		} else {
			w("aof_last_write_status", "ok")
		}
		w("aof_last_bgrewrite_status", "ok")
		w("fsync", s.eng.Fsync().String())
		w("wal_syncs", s.eng.Stats().WALSyncs.Load())
		w("commits", s.eng.Stats().Commits.Load())
		w("commit_errors", s.eng.Stats().CommitErrors.Load())
		w("storage_write_error", strconv.Quote(s.eng.WriteError()))
		w("storage_write_resumes", s.eng.Stats().WriteResumes.Load())
		cr, cl := store.Corruptions()
		w("storage_corrupt_reads", cr)
		w("rocksdb_corruption_reports", cl)
	case "stats":
		header("Stats")
		st := s.eng.Stats()
		w("total_connections_received", s.stats.conns.Load())
		w("total_commands_processed", s.stats.commands.Load())
		w("instantaneous_ops_per_sec", 0)
		w("total_net_input_bytes", s.stats.netIn.Load())
		w("total_net_output_bytes", s.stats.netOut.Load())
		w("rejected_connections", s.stats.rejected.Load())
		w("expired_keys", st.ExpiredKeys.Load())
		w("evicted_keys", 0)
		w("keyspace_hits", st.KeyspaceHits.Load())
		w("keyspace_misses", st.KeyspaceMisses.Load())
		w("pubsub_channels", 0)
		w("pubsub_patterns", 0)
		w("total_error_replies", s.totalErrors())
		w("hot_cache_hits", st.CacheHits.Load())
		w("hot_cache_misses", st.CacheMisses.Load())
		w("reclaimed_collections", st.Reclaimed.Load())
	case "replication":
		header("Replication")
		w("role", "master")
		w("connected_slaves", 0)
		w("master_failover_state", "no-failover")
		w("master_replid", s.runID)
		w("master_replid2", "0000000000000000000000000000000000000000")
		w("master_repl_offset", 0)
		w("second_repl_offset", -1)
		w("repl_backlog_active", 0)
		w("repl_backlog_size", s.cfg.Get("repl-backlog-size"))
		w("repl_backlog_first_byte_offset", 0)
		w("repl_backlog_histlen", 0)
	case "cpu":
		header("CPU")
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
		w("used_cpu_sys", tv(ru.Stime))
		w("used_cpu_user", tv(ru.Utime))
		w("used_cpu_sys_children", "0.000000")
		w("used_cpu_user_children", "0.000000")
	case "modules":
		header("Modules")
	case "cluster":
		header("Cluster")
		w("cluster_enabled", 0)
	case "errorstats":
		header("Errorstats")
		s.errMu.Lock()
		codes := make([]string, 0, len(s.errStats))
		for k := range s.errStats {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		for _, k := range codes {
			w("errorstat_"+k, "count="+itoa(s.errStats[k].Load()))
		}
		s.errMu.Unlock()
	case "commandstats":
		header("Commandstats")
		for _, sp := range Commands() {
			writeCmdStats(b, sp)
		}
	case "latencystats":
		header("Latencystats")
	case "keyspace":
		header("Keyspace")
		for db := 0; db < s.eng.Databases(); db++ {
			if n := s.eng.DBSize(db); n > 0 {
				fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, n, s.eng.DBExpires(db))
			}
		}
	case "rocksdb":
		header("RocksDB")
		for _, p := range []string{"estimate-num-keys", "total-sst-files-size", "live-sst-files-size", "cur-size-all-mem-tables", "num-running-compactions", "num-running-flushes", "actual-delayed-write-rate", "is-write-stopped", "estimate-pending-compaction-bytes", "background-errors", "block-cache-usage", "num-snapshots"} {
			w("rocksdb_"+strings.ReplaceAll(p, "-", "_"), s.eng.Property("rocksdb."+p))
		}
	}
}

func writeCmdStats(b *strings.Builder, sp *Spec) {
	st := sp.stats
	if calls := st.calls.Load(); calls > 0 || st.rejected.Load() > 0 {
		usec := st.usec.Load()
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			sp.Name, calls, usec, per, st.rejected.Load(), st.failed.Load())
	}
	subs := make([]string, 0, len(sp.Subs))
	for n := range sp.Subs {
		subs = append(subs, n)
	}
	sort.Strings(subs)
	for _, n := range subs {
		writeCmdStats(b, sp.Subs[n])
	}
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
