package compat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// List tests with go-redis against the real binary, titled after Redis's
// own tests (tests/unit/type/list.tcl) where one exists.

func TestLPOSBasicUsage(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		c.Del(ctx, "mylist")
		c.RPush(ctx, "mylist", "a", "b", "c", 1, 2, 3, "c", "c")
		if n, err := c.LPos(ctx, "mylist", "a", redis.LPosArgs{}).Result(); err != nil || n != 0 {
			t.Fatalf("RESP%d LPOS a = %d, %v", p, n, err)
		}
		if n, err := c.LPos(ctx, "mylist", "c", redis.LPosArgs{}).Result(); err != nil || n != 2 {
			t.Fatalf("RESP%d LPOS c = %d, %v", p, n, err)
		}
	}
}

func TestLPOSRANKPositiveNegativeAndZeroRankOption(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.RPush(ctx, "mylist", "a", "b", "c", 1, 2, 3, "c", "c")
	for rank, want := range map[int64]int64{1: 2, 2: 6, -1: 7, -2: 6} {
		if n, err := c.LPos(ctx, "mylist", "c", redis.LPosArgs{Rank: rank}).Result(); err != nil || n != want {
			t.Errorf("LPOS c RANK %d = %d, %v; want %d", rank, n, err, want)
		}
	}
	err := c.Do(ctx, "LPOS", "mylist", "c", "RANK", 0).Err()
	if err == nil || !strings.Contains(err.Error(), "RANK can't be zero") {
		t.Fatalf("RANK 0: %v", err)
	}
}

func TestLPOSCOUNTOption(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 3)
	c.RPush(ctx, "mylist", "a", "b", "c", 1, 2, 3, "c", "c")
	for _, tc := range []struct {
		count int64
		args  redis.LPosArgs
		want  []int64
	}{
		{0, redis.LPosArgs{}, []int64{2, 6, 7}},
		{1, redis.LPosArgs{}, []int64{2}},
		{2, redis.LPosArgs{}, []int64{2, 6}},
		{100, redis.LPosArgs{}, []int64{2, 6, 7}},
		{2, redis.LPosArgs{Rank: -1}, []int64{7, 6}},
		{0, redis.LPosArgs{MaxLen: 1}, []int64{}},
		{0, redis.LPosArgs{MaxLen: 3}, []int64{2}},
		{0, redis.LPosArgs{Rank: -1, MaxLen: 2}, []int64{7, 6}},
	} {
		got, err := c.LPosCount(ctx, "mylist", "c", tc.count, tc.args).Result()
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("LPOS c COUNT %d %+v = %v, %v; want %v", tc.count, tc.args, got, err, tc.want)
		}
	}
}

func TestLPOSNonExistingKeyAndNoMatch(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	if err := c.LPos(ctx, "nosuch", "a", redis.LPosArgs{}).Err(); err != redis.Nil {
		t.Fatalf("LPOS on a missing key: %v", err)
	}
	c.RPush(ctx, "mylist", "a")
	if err := c.LPos(ctx, "mylist", "x", redis.LPosArgs{}).Err(); err != redis.Nil {
		t.Fatalf("LPOS without a match: %v", err)
	}
	if got, err := c.LPosCount(ctx, "nosuch", "a", 0, redis.LPosArgs{}).Result(); err != nil || len(got) != 0 {
		t.Fatalf("LPOS COUNT 0 on a missing key: %v %v", got, err)
	}
}

func TestLPOPRPOPWithTheOptionalCountArgument(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		c.Del(ctx, "listcount")
		if n := c.LPush(ctx, "listcount", "aa", "bb", "cc", "dd", "ee", "ff", "gg").Val(); n != 7 {
			t.Fatalf("LPUSH = %d", n)
		}
		if v := c.LPop(ctx, "listcount").Val(); v != "gg" {
			t.Fatalf("LPOP = %q", v)
		}
		if v := c.LPopCount(ctx, "listcount", 1).Val(); !slices.Equal(v, []string{"ff"}) {
			t.Fatalf("LPOP 1 = %q", v)
		}
		if v := c.LPopCount(ctx, "listcount", 2).Val(); !slices.Equal(v, []string{"ee", "dd"}) {
			t.Fatalf("LPOP 2 = %q", v)
		}
		if v := c.RPopCount(ctx, "listcount", 2).Val(); !slices.Equal(v, []string{"aa", "bb"}) {
			t.Fatalf("RPOP 2 = %q", v)
		}
		if v, err := c.RPopCount(ctx, "listcount", 0).Result(); err != nil || len(v) != 0 {
			t.Fatalf("RESP%d RPOP 0 = %q, %v", p, v, err)
		}
		if v := c.RPopCount(ctx, "listcount", 5).Val(); !slices.Equal(v, []string{"cc"}) {
			t.Fatalf("RPOP 5 = %q", v)
		}
		if err := c.LPopCount(ctx, "listcount", 2).Err(); err != redis.Nil {
			t.Fatalf("RESP%d LPOP 2 on a missing key: %v", p, err)
		}
		if err := c.LPop(ctx, "listcount").Err(); err != redis.Nil {
			t.Fatalf("RESP%d LPOP on a missing key: %v", p, err)
		}
		if n := c.Exists(ctx, "listcount").Val(); n != 0 {
			t.Fatalf("emptied list still exists")
		}
	}
}

func TestLINSERTAgainstNonListValueError(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.Set(ctx, "k1", "v1", 0)
	err := c.LInsert(ctx, "k1", "after", "0", "0").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatalf("LINSERT on a string: %v", err)
	}
	c.RPush(ctx, "xlist", "a", "b", "c", "d")
	if n := c.LInsert(ctx, "xlist", "before", "c", "zz").Val(); n != 5 {
		t.Fatalf("LINSERT = %d", n)
	}
	if n := c.LInsert(ctx, "xlist", "after", "c", "yy").Val(); n != 6 {
		t.Fatalf("LINSERT = %d", n)
	}
	if n := c.LInsert(ctx, "xlist", "after", "bad", "ddd").Val(); n != -1 {
		t.Fatalf("LINSERT without pivot = %d", n)
	}
	if got := c.LRange(ctx, "xlist", 0, -1).Val(); !slices.Equal(got, []string{"a", "b", "zz", "c", "yy", "d"}) {
		t.Fatalf("LRANGE = %q", got)
	}
}

func TestRPOPLPUSHWithTheSameListAsSrcAndDst(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.RPush(ctx, "mylist", "a", "b", "c")
	if v := c.RPopLPush(ctx, "mylist", "mylist").Val(); v != "c" {
		t.Fatalf("RPOPLPUSH = %q", v)
	}
	if got := c.LRange(ctx, "mylist", 0, -1).Val(); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Fatalf("LRANGE = %q", got)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"left", "right", "c"}, {"right", "left", "c"}, {"left", "left", "a"}, {"right", "right", "b"},
	} {
		c.Del(ctx, "mylist", "target")
		c.RPush(ctx, "mylist", "a", "b", "c")
		c.RPush(ctx, "target", "x")
		v := c.LMove(ctx, "mylist", "target", tc.from, tc.to).Val()
		if tc.from == "left" && v != "a" || tc.from == "right" && v != "c" {
			t.Fatalf("LMOVE %s %s = %q", tc.from, tc.to, v)
		}
		tgt := c.LRange(ctx, "target", 0, -1).Val()
		if tc.to == "left" && tgt[0] != v || tc.to == "right" && tgt[len(tgt)-1] != v {
			t.Fatalf("LMOVE %s %s: target %q", tc.from, tc.to, tgt)
		}
	}
}

func TestLMPOPMultipleExistingLists(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		c.Del(ctx, "mylist1", "mylist2")
		c.RPush(ctx, "mylist1", "a", "b", "c", "d", "e")
		c.RPush(ctx, "mylist2", "1", "2", "3", "4", "5")
		key, vals, err := c.LMPop(ctx, "left", 1, "mylist1", "mylist2").Result()
		if err != nil || key != "mylist1" || !slices.Equal(vals, []string{"a"}) {
			t.Fatalf("RESP%d LMPOP = %q %q %v", p, key, vals, err)
		}
		key, vals, _ = c.LMPop(ctx, "right", 10, "mylist1", "mylist2").Result()
		if key != "mylist1" || !slices.Equal(vals, []string{"e", "d", "c", "b"}) {
			t.Fatalf("RESP%d LMPOP RIGHT 10 = %q %q", p, key, vals)
		}
		key, vals, _ = c.LMPop(ctx, "left", 2, "mylist1", "mylist2").Result()
		if key != "mylist2" || !slices.Equal(vals, []string{"1", "2"}) {
			t.Fatalf("RESP%d LMPOP = %q %q", p, key, vals)
		}
		c.Del(ctx, "mylist2")
		if err := c.LMPop(ctx, "left", 1, "mylist1", "mylist2").Err(); err != redis.Nil {
			t.Fatalf("RESP%d LMPOP on missing keys: %v", p, err)
		}
	}
}

// TestListConcurrentPushPopLosesNothing runs 50 clients that push unique
// elements to one list from both ends and pop from both ends (one and
// several at a time) while the others do the same: every element pushed
// is popped exactly once or is still in the list at the end.
func TestListConcurrentPushPopLosesNothing(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	const clients, each = 50, 200
	var wg sync.WaitGroup
	popped := make([][]string, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
			defer c.Close()
			for j := 0; j < each; j++ {
				v := fmt.Sprintf("%d:%d", i, j)
				var err error
				if j%2 == 0 {
					err = c.LPush(ctx, "shared", v).Err()
				} else {
					err = c.RPush(ctx, "shared", v).Err()
				}
				if err != nil {
					t.Error(err)
					return
				}
				switch j % 4 {
				case 1:
					if v, err := c.RPop(ctx, "shared").Result(); err == nil {
						popped[i] = append(popped[i], v)
					} else if err != redis.Nil {
						t.Error(err)
						return
					}
				case 3:
					if vs, err := c.LPopCount(ctx, "shared", 2).Result(); err == nil {
						popped[i] = append(popped[i], vs...)
					} else if err != redis.Nil {
						t.Error(err)
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	c := client(t, s, 2)
	rest, err := c.LRange(ctx, "shared", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n := c.LLen(ctx, "shared").Val(); n != int64(len(rest)) {
		t.Fatalf("LLEN %d, LRANGE %d elements", n, len(rest))
	}
	seen := map[string]int{}
	for _, p := range popped {
		for _, v := range p {
			seen[v]++
		}
	}
	for _, v := range rest {
		seen[v]++
	}
	for i := 0; i < clients; i++ {
		for j := 0; j < each; j++ {
			v := fmt.Sprintf("%d:%d", i, j)
			if seen[v] != 1 {
				t.Fatalf("%s seen %d times", v, seen[v])
			}
			delete(seen, v)
		}
	}
	if len(seen) != 0 {
		t.Fatalf("unexpected elements: %v", seen)
	}
	total := 0
	for _, p := range popped {
		total += len(p)
	}
	t.Logf("%d pushed, %d popped, %d left", clients*each, total, len(rest))
}

// TestListsAndHashesSurviveKill9 writes lists, hashes and strings with
// every kind of write, kills the server with SIGKILL, restarts it and
// checks every key's content.
func TestListsAndHashesSurviveKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	want := map[string][]string{} // list key -> content
	var big []any
	var bigWant []string
	for i := 0; i < 2000; i++ {
		big = append(big, "e"+strconv.Itoa(i))
		bigWant = append(bigWant, "e"+strconv.Itoa(i))
	}
	c.RPush(ctx, "big", big...)
	c.LPopCount(ctx, "big", 500) // a range delete
	c.RPop(ctx, "big")
	c.LSet(ctx, "big", 10, "set")
	c.LInsert(ctx, "big", "before", "e1000", "ins")
	c.LRem(ctx, "big", 1, "e1500")
	bigWant = bigWant[500:1999]
	bigWant[10] = "set"
	i := slices.Index(bigWant, "e1000")
	bigWant = slices.Insert(bigWant, i, "ins")
	bigWant = slices.DeleteFunc(bigWant, func(v string) bool { return v == "e1500" })
	want["big"] = bigWant
	c.RPush(ctx, "trimmed", "a", "b", "c", "d", "e")
	c.LTrim(ctx, "trimmed", 1, 3)
	want["trimmed"] = []string{"b", "c", "d"}
	c.RPush(ctx, "src", "1", "2")
	c.LMove(ctx, "src", "dst", "left", "right")
	want["src"] = []string{"2"}
	want["dst"] = []string{"1"}
	c.RPush(ctx, "gone", "x")
	c.LPop(ctx, "gone")
	fields := map[string]string{}
	for i := 0; i < 300; i++ {
		f := "f" + strconv.Itoa(i)
		c.HSet(ctx, "h", f, i)
		fields[f] = strconv.Itoa(i)
	}
	c.HDel(ctx, "h", "f1", "f2")
	delete(fields, "f1")
	delete(fields, "f2")
	c.HIncrBy(ctx, "h", "f3", 10)
	fields["f3"] = "13"
	c.HIncrByFloat(ctx, "h", "float", 1.5)
	fields["float"] = "1.5"
	c.HSet(ctx, "hgone", "a", "1")
	c.HDel(ctx, "hgone", "a")
	c.Set(ctx, "str", "value", 0)

	s.Kill()
	s.Restart()
	c = client(t, s, 2)
	for k, w := range want {
		got, err := c.LRange(ctx, k, 0, -1).Result()
		if err != nil || !slices.Equal(got, w) {
			t.Errorf("%s after kill -9: %d elements %v; want %d", k, len(got), err, len(w))
		}
		if n := c.LLen(ctx, k).Val(); n != int64(len(w)) {
			t.Errorf("LLEN %s = %d, want %d", k, n, len(w))
		}
	}
	got, err := c.HGetAll(ctx, "h").Result()
	if err != nil || len(got) != len(fields) {
		t.Fatalf("HGETALL after kill -9: %d fields, %v", len(got), err)
	}
	for f, v := range fields {
		if got[f] != v {
			t.Errorf("h.%s = %q, want %q", f, got[f], v)
		}
	}
	if n := c.HLen(ctx, "h").Val(); n != int64(len(fields)) {
		t.Errorf("HLEN = %d", n)
	}
	if v := c.Get(ctx, "str").Val(); v != "value" {
		t.Errorf("str = %q", v)
	}
	if n := c.Exists(ctx, "gone", "hgone").Val(); n != 0 {
		t.Errorf("emptied keys exist after restart: %d", n)
	}
	if n := c.DBSize(ctx).Val(); n != int64(len(want))+2 {
		t.Errorf("DBSIZE = %d, want %d", n, len(want)+2)
	}
}

// TestListExpires gives a list a TTL, checks writes keep it and that the
// list is gone, elements included, once it fires.
func TestListExpires(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.RPush(ctx, "l", "a", "b", "c")
	if err := c.PExpire(ctx, "l", 300*time.Millisecond).Err(); err != nil {
		if strings.Contains(err.Error(), "unknown command") {
			t.Skip("PEXPIRE is not in this build")
		}
		t.Fatal(err)
	}
	c.LPush(ctx, "l", "z")
	c.RPop(ctx, "l")
	if ttl := c.PTTL(ctx, "l").Val(); ttl <= 0 || ttl > 300*time.Millisecond {
		t.Fatalf("PTTL after writes = %v", ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if n := c.Exists(ctx, "l").Val(); n != 0 {
		t.Fatal("expired list still exists")
	}
	if typ := c.Type(ctx, "l").Val(); typ != "none" {
		t.Fatalf("TYPE = %q", typ)
	}
	c.RPush(ctx, "l", "new")
	if got := c.LRange(ctx, "l", 0, -1).Val(); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("recreated list = %q", got)
	}
}

// fillList appends n elements "0".."n-1" to key, 1000 per command, pipelined.
func fillList(t *testing.T, c *redis.Client, key string, n int) {
	t.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	args := make([]any, 0, 1000)
	for i := 0; i < n; i++ {
		args = append(args, i)
		if len(args) == cap(args) || i == n-1 {
			pipe.RPush(ctx, key, args...)
			args = make([]any, 0, 1000)
		}
		if pipe.Len() == 50 || i == n-1 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// slowlogMicros runs cmd and returns its server-side duration from SLOWLOG.
func slowlogMicros(t *testing.T, c *redis.Client, args ...any) (int64, time.Duration) {
	t.Helper()
	ctx := context.Background()
	c.Do(ctx, "SLOWLOG", "RESET")
	start := time.Now()
	if err := c.Do(ctx, args...).Err(); err != nil {
		t.Fatal(err)
	}
	rtt := time.Since(start)
	logs, err := c.SlowLogGet(ctx, 10).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		if strings.EqualFold(l.Args[0], fmt.Sprint(args[0])) {
			return l.Duration.Microseconds(), rtt
		}
	}
	t.Fatalf("%v not in SLOWLOG: %+v", args[0], logs)
	return 0, 0
}

// TestUNLINKCanReclaimMemoryInBackground (lazyfree.tcl): with a 1,000,000
// element list, LRANGE 0 9, LINDEX and LLEN read only what they return,
// and DEL is metadata work only.
func TestUNLINKCanReclaimMemoryInBackground(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-element list")
	}
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	const n = 1_000_000
	start := time.Now()
	fillList(t, c, "biglist", n)
	t.Logf("RPUSH of %d elements: %v", n, time.Since(start))
	if l := c.LLen(ctx, "biglist").Val(); l != n {
		t.Fatalf("LLEN = %d", l)
	}
	c.ConfigSet(ctx, "slowlog-log-slower-than", "0")
	us, rtt := slowlogMicros(t, c, "LRANGE", "biglist", 0, 9)
	t.Logf("LRANGE 0 9: %dµs server, %v round trip", us, rtt)
	if us > 5000 {
		t.Errorf("LRANGE 0 9 of a 1M list took %dµs", us)
	}
	if got := c.LRange(ctx, "biglist", 0, 9).Val(); !slices.Equal(got, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) {
		t.Fatalf("LRANGE 0 9 = %q", got)
	}
	if got := c.LRange(ctx, "biglist", -3, -1).Val(); !slices.Equal(got, []string{"999997", "999998", "999999"}) {
		t.Fatalf("LRANGE -3 -1 = %q", got)
	}
	if v := c.LIndex(ctx, "biglist", 500_000).Val(); v != "500000" {
		t.Fatalf("LINDEX 500000 = %q", v)
	}
	us, rtt = slowlogMicros(t, c, "LINDEX", "biglist", 654321)
	t.Logf("LINDEX: %dµs server, %v round trip", us, rtt)
	us, rtt = slowlogMicros(t, c, "DEL", "biglist")
	t.Logf("DEL of a 1M-element list: %dµs server, %v round trip", us, rtt)
	if us >= 1000 {
		t.Errorf("DEL of a 1M list took %dµs of server time", us)
	}
	if n := c.Exists(ctx, "biglist").Val(); n != 0 {
		t.Fatal("deleted list still exists")
	}
	c.RPush(ctx, "biglist", "only")
	if got := c.LRange(ctx, "biglist", 0, -1).Val(); !slices.Equal(got, []string{"only"}) {
		t.Fatalf("recreated list = %d elements", len(got))
	}
	c.ConfigSet(ctx, "slowlog-log-slower-than", "10000")
}

// TestListCommandsReplyRESP3Shapes checks the RESP3 null shapes go-redis
// relies on for lists.
func TestListCommandsReplyRESP3Shapes(t *testing.T) {
	s := testkit.Start(t)
	r := s.Raw()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"HELLO", "3"}, ""},
		{[]string{"LPOP", "nosuch"}, "_\r\n"},
		{[]string{"LPOP", "nosuch", "2"}, "_\r\n"},
		{[]string{"LMPOP", "1", "nosuch", "LEFT"}, "_\r\n"},
		{[]string{"LMOVE", "nosuch", "x", "LEFT", "LEFT"}, "_\r\n"},
		{[]string{"RPUSH", "l", "a"}, ":1\r\n"},
		{[]string{"LPOP", "l", "0"}, "*0\r\n"},
		{[]string{"LPOS", "l", "zz"}, "_\r\n"},
		{[]string{"LINDEX", "l", "5"}, "_\r\n"},
	} {
		got, err := r.Do(tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want != "" && string(got) != tc.want {
			t.Errorf("%v = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestListAndHashKeyspaceEventsMatchRedis runs the same list and hash
// writes against redis-server and DiskDB and compares the keyevent
// notifications each one publishes, in order.
func TestListAndHashKeyspaceEventsMatchRedis(t *testing.T) {
	script := [][]any{
		{"RPUSH", "l", "a", "b"}, {"LPUSH", "l", "z"}, {"LPUSHX", "nl", "a"}, {"RPUSHX", "l", "y"},
		{"LPOP", "l"}, {"RPOP", "l", 2}, {"LPOP", "l", 0}, {"RPUSH", "l", "a", "b", "c"},
		{"LSET", "l", 0, "x"}, {"LINSERT", "l", "BEFORE", "b", "q"}, {"LINSERT", "l", "BEFORE", "zz", "q"},
		{"LREM", "l", 1, "q"}, {"LREM", "l", 1, "zz"}, {"LTRIM", "l", 0, -1}, {"LTRIM", "l", 0, 0}, {"LTRIM", "l", 1, 0},
		{"RPUSH", "a", 1}, {"LMOVE", "a", "b", "LEFT", "RIGHT"}, {"RPOPLPUSH", "b", "b"},
		{"LMPOP", 2, "nl", "b", "LEFT", "COUNT", 5}, {"LMPOP", 1, "nl", "LEFT"},
		{"HSET", "h", "f", 1, "g", 2}, {"HSET", "h", "f", 3}, {"HSETNX", "h", "g", 1}, {"HSETNX", "h", "k", 1},
		{"HMSET", "h", "m", 1}, {"HINCRBY", "h", "f", 1}, {"HINCRBYFLOAT", "h", "f", 1.5},
		{"HDEL", "h", "zz"}, {"HDEL", "h", "f", "g"}, {"HDEL", "h", "k", "m"},
		{"RPUSH", "gone", "x"}, {"DEL", "gone"}, {"SET", "done", 1},
	}
	run := func(s *testkit.Server) []string {
		ctx := context.Background()
		c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
		defer c.Close()
		if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err(); err != nil {
			t.Fatal(err)
		}
		ps := c.PSubscribe(ctx, "__keyevent@0__:*")
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range script {
			_ = c.Do(ctx, cmd...).Err()
		}
		var got []string
		ch := ps.Channel()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case m := <-ch:
				ev := strings.TrimPrefix(m.Channel, "__keyevent@0__:") + " " + m.Payload
				got = append(got, ev)
				if ev == "set done" {
					return got
				}
			case <-timeout:
				t.Fatalf("no final event; got %q", got)
			}
		}
	}
	want := run(testkit.StartRedis(t))
	got := run(testkit.Start(t))
	if !slices.Equal(got, want) {
		t.Fatalf("keyevents differ\n redis-server: %q\n       diskdb: %q", want, got)
	}
	t.Logf("%d events match", len(got))
}

// TestEXECFailsIfAWatchedListOrHashIsChangedInPlace checks that writes
// which leave the metadata as it was (LSET, LTRIM keeping everything, HSET
// of an existing field, HINCRBY) still break a WATCH.
func TestEXECFailsIfAWatchedListOrHashIsChangedInPlace(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	a, b := client(t, s, 2), client(t, s, 2)
	a.RPush(ctx, "l", "x", "y")
	a.HSet(ctx, "h", "f", 1)
	for _, tc := range []struct {
		key    string
		change []any
	}{
		{"l", []any{"LSET", "l", 0, "z"}},
		{"l", []any{"LTRIM", "l", 0, -1}},
		{"h", []any{"HSET", "h", "f", 2}},
		{"h", []any{"HINCRBY", "h", "f", 1}},
		{"h", []any{"HINCRBYFLOAT", "h", "f", 1}},
	} {
		err := a.Watch(ctx, func(tx *redis.Tx) error {
			if err := b.Do(ctx, tc.change...).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Ping(ctx)
				return nil
			})
			return err
		}, tc.key)
		if !errors.Is(err, redis.TxFailedErr) {
			t.Errorf("EXEC after %v: err = %v, want TxFailedErr", tc.change, err)
		}
	}
	// Reads and no-op writes leave the watch alone.
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		b.LRange(ctx, "l", 0, -1)
		b.LRem(ctx, "l", 1, "nosuch")
		b.HDel(ctx, "h", "nosuch")
		b.HGetAll(ctx, "h")
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Ping(ctx)
			return nil
		})
		return err
	}, "l", "h")
	if err != nil {
		t.Fatalf("EXEC after reads: %v", err)
	}
}
