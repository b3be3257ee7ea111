package compat

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Sorted set tests, titled after Redis's unit/type/zset.tcl where a test
// of the same purpose exists. Exact replies are covered by
// testdata/diff/zsets.txt; these cover randomness, cursors, concurrency,
// restarts, size, and a randomized differential run against redis-server.

// fillZSet adds n members "<prefix><i>" with score i to key, pipelined.
func fillZSet(t *testing.T, c *redis.Client, key, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	const chunk, perPipe = 1000, 20
	for i := 0; i < n; {
		p := c.Pipeline()
		for j := 0; j < perPipe && i < n; j++ {
			zs := make([]redis.Z, 0, chunk)
			for k := 0; k < chunk && i < n; k, i = k+1, i+1 {
				zs = append(zs, redis.Z{Score: float64(i), Member: prefix + strconv.Itoa(i)})
			}
			p.ZAdd(ctx, key, zs...)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestZSets(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c3 := client(t, s, 3)

	t.Run("ZSET basic ZADD and score update", func(t *testing.T) {
		c.ZAdd(ctx, "ztmp", redis.Z{Score: 10, Member: "x"}, redis.Z{Score: 20, Member: "y"}, redis.Z{Score: 30, Member: "z"})
		if got := c.ZRange(ctx, "ztmp", 0, -1).Val(); fmt.Sprint(got) != "[x y z]" {
			t.Fatalf("ZRANGE = %v", got)
		}
		c.ZAdd(ctx, "ztmp", redis.Z{Score: 1, Member: "y"})
		if got := c.ZRange(ctx, "ztmp", 0, -1).Val(); fmt.Sprint(got) != "[y x z]" {
			t.Fatalf("ZRANGE after update = %v", got)
		}
		if f := c3.ZScore(ctx, "ztmp", "y").Val(); f != 1 {
			t.Fatalf("RESP3 ZSCORE = %v", f)
		}
		zs := c3.ZRangeWithScores(ctx, "ztmp", 0, -1).Val()
		if len(zs) != 3 || zs[0].Member != "y" || zs[2].Score != 30 {
			t.Fatalf("RESP3 ZRANGE WITHSCORES = %v", zs)
		}
	})

	t.Run("ZINCRBY concurrently from 50 clients is exact", func(t *testing.T) {
		const clients, each = 50, 40
		var wg sync.WaitGroup
		for w := 0; w < clients; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
				defer cl.Close()
				for i := 0; i < each; i++ {
					if err := cl.ZIncrBy(ctx, "zcon", 1, "member").Err(); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if f := c.ZScore(ctx, "zcon", "member").Val(); f != clients*each {
			t.Fatalf("score = %v, want %d", f, clients*each)
		}
		if n := c.ZCard(ctx, "zcon").Val(); n != 1 {
			t.Fatalf("ZCARD = %d", n)
		}
	})

	t.Run("ZSETs ZRANK augmented skip list stress testing", func(t *testing.T) {
		c.Del(ctx, "zrk")
		for i := 0; i < 2000; i++ {
			m := "m" + strconv.Itoa(rand.IntN(500))
			if rand.IntN(4) == 0 {
				c.ZRem(ctx, "zrk", m)
			} else {
				c.ZAdd(ctx, "zrk", redis.Z{Score: float64(rand.IntN(100)), Member: m})
			}
		}
		all := c.ZRange(ctx, "zrk", 0, -1).Val()
		n := len(all)
		for i := 0; i < n; i += 7 {
			if r := c.ZRank(ctx, "zrk", all[i]).Val(); r != int64(i) {
				t.Fatalf("ZRANK %s = %d, want %d", all[i], r, i)
			}
			if r := c.ZRevRank(ctx, "zrk", all[i]).Val(); r != int64(n-1-i) {
				t.Fatalf("ZREVRANK %s = %d, want %d", all[i], r, n-1-i)
			}
		}
		// Rank windows from both ends agree with the full listing.
		for _, w := range [][2]int64{{0, 9}, {int64(n) - 10, -1}, {-5, -1}, {100, 120}, {int64(n) - 130, int64(n) - 110}} {
			got := c.ZRange(ctx, "zrk", w[0], w[1]).Val()
			start, stop := w[0], w[1]
			if start < 0 {
				start += int64(n)
			}
			if stop < 0 {
				stop += int64(n)
			}
			if fmt.Sprint(got) != fmt.Sprint(all[start:stop+1]) {
				t.Fatalf("ZRANGE %d %d = %v, want %v", w[0], w[1], got, all[start:stop+1])
			}
			rev := c.ZRevRange(ctx, "zrk", w[0], w[1]).Val()
			for i, m := range rev {
				if m != all[int64(n)-1-start-int64(i)] {
					t.Fatalf("ZREVRANGE %d %d = %v", w[0], w[1], rev)
				}
			}
		}
	})

	t.Run("ZSCAN with encoding skiplist", func(t *testing.T) {
		c.Del(ctx, "zsc")
		fillZSet(t, c, "zsc", "m", 1000)
		for _, count := range []int64{1, 10, 500} {
			seen := map[string]int{}
			var cur uint64
			for {
				kv, next, err := c.ZScan(ctx, "zsc", cur, "", count).Result()
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i+1 < len(kv); i += 2 {
					if kv[i+1] != kv[i][1:] {
						t.Fatalf("ZSCAN pair %q %q: wrong score", kv[i], kv[i+1])
					}
					seen[kv[i]]++
				}
				if next == 0 {
					break
				}
				cur = next
			}
			if len(seen) != 1000 {
				t.Fatalf("COUNT %d: %d distinct members, want 1000", count, len(seen))
			}
			for m, k := range seen {
				if k != 1 {
					t.Fatalf("COUNT %d: %s returned %d times", count, m, k)
				}
			}
		}
	})

	t.Run("ZRANDMEMBER with <count>", func(t *testing.T) {
		c.Del(ctx, "zrm")
		fillZSet(t, c, "zrm", "m", 200)
		for _, n := range []int64{1, 10, 199, 200, 500} {
			got := c.ZRandMemberWithScores(ctx, "zrm", int(n)).Val()
			if int64(len(got)) != min(n, 200) {
				t.Fatalf("ZRANDMEMBER %d gave %d", n, len(got))
			}
			seen := map[string]bool{}
			for _, z := range got {
				m := z.Member.(string)
				if seen[m] || m != "m"+strconv.Itoa(int(z.Score)) {
					t.Fatalf("ZRANDMEMBER %d: %v repeated or with a wrong score", n, z)
				}
				seen[m] = true
			}
		}
		got := c3.ZRandMemberWithScores(ctx, "zrm", -1000).Val()
		if len(got) != 1000 {
			t.Fatalf("ZRANDMEMBER -1000 gave %d", len(got))
		}
		hist := map[string]int{}
		for _, z := range got {
			m := z.Member.(string)
			if m != "m"+strconv.Itoa(int(z.Score)) {
				t.Fatalf("RESP3 ZRANDMEMBER -1000: %v has a wrong score", z)
			}
			hist[m]++
		}
		if len(hist) < 150 {
			t.Fatalf("1000 draws from 200 members hit only %d of them", len(hist))
		}
	})

	t.Run("ZPOPMIN/ZPOPMAX pop in order and delete the emptied key", func(t *testing.T) {
		c.Del(ctx, "zpop")
		fillZSet(t, c, "zpop", "m", 300)
		min3 := c.ZPopMin(ctx, "zpop", 3).Val()
		max2 := c.ZPopMax(ctx, "zpop", 2).Val()
		if min3[0].Member != "m0" || min3[2].Member != "m2" || max2[0].Member != "m299" || max2[1].Member != "m298" {
			t.Fatalf("ZPOPMIN 3 = %v, ZPOPMAX 2 = %v", min3, max2)
		}
		if rest := c.ZPopMin(ctx, "zpop", 1000).Val(); len(rest) != 295 || rest[0].Member != "m3" {
			t.Fatalf("ZPOPMIN of the rest gave %d", len(rest))
		}
		if c.Exists(ctx, "zpop").Val() != 0 {
			t.Fatal("emptied sorted set still exists")
		}
	})
}

// TestZSetsDifferentialFuzz sends the same random sorted-set commands to
// redis-server and DiskDB and compares every reply byte for byte, on sets
// small enough for Redis's listpack encoding and big enough for its
// skiplist.
func TestZSetsDifferentialFuzz(t *testing.T) {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	rc, dc := ref.Raw(), dut.Raw()
	rng := rand.New(rand.NewPCG(1, 2))
	score := func() string {
		switch rng.IntN(8) {
		case 0:
			return strconv.Itoa(rng.IntN(10))
		case 1:
			return "-inf"
		case 2:
			return "+inf"
		case 3:
			return strconv.FormatFloat(rng.Float64()*100-50, 'g', -1, 64)
		case 4:
			return "1e" + strconv.Itoa(rng.IntN(40)-20)
		}
		return strconv.Itoa(rng.IntN(20) - 10)
	}
	bound := func() string {
		b := score()
		if rng.IntN(3) == 0 {
			b = "(" + b
		}
		return b
	}
	lexb := func() string {
		switch rng.IntN(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		}
		p := "["
		if rng.IntN(2) == 0 {
			p = "("
		}
		return p + "m" + strconv.Itoa(rng.IntN(300))
	}
	idx := func() string { return strconv.Itoa(rng.IntN(400) - 200) }
	for _, size := range []int{100, 300} {
		key := "fz" + strconv.Itoa(size)
		lex := "lx" + strconv.Itoa(size)
		for i := 0; i < size; i++ {
			m := "m" + strconv.Itoa(i)
			for _, cmd := range [][]string{{"ZADD", key, score(), m}, {"ZADD", lex, "0", m}} {
				want, _ := rc.Do(cmd...)
				got, _ := dc.Do(cmd...)
				if !bytes.Equal(want, got) {
					t.Fatalf("%v: redis %q diskdb %q", cmd, want, got)
				}
			}
		}
		for i := 0; i < 1500; i++ {
			m := "m" + strconv.Itoa(rng.IntN(size+20))
			var cmd []string
			switch rng.IntN(17) {
			case 0:
				cmd = []string{"ZADD", key, score(), m}
			case 1:
				cmd = []string{"ZINCRBY", key, score(), m}
			case 2:
				cmd = []string{"ZREM", key, m}
			case 3:
				cmd = []string{"ZRANGE", key, idx(), idx(), "WITHSCORES"}
			case 4:
				cmd = []string{"ZRANGE", key, idx(), idx(), "REV", "WITHSCORES"}
			case 5:
				cmd = []string{"ZRANGEBYSCORE", key, bound(), bound(), "WITHSCORES", "LIMIT", strconv.Itoa(rng.IntN(5)), strconv.Itoa(rng.IntN(20) - 1)}
			case 6:
				cmd = []string{"ZREVRANGEBYSCORE", key, bound(), bound(), "WITHSCORES"}
			case 7:
				cmd = []string{"ZCOUNT", key, bound(), bound()}
			case 8:
				cmd = []string{"ZRANK", key, m}
			case 9:
				cmd = []string{"ZREVRANK", key, m}
			case 10:
				cmd = []string{"ZRANGEBYLEX", lex, lexb(), lexb(), "LIMIT", strconv.Itoa(rng.IntN(3)), strconv.Itoa(rng.IntN(30) - 1)}
			case 11:
				cmd = []string{"ZREVRANGEBYLEX", lex, lexb(), lexb()}
			case 12:
				cmd = []string{"ZLEXCOUNT", lex, lexb(), lexb()}
			case 13:
				cmd = []string{"ZSCORE", key, m}
			case 14:
				cmd = []string{"ZUNION", "2", key, lex, "WEIGHTS", score(), score(), "AGGREGATE", []string{"SUM", "MIN", "MAX"}[rng.IntN(3)], "WITHSCORES"}
			case 15:
				cmd = []string{"ZINTER", "2", key, lex, "WITHSCORES"}
			case 16:
				switch rng.IntN(4) {
				case 0:
					cmd = []string{"ZREMRANGEBYSCORE", key, bound(), bound()}
				case 1:
					cmd = []string{"ZREMRANGEBYRANK", key, idx(), idx()}
				case 2:
					cmd = []string{"ZREMRANGEBYLEX", lex, lexb(), lexb()}
				default:
					cmd = []string{"ZPOPMIN", key, strconv.Itoa(rng.IntN(3))}
				}
			}
			want, err := rc.Do(cmd...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dc.Do(cmd...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Fatalf("step %d: %v\n redis-server: %q\n       diskdb: %q", i, cmd, want, got)
			}
		}
	}
}

func TestZSetsSurviveKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.ZAdd(ctx, "zk9", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -2, Member: "b"}, redis.Z{Score: 3, Member: "c"})
	c.ZIncrBy(ctx, "zk9", 10, "a")
	c.ZRem(ctx, "zk9", "c")
	fillZSet(t, c, "zk9big", "m", 1000)
	c.ZUnionStore(ctx, "zk9dst", &redis.ZStore{Keys: []string{"zk9", "zk9"}})
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	got := c2.ZRangeWithScores(ctx, "zk9", 0, -1).Val()
	if fmt.Sprint(got) != "[{-2 b} {11.5 a}]" {
		t.Fatalf("ZRANGE after kill -9 = %v", got)
	}
	if n := c2.ZCard(ctx, "zk9big").Val(); n != 1000 {
		t.Fatalf("ZCARD after kill -9 = %d", n)
	}
	if r := c2.ZRank(ctx, "zk9big", "m999").Val(); r != 999 {
		t.Fatalf("ZRANK after kill -9 = %d", r)
	}
	if f := c2.ZScore(ctx, "zk9dst", "a").Val(); f != 23 {
		t.Fatalf("stored union after kill -9: score %v", f)
	}
	if n := c2.DBSize(ctx).Val(); n != 3 {
		t.Fatalf("DBSIZE after kill -9 = %d, want 3", n)
	}
}

func TestZSetExpires(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.ZAdd(ctx, "ez", redis.Z{Score: 1, Member: "a"})
	expireOrSkip(t, c, "ez", 200)
	c.ZIncrBy(ctx, "ez", 1, "a") // an update keeps the TTL
	if ttl := c.PTTL(ctx, "ez").Val(); ttl <= 0 {
		t.Fatalf("PTTL after ZINCRBY = %v, want the TTL kept", ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if c.Exists(ctx, "ez").Val() != 0 || c.ZCard(ctx, "ez").Val() != 0 {
		t.Fatal("sorted set still there after its TTL")
	}
	c.ZAdd(ctx, "ez", redis.Z{Score: 5, Member: "z"})
	if got := c.ZRange(ctx, "ez", 0, -1).Val(); fmt.Sprint(got) != "[z]" {
		t.Fatalf("recreated sorted set = %v", got)
	}
}

// TestZSETBigRangeStaysFast: on a 1 000 000-member sorted set, bounded
// reads touch only what they return and DEL/UNLINK touch only metadata.
func TestZSETBigRangeStaysFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1 000 000-member sorted set")
	}
	s := testkit.Start(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, ReadTimeout: time.Minute})
	defer c.Close()
	const n = 1_000_000
	start := time.Now()
	fillZSet(t, c, "bigz", "member:", n)
	t.Logf("filled %d members in %v", n, time.Since(start))
	if got := c.ZCard(ctx, "bigz").Val(); got != n {
		t.Fatalf("ZCARD = %d", got)
	}
	// timed runs f (tries times if it is a read, keeping the fastest run,
	// so that a load spike on a shared machine is not taken for a scan)
	// and fails if it took longer than limit.
	timed := func(name string, limit time.Duration, f func() error, tries ...int) {
		t.Helper()
		best := time.Duration(1 << 62)
		n := 3
		if len(tries) > 0 {
			n = tries[0]
		}
		for i := 0; i < n; i++ {
			start := time.Now()
			if err := f(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			best = min(best, time.Since(start))
		}
		if best > limit {
			t.Fatalf("%s took %v on a 1M-member sorted set", name, best)
		}
	}
	check := func(got []string, want ...string) error {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	}
	timed("ZRANGE 0 9", 300*time.Millisecond, func() error {
		var want []string
		for i := 0; i < 10; i++ {
			want = append(want, "member:"+strconv.Itoa(i))
		}
		return check(c.ZRange(ctx, "bigz", 0, 9).Val(), want...)
	})
	timed("ZRANGE -3 -1", 300*time.Millisecond, func() error {
		return check(c.ZRange(ctx, "bigz", -3, -1).Val(), "member:999997", "member:999998", "member:999999")
	})
	timed("ZREVRANGE 0 1", 300*time.Millisecond, func() error {
		return check(c.ZRevRange(ctx, "bigz", 0, 1).Val(), "member:999999", "member:999998")
	})
	timed("ZRANGEBYSCORE in the middle", 300*time.Millisecond, func() error {
		return check(c.ZRangeByScore(ctx, "bigz", &redis.ZRangeBy{Min: "(500000", Max: "500002"}).Val(), "member:500001", "member:500002")
	})
	timed("ZSCORE", 300*time.Millisecond, func() error {
		if f := c.ZScore(ctx, "bigz", "member:123456").Val(); f != 123456 {
			return fmt.Errorf("score %v", f)
		}
		return nil
	})
	timed("ZRANK near either end", 300*time.Millisecond, func() error {
		if r := c.ZRank(ctx, "bigz", "member:999990").Val(); r != 999990 {
			return fmt.Errorf("ZRANK = %d", r)
		}
		if r := c.ZRevRank(ctx, "bigz", "member:5").Val(); r != n-6 {
			return fmt.Errorf("ZREVRANK = %d", r)
		}
		return nil
	})
	timed("ZPOPMIN", 300*time.Millisecond, func() error {
		z := c.ZPopMin(ctx, "bigz").Val()
		if len(z) != 1 || z[0].Member != "member:0" {
			return fmt.Errorf("popped %v", z)
		}
		return nil
	}, 1)
	timed("ZRANDMEMBER 5", 300*time.Millisecond, func() error {
		if got := c.ZRandMember(ctx, "bigz", 5).Val(); len(got) != 5 {
			return fmt.Errorf("got %v", got)
		}
		return nil
	})
	c.ZUnionStore(ctx, "bigz2", &redis.ZStore{Keys: []string{"bigz"}})
	timed("UNLINK", time.Second, func() error {
		if c.Unlink(ctx, "bigz").Val() != 1 {
			return fmt.Errorf("not deleted")
		}
		return nil
	}, 1)
	timed("DEL", time.Second, func() error {
		if c.Del(ctx, "bigz2").Val() != 1 {
			return fmt.Errorf("not deleted")
		}
		return nil
	}, 1)
	if got := c.DBSize(ctx).Val(); got != 0 {
		t.Fatalf("DBSIZE = %d", got)
	}
	if got := c.ZRange(ctx, "bigz", 0, -1).Val(); len(got) != 0 {
		t.Fatalf("ZRANGE of the deleted set = %d members", len(got))
	}
}
