package reliability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// smallFS mounts a size-limited filesystem for the test (a tmpfs, or an
// ext4 image on a loop device) and unmounts it at the end; the test is
// skipped where mounting is not permitted.
func smallFS(t *testing.T, kind, size string) string {
	t.Helper()
	dir := t.TempDir()
	var cmd *exec.Cmd
	switch kind {
	case "tmpfs":
		cmd = exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir)
	case "ext4":
		img := filepath.Join(t.TempDir(), "fs.img")
		if out, err := exec.Command("truncate", "-s", size, img).CombinedOutput(); err != nil {
			t.Skipf("truncate: %v %s", err, out)
		}
		if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
			t.Skipf("mkfs.ext4 not usable here: %v %s", err, out)
		}
		cmd = exec.Command("mount", "-o", "loop", img, dir)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s %s here (needs root and mount permission): %v %s", size, kind, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return -1
	}
	return int64(st.Bavail) * st.Bsize
}

// TestFullDisk fills the data directory's filesystem: writes must get a
// clear error reply (never a hang or a crash), reads keep working, nothing
// acknowledged is lost, and once space is freed (a filler file outside
// RocksDB deleted) writes resume without a restart; after a kill -9 on top
// everything acknowledged is still there.
func TestFullDisk(t *testing.T) {
	for _, kind := range []string{"tmpfs", "ext4"} {
		t.Run(kind, func(t *testing.T) { fullDisk(t, kind) })
	}
}

func fullDisk(t *testing.T, kind string) {
	size := os.Getenv("RELIABILITY_FULLDISK_SIZE")
	if size == "" {
		size = "64M"
	}
	mnt := smallFS(t, kind, size)
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mnt, "data")
	s := testkit.StartDir(t, dir, "--write-buffer-size", "4mb", "--loglevel", "notice")
	ctx := context.Background()
	c := newClient(s.Addr, 15*time.Second)
	defer c.Close()

	acked := map[string]string{}
	val := func(k string) string { return k + ":" + strings.Repeat(k[len(k)-1:], 32<<10) }
	var firstErr error
	var full time.Time
	errs := 0
	i := 0
	start := time.Now()
	for ; time.Since(start) < 90*time.Second; i++ {
		k := fmt.Sprintf("fill:%06d", i)
		t0 := time.Now()
		err := c.Set(ctx, k, val(k), 0).Err()
		if d := time.Since(t0); d > 10*time.Second {
			t.Fatalf("SET took %v on a full disk (a hang)", d)
		}
		if err == nil {
			if errs > 0 {
				continue // RocksDB let a write through after an error; keep it
			}
			acked[k] = val(k)
			continue
		}
		var re redis.Error
		if !errors.As(err, &re) {
			t.Fatalf("SET %s on a filling disk: %v (not an error reply; server alive: %v)\n%s", k, err, !s.Exited(), tail(s.Logs()))
		}
		if !strings.HasPrefix(err.Error(), "ERR ") && !strings.HasPrefix(err.Error(), "MISCONF ") {
			t.Errorf("write error reply %q is not an ERR/MISCONF error", err)
		}
		if firstErr == nil {
			firstErr, full = err, time.Now()
		}
		errs++
		if errs >= 20 {
			break
		}
	}
	if firstErr == nil {
		t.Fatalf("wrote %d×32 KiB to a %s filesystem without an error (free %d bytes)", i, size, freeBytes(mnt))
	}
	t.Logf("disk full after %d acknowledged SETs (%d MiB): first error %q; free bytes %d", len(acked), len(acked)*32>>10, firstErr, freeBytes(mnt))

	// Reads keep working, and other write commands fail cleanly too.
	check := func(when string) {
		t.Helper()
		n := 0
		for k, v := range acked {
			got, err := c.Get(ctx, k).Result()
			if err != nil || got != v {
				n++
				if n <= 5 {
					t.Errorf("%s: GET %s = %.20q..., %v; acknowledged %.20q...", when, k, got, err, v)
				}
			}
		}
		if n > 0 {
			t.Errorf("%s: %d of %d acknowledged keys lost or wrong", when, n, len(acked))
		}
	}
	check("while full")
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING while full: %v\n%s", err, tail(s.Logs()))
	}
	for _, cmd := range [][]any{{"INCR", "ctr"}, {"RPUSH", "l", "x"}, {"HSET", "h", "f", "v"}, {"DEL", "fill:000000"}, {"SAVE"}} {
		t0 := time.Now()
		err := c.Do(ctx, cmd...).Err()
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("%v hung on a full disk", cmd)
		}
		if err != nil && isNetErr(err) {
			t.Fatalf("%v on a full disk: %v", cmd, err)
		}
		if err == nil && cmd[0] == "DEL" {
			delete(acked, "fill:000000")
		}
		t.Logf("%v while full: %v", cmd, err)
	}
	if s.Exited() {
		t.Fatalf("server exited on a full disk:\n%s", tail(s.Logs()))
	}
	infoFull := info(c, "persistence", "aof_last_write_status")

	// Free space outside RocksDB: writes must resume without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	resumed := time.Time{}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := c.Set(ctx, "after", "space freed", 0).Err(); err == nil {
			resumed = time.Now()
			break
		} else if isNetErr(err) {
			t.Fatalf("SET after freeing space: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resumed.IsZero() {
		t.Fatalf("writes did not resume within 30 s of freeing 16 MiB (free now %d bytes); last status %q\n%s", freeBytes(mnt), info(c, "persistence", "aof_last_write_status"), tail(s.Logs()))
	}
	acked["after"] = "space freed"
	t.Logf("writes resumed %v after the space was freed (%v after the disk filled); aof_last_write_status while full: %q", resumed.Sub(freed).Round(time.Millisecond), resumed.Sub(full).Round(time.Millisecond), infoFull)
	if infoFull != "err" {
		t.Errorf("INFO aof_last_write_status while writes are refused = %q, want err", infoFull)
	}
	for t0 := time.Now(); time.Since(t0) < 3*time.Second && info(c, "persistence", "storage_write_resumes") == "0"; {
		time.Sleep(50 * time.Millisecond)
	}
	if v := info(c, "persistence", "storage_write_resumes"); v == "" || v == "0" {
		t.Errorf("INFO storage_write_resumes after resuming = %q, want >= 1\n%s", v, tail(s.Logs()))
	}
	for j := 0; j < 50; j++ {
		k := fmt.Sprintf("post:%03d", j)
		if err := c.Set(ctx, k, val(k)[:1000], 0).Err(); err != nil {
			t.Fatalf("SET %s after resuming: %v", k, err)
		}
		acked[k] = val(k)[:1000]
	}
	check("after resuming")

	// A crash on top: everything acknowledged survives.
	s.Kill()
	s.Restart()
	c2 := newClient(s.Addr, 15*time.Second)
	defer c2.Close()
	c = c2
	check("after kill -9 and restart")

	// Full again, and killed while full: a start on the full disk must
	// either serve or exit with a clear error (RocksDB needs room to
	// open); once space is freed it starts with everything acknowledged.
	filler2 := filepath.Join(mnt, "filler2")
	// 16 MiB: the start after the kill replays the WAL into an SST file.
	if err := os.WriteFile(filler2, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	refilled := 0
	for j := 0; j < 5000; j++ {
		k := fmt.Sprintf("again:%05d", j)
		if err := c.Set(ctx, k, val(k), 0).Err(); err != nil {
			if isNetErr(err) {
				t.Fatalf("SET on the refilled disk: %v", err)
			}
			break
		}
		acked[k] = val(k)
		refilled++
	}
	s.Kill()
	startFull := startOnFullDisk(t, s)
	if err := os.Remove(filler2); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	c3 := newClient(s.Addr, 15*time.Second)
	defer c3.Close()
	c = c3
	check("after a kill -9 on a full disk and a restart once space was freed")
	t.Logf("refilled with %d more SETs, killed; start on the full disk: %s", refilled, startFull)
	record(t, "fulldisk", map[string]any{
		"fs": kind + " " + size, "acked": len(acked), "first_error": firstErr.Error(), "error_replies": errs,
		"resumed_after_ms": resumed.Sub(freed).Milliseconds(), "lost": 0, "start_on_full_disk": startFull,
	})
}

// startOnFullDisk starts the server binary on s's directory while the disk
// is full and reports what happened: it must serve or exit with an error
// message, within 20 s, never hang or die on a signal.
func startOnFullDisk(t *testing.T, s *testkit.Server) string {
	t.Helper()
	port := testkit.FreePort(t)
	cmd := exec.Command(testkit.Binary(t), "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.Dir, "--loglevel", "notice")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.Exited() && strings.Contains(out.String(), "No space left") {
				return "exited " + strconv.Itoa(ee.ExitCode()) + ": " + lastLine(out.String())
			}
			t.Fatalf("start on a full disk ended badly (%v):\n%s", err, out.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("start on a full disk neither served nor exited in 20 s:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
			c := newClient("127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
			err := c.Ping(context.Background()).Err()
			c.Close()
			if err == nil {
				_ = cmd.Process.Kill()
				<-done
				return "served (read-only until space is freed)"
			}
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// tail returns the last lines of a server log.
func tail(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
