package bench

import (
	"math"
	"sort"
)

// Sample is one measured run on one server.
type Sample struct {
	Run          int      `json:"run"`
	Order        int      `json:"order"` // 0: ran first in its A/B pair, 1: second
	OpsPerSec    float64  `json:"ops_per_sec"`
	Ops          int64    `json:"ops"`
	Seconds      float64  `json:"seconds"`
	Errors       int64    `json:"errors"`
	Latency      Latency  `json:"latency"`
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// Comparison is one row of the side-by-side table: the same workload run
// alternately on DiskDB and redis-server.
type Comparison struct {
	Mode     string   `json:"mode"`
	Client   string   `json:"client"` // diskdb-bench or redis-benchmark
	Test     string   `json:"test"`   // e.g. "SET 100 B"
	Pipeline int      `json:"pipeline"`
	Command  string   `json:"command"` // the client command line, with PORT for the port
	DiskDB   []Sample `json:"diskdb"`
	Redis    []Sample `json:"redis"`
}

// Summary is a Comparison reduced to medians and ratios.
type Summary struct {
	DiskDBOps    float64 `json:"diskdb_ops_per_sec"`
	RedisOps     float64 `json:"redis_ops_per_sec"`
	Ratio        float64 `json:"ratio"` // DiskDBOps / RedisOps
	DiskDBP50    float64 `json:"diskdb_p50_ms"`
	RedisP50     float64 `json:"redis_p50_ms"`
	DiskDBP99    float64 `json:"diskdb_p99_ms"`
	RedisP99     float64 `json:"redis_p99_ms"`
	P99Ratio     float64 `json:"p99_ratio"` // DiskDBP99 / RedisP99 (lower is better for DiskDB)
	DiskDBSpread float64 `json:"diskdb_spread"`
	RedisSpread  float64 `json:"redis_spread"`
	DiskDBErrors int64   `json:"diskdb_errors"`
	RedisErrors  int64   `json:"redis_errors"`
	Runs         int     `json:"runs"`
}

// Summarize computes medians over the runs of each server and the ratios
// of the medians.
func (c *Comparison) Summarize() Summary {
	s := Summary{Runs: min(len(c.DiskDB), len(c.Redis))}
	dOps, dP50, dP99, dErr := columns(c.DiskDB)
	rOps, rP50, rP99, rErr := columns(c.Redis)
	s.DiskDBOps, s.RedisOps = Median(dOps), Median(rOps)
	s.DiskDBP50, s.RedisP50 = Median(dP50), Median(rP50)
	s.DiskDBP99, s.RedisP99 = Median(dP99), Median(rP99)
	s.Ratio = Ratio(s.DiskDBOps, s.RedisOps)
	s.P99Ratio = Ratio(s.DiskDBP99, s.RedisP99)
	s.DiskDBSpread, s.RedisSpread = Spread(dOps), Spread(rOps)
	s.DiskDBErrors, s.RedisErrors = dErr, rErr
	return s
}

func columns(ss []Sample) (ops, p50, p99 []float64, errs int64) {
	for _, s := range ss {
		ops = append(ops, s.OpsPerSec)
		p50 = append(p50, s.Latency.P50)
		p99 = append(p99, s.Latency.P99)
		errs += s.Errors
	}
	return
}

// Median returns the median of xs (the mean of the two middle values for
// an even count), NaN for none. xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Ratio returns a/b, NaN when either is not a positive number.
func Ratio(a, b float64) float64 {
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.NaN()
	}
	return a / b
}

// Spread is (max-min)/median of xs: how far apart the runs were. NaN for
// none.
func Spread(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	m := Median(xs)
	if !(m > 0) {
		return math.NaN()
	}
	return (hi - lo) / m
}

// RunOrder returns which server goes first in run r of an A/B series:
// DiskDB first in even runs, Redis first in odd ones, so slow drift of the
// machine (other load, page cache, thermal) weighs on both alike.
func RunOrder(r int) [2]string {
	if r%2 == 0 {
		return [2]string{KindDiskDB, KindRedis}
	}
	return [2]string{KindRedis, KindDiskDB}
}
