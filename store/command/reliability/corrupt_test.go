package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// corruptValue is key's value: pseudo-random bytes (incompressible, so the
// SST files are as big as the data and a flipped byte lands in a value).
func corruptValue(key string, n int) string {
	r := rand.New(rand.NewPCG(uint64(len(key)), hash64(key)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('!' + r.IntN(90))
	}
	return key + "=" + string(b)
}

func hash64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// filesBySize lists dir/rocksdb/*ext, largest first.
func filesBySize(t *testing.T, dir, ext string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "rocksdb", "*"+ext))
	sort.Slice(m, func(i, j int) bool {
		a, _ := os.Stat(m[i])
		b, _ := os.Stat(m[j])
		return a.Size() > b.Size()
	})
	if len(m) == 0 {
		t.Fatalf("no %s file in %s/rocksdb", ext, dir)
	}
	return m
}

// flip inverts n bytes of path at off.
func flip(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// writeKeys SETs n keys one by one (each acknowledged before the next).
func writeKeys(t *testing.T, c *redis.Client, n, size int) []string {
	t.Helper()
	ctx := context.Background()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%06d", i)
		if err := c.Set(ctx, keys[i], corruptValue(keys[i], size), 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", keys[i], err)
		}
	}
	return keys
}

// readBack GETs every key: ok = right value, refused = an error reply,
// missing = nil; wrong values fail the test (corruption served silently).
func readBack(t *testing.T, c *redis.Client, keys []string, size int) (ok, refused int, missing []int, firstErr error) {
	t.Helper()
	ctx := context.Background()
	for i, k := range keys {
		v, err := c.Get(ctx, k).Result()
		switch {
		case errors.Is(err, redis.Nil):
			missing = append(missing, i)
		case err != nil:
			var re redis.Error
			if !errors.As(err, &re) {
				t.Fatalf("GET %s: %v (the server should answer)", k, err)
			}
			refused++
			if firstErr == nil {
				firstErr = err
			}
		case v != corruptValue(k, size):
			t.Errorf("GET %s served a wrong value (%d bytes, %.30q...): corruption served silently", k, len(v), v)
		default:
			ok++
		}
	}
	return ok, refused, missing, firstErr
}

func infoInt(c *redis.Client, section, field string) int64 {
	n, _ := strconv.ParseInt(info(c, section, field), 10, 64)
	return n
}

// TestCorruptSSTIsRefusedAndReported flips bytes in the data blocks of
// the largest SST file of a cleanly stopped server: the damaged keys must
// be refused with an error (checksums), never served wrong; the others are
// served; the log and INFO report it.
func TestCorruptSSTIsRefusedAndReported(t *testing.T) {
	const n, size = 5000, 600
	// A 1 MiB memtable: most of the data is flushed to SST files while it
	// is written (a clean stop leaves the rest to the WAL).
	s := testkit.Start(t, "--loglevel", "notice", "--write-buffer-size", "1mb")
	c := newClient(s.Addr, 10*time.Second)
	defer c.Close()
	keys := writeKeys(t, c, n, size)
	s.Stop()
	ssts := filesBySize(t, s.Dir, ".sst")
	st, _ := os.Stat(ssts[0])
	// Data blocks come first in an SST file; index, filter and footer last.
	for _, frac := range []float64{0.1, 0.3, 0.5, 0.7} {
		flip(t, ssts[0], int64(float64(st.Size())*frac), 8)
	}
	s.Restart()
	c2 := newClient(s.Addr, 10*time.Second)
	defer c2.Close()
	ok, refused, missing, firstErr := readBack(t, c2, keys, size)
	t.Logf("%s (%d bytes), 4×8 bytes flipped: %d keys served right, %d refused (%v), %d missing", filepath.Base(ssts[0]), st.Size(), ok, refused, firstErr, len(missing))
	if refused == 0 {
		t.Fatalf("no read was refused after flipping bytes in %s: the corruption went undetected", ssts[0])
	}
	if len(missing) > 0 {
		t.Errorf("%d keys read as absent (e.g. %s): damaged data must be refused with an error, not reported missing", len(missing), keys[missing[0]])
	}
	if !strings.Contains(firstErr.Error(), "Corruption") && !strings.Contains(firstErr.Error(), "checksum") {
		t.Errorf("refusal %q does not say corruption", firstErr)
	}
	if got := infoInt(c2, "persistence", "storage_corrupt_reads"); got < int64(refused) {
		t.Errorf("INFO storage_corrupt_reads = %d, want >= %d", got, refused)
	}
	if !strings.Contains(s.Logs(), "storage corruption detected") {
		t.Errorf("the log does not report the corruption:\n%s", tail(s.Logs()))
	}
	// A compaction that reads the damaged block stops writes (paranoid
	// checks: RocksDB will not rewrite corrupt data); writes then get a
	// clear error and INFO says why, until the operator repairs the data.
	writes := "accepted"
	if err := c2.Set(context.Background(), "still", "writable", 0).Err(); err != nil {
		writes = "refused: " + err.Error()
		if !strings.Contains(err.Error(), "Corruption") || !strings.HasPrefix(err.Error(), "ERR ") {
			t.Errorf("SET after corruption: %v (want an ERR naming the corruption)", err)
		}
		if st := info(c2, "persistence", "aof_last_write_status"); st != "err" {
			t.Errorf("INFO aof_last_write_status = %q while writes are refused", st)
		}
	}
	t.Logf("writes after the corruption: %s", writes)
	if err := c2.Ping(context.Background()).Err(); err != nil || s.Exited() {
		t.Fatalf("server down after serving corrupt reads: %v", err)
	}
	record(t, "corrupt-sst", map[string]any{"keys": n, "served": ok, "refused": refused, "missing": len(missing), "wrong": 0, "writes": writes})
}

// walAfterKill writes n keys with one client, kills the server and returns
// the newest WAL file.
func walAfterKill(t *testing.T, n, size int) (*testkit.Server, []string, string) {
	s := testkit.Start(t, "--loglevel", "notice")
	c := newClient(s.Addr, 10*time.Second)
	keys := writeKeys(t, c, n, size)
	c.Close()
	s.Kill()
	logs := filesBySize(t, s.Dir, ".log")
	sort.Strings(logs) // numbered: the newest is last
	return s, keys, logs[len(logs)-1]
}

// checkPrefix asserts the keys served are exactly a prefix of the write
// order (a single client's acknowledged writes, recovered up to a point)
// and returns its length.
func checkPrefix(t *testing.T, c *redis.Client, keys []string, size int) int {
	t.Helper()
	ok, refused, missing, firstErr := readBack(t, c, keys, size)
	if refused > 0 {
		t.Errorf("%d reads refused after WAL recovery (first: %v)", refused, firstErr)
	}
	if len(missing) > 0 && missing[0]+len(missing) != len(keys) {
		t.Errorf("recovered keys are not a prefix of the write order: %d missing, the first at %d of %d", len(missing), missing[0], len(keys))
	}
	return ok
}

// TestTornWALTailRecovers truncates the last WAL file mid-record after a
// kill -9, as a crash in the middle of a write leaves it: the server must
// start, recover every complete record (a prefix of the writes) and keep
// working.
func TestTornWALTailRecovers(t *testing.T) {
	const n, size = 1500, 300
	s, keys, wal := walAfterKill(t, n, size)
	st, _ := os.Stat(wal)
	cut := st.Size() - int64(size/2) // inside the last record
	if err := os.Truncate(wal, cut); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	c := newClient(s.Addr, 10*time.Second)
	defer c.Close()
	got := checkPrefix(t, c, keys, size)
	t.Logf("WAL %s cut from %d to %d bytes: %d of %d keys recovered", filepath.Base(wal), st.Size(), cut, got, n)
	if got < n-2 || got == n {
		t.Errorf("recovered %d of %d keys after cutting the last record: want all but the last one", got, n)
	}
	if err := c.Set(context.Background(), "after", "torn", 0).Err(); err != nil {
		t.Fatalf("SET after recovering a torn WAL: %v", err)
	}
	s.Kill()
	s.Restart()
	c2 := newClient(s.Addr, 10*time.Second)
	defer c2.Close()
	if v, err := c2.Get(context.Background(), "after").Result(); err != nil || v != "torn" {
		t.Fatalf("write after the torn-tail recovery lost at the next crash: %q, %v", v, err)
	}
	if again := checkPrefix(t, c2, keys, size); again != got {
		t.Errorf("second recovery has %d keys, the first had %d", again, got)
	}
	record(t, "torn-wal", map[string]any{"keys": n, "recovered": got, "lost_records": n - got})
}

// TestCorruptWALTailIsDetected flips bytes a few records before the end of
// the last WAL file: recovery stops at the damaged record (RocksDB's
// point-in-time recovery), so the server starts with a consistent prefix of
// the writes, never a wrong value, and the log and INFO report it.
func TestCorruptWALTailIsDetected(t *testing.T) {
	const n, size = 1500, 300
	s, keys, wal := walAfterKill(t, n, size)
	st, _ := os.Stat(wal)
	off := st.Size() - int64(10*(size+60))
	flip(t, wal, off, 4)
	s.Restart()
	c := newClient(s.Addr, 10*time.Second)
	defer c.Close()
	got := checkPrefix(t, c, keys, size)
	t.Logf("WAL %s: 4 bytes flipped at %d of %d: %d of %d keys recovered", filepath.Base(wal), off, st.Size(), got, n)
	if got >= n {
		t.Errorf("all %d keys recovered although a record was damaged", n)
	}
	if got < n-20 {
		t.Errorf("recovered only %d of %d keys: more lost than the damaged tail", got, n)
	}
	reports := infoInt(c, "persistence", "rocksdb_corruption_reports")
	if reports == 0 {
		t.Errorf("INFO rocksdb_corruption_reports = 0 after recovering past a damaged WAL record; log:\n%s", tail(s.Logs()))
	}
	if err := c.Set(context.Background(), "after", "corrupt wal", 0).Err(); err != nil {
		t.Errorf("SET after recovery: %v", err)
	}
	record(t, "corrupt-wal", map[string]any{"keys": n, "recovered": got, "lost_records": n - got, "reported": reports})
}

// TestCorruptSSTFooterIsRefused damages the end of the largest SST file
// (index, filter and footer blocks, read when the file is opened): the
// server must refuse to start with an error naming the corruption, or start
// and refuse the reads, never serve a wrong value or report a key absent.
func TestCorruptSSTFooterIsRefused(t *testing.T) {
	const n, size = 6000, 600
	s := testkit.Start(t, "--loglevel", "notice", "--write-buffer-size", "1mb")
	c := newClient(s.Addr, 10*time.Second)
	keys := writeKeys(t, c, n, size)
	c.Close()
	s.Stop()
	ssts := filesBySize(t, s.Dir, ".sst")
	st, _ := os.Stat(ssts[0])
	flip(t, ssts[0], st.Size()-200, 16)
	port := testkit.FreePort(t)
	cmd := exec.Command(testkit.Binary(t), "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.Dir, "--loglevel", "notice")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-done
	}()
	outcome := ""
	for deadline := time.Now().Add(20 * time.Second); outcome == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			if !strings.Contains(out.String(), "orruption") {
				t.Fatalf("server exited (%v) without naming the corruption:\n%s", err, out.String())
			}
			outcome = "refused to start: " + lastLine(out.String())
		default:
			cc := newClient("127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
			if cc.Ping(context.Background()).Err() == nil {
				ok, refused, missing, _ := readBack(t, cc, keys, size)
				if len(missing) > 0 {
					t.Errorf("%d keys read as absent after the SST footers were damaged", len(missing))
				}
				outcome = fmt.Sprintf("started: %d keys served, %d refused", ok, refused)
			}
			cc.Close()
		}
	}
	if outcome == "" {
		t.Fatalf("server neither served nor exited in 20 s:\n%s", out.String())
	}
	t.Logf("SST footers damaged: %s", outcome)
	record(t, "corrupt-sst-footer", map[string]any{"keys": n, "outcome": outcome})
}
