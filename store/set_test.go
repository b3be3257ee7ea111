package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Tests of the set API on real RocksDB in a temporary directory, run
// through the executor as the command layer runs them.

// szOpen opens an engine in a fresh directory, closed when the test ends.
func szOpen(t testing.TB) *Engine {
	t.Helper()
	e, err := Open(Options{Dir: t.TempDir(), Shards: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// szTask runs fn on the shard of key and reports the group's commit.
type szTask struct {
	t      testing.TB
	fn     func(t testing.TB, tx *Tx)
	failed bool
	done   chan error
}

// szFail aborts a task whose check failed: t.FailNow would end the
// shard's goroutine instead of the test's.
type szFail struct{}

// szT reports fatal failures inside a task by aborting the task only.
type szT struct{ testing.TB }

func (s szT) Fatal(args ...any) {
	s.Helper()
	s.Error(args...)
	panic(szFail{})
}

func (s szT) Fatalf(format string, args ...any) {
	s.Helper()
	s.Errorf(format, args...)
	panic(szFail{})
}

func (t *szTask) Run(tx *Tx) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(szFail); !ok {
				panic(r)
			}
			t.failed = true
		}
	}()
	t.fn(szT{t.t}, tx)
}

func (t *szTask) Done(err error) { t.done <- err }

// szRun runs fn against the Tx of key's shard and waits for its commit.
func szRun(t testing.TB, e *Engine, key string, fn func(t testing.TB, tx *Tx)) {
	t.Helper()
	task := &szTask{t: t, fn: fn, done: make(chan error, 1)}
	e.Submit(e.ShardOf([]byte(key)), task)
	if err := <-task.done; err != nil {
		t.Fatal(err)
	}
	if task.failed {
		t.FailNow()
	}
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func strs(bb [][]byte) []string {
	out := make([]string, len(bb))
	for i, b := range bb {
		out[i] = string(b)
	}
	return out
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestSetAddRemoveCount(t *testing.T) {
	e := szOpen(t)
	k := []byte("s")
	szRun(t, e, "s", func(t testing.TB, tx *Tx) {
		if n := must[int64](t)(tx.SAdd(0, k, bs("a", "b", "a", "c"))); n != 3 {
			t.Fatalf("SAdd = %d, want 3 (duplicates in one call count once)", n)
		}
		// Same group: the new members are visible to reads and iteration.
		if n := must[int64](t)(tx.SAdd(0, k, bs("c", "d"))); n != 1 {
			t.Fatalf("second SAdd = %d", n)
		}
		if got := strs(must[[][]byte](t)(tx.SMembers(0, k))); fmt.Sprint(got) != "[a b c d]" {
			t.Fatalf("SMembers in the group = %v", got)
		}
	})
	if e.DBSize(0) != 1 {
		t.Fatalf("DBSIZE = %d", e.DBSize(0))
	}
	szRun(t, e, "s", func(t testing.TB, tx *Tx) {
		if n := must[int64](t)(tx.SCard(0, k)); n != 4 {
			t.Fatalf("SCard = %d", n)
		}
		in := must[[]bool](t)(tx.SMIsMember(0, k, bs("a", "zz", "d"), nil))
		if fmt.Sprint(in) != "[true false true]" {
			t.Fatalf("SMIsMember = %v", in)
		}
		n, deleted, err := tx.SRem(0, k, bs("a", "b", "zz"))
		if err != nil || n != 2 || deleted {
			t.Fatalf("SRem = %d %v %v", n, deleted, err)
		}
		n, deleted, err = tx.SRem(0, k, bs("c", "d"))
		if err != nil || n != 2 || !deleted {
			t.Fatalf("SRem of the rest = %d %v %v", n, deleted, err)
		}
		if ok, _ := tx.Exists(0, k); ok {
			t.Fatal("emptied set still exists")
		}
	})
	if e.DBSize(0) != 0 {
		t.Fatalf("DBSIZE after emptying = %d", e.DBSize(0))
	}
	// Nothing is left under any id.
	szRun(t, e, "s", func(t testing.TB, tx *Tx) {
		it := tx.e.newIter(CFSub, nil, nil)
		defer it.Close()
		if it.SeekToFirst(); it.Valid() {
			t.Fatalf("element left behind: %q", it.Key().Data())
		}
	})
}

func TestSetWrongType(t *testing.T) {
	e := szOpen(t)
	szRun(t, e, "str", func(t testing.TB, tx *Tx) {
		tx.SetString(0, []byte("str"), []byte("v"), 0, nil)
		for name, err := range map[string]error{
			"SAdd":  second(tx.SAdd(0, []byte("str"), bs("a"))),
			"SCard": second(tx.SCard(0, []byte("str"))),
			"SScan": third(tx.SScan(0, []byte("str"), nil, 10, nil)),
			"ZAdd":  second(tx.ZAdd(0, []byte("str"), 0, []float64{1}, bs("a"))),
			"ZCard": second(tx.ZCard(0, []byte("str"))),
		} {
			if !errors.Is(err, ErrWrongType) {
				t.Errorf("%s on a string: %v, want ErrWrongType", name, err)
			}
		}
	})
}

func second[A any](_ A, err error) error        { return err }
func third[A, B any](_ A, _ B, err error) error { return err }

func TestSetExpiryKeptAndFired(t *testing.T) {
	e := szOpen(t)
	k := []byte("exp")
	szRun(t, e, "exp", func(t testing.TB, tx *Tx) {
		tx.SAdd(0, k, bs("a", "b"))
		m, _, _ := tx.Lookup(0, k)
		tx.SetExpire(0, k, &m, tx.Now()+150)
	})
	szRun(t, e, "exp", func(t testing.TB, tx *Tx) {
		tx.SAdd(0, k, bs("c"))
		tx.SRem(0, k, bs("a"))
		m, ok, _ := tx.Lookup(0, k)
		if !ok || m.Expire == 0 || m.Count != 2 {
			t.Fatalf("after updates: %+v %v, want the expiry kept and 2 members", m, ok)
		}
	})
	if e.DBExpires(0) != 1 {
		t.Fatalf("keys with a TTL = %d", e.DBExpires(0))
	}
	time.Sleep(400 * time.Millisecond) // active expiry runs every 100 ms
	if e.DBSize(0) != 0 {
		t.Fatalf("DBSIZE after expiry = %d (active expiry did not fire)", e.DBSize(0))
	}
	szRun(t, e, "exp", func(t testing.TB, tx *Tx) {
		if n, _ := tx.SCard(0, k); n != 0 {
			t.Fatalf("SCard of an expired set = %d", n)
		}
		tx.SAdd(0, k, bs("z"))
		if got := strs(must[[][]byte](t)(tx.SMembers(0, k))); fmt.Sprint(got) != "[z]" {
			t.Fatalf("recreated set = %v", got)
		}
	})
}

func TestSetAlgebraAndStore(t *testing.T) {
	e := szOpen(t)
	// Hash tags keep the keys on one shard.
	a, b, c, d := []byte("{x}a"), []byte("{x}b"), []byte("{x}c"), []byte("{x}d")
	szRun(t, e, "{x}", func(t testing.TB, tx *Tx) {
		tx.SAdd(0, a, bs("1", "2", "3", "4"))
		tx.SAdd(0, b, bs("2", "3", "5"))
		tx.SAdd(0, c, bs("3", "9"))
		cases := []struct {
			op   SetOp
			keys [][]byte
			want string
		}{
			{SetInter, [][]byte{a, b, c}, "[3]"},
			{SetInter, [][]byte{a, b}, "[2 3]"},
			{SetInter, [][]byte{a, []byte("{x}none")}, "[]"},
			{SetUnion, [][]byte{a, b, c}, "[1 2 3 4 5 9]"},
			{SetDiff, [][]byte{a, b, c}, "[1 4]"},
			{SetDiff, [][]byte{[]byte("{x}none"), a}, "[]"},
		}
		for _, cs := range cases {
			got := strs(must[[][]byte](t)(tx.SetAlgebra(0, cs.op, cs.keys)))
			if fmt.Sprint(got) != cs.want {
				t.Errorf("op %d %q = %v, want %s", cs.op, cs.keys, got, cs.want)
			}
		}
		if n := must[int64](t)(tx.SInterCard(0, [][]byte{a, b}, 1)); n != 1 {
			t.Errorf("SInterCard LIMIT 1 = %d", n)
		}
		ms := must[[][]byte](t)(tx.SetAlgebra(0, SetUnion, [][]byte{a, b}))
		if had := must[bool](t)(tx.SStore(0, d, ms)); had {
			t.Error("SStore reported an old value")
		}
		if n, _ := tx.SCard(0, d); n != 5 {
			t.Errorf("stored union SCard = %d", n)
		}
		if had := must[bool](t)(tx.SStore(0, d, nil)); !had {
			t.Error("SStore of nothing did not report the old value")
		}
		if ok, _ := tx.Exists(0, d); ok {
			t.Error("SStore of nothing left the key")
		}
	})
}

func TestSMove(t *testing.T) {
	e := szOpen(t)
	src, dst := []byte("{m}src"), []byte("{m}dst")
	szRun(t, e, "{m}", func(t testing.TB, tx *Tx) {
		tx.SAdd(0, src, bs("a"))
		r, err := tx.SMove(0, src, dst, []byte("a"))
		if err != nil || !r.Moved || !r.SrcDeleted || !r.Added {
			t.Fatalf("SMove = %+v %v", r, err)
		}
		if ok, _ := tx.SIsMember(0, dst, []byte("a")); !ok {
			t.Fatal("member not in dst")
		}
		if ok, _ := tx.Exists(0, src); ok {
			t.Fatal("emptied src still exists")
		}
		if r, _ := tx.SMove(0, src, dst, []byte("a")); r.Moved {
			t.Fatal("moved from an absent set")
		}
	})
}

func TestSetSamplingReachesTheWholeSet(t *testing.T) {
	e := szOpen(t)
	const n = 100_000 // above sampleScan: the random-descent sampler
	k := []byte("big")
	szRun(t, e, "big", func(t testing.TB, tx *Tx) {
		batch := make([][]byte, 0, n)
		for i := 0; i < n; i++ {
			batch = append(batch, []byte("p:"+strconv.Itoa(i)))
		}
		tx.SAdd(0, k, batch)
	})
	szRun(t, e, "big", func(t testing.TB, tx *Tx) {
		got := must[[][]byte](t)(tx.SRandMember(0, k, 20_000, true))
		if len(got) != 20_000 {
			t.Fatalf("%d picks", len(got))
		}
		distinct := map[string]bool{}
		for _, m := range got {
			distinct[string(m)] = true
		}
		t.Logf("20 000 picks: %d distinct", len(distinct))
		// Uniform draws would give ~18 100 distinct; the descent is biased
		// but must spread widely (13 500 measured).
		if len(distinct) < 12_000 {
			t.Fatalf("20 000 random picks hit only %d distinct members of %d", len(distinct), n)
		}
		d := must[[][]byte](t)(tx.SRandMember(0, k, 5_000, false))
		seen := map[string]bool{}
		for _, m := range d {
			if seen[string(m)] {
				t.Fatalf("distinct sample repeats %q", m)
			}
			seen[string(m)] = true
		}
		if len(d) != 5_000 {
			t.Fatalf("distinct sample of %d", len(d))
		}
	})
}

func TestSetScanCursor(t *testing.T) {
	e := szOpen(t)
	k := []byte("sc")
	szRun(t, e, "sc", func(t testing.TB, tx *Tx) {
		var ms [][]byte
		for i := 0; i < 95; i++ {
			ms = append(ms, []byte(fmt.Sprintf("m%03d", i)))
		}
		tx.SAdd(0, k, ms)
		var all []string
		var after []byte
		for calls := 0; ; calls++ {
			got, next, err := tx.SScan(0, k, after, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, strs(got)...)
			if next == nil {
				if calls != 9 {
					t.Fatalf("95 members by 10 took %d calls", calls+1)
				}
				break
			}
			after = next
		}
		if !sort.StringsAreSorted(all) || len(all) != 95 {
			t.Fatalf("scan returned %d members (sorted %v)", len(all), sort.StringsAreSorted(all))
		}
	})
}

// --- benchmarks: through the executor, one task per command, pipelined
// in windows of 64 as a client batch would be ---

func szBench(b *testing.B, e *Engine, key string, op func(tx *Tx, i int)) {
	b.ReportAllocs()
	shard := e.ShardOf([]byte(key))
	const window = 64
	var wg sync.WaitGroup
	tasks := make([]*szWG, window)
	for j := range tasks {
		tasks[j] = &szWG{wg: &wg, op: op}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += window {
		for j := 0; j < window && i+j < b.N; j++ {
			tasks[j].n = i + j
			wg.Add(1)
			e.Submit(shard, tasks[j])
		}
		wg.Wait()
	}
}

// szWG is a reusable benchmark task: op(tx, n).
type szWG struct {
	op func(tx *Tx, n int)
	n  int
	wg *sync.WaitGroup
}

func (t *szWG) Run(tx *Tx)   { t.op(tx, t.n) }
func (t *szWG) Done(_ error) { t.wg.Done() }

func BenchmarkSADD(b *testing.B) {
	e := szOpen(b)
	key := []byte("bench:set")
	var member [1][]byte
	szBench(b, e, string(key), func(tx *Tx, i int) {
		member[0] = strconv.AppendInt(member[0][:0], int64(i), 10)
		if _, err := tx.SAdd(0, key, member[:]); err != nil {
			b.Error(err)
		}
	})
}

func BenchmarkSISMEMBER(b *testing.B) {
	e := szOpen(b)
	key := []byte("bench:set")
	szRun(b, e, string(key), func(t testing.TB, tx *Tx) {
		var ms [][]byte
		for i := 0; i < 10_000; i++ {
			ms = append(ms, []byte(strconv.Itoa(i)))
		}
		tx.SAdd(0, key, ms)
	})
	var m []byte
	szBench(b, e, string(key), func(tx *Tx, i int) {
		m = strconv.AppendInt(m[:0], int64(i%20_000), 10)
		ok, err := tx.SIsMember(0, key, m)
		if err != nil || ok != (i%20_000 < 10_000) {
			b.Errorf("SIsMember(%s) = %v %v", m, ok, err)
		}
	})
}
