package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"
)

// ClientCheckConfig compares this generator with redis-benchmark on one
// redis-server (no persistence): if the generator reaches the same ops/s
// as redis-benchmark, it is not what limits a measurement.
type ClientCheckConfig struct {
	RedisServer    string // default "redis-server"
	RedisBenchmark string // default "redis-benchmark"
	Dir            string // parent of the server's temporary directory ("" = os.TempDir)
	Runs           int    // alternating runs per row; default 3
	Requests       int    // requests per test and run, both clients; default 1000000
	Pipelines      []int  // default 16
	Conns          int    // default 50
	Threads        int    // generator goroutines (0: default)
	KeySpace       int    // default 100000
	ValueSize      int    // default 100
	Log            io.Writer
}

// ClientCheckRow is one test at one pipeline depth: the generator's runs
// against redis-benchmark's.
type ClientCheckRow struct {
	Test      string   `json:"test"`
	Pipeline  int      `json:"pipeline"`
	Generator []Sample `json:"generator"`
	RedisBenc []Sample `json:"redis_benchmark"`
	// CPU seconds per million requests of each client, one per run. The
	// generator's is its process's CPU time over the run; redis-benchmark's
	// is its invocation's (SET and GET together) split evenly over both.
	GenCPU []float64 `json:"generator_cpu_s_per_million"`
	RBCPU  []float64 `json:"redis_benchmark_cpu_s_per_million"`
}

// ClientCheck runs cfg and returns its rows.
func ClientCheck(ctx context.Context, cfg ClientCheckConfig) ([]ClientCheckRow, error) {
	if cfg.RedisServer == "" {
		cfg.RedisServer = "redis-server"
	}
	if cfg.Runs <= 0 {
		cfg.Runs = 3
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 1000000
	}
	if len(cfg.Pipelines) == 0 {
		cfg.Pipelines = []int{16}
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 50
	}
	if cfg.KeySpace <= 0 {
		cfg.KeySpace = 100000
	}
	if cfg.ValueSize <= 0 {
		cfg.ValueSize = 100
	}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format, a...)
		}
	}
	mode, _ := ModeByName("none")
	srv, err := StartServer(KindRedis, cfg.RedisServer, cfg.Dir, mode.RedisArgs...)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	var rows []ClientCheckRow
	for _, p := range cfg.Pipelines {
		set := ClientCheckRow{Test: "SET", Pipeline: p}
		get := ClientCheckRow{Test: "GET", Pipeline: p}
		for r := 0; r < cfg.Runs; r++ {
			first := "generator"
			if r%2 == 1 {
				first = "redis-benchmark"
			}
			for i, who := range []string{first, other(first)} {
				if err := srv.FlushAll(); err != nil {
					return nil, err
				}
				WaitIdle(ctx, 5*time.Second, srv)
				if who == "redis-benchmark" {
					res, err := RunRedisBenchmark(ctx, RBConfig{Bin: cfg.RedisBenchmark, Addr: srv.Addr, Tests: "set,get",
						Conns: cfg.Conns, Pipeline: p, Requests: cfg.Requests, ValueSize: cfg.ValueSize, KeySpace: cfg.KeySpace})
					if err != nil {
						return nil, err
					}
					if len(res) > 0 && res[0].ErrorReply != "" {
						return nil, fmt.Errorf("redis-benchmark got error replies: %s", res[0].ErrorReply)
					}
					for _, x := range res {
						s := Sample{Run: r, Order: i, OpsPerSec: x.OpsPerSec, Ops: int64(cfg.Requests), Latency: x.Latency}
						perM := x.CPUSeconds / float64(len(res)) / (float64(cfg.Requests) / 1e6)
						switch strings.ToUpper(x.Test) {
						case "SET":
							set.RedisBenc = append(set.RedisBenc, s)
							set.RBCPU = append(set.RBCPU, perM)
						case "GET":
							get.RedisBenc = append(get.RedisBenc, s)
							get.RBCPU = append(get.RBCPU, perM)
						}
					}
					logf("run %d redis-benchmark -P %d: %s\n", r+1, p, rbLine(res))
					continue
				}
				for _, row := range []*ClientCheckRow{&set, &get} {
					cpu0 := selfCPU()
					res, err := Run(ctx, Config{Addr: srv.Addr, Conns: cfg.Conns, Threads: cfg.Threads, Pipeline: p,
						Workload: strings.ToLower(row.Test), KeySpace: uint64(cfg.KeySpace), ValueMin: cfg.ValueSize,
						Requests: int64(cfg.Requests), Seed: uint64(r + 1)})
					if err != nil {
						return nil, err
					}
					if res.Errors > 0 {
						return nil, fmt.Errorf("the generator got %d error replies, e.g. %s", res.Errors, strings.Join(res.ErrorSamples, " | "))
					}
					row.Generator = append(row.Generator, sampleOf(r, i, res))
					row.GenCPU = append(row.GenCPU, (selfCPU()-cpu0).Seconds()/(float64(res.Ops)/1e6))
					logf("run %d generator       -P %d: %s\n", r+1, p, res.Summary())
				}
			}
		}
		rows = append(rows, set, get)
	}
	return rows, nil
}

func other(who string) string {
	if who == "generator" {
		return "redis-benchmark"
	}
	return "generator"
}

func rbLine(res []RBResult) string {
	var parts []string
	for _, x := range res {
		parts = append(parts, fmt.Sprintf("%s %.0f ops/s p50 %.3f p99 %.3f ms", x.Test, x.OpsPerSec, x.Latency.P50, x.Latency.P99))
	}
	if len(res) > 0 && res[0].ErrorReply != "" {
		parts = append(parts, "error replies, e.g. "+res[0].ErrorReply)
	}
	return strings.Join(parts, "; ")
}

func sampleOf(run, order int, r *Result) Sample {
	return Sample{Run: run, Order: order, OpsPerSec: r.OpsPerSec, Ops: r.Ops, Seconds: r.Seconds,
		Errors: r.Errors, Latency: r.Latency, ErrorSamples: r.ErrorSamples}
}

// ClientCheckTable renders rows as a markdown table.
func ClientCheckTable(rows []ClientCheckRow) string {
	var b strings.Builder
	b.WriteString("| test | -P | diskdb-bench ops/s (median) | redis-benchmark ops/s (median) | diskdb-bench / redis-benchmark | client CPU s per 1M requests: diskdb-bench / redis-benchmark | runs |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		g, _, _, _ := columns(r.Generator)
		x, _, _, _ := columns(r.RedisBenc)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s / %s | %d |\n", r.Test, r.Pipeline, fmtOps(Median(g)), fmtOps(Median(x)),
			fmtRatio(Ratio(Median(g), Median(x))), fmtRatio(Median(r.GenCPU)), fmtRatio(Median(r.RBCPU)), min(len(g), len(x)))
	}
	return b.String()
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
