package compat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Connection handling and server commands that a differential script
// cannot express: commands that close or silence the connection, pauses,
// several connections, files on disk and restarts. Where redis-server can
// run the same scenario, the raw bytes of both are compared.

// readFor returns every byte that arrives within d (and whether the peer
// closed the connection).
func readFor(c *testkit.Conn, d time.Duration) ([]byte, bool) {
	var out []byte
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(d)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.R.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out, false
			}
			return out, true
		}
	}
}

// readUntil reads until the bytes read end with suffix (or fails after 10s).
func readUntil(t *testing.T, c *testkit.Conn, suffix string) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !bytes.HasSuffix(out, []byte(suffix)) {
		n, err := c.R.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			t.Fatalf("reading until %q: %v (got %q)", suffix, err, out)
		}
	}
	return out
}

func send(t *testing.T, c *testkit.Conn, data string) {
	t.Helper()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, c *testkit.Conn, args ...string) string {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(r)
}

var helloID = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

func TestHELLOReplyIsByteForByteRedis(t *testing.T) {
	// testkit's start-up probe needs PING without AUTH: set the password after.
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	do(t, ref.Raw(), "CONFIG", "SET", "requirepass", "pw")
	do(t, dut.Raw(), "CONFIG", "SET", "requirepass", "pw")
	for _, seq := range [][]string{
		{"HELLO 3 AUTH default pw", "HELLO", "HELLO 2", "HELLO 3 SETNAME n1", "CLIENT GETNAME", "HELLO 2 AUTH default pw SETNAME n2", "CLIENT GETNAME"},
		{"HELLO 2 AUTH default pw SETNAME x", "HELLO 3", "PING", "GET nokey", "HELLO 2", "GET nokey"},
		{"HELLO", "HELLO 3 SETNAME x", "HELLO 3 AUTH default bad", "HELLO 3 AUTH default pw BAD", "GET nokey"},
	} {
		rc, dc := ref.Raw(), dut.Raw()
		for _, cmd := range seq {
			args := strings.Fields(cmd)
			want := helloID.ReplaceAllString(do(t, rc, args...), "$$2\r\nid\r\n:ID\r\n")
			got := helloID.ReplaceAllString(do(t, dc, args...), "$$2\r\nid\r\n:ID\r\n")
			if want != got {
				t.Errorf("%s\n redis-server: %q\n       diskdb: %q", cmd, want, got)
			}
		}
	}
	// The id HELLO reports is the connection's CLIENT ID.
	c := dut.Raw()
	do(t, c, "AUTH", "pw")
	id := strings.TrimSpace(strings.TrimPrefix(do(t, c, "CLIENT", "ID"), ":"))
	if h := do(t, c, "HELLO", "3"); !strings.Contains(h, "$2\r\nid\r\n:"+id+"\r\n") {
		t.Fatalf("HELLO id differs from CLIENT ID %s: %q", id, h)
	}
}

// sameRaw sends each pipeline to a fresh connection of both servers and
// compares everything each replies (until the ECHO marker the pipelines
// end with, or the connection closes).
func sameRaw(t *testing.T, ref, dut *testkit.Server, pipelines ...string) {
	t.Helper()
	for _, p := range pipelines {
		var got [2][]byte
		for i, s := range []*testkit.Server{ref, dut} {
			c := s.Raw()
			send(t, c, p)
			if strings.HasSuffix(p, "ECHO __end__\r\n") {
				got[i] = readUntil(t, c, "$7\r\n__end__\r\n")
			} else {
				got[i], _ = readFor(c, 300*time.Millisecond)
			}
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("%q\n redis-server: %q\n       diskdb: %q", p, got[0], got[1])
		}
	}
}

func TestQUITClosesAfterReplyAndDropsTheRest(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	for _, s := range []*testkit.Server{ref, dut} {
		c := s.Raw()
		send(t, c, "SET a 1\r\nQUIT\r\nSET b 2\r\n")
		out, closed := readFor(c, 2*time.Second)
		if string(out) != "+OK\r\n+OK\r\n" || !closed {
			t.Fatalf("%s: QUIT pipeline replied %q, closed=%v", s.Addr, out, closed)
		}
		if got := do(t, s.Raw(), "EXISTS", "a", "b"); got != ":1\r\n" {
			t.Fatalf("%s: command after QUIT ran: EXISTS a b = %q", s.Addr, got)
		}
	}
	c := dut.Raw()
	if got := do(t, c, "QUIT", "extra", "args"); got != "+OK\r\n" {
		t.Fatalf("QUIT extra args = %q", got)
	}
}

func TestCLIENTREPLYOffSkipOn(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	const end = "CLIENT REPLY ON\r\nECHO __end__\r\n"
	sameRaw(t, ref, dut,
		"CLIENT REPLY OFF\r\nPING\r\nFOO\r\nSET a 1\r\nINCR a\r\nCLIENT REPLY SKIP\r\nPING\r\nGET a\r\n"+end,
		"CLIENT REPLY SKIP\r\nPING a\r\nPING b\r\nCLIENT REPLY SKIP\r\nRESET\r\nPING c\r\nCLIENT REPLY OFF\r\nRESET\r\nPING d\r\n"+end,
		"CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nPING e\r\nPING f\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING g\r\n"+end,
		"CLIENT REPLY SKIP\r\nSET b 1\r\nGET b\r\nCLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nGET b\r\nMGET a b\r\n"+end,
		"CLIENT REPLY SKIP\r\nGET\r\nCLIENT REPLY FOO\r\nCLIENT REPLY\r\n"+end,
	)
	// Replies are dropped one command at a time, also across reads.
	c := dut.Raw()
	send(t, c, "CLIENT REPLY OFF\r\n")
	send(t, c, "SET x 10\r\n")
	send(t, c, "INCR x\r\nCLIENT REPLY SKIP\r\n")
	send(t, c, "GET x\r\n")
	send(t, c, "GET x\r\n")
	if out, _ := readFor(c, 300*time.Millisecond); len(out) != 0 {
		t.Fatalf("replies while OFF: %q", out)
	}
	send(t, c, "CLIENT REPLY ON\r\nGET x\r\n")
	if got := readUntil(t, c, "$2\r\n11\r\n"); string(got) != "+OK\r\n$2\r\n11\r\n" {
		t.Fatalf("after ON: %q", got)
	}
}

func TestCLIENTPAUSEWriteHoldsWritesNotReads(t *testing.T) {
	for _, s := range []*testkit.Server{testkit.StartRedis(t), testkit.Start(t)} {
		admin, c := s.Raw(), s.Raw()
		do(t, c, "SET", "k", "v")
		if r := do(t, admin, "CLIENT", "PAUSE", "400", "WRITE"); r != "+OK\r\n" {
			t.Fatalf("%s: CLIENT PAUSE = %q", s.Addr, r)
		}
		start := time.Now()
		send(t, c, "GET k\r\nPING\r\nSET k w\r\nGET k\r\n")
		out, _ := readFor(c, 150*time.Millisecond)
		if string(out) != "$1\r\nv\r\n+PONG\r\n" {
			t.Fatalf("%s: replies during a WRITE pause: %q (want the reads only)", s.Addr, out)
		}
		out = readUntil(t, c, "$1\r\nw\r\n")
		if string(out) != "+OK\r\n$1\r\nw\r\n" || time.Since(start) < 350*time.Millisecond {
			t.Fatalf("%s: after the pause: %q after %v", s.Addr, out, time.Since(start))
		}

		// UNPAUSE from another connection releases held writes at once.
		do(t, admin, "CLIENT", "PAUSE", "100000", "WRITE")
		send(t, c, "INCR n\r\n")
		if out, _ := readFor(c, 200*time.Millisecond); len(out) != 0 {
			t.Fatalf("%s: INCR ran during a pause: %q", s.Addr, out)
		}
		start = time.Now()
		do(t, admin, "CLIENT", "UNPAUSE")
		if out := readUntil(t, c, ":1\r\n"); string(out) != ":1\r\n" || time.Since(start) > 2*time.Second {
			t.Fatalf("%s: after UNPAUSE: %q after %v", s.Addr, out, time.Since(start))
		}
	}
}

func TestCLIENTPAUSEAllHoldsEveryoneIncludingThePauser(t *testing.T) {
	for _, s := range []*testkit.Server{testkit.StartRedis(t), testkit.Start(t)} {
		a, b := s.Raw(), s.Raw()
		start := time.Now()
		send(t, a, "CLIENT PAUSE 500\r\nPING\r\n")
		out, _ := readFor(a, 150*time.Millisecond)
		if string(out) != "+OK\r\n" {
			t.Fatalf("%s: pausing client got %q before the end of the pause", s.Addr, out)
		}
		send(t, b, "GET k\r\n")
		if out, _ := readFor(b, 150*time.Millisecond); len(out) != 0 {
			t.Fatalf("%s: read ran during an ALL pause: %q", s.Addr, out)
		}
		readUntil(t, a, "+PONG\r\n")
		readUntil(t, b, "$-1\r\n")
		if d := time.Since(start); d < 450*time.Millisecond {
			t.Fatalf("%s: ALL pause ended after %v, want 500ms", s.Addr, d)
		}
		// Errors found at dispatch are not held.
		do(t, a, "CLIENT", "PAUSE", "300")
		send(t, b, "NOSUCHCMD\r\n")
		if out, _ := readFor(b, 150*time.Millisecond); !strings.HasPrefix(string(out), "-ERR unknown command") {
			t.Fatalf("%s: unknown command during a pause: %q", s.Addr, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// A paused client that disconnects does not run its held write.
	s := testkit.Start(t)
	admin := s.Raw()
	do(t, admin, "CLIENT", "PAUSE", "300", "WRITE")
	c := s.Raw()
	send(t, c, "SET gone 1\r\n")
	time.Sleep(50 * time.Millisecond)
	c.Close()
	time.Sleep(400 * time.Millisecond)
	if got := do(t, admin, "EXISTS", "gone"); got != ":0\r\n" {
		t.Fatalf("held write of a closed client ran: EXISTS = %q", got)
	}
}

func TestCLIENTKILLClosesTheRightConnections(t *testing.T) {
	s := testkit.Start(t)
	admin := s.Raw()
	victim := s.Raw()
	id := strings.Trim(do(t, victim, "CLIENT", "ID"), ":\r\n")
	if got := do(t, admin, "CLIENT", "KILL", "ID", id); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL ID = %q", got)
	}
	if _, closed := readFor(victim, 2*time.Second); !closed {
		t.Fatal("killed client still connected")
	}
	// Old form: by address.
	v2 := s.Raw()
	info := do(t, v2, "CLIENT", "INFO")
	addr := regexp.MustCompile(` addr=(\S+) `).FindStringSubmatch(info)[1]
	if got := do(t, admin, "CLIENT", "KILL", addr); got != "+OK\r\n" {
		t.Fatalf("CLIENT KILL addr = %q", got)
	}
	if _, closed := readFor(v2, 2*time.Second); !closed {
		t.Fatal("client killed by address still connected")
	}
	if got := do(t, admin, "CLIENT", "KILL", addr); got != "-ERR No such client\r\n" {
		t.Fatalf("second CLIENT KILL addr = %q", got)
	}
	// By user, skipping the caller by default; then SKIPME no kills the
	// caller after its reply.
	v3, v4 := s.Raw(), s.Raw()
	do(t, v3, "PING")
	do(t, v4, "PING")
	if got := do(t, admin, "CLIENT", "KILL", "USER", "default"); got != ":2\r\n" {
		t.Fatalf("CLIENT KILL USER default = %q", got)
	}
	if got := do(t, admin, "PING"); got != "+PONG\r\n" {
		t.Fatalf("caller killed despite SKIPME yes: %q", got)
	}
	send(t, admin, "CLIENT KILL LADDR "+s.Addr+" SKIPME no\r\n")
	out, closed := readFor(admin, 2*time.Second)
	if string(out) != ":1\r\n" || !closed {
		t.Fatalf("CLIENT KILL SKIPME no: %q closed=%v", out, closed)
	}
	if n := do(t, s.Raw(), "CLIENT", "KILL", "TYPE", "normal"); n != ":0\r\n" {
		t.Fatalf("clients left: %q", n)
	}
}

func TestCLIENTLISTFieldsAreRedis7Fields(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	fieldNames := func(line string) []string {
		var out []string
		for _, f := range strings.Fields(line) {
			k, _, _ := strings.Cut(f, "=")
			out = append(out, k)
		}
		return out
	}
	body := func(r string) string { // the bulk string's text
		_, rest, _ := strings.Cut(r, "\r\n")
		return strings.TrimSuffix(rest, "\r\n")
	}
	want := fieldNames(body(do(t, ref.Raw(), "CLIENT", "INFO")))
	c := dut.Raw()
	do(t, c, "CLIENT", "SETNAME", "lister")
	do(t, c, "SELECT", "5")
	line := body(do(t, c, "CLIENT", "INFO"))
	if got := fieldNames(line); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("CLIENT INFO fields\n redis-server: %v\n       diskdb: %v", want, got)
	}
	for _, f := range []string{"name=lister", "db=5", "cmd=client|info", "user=default", "resp=2", "flags=N"} {
		if !strings.Contains(" "+line, " "+f+" ") && !strings.HasSuffix(line, " "+f+"\n") {
			t.Errorf("CLIENT INFO lacks %s: %q", f, line)
		}
	}
	other := dut.Raw()
	do(t, other, "NOSUCH")
	oid := strings.Trim(do(t, other, "CLIENT", "ID"), ":\r\n")
	id := strings.Trim(do(t, c, "CLIENT", "ID"), ":\r\n")
	list := body(do(t, c, "CLIENT", "LIST", "ID", oid, id, "999999"))
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "id="+oid+" ") || !strings.HasPrefix(lines[1], "id="+id+" ") {
		t.Fatalf("CLIENT LIST ID %s %s: %q", oid, id, list)
	}
	if !strings.Contains(lines[0], " cmd=client|id ") {
		t.Errorf("other client's last command: %q", lines[0])
	}
	all := body(do(t, c, "CLIENT", "LIST", "TYPE", "normal"))
	if n := strings.Count(all, "\n"); n < 2 {
		t.Fatalf("CLIENT LIST TYPE normal lists %d clients: %q", n, all)
	}
	do(t, c, "CLIENT", "NO-EVICT", "on")
	do(t, c, "HELLO", "3")
	if l := do(t, c, "CLIENT", "INFO"); !strings.HasPrefix(l, "=") || !strings.Contains(l, " flags=e ") || !strings.Contains(l, " resp=3\n") {
		t.Fatalf("RESP3 CLIENT INFO: %q", l)
	}
}

// infoSections parses an INFO reply into section -> field names.
func infoSections(raw string) (order []string, fields map[string][]string) {
	fields = map[string][]string{}
	sec := ""
	for _, l := range strings.Split(raw, "\r\n") {
		switch {
		case strings.HasPrefix(l, "# "):
			sec = strings.TrimPrefix(l, "# ")
			order = append(order, sec)
		case strings.Contains(l, ":") && sec != "":
			k, _, _ := strings.Cut(l, ":")
			fields[sec] = append(fields[sec], k)
		}
	}
	return order, fields
}

func TestINFOSectionsAndFieldsAsRedis(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	rc, dc := ref.Raw(), dut.Raw()
	for _, c := range []*testkit.Conn{rc, dc} {
		do(t, c, "SET", "k", "v")
		do(t, c, "GETX")
	}
	for _, args := range [][]string{{"INFO"}, {"INFO", "default"}, {"INFO", "all"}, {"INFO", "everything"},
		{"INFO", "keyspace", "server"}, {"INFO", "CPU", "clients", "cpu"}, {"INFO", "stats", "nosuch"}, {"INFO", "default", "commandstats"}} {
		wantOrder, wantFields := infoSections(do(t, rc, args...))
		gotOrder, gotFields := infoSections(do(t, dc, args...))
		gotOrder = slicesDelete(gotOrder, "RocksDB")
		if strings.Join(wantOrder, ",") != strings.Join(gotOrder, ",") {
			t.Errorf("%v sections\n redis-server: %v\n       diskdb: %v", args, wantOrder, gotOrder)
			continue
		}
		for sec, names := range wantFields {
			have := map[string]bool{}
			for _, n := range gotFields[sec] {
				have[n] = true
			}
			for _, n := range names {
				dynamic := strings.HasPrefix(n, "cmdstat_") || strings.HasPrefix(n, "latency_percentiles_usec_") ||
					strings.HasPrefix(n, "errorstat_") || strings.HasPrefix(n, "db")
				if !dynamic && !have[n] {
					t.Errorf("%v: section %s lacks %s", args, sec, n)
				}
			}
		}
	}
	// Field values that must be right.
	info := do(t, dc, "INFO", "everything")
	for _, want := range []string{"redis_version:7.0.15\r\n", "redis_mode:standalone\r\n", "role:master\r\n",
		"tcp_port:" + strconv.Itoa(dut.Port) + "\r\n", "connected_clients:1\r\n", "db0:keys=1,expires=0,avg_ttl=0\r\n",
		"errorstat_ERR:count=1\r\n", "cmdstat_set:calls=1,", "cluster_enabled:0\r\n", "process_id:"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO everything lacks %q", want)
		}
	}
	do(t, rc, "HELLO", "3")
	do(t, dc, "HELLO", "3")
	if want, got := do(t, rc, "INFO", "cluster"), do(t, dc, "INFO", "cluster"); want != got {
		t.Errorf("RESP3 INFO cluster\n redis-server: %q\n       diskdb: %q", want, got)
	}
}

func slicesDelete(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func TestCONFIGREWRITEPersistsSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "diskdb.toml")
	orig := "# my settings\nmaxmemory = \"1mb\"\n\n# tuning\nhz = 20\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testkit.Start(t, "--config", path)
	c := s.Raw()
	if got := do(t, c, "CONFIG", "GET", "maxmemory"); got != "*2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n" {
		t.Fatalf("maxmemory from the file: %q", got)
	}
	if !strings.Contains(do(t, c, "INFO", "server"), "config_file:"+path+"\r\n") {
		t.Fatal("INFO server does not name the config file")
	}
	do(t, c, "CONFIG", "SET", "maxmemory", "2mb", "timeout", "30", "notify-keyspace-events", "KEA")
	if got := do(t, c, "CONFIG", "REWRITE"); got != "+OK\r\n" {
		t.Fatalf("CONFIG REWRITE = %q", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# my settings\nmaxmemory = 2097152\n\n# tuning\nhz = 20\n", "\ntimeout = 30\n", "\nnotify-keyspace-events = \"AKE\"\n"} {
		if !strings.Contains(text, want) {
			t.Fatalf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode changed to %v", st.Mode().Perm())
	}
	s.Stop()
	s.Restart()
	c = s.Raw()
	for param, want := range map[string]string{"maxmemory": "2097152", "timeout": "30", "hz": "20", "notify-keyspace-events": "AKE"} {
		got := do(t, c, "CONFIG", "GET", param)
		if !strings.HasSuffix(got, "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n") {
			t.Errorf("after restart CONFIG GET %s = %q, want %s", param, got, want)
		}
	}
	// Rewriting twice changes nothing.
	do(t, c, "CONFIG", "REWRITE")
	again, _ := os.ReadFile(path)
	if !bytes.Equal(data, again) && !bytes.Equal(bytes.TrimSpace(data), bytes.TrimSpace(again)) {
		t.Errorf("second rewrite changed the file:\n%s\n---\n%s", data, again)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func waitInfo(t *testing.T, c *testkit.Conn, section, field string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(do(t, c, "INFO", section), field) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("INFO %s never showed %q", section, field)
}

func TestSAVEAndBGSAVEWriteACheckpointThatOpens(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	for i := 0; i < 200; i++ {
		c.Set(ctx, "before:"+strconv.Itoa(i), i, 0)
	}
	before, _ := c.LastSave(ctx).Result()
	time.Sleep(1100 * time.Millisecond) // LASTSAVE has a resolution of a second
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	after, _ := c.LastSave(ctx).Result()
	if after <= before {
		t.Fatalf("LASTSAVE %d -> %d after SAVE", before, after)
	}
	raw := s.Raw()
	if !strings.Contains(do(t, raw, "INFO", "persistence"), "rdb_changes_since_last_save:0\r\n") {
		t.Fatal("changes since last save not reset by SAVE")
	}
	for i := 0; i < 100; i++ {
		c.Set(ctx, "after:"+strconv.Itoa(i), i, 0)
	}
	if !strings.Contains(do(t, raw, "INFO", "persistence"), "rdb_changes_since_last_save:100\r\n") {
		t.Fatalf("changes since last save: %s", do(t, raw, "INFO", "persistence"))
	}
	if got := do(t, raw, "BGSAVE"); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE = %q", got)
	}
	waitInfo(t, raw, "persistence", "rdb_saves:2\r\n")
	waitInfo(t, raw, "persistence", "rdb_bgsave_in_progress:0\r\n")
	if !strings.Contains(do(t, raw, "INFO", "persistence"), "rdb_last_bgsave_status:ok\r\n") {
		t.Fatal("bgsave status not ok")
	}
	c.Set(ctx, "not-in-checkpoint", 1, 0)

	// The checkpoint is a RocksDB directory: a data directory holds it as
	// <dir>/rocksdb.
	copyTo := t.TempDir()
	copyDir(t, filepath.Join(s.Dir, "checkpoint"), filepath.Join(copyTo, "rocksdb"))
	s2 := testkit.Start(t, "--dir", copyTo) // the later --dir wins
	c2 := client(t, s2, 2)
	if n, err := c2.DBSize(ctx).Result(); err != nil || n != 300 {
		t.Fatalf("checkpoint DBSIZE = %d, %v; want 300", n, err)
	}
	for _, k := range []string{"before:0", "before:199", "after:0", "after:99"} {
		if v, err := c2.Get(ctx, k).Result(); err != nil || v != strings.Split(k, ":")[1] {
			t.Fatalf("checkpoint GET %s = %q, %v", k, v, err)
		}
	}
	if n, _ := c2.Exists(ctx, "not-in-checkpoint").Result(); n != 0 {
		t.Fatal("checkpoint holds a key written after it")
	}
}

func TestSHUTDOWNExitsCleanlyAndKeepsData(t *testing.T) {
	for _, opt := range []string{"", "NOSAVE", "SAVE", "NOW", "FORCE", "SAVE NOW FORCE"} {
		t.Run(strings.ReplaceAll("opt "+opt, " ", "_"), func(t *testing.T) {
			s := testkit.Start(t, "--loglevel", "notice")
			c := s.Raw()
			for i := 0; i < 50; i++ {
				do(t, c, "SET", "k"+strconv.Itoa(i), strconv.Itoa(i))
			}
			do(t, c, "INCRBY", "counter", "7")
			if got := do(t, c, "SHUTDOWN", "ABORT"); got != "-ERR No shutdown in progress.\r\n" {
				t.Fatalf("SHUTDOWN ABORT = %q", got)
			}
			send(t, c, string(testkit.Encode(append([]string{"SHUTDOWN"}, strings.Fields(opt)...)...)))
			out, closed := readFor(c, 10*time.Second)
			if len(out) != 0 || !closed {
				t.Fatalf("SHUTDOWN %s: got %q, closed=%v", opt, out, closed)
			}
			if !s.Wait(15 * time.Second) {
				t.Fatalf("SHUTDOWN %s: process still running", opt)
			}
			if !strings.Contains(s.Logs(), "ready to exit") {
				t.Fatalf("no clean exit in the log:\n%s", s.Logs())
			}
			_, err := os.Stat(filepath.Join(s.Dir, "checkpoint"))
			if strings.Contains(opt, "SAVE") && !strings.Contains(opt, "NOSAVE") && err != nil {
				t.Fatalf("SHUTDOWN %s wrote no checkpoint: %v", opt, err)
			}
			s.Restart()
			c = s.Raw()
			if got := do(t, c, "DBSIZE"); got != ":51\r\n" {
				t.Fatalf("DBSIZE after restart = %q", got)
			}
			if got := do(t, c, "GET", "counter"); got != "$1\r\n7\r\n" {
				t.Fatalf("counter after restart = %q", got)
			}
		})
	}
}

func TestDEBUGSleepAndActiveExpire(t *testing.T) {
	ref := testkit.StartRedis(t, "--enable-debug-command", "yes")
	dut := testkit.Start(t)
	rc, dc := ref.Raw(), dut.Raw()
	for _, cmd := range []string{"DEBUG", "DEBUG SLEEP", "DEBUG SLEEP 0", "DEBUG SLEEP abc", "DEBUG SLEEP -1", "DEBUG SLEEP 1 2",
		"DEBUG SET-ACTIVE-EXPIRE", "DEBUG SET-ACTIVE-EXPIRE 1", "DEBUG SET-ACTIVE-EXPIRE 1 2", "DEBUG FOO", "DEBUG FOO bar", "debug sleep 0.01"} {
		args := strings.Fields(cmd)
		if want, got := do(t, rc, args...), do(t, dc, args...); want != got {
			t.Errorf("%s\n redis-server: %q\n       diskdb: %q", cmd, want, got)
		}
	}
	// SLEEP holds the caller only.
	other := dut.Raw()
	start := time.Now()
	send(t, dc, "DEBUG SLEEP 0.3\r\nPING\r\n")
	if got := do(t, other, "PING"); got != "+PONG\r\n" || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("other client waited for DEBUG SLEEP: %q after %v", got, time.Since(start))
	}
	readUntil(t, dc, "+OK\r\n+PONG\r\n")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("DEBUG SLEEP 0.3 returned after %v", d)
	}
	// SET-ACTIVE-EXPIRE 0: expired keys stay counted until read.
	do(t, dc, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	do(t, dc, "SET", "e", "1", "PX", "50")
	time.Sleep(400 * time.Millisecond)
	if got := do(t, dc, "DBSIZE"); got != ":1\r\n" {
		t.Fatalf("DBSIZE with active expiry off = %q, want :1", got)
	}
	if got := do(t, dc, "GET", "e"); got != "$-1\r\n" {
		t.Fatalf("GET of an expired key = %q", got)
	}
	do(t, dc, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	do(t, dc, "SET", "f", "1", "PX", "50")
	deadline := time.Now().Add(3 * time.Second)
	for do(t, dc, "DBSIZE") != ":0\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("active expiry did not resume")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// enable-debug-command no refuses it as redis-server does by default.
	ref2, dut2 := testkit.StartRedis(t), testkit.Start(t, "--enable-debug-command", "no")
	if want, got := do(t, ref2.Raw(), "DEBUG", "SLEEP", "0"), do(t, dut2.Raw(), "DEBUG", "SLEEP", "0"); want != got {
		t.Fatalf("DEBUG refused\n redis-server: %q\n       diskdb: %q", want, got)
	}
}

func TestClientLibrariesReadIntrospection(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: p, ClientName: "lib" + strconv.Itoa(p)})
		t.Cleanup(func() { c.Close() })
		cmds, err := c.Command(ctx).Result()
		if err != nil {
			t.Fatalf("RESP%d COMMAND: %v", p, err)
		}
		get := cmds["get"]
		if get == nil || get.Arity != 2 || get.FirstKeyPos != 1 || !get.ReadOnly || len(get.ACLFlags) == 0 {
			t.Fatalf("RESP%d COMMAND get = %+v", p, get)
		}
		if ping := cmds["ping"]; ping == nil || ping.Arity != -1 || ping.CommandPolicy == nil {
			t.Fatalf("RESP%d COMMAND ping = %+v", p, ping)
		}
		n, err := c.Do(ctx, "COMMAND", "COUNT").Int()
		if err != nil || int(n) != len(cmds) {
			t.Fatalf("RESP%d COMMAND COUNT = %d, %v; COMMAND lists %d", p, n, err, len(cmds))
		}
		list, err := c.ClientList(ctx).Result()
		if err != nil || !strings.Contains(list, "name=lib"+strconv.Itoa(p)+" ") {
			t.Fatalf("RESP%d CLIENT LIST = %q, %v", p, list, err)
		}
		cfg, err := c.ConfigGet(ctx, "maxmemory*").Result()
		if err != nil || cfg["maxmemory"] != "0" || cfg["maxmemory-policy"] != "noeviction" {
			t.Fatalf("RESP%d CONFIG GET = %v, %v", p, cfg, err)
		}
		info, err := c.InfoMap(ctx, "server", "keyspace").Result()
		if err != nil || info["Server"]["redis_version"] != "7.0.15" {
			t.Fatalf("RESP%d INFO = %v, %v", p, info, err)
		}
		keys, err := c.CommandGetKeys(ctx, "mset", "a", "1", "b", "2").Result()
		if err != nil || strings.Join(keys, ",") != "a,b" {
			t.Fatalf("RESP%d COMMAND GETKEYS = %v, %v", p, keys, err)
		}
		docs, err := c.Do(ctx, "COMMAND", "DOCS", "get", "client").Result()
		if err != nil || docs == nil {
			t.Fatalf("RESP%d COMMAND DOCS = %v, %v", p, docs, err)
		}
	}
	// redis-cli, as an operator uses it.
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	out, err := exec.Command(cli, "-p", strconv.Itoa(s.Port), "CONFIG", "GET", "maxclients").CombinedOutput()
	if err != nil || string(out) != "maxclients\n10000\n" {
		t.Fatalf("redis-cli CONFIG GET: %q, %v", out, err)
	}
	out, err = exec.Command(cli, "-p", strconv.Itoa(s.Port), "INFO", "server").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("redis_version:7.0.15")) {
		t.Fatalf("redis-cli INFO: %q, %v", out, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	if !sc.Scan() || strings.TrimSpace(sc.Text()) != "# Server" {
		t.Fatalf("redis-cli INFO first line: %q", sc.Text())
	}
}

// docArgs normalizes COMMAND DOCS arguments (RESP2, as go-redis returns
// them) to what redis-cli builds its hints from.
func docArgs(v any) string {
	list, _ := v.([]any)
	var b strings.Builder
	for _, a := range list {
		fields, _ := a.([]any)
		m := map[string]any{}
		for i := 0; i+1 < len(fields); i += 2 {
			k, _ := fields[i].(string)
			m[k] = fields[i+1]
		}
		fmt.Fprintf(&b, "{%v %v %v %v", m["name"], m["type"], m["token"], m["flags"])
		if sub, ok := m["arguments"]; ok {
			b.WriteString(" " + docArgs(sub))
		}
		b.WriteString("}")
	}
	return b.String()
}

// docsByName flattens COMMAND DOCS into name -> normalized arguments,
// subcommands included.
func docsByName(v any, out map[string]string) {
	list, _ := v.([]any)
	for i := 0; i+1 < len(list); i += 2 {
		name, _ := list[i].(string)
		fields, _ := list[i+1].([]any)
		for j := 0; j+1 < len(fields); j += 2 {
			switch fields[j] {
			case "arguments":
				out[name] = docArgs(fields[j+1])
			case "subcommands":
				docsByName(fields[j+1], out)
			}
		}
		if _, ok := out[name]; !ok {
			out[name] = ""
		}
	}
}

func TestCOMMANDDOCSArgumentsAsRedis(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	ctx := context.Background()
	rc, dc := client(t, ref, 2), client(t, dut, 2)
	all, err := dc.Do(ctx, "COMMAND", "DOCS").Result()
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]string{}
	docsByName(all, mine)
	var names []any
	for n := range mine {
		if !strings.Contains(n, "|") {
			names = append(names, n)
		}
	}
	theirs, err := rc.Do(ctx, append([]any{"COMMAND", "DOCS"}, names...)...).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	docsByName(theirs, want)
	compared := 0
	for name, args := range mine {
		w, ok := want[name]
		if !ok {
			continue // a DiskDB extension or a newer command
		}
		compared++
		if w != args {
			t.Errorf("COMMAND DOCS %s arguments\n redis-server: %s\n       diskdb: %s", name, w, args)
		}
	}
	if compared < 40 || mine["set"] == "" || mine["client|kill"] == "" {
		t.Fatalf("compared %d commands; set=%q", compared, mine["set"])
	}
}
