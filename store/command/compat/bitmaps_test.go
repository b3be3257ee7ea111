package compat

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Bitmap tests for what the differential script cannot show: random
// operations compared with redis-server at length, persistence across
// kill -9, and the cost of a sparse 512 MiB bitmap.

// TestBitmapCommandsMatchRedisOnRandomOperations covers Redis's "SETBIT
// fuzzing", "BITCOUNT fuzzing with start/end", "BITPOS bit=0/1 fuzzy
// testing", "BITOP and/or/xor/not fuzzing" and "BITFIELD overflow
// detection fuzzing", on values that cross DiskDB's inline limit and chunk
// boundaries: every reply is compared byte for byte.
func TestBitmapCommandsMatchRedisOnRandomOperations(t *testing.T) {
	ref, dut := testkit.StartRedis(t).Raw(), testkit.Start(t).Raw()
	rng := rand.New(rand.NewPCG(31, 32))
	keys := []string{"{k}a", "{k}b", "{k}c", "{k}d"}
	const space = 300_000 // bits: values up to ~37 KiB
	offset := func() string {
		if rng.IntN(3) == 0 { // near a 4 KiB chunk edge
			return strconv.Itoa(max(0, (rng.IntN(space/32768)+1)*32768+rng.IntN(64)-32))
		}
		return strconv.Itoa(rng.IntN(space))
	}
	index := func(n int) string { return strconv.Itoa(rng.IntN(2*n+1) - n) }
	var cmds [][]string
	for i := 0; i < 3000; i++ {
		k := keys[rng.IntN(len(keys))]
		switch rng.IntN(12) {
		case 0, 1, 2:
			cmds = append(cmds, []string{"SETBIT", k, offset(), strconv.Itoa(rng.IntN(2))})
		case 3:
			cmds = append(cmds, []string{"GETBIT", k, offset()})
		case 4:
			unit := []string{"BYTE", "BIT"}[rng.IntN(2)]
			n := space / 8
			if unit == "BIT" {
				n = space
			}
			cmds = append(cmds, []string{"BITCOUNT", k, index(n), index(n), unit}, []string{"BITCOUNT", k})
		case 5:
			unit := []string{"BYTE", "BIT"}[rng.IntN(2)]
			n := space / 8
			if unit == "BIT" {
				n = space
			}
			b := strconv.Itoa(rng.IntN(2))
			cmds = append(cmds, []string{"BITPOS", k, b}, []string{"BITPOS", k, b, index(n)},
				[]string{"BITPOS", k, b, index(n), index(n)}, []string{"BITPOS", k, b, index(n), index(n), unit})
		case 6:
			op := []string{"AND", "OR", "XOR", "NOT"}[rng.IntN(4)]
			cmd := []string{"BITOP", op, keys[rng.IntN(len(keys))], k}
			if op != "NOT" {
				for j := rng.IntN(3); j > 0; j-- {
					cmd = append(cmd, keys[rng.IntN(len(keys))])
				}
			}
			cmds = append(cmds, cmd)
		case 7:
			cmd := []string{"BITFIELD", k}
			for j := rng.IntN(4) + 1; j > 0; j-- {
				signed := rng.IntN(2) == 0
				width := rng.IntN(63) + 1
				typ := "u" + strconv.Itoa(width)
				if signed {
					typ = "i" + strconv.Itoa(width+rng.IntN(2))
				}
				val := strconv.FormatInt(rng.Int64N(1<<62)-1<<61, 10)
				if rng.IntN(3) == 0 {
					val = strconv.Itoa(rng.IntN(600) - 300)
				}
				switch rng.IntN(4) {
				case 0:
					cmd = append(cmd, "GET", typ, offset())
				case 1:
					cmd = append(cmd, "SET", typ, offset(), val)
				case 2:
					cmd = append(cmd, "INCRBY", typ, offset(), val)
				default:
					cmd = append(cmd, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[rng.IntN(3)])
				}
			}
			cmds = append(cmds, cmd)
		case 8:
			cmds = append(cmds, []string{"SETRANGE", k, strconv.Itoa(rng.IntN(space / 8)), randString(rng, "\x00\xff\x0fab", rng.IntN(9000)+1)})
		case 9:
			cmds = append(cmds, []string{"STRLEN", k}, []string{"GETRANGE", k, index(space / 8), index(space / 8)})
		case 10:
			if rng.IntN(10) == 0 {
				cmds = append(cmds, []string{"DEL", k})
			} else {
				cmds = append(cmds, []string{"APPEND", k, randString(rng, "\x00\x01", rng.IntN(5000))})
			}
		default:
			cmds = append(cmds, []string{"GET", k})
		}
	}
	sameReplies(t, ref, dut, cmds)
	for _, k := range keys {
		sameReplies(t, ref, dut, [][]string{{"GET", k}})
	}
}

func TestBitmapsSurviveKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	steps := [][]any{
		{"SETBIT", "small", 7, 1},
		{"SETBIT", "small", 100, 1},
		{"SETBIT", "chunked", 400_000, 1},
		{"SETBIT", "chunked", 8, 1},
		{"SETBIT", "chunked", 400_000, 0},
		{"SETBIT", "chunked", 262_143, 1},
		{"SETBIT", "sparse", 4_000_000_000, 1},
		{"BITFIELD", "bf", "SET", "i16", "#3", -300, "INCRBY", "u8", 200_000, 7},
		{"BITOP", "OR", "{x}or", "chunked", "small"},
		{"SETRANGE", "chunked", 50_000, "middle"},
		{"APPEND", "chunked", "tail"},
		{"PFADD", "hll", "a", "b", "c"},
		{"PFCOUNT", "hll"},
	}
	for _, st := range steps {
		if err := c.Do(ctx, st...).Err(); err != nil {
			t.Fatalf("%v: %v", st, err)
		}
	}
	want := map[string]string{}
	for _, k := range []string{"small", "chunked", "sparse", "bf", "{x}or", "hll"} {
		v, err := c.Get(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	s.Kill()
	s.Restart()
	c = client(t, s, 2)
	for k, v := range want {
		mustGet(t, c, k, v)
	}
	if n, err := c.BitCount(ctx, "sparse", nil).Result(); err != nil || n != 1 {
		t.Fatalf("BITCOUNT sparse after kill -9 = %d, %v", n, err)
	}
	if n, err := c.PFCount(ctx, "hll").Result(); err != nil || n != 3 {
		t.Fatalf("PFCOUNT after kill -9 = %d, %v", n, err)
	}
}

// dirSize sums the sizes of the files under dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSparse512MiBBitmapStaysSmall: SETBIT at the last offset makes a 512
// MiB value that costs one 4 KiB chunk on disk, and STRLEN, BITCOUNT,
// BITPOS, GETBIT, GETRANGE near the end and BITFIELD there never build the
// value in memory.
func TestSparse512MiBBitmapStaysSmall(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	before := dirSize(t, s.Dir)
	const last = 1<<32 - 1
	if v, err := c.SetBit(ctx, "k", last, 1).Result(); err != nil || v != 0 {
		t.Fatalf("SETBIT = %d, %v", v, err)
	}
	checks := []struct {
		cmd  []any
		want any
	}{
		{[]any{"STRLEN", "k"}, int64(1 << 29)},
		{[]any{"BITCOUNT", "k"}, int64(1)},
		{[]any{"BITCOUNT", "k", 0, -2}, int64(0)},
		{[]any{"BITPOS", "k", 1}, int64(last)},
		{[]any{"BITPOS", "k", 0, -1}, int64(last - 7)},
		{[]any{"GETBIT", "k", last}, int64(1)},
		{[]any{"GETRANGE", "k", -3, -1}, "\x00\x00\x01"},
		{[]any{"GETRANGE", "k", 536870000, 536870003}, "\x00\x00\x00\x00"},
		{[]any{"SETRANGE", "k", 536870000, "abc"}, int64(1 << 29)},
		{[]any{"BITCOUNT", "k", 536870000, -1}, int64(11)},
		{[]any{"BITPOS", "k", 1, 1}, int64(536870000*8 + 1)},
	}
	for _, ch := range checks {
		got, err := c.Do(ctx, ch.cmd...).Result()
		if err != nil || got != ch.want {
			t.Fatalf("%v = %#v, %v; want %#v", ch.cmd, got, err, ch.want)
		}
	}
	if err := c.Append(ctx, "k", "z").Err(); err == nil || !strings.Contains(err.Error(), "proto-max-bulk-len") {
		t.Fatalf("APPEND past 512 MiB: %v", err)
	}
	if v, err := c.BitField(ctx, "k", "INCRBY", "u8", int64(1<<29-1)*8, 1).Result(); err != nil || len(v) != 1 || v[0] != 2 {
		t.Fatalf("BITFIELD at the end = %v, %v", v, err)
	}
	// Nothing above materialized 512 MiB: the Go heap never grew that far.
	peak, err := strconv.ParseInt(infoField(t, c, "memory", "used_memory_peak"), 10, 64)
	if err != nil || peak > 256<<20 {
		t.Fatalf("heap reached %d MiB (%v)", peak>>20, err)
	}
	if grown := dirSize(t, s.Dir) - before; grown > 1<<20 {
		t.Fatalf("the data directory grew by %d KiB for one sparse bitmap", grown>>10)
	} else {
		t.Logf("data directory grew by %d bytes for a %d-byte bitmap", grown, 1<<29)
	}
	if err := c.Del(ctx, "k").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after DEL = %d, %v", n, err)
	}
}
