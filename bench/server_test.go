package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "1234 (diskdb (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 10 18446744073709551615"
	d, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if d != 3*time.Second { // (250+50) ticks of 10 ms
		t.Errorf("cpu = %v, want 3s", d)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) succeeded", bad)
		}
	}
}

func TestOwnProcessFigures(t *testing.T) {
	rss, err := ProcRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Errorf("own RSS %d, %v", rss, err)
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
	if _, err := parseKB(" 12 MB"); err == nil {
		t.Error("parseKB accepted another unit")
	}
	if n, err := parseKB("  2048 kB"); err != nil || n != 2048<<10 {
		t.Errorf("parseKB = %d, %v", n, err)
	}
}

func TestModes(t *testing.T) {
	for _, name := range []string{"none", "everysec", "always"} {
		m, err := ModeByName(name)
		if err != nil {
			t.Fatal(err)
		}
		d, r := strings.Join(m.DiskDBArgs, " "), strings.Join(m.RedisArgs, " ")
		switch name {
		case "none":
			if d != "--fsync no" || r != "--save  --appendonly no" {
				t.Errorf("none: %q / %q", d, r)
			}
		default:
			if d != "--fsync "+name || !strings.Contains(r, "--appendonly yes --appendfsync "+name) {
				t.Errorf("%s: %q / %q", name, d, r)
			}
		}
	}
	if _, err := ModeByName("sometimes"); err == nil {
		t.Error("unknown mode accepted")
	}
}

// The default plan measures every row of the targets table.
func TestPlanCoversTargets(t *testing.T) {
	cfg := SideConfig{DiskDB: "x"}
	cfg.Defaults()
	jobs, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, j := range jobs {
		ids[j.ID()] = true
	}
	var want []string
	for _, mode := range []string{"none", "everysec"} {
		for _, p := range []string{"P1", "P16"} {
			want = append(want, mode+"/diskdb-bench/SET 100 B/"+p, mode+"/diskdb-bench/GET 100 B/"+p,
				mode+"/redis-benchmark/SET 100 B+GET 100 B/"+p)
		}
	}
	for _, op := range []string{"LPUSH 100 B", "HSET 100 B", "SADD", "ZADD", "INCR"} {
		want = append(want, "everysec/diskdb-bench/"+op+"/P16")
	}
	for _, op := range []string{"SET 100 B", "INCR", "LPUSH 100 B"} {
		want = append(want, "always/diskdb-bench/"+op+"/P1", "always/diskdb-bench/"+op+"/P16")
	}
	want = append(want, "always/redis-benchmark/SET 100 B/P1", "always/redis-benchmark/SET 100 B/P16")
	for _, id := range want {
		if !ids[id] {
			t.Errorf("plan lacks %s", id)
		}
	}
	if len(ids) != len(want) {
		t.Errorf("plan has %d jobs, the targets %d: %v", len(ids), len(want), ids)
	}
	for _, j := range jobs {
		if j.Client == ClientGen && (j.Workload == "get") != j.Prefill {
			t.Errorf("%s: prefill %v", j.ID(), j.Prefill)
		}
	}

	cfg.Only = "^always/.*/P1$"
	jobs, _ = Plan(cfg)
	if len(jobs) != 4 {
		t.Errorf("--only kept %d jobs, want 4", len(jobs))
	}
	cfg.Only, cfg.Modes = "", []string{"never"}
	if _, err := Plan(cfg); err == nil {
		t.Error("unknown mode planned")
	}
}

func TestRBRequests(t *testing.T) {
	cfg := SideConfig{RBDuration: 2 * time.Second}
	rows := []*Comparison{{Mode: "always", Client: ClientGen, Test: "SET 100 B", Pipeline: 1,
		DiskDB: []Sample{{OpsPerSec: 12345}}, Redis: []Sample{{OpsPerSec: 54321}}}}
	// From the slower server's generator rate: about Duration of work.
	if n := rbRequests(cfg, rows, "always", 1); n != 24000 {
		t.Errorf("n = %d, want 24000", n)
	}
	if n := rbRequests(cfg, rows, "none", 16); n != 1000000 {
		t.Errorf("fallback n = %d", n)
	}
	rows[0].DiskDB[0].OpsPerSec = 10
	if n := rbRequests(cfg, rows, "always", 1); n != 10000 {
		t.Errorf("floor n = %d", n)
	}
}

// The default run fits the ~10-15 minutes make bench promises, the quick
// one 1-2 minutes (by the plan's own estimate).
func TestEstimateBudget(t *testing.T) {
	for _, tc := range []struct {
		quick    bool
		min, max time.Duration
	}{{false, 10 * time.Minute, 15 * time.Minute}, {true, time.Minute, 150 * time.Second}} {
		cfg := SideConfig{DiskDB: "x", Quick: tc.quick, Memory: true}
		cfg.Defaults()
		jobs, err := Plan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if d := Estimate(cfg, jobs); d < tc.min || d > tc.max {
			t.Errorf("quick=%v: estimate %s, want %s-%s", tc.quick, d, tc.min, tc.max)
		}
	}
}
