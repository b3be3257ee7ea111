package bench

import (
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1000}, 10}, // an outlier run does not move it
	} {
		in := append([]float64(nil), tc.in...)
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Median reordered its input: %v", tc.in)
			}
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median of nothing is not NaN")
	}
}

func TestRatioAndSpread(t *testing.T) {
	if r := Ratio(150, 100); r != 1.5 {
		t.Errorf("Ratio = %v", r)
	}
	for _, tc := range [][2]float64{{0, 100}, {100, 0}, {math.NaN(), 1}, {1, math.Inf(1)}, {-1, 2}} {
		if r := Ratio(tc[0], tc[1]); !math.IsNaN(r) {
			t.Errorf("Ratio(%v, %v) = %v, want NaN", tc[0], tc[1], r)
		}
	}
	if s := Spread([]float64{90, 100, 110}); math.Abs(s-0.2) > 1e-9 {
		t.Errorf("Spread = %v, want 0.2", s)
	}
	if s := Spread([]float64{100}); s != 0 {
		t.Errorf("Spread of one run = %v", s)
	}
	if !math.IsNaN(Spread(nil)) {
		t.Error("Spread of nothing is not NaN")
	}
}

func TestSummarize(t *testing.T) {
	c := &Comparison{
		DiskDB: []Sample{
			{OpsPerSec: 100, Latency: Latency{P50: 1, P99: 4}},
			{OpsPerSec: 300, Latency: Latency{P50: 2, P99: 2}, Errors: 1},
			{OpsPerSec: 200, Latency: Latency{P50: 3, P99: 3}},
		},
		Redis: []Sample{
			{OpsPerSec: 400, Latency: Latency{P50: 1, P99: 1}},
			{OpsPerSec: 100, Latency: Latency{P50: 1, P99: 2}},
			{OpsPerSec: 500, Latency: Latency{P50: 1, P99: 1.5}},
		},
	}
	s := c.Summarize()
	// Medians first, then the ratio of the medians.
	if s.DiskDBOps != 200 || s.RedisOps != 400 || s.Ratio != 0.5 {
		t.Errorf("ops medians %v / %v ratio %v, want 200 / 400 ratio 0.5", s.DiskDBOps, s.RedisOps, s.Ratio)
	}
	if s.DiskDBP99 != 3 || s.RedisP99 != 1.5 || s.P99Ratio != 2 {
		t.Errorf("p99 medians %v / %v ratio %v", s.DiskDBP99, s.RedisP99, s.P99Ratio)
	}
	if s.DiskDBP50 != 2 || s.RedisP50 != 1 {
		t.Errorf("p50 medians %v / %v", s.DiskDBP50, s.RedisP50)
	}
	if s.DiskDBErrors != 1 || s.RedisErrors != 0 || s.Runs != 3 {
		t.Errorf("errors %d/%d runs %d", s.DiskDBErrors, s.RedisErrors, s.Runs)
	}
	if math.Abs(s.DiskDBSpread-1) > 1e-9 || math.Abs(s.RedisSpread-1) > 1e-9 {
		t.Errorf("spreads %v %v, want 1 and 1", s.DiskDBSpread, s.RedisSpread)
	}
	// A row with no runs on one side has no ratio.
	if s := (&Comparison{DiskDB: c.DiskDB}).Summarize(); !math.IsNaN(s.Ratio) || s.Runs != 0 {
		t.Errorf("one-sided row: ratio %v runs %d", s.Ratio, s.Runs)
	}
}

func TestRunOrderAlternates(t *testing.T) {
	first := map[string]int{}
	for r := 0; r < 6; r++ {
		o := RunOrder(r)
		if o[0] == o[1] {
			t.Fatalf("run %d: %v", r, o)
		}
		first[o[0]]++
	}
	if first[KindDiskDB] != 3 || first[KindRedis] != 3 {
		t.Errorf("each server should go first in half the runs: %v", first)
	}
}

func TestComparisonTable(t *testing.T) {
	rows := []*Comparison{
		{Mode: "everysec", Client: ClientGen, Test: "SET 100 B", Pipeline: 16,
			DiskDB: []Sample{{OpsPerSec: 1234567.4, Latency: Latency{P99: 1.5}}},
			Redis:  []Sample{{OpsPerSec: 1000000, Latency: Latency{P99: 1}}}},
		{Mode: "always", Client: ClientRB, Test: "SET 100 B", Pipeline: 1},
		{Mode: "everysec", Client: ClientGen, Test: "SADD 100 B", Pipeline: 16,
			DiskDB: []Sample{{OpsPerSec: 900000, Errors: 5}}, Redis: []Sample{{OpsPerSec: 300000}}},
	}
	tab := ComparisonTable(rows)
	lines := strings.Split(strings.TrimSpace(tab), "\n")
	if len(lines) != 5 {
		t.Fatalf("table has %d lines:\n%s", len(lines), tab)
	}
	for _, want := range []string{"| everysec | diskdb-bench | SET 100 B | 16 | 1,234,567 | 1,000,000 | **1.23** | 1.500 | 1.000 | 1.50 |"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row %q lacks %q", lines[2], want)
		}
	}
	if !strings.Contains(lines[3], "| – | – | **–** |") {
		t.Errorf("an unmeasured row must show dashes, not numbers: %q", lines[3])
	}
	if !strings.Contains(lines[4], "**– (error replies)**") || !strings.Contains(lines[4], "| 5 / 0 |") {
		t.Errorf("a row with error replies must have no ratio: %q", lines[4])
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 123456.6: "123,457", 1234567: "1,234,567"} {
		if got := fmtOps(in); got != want {
			t.Errorf("fmtOps(%v) = %q, want %q", in, got, want)
		}
	}
	if fmtOps(math.NaN()) != "–" || fmtRatio(math.NaN()) != "–" || fmtMs(math.NaN()) != "–" {
		t.Error("NaN must print as a dash")
	}
	if got := fmtMiB(3 << 20); got != "3.0 MiB" {
		t.Errorf("fmtMiB = %q", got)
	}
}
