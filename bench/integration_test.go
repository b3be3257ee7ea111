package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// The generator against the real servers: it gets replies, counts no
// error where there is none, counts every error where there are some, and
// a request count is exact.
func TestGeneratorAgainstServers(t *testing.T) {
	servers := map[string]*testkit.Server{
		KindDiskDB: testkit.Start(t),
		KindRedis:  testkit.StartRedis(t),
	}
	ctx := context.Background()
	for kind, srv := range servers {
		t.Run(kind, func(t *testing.T) {
			res, err := Run(ctx, Config{Addr: srv.Addr, Conns: 8, Threads: 2, Pipeline: 4, Workload: "setget", Ratio: "1:1",
				KeySpace: 1000, ValueMin: 10, ValueMax: 200, Duration: 700 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops == 0 || res.Errors != 0 || res.OpsPerSec <= 0 {
				t.Fatalf("setget: %s; errors %v", res.Summary(), res.ErrorSamples)
			}
			if res.PerOp["set"] == 0 || res.PerOp["get"] == 0 || res.PerOp["set"]+res.PerOp["get"] != res.Ops {
				t.Errorf("per-op counts %v for %d ops", res.PerOp, res.Ops)
			}
			if !(res.Latency.P50 > 0 && res.Latency.P50 <= res.Latency.P99 && res.Latency.P99 <= res.Latency.P999 &&
				res.Latency.P999 <= res.Latency.Max) {
				t.Errorf("latencies out of order: %+v", res.Latency)
			}

			// A request count is exact; prefill makes every GET find its key.
			res, err = Run(ctx, Config{Addr: srv.Addr, Conns: 5, Pipeline: 7, Workload: "get,incr,lpush,rpop,hset,hget",
				KeySpace: 500, Requests: 3001, Prefill: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops != 3001 || res.Errors != 0 {
				t.Fatalf("request count: %s; errors %v", res.Summary(), res.ErrorSamples)
			}
			c := srv.Raw()
			if r, _ := c.Do("GET", KeyName(prefixString, 499)); len(r) != len("$100\r\n")+100+2 {
				t.Errorf("prefilled key %s: %q", KeyName(prefixString, 499), r)
			}
			path := filepath.Join(t.TempDir(), "r.json")
			if err := WriteJSON(path, res); err != nil {
				t.Fatal(err)
			}
			var back Result
			if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &back) != nil || back.Ops != 3001 {
				t.Errorf("JSON result did not round-trip: %v %+v", err, back)
			}
		})
	}
	// redis-server has no JSON module: every request is an error reply,
	// each counted.
	res, err := Run(ctx, Config{Addr: servers[KindRedis].Addr, Conns: 2, Pipeline: 3, Workload: "json.set", Requests: 30})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 30 || len(res.ErrorSamples) == 0 || !strings.Contains(res.ErrorSamples[0], "unknown command") {
		t.Errorf("json.set on redis-server: %d errors, samples %q", res.Errors, res.ErrorSamples)
	}
}

// A side-by-side run of one row and a small memory row end to end.
func TestSideBySideSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	bin := testkit.Binary(t)
	testkit.StartRedis(t) // skips when redis-server is missing
	ctx := context.Background()
	rep, err := SideBySide(ctx, SideConfig{DiskDB: bin, Dir: t.TempDir(), Modes: []string{"everysec"}, Runs: 2,
		Duration: 200 * time.Millisecond, Only: "diskdb-bench/INCR", KeySpace: 1000, IdleWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 {
		t.Fatalf("%d rows", len(rep.Rows))
	}
	row := rep.Rows[0]
	if len(row.DiskDB) != 2 || len(row.Redis) != 2 || row.DiskDB[0].Order != 0 || row.Redis[0].Order != 1 || row.Redis[1].Order != 0 {
		t.Fatalf("runs not alternated: %+v", row)
	}
	s := row.Summarize()
	if !(s.Ratio > 0) || s.DiskDBErrors != 0 || s.RedisErrors != 0 {
		t.Errorf("summary %+v", s)
	}
	md := rep.Markdown()
	if !strings.Contains(md, "| everysec | diskdb-bench | INCR | 16 |") || !strings.Contains(md, "nproc") {
		t.Errorf("markdown:\n%s", md)
	}

	m, err := MemoryRow(ctx, MemoryConfig{DiskDB: bin, Dir: t.TempDir(), Keys: 10000, HotKeys: 2000, Runs: 1,
		Duration: 200 * time.Millisecond, IdleWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if m.DiskDB.RSSLoaded <= 0 || m.Redis.RSSLoaded <= 0 || m.DiskDB.PeakRSS < m.DiskDB.RSSLoaded || m.DiskDB.DiskBytes <= 0 {
		t.Errorf("memory figures %+v %+v", m.DiskDB, m.Redis)
	}
	if len(m.GetAll.DiskDB) != 1 || m.GetAll.DiskDB[0].Errors != 0 || m.GetHot.Redis[0].Ops == 0 {
		t.Errorf("GET rows %+v %+v", m.GetAll, m.GetHot)
	}
	if !strings.Contains(m.Markdown(), "RSS after loading") {
		t.Error("memory markdown lacks the RSS row")
	}
}
