package command

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// One table of settings serves the command-line flags (named as redis.conf's
// directives: --port 6380), the diskdb.toml file and CONFIG GET/SET.

type paramKind int

const (
	kString paramKind = iota
	kInt
	kBool
	kMem  // bytes, with Redis's units: 1k 1kb 1m 1mb 1g 1gb
	kEnum // one of Enum
	kFree // any string, not checked (settings DiskDB accepts for compatibility only)
)

// Param is one setting.
type Param struct {
	Name      string
	Aliases   []string
	Default   string
	Kind      paramKind
	Enum      []string
	Min, Max  int64
	Immutable bool   // start-up only
	Help      string // empty: accepted for compatibility, no effect
	apply     func(s *Server, v string)
	norm      func(v string) (string, error) // custom validation and canonical form
}

var params = []*Param{
	{Name: "bind", Default: "127.0.0.1", Kind: kString, Immutable: true, Help: "addresses to listen on, space separated"},
	{Name: "port", Default: "6380", Kind: kInt, Min: 0, Max: 65535, Immutable: true, Help: "TCP port (0: no plain TCP listener)"},
	{Name: "dir", Default: "./data", Kind: kString, Immutable: true, Help: "data directory"},
	{Name: "databases", Default: "16", Kind: kInt, Min: 1, Max: 255, Immutable: true, Help: "number of logical databases (SELECT 0..n-1)"},
	{Name: "io", Default: "auto", Kind: kEnum, Enum: []string{"auto", "uring", "epoll"}, Immutable: true, Help: "network backend: io_uring, epoll/kqueue (gnet), or auto (io_uring when the kernel allows it)"},
	{Name: "loops", Default: "0", Kind: kInt, Min: 0, Max: 1024, Immutable: true, Help: "network reactors (0: one per core)"},
	{Name: "loop-pin", Default: "no", Kind: kBool, Immutable: true, Help: "pin network reactor i's thread to CPU i mod ncpu (io_uring backend)"},
	{Name: "shards", Default: "0", Kind: kInt, Min: 0, Max: 1024, Immutable: true, Help: "executor shards (0: one per core)"},
	{Name: "fsync", Aliases: []string{"appendfsync"}, Default: "everysec", Kind: kEnum, Enum: []string{"everysec", "always", "no"}, Help: "when the WAL reaches the disk: always (before each reply, one fsync per group commit), everysec, no",
		apply: func(s *Server, v string) { m, _ := store.ParseFsync(v); s.eng.SetFsync(m) }},
	{Name: "go-memory-limit", Default: "536870912", Kind: kMem, Min: 0, Max: math.MaxInt64, Help: "soft limit of the Go heap, bytes (0: none): the garbage collector works harder near it, so RSS follows the live data instead of twice it; RocksDB's block cache and memtables are sized apart (cache-size, write-buffer-size)",
		apply: func(s *Server, v string) {
			n, _ := parseMem(v)
			if n <= 0 {
				n = math.MaxInt64
			}
			debug.SetMemoryLimit(n)
		}},
	{Name: "exec-inline", Default: "yes", Kind: kBool, Help: "run a batch's commands on the network goroutine when their shard is idle and their data is in memory (no hand-off to the shard goroutine); writes then commit there too unless fsync is always",
		apply: func(s *Server, v string) { s.inlineExec.Store(v == "yes") }},
	{Name: "pipeline-max-batch", Default: "100", Kind: kInt, Min: 1, Max: 100000, Help: "commands parsed from one connection per batch",
		apply: func(s *Server, v string) { n, _ := strconv.Atoi(v); s.maxBatchV.Store(int64(n)) }},
	{Name: "requirepass", Default: "", Kind: kString, Help: "password of the default user (empty: none)",
		apply: func(s *Server, v string) { s.requirePass.Store(v) }},
	{Name: "maxclients", Default: "10000", Kind: kInt, Min: 1, Max: 1<<32 - 1, Help: "maximum connected clients",
		apply: func(s *Server, v string) { n, _ := strconv.Atoi(v); s.maxClients.Store(int64(n)) }},
	{Name: "proto-max-bulk-len", Default: "536870912", Kind: kMem, Min: 1 << 20, Max: math.MaxInt64, Help: "largest bulk string a client may send, bytes",
		apply: func(s *Server, v string) { n, _ := parseMem(v); s.maxBulk.Store(n) }},
	{Name: "client-query-buffer-limit", Default: "1073741824", Kind: kMem, Min: 1 << 20, Max: math.MaxInt64, Help: "largest unparsed input a client may hold, bytes",
		apply: func(s *Server, v string) { n, _ := parseMem(v); s.queryLimit.Store(n) }},
	{Name: "cache-size", Default: "268435456", Kind: kMem, Min: 1 << 20, Max: 1 << 50, Immutable: true, Help: "RocksDB block cache, bytes"},
	{Name: "hot-cache-size", Default: "67108864", Kind: kMem, Min: 0, Max: 1 << 50, Immutable: true, Help: "executor's cache of hot values, bytes (0: off)"},
	{Name: "write-buffer-size", Default: "33554432", Kind: kMem, Min: 1 << 20, Max: 1 << 40, Immutable: true, Help: "RocksDB memtable size, bytes"},
	{Name: "loglevel", Default: "notice", Kind: kEnum, Enum: []string{"debug", "verbose", "notice", "warning"}, Help: "log verbosity",
		apply: func(s *Server, v string) { setLogLevel(v) }},
	{Name: "logfile", Default: "", Kind: kString, Immutable: true, Help: "log file (empty: standard error)"},
	{Name: "tcp-quickack", Default: "no", Kind: kBool, Immutable: true, Help: "set TCP_QUICKACK on accepted sockets (Linux); measured: re-arming it after every read cost a syscall per request (30% of server CPU at -P 1), so it is set once at accept when on"},
	{Name: "timeout", Default: "0", Kind: kInt, Min: 0, Max: 1<<31 - 1, Help: "close clients idle this many seconds (0: never)"},
	{Name: "tcp-keepalive", Default: "300", Kind: kInt, Min: 0, Max: 1<<31 - 1, Help: "TCP keepalive period, seconds (0: off)"},
	{Name: "protected-mode", Default: "yes", Kind: kBool, Help: "without a password, accept only loopback clients"},
	{Name: "save", Default: "", Kind: kFree},
	{Name: "appendonly", Default: "yes", Kind: kFree},
	{Name: "appendfilename", Default: "appendonly.aof", Kind: kFree},
	{Name: "dbfilename", Default: "dump.rdb", Kind: kFree},
	{Name: "hz", Default: "10", Kind: kInt, Min: 0, Max: 1<<31 - 1},
	{Name: "maxmemory", Default: "0", Kind: kMem, Min: 0, Max: math.MaxInt64},
	{Name: "maxmemory-policy", Default: "noeviction", Kind: kEnum, Enum: []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}},
	{Name: "maxmemory-samples", Default: "5", Kind: kInt, Min: 1, Max: 1<<31 - 1},
	{Name: "notify-keyspace-events", Default: "", Kind: kFree, Help: "keyspace notification classes, as Redis (e.g. KEA)",
		norm: func(v string) (string, error) {
			f, ok := parseNotifyFlags(v)
			if !ok {
				return "", errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
			return notifyFlagsString(f), nil
		},
		apply: func(s *Server, v string) { s.setNotifyConfig(v) }},
	{Name: "slowlog-log-slower-than", Default: "10000", Kind: kInt, Min: -1, Max: math.MaxInt64, Help: "SLOWLOG threshold, microseconds (-1: off)",
		apply: func(s *Server, v string) { n, _ := strconv.ParseInt(v, 10, 64); s.slowlogThreshold.Store(n) }},
	{Name: "slowlog-max-len", Default: "128", Kind: kInt, Min: 0, Max: math.MaxInt64, Help: "SLOWLOG entries kept"},
	{Name: "latency-monitor-threshold", Default: "0", Kind: kInt, Min: 0, Max: math.MaxInt64},
	{Name: "busy-reply-threshold", Aliases: []string{"lua-time-limit"}, Default: "5000", Kind: kInt, Min: 0, Max: math.MaxInt64, Help: "milliseconds after which a running script makes other clients' commands answer -BUSY (0: never)",
		apply: func(s *Server, v string) { n, _ := strconv.ParseInt(v, 10, 64); busyReplyMs.Store(n) }},
	{Name: "client-output-buffer-limit", Default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Kind: kFree},
	{Name: "hash-max-listpack-entries", Aliases: []string{"hash-max-ziplist-entries"}, Default: "512", Kind: kInt, Min: 0, Max: math.MaxInt64},
	{Name: "hash-max-listpack-value", Aliases: []string{"hash-max-ziplist-value"}, Default: "64", Kind: kMem, Min: 0, Max: math.MaxInt64},
	{Name: "list-max-listpack-size", Aliases: []string{"list-max-ziplist-size"}, Default: "-2", Kind: kInt, Min: -1 << 31, Max: 1<<31 - 1},
	{Name: "list-compress-depth", Default: "0", Kind: kInt, Min: 0, Max: 1<<31 - 1},
	{Name: "set-max-intset-entries", Default: "512", Kind: kInt, Min: 0, Max: math.MaxInt64},
	{Name: "set-max-listpack-entries", Default: "128", Kind: kInt, Min: 0, Max: math.MaxInt64},
	{Name: "set-max-listpack-value", Default: "64", Kind: kMem, Min: 0, Max: math.MaxInt64},
	{Name: "zset-max-listpack-entries", Aliases: []string{"zset-max-ziplist-entries"}, Default: "128", Kind: kInt, Min: 0, Max: math.MaxInt64},
	{Name: "zset-max-listpack-value", Aliases: []string{"zset-max-ziplist-value"}, Default: "64", Kind: kMem, Min: 0, Max: math.MaxInt64},
	{Name: "hll-sparse-max-bytes", Default: "3000", Kind: kMem, Min: 0, Max: math.MaxInt64, Help: "largest sparse HyperLogLog, bytes; bigger ones turn dense"},
	{Name: "stream-node-max-bytes", Default: "4096", Kind: kMem, Min: 0, Max: math.MaxInt64},
	{Name: "stream-node-max-entries", Default: "100", Kind: kInt, Min: 0, Max: math.MaxInt64},
	{Name: "activerehashing", Default: "yes", Kind: kBool},
	{Name: "activedefrag", Default: "no", Kind: kBool},
	{Name: "lazyfree-lazy-eviction", Default: "no", Kind: kBool},
	{Name: "lazyfree-lazy-expire", Default: "no", Kind: kBool},
	{Name: "lazyfree-lazy-server-del", Default: "no", Kind: kBool},
	{Name: "lazyfree-lazy-user-del", Default: "no", Kind: kBool},
	{Name: "lazyfree-lazy-user-flush", Default: "no", Kind: kBool},
	{Name: "lfu-log-factor", Default: "10", Kind: kInt, Min: 0, Max: 1<<31 - 1},
	{Name: "lfu-decay-time", Default: "1", Kind: kInt, Min: 0, Max: 1<<31 - 1},
	{Name: "daemonize", Default: "no", Kind: kBool, Immutable: true},
	{Name: "supervised", Default: "no", Kind: kFree, Immutable: true},
	{Name: "pidfile", Default: "", Kind: kString, Immutable: true, Help: "write the process id to this file"},
	{Name: "tls-port", Default: "0", Kind: kInt, Min: 0, Max: 65535, Immutable: true, Help: "TLS port (0: no TLS listener)"},
	{Name: "tls-cert-file", Default: "", Kind: kString, Immutable: true, Help: "TLS certificate (PEM)"},
	{Name: "tls-key-file", Default: "", Kind: kString, Immutable: true, Help: "TLS private key (PEM)"},
	{Name: "tls-ca-cert-file", Default: "", Kind: kString, Immutable: true, Help: "CA bundle for client certificates (PEM)"},
	{Name: "tls-auth-clients", Default: "yes", Kind: kEnum, Enum: []string{"yes", "no", "optional"}, Immutable: true, Help: "require client certificates on the TLS port"},
	{Name: "aclfile", Default: "", Kind: kString, Immutable: true, Help: "ACL file for ACL LOAD/SAVE"},
	{Name: "pprof-addr", Default: "", Kind: kString, Immutable: true, Help: "serve Go's net/http/pprof profiles on this address, for profiling (empty: off)"},
	{Name: "metrics-addr", Default: "", Kind: kString, Immutable: true, Help: "address of the Prometheus /metrics endpoint (empty: off)"},
	{Name: "tcp-backlog", Default: "511", Kind: kInt, Min: 0, Max: 1 << 20, Immutable: true},
	{Name: "io-threads", Default: "1", Kind: kInt, Min: 1, Max: 128, Immutable: true},
	{Name: "replica-read-only", Aliases: []string{"slave-read-only"}, Default: "yes", Kind: kBool},
	{Name: "repl-backlog-size", Default: "1048576", Kind: kMem, Min: 1, Max: math.MaxInt64},
	{Name: "min-replicas-to-write", Default: "0", Kind: kInt, Min: 0, Max: 1<<31 - 1},
	{Name: "cluster-enabled", Default: "no", Kind: kBool, Immutable: true},
	{Name: "enable-debug-command", Default: "local", Kind: kFree, Immutable: true},
	{Name: "unixsocket", Default: "", Kind: kString, Immutable: true},
	{Name: "unixsocketperm", Default: "0", Kind: kInt, Min: 0, Max: 0o777, Immutable: true},
}

var paramIndex = func() map[string]*Param {
	m := map[string]*Param{}
	for _, p := range params {
		m[p.Name] = p
		for _, a := range p.Aliases {
			m[a] = p
		}
	}
	return m
}()

// Params returns every setting, for documentation.
func Params() []*Param { return params }

// Config holds the current value of every setting.
type Config struct {
	mu   sync.RWMutex
	vals map[string]string
	file string // absolute path of the file loaded at start (CONFIG REWRITE)
}

// NewConfig returns the defaults.
func NewConfig() *Config {
	c := &Config{vals: map[string]string{}}
	for _, p := range params {
		c.vals[p.Name] = p.Default
	}
	return c
}

// Get returns the value of a setting ("" if unknown).
func (c *Config) Get(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if p := paramIndex[strings.ToLower(name)]; p != nil {
		return c.vals[p.Name]
	}
	return ""
}

// Int returns a numeric setting.
func (c *Config) Int(name string) int64 {
	v := c.Get(name)
	if n, err := parseMem(v); err == nil {
		return n
	}
	return 0
}

// Set validates and stores a value (at start-up: immutable settings too).
func (c *Config) Set(name, value string) error {
	p := paramIndex[strings.ToLower(name)]
	if p == nil {
		return fmt.Errorf("unknown setting %q", name)
	}
	v, err := p.normalize(value)
	if err != nil {
		return fmt.Errorf("%s: %v", p.Name, err)
	}
	c.mu.Lock()
	c.vals[p.Name] = v
	c.mu.Unlock()
	return nil
}

func (p *Param) normalize(v string) (string, error) {
	if p.norm != nil {
		return p.norm(v)
	}
	switch p.Kind {
	case kInt, kMem:
		var n int64
		if p.Kind == kInt {
			var ok bool
			if n, ok = proto.ParseInt([]byte(v)); !ok {
				return "", errors.New("argument couldn't be parsed into an integer")
			}
		} else {
			var err error
			if n, err = memValue(v); err != nil {
				return "", errors.New("argument must be a memory value")
			}
		}
		if n < p.Min || n > p.Max {
			return "", errors.New("argument must be between " + strconv.FormatInt(p.Min, 10) + " and " + strconv.FormatInt(p.Max, 10) + " inclusive")
		}
		return strconv.FormatInt(n, 10), nil
	case kBool:
		switch strings.ToLower(v) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", errors.New("argument must be 'yes' or 'no'")
	case kEnum:
		lv := strings.ToLower(v)
		for _, e := range p.Enum {
			if lv == e {
				return e, nil
			}
		}
		return "", errors.New("argument(s) must be one of the following: " + strings.Join(p.Enum, ", "))
	}
	return v, nil
}

// memValue parses a non-negative byte count with Redis's units (memtoull):
// digits, then optionally b, k, kb, m, mb, g or gb in any case.
func memValue(s string) (int64, error) {
	ls := strings.ToLower(s)
	digits := strings.TrimRight(ls, "bkmg")
	unit := ls[len(digits):]
	mul, ok := map[string]int64{"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000, "mb": 1 << 20, "g": 1000 * 1000 * 1000, "gb": 1 << 30}[unit]
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, errors.New("not a memory value")
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > uint64(math.MaxInt64)/uint64(mul) {
		return 0, errors.New("not a memory value")
	}
	return int64(n) * mul, nil
}

// parseMem parses an integer with Redis's memory units (memtoll).
func parseMem(s string) (int64, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"kb", 1024}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suf) {
			ls, mul = strings.TrimSuffix(ls, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mul, nil
}

// ParseArgs applies command-line arguments: an optional config file path
// first (as redis-server takes one), then --name value pairs (or
// --name=value). --config FILE names the file explicitly.
func (c *Config) ParseArgs(args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if err := c.LoadFile(args[0]); err != nil {
			return err
		}
		args = args[1:]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			return fmt.Errorf("unexpected argument %q (settings are --name value)", a)
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		if !hasVal {
			if i+1 >= len(args) {
				return fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if name == "config" {
			if err := c.LoadFile(val); err != nil {
				return err
			}
			continue
		}
		if err := c.Set(name, val); err != nil {
			return err
		}
	}
	return nil
}

// LoadFile reads settings from a TOML file (diskdb.toml).
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		c.mu.Lock()
		c.file = abs
		c.mu.Unlock()
	}
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case int64:
			v = strconv.FormatInt(x, 10)
		case bool:
			v = "no"
			if x {
				v = "yes"
			}
		case float64:
			v = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return fmt.Errorf("config %s: %s: unsupported value %v", path, k, x)
		}
		if err := c.Set(k, v); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
	}
	return nil
}
