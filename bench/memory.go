package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// MemoryConfig is the memory row: N keys of ValueSize bytes loaded into
// DiskDB (under a memory budget) and into redis-server, their RSS, and GET
// throughput over the whole key space against a small cached subset.
type MemoryConfig struct {
	DiskDB          string
	DiskDBArgs      []string
	RedisServer     string
	Dir             string
	Keys            uint64        // default 2,000,000 (quick: 200,000)
	ValueSize       int           // default 100
	CacheSize       int64         // DiskDB --cache-size; default 192 MiB
	HotCacheSize    int64         // DiskDB --hot-cache-size; default 64 MiB
	WriteBufferSize int64         // DiskDB --write-buffer-size; default 32 MiB
	Mode            string        // persistence; default everysec
	HotKeys         uint64        // the cached subset: keys 0 .. HotKeys-1; default 100,000 (quick: 20,000)
	Conns           int           // default 50
	Pipeline        int           // GET runs' -P; default 16
	Duration        time.Duration // per GET run; default 3s (quick 1s)
	Runs            int           // A/B pairs per GET row; default 3 (quick 1)
	IdleWait        time.Duration // after loading; default 120s (quick 10s)
	Quick           bool
	Log             io.Writer
}

// Defaults fills the unset fields.
func (c *MemoryConfig) Defaults() {
	if c.RedisServer == "" {
		c.RedisServer = "redis-server"
	}
	if c.Keys == 0 {
		c.Keys = 2_000_000
		if c.Quick {
			c.Keys = 200_000
		}
	}
	if c.ValueSize <= 0 {
		c.ValueSize = 100
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 192 << 20
	}
	if c.HotCacheSize <= 0 {
		c.HotCacheSize = 64 << 20
	}
	if c.WriteBufferSize <= 0 {
		c.WriteBufferSize = 32 << 20
	}
	if c.Mode == "" {
		c.Mode = "everysec"
	}
	if c.HotKeys == 0 {
		c.HotKeys = 100_000
		if c.Quick {
			c.HotKeys = 20_000
		}
	}
	c.HotKeys = min(c.HotKeys, c.Keys)
	if c.Conns <= 0 {
		c.Conns = 50
	}
	if c.Pipeline <= 0 {
		c.Pipeline = 16
	}
	if c.Duration <= 0 {
		c.Duration = 3 * time.Second
		if c.Quick {
			c.Duration = time.Second
		}
	}
	if c.Runs <= 0 {
		c.Runs = 3
		if c.Quick {
			c.Runs = 1
		}
	}
	if c.IdleWait <= 0 {
		c.IdleWait = 120 * time.Second
		if c.Quick {
			c.IdleWait = 10 * time.Second
		}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// MemoryUse is one server's memory and load figures.
type MemoryUse struct {
	LoadSeconds   float64 `json:"load_seconds"`
	LoadOpsPerSec float64 `json:"load_ops_per_sec"`
	RSSLoaded     int64   `json:"rss_loaded"`      // VmRSS after the load, once idle
	RSSAfterReads int64   `json:"rss_after_reads"` // VmRSS after every GET run
	PeakRSS       int64   `json:"peak_rss"`        // VmHWM at the end
	DiskBytes     int64   `json:"disk_bytes"`      // files in its data directory
}

// MemoryReport is the memory row's result.
type MemoryReport struct {
	Keys       uint64      `json:"keys"`
	ValueSize  int         `json:"value_size"`
	HotKeys    uint64      `json:"hot_keys"`
	Mode       string      `json:"mode"`
	DiskDBArgs []string    `json:"diskdb_args"`
	RedisArgs  []string    `json:"redis_args"`
	DiskDB     MemoryUse   `json:"diskdb"`
	Redis      MemoryUse   `json:"redis"`
	GetAll     *Comparison `json:"get_all"` // uniform over all Keys
	GetHot     *Comparison `json:"get_hot"` // uniform over the first HotKeys
	Notes      []string    `json:"notes,omitempty"`
}

// MemoryRow runs the memory row. On an error the report holds what was
// measured so far.
func MemoryRow(ctx context.Context, cfg MemoryConfig) (*MemoryReport, error) {
	cfg.Defaults()
	if cfg.DiskDB == "" {
		return nil, fmt.Errorf("bench: the diskdb binary is required (--server)")
	}
	mode, err := ModeByName(cfg.Mode)
	if err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(cfg.Log, format, a...) }
	dArgs := append(append([]string(nil), mode.DiskDBArgs...),
		"--cache-size", strconv.FormatInt(cfg.CacheSize, 10),
		"--hot-cache-size", strconv.FormatInt(cfg.HotCacheSize, 10),
		"--write-buffer-size", strconv.FormatInt(cfg.WriteBufferSize, 10),
		// The Go heap's share of the budget: the collector works harder
		// near it (measured at 5 M keys: RSS 735 MiB with 512 MiB, 594
		// MiB with 160 MiB, random GETs unchanged within noise).
		"--go-memory-limit", "160mb")
	dArgs = append(dArgs, cfg.DiskDBArgs...)
	rep := &MemoryReport{Keys: cfg.Keys, ValueSize: cfg.ValueSize, HotKeys: cfg.HotKeys, Mode: cfg.Mode,
		DiskDBArgs: dArgs, RedisArgs: mode.RedisArgs}
	logf("== memory row: %d keys of %d B, persistence %s; DiskDB %s\n", cfg.Keys, cfg.ValueSize, cfg.Mode, strings.Join(dArgs, " "))

	d, err := StartServer(KindDiskDB, cfg.DiskDB, cfg.Dir, dArgs...)
	if err != nil {
		return rep, err
	}
	defer d.Stop()
	r, err := StartServer(KindRedis, cfg.RedisServer, cfg.Dir, mode.RedisArgs...)
	if err != nil {
		return rep, err
	}
	defer r.Stop()
	servers := map[string]*Server{KindDiskDB: d, KindRedis: r}
	use := map[string]*MemoryUse{KindDiskDB: &rep.DiskDB, KindRedis: &rep.Redis}

	// Load: every key once, in order, one server after the other (Redis
	// first, so DiskDB's background compaction never runs into Redis's load).
	for _, kind := range []string{KindRedis, KindDiskDB} {
		srv := servers[kind]
		res, err := Run(ctx, Config{Addr: srv.Addr, Conns: cfg.Conns, Pipeline: 64, Workload: "set", Pattern: PatternSequential,
			KeySpace: cfg.Keys, ValueMin: cfg.ValueSize, Requests: int64(cfg.Keys), Label: "load " + kind, Progress: cfg.Log})
		if err != nil {
			return rep, fmt.Errorf("loading %s: %w", kind, err)
		}
		if res.Errors > 0 {
			return rep, fmt.Errorf("loading %s: %d error replies, e.g. %s", kind, res.Errors, strings.Join(res.ErrorSamples, " | "))
		}
		use[kind].LoadSeconds, use[kind].LoadOpsPerSec = res.Seconds, res.OpsPerSec
		logf("loaded %s: %s\n", kind, res.Summary())
		n, err := srv.DBSize()
		if err != nil {
			return rep, err
		}
		if uint64(n) != cfg.Keys {
			return rep, fmt.Errorf("%s holds %d keys after loading %d", kind, n, cfg.Keys)
		}
	}
	if waited, ok := WaitIdle(ctx, cfg.IdleWait, d, r); !ok {
		rep.Notes = append(rep.Notes, fmt.Sprintf("servers still busy %s after loading; RSS read anyway", waited.Round(time.Second)))
	}
	for kind, srv := range servers {
		if use[kind].RSSLoaded, err = srv.RSS(); err != nil {
			return rep, err
		}
	}
	logf("RSS after loading: DiskDB %s, redis-server %s\n", fmtMiB(rep.DiskDB.RSSLoaded), fmtMiB(rep.Redis.RSSLoaded))

	rep.GetAll = &Comparison{Mode: cfg.Mode, Client: ClientGen, Test: fmt.Sprintf("GET, %d keys", cfg.Keys), Pipeline: cfg.Pipeline}
	rep.GetHot = &Comparison{Mode: cfg.Mode, Client: ClientGen, Test: fmt.Sprintf("GET, %d cached keys", cfg.HotKeys), Pipeline: cfg.Pipeline}
	for _, row := range []struct {
		c    *Comparison
		keys uint64
	}{{rep.GetAll, cfg.Keys}, {rep.GetHot, cfg.HotKeys}} {
		row.c.Command = fmt.Sprintf("diskdb-bench run -addr 127.0.0.1:PORT -c %d -P %d -workload get -keyspace %d -duration %s",
			cfg.Conns, cfg.Pipeline, row.keys, cfg.Duration)
		// One unmeasured pass warms what each server caches of this key
		// range, as a long-running server would have.
		for _, kind := range []string{KindDiskDB, KindRedis} {
			if _, err := Run(ctx, Config{Addr: servers[kind].Addr, Conns: cfg.Conns, Pipeline: cfg.Pipeline, Workload: "get",
				KeySpace: row.keys, Duration: cfg.Duration, Seed: 99}); err != nil {
				return rep, err
			}
		}
		for run := 0; run < cfg.Runs; run++ {
			for order, kind := range RunOrder(run) {
				WaitIdle(ctx, 5*time.Second, d, r)
				res, err := Run(ctx, Config{Addr: servers[kind].Addr, Conns: cfg.Conns, Pipeline: cfg.Pipeline, Workload: "get",
					KeySpace: row.keys, Duration: cfg.Duration, Seed: uint64(run + 1)})
				if err != nil {
					return rep, err
				}
				s := sampleOf(run, order, res)
				if kind == KindDiskDB {
					row.c.DiskDB = append(row.c.DiskDB, s)
				} else {
					row.c.Redis = append(row.c.Redis, s)
				}
				logf("%-42s run %d %-6s %s\n", row.c.Test, run+1, kind, res.Summary())
			}
		}
	}
	for kind, srv := range servers {
		u := use[kind]
		if u.RSSAfterReads, err = srv.RSS(); err != nil {
			return rep, err
		}
		if u.PeakRSS, err = procStatusBytes(srv.PID(), "VmHWM:"); err != nil {
			return rep, err
		}
		u.DiskBytes = DirSize(srv.Dir)
	}
	return rep, nil
}

// procStatusBytes reads a kB field (VmRSS:, VmHWM:) of /proc/<pid>/status.
func procStatusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			return parseKB(v)
		}
	}
	return 0, fmt.Errorf("bench: no %s in /proc/%d/status", field, pid)
}
