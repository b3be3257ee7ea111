// Command diskdb-bench is DiskDB's load generator and side-by-side
// benchmark harness (a thin command over package bench).
//
//	diskdb-bench run [flags]         load one server (memtier-style)
//	diskdb-bench sidebyside [flags]  DiskDB vs redis-server, alternating runs
//	diskdb-bench memory [flags]      the memory row alone
//	diskdb-bench clientcheck [flags] this generator vs redis-benchmark on redis-server
//
// `diskdb-bench <command> -h` lists each command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/diskdb/diskdb/bench"
)

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "diskdb-bench:", err)
		os.Exit(1)
	}
}

const usage = `Usage: diskdb-bench <command> [flags]

Commands:
  run          load one server: connections, pipeline, workload, key pattern, value size,
               duration or request count; a progress line a second; HDR latencies; -out JSON
  sidebyside   start DiskDB and redis-server with matching persistence and run the same
               workloads on each, alternating, with this generator and redis-benchmark;
               medians and DiskDB/Redis ratios as a markdown table (-quick: 1-2 min smoke run)
  memory       load N keys into both servers, report RSS and GET throughput over the whole
               key space and over a cached subset
  clientcheck  run this generator and redis-benchmark against one redis-server, alternating,
               to show the generator is not the bottleneck

'diskdb-bench <command> -h' lists the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "sidebyside":
		return cmdSideBySide(ctx, args[1:], stdout, stderr)
	case "memory":
		return cmdMemory(ctx, args[1:], stdout, stderr)
	case "clientcheck":
		return cmdClientCheck(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// sizeRange reads a value size: "100" or "50-200".
type sizeRange struct{ min, max int }

func (s *sizeRange) String() string {
	if s.min == s.max {
		return strconv.Itoa(s.min)
	}
	return fmt.Sprintf("%d-%d", s.min, s.max)
}

func (s *sizeRange) Set(v string) error {
	a, b, isRange := strings.Cut(v, "-")
	lo, err := strconv.Atoi(a)
	if err != nil || lo < 0 {
		return fmt.Errorf("bad size %q", v)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo {
			return fmt.Errorf("bad size range %q", v)
		}
	}
	s.min, s.max = lo, hi
	return nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	size := sizeRange{100, 100}
	var out string
	var quiet bool
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:6380", "server `host:port`")
	fs.IntVar(&cfg.Conns, "c", 50, "connections")
	fs.IntVar(&cfg.Threads, "threads", 0, "goroutines driving the connections (0: min(c, GOMAXPROCS))")
	fs.IntVar(&cfg.Pipeline, "P", 1, "pipeline depth: requests in flight per connection")
	fs.StringVar(&cfg.Workload, "workload", "set", "ops with weights: set | get | set:1,get:10 | setget | mixed | lpush,rpop | hset,hget | sadd | zadd,zrange | xadd | json.set,json.get | incr (ops: "+strings.Join(bench.OpNames(), " ")+")")
	fs.StringVar(&cfg.Ratio, "ratio", "", "weights A:B of a two-op workload, as memtier's --ratio (e.g. 1:10)")
	fs.Uint64Var(&cfg.KeySpace, "keyspace", 100000, "number of distinct keys (key:000000000000 ...)")
	fs.StringVar(&cfg.Pattern, "pattern", "uniform", "key pattern: uniform, gaussian, sequential")
	fs.Float64Var(&cfg.KeyStdDev, "key-stddev", 0, "gaussian pattern's standard deviation (0: keyspace/6)")
	fs.Uint64Var(&cfg.Members, "members", 1000, "distinct members/fields per collection key")
	fs.Var(&size, "d", "value size in bytes, or a range min-max")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to run (ignored with -n)")
	fs.Int64Var(&cfg.Requests, "n", 0, "total requests (instead of -duration)")
	fs.BoolVar(&cfg.Prefill, "prefill", false, "before measuring, write every key the workload reads")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.StringVar(&out, "out", "", "write the result as JSON to this `file`")
	fs.BoolVar(&quiet, "q", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.ValueMin, cfg.ValueMax = size.min, size.max
	if cfg.Requests > 0 {
		cfg.Duration = 0
	}
	if !quiet {
		cfg.Progress = stderr
	}
	res, err := bench.Run(ctx, cfg)
	if res != nil {
		fmt.Fprintln(stdout, res.Summary())
		if res.Errors > 0 {
			fmt.Fprintf(stdout, "error replies, e.g.: %s\n", strings.Join(res.ErrorSamples, " | "))
		}
		if out != "" {
			if werr := bench.WriteJSON(out, res); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return err
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad number %q in %q", f, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func cmdClientCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("clientcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.ClientCheckConfig
	var pipes, out string
	fs.StringVar(&cfg.RedisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&cfg.RedisBenchmark, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	fs.StringVar(&cfg.Dir, "dir", "", "parent directory for the server's data (default: the system temp dir)")
	fs.IntVar(&cfg.Runs, "runs", 3, "alternating runs of each client")
	fs.IntVar(&cfg.Requests, "n", 1000000, "requests per test and run (both clients)")
	fs.StringVar(&pipes, "P", "16", "pipeline depths, comma-separated")
	fs.IntVar(&cfg.Conns, "c", 50, "connections")
	fs.IntVar(&cfg.Threads, "threads", 0, "generator goroutines (0: min(c, GOMAXPROCS))")
	fs.IntVar(&cfg.KeySpace, "keyspace", 100000, "distinct keys (-r of redis-benchmark)")
	fs.IntVar(&cfg.ValueSize, "d", 100, "value size in bytes")
	fs.StringVar(&out, "out", "", "write the raw runs as JSON to this `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Pipelines, err = intList(pipes); err != nil {
		return err
	}
	cfg.Log = stderr
	rows, err := bench.ClientCheck(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, bench.ClientCheckTable(rows))
	if out != "" {
		return bench.WriteJSON(out, rows)
	}
	return nil
}

// byteSize reads a size in bytes: 1048576, 512k, 192mb, 192MiB, 1g.
type byteSize struct{ n *int64 }

func (b byteSize) String() string {
	if b.n == nil {
		return "0"
	}
	return strconv.FormatInt(*b.n, 10)
}

func (b byteSize) Set(v string) error {
	s := strings.ToLower(strings.TrimSpace(v))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "b"), "i")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("bad size %q", v)
	}
	*b.n = n * mult
	return nil
}

func memoryFlags(fs *flag.FlagSet, m *bench.MemoryConfig) {
	m.CacheSize, m.HotCacheSize, m.WriteBufferSize = 192<<20, 64<<20, 32<<20
	fs.Uint64Var(&m.Keys, "memory-keys", 0, "keys to load for the memory row (default 2000000; -quick 200000)")
	fs.Var(byteSize{&m.CacheSize}, "cache-size", "memory row: DiskDB --cache-size (RocksDB block cache)")
	fs.Var(byteSize{&m.HotCacheSize}, "hot-cache-size", "memory row: DiskDB --hot-cache-size")
	fs.Var(byteSize{&m.WriteBufferSize}, "write-buffer-size", "memory row: DiskDB --write-buffer-size (one memtable)")
	fs.StringVar(&m.Mode, "memory-mode", "everysec", "memory row: persistence mode (none, everysec, always)")
	fs.Uint64Var(&m.HotKeys, "hot-keys", 0, "memory row: size of the cached subset read for comparison (default 100000; -quick 20000)")
	fs.IntVar(&m.Pipeline, "memory-P", 16, "memory row: pipeline depth of the GET runs")
	fs.IntVar(&m.Runs, "memory-runs", 0, "memory row: A/B runs per GET row (default 3; -quick 1)")
	fs.DurationVar(&m.Duration, "memory-duration", 0, "memory row: length of one GET run (default 3s; -quick 1s)")
	fs.DurationVar(&m.IdleWait, "memory-idle-wait", 0, "memory row: longest wait for background work after loading, before RSS is read (default 120s; -quick 10s)")
}

func resultPaths(md, out, stem string) (string, string, error) {
	if md == "" || out == "" {
		if err := os.MkdirAll(filepath.Join("bench", "results"), 0o755); err != nil {
			return "", "", err
		}
		base := filepath.Join("bench", "results", stem+"-"+time.Now().Format("20060102-150405"))
		if md == "" {
			md = base + ".md"
		}
		if out == "" {
			out = base + ".json"
		}
	}
	return md, out, nil
}

func cmdSideBySide(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.SideConfig
	var modes, diskdbArgs, md, out string
	var noMemory bool
	fs.StringVar(&cfg.DiskDB, "server", "bin/diskdb", "the diskdb binary")
	fs.StringVar(&diskdbArgs, "diskdb-args", "", "extra DiskDB settings, space-separated (e.g. \"--shards 2\")")
	fs.StringVar(&cfg.RedisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&cfg.RedisBenchmark, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	fs.StringVar(&cfg.Dir, "dir", "", "parent directory for the servers' data (default: the system temp dir; must not be tmpfs for fsync rows to mean anything)")
	fs.StringVar(&modes, "modes", "none,everysec,always", "persistence modes to compare")
	fs.IntVar(&cfg.Runs, "runs", 0, "alternating A/B runs per row (default 3; -quick 1)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of one generator run (default 3s; -quick 1s)")
	fs.DurationVar(&cfg.RBDuration, "rb-duration", 0, "aimed length of one redis-benchmark test; -n is derived from the generator's SET rate (default 2s; -quick 1s)")
	fs.IntVar(&cfg.Conns, "c", 50, "connections")
	fs.Uint64Var(&cfg.KeySpace, "keyspace", 100000, "distinct keys (-r of redis-benchmark)")
	fs.IntVar(&cfg.ValueSize, "d", 100, "value size in bytes")
	fs.StringVar(&cfg.Only, "only", "", "run only rows whose id matches this regexp (ids: mode/client/TEST/Pn, e.g. 'everysec/diskdb-bench/SET')")
	fs.DurationVar(&cfg.IdleWait, "idle-wait", 0, "longest wait for both servers to go idle before a run (default 20s; -quick 3s)")
	fs.BoolVar(&cfg.Quick, "quick", false, "smoke run (1-2 min): one 1 s run per row and server, small redis-benchmark counts, 200k-key memory row")
	fs.BoolVar(&noMemory, "no-memory", false, "skip the memory row")
	fs.StringVar(&md, "md", "", "markdown report path (default bench/results/sidebyside-DATE.md)")
	fs.StringVar(&out, "out", "", "JSON report path with every run (default bench/results/sidebyside-DATE.json)")
	memoryFlags(fs, &cfg.MemoryConfig)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Modes = strings.Split(modes, ",")
	cfg.DiskDBArgs = strings.Fields(diskdbArgs)
	cfg.Memory = !noMemory
	cfg.Log = stderr
	md, out, err := resultPaths(md, out, "sidebyside")
	if err != nil {
		return err
	}
	rep, err := bench.SideBySide(ctx, cfg)
	if rep != nil {
		text := rep.Markdown()
		if err != nil {
			text += fmt.Sprintf("\n**The run stopped early: %v**\n", err)
		}
		fmt.Fprint(stdout, "\n"+text)
		if werr := os.WriteFile(md, []byte(text), 0o644); werr != nil && err == nil {
			err = werr
		}
		if werr := bench.WriteJSON(out, rep); werr != nil && err == nil {
			err = werr
		}
		fmt.Fprintf(stderr, "wrote %s and %s\n", md, out)
	}
	return err
}

func cmdMemory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.MemoryConfig
	var diskdbArgs, md, out string
	fs.StringVar(&cfg.DiskDB, "server", "bin/diskdb", "the diskdb binary")
	fs.StringVar(&diskdbArgs, "diskdb-args", "", "extra DiskDB settings, space-separated")
	fs.StringVar(&cfg.RedisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&cfg.Dir, "dir", "", "parent directory for the servers' data (default: the system temp dir)")
	fs.IntVar(&cfg.ValueSize, "d", 100, "value size in bytes")
	fs.IntVar(&cfg.Conns, "c", 50, "connections")
	fs.BoolVar(&cfg.Quick, "quick", false, "smoke run: 200k keys, one 1 s run per GET row")
	fs.StringVar(&md, "md", "", "markdown report path (default bench/results/memory-DATE.md)")
	fs.StringVar(&out, "out", "", "JSON report path (default bench/results/memory-DATE.json)")
	memoryFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.DiskDBArgs = strings.Fields(diskdbArgs)
	cfg.Log = stderr
	md, out, err := resultPaths(md, out, "memory")
	if err != nil {
		return err
	}
	machine := bench.ReadMachine(cfg.DiskDB, cfg.RedisServer, "")
	rep, err := bench.MemoryRow(ctx, cfg)
	if rep != nil {
		text := fmt.Sprintf("### Memory row, %s\n\n- Command: `%s`\n- Machine: nproc %s; %s; kernel %s; load at start %s\n- %s; %s\n\n",
			machine.Date, strings.Join(os.Args, " "), machine.Nproc, machine.Memory, machine.Kernel, machine.LoadStart, machine.DiskDB, machine.Redis)
		text += rep.Markdown()
		if err != nil {
			text += fmt.Sprintf("\n**The run stopped early: %v**\n", err)
		}
		fmt.Fprint(stdout, "\n"+text)
		if werr := os.WriteFile(md, []byte(text), 0o644); werr != nil && err == nil {
			err = werr
		}
		if werr := bench.WriteJSON(out, rep); werr != nil && err == nil {
			err = werr
		}
		fmt.Fprintf(stderr, "wrote %s and %s\n", md, out)
	}
	return err
}
