package bench

import (
	"strings"
	"testing"
)

// Output of redis-benchmark 7.0.15 -t set,get --csv, with an error line
// of the kind it prints between tests.
const rbOutput = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","160000.00","4.787","0.416","4.687","6.999","12.007","12.199"
Error from server: ERR unknown command 'LPUSH'
"GET","344827.59","2.034","0.152","1.399","5.127","13.511","13.543"
`

func TestParseRBCSV(t *testing.T) {
	res, err := ParseRBCSV(strings.NewReader(rbOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results: %+v", len(res), res)
	}
	set, get := res[0], res[1]
	if set.Test != "SET" || set.OpsPerSec != 160000 || set.Latency.Mean != 4.787 || set.MinMs != 0.416 ||
		set.Latency.P50 != 4.687 || set.P95Ms != 6.999 || set.Latency.P99 != 12.007 || set.Latency.Max != 12.199 {
		t.Errorf("SET parsed as %+v", set)
	}
	if get.Test != "GET" || get.OpsPerSec != 344827.59 || get.Latency.P99 != 13.511 {
		t.Errorf("GET parsed as %+v", get)
	}
	if firstError(rbOutput) != "Error from server: ERR unknown command 'LPUSH'" {
		t.Errorf("firstError = %q", firstError(rbOutput))
	}
	for _, bad := range []string{
		"",
		`"SET","1","1","1","1","1","1","1"`,
		`"test","rps"` + "\n" + `"SET","1"`,
		`"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n" +
			`"SET","fast","1","1","1","1","1","1"`,
	} {
		if _, err := ParseRBCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseRBCSV(%q) succeeded", bad)
		}
	}
}

func TestRBArgs(t *testing.T) {
	args, err := RBConfig{Addr: "127.0.0.1:7000", Tests: "set,get", Pipeline: 16, Requests: 5000}.Args()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	want := "-h 127.0.0.1 -p 7000 -c 50 -P 16 -n 5000 -d 100 -r 100000 -t set,get --csv"
	if got != want {
		t.Errorf("args %q, want %q", got, want)
	}
	if _, err := (RBConfig{Addr: "nohost"}).Args(); err == nil {
		t.Error("an address without a port was accepted")
	}
}
