package reliability

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// raceBinary returns $DISKDB_RACE_BIN (make builds bin/diskdb-race) or
// builds a race-enabled server into a temporary directory.
func raceBinary(t *testing.T) string {
	if p := os.Getenv("DISKDB_RACE_BIN"); p != "" {
		return p
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Skipf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "diskdb-race")
	cmd := exec.Command("go", "build", "-race", "-o", bin, "./cmd/diskdb")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-ldflags=-checklinkname=0", "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -race: %v\n%s", err, b)
	}
	return bin
}

// TestServerUnderRaceDetector runs a race-enabled server under the mixed
// workload (every type, MULTI/EXEC, blocking pops), the network fuzzer,
// pub/sub, SAVE/BGSAVE, CONFIG SET and keyspace scans for
// RELIABILITY_RACE_DURATION (15 s), stops it cleanly, and fails on any
// race report (GORACE log_path; both stacks are in the report).
func TestServerUnderRaceDetector(t *testing.T) {
	if testing.Short() {
		t.Skip("race run skipped in -short")
	}
	dur := envDur("RELIABILITY_RACE_DURATION", 15*time.Second)
	bin := raceBinary(t)
	logDir := t.TempDir()
	t.Setenv("GORACE", "log_path="+filepath.Join(logDir, "race")+" halt_on_error=0")
	t.Setenv("DISKDB_BIN", bin)
	s := testkit.Start(t, "--loglevel", "notice", "--write-buffer-size", "1mb")
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	h, finish := goodLoad(t, s, ctx, 6, 800)
	fz := startFuzzers(ctx, s, 4)
	admin := newClient(s.Addr, 30*time.Second)
	defer admin.Close()
	admins := 0
	for i := 0; ctx.Err() == nil; i++ {
		for _, cmd := range [][]any{
			{"BGSAVE"}, {"INFO", "all"}, {"CLIENT", "LIST"}, {"DBSIZE"}, {"SCAN", "0", "COUNT", "100"},
			{"CONFIG", "SET", "appendfsync", []string{"always", "everysec", "no"}[i%3]},
			{"PUBLISH", "race", "x"}, {"KEYS", "w80*"}, {"SAVE"}, {"SELECT", "0"},
		} {
			if err := admin.Do(context.Background(), cmd...).Err(); err != nil && !strings.Contains(err.Error(), "in progress") {
				t.Errorf("%v: %v", cmd, err)
			}
			admins++
		}
		time.Sleep(50 * time.Millisecond)
	}
	fz.wait()
	finish()
	s.Stop()
	reports, _ := filepath.Glob(filepath.Join(logDir, "race*"))
	for _, r := range reports {
		b, _ := os.ReadFile(r)
		t.Errorf("data race in the server (%s):\n%s", filepath.Base(r), b)
	}
	if strings.Contains(s.Logs(), "DATA RACE") {
		t.Errorf("data race reported on the server's output:\n%s", s.Logs())
	}
	t.Logf("race-enabled server, %v: %d mixed operations, %d fuzz frames, %d admin commands; %d race reports", dur, h.cnt.ops.Load(), fz.frames.Load(), admins, len(reports))
	record(t, "race", map[string]any{"seconds": dur.Seconds(), "ops": h.cnt.ops.Load(), "fuzz_frames": fz.frames.Load(), "admin": admins, "races": len(reports)})
}

// TestQUITAfterAnExecutorCommandCloses is the regression test for the race
// the race run found on cl.closing: QUIT following a command that went to
// an executor shard is run by that shard's goroutine; the connection must
// still get both replies and then be closed (by the Serve after the batch).
func TestQUITAfterAnExecutorCommandCloses(t *testing.T) {
	s := testkit.Start(t)
	for i := 0; i < 300; i++ {
		c, err := testkit.Dial(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\nv\r\n*1\r\n$4\r\nQUIT\r\n*2\r\n$3\r\nGET\r\n$1\r\nq\r\n")); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(c.R)
		c.Close()
		if err != nil || string(b) != "+OK\r\n+OK\r\n" {
			t.Fatalf("connection %d: SET, QUIT, GET pipelined: read %q, %v; want +OK +OK then EOF", i, b, err)
		}
	}
}
