package compat

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// DUMP and RESTORE between redis-server and DiskDB, both ways: values of
// every type in every encoding redis-server 7.0 writes (integers, LZF
// strings, intsets, listpacks, quicklists with compressed nodes, plain
// hashes, sets and sorted sets) are dumped by Redis and restored into
// DiskDB, dumped by DiskDB and restored into Redis, and compared by
// content; then DiskDB to DiskDB with TTLs. Exact replies and errors are
// in testdata/diff/dump.txt.

// content renders a key's type and value for comparison (unordered
// collections sorted).
func content(t *testing.T, c *redis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	typ := c.Type(ctx, key).Val()
	var parts []string
	switch typ {
	case "string":
		parts = []string{c.Get(ctx, key).Val()}
	case "list":
		parts = c.LRange(ctx, key, 0, -1).Val()
	case "set":
		parts = c.SMembers(ctx, key).Val()
		sort.Strings(parts)
	case "hash":
		for f, v := range c.HGetAll(ctx, key).Val() {
			parts = append(parts, f+"="+v)
		}
		sort.Strings(parts)
	case "zset":
		for _, z := range c.ZRangeWithScores(ctx, key, 0, -1).Val() {
			parts = append(parts, fmt.Sprintf("%v=%s", z.Member, strconv.FormatFloat(z.Score, 'g', -1, 64)))
		}
	case "stream":
		// Entries, counters, groups, PELs (delivery times and counts) and
		// consumers (seen times): XINFO STREAM FULL without the radix tree
		// sizes, which depend on how the nodes were built.
		full, err := c.Do(ctx, "XINFO", "STREAM", key, "FULL", "COUNT", "0").Slice()
		if err != nil {
			t.Fatalf("XINFO STREAM %s FULL: %v", key, err)
		}
		for i := 0; i+1 < len(full); i += 2 {
			if name := fmt.Sprint(full[i]); !strings.HasPrefix(name, "radix-tree") {
				parts = append(parts, fmt.Sprint(name, "=", full[i+1]))
			}
		}
	}
	return typ + ":" + strings.Join(parts, "\x00")
}

// dumpFixtures fills c with values of every type and encoding and
// returns their keys.
func dumpFixtures(t *testing.T, c *redis.Client) []string {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 70))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
	var keys []string
	add := func(key string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		keys = append(keys, key)
	}
	// Strings: int encodings of each width, text, LZF-compressible and
	// incompressible long values, empty, binary.
	for i, v := range []string{"0", "-1", "127", "-128", "300", "-32768", "70000", "2147483647", "-2147483648",
		"2147483648", "9223372036854775807", "-9223372036854775808", "012", "+5", "1.5", "hello", "",
		strings.Repeat("a", 100), strings.Repeat("abc", 5000), random(30), random(3000), "12345678901"} {
		k := "str:" + strconv.Itoa(i)
		add(k, c.Set(ctx, k, v, 0).Err())
	}
	// Lists: one listpack node, many nodes, big elements, with the inner
	// nodes LZF-compressed (list-compress-depth 1).
	add("list:small", c.RPush(ctx, "list:small", "a", 1, "hello", 300, -5, 70000, "-9223372036854775808", "").Err())
	var many []any
	for i := 0; i < 5000; i++ {
		if i%3 == 0 {
			many = append(many, i*7919)
		} else {
			many = append(many, "element:"+strconv.Itoa(i)+strings.Repeat("x", i%40))
		}
	}
	add("list:big", c.RPush(ctx, "list:big", many...).Err())
	add("list:huge-elements", c.RPush(ctx, "list:huge-elements", strings.Repeat("y", 20000), "small", random(9000), strings.Repeat("z", 70000)).Err())
	// Sets: intsets of 16, 32 and 64-bit members, big intset (hashtable),
	// text members small and big.
	add("set:int16", c.SAdd(ctx, "set:int16", 1, 2, 3, -100, 32000).Err())
	add("set:int32", c.SAdd(ctx, "set:int32", 1, 70000, -2000000000).Err())
	add("set:int64", c.SAdd(ctx, "set:int64", 1, 5000000000, "-9223372036854775808").Err())
	var ints []any
	for i := 0; i < 1000; i++ {
		ints = append(ints, i*3)
	}
	add("set:manyints", c.SAdd(ctx, "set:manyints", ints...).Err())
	add("set:text", c.SAdd(ctx, "set:text", "a", "b", "c", "010", "").Err())
	var texts []any
	for i := 0; i < 2000; i++ {
		texts = append(texts, "member:"+strconv.Itoa(i))
	}
	add("set:big", c.SAdd(ctx, "set:big", texts...).Err())
	// Hashes: listpack, too many fields, too long a value.
	add("hash:small", c.HSet(ctx, "hash:small", "f", "v", "n", 5, "neg", -70000, "empty", "").Err())
	var fields []any
	for i := 0; i < 500; i++ {
		fields = append(fields, "field:"+strconv.Itoa(i), i*i)
	}
	add("hash:big", c.HSet(ctx, "hash:big", fields...).Err())
	add("hash:longvalue", c.HSet(ctx, "hash:longvalue", "f", strings.Repeat("v", 200), "g", random(100)).Err())
	// Sorted sets: listpack (integer and text scores), skiplist (binary
	// doubles), special scores.
	add("zset:small", c.ZAdd(ctx, "zset:small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"},
		redis.Z{Score: -3, Member: "c"}, redis.Z{Score: 0.1, Member: "d"}, redis.Z{Score: 1e300, Member: "e"}).Err())
	var zs []redis.Z
	for i := 0; i < 1000; i++ {
		zs = append(zs, redis.Z{Score: float64(i) / 7, Member: "m" + strconv.Itoa(i)})
	}
	add("zset:big", c.ZAdd(ctx, "zset:big", zs...).Err())
	add("zset:special", c.Do(ctx, "ZADD", "zset:special", "inf", "pinf", "-inf", "ninf", "0", "zero", "-0", "nzero", "5e-324", "tiny").Err())
	add("zset:longmember", c.ZAdd(ctx, "zset:longmember", redis.Z{Score: 1, Member: strings.Repeat("m", 100)}).Err())
	// Streams: several nodes, entries with the master's fields and with
	// others, deletions, groups with pending entries and consumers, an
	// empty stream, a stream without groups.
	for i := 0; i < 450; i++ {
		vals := []any{"f", i, "g", strings.Repeat("v", i%30)}
		if i%40 == 0 {
			vals = []any{"other", random(10), "n", -i}
		}
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "stream:big", ID: fmt.Sprintf("%d-%d", 1000+i/3, i%3), Values: vals}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.XDel(ctx, "stream:big", "1000-1", "1050-2", "1100-0")
	c.XGroupCreate(ctx, "stream:big", "g1", "0")
	c.XGroupCreate(ctx, "stream:big", "g2", "$")
	c.XGroupCreate(ctx, "stream:big", "g3", "1100-1")
	c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "alice", Streams: []string{"stream:big", ">"}, Count: 10})
	c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "bob", Streams: []string{"stream:big", ">"}, Count: 5})
	c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g3", Consumer: "carol", Streams: []string{"stream:big", ">"}, Count: 3, NoAck: true})
	c.XAck(ctx, "stream:big", "g1", "1000-0", "1001-2")
	c.XClaim(ctx, &redis.XClaimArgs{Stream: "stream:big", Group: "g1", Consumer: "bob", Messages: []string{"1002-0"}})
	c.XGroupCreateConsumer(ctx, "stream:big", "g1", "idle-one")
	add("stream:big", nil)
	add("stream:small", c.XAdd(ctx, &redis.XAddArgs{Stream: "stream:small", ID: "1-1", Values: []any{"a", 1}}).Err())
	c.XAdd(ctx, &redis.XAddArgs{Stream: "stream:empty", ID: "5-5", Values: []any{"a", 1}})
	c.XDel(ctx, "stream:empty", "5-5")
	add("stream:empty", c.XGroupCreate(ctx, "stream:empty", "g", "$").Err())
	return keys
}

func TestDumpRestore(t *testing.T) {
	ref := testkit.StartRedis(t, "--list-compress-depth", "1")
	dut := testkit.Start(t)
	ctx := context.Background()
	rc, dc := client(t, ref, 2), client(t, dut, 2)
	keys := dumpFixtures(t, rc)

	t.Run("RESTORE of every redis-server DUMP gives the same value", func(t *testing.T) {
		for _, k := range keys {
			p, err := rc.Dump(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := dc.Restore(ctx, k, 0, p).Err(); err != nil {
				t.Fatalf("RESTORE %s: %v (payload %x...)", k, err, p[:min(len(p), 40)])
			}
			want, got := content(t, rc, k), content(t, dc, k)
			if want != got {
				t.Errorf("%s differs after RESTORE:\n redis-server %.200q\n       diskdb %.200q", k, want, got)
			}
			if k == "stream:big" && (!strings.Contains(got, "alice") || !strings.Contains(got, "idle-one") || !strings.Contains(got, "1149-2")) {
				t.Errorf("stream:big restored without its entries, groups or consumers: %.300q", got)
			}
		}
	})

	t.Run("redis-server RESTOREs every DiskDB DUMP with its own encodings", func(t *testing.T) {
		for _, k := range keys {
			p, err := dc.Dump(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			back := "back:" + k
			if err := rc.Restore(ctx, back, 0, p).Err(); err != nil {
				t.Fatalf("redis-server RESTORE of DiskDB's DUMP of %s: %v", k, err)
			}
			if want, got := content(t, rc, k), content(t, rc, back); want != got {
				t.Errorf("%s differs after the round trip:\n original %.200q\n restored %.200q", k, want, got)
			}
			if want, got := rc.ObjectEncoding(ctx, k).Val(), rc.ObjectEncoding(ctx, back).Val(); want != got {
				t.Errorf("%s: redis-server encodes the original as %s and DiskDB's payload as %s", k, want, got)
			}
		}
	})

	t.Run("Small values DUMP to the very bytes redis-server writes", func(t *testing.T) {
		// Values whose encoding has no LZF-compressible blob and no
		// unspecified order (Redis compresses blobs over 20 bytes when that
		// saves space; DiskDB never compresses).
		for _, k := range []string{"str:0", "str:1", "str:4", "str:7", "str:10", "str:11", "str:15", "str:16", "str:19", "list:small", "set:int16", "set:int32"} {
			want := rc.Dump(ctx, k).Val()
			if got := dc.Dump(ctx, k).Val(); got != want {
				t.Errorf("DUMP %s:\n redis-server %x\n       diskdb %x", k, want, got)
			}
		}
	})

	t.Run("DUMP / RESTORE are able to serialize / unserialize a simple key", func(t *testing.T) {
		dc.Set(ctx, "foo", "bar", 0)
		p := dc.Dump(ctx, "foo").Val()
		dc.Del(ctx, "foo")
		if err := dc.Restore(ctx, "foo", 0, p).Err(); err != nil {
			t.Fatal(err)
		}
		if v := dc.Get(ctx, "foo").Val(); v != "bar" {
			t.Fatalf("GET = %q", v)
		}
		if ttl := dc.PTTL(ctx, "foo").Val(); ttl != -1 {
			t.Fatalf("PTTL = %v, want none", ttl)
		}
	})

	t.Run("RESTORE can set an arbitrary expire to the materialized key", func(t *testing.T) {
		p := dc.Dump(ctx, "zset:big").Val()
		if err := dc.Restore(ctx, "withttl", 3000*time.Millisecond, p).Err(); err != nil {
			t.Fatal(err)
		}
		ttl := dc.PTTL(ctx, "withttl").Val()
		if ttl < 2000*time.Millisecond || ttl > 3000*time.Millisecond {
			t.Fatalf("PTTL = %v", ttl)
		}
		if content(t, dc, "withttl") != content(t, dc, "zset:big") {
			t.Fatal("content differs")
		}
	})

	t.Run("RESTORE can set an expire that overflows a 32 bit integer", func(t *testing.T) {
		p := dc.Dump(ctx, "str:5").Val()
		ttl := 2569591501 * time.Millisecond
		if err := dc.RestoreReplace(ctx, "big-ttl", ttl, p).Err(); err != nil {
			t.Fatal(err)
		}
		if got := dc.PTTL(ctx, "big-ttl").Val(); got < ttl-3000*time.Millisecond || got > ttl {
			t.Fatalf("PTTL = %v", got)
		}
	})

	t.Run("RESTORE can set an absolute expire", func(t *testing.T) {
		p := dc.Dump(ctx, "hash:big").Val()
		at := time.Now().Add(3 * time.Second).UnixMilli()
		if err := dc.Do(ctx, "RESTORE", "abs", at, p, "ABSTTL").Err(); err != nil {
			t.Fatal(err)
		}
		if got := dc.PExpireTime(ctx, "abs").Val(); got != time.Duration(at)*time.Millisecond {
			t.Fatalf("PEXPIRETIME = %v, want %d ms", got, at)
		}
	})

	t.Run("RESTORE with ABSTTL in the past", func(t *testing.T) {
		p := dc.Dump(ctx, "list:big").Val()
		dc.Set(ctx, "past", "old", 0)
		at := time.Now().Add(-3 * time.Second).UnixMilli()
		if err := dc.Do(ctx, "RESTORE", "past", at, p, "ABSTTL", "REPLACE").Err(); err != nil {
			t.Fatal(err)
		}
		if n := dc.Exists(ctx, "past").Val(); n != 0 {
			t.Fatal("a key restored with an expiry in the past exists (and REPLACE must have deleted the old value)")
		}
	})

	t.Run("RESTORE returns an error of the key already exists", func(t *testing.T) {
		p := dc.Dump(ctx, "set:big").Val()
		err := dc.Restore(ctx, "set:big", 0, p).Err()
		if err == nil || err.Error() != "BUSYKEY Target key name already exists." {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("RESTORE can overwrite an existing key with REPLACE", func(t *testing.T) {
		p := dc.Dump(ctx, "set:big").Val()
		dc.Set(ctx, "replaced", "x", time.Hour)
		if err := dc.RestoreReplace(ctx, "replaced", 0, p).Err(); err != nil {
			t.Fatal(err)
		}
		if content(t, dc, "replaced") != content(t, dc, "set:big") {
			t.Fatal("content differs")
		}
		if ttl := dc.TTL(ctx, "replaced").Val(); ttl != -1 {
			t.Fatalf("TTL = %v: REPLACE kept the old key's TTL", ttl)
		}
	})

	t.Run("DUMP of non existing key returns nil", func(t *testing.T) {
		if err := dc.Dump(ctx, "nokeyatall").Err(); err != redis.Nil {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("DUMP and RESTORE survive a restart", func(t *testing.T) {
		p := rc.Dump(ctx, "zset:special").Val()
		if err := dc.Restore(ctx, "durable", 0, p).Err(); err != nil {
			t.Fatal(err)
		}
		want := content(t, dc, "durable")
		dut.Restart()
		dc2 := client(t, dut, 2)
		if got := content(t, dc2, "durable"); got != want {
			t.Fatalf("after restart %q, want %q", got, want)
		}
	})
}
