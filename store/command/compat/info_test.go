package compat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Introspection as monitoring tools read it: INFO as redis_exporter and
// RedisInsight parse it, MONITOR, LATENCY, CLIENT LIST, MEMORY STATS and
// the Prometheus endpoint.

// exporterFields are the INFO fields redis_exporter turns into metrics
// (its metricMapGauges and metricMapCounters, and the labels of
// redis_instance_info), as far as redis-server 7.0 reports them; with the
// AOF on (DiskDB's WAL plays its part) it also reports the aof_*_size
// fields.
var exporterFields = map[string][]string{
	"server": {"redis_version", "redis_build_id", "redis_mode", "os", "process_id", "tcp_port", "run_id", "uptime_in_seconds"},
	"clients": {"connected_clients", "blocked_clients", "tracking_clients", "client_recent_max_input_buffer",
		"client_recent_max_output_buffer", "maxclients"},
	"memory": {"used_memory", "used_memory_rss", "used_memory_peak", "used_memory_lua", "used_memory_overhead",
		"used_memory_startup", "used_memory_dataset", "used_memory_scripts", "maxmemory", "maxmemory_policy",
		"allocator_active", "allocator_allocated", "allocator_resident", "allocator_frag_ratio", "allocator_frag_bytes",
		"allocator_rss_ratio", "allocator_rss_bytes", "mem_fragmentation_ratio", "mem_fragmentation_bytes",
		"mem_clients_slaves", "mem_clients_normal", "mem_not_counted_for_evict", "lazyfree_pending_objects",
		"active_defrag_running", "total_system_memory"},
	"persistence": {"loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
		"rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec", "rdb_last_cow_size",
		"aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
		"aof_current_rewrite_time_sec", "aof_last_cow_size", "aof_current_size", "aof_base_size", "aof_pending_rewrite",
		"aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync", "aof_last_bgrewrite_status",
		"aof_last_write_status", "module_fork_in_progress", "module_fork_last_cow_size"},
	"stats": {"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
		"total_net_input_bytes", "total_net_output_bytes", "instantaneous_input_kbps", "instantaneous_output_kbps",
		"rejected_connections", "sync_full", "sync_partial_ok", "sync_partial_err", "expired_keys", "expired_stale_perc",
		"expired_time_cap_reached_count", "evicted_keys", "keyspace_hits", "keyspace_misses", "pubsub_channels",
		"pubsub_patterns", "latest_fork_usec", "migrate_cached_sockets", "slave_expires_tracked_keys",
		"active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
		"total_error_replies", "evicted_clients"},
	"replication": {"role", "connected_slaves", "master_repl_offset", "second_repl_offset", "repl_backlog_active",
		"repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen"},
	"cpu":     {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"},
	"cluster": {"cluster_enabled"},
	"rocksdb": {"rocksdb_estimate_num_keys", "rocksdb_total_sst_files_size", "rocksdb_live_sst_files_size",
		"rocksdb_cur_size_all_mem_tables", "rocksdb_num_running_compactions", "rocksdb_compaction_pending",
		"rocksdb_estimate_pending_compaction_bytes", "rocksdb_actual_delayed_write_rate", "rocksdb_is_write_stopped",
		"rocksdb_stall_micros", "rocksdb_block_cache_usage", "rocksdb_block_cache_capacity",
		"rocksdb_block_cache_hits", "rocksdb_block_cache_misses", "rocksdb_block_cache_hit_rate", "hot_cache_hit_rate",
		"rocksdb_num_files_at_level0", "rocksdb_wal_size"},
}

// textFields are exporterFields whose values are words, not numbers.
var textFields = map[string]bool{"redis_version": true, "redis_build_id": true, "redis_mode": true, "os": true,
	"run_id": true, "role": true, "maxmemory_policy": true, "rdb_last_bgsave_status": true,
	"aof_last_bgrewrite_status": true, "aof_last_write_status": true}

// scrapeInfo parses an INFO reply as redis_exporter does: "# Section"
// headers, then "key:value" lines.
func scrapeInfo(info string) map[string]map[string]string {
	out := map[string]map[string]string{}
	sec := ""
	for _, line := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			sec = strings.ToLower(strings.TrimPrefix(line, "# "))
			out[sec] = map[string]string{}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || sec == "" {
			continue
		}
		out[sec][k] = v
	}
	return out
}

func TestINFOHasEveryFieldRedisExporterReads(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.Set(ctx, "k", "v", time.Hour)
	c.Get(ctx, "k")
	c.Get(ctx, "nosuch")
	c.Do(ctx, "NOSUCHCMD")
	c.HSet(ctx, "h", "f", "v")
	info := scrapeInfo(c.Info(ctx, "everything").Val())
	for sec, fields := range exporterFields {
		got, ok := info[sec]
		if !ok {
			t.Errorf("INFO everything lacks section %s", sec)
			continue
		}
		for _, f := range fields {
			v, ok := got[f]
			if !ok {
				t.Errorf("INFO %s lacks %s", sec, f)
				continue
			}
			if _, err := strconv.ParseFloat(v, 64); err != nil && !textFields[f] {
				t.Errorf("INFO %s %s = %q, not a number", sec, f, v)
			}
		}
	}
	// Per-command, per-error and per-database lines, as the exporter
	// splits them.
	cmdstat := regexp.MustCompile(`^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d{2}),rejected_calls=(\d+),failed_calls=(\d+)$`)
	if m := cmdstat.FindStringSubmatch(info["commandstats"]["cmdstat_get"]); m == nil || m[1] != "2" {
		t.Errorf("cmdstat_get = %q", info["commandstats"]["cmdstat_get"])
	}
	if v := info["errorstats"]["errorstat_ERR"]; v != "count=1" {
		t.Errorf("errorstat_ERR = %q", v)
	}
	if v := info["keyspace"]["db0"]; !regexp.MustCompile(`^keys=2,expires=1,avg_ttl=\d+$`).MatchString(v) {
		t.Errorf("db0 = %q", v)
	}
	lat := regexp.MustCompile(`^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	for _, cmd := range []string{"get", "set", "hset"} {
		if v := info["latencystats"]["latency_percentiles_usec_"+cmd]; !lat.MatchString(v) {
			t.Errorf("latency_percentiles_usec_%s = %q", cmd, v)
		}
	}
	if _, ok := info["latencystats"]["latency_percentiles_usec_del"]; ok {
		t.Error("latencystats lists a command that never ran")
	}
	// latency-tracking-info-percentiles chooses the percentiles;
	// latency-tracking off stops the histograms; CONFIG RESETSTAT empties them.
	c.ConfigSet(ctx, "latency-tracking-info-percentiles", "50 90")
	if v := scrapeInfo(c.Info(ctx, "latencystats").Val())["latencystats"]["latency_percentiles_usec_get"]; !regexp.MustCompile(`^p50=[\d.]+,p90=[\d.]+$`).MatchString(v) {
		t.Errorf("with percentiles 50 90: %q", v)
	}
	c.ConfigSet(ctx, "latency-tracking", "no")
	c.ConfigResetStat(ctx)
	c.Get(ctx, "k")
	if l := scrapeInfo(c.Info(ctx, "latencystats").Val())["latencystats"]; len(l) != 0 {
		t.Errorf("latencystats after RESETSTAT with tracking off: %v", l)
	}
}

func TestMONITORStreamsCommandsAsRedis(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	norm := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) (127\.0\.0\.1:\d+|lua)\] `)
	var got [2][]string
	for i, s := range []*testkit.Server{ref, dut} {
		mon := s.Raw()
		if r := do(t, mon, "MONITOR"); r != "+OK\r\n" {
			t.Fatalf("MONITOR: %q", r)
		}
		c := s.Raw()
		for _, args := range [][]string{
			{"SET", "a b", "x\ny\x01\"\\"}, {"GET", "a b"}, {"SELECT", "3"}, {"EVAL", "return redis.call('set', 'k', 1)", "0"},
			{"AUTH", "user", "secret"}, {"CONFIG", "GET", "maxclients"}, {"NOSUCH"}, {"GET"},
			{"MULTI"}, {"SET", "q", "1"}, {"EXEC"}, {"SELECT", "0"}, {"PING"},
		} {
			do(t, c, args...)
		}
		do(t, mon, "PING", "monitor-end") // the monitor's own commands show too
		out := string(readUntil(t, mon, "\"monitor-end\"\r\n"))
		for _, l := range strings.SplitAfter(out, "\r\n") {
			if !strings.HasPrefix(l, "+") || l == "+PONG\r\n" {
				continue
			}
			if !norm.MatchString(l) {
				t.Fatalf("monitor line %q", l)
			}
			m := norm.FindStringSubmatch(l)
			who := "client"
			if m[2] == "lua" {
				who = "lua"
			}
			got[i] = append(got[i], "["+m[1]+" "+who+"] "+norm.ReplaceAllString(l, ""))
		}
		// A monitor may not touch the keyspace.
		if r := do(t, mon, "GET", "x"); !strings.Contains(r, "-ERR Replica can't interact with the keyspace\r\n") {
			t.Fatalf("GET from a monitor: %q", r)
		}
	}
	if strings.Join(got[0], "") != strings.Join(got[1], "") {
		t.Fatalf("MONITOR output\n redis-server: %q\n       diskdb: %q", got[0], got[1])
	}
	if !strings.Contains(strings.Join(got[1], ""), `"auth" "(redacted)" "(redacted)"`) && !strings.Contains(strings.Join(got[1], ""), `"AUTH" "(redacted)" "(redacted)"`) {
		t.Fatalf("AUTH's password shown: %q", got[1])
	}
}

func TestLATENCYMonitorRecordsSlowCommands(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	if r := do(t, c, "LATENCY", "LATEST"); r != "*0\r\n" {
		t.Fatalf("LATEST with no events: %q", r)
	}
	do(t, c, "CONFIG", "SET", "latency-monitor-threshold", "20")
	do(t, c, "DEBUG", "SLEEP", "0.05")
	do(t, c, "GET", "fast")
	latest := do(t, c, "LATENCY", "LATEST")
	m := regexp.MustCompile(`^\*1\r\n\*4\r\n\$7\r\ncommand\r\n:(\d+)\r\n:(\d+)\r\n:(\d+)\r\n$`).FindStringSubmatch(latest)
	if m == nil {
		t.Fatalf("LATEST: %q", latest)
	}
	if at, _ := strconv.ParseInt(m[1], 10, 64); at < time.Now().Unix()-10 {
		t.Fatalf("LATEST time %s", m[1])
	}
	if ms, _ := strconv.Atoi(m[2]); ms < 50 || m[2] != m[3] {
		t.Fatalf("LATEST latency %s max %s", m[2], m[3])
	}
	if h := do(t, c, "LATENCY", "HISTORY", "command"); !strings.HasPrefix(h, "*1\r\n*2\r\n:") {
		t.Fatalf("HISTORY: %q", h)
	}
	doc := do(t, c, "LATENCY", "DOCTOR")
	if !strings.Contains(doc, "1. command: 1 latency spikes (average ") || !strings.Contains(doc, "I have a few advices for you") {
		t.Fatalf("DOCTOR: %q", doc)
	}
	if g := do(t, c, "LATENCY", "GRAPH", "command"); !strings.Contains(g, "command - high ") || !strings.Contains(g, "#") {
		t.Fatalf("GRAPH: %q", g)
	}
	hist := do(t, c, "LATENCY", "HISTOGRAM", "get", "nosuch")
	if !regexp.MustCompile(`^\*2\r\n\$3\r\nget\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n\*\d+\r\n(:\d+\r\n)+$`).MatchString(hist) {
		t.Fatalf("HISTOGRAM get: %q", hist)
	}
	if r := do(t, c, "LATENCY", "RESET", "command", "nosuch"); r != ":1\r\n" {
		t.Fatalf("RESET: %q", r)
	}
	if r := do(t, c, "LATENCY", "LATEST"); r != "*0\r\n" {
		t.Fatalf("LATEST after RESET: %q", r)
	}
}

func TestCLIENTLISTShowsEachClientsState(t *testing.T) {
	s := testkit.Start(t)
	admin := s.Raw()
	sub := s.Raw()
	do(t, sub, "SUBSCRIBE", "a", "b")
	do(t, sub, "PSUBSCRIBE", "p*")
	tx := s.Raw()
	do(t, tx, "MULTI")
	do(t, tx, "SET", "k", strings.Repeat("v", 100))
	do(t, tx, "GET", "k")
	blocked := s.Raw()
	send(t, blocked, string(testkit.Encode("BLPOP", "q", "0")))
	mon := s.Raw()
	do(t, mon, "MONITOR")
	time.Sleep(200 * time.Millisecond)
	list := do(t, admin, "CLIENT", "LIST")
	lines := strings.Split(strings.TrimSpace(list[strings.Index(list, "\r\n")+2:]), "\n")
	find := func(cmd string) string {
		for _, l := range lines {
			if strings.Contains(l, " cmd="+cmd+" ") {
				return l
			}
		}
		t.Fatalf("no client ran %s: %q", cmd, list)
		return ""
	}
	for cmd, want := range map[string][]string{
		"psubscribe": {" flags=P ", " sub=2 psub=1 ssub=0 ", " multi=-1 "},
		"get":        {" flags=x ", " multi=2 ", " multi-mem=108 "},
		"blpop":      {" flags=b "},
		"monitor":    {" flags=O "},
	} {
		l := find(cmd)
		for _, w := range want {
			if !strings.Contains(l, w) {
				t.Errorf("%s client lacks %q: %s", cmd, w, l)
			}
		}
	}
	pub := do(t, admin, "CLIENT", "LIST", "TYPE", "pubsub")
	if strings.Count(pub, "id=") != 1 || !strings.Contains(pub, "cmd=psubscribe") {
		t.Fatalf("CLIENT LIST TYPE pubsub: %q", pub)
	}
	if n := strings.Count(do(t, admin, "CLIENT", "LIST", "TYPE", "normal"), "id="); n != 4 {
		t.Fatalf("CLIENT LIST TYPE normal lists %d clients", n)
	}
	if r := do(t, admin, "CLIENT", "KILL", "TYPE", "pubsub"); r != ":1\r\n" {
		t.Fatalf("CLIENT KILL TYPE pubsub: %q", r)
	}
	if !closedByServer(sub, 2*time.Second) {
		t.Fatal("the subscriber survived CLIENT KILL TYPE pubsub")
	}
}

func TestMEMORYSTATSHasRedisFields(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	ctx := context.Background()
	keys := func(s *testkit.Server) []string {
		c := client(t, s, 3)
		c.Set(ctx, "k", "v", 0)
		m, err := c.Do(ctx, "MEMORY", "STATS").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range m.(map[any]any) {
			if ks := k.(string); !strings.HasPrefix(ks, "db.") && !strings.HasPrefix(ks, "rocksdb.") {
				out = append(out, ks)
			}
		}
		sort.Strings(out)
		return out
	}
	if want, got := keys(ref), keys(dut); strings.Join(want, " ") != strings.Join(got, " ") {
		t.Fatalf("MEMORY STATS fields\n redis-server: %v\n       diskdb: %v", want, got)
	}
	c := client(t, dut, 2)
	if d := c.Do(ctx, "MEMORY", "DOCTOR").Val(); !strings.HasPrefix(fmt.Sprint(d), "Hi Sam") && !strings.HasPrefix(fmt.Sprint(d), "Sam, I detected") {
		t.Fatalf("MEMORY DOCTOR: %v", d)
	}
}

func TestPrometheusEndpointCountsCommands(t *testing.T) {
	port := testkit.FreePort(t)
	s := testkit.Start(t, "--metrics-addr", "127.0.0.1:"+strconv.Itoa(port))
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
	defer c.Close()
	for i := 0; i < 3; i++ {
		c.Set(ctx, "k", "v", 0)
	}
	c.Do(ctx, "CONFIG", "GET")
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics endpoint: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`diskdb_commands_total{cmd="set"} 3`,
		`diskdb_commands_rejected_total{cmd="config|get"} 1`,
		`diskdb_command_duration_seconds_bucket{cmd="set",le="+Inf"} 3`,
		`diskdb_command_duration_seconds_count{cmd="set"} 3`,
		`diskdb_connected_clients 1`,
		`diskdb_db_keys{db="0"} 1`,
		"diskdb_rocksdb_block_cache_capacity ",
		"diskdb_used_memory ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`diskdb_command_duration_seconds_bucket\{cmd="set",le="0\.001"\} [0-3]\n`).MatchString(body) {
		t.Errorf("no latency bucket for set:\n%s", body)
	}
}
