package store

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// Tests of the list type on real RocksDB, run through the executor as the
// command layer runs them.

// openTypeEngine opens an engine in a fresh directory (or dir, to reopen).
func openTypeEngine(t testing.TB, dir string) *Engine {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	e, err := Open(Options{Dir: dir, Shards: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// onShard runs fn on the shard of key and waits for its commit.
func onShard(t testing.TB, e *Engine, key string, fn func(tx *Tx)) {
	t.Helper()
	task := newTask(fn)
	e.Submit(e.ShardOf([]byte(key)), task)
	if err := <-task.done; err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		t.FailNow() // fn reports with t.Error: t.Fatal would stop the shard
	}
}

// listContent reads the whole list at key, nil if absent.
func listContent(t testing.TB, e *Engine, key string) []string {
	t.Helper()
	var out []string
	onShard(t, e, key, func(tx *Tx) {
		l, err := tx.OpenList(0, []byte(key))
		if err != nil {
			t.Error(err)
			return
		}
		if err := l.Range(0, -1, func(v []byte) { out = append(out, string(v)) }); err != nil {
			t.Error(err)
		}
		if int64(len(out)) != l.Len() {
			t.Errorf("Range returned %d elements, Len %d", len(out), l.Len())
		}
	})
	return out
}

func byteSlices(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func stringsOf(bb [][]byte) []string {
	out := make([]string, len(bb))
	for i, b := range bb {
		out[i] = string(b)
	}
	return out
}

func TestLPUSHRPUSHLRANGEAgainstMetadata(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	onShard(t, e, "l", func(tx *Tx) {
		l, err := tx.OpenList(0, []byte("l"))
		if err != nil || l.Exists() {
			t.Errorf("fresh key: exists=%v err=%v", l.Exists(), err)
			return
		}
		if err := l.Push(true, byteSlices("b", "a")...); err != nil {
			t.Error(err)
		}
		if err := l.Push(false, byteSlices("c", "d")...); err != nil {
			t.Error(err)
		}
		l.Save()
	})
	if got := listContent(t, e, "l"); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("content = %q", got)
	}
	onShard(t, e, "l", func(tx *Tx) {
		m, ok, err := tx.Lookup(0, []byte("l"))
		if err != nil || !ok || m.Type != TypeList || m.Count != 4 {
			t.Errorf("meta = %+v ok=%v err=%v", m, ok, err)
			return
		}
		l, _ := tx.OpenList(0, []byte("l"))
		for i, want := range map[int64]string{0: "a", 3: "d", -1: "d", -4: "a"} {
			v, ok, err := l.Index(i)
			if err != nil || !ok || string(v) != want {
				t.Errorf("Index(%d) = %q %v %v, want %q", i, v, ok, err, want)
			}
		}
		for _, i := range []int64{4, -5, 1 << 40, -1 << 40} {
			if _, ok, err := l.Index(i); ok || err != nil {
				t.Errorf("Index(%d) found=%v err=%v", i, ok, err)
			}
		}
		if err := l.Set(-1, []byte("D")); err != nil {
			t.Error(err)
		}
		if err := l.Set(4, []byte("x")); err != ErrIndexOutOfRange {
			t.Errorf("Set out of range: %v", err)
		}
	})
	if got := listContent(t, e, "l"); !slices.Equal(got, []string{"a", "b", "c", "D"}) {
		t.Fatalf("after Set: %q", got)
	}
	if e.DBSize(0) != 1 {
		t.Fatalf("DBSIZE = %d", e.DBSize(0))
	}
}

func TestLPOPEmptiesAndDeletesTheKey(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	onShard(t, e, "q", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("q"))
		_ = l.Push(false, byteSlices("1", "2", "3")...)
		l.Save()
	})
	onShard(t, e, "q", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("q"))
		got, err := l.Pop(false, 2)
		if err != nil || !slices.Equal(stringsOf(got), []string{"3", "2"}) {
			t.Errorf("RPOP 2 = %q %v", stringsOf(got), err)
		}
		if l.Save() {
			t.Error("Save deleted a non-empty list")
		}
		got, _ = l.Pop(true, 10)
		if !slices.Equal(stringsOf(got), []string{"1"}) {
			t.Errorf("LPOP 10 = %q", stringsOf(got))
		}
		if !l.Save() {
			t.Error("Save did not report the deletion")
		}
	})
	onShard(t, e, "q", func(tx *Tx) {
		if ok, _ := tx.Exists(0, []byte("q")); ok {
			t.Error("emptied list still exists")
		}
	})
	if e.DBSize(0) != 0 {
		t.Fatalf("DBSIZE = %d after the list emptied", e.DBSize(0))
	}
}

func TestListKeepsItsTTLAcrossWrites(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	var exp int64
	onShard(t, e, "ttl", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("ttl"))
		_ = l.Push(false, byteSlices("a", "b")...)
		l.Save()
		m, _, _ := tx.Lookup(0, []byte("ttl"))
		exp = tx.Now() + 100_000
		tx.SetExpire(0, []byte("ttl"), &m, exp)
	})
	onShard(t, e, "ttl", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("ttl"))
		_ = l.Push(true, []byte("z"))
		_, _ = l.Pop(false, 1)
		l.Trim(0, 0)
		l.Save()
	})
	onShard(t, e, "ttl", func(tx *Tx) {
		m, ok, err := tx.Lookup(0, []byte("ttl"))
		if !ok || err != nil || m.Expire != exp || m.Count != 1 {
			t.Errorf("meta after writes = %+v ok=%v err=%v; want expire %d count 1", m, ok, err, exp)
		}
	})
	if e.DBExpires(0) != 1 {
		t.Fatalf("expires = %d", e.DBExpires(0))
	}
	// An emptied list with a TTL leaves the expiry counters right.
	onShard(t, e, "ttl", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("ttl"))
		_, _ = l.Pop(true, 5)
		l.Save()
	})
	if e.DBExpires(0) != 0 || e.DBSize(0) != 0 {
		t.Fatalf("after emptying: keys %d expires %d", e.DBSize(0), e.DBExpires(0))
	}
}

// listModel is the reference the randomized test checks the store against:
// a plain slice with Redis's semantics.
type listModel []string

func (m listModel) norm(start, stop int64) (int64, int64, bool) {
	n := int64(len(m))
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

func (m listModel) rangeOf(start, stop int64) []string {
	s, e, ok := m.norm(start, stop)
	if !ok {
		return nil
	}
	return slices.Clone(m[s : e+1])
}

func (m *listModel) trim(start, stop int64) {
	s, e, ok := m.norm(start, stop)
	if !ok {
		*m = nil
		return
	}
	*m = slices.Clone((*m)[s : e+1])
}

func (m *listModel) insert(pivot, v string, after bool) int64 {
	i := slices.Index(*m, pivot)
	if i < 0 {
		return -1
	}
	if after {
		i++
	}
	*m = slices.Insert(*m, i, v)
	return int64(len(*m))
}

func (m *listModel) remove(count int64, v string) int64 {
	var removed int64
	s := *m
	if count >= 0 {
		out := s[:0:0]
		for _, e := range s {
			if e == v && (count == 0 || removed < count) {
				removed++
				continue
			}
			out = append(out, e)
		}
		*m = out
		return removed
	}
	keep := make([]bool, len(s))
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v && removed < -count {
			removed++
			continue
		}
		keep[i] = true
	}
	var out []string
	for i, e := range s {
		if keep[i] {
			out = append(out, e)
		}
	}
	*m = out
	return removed
}

func (m listModel) pos(v string, rank, count, maxlen int64) []int64 {
	n := int64(len(m))
	lim := n
	if maxlen > 0 && maxlen < n {
		lim = maxlen
	}
	var out []int64
	skip := rank - 1
	if rank < 0 {
		skip = -rank - 1
	}
	for j := int64(0); j < lim; j++ {
		i := j
		if rank < 0 {
			i = n - 1 - j
		}
		if m[i] != v {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, i)
		if count > 0 && int64(len(out)) == count {
			break
		}
	}
	return out
}

// TestListOperationsAgainstAModel runs random operations on lists of many
// sizes (crossing the point-read, point-delete and rewrite-buffer limits)
// and compares every result and the final content with a slice model.
// Several operations share a task, and tasks are queued together so that
// groups commit several of them at once.
func TestListOperationsAgainstAModel(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	sizes := []int{1, 5, 12, 300, 5000}
	if testing.Short() {
		sizes = sizes[:4]
	}
	for _, size := range sizes {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(size), 7))
			key := fmt.Sprintf("model-%d", size)
			var model listModel
			alphabet := []string{"a", "b", "c", "", "longer-element-value"}
			val := func() string { return alphabet[rng.IntN(len(alphabet))] }
			// Build the starting list with both pushes.
			onShard(t, e, key, func(tx *Tx) {
				l, _ := tx.OpenList(0, []byte(key))
				for i := 0; i < size; i++ {
					v := val() + strconv.Itoa(rng.IntN(3))
					if rng.IntN(2) == 0 {
						_ = l.Push(true, []byte(v))
						model = append(listModel{v}, model...)
					} else {
						_ = l.Push(false, []byte(v))
						model = append(model, v)
					}
				}
				l.Save()
			})
			rounds := 60
			for r := 0; r < rounds; r++ {
				ops := 1 + rng.IntN(4)
				pending := make([]*fnTask, 0, 2)
				for q := 0; q < 2; q++ {
					task := newTask(nil)
					opSeeds := make([]uint64, ops)
					for i := range opSeeds {
						opSeeds[i] = rng.Uint64()
					}
					task.run = func(tx *Tx) {
						l, err := tx.OpenList(0, []byte(key))
						if err != nil {
							t.Error(err)
							return
						}
						for _, seed := range opSeeds {
							if !listModelStep(t, &l, &model, rand.New(rand.NewPCG(seed, 1)), size) {
								return
							}
						}
						l.Save()
						if int64(len(model)) != l.Len() {
							t.Errorf("Len = %d, model %d", l.Len(), len(model))
						}
					}
					pending = append(pending, task)
					e.Submit(e.ShardOf([]byte(key)), task)
				}
				for _, task := range pending {
					if err := <-task.done; err != nil {
						t.Fatal(err)
					}
				}
				if t.Failed() {
					return
				}
				got := listContent(t, e, key)
				if !slices.Equal(got, []string(model)) {
					t.Fatalf("round %d: content differs\n got %d: %.20q\nwant %d: %.20q", r, len(got), got, len(model), model)
				}
				onShard(t, e, key, func(tx *Tx) {
					ok, _ := tx.Exists(0, []byte(key))
					if ok != (len(model) > 0) {
						t.Errorf("exists = %v with %d elements", ok, len(model))
					}
				})
			}
		})
	}
}

// listModelStep applies one random operation to l and to the model and
// compares their answers.
func listModelStep(t *testing.T, l *List, model *listModel, rng *rand.Rand, size int) bool {
	t.Helper()
	n := int64(len(*model))
	idx := func() int64 { return rng.Int64N(2*n+3) - n - 1 }
	val := func() string {
		if n > 0 && rng.IntN(3) > 0 {
			return (*model)[rng.Int64N(n)]
		}
		return "x" + strconv.Itoa(rng.IntN(4))
	}
	switch op := rng.IntN(9); op {
	case 0: // push
		k := 1 + rng.IntN(3)
		vals := make([]string, k)
		for i := range vals {
			vals[i] = val()
		}
		left := rng.IntN(2) == 0
		if err := l.Push(left, byteSlices(vals...)...); err != nil {
			t.Error(err)
			return false
		}
		for _, v := range vals {
			if left {
				*model = append(listModel{v}, *model...)
			} else {
				*model = append(*model, v)
			}
		}
	case 1: // pop
		left := rng.IntN(2) == 0
		cnt := rng.Int64N(int64(size)/4 + 3)
		got, err := l.Pop(left, cnt)
		if err != nil {
			t.Error(err)
			return false
		}
		cnt = min(cnt, n)
		var want []string
		if left {
			want = slices.Clone((*model)[:cnt])
			*model = (*model)[cnt:]
		} else {
			for i := n - 1; i >= n-cnt; i-- {
				want = append(want, (*model)[i])
			}
			*model = (*model)[:n-cnt]
		}
		if !slices.Equal(stringsOf(got), want) {
			t.Errorf("Pop(%v, %d) = %.10q, want %.10q", left, cnt, stringsOf(got), want)
			return false
		}
	case 2: // range
		s, e := idx(), idx()
		var got []string
		if err := l.Range(s, e, func(v []byte) { got = append(got, string(v)) }); err != nil {
			t.Error(err)
			return false
		}
		if want := model.rangeOf(s, e); !slices.Equal(got, want) || l.RangeLen(s, e) != len(want) {
			t.Errorf("Range(%d, %d) = %d elements (RangeLen %d), want %d", s, e, len(got), l.RangeLen(s, e), len(want))
			return false
		}
	case 3: // trim, keeping most of the list most of the time
		s, e := rng.Int64N(3), -1-rng.Int64N(3)
		if rng.IntN(5) == 0 {
			s, e = idx(), idx()
		}
		l.Trim(s, e)
		model.trim(s, e)
	case 4: // insert
		pivot, v, after := val(), val(), rng.IntN(2) == 0
		got, err := l.Insert([]byte(pivot), []byte(v), after)
		if err != nil {
			t.Error(err)
			return false
		}
		want := model.insert(pivot, v, after)
		if n == 0 {
			want = 0
		}
		if got != want {
			t.Errorf("Insert(%q, %q, %v) = %d, want %d", pivot, v, after, got, want)
			return false
		}
	case 5: // remove
		v := val()
		cnt := rng.Int64N(7) - 3
		got, err := l.Remove(cnt, []byte(v))
		if err != nil {
			t.Error(err)
			return false
		}
		if want := model.remove(cnt, v); got != want {
			t.Errorf("Remove(%d, %q) = %d, want %d", cnt, v, got, want)
			return false
		}
	case 6: // pos
		v := val()
		rank := rng.Int64N(7) - 3
		if rank == 0 {
			rank = 1
		}
		cnt, maxlen := rng.Int64N(4), rng.Int64N(n+2)
		got, err := l.Pos([]byte(v), rank, cnt, maxlen)
		if err != nil {
			t.Error(err)
			return false
		}
		if want := model.pos(v, rank, cnt, maxlen); !slices.Equal(got, want) {
			t.Errorf("Pos(%q, rank %d, count %d, maxlen %d) = %v, want %v", v, rank, cnt, maxlen, got, want)
			return false
		}
	case 7: // set
		if n == 0 {
			if err := l.Set(0, []byte("z")); err != ErrNoSuchKey {
				t.Errorf("Set on empty list: %v", err)
				return false
			}
			return true
		}
		i := idx()
		v := val()
		err := l.Set(i, []byte(v))
		j := i
		if j < 0 {
			j += n
		}
		if j < 0 || j >= n {
			if err != ErrIndexOutOfRange {
				t.Errorf("Set(%d) of %d: %v", i, n, err)
				return false
			}
			return true
		}
		if err != nil {
			t.Error(err)
			return false
		}
		(*model)[j] = v
	case 8: // index
		i := idx()
		v, ok, err := l.Index(i)
		if err != nil {
			t.Error(err)
			return false
		}
		j := i
		if j < 0 {
			j += n
		}
		if want := j >= 0 && j < n; ok != want || (ok && string(v) != (*model)[j]) {
			t.Errorf("Index(%d) = %q %v", i, v, ok)
			return false
		}
	}
	return true
}

// TestLINSERTAndLREMOnBigListsRewriteTheShortSide checks the rewrite
// strategies where they differ: pivots and matches near either end of a
// list longer than the rewrite buffer.
func TestLINSERTAndLREMOnBigListsRewriteTheShortSide(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	const n = 3 * nearMaxElems
	var model listModel
	onShard(t, e, "big", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("big"))
		for i := 0; i < n; i++ {
			v := strconv.Itoa(i)
			_ = l.Push(false, []byte(v))
			model = append(model, v)
		}
		l.Save()
	})
	for _, tc := range []struct {
		pivot string
		after bool
	}{{"3", false}, {"3", true}, {strconv.Itoa(n - 3), false}, {strconv.Itoa(n / 2), true}, {strconv.Itoa(nearMaxElems + 10), false}} {
		onShard(t, e, "big", func(tx *Tx) {
			l, _ := tx.OpenList(0, []byte("big"))
			got, err := l.Insert([]byte(tc.pivot), []byte("ins"), tc.after)
			if want := model.insert(tc.pivot, "ins", tc.after); err != nil || got != want {
				t.Errorf("Insert(%s, %v) = %d %v, want %d", tc.pivot, tc.after, got, err, want)
			}
			l.Save()
		})
	}
	for _, tc := range []struct {
		count int64
		v     string
	}{{1, "ins"}, {-1, "ins"}, {0, "ins"}, {1, "5"}, {-1, strconv.Itoa(n - 5)}, {0, strconv.Itoa(n / 3)}} {
		onShard(t, e, "big", func(tx *Tx) {
			l, _ := tx.OpenList(0, []byte("big"))
			got, err := l.Remove(tc.count, []byte(tc.v))
			if want := model.remove(tc.count, tc.v); err != nil || got != want {
				t.Errorf("Remove(%d, %s) = %d %v, want %d", tc.count, tc.v, got, err, want)
			}
			l.Save()
		})
	}
	if got := listContent(t, e, "big"); !slices.Equal(got, []string(model)) {
		t.Fatalf("content differs after rewrites: %d vs %d elements", len(got), len(model))
	}
}

func TestListSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	e := openTypeEngine(t, dir)
	onShard(t, e, "p", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("p"))
		for i := 0; i < 1000; i++ {
			_ = l.Push(i%2 == 0, []byte(strconv.Itoa(i)))
		}
		l.Save()
	})
	onShard(t, e, "p", func(tx *Tx) {
		l, _ := tx.OpenList(0, []byte("p"))
		_, _ = l.Pop(true, 300) // a range delete
		l.Save()
	})
	want := listContent(t, e, "p")
	if len(want) != 700 {
		t.Fatalf("len = %d", len(want))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openTypeEngine(t, dir)
	defer e.Close()
	if got := listContent(t, e, "p"); !slices.Equal(got, want) {
		t.Fatalf("content changed across reopen")
	}
	if e.DBSize(0) != 1 {
		t.Fatalf("DBSIZE = %d", e.DBSize(0))
	}
}

func TestListWrongType(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	onShard(t, e, "s", func(tx *Tx) {
		tx.SetString(0, []byte("s"), []byte("v"), 0, nil)
	})
	onShard(t, e, "s", func(tx *Tx) {
		if _, err := tx.OpenList(0, []byte("s")); err != ErrWrongType {
			t.Errorf("OpenList on a string: %v", err)
		}
		if _, err := tx.OpenHash(0, []byte("s")); err != ErrWrongType {
			t.Errorf("OpenHash on a string: %v", err)
		}
	})
}

// BenchmarkLPUSH pushes one element per command to one list through the
// executor, 64 commands in flight (group commit as under load).
func BenchmarkLPUSH(b *testing.B) {
	e := openTypeEngine(b, "")
	defer e.Close()
	key := []byte("bench-list")
	val := bytes.Repeat([]byte("v"), 16)
	benchTasks(b, e, key, func(tx *Tx) {
		l, err := tx.OpenList(0, key)
		if err != nil {
			b.Error(err)
			return
		}
		if err := l.Push(true, val); err != nil {
			b.Error(err)
		}
		l.Save()
	})
}

// benchTasks runs b.N executions of fn on key's shard, window at a time.
func benchTasks(b *testing.B, e *Engine, key []byte, fn func(tx *Tx)) {
	const window = 64
	tasks := make([]*fnTask, window)
	for i := range tasks {
		tasks[i] = newTask(fn)
	}
	shard := e.ShardOf(key)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		k := min(window, b.N-done)
		for i := 0; i < k; i++ {
			e.Submit(shard, tasks[i])
		}
		for i := 0; i < k; i++ {
			if err := <-tasks[i].done; err != nil {
				b.Fatal(err)
			}
		}
		done += k
	}
}
