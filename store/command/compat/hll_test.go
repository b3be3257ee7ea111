package compat

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// HyperLogLog tests against a running redis-server: values built by one
// server are read by the other (GET, SET, PFCOUNT), random adds and merges
// leave byte-identical values, and corrupted values get the same answers.

func pfadds(ctx context.Context, t *testing.T, c *redis.Client, key, prefix string, from, to int) {
	t.Helper()
	for i := from; i < to; i += 1000 {
		var els []any
		for j := i; j < min(i+1000, to); j++ {
			els = append(els, prefix+strconv.Itoa(j))
		}
		if err := c.PFAdd(ctx, key, els...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHyperLogLogValuesMoveBetweenRedisAndDiskDB(t *testing.T) {
	ref := client(t, testkit.StartRedis(t), 2)
	dut := client(t, testkit.Start(t), 2)
	ctx := context.Background()
	for _, n := range []int{0, 1, 20, 300, 1500, 5000, 200_000} {
		for dir, pair := range [][2]*redis.Client{{ref, dut}, {dut, ref}} {
			from, to := pair[0], pair[1]
			key := fmt.Sprintf("hll:%d:%d", n, dir)
			if err := from.PFAdd(ctx, key).Err(); err != nil {
				t.Fatal(err)
			}
			pfadds(ctx, t, from, key, "el", 0, n)
			raw, err := from.Get(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := to.Set(ctx, key, raw, 0).Err(); err != nil {
				t.Fatal(err)
			}
			want, err := from.PFCount(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			got, err := to.PFCount(ctx, key).Result()
			if err != nil || got != want {
				t.Fatalf("%d elements, %d: PFCOUNT %d, %v; the builder says %d", n, dir, got, err, want)
			}
			// Both cached the same count in the same bytes; more adds and
			// a merge keep them identical.
			pfadds(ctx, t, from, key, "more", 0, n/3+1)
			pfadds(ctx, t, to, key, "more", 0, n/3+1)
			for _, c := range []*redis.Client{from, to} {
				if err := c.PFMerge(ctx, key+":m", key, "missing").Err(); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range []string{key, key + ":m"} {
				a, _ := from.Get(ctx, k).Result()
				b, _ := to.Get(ctx, k).Result()
				if a != b {
					t.Fatalf("%d elements, %d: %s differs after more adds (%d and %d bytes)", n, dir, k, len(a), len(b))
				}
			}
		}
	}
}

// TestHyperLogLogSparseEncodingStressTest: random adds to many HLLs,
// around the sparse limit, give byte-identical values and counts.
func TestHyperLogLogSparseEncodingStressTest(t *testing.T) {
	ref, dut := testkit.StartRedis(t).Raw(), testkit.Start(t).Raw()
	rng := rand.New(rand.NewPCG(11, 12))
	var cmds [][]string
	for round := 0; round < 300; round++ {
		key := "s" + strconv.Itoa(rng.IntN(20))
		cmd := []string{"PFADD", key}
		for i := rng.IntN(40) + 1; i > 0; i-- {
			cmd = append(cmd, strconv.Itoa(rng.IntN(100000)))
		}
		cmds = append(cmds, cmd, []string{"GET", key})
		switch rng.IntN(6) {
		case 0:
			cmds = append(cmds, []string{"PFCOUNT", key}, []string{"GET", key})
		case 1:
			other := "s" + strconv.Itoa(rng.IntN(20))
			cmds = append(cmds, []string{"PFMERGE", "m" + key, key, other}, []string{"GET", "m" + key},
				[]string{"PFCOUNT", key, other})
		case 2:
			cmds = append(cmds, []string{"PFDEBUG", "DECODE", key})
		case 3:
			cmds = append(cmds, []string{"CONFIG", "SET", "hll-sparse-max-bytes", strconv.Itoa(200 + rng.IntN(3000))})
		}
	}
	sameReplies(t, ref, dut, cmds)
}

// TestFuzzingDenseSparseEncodingDetectsErrors is Redis's "Fuzzing
// dense/sparse encoding: Redis should always detect errors": random damage
// to valid values; both servers answer the same, byte for byte.
func TestFuzzingDenseSparseEncodingDetectsErrors(t *testing.T) {
	ref, dut := testkit.StartRedis(t).Raw(), testkit.Start(t).Raw()
	rng := rand.New(rand.NewPCG(13, 14))
	var valid, invalid int
	defer func() {
		t.Logf("%d damaged values still valid, %d detected as corrupt", valid, invalid)
		if valid == 0 || invalid == 0 {
			t.Errorf("the fuzzing exercised one outcome only")
		}
	}()
	for round := 0; round < 300; round++ {
		add := []string{"PFADD", "src"}
		for i := rng.IntN(3000); i > 0; i-- {
			add = append(add, strconv.Itoa(rng.IntN(1_000_000)))
		}
		sameReplies(t, ref, dut, [][]string{{"DEL", "src"}, add})
		raw, err := ref.Do("GET", "src")
		if err != nil {
			t.Fatal(err)
		}
		// The reply is $<n>\r\n<bytes>\r\n: damage the bytes past the header.
		start := 0
		for raw[start] != '\n' {
			start++
		}
		v := []byte(string(raw[start+1 : len(raw)-2]))
		for i := rng.IntN(10) + 1; i > 0; i-- {
			p := 16 + rng.IntN(len(v)-16)
			switch rng.IntN(3) {
			case 0:
				v[p] = byte(rng.IntN(256))
			case 1:
				v[p] ^= 1 << rng.IntN(8)
			default:
				v[p] = 0
			}
		}
		if rng.IntN(5) == 0 {
			v = v[:16+rng.IntN(len(v)-15)]
		}
		k := "fuzz"
		dut.Do("SET", "probe", string(v))
		if r, _ := dut.Do("PFCOUNT", "probe"); len(r) > 0 && r[0] == '-' {
			invalid++
		} else {
			valid++
		}
		sameReplies(t, ref, dut, [][]string{
			{"SET", k, string(v)},
			{"PFCOUNT", k},
			{"GET", k},
			{"PFCOUNT", k, "src"},
			{"PFMERGE", "dst" + strconv.Itoa(round), k},
			{"PFADD", k, "a", "b", strconv.Itoa(round)},
			{"GET", k},
			{"PFDEBUG", "ENCODING", k},
			{"PFDEBUG", "DECODE", k},
			{"PFDEBUG", "TODENSE", k},
			{"GET", k},
		})
	}
}

func TestHyperLogLogSelfTestPasses(t *testing.T) {
	c := client(t, testkit.Start(t), 2)
	if err := c.Do(context.Background(), "PFSELFTEST").Err(); err != nil {
		t.Fatal(err)
	}
}
