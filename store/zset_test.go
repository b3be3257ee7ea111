package store

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Tests of the sorted set API on real RocksDB, through the executor.

func zmembers(es []ZEntry) string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += " "
		}
		s += string(e.Member) + "=" + strconv.FormatFloat(e.Score, 'g', -1, 64)
	}
	return s
}

func TestZAddFlagsAndScores(t *testing.T) {
	e := szOpen(t)
	k := []byte("z")
	szRun(t, e, "z", func(t testing.TB, tx *Tx) {
		r := must[ZAddResult](t)(tx.ZAdd(0, k, 0, []float64{1, 2, 3, 1.5}, bs("a", "b", "c", "a")))
		if r.Added != 3 || r.Updated != 1 {
			t.Fatalf("ZAdd = %+v (a pair repeated in one call updates)", r)
		}
		cases := []struct {
			flags  int
			score  float64
			member string
			want   ZAddResult
		}{
			{ZAddNX, 10, "a", ZAddResult{}},
			{ZAddXX, 10, "zz", ZAddResult{}},
			{ZAddXX, 10, "a", ZAddResult{Updated: 1, Processed: 1, Score: 10}},
			{ZAddGT, 5, "a", ZAddResult{}},
			{ZAddLT, 5, "a", ZAddResult{Updated: 1, Processed: 1, Score: 5}},
			{ZAddIncr, 2.5, "a", ZAddResult{Updated: 1, Processed: 1, Score: 7.5}},
			{ZAddIncr | ZAddGT, -1, "a", ZAddResult{}},
			{0, 7.5, "a", ZAddResult{Processed: 1, Score: 7.5}},
		}
		for _, cs := range cases {
			r := must[ZAddResult](t)(tx.ZAdd(0, k, cs.flags, []float64{cs.score}, bs(cs.member)))
			if r != cs.want {
				t.Errorf("ZAdd flags %b %v %s = %+v, want %+v", cs.flags, cs.score, cs.member, r, cs.want)
			}
		}
		tx.ZAdd(0, k, 0, []float64{math.Inf(1)}, bs("inf"))
		if _, err := tx.ZAdd(0, k, ZAddIncr, []float64{math.Inf(-1)}, bs("inf")); !errors.Is(err, ErrNaNScore) {
			t.Fatalf("inf + -inf: %v", err)
		}
		// Negative zero is stored as zero; the increment's reply keeps it.
		r = must[ZAddResult](t)(tx.ZAdd(0, k, ZAddIncr, []float64{math.Copysign(0, -1)}, bs("nz")))
		if !math.Signbit(r.Score) {
			t.Fatal("ZINCRBY -0 on a new member did not report -0")
		}
		f, _, _ := tx.ZScore(0, k, []byte("nz"))
		if math.Signbit(f) {
			t.Fatal("-0 stored with its sign")
		}
		got := zmembers(must[[]ZEntry](t)(tx.ZRange(0, k, ZRange{Kind: ZByRank, Start: 0, Stop: -1})))
		if got != "nz=0 b=2 c=3 a=7.5 inf=+Inf" {
			t.Fatalf("ZRange = %s", got)
		}
	})
}

func TestZRangesRanksAndRemovals(t *testing.T) {
	e := szOpen(t)
	k := []byte("r")
	szRun(t, e, "r", func(t testing.TB, tx *Tx) {
		// 1000 members, scores with many ties, ordered by (score, member).
		var scores []float64
		var ms [][]byte
		for i := 0; i < 1000; i++ {
			scores = append(scores, float64(i/10)-50)
			ms = append(ms, []byte(fmt.Sprintf("m%04d", 999-i)))
		}
		tx.ZAdd(0, k, 0, scores, ms)
		all := must[[]ZEntry](t)(tx.ZRange(0, k, ZRange{Kind: ZByRank, Start: 0, Stop: -1}))
		if len(all) != 1000 {
			t.Fatalf("%d entries", len(all))
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			if a.Score > b.Score || (a.Score == b.Score && string(a.Member) >= string(b.Member)) {
				t.Fatalf("order broken at %d: %v %v", i, a, b)
			}
		}
		// Ranks and rank windows from both ends.
		for _, i := range []int{0, 1, 499, 500, 998, 999} {
			r, ok, _ := tx.ZRank(0, k, all[i].Member, false)
			rr, _, _ := tx.ZRank(0, k, all[i].Member, true)
			if !ok || r != int64(i) || rr != int64(999-i) {
				t.Fatalf("rank of #%d = %d / rev %d", i, r, rr)
			}
		}
		for _, w := range [][2]int64{{0, 4}, {995, 2000}, {-3, -1}, {600, 603}, {-1000, 1}} {
			for _, rev := range []bool{false, true} {
				got := must[[]ZEntry](t)(tx.ZRange(0, k, ZRange{Kind: ZByRank, Start: w[0], Stop: w[1], Rev: rev}))
				a, b, _ := rankSpan(w[0], w[1], 1000, false)
				want := append([]ZEntry(nil), all[a:b+1]...)
				if rev {
					a, b, _ = rankSpan(w[0], w[1], 1000, true)
					want = want[:0]
					for i := b; i >= a; i-- {
						want = append(want, all[i])
					}
				}
				if zmembers(got) != zmembers(want) {
					t.Fatalf("ZRange %v rev %v = %s, want %s", w, rev, zmembers(got), zmembers(want))
				}
			}
		}
		// Score ranges with exclusive ends, offset and limit, both ways.
		sr := ZRange{Kind: ZByScore, Score: ScoreRange{Min: -1, Max: 1, MinEx: true}, Limit: -1}
		if n := must[int64](t)(tx.ZCount(0, k, sr)); n != 20 {
			t.Fatalf("ZCount (-1 1 = %d", n)
		}
		sr.Offset, sr.Limit, sr.Rev = 5, 3, true
		got := zmembers(must[[]ZEntry](t)(tx.ZRange(0, k, sr)))
		if got != "m0484=1 m0483=1 m0482=1" {
			t.Fatalf("rev score range offset 5 limit 3 = %s", got)
		}
		// Removals keep the count exact and delete the emptied key.
		n, deleted, _ := tx.ZRemRange(0, k, ZRange{Kind: ZByScore, Score: ScoreRange{Min: math.Inf(-1), Max: -40}, Limit: -1})
		if n != 110 || deleted {
			t.Fatalf("ZRemRange by score = %d %v", n, deleted)
		}
		n, _, _ = tx.ZRemRange(0, k, ZRange{Kind: ZByRank, Start: 0, Stop: 9})
		if c, _ := tx.ZCard(0, k); n != 10 || c != 880 {
			t.Fatalf("ZRemRange by rank = %d, ZCard %d", n, c)
		}
		es, deleted, _ := tx.ZPop(0, k, 2000, true)
		if len(es) != 880 || !deleted || es[0].Score != 49 {
			t.Fatalf("ZPop of everything = %d %v", len(es), deleted)
		}
	})
	if e.DBSize(0) != 0 {
		t.Fatalf("DBSIZE = %d", e.DBSize(0))
	}
}

func TestZLexRanges(t *testing.T) {
	e := szOpen(t)
	k := []byte("lx")
	szRun(t, e, "lx", func(t testing.TB, tx *Tx) {
		tx.ZAdd(0, k, 0, []float64{0, 0, 0, 0, 0, 0}, bs("a", "b", "c", "d", "ab", ""))
		lb := func(s string) LexBound {
			switch s {
			case "-":
				return LexBound{Inf: -1}
			case "+":
				return LexBound{Inf: 1}
			}
			return LexBound{Value: []byte(s[1:]), Ex: s[0] == '('}
		}
		for _, cs := range []struct {
			min, max string
			rev      bool
			want     string
		}{
			{"-", "+", false, "=0 a=0 ab=0 b=0 c=0 d=0"},
			{"[a", "(c", false, "a=0 ab=0 b=0"},
			{"(a", "[c", false, "ab=0 b=0 c=0"},
			{"(a", "[c", true, "c=0 b=0 ab=0"},
			{"[b", "+", true, "d=0 c=0 b=0"},
			{"[c", "[a", false, ""},
			{"+", "-", false, ""},
		} {
			r := ZRange{Kind: ZByLex, Lex: LexRange{Min: lb(cs.min), Max: lb(cs.max)}, Rev: cs.rev, Limit: -1}
			got := zmembers(must[[]ZEntry](t)(tx.ZRange(0, k, r)))
			if got != cs.want {
				t.Errorf("lex %s %s rev %v = %q, want %q", cs.min, cs.max, cs.rev, got, cs.want)
			}
		}
	})
}

func TestZSetAlgebraArithmetic(t *testing.T) {
	e := szOpen(t)
	a, b, s := []byte("{u}a"), []byte("{u}b"), []byte("{u}s")
	szRun(t, e, "{u}", func(t testing.TB, tx *Tx) {
		tx.ZAdd(0, a, 0, []float64{1, 2, math.Inf(1)}, bs("x", "y", "z"))
		tx.ZAdd(0, b, 0, []float64{10, math.Inf(-1)}, bs("y", "z"))
		tx.SAdd(0, s, bs("x", "w"))
		for _, cs := range []struct {
			op      SetOp
			keys    [][]byte
			weights []float64
			agg     int
			want    string
		}{
			{SetUnion, [][]byte{a, b}, nil, AggSum, "z=0 x=1 y=12"}, // inf + -inf counts as 0
			{SetUnion, [][]byte{a, s}, nil, AggSum, "w=1 x=2 y=2 z=+Inf"},
			{SetInter, [][]byte{a, b}, nil, AggMax, "y=10 z=+Inf"},
			{SetInter, [][]byte{a, b}, []float64{0, 1}, AggSum, "z=0 y=10"}, // 0 × inf is NaN: 0
			{SetDiff, [][]byte{a, b}, nil, AggSum, "x=1"},
			{SetDiff, [][]byte{s, a}, nil, AggSum, "w=1"},
		} {
			got := zmembers(must[[]ZEntry](t)(tx.ZSetAlgebra(0, cs.op, cs.keys, cs.weights, cs.agg)))
			if got != cs.want {
				t.Errorf("op %d %q w %v agg %d = %s, want %s", cs.op, cs.keys, cs.weights, cs.agg, got, cs.want)
			}
		}
		if n := must[int64](t)(tx.ZInterCard(0, [][]byte{a, s}, 0)); n != 1 {
			t.Errorf("ZInterCard = %d", n)
		}
	})
}

func TestZSetDeleteIsO1AndReclaims(t *testing.T) {
	e := szOpen(t)
	k := []byte("big")
	var id uint64
	szRun(t, e, "big", func(t testing.TB, tx *Tx) {
		var scores []float64
		var ms [][]byte
		for i := 0; i < 5000; i++ {
			scores = append(scores, rand.Float64())
			ms = append(ms, []byte("m"+strconv.Itoa(i)))
		}
		tx.ZAdd(0, k, 0, scores, ms)
		m, _, _ := tx.Lookup(0, k)
		id = m.ID
	})
	szRun(t, e, "big", func(t testing.TB, tx *Tx) {
		if ok, _ := tx.Delete(0, k); !ok {
			t.Fatal("not deleted")
		}
	})
	szRun(t, e, "big", func(t testing.TB, tx *Tx) {
		for _, cf := range []CF{CFSub, CFScore} {
			it := tx.Iter(cf, id, nil, nil, false)
			if it.Valid() {
				t.Errorf("cf %d: elements of the deleted zset still visible", cf)
			}
			it.Close()
		}
	})
}

func BenchmarkZADD(b *testing.B) {
	e := szOpen(b)
	key := []byte("bench:zset")
	var member [1][]byte
	var score [1]float64
	szBench(b, e, string(key), func(tx *Tx, i int) {
		member[0] = strconv.AppendInt(member[0][:0], int64(i), 10)
		score[0] = float64(i % 1000)
		if _, err := tx.ZAdd(0, key, 0, score[:], member[:]); err != nil {
			b.Error(err)
		}
	})
}

func BenchmarkZRANGE(b *testing.B) {
	e := szOpen(b)
	key := []byte("bench:zset")
	szRun(b, e, string(key), func(t testing.TB, tx *Tx) {
		var scores []float64
		var ms [][]byte
		for i := 0; i < 100_000; i++ {
			scores = append(scores, float64(i))
			ms = append(ms, []byte("member:"+strconv.Itoa(i)))
		}
		tx.ZAdd(0, key, 0, scores, ms)
	})
	r := ZRange{Kind: ZByRank, Start: 0, Stop: 9}
	szBench(b, e, string(key), func(tx *Tx, i int) {
		es, err := tx.ZRange(0, key, r)
		if err != nil || len(es) != 10 {
			b.Errorf("ZRange = %d, %v", len(es), err)
		}
	})
}
