package compat

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/store/command/testkit"
)

// fill creates keys prefix0..prefix(n-1) (value = index) with pipelined MSETs.
func fill(t *testing.T, c *redis.Client, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	for i := 0; i < n; i += 500 {
		end := min(i+500, n)
		args := make([]any, 0, 2*(end-i))
		for j := i; j < end; j++ {
			args = append(args, keys[j], j)
		}
		if err := c.MSet(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// scanAll iterates SCAN to the end from cursor and returns how often each key
// was returned and the number of calls.
func scanAll(t *testing.T, c *redis.Client, cursor uint64, match string, count int64, typ string) (map[string]int, int) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]int{}
	calls := 0
	for {
		var keys []string
		var err error
		if typ != "" {
			keys, cursor, err = c.ScanType(ctx, cursor, match, count, typ).Result()
		} else {
			keys, cursor, err = c.Scan(ctx, cursor, match, count).Result()
		}
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, k := range keys {
			seen[k]++
		}
		if cursor == 0 {
			return seen, calls
		}
		if calls > 1_000_000 {
			t.Fatal("SCAN does not terminate")
		}
	}
}

func TestSCANBasic(t *testing.T) {
	s := testkit.Start(t, "--shards", "4")
	c := client(t, s, 2)
	keys := fill(t, c, "key:", 10000)
	seen, calls := scanAll(t, c, 0, "", 7, "")
	for _, k := range keys {
		if seen[k] == 0 {
			t.Fatalf("SCAN COUNT 7 never returned %s", k)
		}
	}
	if len(seen) != len(keys) {
		t.Fatalf("SCAN returned %d distinct keys, want %d", len(seen), len(keys))
	}
	// COUNT 7 examines 7 records per call: about 10000/7 calls.
	if calls < 10000/7 || calls > 10000/7+2 {
		t.Fatalf("SCAN COUNT 7 took %d calls for 10000 keys", calls)
	}
	// The default COUNT (10) and a big one give the same set.
	for _, count := range []int64{0, 1000, 100000} {
		seen, _ := scanAll(t, c, 0, "", count, "")
		if len(seen) != len(keys) {
			t.Fatalf("SCAN COUNT %d returned %d keys, want %d", count, len(seen), len(keys))
		}
	}
}

func TestSCANMATCH(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	fill(t, c, "key:", 1000)
	fill(t, c, "other:", 1000)
	seen, _ := scanAll(t, c, 0, "key:1*", 10, "")
	want := 0
	for i := 0; i < 1000; i++ {
		k := "key:" + strconv.Itoa(i)
		if strings.HasPrefix(k, "key:1") {
			want++
			if seen[k] == 0 {
				t.Fatalf("SCAN MATCH key:1* missed %s", k)
			}
		}
	}
	if len(seen) != want {
		t.Fatalf("SCAN MATCH key:1* returned %d keys, want %d: %v", len(seen), want, seen)
	}
	seen, _ = scanAll(t, c, 0, "*:[0-4]?[^9]", 50, "")
	want = 0
	for _, p := range []string{"key:", "other:"} {
		for i := 0; i < 1000; i++ {
			if store.Match([]byte("*:[0-4]?[^9]"), []byte(p+strconv.Itoa(i)), false) {
				want++
			}
		}
	}
	if len(seen) != want || want == 0 {
		t.Fatalf("SCAN MATCH *:[0-4]?[^9] returned %d keys, want %d", len(seen), want)
	}
}

func TestSCANTYPE(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	fill(t, c, "s:", 300)
	seen, _ := scanAll(t, c, 0, "", 10, "string")
	if len(seen) != 300 {
		t.Fatalf("SCAN TYPE string returned %d keys, want 300", len(seen))
	}
	seen, _ = scanAll(t, c, 0, "", 10, "STRING")
	if len(seen) != 300 {
		t.Fatalf("SCAN TYPE STRING returned %d keys, want 300", len(seen))
	}
	for _, typ := range []string{"hash", "list", "set", "zset", "stream", "nosuchtype"} {
		if seen, _ := scanAll(t, c, 0, "", 10, typ); len(seen) != 0 {
			t.Fatalf("SCAN TYPE %s returned %v", typ, seen)
		}
	}
	seen, _ = scanAll(t, c, 0, "s:1?", 10, "string")
	if len(seen) != 10 {
		t.Fatalf("SCAN MATCH s:1? TYPE string returned %d keys, want 10", len(seen))
	}
}

func TestSCANWithExpiredKeys(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	fill(t, c, "keep:", 500)
	for i := 0; i < 500; i++ {
		if err := c.Set(ctx, "vol:"+strconv.Itoa(i), "x", 50*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	seen, _ := scanAll(t, c, 0, "", 10, "")
	for k := range seen {
		if strings.HasPrefix(k, "vol:") {
			t.Fatalf("SCAN returned expired key %s", k)
		}
	}
	if len(seen) != 500 {
		t.Fatalf("SCAN returned %d keys, want 500", len(seen))
	}
}

// TestSCANUnknownCursor checks that a cursor the server does not know (one
// issued before a restart, or made up) still terminates, and that a scan
// resumed across a kill -9 covers every key.
func TestSCANUnknownCursor(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	keys := fill(t, c, "k", 10000)

	seen := map[string]int{}
	var cursor uint64
	for i := 0; i < 60; i++ {
		ks, next, err := c.Scan(ctx, cursor, "", 100).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			seen[k]++
		}
		cursor = next
	}
	if cursor == 0 || len(seen) < 5000 {
		t.Fatalf("after 60 calls: cursor %d, %d keys", cursor, len(seen))
	}
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	rest, calls := scanAll(t, c2, cursor, "", 100, "")
	for k, n := range rest {
		seen[k] += n
	}
	for _, k := range keys {
		if seen[k] == 0 {
			t.Fatalf("scan resumed after restart missed %s", k)
		}
	}
	// It resumed from the cursor's slot, not from the beginning.
	if calls > 60 {
		t.Fatalf("resumed scan took %d calls: it restarted from scratch", calls)
	}

	for _, cur := range []uint64{1, 12345, 1 << 40, 1<<64 - 1} {
		got, calls := scanAll(t, c2, cur, "", 1000, "")
		if calls > 20 {
			t.Fatalf("SCAN from made-up cursor %d took %d calls", cur, calls)
		}
		_ = got
	}
	// Cursor 1 names slot 1: it covers every key outside slot 0.
	got, _ := scanAll(t, c2, 1, "", 1000, "")
	for _, k := range keys {
		if store.Slot([]byte(k)) >= 1 && got[k] == 0 {
			t.Fatalf("SCAN from cursor 1 missed %s (slot %d)", k, store.Slot([]byte(k)))
		}
	}
}

// TestSCANGuaranteesUnderWriteLoad: keys present for the whole scan are
// returned while other keys come and go.
func TestSCANGuaranteesUnderWriteLoad(t *testing.T) {
	s := testkit.Start(t, "--shards", "4")
	c := client(t, s, 2)
	ctx := context.Background()
	keys := fill(t, c, "stable:", 5000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer wc.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("churn:%d:%d", w, i%300)
				if i%2 == 0 {
					_ = wc.Set(ctx, k, i, 0).Err()
				} else {
					_ = wc.Del(ctx, k).Err()
				}
			}
		}(w)
	}
	seen, _ := scanAll(t, c, 0, "", 20, "")
	close(stop)
	wg.Wait()
	for _, k := range keys {
		if seen[k] == 0 {
			t.Fatalf("SCAN under write load missed %s", k)
		}
	}
}

func TestKEYSWithPattern(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	for _, k := range []string{"key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c"} {
		c.Set(ctx, k, "hello", 0)
	}
	got, err := c.Keys(ctx, "foo*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sorted(got), ",") != "foo_a,foo_b,foo_c" {
		t.Fatalf("KEYS foo* = %v", got)
	}
	got, _ = c.Keys(ctx, "*").Result()
	if len(got) != 6 {
		t.Fatalf("KEYS * = %v", got)
	}
	got, _ = c.Keys(ctx, "key_[xz]").Result()
	if strings.Join(sorted(got), ",") != "key_x,key_z" {
		t.Fatalf("KEYS key_[xz] = %v", got)
	}
}

func sorted(a []string) []string {
	b := append([]string(nil), a...)
	for i := 1; i < len(b); i++ {
		for j := i; j > 0 && b[j] < b[j-1]; j-- {
			b[j], b[j-1] = b[j-1], b[j]
		}
	}
	return b
}

// infoField returns the value of field in INFO section sec.
func infoField(t *testing.T, c *redis.Client, sec, field string) string {
	t.Helper()
	info, err := c.Info(context.Background(), sec).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// TestActiveExpiry: 1000 keys with a 100 ms TTL disappear from DBSIZE with
// nobody touching them, and INFO reports them.
func TestActiveExpiry(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	fill(t, c, "persistent:", 10)
	pipe := c.Pipeline()
	for i := 0; i < 1000; i++ {
		pipe.Set(ctx, "vol:"+strconv.Itoa(i), i, 100*time.Millisecond)
	}
	start := time.Now()
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v := infoField(t, c, "keyspace", "db0"); time.Since(start) < 90*time.Millisecond &&
		!strings.HasPrefix(v, "keys=1010,expires=1000,") {
		t.Fatalf("INFO keyspace db0 = %q right after the SETs", v)
	}
	deadline := start.Add(2 * time.Second)
	var n int64
	for time.Now().Before(deadline) {
		var err error
		if n, err = c.DBSize(ctx).Result(); err != nil {
			t.Fatal(err)
		}
		if n == 10 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n != 10 {
		t.Fatalf("DBSIZE = %d two seconds after 1000 keys with a 100 ms TTL; want 10", n)
	}
	if d := time.Since(start); d > 600*time.Millisecond {
		t.Errorf("active expiry took %v for 1000 keys with a 100 ms TTL", d)
	}
	if v := infoField(t, c, "stats", "expired_keys"); v != "1000" {
		t.Fatalf("INFO expired_keys = %q, want 1000", v)
	}
	if v := infoField(t, c, "keyspace", "db0"); !strings.HasPrefix(v, "keys=10,expires=0,") {
		t.Fatalf("INFO keyspace db0 = %q, want keys=10,expires=0", v)
	}
	// Every key of db 1 expires: the db leaves INFO keyspace.
	c1 := redis.NewClient(&redis.Options{Addr: s.Addr, DB: 1, DisableIdentity: true})
	defer c1.Close()
	for i := 0; i < 100; i++ {
		c1.Set(ctx, "x"+strconv.Itoa(i), i, 50*time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if v := infoField(t, c, "keyspace", "db1"); v != "" {
		t.Fatalf("INFO keyspace db1 = %q after all its keys expired", v)
	}
	if v := infoField(t, c, "stats", "expired_keys"); v != "1100" {
		t.Fatalf("INFO expired_keys = %q, want 1100", v)
	}
}

// TestExpiryAccuracy: a key is invisible as soon as its TTL has passed and
// gone from DBSIZE within ~200 ms; never earlier.
func TestExpiryAccuracy(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	const ttl = 500 * time.Millisecond
	before := time.Now()
	for i := 0; i < 50; i++ {
		if err := c.Set(ctx, "acc:"+strconv.Itoa(i), i, ttl).Err(); err != nil {
			t.Fatal(err)
		}
	}
	after := time.Now()
	time.Sleep(time.Until(before.Add(ttl - 100*time.Millisecond)))
	if n, _ := c.Exists(ctx, "acc:0", "acc:49").Result(); n != 2 {
		t.Fatalf("keys expired early: EXISTS = %d at TTL-100ms", n)
	}
	if n, _ := c.DBSize(ctx).Result(); n != 50 {
		t.Fatalf("DBSIZE = %d at TTL-100ms", n)
	}
	if pttl, _ := c.PTTL(ctx, "acc:49").Result(); pttl <= 0 || pttl > after.Sub(before)+110*time.Millisecond {
		t.Fatalf("PTTL at TTL-100ms = %v", pttl)
	}
	// Lazily: invisible right after the TTL.
	time.Sleep(time.Until(after.Add(ttl + 5*time.Millisecond)))
	if n, _ := c.Exists(ctx, "acc:0").Result(); n != 0 {
		t.Fatal("key still visible 5 ms after its TTL")
	}
	// Actively: the others leave DBSIZE within ~200 ms of their TTL.
	deadline := after.Add(ttl + 250*time.Millisecond)
	for {
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE = %d more than 250 ms after the TTL", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestExpireSurvivesKill9: a TTL is on disk: after kill -9 the key keeps
// it, and keys whose TTL passed while the server was down are removed.
func TestExpireSurvivesKill9(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	c.Set(ctx, "long", "v", 0)
	if ok, _ := c.Expire(ctx, "long", 100*time.Second).Result(); !ok {
		t.Fatal("EXPIRE long failed")
	}
	c.Set(ctx, "at", "v", 0)
	c.ExpireAt(ctx, "at", time.Unix(4000000000, 0))
	c.Set(ctx, "short", "v", 0)
	c.PExpire(ctx, "short", 300*time.Millisecond)
	c.Set(ctx, "kept", "v", 10*time.Second)
	c.Persist(ctx, "kept")
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	if ttl, _ := c2.TTL(ctx, "long").Result(); ttl < 95*time.Second || ttl > 100*time.Second {
		t.Fatalf("TTL after kill -9 = %v, want ~100s", ttl)
	}
	if n, _ := c2.Do(ctx, "EXPIRETIME", "at").Int64(); n != 4000000000 {
		t.Fatalf("EXPIRETIME after kill -9 = %d", n)
	}
	if ttl, _ := c2.TTL(ctx, "kept").Result(); ttl != -1 {
		t.Fatalf("TTL of a persisted key after kill -9 = %v, want -1", ttl)
	}
	time.Sleep(600 * time.Millisecond)
	if n, _ := c2.DBSize(ctx).Result(); n != 3 {
		t.Fatalf("DBSIZE after the short key expired = %d, want 3", n)
	}
	if v := infoField(t, c2, "keyspace", "db0"); !strings.HasPrefix(v, "keys=3,expires=2,") {
		t.Fatalf("INFO keyspace db0 after restart = %q", v)
	}
}

// keysOnOtherShards returns n pairs of keys whose slots fall on different
// shards of a server with the given shard count.
func keysOnOtherShards(shards, n int) [][2]string {
	var out [][2]string
	for i := 0; len(out) < n; i++ {
		a, b := "src:"+strconv.Itoa(i), "dst:"+strconv.Itoa(i)
		if int(store.Slot([]byte(a)))%shards != int(store.Slot([]byte(b)))%shards {
			out = append(out, [2]string{a, b})
		}
	}
	return out
}

func TestRENAMEAcrossShards(t *testing.T) {
	s := testkit.Start(t, "--shards", "4")
	c := client(t, s, 2)
	ctx := context.Background()
	pairs := keysOnOtherShards(4, 200)
	for i, p := range pairs {
		c.Set(ctx, p[0], i, 0)
		if i%2 == 0 {
			c.Expire(ctx, p[0], 1000*time.Second)
		}
		if i%3 == 0 {
			c.Set(ctx, p[1], "old", 0)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer wc.Close()
			for i := w; i < len(pairs); i += 8 {
				if err := wc.Rename(ctx, pairs[i][0], pairs[i][1]).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for i, p := range pairs {
		if n, _ := c.Exists(ctx, p[0]).Result(); n != 0 {
			t.Fatalf("%s still exists after RENAME", p[0])
		}
		if v, _ := c.Get(ctx, p[1]).Int(); v != i {
			t.Fatalf("GET %s = %d, want %d", p[1], v, i)
		}
		ttl, _ := c.TTL(ctx, p[1]).Result()
		if (i%2 == 0) != (ttl > 990*time.Second) || (i%2 != 0 && ttl != -1) {
			t.Fatalf("TTL %s = %v after RENAME (source had TTL: %v)", p[1], ttl, i%2 == 0)
		}
	}
	if n, _ := c.DBSize(ctx).Result(); n != int64(len(pairs)) {
		t.Fatalf("DBSIZE = %d after renames, want %d", n, len(pairs))
	}
	// RENAMENX and COPY across shards.
	p := pairs[0]
	if ok, _ := c.RenameNX(ctx, p[1], p[0]).Result(); !ok {
		t.Fatal("RENAMENX to a free key on another shard failed")
	}
	if n, _ := c.Copy(ctx, p[0], p[1], 0, false).Result(); n != 1 {
		t.Fatal("COPY to another shard failed")
	}
	if v, _ := c.Get(ctx, p[1]).Result(); v != "0" {
		t.Fatalf("GET copy = %q", v)
	}
}

func TestMOVEAndCOPYKeepTTL(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	c.Set(ctx, "m", "v", 100*time.Second)
	if ok, _ := c.Move(ctx, "m", 3).Result(); !ok {
		t.Fatal("MOVE failed")
	}
	c3 := redis.NewClient(&redis.Options{Addr: s.Addr, DB: 3, DisableIdentity: true})
	defer c3.Close()
	if ttl, _ := c3.TTL(ctx, "m").Result(); ttl < 99*time.Second {
		t.Fatalf("TTL after MOVE = %v", ttl)
	}
	if n, _ := c3.Copy(ctx, "m", "m2", 4, false).Result(); n != 1 {
		t.Fatal("COPY DB 4 failed")
	}
	c4 := redis.NewClient(&redis.Options{Addr: s.Addr, DB: 4, DisableIdentity: true})
	defer c4.Close()
	if ttl, _ := c4.TTL(ctx, "m2").Result(); ttl < 99*time.Second {
		t.Fatalf("TTL after COPY = %v", ttl)
	}
	for db, want := range map[int]string{0: "keys=", 3: "keys=1,expires=1,", 4: "keys=1,expires=1,"} {
		v := infoField(t, c, "keyspace", "db"+strconv.Itoa(db))
		if (want == "keys=" && v != "") || (want != "keys=" && !strings.HasPrefix(v, want)) {
			t.Fatalf("INFO keyspace db%d = %q, want %q", db, v, want)
		}
	}
}

func TestFLUSHDBOnlyEmptiesItsDB(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	var cs []*redis.Client
	for db := 0; db < 3; db++ {
		c := redis.NewClient(&redis.Options{Addr: s.Addr, DB: db, DisableIdentity: true})
		defer c.Close()
		cs = append(cs, c)
		fill(t, c, "db"+strconv.Itoa(db)+":", 1000)
		c.Set(ctx, "vol", "x", 100*time.Second)
	}
	if err := cs[1].FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for db, want := range []int64{1001, 0, 1001} {
		if n, _ := cs[db].DBSize(ctx).Result(); n != want {
			t.Fatalf("db%d DBSIZE = %d after FLUSHDB of db1, want %d", db, n, want)
		}
		if ks, _ := cs[db].Keys(ctx, "*").Result(); int64(len(ks)) != want {
			t.Fatalf("db%d KEYS * = %d keys, want %d", db, len(ks), want)
		}
	}
	if v, _ := cs[2].Get(ctx, "db2:999").Result(); v != "999" {
		t.Fatalf("db2 value after FLUSHDB of db1 = %q", v)
	}
	// The flushed db is usable at once, and survives a restart as it is.
	cs[1].Set(ctx, "new", "1", 0)
	s.Kill()
	s.Restart()
	for db, want := range []int64{1001, 1, 1001} {
		c := redis.NewClient(&redis.Options{Addr: s.Addr, DB: db, DisableIdentity: true})
		defer c.Close()
		if n, _ := c.DBSize(ctx).Result(); n != want {
			t.Fatalf("after restart db%d DBSIZE = %d, want %d", db, n, want)
		}
	}
	if v := infoField(t, cs[0], "keyspace", "db1"); !strings.HasPrefix(v, "keys=1,expires=0,") {
		t.Fatalf("INFO keyspace db1 = %q", v)
	}
}

// TestDBSIZEUnderConcurrentWrites: 50 clients SET and DEL overlapping keys;
// DBSIZE ends equal to the number of keys that exist.
func TestDBSIZEUnderConcurrentWrites(t *testing.T) {
	s := testkit.Start(t, "--shards", "4")
	ctx := context.Background()
	const clients, ops, space = 50, 200, 500
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
			defer wc.Close()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < ops; i++ {
				k := "k" + strconv.Itoa(r.IntN(space))
				var err error
				switch r.IntN(4) {
				case 0:
					err = wc.Del(ctx, k, "k"+strconv.Itoa(r.IntN(space))).Err()
				case 1:
					err = wc.Set(ctx, k, i, time.Hour).Err()
				default:
					err = wc.Set(ctx, k, i, 0).Err()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	c := client(t, s, 2)
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := c.DBSize(ctx).Result()
	if n != int64(len(keys)) || n == 0 {
		t.Fatalf("DBSIZE = %d, KEYS * has %d", n, len(keys))
	}
	var exist int64
	for i := 0; i < space; i++ {
		e, _ := c.Exists(ctx, "k"+strconv.Itoa(i)).Result()
		exist += e
	}
	if exist != n {
		t.Fatalf("DBSIZE = %d, EXISTS found %d", n, exist)
	}
	var withTTL int64
	for _, k := range keys {
		if ttl, _ := c.TTL(ctx, k).Result(); ttl > 0 {
			withTTL++
		}
	}
	if v := infoField(t, c, "keyspace", "db0"); v != fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", n, withTTL) {
		t.Fatalf("INFO keyspace db0 = %q, want keys=%d,expires=%d", v, n, withTTL)
	}
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	if n2, _ := c2.DBSize(ctx).Result(); n2 != n {
		t.Fatalf("DBSIZE after restart = %d, want %d", n2, n)
	}
}

func TestRANDOMKEY(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	if _, err := c.RandomKey(ctx).Result(); err != redis.Nil {
		t.Fatalf("RANDOMKEY on an empty db: %v", err)
	}
	c.Set(ctx, "foo", "x", 0)
	c.Set(ctx, "bar", "y", 0)
	got := map[string]bool{}
	for i := 0; i < 100 && len(got) < 2; i++ {
		k, err := c.RandomKey(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	if !got["foo"] || !got["bar"] || len(got) != 2 {
		t.Fatalf("RANDOMKEY returned %v in 100 tries", got)
	}
	// Expired keys are never returned.
	for i := 0; i < 200; i++ {
		c.Set(ctx, "vol"+strconv.Itoa(i), "x", 30*time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 50; i++ {
		k, err := c.RandomKey(ctx).Result()
		if err != nil || (k != "foo" && k != "bar") {
			t.Fatalf("RANDOMKEY = %q, %v with only foo and bar live", k, err)
		}
	}
}

func TestOBJECTEncodingOfStrings(t *testing.T) {
	s := testkit.Start(t)
	c := client(t, s, 2)
	ctx := context.Background()
	for v, want := range map[string]string{
		"12345": "int", "-1": "int", "01": "embstr", "hello": "embstr",
		strings.Repeat("x", 44): "embstr", strings.Repeat("x", 45): "raw",
	} {
		c.Set(ctx, "k", v, 0)
		if enc, _ := c.ObjectEncoding(ctx, "k").Result(); enc != want {
			t.Fatalf("OBJECT ENCODING of %q = %q, want %q", v, enc, want)
		}
	}
}
