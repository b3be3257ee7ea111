package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"time"
)

// Clients.
const (
	ClientGen = "diskdb-bench"
	ClientRB  = "redis-benchmark"
)

// SideConfig is a side-by-side benchmark: DiskDB and redis-server started
// with matching persistence, the same workloads run on each, alternating.
type SideConfig struct {
	DiskDB         string        // the diskdb binary (required)
	DiskDBArgs     []string      // extra settings for DiskDB (--shards 2 ...)
	RedisServer    string        // default "redis-server"
	RedisBenchmark string        // default "redis-benchmark"
	Dir            string        // parent of the servers' temporary data directories ("": os.TempDir)
	Modes          []string      // persistence modes to run; default none, everysec, always
	Runs           int           // A/B pairs per row; default 3
	Duration       time.Duration // one generator run; default 3s (quick 1s)
	RBDuration     time.Duration // aimed length of one redis-benchmark test; default 2s (quick 1s)
	Conns          int           // -c; default 50
	KeySpace       uint64        // default 100000
	ValueSize      int           // default 100
	Only           string        // a regexp: run only rows whose ID matches (see Job.ID)
	IdleWait       time.Duration
	Quick          bool // smoke-run defaults: 1 run, 1 s, small redis-benchmark counts, small memory row
	Memory         bool // also run the memory row
	MemoryConfig   MemoryConfig
	Log            io.Writer
}

// Defaults fills unset fields; Quick changes the defaults, never a value
// that was set.
func (c *SideConfig) Defaults() {
	if c.RedisServer == "" {
		c.RedisServer = "redis-server"
	}
	if c.RedisBenchmark == "" {
		c.RedisBenchmark = "redis-benchmark"
	}
	if len(c.Modes) == 0 {
		c.Modes = []string{"none", "everysec", "always"}
	}
	if c.Runs <= 0 {
		c.Runs = 3
		if c.Quick {
			c.Runs = 1
		}
	}
	if c.Duration <= 0 {
		c.Duration = 3 * time.Second
		if c.Quick {
			c.Duration = time.Second
		}
	}
	if c.RBDuration <= 0 {
		c.RBDuration = 2 * time.Second
		if c.Quick {
			c.RBDuration = time.Second
		}
	}
	if c.Conns <= 0 {
		c.Conns = 50
	}
	if c.KeySpace == 0 {
		c.KeySpace = 100000
	}
	if c.ValueSize <= 0 {
		c.ValueSize = 100
	}
	if c.IdleWait <= 0 {
		c.IdleWait = 20 * time.Second
		if c.Quick {
			c.IdleWait = 3 * time.Second
		}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Job is one row (or, for redis-benchmark, the rows of one invocation) of
// the plan.
type Job struct {
	Mode     string
	Client   string
	Tests    []string // display names: "SET 100 B"; redis-benchmark: one per -t test
	Workload string   // generator workload
	RBTests  string   // redis-benchmark -t
	Pipeline int
	Prefill  bool
}

// ID names the job for --only: "everysec/diskdb-bench/SET 100 B/P16".
func (j Job) ID() string {
	return fmt.Sprintf("%s/%s/%s/P%d", j.Mode, j.Client, strings.Join(j.Tests, "+"), j.Pipeline)
}

func genJob(mode, op string, p int, valueSize int) Job {
	t := strings.ToUpper(op)
	if ops[op].Sized {
		t += fmt.Sprintf(" %d B", valueSize)
	}
	return Job{Mode: mode, Client: ClientGen, Tests: []string{t}, Workload: op, Pipeline: p, Prefill: ops[op].Prefill != ""}
}

func rbJob(mode, tests string, p, valueSize int) Job {
	var names []string
	for _, t := range strings.Split(tests, ",") {
		names = append(names, fmt.Sprintf("%s %d B", strings.ToUpper(t), valueSize))
	}
	return Job{Mode: mode, Client: ClientRB, Tests: names, RBTests: tests, Pipeline: p}
}

// Plan returns the jobs of a side-by-side run: the rows of the targets
// (BENCHMARKS.md), per persistence mode.
func Plan(cfg SideConfig) ([]Job, error) {
	var jobs []Job
	vs := cfg.ValueSize
	for _, mode := range cfg.Modes {
		if _, err := ModeByName(mode); err != nil {
			return nil, err
		}
		var js []Job
		switch mode {
		case "none":
			js = []Job{genJob(mode, "set", 1, vs), genJob(mode, "set", 16, vs), genJob(mode, "get", 1, vs), genJob(mode, "get", 16, vs),
				rbJob(mode, "set,get", 1, vs), rbJob(mode, "set,get", 16, vs)}
		case "everysec":
			js = []Job{genJob(mode, "set", 1, vs), genJob(mode, "set", 16, vs), genJob(mode, "get", 1, vs), genJob(mode, "get", 16, vs)}
			for _, op := range []string{"lpush", "hset", "sadd", "zadd", "incr"} {
				js = append(js, genJob(mode, op, 16, vs))
			}
			js = append(js, rbJob(mode, "set,get", 1, vs), rbJob(mode, "set,get", 16, vs))
		case "always":
			for _, op := range []string{"set", "incr", "lpush"} {
				js = append(js, genJob(mode, op, 1, vs), genJob(mode, op, 16, vs))
			}
			js = append(js, rbJob(mode, "set", 1, vs), rbJob(mode, "set", 16, vs))
		}
		jobs = append(jobs, js...)
	}
	if cfg.Only != "" {
		re, err := regexp.Compile(cfg.Only)
		if err != nil {
			return nil, fmt.Errorf("bench: --only: %w", err)
		}
		kept := jobs[:0]
		for _, j := range jobs {
			if re.MatchString(j.ID()) {
				kept = append(kept, j)
			}
		}
		jobs = kept
	}
	return jobs, nil
}

// SideReport is everything a side-by-side run measured.
type SideReport struct {
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Machine  Machine       `json:"machine"`
	Command  string        `json:"command"`
	Config   SideSettings  `json:"config"`
	Rows     []*Comparison `json:"rows"`
	Memory   *MemoryReport `json:"memory,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
}

// SideSettings are the settings a report records.
type SideSettings struct {
	Runs       int      `json:"runs"`
	Duration   string   `json:"duration"`
	Conns      int      `json:"conns"`
	KeySpace   uint64   `json:"keyspace"`
	ValueSize  int      `json:"value_size"`
	Quick      bool     `json:"quick"`
	DiskDBArgs []string `json:"diskdb_args,omitempty"`
	Modes      []string `json:"modes"`
}

// SideBySide runs the plan and returns the report. On an error the report
// holds what was measured so far.
func SideBySide(ctx context.Context, cfg SideConfig) (*SideReport, error) {
	cfg.Defaults()
	if cfg.DiskDB == "" {
		return nil, fmt.Errorf("bench: the diskdb binary is required (--server)")
	}
	jobs, err := Plan(cfg)
	if err != nil {
		return nil, err
	}
	rep := &SideReport{Started: time.Now(), Machine: ReadMachine(cfg.DiskDB, cfg.RedisServer, cfg.RedisBenchmark),
		Command: strings.Join(os.Args, " "),
		Config: SideSettings{Runs: cfg.Runs, Duration: cfg.Duration.String(), Conns: cfg.Conns, KeySpace: cfg.KeySpace,
			ValueSize: cfg.ValueSize, Quick: cfg.Quick, DiskDBArgs: cfg.DiskDBArgs, Modes: cfg.Modes}}
	logf := func(format string, a ...any) { fmt.Fprintf(cfg.Log, format, a...) }
	logf("%d jobs, %d A/B runs each, %s per generator run, about %s per redis-benchmark test; expect about %.0f min; machine: %s\n",
		len(jobs), cfg.Runs, cfg.Duration, cfg.RBDuration, Estimate(cfg, jobs).Minutes(), rep.Machine.Line())
	defer func() { rep.Finished = time.Now(); rep.Machine.LoadEnd = loadAvg() }()

	for _, mode := range cfg.Modes {
		var mjobs []Job
		for _, j := range jobs {
			if j.Mode == mode {
				mjobs = append(mjobs, j)
			}
		}
		if len(mjobs) == 0 {
			continue
		}
		if err := runMode(ctx, cfg, mode, mjobs, rep, logf); err != nil {
			return rep, err
		}
	}
	if cfg.Memory {
		mc := cfg.MemoryConfig
		mc.DiskDB, mc.RedisServer, mc.Dir, mc.Log, mc.Quick = cfg.DiskDB, cfg.RedisServer, cfg.Dir, cfg.Log, cfg.Quick
		if mc.DiskDBArgs == nil {
			mc.DiskDBArgs = cfg.DiskDBArgs
		}
		m, err := MemoryRow(ctx, mc)
		rep.Memory = m
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func runMode(ctx context.Context, cfg SideConfig, mode string, jobs []Job, rep *SideReport, logf func(string, ...any)) error {
	m, _ := ModeByName(mode)
	logf("== persistence %s: %s\n", mode, m.Doc)
	d, err := StartServer(KindDiskDB, cfg.DiskDB, cfg.Dir, append(append([]string(nil), m.DiskDBArgs...), cfg.DiskDBArgs...)...)
	if err != nil {
		return err
	}
	defer d.Stop()
	r, err := StartServer(KindRedis, cfg.RedisServer, cfg.Dir, m.RedisArgs...)
	if err != nil {
		return err
	}
	defer r.Stop()
	servers := map[string]*Server{KindDiskDB: d, KindRedis: r}
	noted := map[*Comparison]bool{}

	for _, j := range jobs {
		rows := make([]*Comparison, len(j.Tests))
		for i, t := range j.Tests {
			rows[i] = &Comparison{Mode: mode, Client: j.Client, Test: t, Pipeline: j.Pipeline}
			rep.Rows = append(rep.Rows, rows[i])
		}
		rbN := 0
		if j.Client == ClientRB {
			rbN = rbRequests(cfg, rep.Rows, mode, j.Pipeline)
			args, _ := RBConfig{Addr: "127.0.0.1:PORT", Tests: j.RBTests, Conns: cfg.Conns, Pipeline: j.Pipeline,
				Requests: rbN, ValueSize: cfg.ValueSize, KeySpace: int(cfg.KeySpace)}.Args()
			for _, row := range rows {
				row.Command = "redis-benchmark " + strings.Join(args, " ")
			}
		} else {
			rows[0].Command = fmt.Sprintf("diskdb-bench run -addr 127.0.0.1:PORT -c %d -P %d -workload %s -keyspace %d -d %d -duration %s",
				cfg.Conns, j.Pipeline, j.Workload, cfg.KeySpace, cfg.ValueSize, cfg.Duration)
			if j.Prefill {
				rows[0].Command += " -prefill"
			}
		}
		for run := 0; run < cfg.Runs; run++ {
			for order, kind := range RunOrder(run) {
				if err := ctx.Err(); err != nil {
					return err
				}
				srv := servers[kind]
				if err := srv.FlushAll(); err != nil {
					return fmt.Errorf("%s: %w", kind, err)
				}
				if j.Prefill {
					for _, op := range (Workload{{j.Workload, 1}}).Prefills() {
						if err := prefill(ctx, Config{Addr: srv.Addr, Conns: cfg.Conns, Pipeline: 64, KeySpace: cfg.KeySpace,
							ValueMin: cfg.ValueSize, ValueMax: cfg.ValueSize, Members: 1000, Threads: 0, Seed: 1}.withDefaults(), op); err != nil {
							return fmt.Errorf("%s: prefill: %w", kind, err)
						}
					}
				}
				if waited, ok := WaitIdle(ctx, cfg.IdleWait, d, r); !ok {
					note := fmt.Sprintf("%s %s run %d: servers still busy after %s (background work ran into the measurement)",
						j.ID(), kind, run+1, waited.Round(time.Millisecond))
					rep.Notes = append(rep.Notes, note)
					logf("note: %s\n", note)
				}
				samples, line, err := runJob(ctx, cfg, j, srv.Addr, run, rbN)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", j.ID(), kind, err)
				}
				for i, s := range samples {
					s.Order = order
					if s.Errors > 0 && len(s.ErrorSamples) > 0 && !noted[rows[i]] {
						noted[rows[i]] = true
						note := fmt.Sprintf("%s/%s/%s/P%d: %s replied %d errors in run %d, e.g. %s; the row has no ratio",
							mode, rows[i].Client, rows[i].Test, rows[i].Pipeline, kind, s.Errors, run+1, s.ErrorSamples[0])
						rep.Notes = append(rep.Notes, note)
					}
					if kind == KindDiskDB {
						rows[i].DiskDB = append(rows[i].DiskDB, s)
					} else {
						rows[i].Redis = append(rows[i].Redis, s)
					}
				}
				logf("%-42s run %d %-6s %s\n", j.ID(), run+1, kind, line)
				if d.Exited() || r.Exited() {
					return fmt.Errorf("a server exited during %s: diskdb: %s redis: %s", j.ID(), d.Log(), r.Log())
				}
			}
		}
		for _, row := range rows {
			s := row.Summarize()
			logf("%-42s median DiskDB %s  Redis %s  ratio %s\n", fmt.Sprintf("%s/%s/%s/P%d", mode, row.Client, row.Test, row.Pipeline),
				fmtOps(s.DiskDBOps), fmtOps(s.RedisOps), fmtRatio(s.Ratio))
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	c.Defaults()
	return c
}

// runJob runs one job once on one server.
func runJob(ctx context.Context, cfg SideConfig, j Job, addr string, run, rbN int) ([]Sample, string, error) {
	if j.Client == ClientRB {
		res, err := RunRedisBenchmark(ctx, RBConfig{Bin: cfg.RedisBenchmark, Addr: addr, Tests: j.RBTests, Conns: cfg.Conns,
			Pipeline: j.Pipeline, Requests: rbN, ValueSize: cfg.ValueSize, KeySpace: int(cfg.KeySpace)})
		if err != nil {
			return nil, "", err
		}
		if len(res) != len(j.Tests) {
			return nil, "", fmt.Errorf("redis-benchmark reported %d tests, want %d", len(res), len(j.Tests))
		}
		out := make([]Sample, len(res))
		for i, x := range res {
			out[i] = Sample{Run: run, OpsPerSec: x.OpsPerSec, Ops: int64(rbN), Latency: x.Latency}
			if x.ErrorReply != "" {
				// At least one error reply; redis-benchmark does not count them.
				out[i].Errors, out[i].ErrorSamples = 1, []string{x.ErrorReply}
			}
			if x.OpsPerSec > 0 {
				out[i].Seconds = float64(rbN) / x.OpsPerSec
			}
		}
		return out, rbLine(res), nil
	}
	res, err := Run(ctx, Config{Addr: addr, Conns: cfg.Conns, Pipeline: j.Pipeline, Workload: j.Workload,
		KeySpace: cfg.KeySpace, ValueMin: cfg.ValueSize, Duration: cfg.Duration, Seed: uint64(run + 1)})
	if err != nil {
		return nil, "", err
	}
	line := res.Summary()
	if res.Errors > 0 {
		line += " e.g. " + strings.Join(res.ErrorSamples, " | ")
	}
	return []Sample{sampleOf(run, 0, res)}, line, nil
}

// rbRequests picks redis-benchmark's -n so that a run lasts about
// cfg.RBDuration per test on the slower server: from the generator's SET row
// of the same mode and pipeline if it ran, else from fixed defaults.
func rbRequests(cfg SideConfig, rows []*Comparison, mode string, p int) int {
	for _, r := range rows {
		if r.Mode == mode && r.Client == ClientGen && strings.HasPrefix(r.Test, "SET ") && r.Pipeline == p {
			s := r.Summarize()
			rate := math.Min(s.DiskDBOps, s.RedisOps)
			if rate > 0 {
				n := int(rate*cfg.RBDuration.Seconds()) / 1000 * 1000
				return min(max(n, 10000), 5000000)
			}
		}
	}
	switch {
	case cfg.Quick && p > 1:
		return 100000
	case cfg.Quick:
		return 20000
	case p > 1:
		return 1000000
	}
	return 200000
}

// Estimate is a rough length of a side-by-side run of jobs: the measured
// time plus about half a second per run for flushing, prefilling and
// waiting for idle servers, plus the memory row.
func Estimate(cfg SideConfig, jobs []Job) time.Duration {
	const overhead = 500 * time.Millisecond
	var d time.Duration
	for _, j := range jobs {
		per := cfg.Duration
		if j.Client == ClientRB {
			per = time.Duration(len(j.Tests)) * cfg.RBDuration
		}
		d += time.Duration(2*cfg.Runs) * (per + overhead)
	}
	if cfg.Memory {
		m := cfg.MemoryConfig
		m.Quick = cfg.Quick
		m.Defaults()
		// Loading at a pessimistic 100k keys/s, an idle wait, a warm-up and
		// the GET runs of both rows.
		d += time.Duration(float64(m.Keys)/100000*float64(time.Second)) + 15*time.Second +
			2*(4*m.Duration+time.Duration(2*m.Runs)*(m.Duration+overhead))
	}
	return d
}
