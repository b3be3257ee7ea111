package store

import (
	"bytes"
	"maps"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// Tests of the hash type on real RocksDB, through the executor.

// hashContent reads the whole hash at key.
func hashContent(t testing.TB, e *Engine, key string) map[string]string {
	t.Helper()
	out := map[string]string{}
	onShard(t, e, key, func(tx *Tx) {
		h, err := tx.OpenHash(0, []byte(key))
		if err != nil {
			t.Error(err)
			return
		}
		var prev []byte
		err = h.Each(func(f, v []byte) bool {
			if prev != nil && bytes.Compare(prev, f) >= 0 {
				t.Errorf("fields out of order: %q then %q", prev, f)
			}
			prev = append(prev[:0], f...)
			out[string(f)] = string(v)
			return true
		})
		if err != nil {
			t.Error(err)
		}
		if int64(len(out)) != h.Len() {
			t.Errorf("Each saw %d fields, Len %d", len(out), h.Len())
		}
	})
	return out
}

func TestHSETHGETHDELAndTheFieldCount(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	onShard(t, e, "h", func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("h"))
		for _, fv := range [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}, {"", "empty"}, {"c\x00d", "nul"}} {
			if _, err := h.Set([]byte(fv[0]), []byte(fv[1])); err != nil {
				t.Error(err)
			}
		}
		if h.Len() != 4 {
			t.Errorf("Len in the creating command = %d, want 4", h.Len())
		}
		if v, ok, _ := h.Get([]byte("a")); !ok || string(v) != "3" {
			t.Errorf("Get(a) in the creating command = %q %v", v, ok)
		}
		h.Save()
	})
	want := map[string]string{"a": "3", "b": "2", "": "empty", "c\x00d": "nul"}
	if got := hashContent(t, e, "h"); !maps.Equal(got, want) {
		t.Fatalf("content = %q", got)
	}
	onShard(t, e, "h", func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("h"))
		if isNew, _ := h.Set([]byte("b"), []byte("22")); isNew {
			t.Error("Set of an existing field reported it new")
		}
		if ok, _ := h.Del([]byte("zz")); ok {
			t.Error("Del of a missing field reported it deleted")
		}
		if ok, _ := h.Del([]byte("a")); !ok {
			t.Error("Del(a) failed")
		}
		h.Save()
		m, _, _ := tx.Lookup(0, []byte("h"))
		if m.Count != 3 {
			t.Errorf("Count = %d, want 3", m.Count)
		}
	})
	onShard(t, e, "h", func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("h"))
		for _, f := range []string{"b", "", "c\x00d"} {
			_, _ = h.Del([]byte(f))
		}
		if !h.Save() {
			t.Error("Save did not delete the emptied hash")
		}
	})
	onShard(t, e, "h", func(tx *Tx) {
		if ok, _ := tx.Exists(0, []byte("h")); ok {
			t.Error("emptied hash still exists")
		}
	})
	if e.DBSize(0) != 0 {
		t.Fatalf("DBSIZE = %d", e.DBSize(0))
	}
}

// TestHSETOnAFreshHashSkipsNoField checks the creating command's shortcut
// (no RocksDB read for fields of a new id) across a mid-command flush and
// across commands of one group.
func TestHSETOnAFreshHashSkipsNoField(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	a := newTask(func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("f"))
		_, _ = h.Set([]byte("x"), []byte("1"))
		_ = h.Each(func(_, _ []byte) bool { return true }) // commits the overlay
		if isNew, _ := h.Set([]byte("x"), []byte("2")); isNew {
			t.Error("field written before a flush was counted again")
		}
		h.Save()
	})
	b := newTask(func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("f"))
		if isNew, _ := h.Set([]byte("x"), []byte("3")); isNew {
			t.Error("field of an earlier command of the group was counted again")
		}
		h.Save()
	})
	e.Submit(e.ShardOf([]byte("f")), a)
	e.Submit(e.ShardOf([]byte("f")), b)
	<-a.done
	<-b.done
	if got := hashContent(t, e, "f"); !maps.Equal(got, map[string]string{"x": "3"}) {
		t.Fatalf("content = %q", got)
	}
}

func TestHSCANVisitsEveryFieldOnce(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	const n = 1000
	onShard(t, e, "s", func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("s"))
		for i := 0; i < n; i++ {
			_, _ = h.Set([]byte("field:"+strconv.Itoa(i)), []byte(strconv.Itoa(i)))
		}
		h.Save()
	})
	for _, count := range []int{1, 7, 100, n, 5 * n} {
		seen := map[string]int{}
		var after []byte
		calls := 0
		for {
			calls++
			onShard(t, e, "s", func(tx *Tx) {
				h, _ := tx.OpenHash(0, []byte("s"))
				k := 0
				next, err := h.Scan(after, count, func(f, v []byte) {
					k++
					seen[string(f)]++
					if "field:"+string(v) != string(f) {
						t.Errorf("value %q under %q", v, f)
					}
				})
				if err != nil {
					t.Error(err)
				}
				if next != nil && k != count {
					t.Errorf("Scan returned %d fields and more to come, count %d", k, count)
				}
				after = next
			})
			if after == nil || calls > n+1 {
				break
			}
		}
		if len(seen) != n {
			t.Fatalf("count %d: saw %d fields", count, len(seen))
		}
		for f, c := range seen {
			if c != 1 {
				t.Fatalf("count %d: %q seen %d times", count, f, c)
			}
		}
		if want := (n + count - 1) / count; count <= n && calls != want && calls != want+1 {
			t.Fatalf("count %d: %d calls", count, calls)
		}
	}
}

func TestHRANDFIELDReturnsFieldsOfTheHash(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	for _, size := range []int{1, 10, 300, hashSampleLoad + 2000} {
		key := "r" + strconv.Itoa(size)
		onShard(t, e, key, func(tx *Tx) {
			h, _ := tx.OpenHash(0, []byte(key))
			for i := 0; i < size; i++ {
				_, _ = h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)))
			}
			h.Save()
		})
		for _, tc := range []struct {
			n      int64
			repeat bool
		}{{1, true}, {5, true}, {3, false}, {int64(size) / 2, false}, {int64(size) - 1, false}, {int64(size), false}, {int64(size) + 5, false}} {
			var got []string
			onShard(t, e, key, func(tx *Tx) {
				h, _ := tx.OpenHash(0, []byte(key))
				err := h.Random(tc.n, tc.repeat, func(f, v []byte) {
					if "v"+string(f[1:]) != string(v) {
						t.Errorf("value %q for %q", v, f)
					}
					got = append(got, string(f))
				})
				if err != nil {
					t.Error(err)
				}
			})
			want := tc.n
			if !tc.repeat {
				want = min(tc.n, int64(size))
			}
			if int64(len(got)) != want {
				t.Fatalf("size %d Random(%d, %v): %d fields, want %d", size, tc.n, tc.repeat, len(got), want)
			}
			if !tc.repeat {
				sort.Strings(got)
				if len(slices.Compact(slices.Clone(got))) != len(got) {
					t.Fatalf("size %d Random(%d): repeated fields", size, tc.n)
				}
			}
		}
	}
}

// TestHRANDFIELDDistribution checks that small hashes are sampled
// uniformly (the shape of Redis's "HRANDFIELD with <count> ... distribution"
// tests): every field of a 10-field hash within 25% of its expected share.
func TestHRANDFIELDDistribution(t *testing.T) {
	e := openTypeEngine(t, "")
	defer e.Close()
	onShard(t, e, "d", func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("d"))
		for i := 0; i < 10; i++ {
			_, _ = h.Set([]byte{byte('a' + i)}, []byte("v"))
		}
		h.Save()
	})
	for _, repeat := range []bool{true, false} {
		counts := map[string]int{}
		const rounds = 2000
		onShard(t, e, "d", func(tx *Tx) {
			h, _ := tx.OpenHash(0, []byte("d"))
			for r := 0; r < rounds; r++ {
				_ = h.Random(5, repeat, func(f, _ []byte) { counts[string(f)]++ })
			}
		})
		for f, c := range counts {
			if c < rounds*5/10*3/4 || c > rounds*5/10*5/4 {
				t.Errorf("repeat=%v: field %s picked %d times of %d", repeat, f, c, rounds*5)
			}
		}
		if len(counts) != 10 {
			t.Errorf("repeat=%v: %d distinct fields picked", repeat, len(counts))
		}
	}
}

// TestHRANDFIELDOnABigHashSpreadsItsPicks checks that the sampling of
// hashes too big to load spreads over the hash: 2000 single picks from a
// 70,000-field hash hit well over half as many distinct fields as uniform
// picks would (about 1970), for numeric and hex field names.
func TestHRANDFIELDOnABigHashSpreadsItsPicks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 70,000-field hashes")
	}
	e := openTypeEngine(t, "")
	defer e.Close()
	for name, gen := range map[string]func(i int) string{
		"user": func(i int) string { return "user:" + strconv.Itoa(i) },
		"hex":  func(i int) string { return strconv.FormatUint(uint64(i)*0x9E3779B97F4A7C15, 16) },
	} {
		key := "spread-" + name
		onShard(t, e, key, func(tx *Tx) {
			h, _ := tx.OpenHash(0, []byte(key))
			for i := 0; i < 70000; i++ {
				_, _ = h.Set([]byte(gen(i)), []byte("v"))
			}
			h.Save()
		})
		seen := map[string]int{}
		onShard(t, e, key, func(tx *Tx) {
			h, _ := tx.OpenHash(0, []byte(key))
			for r := 0; r < 2000; r++ {
				if err := h.Random(1, true, func(f, _ []byte) { seen[string(f)]++ }); err != nil {
					t.Error(err)
					return
				}
			}
		})
		if len(seen) < 1200 {
			t.Errorf("%s: 2000 picks hit only %d distinct fields", name, len(seen))
		}
	}
}

func TestHashSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	e := openTypeEngine(t, dir)
	onShard(t, e, "p", func(tx *Tx) {
		h, _ := tx.OpenHash(0, []byte("p"))
		for i := 0; i < 500; i++ {
			_, _ = h.Set([]byte(strconv.Itoa(i)), []byte(strconv.Itoa(i*i)))
		}
		h.Save()
	})
	want := hashContent(t, e, "p")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openTypeEngine(t, dir)
	defer e.Close()
	if got := hashContent(t, e, "p"); !maps.Equal(got, want) || len(got) != 500 {
		t.Fatalf("content changed across reopen: %d fields", len(got))
	}
}

// BenchmarkHSET sets one field per command (a new field each time, so the
// hash grows) through the executor, 64 commands in flight.
func BenchmarkHSET(b *testing.B) {
	e := openTypeEngine(b, "")
	defer e.Close()
	key := []byte("bench-hash")
	val := bytes.Repeat([]byte("v"), 16)
	var i int
	field := make([]byte, 0, 24)
	benchTasks(b, e, key, func(tx *Tx) {
		h, err := tx.OpenHash(0, key)
		if err != nil {
			b.Error(err)
			return
		}
		i++
		field = strconv.AppendInt(append(field[:0], "field:"...), int64(i), 10)
		if _, err := h.Set(field, val); err != nil {
			b.Error(err)
		}
		h.Save()
	})
}
