package compat

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// ACL behaviour a differential script cannot express: several connections,
// users authenticated on them, the ACL log, files and restarts. Where
// redis-server can run the same scenario, its raw replies are the
// reference.

// authed opens a raw connection authenticated as user.
func authed(t *testing.T, s *testkit.Server, user, pass string) *testkit.Conn {
	t.Helper()
	c := s.Raw()
	if r := do(t, c, "AUTH", user, pass); r != "+OK\r\n" {
		t.Fatalf("AUTH %s: %q", user, r)
	}
	return c
}

// TestACLUserLimitedToAppKeysAndReadCommands is the matrix of a user with
// ~app:* and +@read: it reads app keys and nothing else; writes, other
// keys and admin commands are all NOPERM, worded as redis-server words them.
func TestACLUserLimitedToAppKeysAndReadCommands(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	setup := [][]string{
		{"SET", "app:1", "one"}, {"SET", "other", "x"}, {"HSET", "app:h", "f", "v"}, {"RPUSH", "app:l", "a", "b"},
		{"ACL", "SETUSER", "app", "on", ">pw", "~app:*", "+@read"},
	}
	for _, s := range []*testkit.Server{ref, dut} {
		c := s.Raw()
		for _, a := range setup {
			do(t, c, a...)
		}
	}
	type row struct {
		args []string
		want string // DiskDB's reply must also contain this
	}
	noCmd := func(name string) string {
		return "-NOPERM this user has no permissions to run the '" + name + "' command\r\n"
	}
	const noKey = "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
	matrix := []row{
		{[]string{"GET", "app:1"}, "$3\r\none\r\n"},
		{[]string{"MGET", "app:1", "app:2"}, "*2\r\n$3\r\none\r\n$-1\r\n"},
		{[]string{"HGET", "app:h", "f"}, "$1\r\nv\r\n"},
		{[]string{"LRANGE", "app:l", "0", "-1"}, "*2\r\n"},
		{[]string{"EXISTS", "app:1"}, ":1\r\n"},
		{[]string{"STRLEN", "app:1"}, ":3\r\n"},
		{[]string{"TTL", "app:1"}, ":-1\r\n"},
		{[]string{"GET", "other"}, noKey},
		{[]string{"MGET", "app:1", "other"}, noKey},
		{[]string{"HGET", "other", "f"}, noKey},
		{[]string{"EXISTS", "other"}, noKey},
		{[]string{"SET", "app:1", "x"}, noCmd("set")},
		{[]string{"SET", "other", "x"}, noCmd("set")},
		{[]string{"DEL", "app:1"}, noCmd("del")},
		{[]string{"INCR", "app:n"}, noCmd("incr")},
		{[]string{"HSET", "app:h", "f", "w"}, noCmd("hset")},
		{[]string{"LPUSH", "app:l", "x"}, noCmd("lpush")},
		{[]string{"EXPIRE", "app:1", "10"}, noCmd("expire")},
		{[]string{"FLUSHALL"}, noCmd("flushall")},
		{[]string{"FLUSHDB"}, noCmd("flushdb")},
		{[]string{"CONFIG", "GET", "maxclients"}, noCmd("config|get")},
		{[]string{"CONFIG", "SET", "maxclients", "10"}, noCmd("config|set")},
		{[]string{"ACL", "LIST"}, noCmd("acl|list")},
		{[]string{"ACL", "SETUSER", "app", "+@all"}, noCmd("acl|setuser")},
		{[]string{"CLIENT", "LIST"}, noCmd("client|list")},
		{[]string{"CLIENT", "KILL", "ID", "1"}, noCmd("client|kill")},
		{[]string{"SHUTDOWN"}, noCmd("shutdown")},
		{[]string{"SAVE"}, noCmd("save")},
		{[]string{"INFO"}, noCmd("info")},
		{[]string{"PUBLISH", "ch", "m"}, noCmd("publish")},
		{[]string{"SUBSCRIBE", "ch"}, noCmd("subscribe")},
		{[]string{"EVAL", "return 1", "0"}, noCmd("eval")},
		{[]string{"MULTI"}, noCmd("multi")},
		{[]string{"SELECT", "1"}, noCmd("select")},
		{[]string{"PING"}, noCmd("ping")},
		{[]string{"ACL", "WHOAMI"}, noCmd("acl|whoami")},
	}
	rc, dc := authed(t, ref, "app", "pw"), authed(t, dut, "app", "pw")
	for _, r := range matrix {
		want, got := do(t, rc, r.args...), do(t, dc, r.args...)
		if want != got {
			t.Errorf("%v\n redis-server: %q\n       diskdb: %q", r.args, want, got)
		}
		if !strings.Contains(got, r.want) {
			t.Errorf("%v: diskdb replied %q, want %q", r.args, got, r.want)
		}
	}
	// Nothing was written.
	if v := do(t, dut.Raw(), "GET", "app:1"); v != "$3\r\none\r\n" {
		t.Fatalf("app:1 changed: %q", v)
	}
	// QUIT, AUTH and HELLO need no permission.
	if r := do(t, dc, "AUTH", "app", "pw"); r != "+OK\r\n" {
		t.Fatalf("AUTH as a restricted user: %q", r)
	}
}

// TestACLRulesApplyToConnectedClients: ACL SETUSER changes what an
// authenticated connection may do at once, as in Redis.
func TestACLRulesApplyToConnectedClients(t *testing.T) {
	s := testkit.Start(t)
	admin := s.Raw()
	do(t, admin, "ACL", "SETUSER", "u", "on", ">p", "~*", "+get")
	c := authed(t, s, "u", "p")
	if r := do(t, c, "SET", "k", "v"); !strings.HasPrefix(r, "-NOPERM") {
		t.Fatalf("SET before the grant: %q", r)
	}
	do(t, admin, "ACL", "SETUSER", "u", "+set")
	if r := do(t, c, "SET", "k", "v"); r != "+OK\r\n" {
		t.Fatalf("SET after the grant: %q", r)
	}
	do(t, admin, "ACL", "SETUSER", "u", "resetkeys", "~k*")
	if r := do(t, c, "GET", "other"); !strings.HasPrefix(r, "-NOPERM") {
		t.Fatalf("GET other after resetkeys: %q", r)
	}
	if r := do(t, c, "GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET k: %q", r)
	}
	// Turning the default user off or limiting it takes the fast path away.
	do(t, admin, "ACL", "SETUSER", "default", "-flushall")
	if r := do(t, admin, "FLUSHALL"); r != "-NOPERM this user has no permissions to run the 'flushall' command\r\n" {
		t.Fatalf("FLUSHALL by a limited default user: %q", r)
	}
	do(t, admin, "ACL", "SETUSER", "default", "+@all")
	if r := do(t, admin, "FLUSHALL"); r != "+OK\r\n" {
		t.Fatalf("FLUSHALL after +@all: %q", r)
	}
}

// aclLog reads ACL LOG as a list of maps (go-redis, RESP3).
func aclLog(t *testing.T, c *redis.Client) []map[string]any {
	t.Helper()
	res, err := c.Do(context.Background(), "ACL", "LOG").Slice()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range res {
		m := map[string]any{}
		for k, v := range e.(map[any]any) {
			m[k.(string)] = v
		}
		out = append(out, m)
	}
	return out
}

func TestACLLOGRecordsDenialsAndFailedAuth(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	admin := client(t, s, 3)
	admin.Do(ctx, "ACL", "SETUSER", "u", "on", ">p", "~a*", "+get", "+multi", "+eval")
	c := authed(t, s, "u", "p")
	do(t, c, "GET", "b")
	do(t, c, "GET", "b")
	do(t, c, "SET", "a", "1")
	do(t, c, "AUTH", "u", "wrong")
	do(t, c, "EVAL", "return redis.call('get', 'zz')", "0")
	do(t, c, "MULTI")
	do(t, c, "GET", "c")
	log := aclLog(t, admin)
	if len(log) != 5 {
		t.Fatalf("ACL LOG has %d entries, want 5: %v", len(log), log)
	}
	type want struct {
		count                         int64
		reason, context, object, user string
	}
	exp := []want{
		{1, "key", "multi", "c", "u"},
		{1, "key", "lua", "zz", "u"},
		{1, "auth", "toplevel", "AUTH", "u"},
		{1, "command", "toplevel", "set", "u"},
		{2, "key", "toplevel", "b", "u"},
	}
	for i, w := range exp {
		e := log[i]
		if e["count"] != w.count || e["reason"] != w.reason || e["context"] != w.context || e["object"] != w.object || e["username"] != w.user {
			t.Errorf("entry %d = %v, want %+v", i, e, w)
		}
		if ci, _ := e["client-info"].(string); !strings.Contains(ci, " user=") || !strings.HasPrefix(ci, "id=") {
			t.Errorf("entry %d client-info %q", i, ci)
		}
		if age, ok := e["age-seconds"].(float64); !ok || age < 0 || age > 10 {
			t.Errorf("entry %d age-seconds %v", i, e["age-seconds"])
		}
	}
	if r := do(t, s.Raw(), "ACL", "LOG", "RESET"); r != "+OK\r\n" || len(aclLog(t, admin)) != 0 {
		t.Fatalf("ACL LOG RESET: %q", r)
	}
	// acllog-max-len bounds the log.
	admin.ConfigSet(ctx, "acllog-max-len", "2")
	for _, k := range []string{"x1", "x2", "x3"} {
		do(t, c, "EXEC")
		do(t, c, "GET", k)
	}
	if n := len(aclLog(t, admin)); n != 2 {
		t.Fatalf("acllog-max-len 2 kept %d entries", n)
	}
}

// TestACLScriptsAndTransactionsAsRedis compares a script's denied call and
// an EXEC after the rules changed with redis-server's replies.
func TestACLScriptsAndTransactionsAsRedis(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	var got [2][]string
	for i, s := range []*testkit.Server{ref, dut} {
		admin := s.Raw()
		do(t, admin, "ACL", "SETUSER", "u", "on", ">p", "~a*", "&ch", "+@all", "-flushdb")
		c := authed(t, s, "u", "p")
		for _, args := range [][]string{
			{"EVAL", "return redis.call('set', 'a1', 'x')", "0"},
			{"EVAL", "return redis.pcall('get', 'b1')", "0"},
			{"EVAL", "return redis.pcall('flushdb')", "0"},
			{"EVAL", "return redis.pcall('publish', 'other', 'm')", "0"},
			{"EVAL", "return redis.acl_check_cmd('get', 'a1')", "0"},
			{"EVAL", "return redis.acl_check_cmd('get', 'b1')", "0"},
			{"EVAL", "return redis.acl_check_cmd('flushdb')", "0"},
			{"MULTI"}, {"SET", "a2", "1"}, {"GET", "a2"}, {"FLUSHDB"}, {"EXEC"},
			{"MULTI"}, {"SET", "a3", "1"}, {"GET", "a1"},
		} {
			got[i] = append(got[i], do(t, c, args...))
		}
		do(t, admin, "ACL", "SETUSER", "u", "-set")
		got[i] = append(got[i], do(t, c, "EXEC"), do(t, c, "GET", "a3"))
	}
	for j := range got[0] {
		if got[0][j] != got[1][j] {
			t.Errorf("step %d\n redis-server: %q\n       diskdb: %q", j, got[0][j], got[1][j])
		}
	}
	if !strings.Contains(strings.Join(got[1], ""), "ACLs rules changed between the moment the transaction was accumulated") {
		t.Errorf("EXEC did not re-check the rules: %q", got[1])
	}
}

func TestACLDELUSERDisconnectsItsClients(t *testing.T) {
	s := testkit.Start(t)
	admin := s.Raw()
	do(t, admin, "ACL", "SETUSER", "u", "on", ">p", "+@all", "~*")
	c1, c2 := authed(t, s, "u", "p"), authed(t, s, "u", "p")
	other := s.Raw()
	if r := do(t, admin, "ACL", "DELUSER", "u"); r != ":1\r\n" {
		t.Fatalf("DELUSER: %q", r)
	}
	for _, c := range []*testkit.Conn{c1, c2} {
		if _, closed := readFor(c, 2*time.Second); !closed {
			t.Fatal("a client of the deleted user is still connected")
		}
	}
	if r := do(t, other, "PING"); r != "+PONG\r\n" {
		t.Fatalf("another client: %q", r)
	}
	if r := do(t, s.Raw(), "AUTH", "u", "p"); !strings.HasPrefix(r, "-WRONGPASS") {
		t.Fatalf("AUTH as the deleted user: %q", r)
	}
	// A client deleting its own user gets the reply, then is closed.
	do(t, admin, "ACL", "SETUSER", "v", "on", ">p", "+@all", "~*")
	self := authed(t, s, "v", "p")
	send(t, self, string(testkit.Encode("ACL", "DELUSER", "v")))
	out, closed := readFor(self, 2*time.Second)
	if string(out) != ":1\r\n" || !closed {
		t.Fatalf("self DELUSER: %q closed=%v", out, closed)
	}
}

func TestACLRevokingChannelsDisconnectsSubscribers(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	admin := client(t, s, 2)
	admin.Do(ctx, "ACL", "SETUSER", "u", "on", ">p", "+@all", "~*", "resetchannels", "&news*", "&sport")
	sub := redis.NewClient(&redis.Options{Addr: s.Addr, Username: "u", Password: "p", DisableIdentity: true})
	defer sub.Close()
	ps := sub.Subscribe(ctx, "news.a")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Subscribe(ctx, "weather").Receive(ctx); err == nil || !strings.Contains(err.Error(), "NOPERM this user has no permissions to access one of the channels") {
		t.Fatalf("SUBSCRIBE weather: %v", err)
	}
	if _, err := sub.PSubscribe(ctx, "news*").Receive(ctx); err != nil {
		t.Fatalf("PSUBSCRIBE news* (literal match): %v", err)
	}
	if _, err := sub.PSubscribe(ctx, "news.*").Receive(ctx); err == nil {
		t.Fatal("PSUBSCRIBE news.* is not one of the user's patterns, yet allowed")
	}
	// Adding a channel keeps the subscriber; removing news* drops it.
	admin.Do(ctx, "ACL", "SETUSER", "u", "&weather")
	if n := admin.PubSubNumSub(ctx, "news.a").Val()["news.a"]; n != 1 {
		t.Fatalf("subscriber gone after a grant: %d", n)
	}
	admin.Do(ctx, "ACL", "SETUSER", "u", "resetchannels", "&sport")
	deadline := time.Now().Add(3 * time.Second)
	for admin.PubSubNumSub(ctx, "news.a").Val()["news.a"] != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the subscriber of a revoked channel is still subscribed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestACLSAVEAndLOADWithAnACLFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	s := testkit.Start(t, "--aclfile", file)
	admin := s.Raw()
	do(t, admin, "ACL", "SETUSER", "alice", "on", ">secret", "~app:*", "+@read", "&news")
	do(t, admin, "ACL", "SETUSER", "bob", "off", "+get")
	if r := do(t, admin, "ACL", "SAVE"); r != "+OK\r\n" {
		t.Fatalf("ACL SAVE: %q", r)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []string{
		"user alice on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~app:* resetchannels &news -@all +@read",
		"user bob off resetchannels -@all +get",
		"user default on nopass ~* &* +@all",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ACL file:\n%s\nwant:\n%s", data, strings.Join(want, "\n"))
	}
	if strings.Contains(string(data), "secret") {
		t.Fatal("the ACL file holds a clear-text password")
	}
	alice := authed(t, s, "alice", "secret")
	// A broken file changes nothing.
	if err := os.WriteFile(file, []byte("user carol on +nosuch\nfoo bar\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := do(t, admin, "ACL", "LOAD")
	if !strings.HasPrefix(r, "-ERR "+file+":1: Unknown command or category name in ACL. "+file+":2 should start with user keyword followed by the username. WARNING: ACL errors detected") {
		t.Fatalf("ACL LOAD of a broken file: %q", r)
	}
	if r := do(t, alice, "GET", "app:x"); r != "$-1\r\n" {
		t.Fatalf("alice after a failed LOAD: %q", r)
	}
	// A good file replaces the users; clients of replaced users are closed.
	if err := os.WriteFile(file, []byte("user carol on >c ~* +@all\nuser default on nopass ~* &* +@all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := do(t, admin, "ACL", "LOAD"); r != "+OK\r\n" {
		t.Fatalf("ACL LOAD: %q", r)
	}
	if _, closed := readFor(alice, 2*time.Second); !closed {
		t.Fatal("alice's connection survived ACL LOAD")
	}
	if r := do(t, admin, "ACL", "USERS"); r != "*2\r\n$5\r\ncarol\r\n$7\r\ndefault\r\n" {
		t.Fatalf("users after LOAD: %q", r)
	}
	// The file is loaded at start.
	s.Restart()
	authed(t, s, "carol", "c")
}

func TestRequirepassProtectsEveryCommand(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	do(t, s.Raw(), "CONFIG", "SET", "requirepass", "s3cret")
	c := s.Raw()
	for _, args := range [][]string{{"GET", "k"}, {"PING"}, {"CONFIG", "GET", "requirepass"}, {"ACL", "WHOAMI"}} {
		if r := do(t, c, args...); r != "-NOAUTH Authentication required.\r\n" {
			t.Fatalf("%v before AUTH: %q", args, r)
		}
	}
	if r := do(t, c, "AUTH", "nope"); r != "-WRONGPASS invalid username-password pair or user is disabled.\r\n" {
		t.Fatalf("wrong password: %q", r)
	}
	if r := do(t, c, "AUTH", "s3cret"); r != "+OK\r\n" {
		t.Fatalf("AUTH: %q", r)
	}
	if r := do(t, c, "ACL", "WHOAMI"); r != "$7\r\ndefault\r\n" {
		t.Fatalf("WHOAMI: %q", r)
	}
	// The password is stored as its SHA-256 and never shown in the slow log.
	do(t, c, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	do(t, c, "AUTH", "s3cret")
	do(t, c, "ACL", "SETUSER", "x", ">hunter2")
	do(t, c, "CONFIG", "SET", "requirepass", "s3cret")
	slow := do(t, c, "SLOWLOG", "GET", "-1")
	if strings.Contains(slow, "s3cret") || strings.Contains(slow, "hunter2") || !strings.Contains(slow, "(redacted)") {
		t.Fatalf("slow log shows a password: %q", slow)
	}
	if l := do(t, c, "ACL", "LIST"); strings.Contains(l, "s3cret") || !strings.Contains(l, "#") {
		t.Fatalf("ACL LIST: %q", l)
	}
	if strings.Contains(s.Logs(), "s3cret") {
		t.Fatal("the server logged the password")
	}
	// go-redis with a password, as applications connect.
	rc := redis.NewClient(&redis.Options{Addr: s.Addr, Password: "s3cret", DisableIdentity: true})
	defer rc.Close()
	if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	bad := redis.NewClient(&redis.Options{Addr: s.Addr, Password: "bad", DisableIdentity: true, MaxRetries: -1})
	defer bad.Close()
	var rerr redis.Error
	if err := bad.Get(ctx, "k").Err(); !errors.As(err, &rerr) || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("go-redis with a wrong password: %v", err)
	}
}

// TestProtectedModeIsAnnouncedAndKeepsLoopbackClients: with bind on every
// interface and no password, DiskDB says at start that only loopback
// clients are accepted (the refusal of others is tested in the command
// package, which can present a non-loopback peer).
func TestProtectedModeIsAnnouncedAndKeepsLoopbackClients(t *testing.T) {
	s := testkit.Start(t, "--bind", "0.0.0.0")
	if r := do(t, s.Raw(), "PING"); r != "+PONG\r\n" {
		t.Fatalf("loopback client in protected mode: %q", r)
	}
	if !regexp.MustCompile(`protected mode`).MatchString(s.Logs()) {
		t.Fatalf("start-up log does not mention protected mode:\n%s", s.Logs())
	}
}

// TestACLCategoriesAgreeWithRedis: every command both servers have belongs
// to the same ACL categories (COMMAND INFO), and ACL CAT lists exactly the
// commands COMMAND INFO puts in each category.
func TestACLCategoriesAgreeWithRedis(t *testing.T) {
	ref, dut := testkit.StartRedis(t), testkit.Start(t)
	ctx := context.Background()
	cats := func(s *testkit.Server) map[string][]string {
		c := client(t, s, 2)
		res, err := c.Do(ctx, "COMMAND").Slice()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		var walk func(v []any)
		walk = func(v []any) {
			var cs []string
			for _, x := range v[6].([]any) {
				cs = append(cs, x.(string))
			}
			out[v[0].(string)] = cs
			for _, sub := range v[9].([]any) {
				walk(sub.([]any))
			}
		}
		for _, e := range res {
			walk(e.([]any))
		}
		return out
	}
	want, got := cats(ref), cats(dut)
	common := 0
	for name, g := range got {
		w, ok := want[name]
		if !ok {
			continue
		}
		common++
		if strings.Join(w, " ") != strings.Join(g, " ") {
			t.Errorf("%s categories\n redis-server: %v\n       diskdb: %v", name, w, g)
		}
	}
	if common < 200 {
		t.Fatalf("only %d commands in common", common)
	}
	dc := client(t, dut, 2)
	all, err := dc.Do(ctx, "ACL", "CAT").StringSlice()
	if err != nil || len(all) != 21 {
		t.Fatalf("ACL CAT: %v %v", all, err)
	}
	for _, cat := range all {
		listed, err := dc.Do(ctx, "ACL", "CAT", cat).StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		var fromInfo []string
		for name, cs := range got {
			for _, c := range cs {
				if c == "@"+cat {
					fromInfo = append(fromInfo, name)
				}
			}
		}
		sort.Strings(listed)
		sort.Strings(fromInfo)
		if strings.Join(listed, " ") != strings.Join(fromInfo, " ") {
			t.Errorf("ACL CAT %s\n ACL CAT:      %v\n COMMAND INFO: %v", cat, listed, fromInfo)
		}
	}
}
