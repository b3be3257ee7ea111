package compat

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Set tests, titled after Redis's unit/type/set.tcl (and scan.tcl,
// lazyfree.tcl) where a test of the same purpose exists. Exact replies of
// every command are covered by testdata/diff/sets.txt; these check what a
// byte comparison cannot: random results, cursors, concurrency, restarts.

// fillSet adds n members "<prefix><i>" to key, pipelined in chunks.
func fillSet(t *testing.T, c *redis.Client, key, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	const chunk, perPipe = 1000, 20
	for i := 0; i < n; {
		p := c.Pipeline()
		for j := 0; j < perPipe && i < n; j++ {
			args := []interface{}{}
			for k := 0; k < chunk && i < n; k, i = k+1, i+1 {
				args = append(args, prefix+strconv.Itoa(i))
			}
			p.SAdd(ctx, key, args...)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func members(n int) []interface{} {
	out := make([]interface{}, n)
	for i := range out {
		out[i] = "m" + strconv.Itoa(i)
	}
	return out
}

func TestSets(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)

	t.Run("SADD, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS basics", func(t *testing.T) {
		if n, err := c.SAdd(ctx, "myset", "foo", "bar", "foo").Result(); err != nil || n != 2 {
			t.Fatalf("SADD = %d, %v", n, err)
		}
		if n := c.SCard(ctx, "myset").Val(); n != 2 {
			t.Fatalf("SCARD = %d", n)
		}
		if !c.SIsMember(ctx, "myset", "foo").Val() || c.SIsMember(ctx, "myset", "baz").Val() {
			t.Fatal("SISMEMBER wrong")
		}
		if got := c.SMIsMember(ctx, "myset", "bar", "baz", "foo").Val(); fmt.Sprint(got) != "[true false true]" {
			t.Fatalf("SMISMEMBER = %v", got)
		}
		got := c.SMembers(ctx, "myset").Val()
		sort.Strings(got)
		if strings.Join(got, ",") != "bar,foo" {
			t.Fatalf("SMEMBERS = %v", got)
		}
	})

	t.Run("SRANDMEMBER with <count>", func(t *testing.T) {
		c.Del(ctx, "rs")
		c.SAdd(ctx, "rs", members(50)...)
		all := map[string]bool{}
		for _, m := range c.SMembers(ctx, "rs").Val() {
			all[m] = true
		}
		for _, n := range []int64{1, 5, 25, 49, 50, 51, 1000} {
			got := c.SRandMemberN(ctx, "rs", n).Val()
			want := min(n, 50)
			if int64(len(got)) != want {
				t.Fatalf("SRANDMEMBER %d gave %d members", n, len(got))
			}
			seen := map[string]bool{}
			for _, m := range got {
				if !all[m] || seen[m] {
					t.Fatalf("SRANDMEMBER %d: %q not a member or repeated", n, m)
				}
				seen[m] = true
			}
		}
		for _, n := range []int64{-1, -5, -50, -200} {
			got := c.SRandMemberN(ctx, "rs", n).Val()
			if int64(len(got)) != -n {
				t.Fatalf("SRANDMEMBER %d gave %d members", n, len(got))
			}
			for _, m := range got {
				if !all[m] {
					t.Fatalf("SRANDMEMBER %d: %q not a member", n, m)
				}
			}
		}
		if n := c.SCard(ctx, "rs").Val(); n != 50 {
			t.Fatalf("SRANDMEMBER changed the set: SCARD = %d", n)
		}
	})

	t.Run("SRANDMEMBER histogram distribution", func(t *testing.T) {
		c.Del(ctx, "hs")
		c.SAdd(ctx, "hs", members(10)...)
		hist := map[string]int{}
		for _, m := range c.SRandMemberN(ctx, "hs", -20000).Val() {
			hist[m]++
		}
		// 2000 expected per member; a uniform draw lands within ±300
		// with overwhelming probability.
		for i := 0; i < 10; i++ {
			if n := hist["m"+strconv.Itoa(i)]; n < 1700 || n > 2300 {
				t.Fatalf("member m%d drawn %d times of 20000 (histogram %v)", i, n, hist)
			}
		}
		// Distinct samples: each member about equally often too.
		hist = map[string]int{}
		for i := 0; i < 2000; i++ {
			for _, m := range c.SRandMemberN(ctx, "hs", 3).Val() {
				hist[m]++
			}
		}
		for i := 0; i < 10; i++ {
			if n := hist["m"+strconv.Itoa(i)]; n < 450 || n > 750 {
				t.Fatalf("member m%d in %d of 2000 3-member samples (histogram %v)", i, n, hist)
			}
		}
	})

	t.Run("SPOP with <count>", func(t *testing.T) {
		c.Del(ctx, "ps")
		c.SAdd(ctx, "ps", members(20)...)
		popped := map[string]bool{}
		for _, n := range []int64{1, 3, 6} {
			got := c.SPopN(ctx, "ps", n).Val()
			if int64(len(got)) != n {
				t.Fatalf("SPOP %d gave %d", n, len(got))
			}
			for _, m := range got {
				if popped[m] {
					t.Fatalf("SPOP returned %q twice", m)
				}
				popped[m] = true
				if c.SIsMember(ctx, "ps", m).Val() {
					t.Fatalf("%q still a member after SPOP", m)
				}
			}
		}
		if n := c.SCard(ctx, "ps").Val(); n != 10 {
			t.Fatalf("SCARD after popping 10 of 20 = %d", n)
		}
		rest := c.SPopN(ctx, "ps", 100).Val()
		if len(rest) != 10 || c.Exists(ctx, "ps").Val() != 0 {
			t.Fatalf("SPOP of the rest: %d members, key exists %d", len(rest), c.Exists(ctx, "ps").Val())
		}
		for _, m := range rest {
			popped[m] = true
		}
		if len(popped) != 20 {
			t.Fatalf("popped %d distinct members of 20", len(popped))
		}
	})

	t.Run("SPOP new implementation: code path #1 #2 #3", func(t *testing.T) {
		// A set far larger than the walk threshold exercises the random-seek
		// sampler; a big count exercises the single-walk sampler.
		c.Del(ctx, "bigpop")
		fillSet(t, c, "bigpop", "p:", 100_000)
		popped := map[string]bool{}
		for _, n := range []int64{1, 10, 500, 30_000} {
			got := c.SPopN(ctx, "bigpop", n).Val()
			if int64(len(got)) != n {
				t.Fatalf("SPOP %d gave %d", n, len(got))
			}
			for _, m := range got {
				if popped[m] || !strings.HasPrefix(m, "p:") {
					t.Fatalf("SPOP returned %q (repeated or foreign)", m)
				}
				popped[m] = true
			}
		}
		if n := c.SCard(ctx, "bigpop").Val(); n != 100_000-int64(len(popped)) {
			t.Fatalf("SCARD = %d after popping %d", n, len(popped))
		}
		got := c.SRandMemberN(ctx, "bigpop", 300).Val()
		seen := map[string]bool{}
		for _, m := range got {
			if seen[m] || popped[m] {
				t.Fatalf("SRANDMEMBER 300 returned %q (repeated or popped)", m)
			}
			seen[m] = true
		}
		if len(got) != 300 {
			t.Fatalf("SRANDMEMBER 300 gave %d", len(got))
		}
		c.Del(ctx, "bigpop")
	})

	t.Run("SSCAN with encoding hashtable", func(t *testing.T) {
		c.Del(ctx, "ss")
		c.SAdd(ctx, "ss", members(1000)...)
		for _, count := range []int64{1, 10, 333, 5000} {
			seen := map[string]int{}
			var cur uint64
			calls := 0
			for {
				keys, next, err := c.SScan(ctx, "ss", cur, "", count).Result()
				if err != nil {
					t.Fatal(err)
				}
				calls++
				if int64(len(keys)) > count {
					t.Fatalf("COUNT %d returned %d", count, len(keys))
				}
				for _, k := range keys {
					seen[k]++
				}
				if next == 0 {
					break
				}
				cur = next
			}
			if len(seen) != 1000 {
				t.Fatalf("COUNT %d: scan saw %d distinct members, want 1000", count, len(seen))
			}
			for k, n := range seen {
				if n != 1 {
					t.Fatalf("COUNT %d: %q returned %d times", count, k, n)
				}
			}
			if count == 10 && calls < 100 {
				t.Fatalf("COUNT 10 over 1000 members took %d calls", calls)
			}
		}
		// MATCH filters what is returned.
		var got []string
		var cur uint64
		for {
			keys, next, err := c.SScan(ctx, "ss", cur, "m99*", 100).Result()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, keys...)
			if next == 0 {
				break
			}
			cur = next
		}
		sort.Strings(got)
		if strings.Join(got, ",") != "m99,m990,m991,m992,m993,m994,m995,m996,m997,m998,m999" {
			t.Fatalf("SSCAN MATCH m99* = %v", got)
		}
	})

	t.Run("SSCAN guarantees check under write load", func(t *testing.T) {
		c.Del(ctx, "sg")
		c.SAdd(ctx, "sg", members(500)...)
		seen := map[string]bool{}
		var cur uint64
		for i := 0; ; i++ {
			keys, next, err := c.SScan(ctx, "sg", cur, "", 20).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k] = true
			}
			// Churn: add and remove members that are not in the original set.
			c.SAdd(ctx, "sg", "x"+strconv.Itoa(i), "y"+strconv.Itoa(i))
			c.SRem(ctx, "sg", "x"+strconv.Itoa(i-1))
			if next == 0 {
				break
			}
			cur = next
		}
		for i := 0; i < 500; i++ {
			if !seen["m"+strconv.Itoa(i)] {
				t.Fatalf("member m%d, present for the whole scan, was not returned", i)
			}
		}
	})

	t.Run("SMOVE is atomic across shards", func(t *testing.T) {
		// Keys chosen in different hash slots; with several shards each
		// SMOVE runs with both shards held.
		a, b := "smove:a", "smove:b"
		c.Del(ctx, a, b)
		c.SAdd(ctx, a, members(200)...)
		var wg sync.WaitGroup
		for w := 0; w < 10; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				cl := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
				defer cl.Close()
				for i := 0; i < 200; i++ {
					m := "m" + strconv.Itoa(rand.IntN(200))
					src, dst := a, b
					if (i+w)%2 == 1 {
						src, dst = b, a
					}
					if err := cl.SMove(ctx, src, dst, m).Err(); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		na, nb := c.SCard(ctx, a).Val(), c.SCard(ctx, b).Val()
		if na+nb != 200 {
			t.Fatalf("SCARD %d + %d != 200 after concurrent SMOVEs", na, nb)
		}
		if n := c.SInterCard(ctx, 0, a, b).Val(); n != 0 {
			t.Fatalf("%d members in both sets", n)
		}
		if n := len(c.SUnion(ctx, a, b).Val()); n != 200 {
			t.Fatalf("SUNION has %d members", n)
		}
	})

	t.Run("Concurrent SADD of distinct members is exact", func(t *testing.T) {
		c.Del(ctx, "cs")
		var wg sync.WaitGroup
		for w := 0; w < 50; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				cl := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
				defer cl.Close()
				for i := 0; i < 40; i++ {
					if err := cl.SAdd(ctx, "cs", fmt.Sprintf("%d-%d", w, i), "shared").Err(); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		if n := c.SCard(ctx, "cs").Val(); n != 50*40+1 {
			t.Fatalf("SCARD = %d, want %d", n, 50*40+1)
		}
	})
}

func TestSetsSurviveKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.SAdd(ctx, "k9", "a", "b", "c")
	c.SRem(ctx, "k9", "b")
	c.SAdd(ctx, "k9big", members(1000)...)
	c.SInterStore(ctx, "k9dst", "k9", "k9")
	c.SAdd(ctx, "k9gone", "x")
	c.SPop(ctx, "k9gone")
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	got := c2.SMembers(ctx, "k9").Val()
	sort.Strings(got)
	if strings.Join(got, ",") != "a,c" {
		t.Fatalf("SMEMBERS after kill -9 = %v", got)
	}
	if n := c2.SCard(ctx, "k9big").Val(); n != 1000 {
		t.Fatalf("SCARD after kill -9 = %d", n)
	}
	if n := len(c2.SMembers(ctx, "k9big").Val()); n != 1000 {
		t.Fatalf("SMEMBERS after kill -9 has %d members", n)
	}
	if n := c2.SCard(ctx, "k9dst").Val(); n != 2 {
		t.Fatalf("stored intersection after kill -9: SCARD = %d", n)
	}
	if n := c2.DBSize(ctx).Val(); n != 3 {
		t.Fatalf("DBSIZE after kill -9 = %d, want 3", n)
	}
}

// expireOrSkip sets a TTL in milliseconds, skipping the test on a build
// without PEXPIRE.
func expireOrSkip(t *testing.T, c *redis.Client, key string, ms int64) {
	t.Helper()
	err := c.PExpire(context.Background(), key, time.Duration(ms)*time.Millisecond).Err()
	if err != nil && strings.Contains(err.Error(), "unknown command") {
		t.Skip("PEXPIRE is not in this build")
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestSetExpires(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.SAdd(ctx, "es", "a", "b")
	expireOrSkip(t, c, "es", 200)
	c.SAdd(ctx, "es", "c") // an update keeps the TTL
	if ttl := c.PTTL(ctx, "es").Val(); ttl <= 0 {
		t.Fatalf("PTTL after SADD = %v, want the TTL kept", ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if n := c.Exists(ctx, "es").Val(); n != 0 {
		t.Fatal("set still exists after its TTL")
	}
	if n := c.SCard(ctx, "es").Val(); n != 0 {
		t.Fatalf("SCARD of an expired set = %d", n)
	}
	if n := c.SAdd(ctx, "es", "z").Val(); n != 1 || c.SCard(ctx, "es").Val() != 1 {
		t.Fatal("a set recreated after expiry holds old members")
	}
}

// TestUNLINKCanReclaimMemoryInBackground: deleting a 1 000 000-member set
// touches its metadata only.
func TestUNLINKCanReclaimSetMemoryInBackground(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1 000 000-member set")
	}
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	const n = 1_000_000
	start := time.Now()
	fillSet(t, c, "bigset", "member:", n)
	fillSet(t, c, "bigset2", "member:", n)
	t.Logf("filled 2 × %d members in %v", n, time.Since(start))
	if got := c.SCard(ctx, "bigset").Val(); got != n {
		t.Fatalf("SCARD = %d", got)
	}
	start = time.Now()
	if !c.SIsMember(ctx, "bigset", "member:777777").Val() {
		t.Fatal("SISMEMBER of a member = false")
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("SISMEMBER on a 1M set took %v", d)
	}
	for _, del := range []func() *redis.IntCmd{
		func() *redis.IntCmd { return c.Unlink(ctx, "bigset") },
		func() *redis.IntCmd { return c.Del(ctx, "bigset2") },
	} {
		start = time.Now()
		if got := del().Val(); got != 1 {
			t.Fatalf("delete = %d", got)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("deleting a 1M-member set took %v", d)
		}
	}
	if got := c.DBSize(ctx).Val(); got != 0 {
		t.Fatalf("DBSIZE = %d", got)
	}
	if got := c.SCard(ctx, "bigset").Val(); got != 0 {
		t.Fatalf("SCARD after UNLINK = %d", got)
	}
}
