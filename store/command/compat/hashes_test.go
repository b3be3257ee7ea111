package compat

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Hash tests with go-redis against the real binary, titled after Redis's
// own tests (tests/unit/type/hash.tcl) where one exists.

func TestHSETHLENSmallHashCreation(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	want := map[string]string{}
	for i := 0; i < 8; i++ {
		f, v := fmt.Sprintf("field-%d", i*7919%100), strconv.Itoa(i)
		if _, dup := want[f]; dup {
			continue
		}
		if n := c.HSet(ctx, "smallhash", f, v).Val(); n != 1 {
			t.Fatalf("HSET new field = %d", n)
		}
		want[f] = v
	}
	if n := c.HLen(ctx, "smallhash").Val(); n != int64(len(want)) {
		t.Fatalf("HLEN = %d, want %d", n, len(want))
	}
	if n := c.HSet(ctx, "smallhash", "field-0", "again").Val(); n != 0 {
		t.Fatalf("HSET existing field = %d", n)
	}
	want["field-0"] = "again"
	for _, p := range []int{2, 3} {
		got, err := client(t, s, p).HGetAll(ctx, "smallhash").Result()
		if err != nil || !maps.Equal(got, want) {
			t.Fatalf("RESP%d HGETALL = %v, %v", p, got, err)
		}
	}
	keys := c.HKeys(ctx, "smallhash").Val()
	vals := c.HVals(ctx, "smallhash").Val()
	if len(keys) != len(want) || len(vals) != len(want) {
		t.Fatalf("HKEYS %d, HVALS %d", len(keys), len(vals))
	}
	for i, k := range keys {
		if want[k] != vals[i] {
			t.Fatalf("HKEYS/HVALS out of step at %d: %s=%s", i, k, vals[i])
		}
	}
}

func TestHGETAgainstNonExistingKey(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 3)
	if err := c.HGet(ctx, "nosuch", "f").Err(); err != redis.Nil {
		t.Fatalf("HGET: %v", err)
	}
	if got := c.HMGet(ctx, "nosuch", "a", "b").Val(); len(got) != 2 || got[0] != nil || got[1] != nil {
		t.Fatalf("HMGET = %v", got)
	}
	if got, err := c.HGetAll(ctx, "nosuch").Result(); err != nil || len(got) != 0 {
		t.Fatalf("HGETALL = %v, %v", got, err)
	}
}

func TestHMSETWrongNumberOfArgs(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	err := c.Do(ctx, "HMSET", "smallhash", "key1", "val1", "key2").Err()
	if err == nil || !strings.Contains(err.Error(), "wrong number of arguments for 'hmset' command") {
		t.Fatalf("HMSET odd args: %v", err)
	}
}

func TestHINCRBYFLOATAgainstNonExistingHashKey(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	if v := c.HIncrByFloat(ctx, "htest", "f", 2.5).Val(); v != 2.5 {
		t.Fatalf("HINCRBYFLOAT = %v", v)
	}
	if v := c.HIncrByFloat(ctx, "htest", "f", 3.5).Val(); v != 6 {
		t.Fatalf("HINCRBYFLOAT = %v", v)
	}
	// HINCRBYFLOAT over 32bit value
	c.HSet(ctx, "htest", "big", "17179869184")
	if v := c.HIncrByFloat(ctx, "htest", "big", 1.5).Val(); v != 17179869185.5 {
		t.Fatalf("HINCRBYFLOAT over 32bit value = %v", v)
	}
	// HINCRBYFLOAT fails against hash value with spaces (left)
	c.HSet(ctx, "htest", "sp", " 11")
	if err := c.HIncrByFloat(ctx, "htest", "sp", 1).Err(); err == nil || !strings.Contains(err.Error(), "hash value is not a float") {
		t.Fatalf("against ' 11': %v", err)
	}
	if v := c.HGet(ctx, "htest", "f").Val(); v != "6" {
		t.Fatalf("stored value = %q", v)
	}
}

func TestHRANDFIELDCountOf0IsHandledCorrectly(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.HSet(ctx, "myhash", "a", 1)
	if got, err := c.HRandField(ctx, "myhash", 0).Result(); err != nil || len(got) != 0 {
		t.Fatalf("HRANDFIELD 0 = %v, %v", got, err)
	}
	if got, err := c.HRandField(ctx, "nonexisting_key", 100).Result(); err != nil || len(got) != 0 {
		t.Fatalf("HRANDFIELD against non existing key = %v, %v", got, err)
	}
}

// TestHRANDFIELDWithCountWITHVALUES checks every returned pair against
// the hash, for distinct and repeating counts, in RESP2 and RESP3.
func TestHRANDFIELDWithCountWITHVALUES(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	want := map[string]string{}
	c := client(t, s, 2)
	for i := 0; i < 100; i++ {
		want["f"+strconv.Itoa(i)] = "v" + strconv.Itoa(i)
	}
	c.HSet(ctx, "myhash", want)
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		for _, n := range []int{1, 10, 60, 100, 200, -5, -300} {
			kvs, err := c.HRandFieldWithValues(ctx, "myhash", n).Result()
			if err != nil {
				t.Fatalf("RESP%d HRANDFIELD %d WITHVALUES: %v", p, n, err)
			}
			wantLen := n
			if n < 0 {
				wantLen = -n
			} else if n > 100 {
				wantLen = 100
			}
			if len(kvs) != wantLen {
				t.Fatalf("RESP%d HRANDFIELD %d WITHVALUES: %d pairs", p, n, len(kvs))
			}
			seen := map[string]bool{}
			for _, kv := range kvs {
				if want[kv.Key] != kv.Value {
					t.Fatalf("RESP%d: pair %s=%s not in the hash", p, kv.Key, kv.Value)
				}
				if n > 0 && seen[kv.Key] {
					t.Fatalf("RESP%d HRANDFIELD %d: %s twice", p, n, kv.Key)
				}
				seen[kv.Key] = true
			}
		}
		if f := c.HRandField(ctx, "myhash", 1).Val(); len(f) != 1 || want[f[0]] == "" {
			t.Fatalf("HRANDFIELD 1 = %v", f)
		}
	}
}

// TestHSCANWithEncodingHashtable iterates a 1000-field hash with the
// cursor until it comes back to 0: every field is returned exactly once,
// with its value, and MATCH filters.
func TestHSCANWithEncodingHashtable(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	want := map[string]string{}
	for i := 0; i < 1000; i++ {
		want["key:"+strconv.Itoa(i)] = strconv.Itoa(i)
	}
	c.HSet(ctx, "hash", want)
	for _, count := range []int64{0, 7, 100, 5000} {
		seen := map[string]string{}
		var cursor uint64
		calls := 0
		for {
			kv, next, err := c.HScan(ctx, "hash", cursor, "", count).Result()
			if err != nil {
				t.Fatal(err)
			}
			calls++
			for i := 0; i+1 < len(kv); i += 2 {
				if _, dup := seen[kv[i]]; dup {
					t.Fatalf("COUNT %d: %s returned twice", count, kv[i])
				}
				seen[kv[i]] = kv[i+1]
			}
			if cursor = next; cursor == 0 || calls > 2000 {
				break
			}
		}
		if !maps.Equal(seen, want) {
			t.Fatalf("COUNT %d: %d of %d fields", count, len(seen), len(want))
		}
		t.Logf("COUNT %d: %d calls", count, calls)
	}
	var matched []string
	iter := c.HScan(ctx, "hash", 0, "key:1?", 50).Iterator()
	for iter.Next(ctx) {
		f := iter.Val()
		iter.Next(ctx)
		matched = append(matched, f)
	}
	if iter.Err() != nil || len(matched) != 10 {
		t.Fatalf("MATCH key:1? = %v, %v", matched, iter.Err())
	}
	// A small hash is returned whole in one call, as Redis does for its
	// compact encoding.
	c.HSet(ctx, "small", "a", 1, "b", 2)
	kv, next, _ := c.HScan(ctx, "small", 0, "", 1).Result()
	if next != 0 || len(kv) != 4 {
		t.Fatalf("HSCAN of a small hash = %v cursor %d", kv, next)
	}
}

func TestConcurrentHINCRBYIsExact(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	const clients, each = 50, 100
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
			defer c.Close()
			for j := 0; j < each; j++ {
				if err := c.HIncrBy(ctx, "counters", "shared", 1).Err(); err != nil {
					t.Error(err)
					return
				}
				if err := c.HSet(ctx, "counters", fmt.Sprintf("c%d-%d", i, j), j).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	c := client(t, s, 2)
	if v := c.HGet(ctx, "counters", "shared").Val(); v != strconv.Itoa(clients*each) {
		t.Fatalf("shared counter = %s, want %d", v, clients*each)
	}
	if n := c.HLen(ctx, "counters").Val(); n != clients*each+1 {
		t.Fatalf("HLEN = %d, want %d", n, clients*each+1)
	}
}

// TestHashExpires gives a hash a TTL, checks writes keep it and that the
// hash is gone, fields included, once it fires.
func TestHashExpires(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.HSet(ctx, "h", "a", 1, "b", 2)
	if err := c.PExpire(ctx, "h", 300*time.Millisecond).Err(); err != nil {
		if strings.Contains(err.Error(), "unknown command") {
			t.Skip("PEXPIRE is not in this build")
		}
		t.Fatal(err)
	}
	c.HSet(ctx, "h", "c", 3)
	c.HDel(ctx, "h", "a")
	c.HIncrBy(ctx, "h", "b", 1)
	if ttl := c.PTTL(ctx, "h").Val(); ttl <= 0 || ttl > 300*time.Millisecond {
		t.Fatalf("PTTL after writes = %v", ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if n := c.Exists(ctx, "h").Val(); n != 0 {
		t.Fatal("expired hash still exists")
	}
	c.HSet(ctx, "h", "new", 1)
	if got := c.HGetAll(ctx, "h").Val(); !maps.Equal(got, map[string]string{"new": "1"}) {
		t.Fatalf("recreated hash = %v", got)
	}
}

// TestUNLINKOfAMillionFieldHashIsMetadataOnly builds a 1,000,000-field
// hash: HGET and HLEN stay point reads and UNLINK does no per-field work.
func TestUNLINKOfAMillionFieldHashIsMetadataOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-field hash")
	}
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	const n = 1_000_000
	start := time.Now()
	pipe := c.Pipeline()
	args := make([]any, 0, 2000)
	for i := 0; i < n; i++ {
		args = append(args, i, i)
		if len(args) == cap(args) {
			pipe.HSet(ctx, "bighash", args...)
			args = make([]any, 0, 2000)
		}
		if pipe.Len() == 50 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(args) > 0 || pipe.Len() > 0 {
		t.Fatal("fill loop left work behind")
	}
	t.Logf("HSET of %d fields: %v", n, time.Since(start))
	if l := c.HLen(ctx, "bighash").Val(); l != n {
		t.Fatalf("HLEN = %d", l)
	}
	if v := c.HGet(ctx, "bighash", "777777").Val(); v != "777777" {
		t.Fatalf("HGET = %q", v)
	}
	c.ConfigSet(ctx, "slowlog-log-slower-than", "0")
	us, rtt := slowlogMicros(t, c, "HGET", "bighash", "123456")
	t.Logf("HGET: %dµs server, %v round trip", us, rtt)
	us, rtt = slowlogMicros(t, c, "UNLINK", "bighash")
	t.Logf("UNLINK of a 1M-field hash: %dµs server, %v round trip", us, rtt)
	if us >= 1000 {
		t.Errorf("UNLINK of a 1M hash took %dµs of server time", us)
	}
	if n := c.Exists(ctx, "bighash").Val(); n != 0 {
		t.Fatal("unlinked hash still exists")
	}
	if got := c.HGetAll(ctx, "bighash").Val(); len(got) != 0 {
		t.Fatalf("HGETALL after UNLINK = %d fields", len(got))
	}
	c.ConfigSet(ctx, "slowlog-log-slower-than", "10000")
}
