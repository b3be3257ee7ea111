package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Config is one load-generator run. The zero value of a field means its
// default (see Defaults).
type Config struct {
	Addr      string        // host:port; default 127.0.0.1:6380
	Conns     int           // connections; default 50
	Threads   int           // goroutines that drive the connections; default min(Conns, GOMAXPROCS)
	Pipeline  int           // requests in flight per connection; default 1
	Workload  string        // see ParseWorkload; default "set"
	Ratio     string        // "A:B" weights of a two-op workload (memtier --ratio)
	KeySpace  uint64        // keys 0 .. KeySpace-1; default 100000
	Pattern   string        // uniform (default), gaussian, sequential
	KeyStdDev float64       // gaussian spread; default KeySpace/6
	Members   uint64        // members/fields per collection; default 1000
	ValueMin  int           // value size in bytes; default 100
	ValueMax  int           // default ValueMin (fixed size)
	Duration  time.Duration // how long to run; default 10s unless Requests is set
	Requests  int64         // total requests (instead of Duration)
	Prefill   bool          // before measuring, write every key the workload's reads need
	Seed      uint64        // random seed; default 1
	Label     string        // name carried into the Result
	Progress  io.Writer     // a progress line once a second; nil for none
	// StallTimeout ends the run with an error when no reply arrives for
	// this long; default 30s.
	StallTimeout time.Duration
}

// Defaults fills the unset fields of c.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:6380"
	}
	if c.Conns <= 0 {
		c.Conns = 50
	}
	if c.Threads <= 0 {
		c.Threads = min(c.Conns, runtime.GOMAXPROCS(0))
	}
	c.Threads = min(c.Threads, c.Conns)
	if c.Pipeline <= 0 {
		c.Pipeline = 1
	}
	if c.Workload == "" {
		c.Workload = "set"
	}
	if c.KeySpace == 0 {
		c.KeySpace = 100000
	}
	if c.Pattern == "" {
		c.Pattern = PatternUniform
	}
	if c.Members == 0 {
		c.Members = 1000
	}
	if c.ValueMin <= 0 && c.ValueMax <= 0 {
		c.ValueMin = 100
	}
	if c.ValueMax < c.ValueMin {
		c.ValueMax = c.ValueMin
	}
	if c.Duration <= 0 && c.Requests <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 30 * time.Second
	}
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

// Result is what one run measured.
type Result struct {
	Label        string           `json:"label,omitempty"`
	Addr         string           `json:"addr"`
	Workload     string           `json:"workload"`
	Conns        int              `json:"conns"`
	Threads      int              `json:"threads"`
	Pipeline     int              `json:"pipeline"`
	KeySpace     uint64           `json:"keyspace"`
	Pattern      string           `json:"pattern"`
	ValueMin     int              `json:"value_min"`
	ValueMax     int              `json:"value_max"`
	Started      time.Time        `json:"started"`
	Seconds      float64          `json:"seconds"`
	Ops          int64            `json:"ops"`
	Errors       int64            `json:"errors"`
	OpsPerSec    float64          `json:"ops_per_sec"`
	Latency      Latency          `json:"latency"`
	PerOp        map[string]int64 `json:"per_op"`
	ErrorSamples []string         `json:"error_samples,omitempty"`
	PerSecond    []float64        `json:"per_second,omitempty"`
}

// WriteJSON writes r (indented) to path.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Histogram bounds: 1 µs to 60 s, 3 significant digits.
const (
	histMin = 1
	histMax = 60_000_000
)

// worker drives a group of connections in lock step: it writes a pipeline
// to each, then reads each one's replies. Its counters are published with
// atomics once per round for the progress line.
type worker struct {
	conns   []*clientConn
	hist    *hdrhistogram.Histogram
	ops     atomic.Int64
	errs    atomic.Int64
	latSum  atomic.Int64 // µs
	samples []string
}

type clientConn struct {
	*conn
	gen     *Gen
	pending int
	done    bool
	sent    time.Time // when the pending pipeline was written
}

// Run runs the load described by cfg and returns what it measured. It
// stops at cfg.Duration or after cfg.Requests, when ctx ends (the partial
// result is returned with ctx's error) or on a connection error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Defaults()
	wl, err := ParseWorkload(cfg.Workload, cfg.Ratio)
	if err != nil {
		return nil, err
	}
	if cfg.Prefill {
		for _, op := range wl.Prefills() {
			if err := prefill(ctx, cfg, op); err != nil {
				return nil, fmt.Errorf("bench: prefill %s: %w", op, err)
			}
		}
	}
	return run(ctx, cfg, wl, true)
}

// prefill writes every key of the key space once with op, in key order.
func prefill(ctx context.Context, cfg Config, op string) error {
	p := cfg
	p.Pattern = PatternSequential
	p.Requests = int64(cfg.KeySpace)
	p.Duration = 0
	p.Pipeline = max(cfg.Pipeline, 64)
	p.Progress = nil
	res, err := run(ctx, p, Workload{{op, 1}}, false)
	if err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d error replies, e.g. %s", res.Errors, strings.Join(res.ErrorSamples, "; "))
	}
	return nil
}

func run(ctx context.Context, cfg Config, wl Workload, measure bool) (res *Result, err error) {
	seq := new(atomic.Uint64)
	workers := make([]*worker, cfg.Threads)
	for i := range workers {
		workers[i] = &worker{hist: hdrhistogram.New(histMin, histMax, 3)}
	}
	var all []*clientConn
	defer func() {
		for _, c := range all {
			c.close()
		}
	}()
	for i := 0; i < cfg.Conns; i++ {
		g, err := NewGen(GenConfig{
			Workload: wl, Pattern: cfg.Pattern, KeySpace: cfg.KeySpace, Members: cfg.Members,
			ValueMin: cfg.ValueMin, ValueMax: cfg.ValueMax, Seed: cfg.Seed, Stream: uint64(i),
			Sequence: seq, KeyStdDev: cfg.KeyStdDev,
		})
		if err != nil {
			return nil, err
		}
		c, err := dial(cfg.Addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		cc := &clientConn{conn: c, gen: g}
		all = append(all, cc)
		w := workers[i%len(workers)]
		w.conns = append(w.conns, cc)
	}

	var budget *atomic.Int64
	if cfg.Requests > 0 {
		budget = new(atomic.Int64)
		budget.Store(cfg.Requests)
	}
	var stop atomic.Bool
	start := time.Now()
	var deadline time.Time
	if cfg.Requests <= 0 {
		deadline = start.Add(cfg.Duration)
	}

	// The monitor prints progress, stops the run when ctx ends and closes
	// the connections when the server stalls.
	monDone := make(chan struct{})
	var stalled atomic.Bool
	var perSecond []float64
	var monWG sync.WaitGroup
	monWG.Add(1)
	go func() {
		defer monWG.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastOps, lastLat int64
		lastChange := time.Now()
		for {
			select {
			case <-monDone:
				return
			case <-ctx.Done():
				stop.Store(true)
				return
			case now := <-tick.C:
				var ops, errs, lat int64
				for _, w := range workers {
					ops += w.ops.Load()
					errs += w.errs.Load()
					lat += w.latSum.Load()
				}
				d := ops - lastOps
				if d > 0 {
					lastChange = now
				} else if now.Sub(lastChange) > cfg.StallTimeout {
					stalled.Store(true)
					stop.Store(true)
					for _, c := range all {
						c.close()
					}
					return
				}
				if measure {
					perSecond = append(perSecond, float64(d))
				}
				if cfg.Progress != nil {
					avg := 0.0
					if d > 0 {
						avg = float64(lat-lastLat) / float64(d) / 1000
					}
					fmt.Fprintf(cfg.Progress, "[%s %3.0fs] %10.0f ops/s  %11d ops  %d errors  avg %.3f ms\n",
						label(cfg), now.Sub(start).Seconds(), float64(d), ops, errs, avg)
				}
				lastOps, lastLat = ops, lat
			}
		}
	}()

	errc := make(chan error, len(workers))
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			errc <- w.loop(cfg.Pipeline, deadline, budget, &stop)
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(monDone)
	monWG.Wait()
	close(errc)
	for e := range errc {
		if e != nil && err == nil {
			err = e
		}
	}
	if stalled.Load() {
		err = fmt.Errorf("bench: no reply for %s, gave up", cfg.StallTimeout)
	}

	res = &Result{
		Label: cfg.Label, Addr: cfg.Addr, Workload: wl.String(), Conns: cfg.Conns, Threads: cfg.Threads,
		Pipeline: cfg.Pipeline, KeySpace: cfg.KeySpace, Pattern: cfg.Pattern,
		ValueMin: cfg.ValueMin, ValueMax: cfg.ValueMax, Started: start, Seconds: elapsed.Seconds(),
		PerOp: map[string]int64{}, PerSecond: perSecond,
	}
	h := hdrhistogram.New(histMin, histMax, 3)
	seen := map[string]bool{}
	for _, w := range workers {
		res.Ops += w.ops.Load()
		res.Errors += w.errs.Load()
		h.Merge(w.hist)
		for _, s := range w.samples {
			if !seen[s] && len(res.ErrorSamples) < 5 {
				seen[s] = true
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
		for _, c := range w.conns {
			for i, name := range c.gen.OpNames() {
				res.PerOp[name] += c.gen.Sent[i]
			}
		}
	}
	if res.Seconds > 0 {
		res.OpsPerSec = float64(res.Ops) / res.Seconds
	}
	const us = 1000.0
	res.Latency = Latency{
		Mean: h.Mean() / us,
		P50:  float64(h.ValueAtQuantile(50)) / us,
		P99:  float64(h.ValueAtQuantile(99)) / us,
		P999: float64(h.ValueAtQuantile(99.9)) / us,
		Max:  float64(h.Max()) / us,
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return res, err
}

func label(cfg Config) string {
	if cfg.Label != "" {
		return cfg.Label
	}
	return cfg.Workload
}

// loop runs rounds until the deadline, the request budget or stop.
func (w *worker) loop(pipeline int, deadline time.Time, budget *atomic.Int64, stop *atomic.Bool) error {
	var lat int64
	for {
		if stop.Load() {
			return nil
		}
		active := 0
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return nil
		}
		for _, c := range w.conns {
			if c.done {
				continue
			}
			n := pipeline
			if budget != nil {
				n = claim(budget, pipeline)
				if n == 0 {
					c.done = true
					continue
				}
			}
			for i := 0; i < n; i++ {
				c.wbuf = c.gen.Append(c.wbuf)
			}
			c.pending = n
			active++
			c.sent = time.Now()
			if err := c.flush(); err != nil {
				return err
			}
		}
		if active == 0 {
			return nil
		}
		var ops, errs int64
		for _, c := range w.conns {
			now := c.sent
			for c.pending > 0 {
				n, isErr, fresh, err := c.next()
				if err != nil {
					if stop.Load() {
						return nil
					}
					return err
				}
				if fresh {
					now = time.Now()
				}
				if isErr {
					errs++
					w.sample(c.rbuf[c.r : c.r+n])
				}
				c.r += n
				c.pending--
				us := now.Sub(c.sent).Microseconds()
				if us < histMin {
					us = histMin
				} else if us > histMax {
					us = histMax
				}
				_ = w.hist.RecordValue(us)
				lat += us
				ops++
			}
		}
		w.ops.Add(ops)
		w.errs.Add(errs)
		w.latSum.Store(lat)
	}
}

// claim takes up to n requests from the budget.
func claim(budget *atomic.Int64, n int) int {
	for {
		left := budget.Load()
		if left <= 0 {
			return 0
		}
		take := min(int64(n), left)
		if budget.CompareAndSwap(left, left-take) {
			return int(take)
		}
	}
}

// sample keeps up to 5 distinct error replies.
func (w *worker) sample(reply []byte) {
	if len(w.samples) >= 5 {
		return
	}
	msg := strings.TrimRight(string(reply), "\r\n")
	if len(msg) > 1 {
		msg = msg[1:]
	}
	for _, s := range w.samples {
		if s == msg {
			return
		}
	}
	w.samples = append(w.samples, msg)
}

// Summary is a one-line summary of r.
func (r *Result) Summary() string {
	return fmt.Sprintf("%s: %.0f ops/s  %d ops in %.2fs  %d errors  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms",
		r.labelOr(), r.OpsPerSec, r.Ops, r.Seconds, r.Errors, r.Latency.P50, r.Latency.P99, r.Latency.P999, r.Latency.Max)
}

func (r *Result) labelOr() string {
	if r.Label != "" {
		return r.Label
	}
	return r.Workload + " -P " + strconv.Itoa(r.Pipeline)
}
