package compat

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store/command/testkit"
)

// The JSON.* commands have no reference server here (redis-server has no
// RedisJSON module), so their expected replies come from RedisJSON's
// documentation (redis.io/docs/latest/commands/json.*) and its source,
// written down in testdata/json/*.txt tables. Each table runs in RESP2 and
// in RESP3 against the real binary.
//
// Table syntax:
//
//	# comment (the source of the cases that follow)
//	JSON.SET doc $ '{"a":2}'       a command, quoted as redis-cli quotes
//	-> +OK                         its reply in both protocols
//	-> resp2: "3.5"                its reply in RESP2 only
//	-> resp3: (double) 3.5         its reply in RESP3 only
//	-> re: ^\(integer\) [0-9]+$    a regular expression over the reply
//
// Replies are rendered on one line: +status, (error) text, (integer) n,
// "bulk" (Go-quoted), (nil) for every null, (double) d, (bool) true,
// [a, b] for arrays and {k: v} for maps.

type jsonCase struct {
	line  int
	text  string
	args  []string
	want2 string
	want3 string
	re    bool
}

func parseJSONTable(t *testing.T, path string) []jsonCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []jsonCase
	for no, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if want, ok := strings.CutPrefix(line, "->"); ok {
			if len(cases) == 0 {
				t.Fatalf("%s:%d: expectation before any command", path, no+1)
			}
			c := &cases[len(cases)-1]
			want = strings.TrimSpace(want)
			switch {
			case strings.HasPrefix(want, "resp2:"):
				c.want2 = strings.TrimSpace(want[6:])
			case strings.HasPrefix(want, "resp3:"):
				c.want3 = strings.TrimSpace(want[6:])
			case strings.HasPrefix(want, "re:"):
				c.want2 = strings.TrimSpace(want[3:])
				c.want3, c.re = c.want2, true
			default:
				c.want2, c.want3 = want, want
			}
			continue
		}
		var p proto.Parser
		args, _, err := p.ReadCommand([]byte(line + "\n"))
		if err != nil || len(args) == 0 {
			t.Fatalf("%s:%d: cannot split %q: %v", path, no+1, line, err)
		}
		c := jsonCase{line: no + 1, text: line}
		for _, a := range args {
			c.args = append(c.args, string(a))
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		if c.want2 == "" || c.want3 == "" {
			t.Fatalf("%s:%d: %s: no expected reply for RESP2 and RESP3", path, c.line, c.text)
		}
	}
	return cases
}

// renderReply reads one RESP2/RESP3 value and renders it on one line.
func renderReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return "+" + body, nil
	case '-':
		return "(error) " + body, nil
	case ':':
		return "(integer) " + body, nil
	case '_':
		return "(nil)", nil
	case ',':
		return "(double) " + body, nil
	case '#':
		return "(bool) " + map[string]string{"t": "true", "f": "false"}[body], nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "(nil)", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		s := string(buf[:n])
		if line[0] == '=' && len(s) >= 4 {
			s = s[4:]
		}
		return strconv.Quote(s), nil
	case '*', '~', '>', '%':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "(nil)", nil
		}
		if line[0] == '%' {
			parts := make([]string, 0, n)
			for i := 0; i < n; i++ {
				k, err := renderReply(r)
				if err != nil {
					return "", err
				}
				v, err := renderReply(r)
				if err != nil {
					return "", err
				}
				parts = append(parts, k+": "+v)
			}
			return "{" + strings.Join(parts, ", ") + "}", nil
		}
		parts := make([]string, 0, n)
		for i := 0; i < n; i++ {
			v, err := renderReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, v)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("unknown reply type %q", line)
}

func doRendered(c *testkit.Conn, args ...string) (string, error) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(testkit.Encode(args...)); err != nil {
		return "", err
	}
	return renderReply(c.R)
}

// TestJSONTables runs every table of testdata/json in RESP2 and RESP3.
func TestJSONTables(t *testing.T) {
	files, err := filepath.Glob("testdata/json/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no tables in testdata/json")
	}
	s := testkit.Start(t)
	for _, resp := range []int{2, 3} {
		for _, f := range files {
			name := fmt.Sprintf("RESP%d/%s", resp, strings.TrimSuffix(filepath.Base(f), ".txt"))
			t.Run(name, func(t *testing.T) {
				cases := parseJSONTable(t, f)
				c := s.Raw()
				defer c.Close()
				if resp == 3 {
					if _, err := c.Do("HELLO", "3"); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := c.Do("FLUSHALL"); err != nil {
					t.Fatal(err)
				}
				for _, tc := range cases {
					got, err := doRendered(c, tc.args...)
					if err != nil {
						t.Fatalf("%s:%d: %s: %v\nserver log:\n%s", filepath.Base(f), tc.line, tc.text, err, s.Logs())
					}
					want := tc.want2
					if resp == 3 {
						want = tc.want3
					}
					ok := got == want
					if tc.re {
						ok = regexp.MustCompile(want).MatchString(got)
					}
					if !ok {
						t.Errorf("%s:%d: %s\n want: %s\n  got: %s", filepath.Base(f), tc.line, tc.text, want, got)
					}
				}
			})
		}
	}
}

// TestJSONSeedExample runs the seed's Python example through go-redis's
// JSON API (the calls redis-py's r.json().set/get make).
func TestJSONSeedExample(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		doc := `{"name":"Alice","age":30,"address":{"city":"NYC","zip":"10001"},"interests":["coding","music"]}`
		if err := c.JSONSet(ctx, "profile:alice", "$", doc).Err(); err != nil {
			t.Fatal(err)
		}
		checks := []struct{ path, want string }{
			{"$.interests", `[["coding","music"]]`},
			{"$.address.city", `["NYC"]`},
			{"", doc},
		}
		for _, ck := range checks {
			var paths []string
			if ck.path != "" {
				paths = []string{ck.path}
			}
			got, err := c.JSONGet(ctx, "profile:alice", paths...).Result()
			if err != nil || got != ck.want {
				t.Fatalf("RESP%d JSON.GET %s = %q, %v; want %q", p, ck.path, got, err, ck.want)
			}
		}
		if typ, err := c.Type(ctx, "profile:alice").Result(); err != nil || typ != "ReJSON-RL" {
			t.Fatalf("TYPE = %q, %v", typ, err)
		}
	}
}

// TestJSONGoRedisAPI drives the commands through go-redis v9's JSON API:
// client libraries work against DiskDB unchanged.
func TestJSONGoRedisAPI(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		c.FlushAll(ctx)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("RESP%d: %v", p, err)
			}
		}
		must(c.JSONSet(ctx, "item", "$", map[string]any{"name": "earbuds", "price": 64.99, "stock": 17, "colors": []string{"black", "white"}, "wireless": true}).Err())
		if got, err := c.JSONGet(ctx, "item", "$.stock").Result(); err != nil || got != "[17]" {
			t.Fatalf("RESP%d JSONGet $.stock = %q, %v", p, got, err)
		}
		var out []map[string]any
		must(json.Unmarshal([]byte(c.JSONGet(ctx, "item", "$").Val()), &out))
		if len(out) != 1 || out[0]["name"] != "earbuds" || out[0]["price"] != 64.99 {
			t.Fatalf("RESP%d JSONGet $ decoded = %v", p, out)
		}
		if n, err := c.JSONArrAppend(ctx, "item", "$.colors", `"blue"`).Result(); err != nil || len(n) != 1 || n[0] != 3 {
			t.Fatalf("RESP%d JSONArrAppend = %v, %v", p, n, err)
		}
		if n, err := c.JSONArrIndex(ctx, "item", "$.colors", `"white"`).Result(); err != nil || len(n) != 1 || n[0] != 1 {
			t.Fatalf("RESP%d JSONArrIndex = %v, %v", p, n, err)
		}
		if n, err := c.JSONArrInsert(ctx, "item", "$.colors", 0, `"red"`).Result(); err != nil || n[0] != 4 {
			t.Fatalf("RESP%d JSONArrInsert = %v, %v", p, n, err)
		}
		if n, err := c.JSONArrLen(ctx, "item", "$.colors").Result(); err != nil || n[0] != 4 {
			t.Fatalf("RESP%d JSONArrLen = %v, %v", p, n, err)
		}
		if v, err := c.JSONArrPop(ctx, "item", "$.colors", -1).Result(); err != nil || len(v) != 1 || v[0] != `"blue"` {
			t.Fatalf("RESP%d JSONArrPop = %v, %v", p, v, err)
		}
		one := 1
		if n, err := c.JSONArrTrimWithArgs(ctx, "item", "$.colors", &redis.JSONArrTrimArgs{Start: 1, Stop: &one}).Result(); err != nil || n[0] != 1 {
			t.Fatalf("RESP%d JSONArrTrim = %v, %v", p, n, err)
		}
		if v, err := c.JSONNumIncrBy(ctx, "item", "$.stock", 3).Result(); err != nil || v != "[20]" {
			t.Fatalf("RESP%d JSONNumIncrBy = %q, %v", p, v, err)
		}
		if v, err := c.JSONType(ctx, "item", "$.price").Result(); err != nil || !strings.Contains(fmt.Sprint(v), "number") {
			t.Fatalf("RESP%d JSONType = %v, %v", p, v, err)
		}
		if v, err := c.JSONObjLen(ctx, "item", "$").Result(); err != nil || len(v) != 1 || v[0] == nil || *v[0] != 5 {
			t.Fatalf("RESP%d JSONObjLen = %v, %v", p, v, err)
		}
		// go-redis marshals the map with sorted keys.
		if v, err := c.JSONObjKeys(ctx, "item", "$").Result(); err != nil || fmt.Sprint(v) != "[[colors name price stock wireless]]" {
			t.Fatalf("RESP%d JSONObjKeys = %v, %v", p, v, err)
		}
		if v, err := c.JSONStrAppend(ctx, "item", "$.name", `" pro"`).Result(); err != nil || *v[0] != 11 {
			t.Fatalf("RESP%d JSONStrAppend = %v, %v", p, v, err)
		}
		if v, err := c.JSONStrLen(ctx, "item", "$.name").Result(); err != nil || *v[0] != 11 {
			t.Fatalf("RESP%d JSONStrLen = %v, %v", p, v, err)
		}
		if v, err := c.JSONToggle(ctx, "item", "$.wireless").Result(); err != nil || *v[0] != 0 {
			t.Fatalf("RESP%d JSONToggle = %v, %v", p, v, err)
		}
		must(c.JSONMerge(ctx, "item", "$", `{"stock":null,"brand":"acme"}`).Err())
		// Removing "stock" moves the last key into its place (RedisJSON's object layout).
		if got := c.JSONGet(ctx, "item").Val(); got != `{"colors":["black"],"name":"earbuds pro","price":64.99,"wireless":false,"brand":"acme"}` {
			t.Fatalf("RESP%d after merge = %s", p, got)
		}
		must(c.JSONMSetArgs(ctx, []redis.JSONSetArgs{{Key: "a", Path: "$", Value: `{"x":1}`}, {Key: "b", Path: "$", Value: `{"x":2}`}}).Err())
		if v, err := c.JSONMGet(ctx, "$.x", "a", "b", "missing").Result(); err != nil || fmt.Sprint(v) != "[[1] [2] <nil>]" {
			t.Fatalf("RESP%d JSONMGet = %v, %v", p, v, err)
		}
		if n, err := c.JSONClear(ctx, "item", "$.colors").Result(); err != nil || n != 1 {
			t.Fatalf("RESP%d JSONClear = %v, %v", p, n, err)
		}
		// go-redis's JSONDebugMemory is a stub that panics: send the command.
		if n, err := c.Do(ctx, "JSON.DEBUG", "MEMORY", "item").Int64(); err != nil || n <= 0 {
			t.Fatalf("RESP%d JSON.DEBUG MEMORY = %v, %v", p, n, err)
		}
		if n, err := c.JSONDel(ctx, "item", "$.brand").Result(); err != nil || n != 1 {
			t.Fatalf("RESP%d JSONDel = %v, %v", p, n, err)
		}
		if n, err := c.JSONForget(ctx, "item", "$").Result(); err != nil || n != 1 {
			t.Fatalf("RESP%d JSONForget = %v, %v", p, n, err)
		}
		if n, err := c.Exists(ctx, "item").Result(); err != nil || n != 0 {
			t.Fatalf("RESP%d EXISTS after JSON.FORGET $ = %v, %v", p, n, err)
		}
		if err := c.JSONGet(ctx, "item").Err(); err != redis.Nil {
			t.Fatalf("RESP%d JSONGet of a missing key: %v, want redis.Nil", p, err)
		}
		must(c.Set(ctx, "str", "x", 0).Err())
		if err := c.JSONSet(ctx, "str", "$", "1").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
			t.Fatalf("RESP%d JSONSet on a string key: %v", p, err)
		}
	}
}

// TestJSONSurvivesKill9: acknowledged JSON writes survive kill -9.
func TestJSONSurvivesKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	for i := 0; i < 50; i++ {
		k := "doc:" + strconv.Itoa(i)
		if err := c.JSONSet(ctx, k, "$", fmt.Sprintf(`{"n":%d,"tags":["a"],"f":1.5}`, i)).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.JSONArrAppend(ctx, k, "$.tags", `"b"`).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.JSONNumIncrBy(ctx, k, "$.f", 1).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	for i := 0; i < 50; i++ {
		got, err := c2.JSONGet(ctx, "doc:"+strconv.Itoa(i)).Result()
		want := fmt.Sprintf(`{"n":%d,"tags":["a","b"],"f":2.5}`, i)
		if err != nil || got != want {
			t.Fatalf("after kill -9: doc:%d = %q, %v; want %q", i, got, err, want)
		}
	}
	if typ := c2.Type(ctx, "doc:7").Val(); typ != "ReJSON-RL" {
		t.Fatalf("TYPE after restart = %q", typ)
	}
}

// TestJSONDocumentSizeLimit: a write that would make a document larger
// than proto-max-bulk-len is refused and leaves the document as it was.
func TestJSONDocumentSizeLimit(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	if r, err := c.Do("CONFIG", "SET", "proto-max-bulk-len", "1048576"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q %v", r, err)
	}
	half := `"` + strings.Repeat("x", 700<<10) + `"`
	if r, _ := c.Do("JSON.SET", "big", "$", "["+half+"]"); string(r) != "+OK\r\n" {
		t.Fatalf("JSON.SET 700 KiB: %q", r)
	}
	for _, cmd := range [][]string{
		{"JSON.ARRAPPEND", "big", "$", half},
		{"JSON.STRAPPEND", "big", "$[0]", half},
		{"JSON.ARRINSERT", "big", ".", "0", half},
		{"JSON.SET", "big", "$[0]", "[" + half + "," + half + "]"},
	} {
		r, err := c.Do(cmd...)
		if err != nil || string(r) != "-ERR JSON document exceeds maximum allowed size (proto-max-bulk-len)\r\n" {
			t.Fatalf("%s: %.80q %v", cmd[0], r, err)
		}
	}
	if r, _ := c.Do("JSON.STRLEN", "big", ".[0]"); string(r) != fmt.Sprintf(":%d\r\n", 700<<10) {
		t.Fatalf("document changed: STRLEN = %q", r)
	}
}
