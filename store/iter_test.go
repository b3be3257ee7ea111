package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestMergedIteratorMatchesModel writes, deletes and range-deletes elements
// of one collection across committed and pending state, then checks every
// iteration (forward, reverse, after Seek) against a plain map.
func TestMergedIteratorMatchesModel(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	r := rand.New(rand.NewPCG(7, 7))
	var id uint64
	do(t, e, "k", func(tx *Tx) { id, _ = tx.NewID() })
	model := map[string]string{}
	key := func(i int) []byte { return []byte(fmt.Sprintf("e%04d", i)) }
	for round := 0; round < 30; round++ {
		do(t, e, "k", func(tx *Tx) {
			// A mix of operations, all pending in this group.
			for op := 0; op < 40; op++ {
				i := r.IntN(300)
				switch r.IntN(10) {
				case 0:
					j := i + r.IntN(20)
					tx.DelElemRange(CFSub, id, key(i), key(j))
					for x := i; x < j; x++ {
						delete(model, string(key(x)))
					}
				case 1, 2, 3:
					tx.DelElem(CFSub, id, key(i))
					delete(model, string(key(i)))
				default:
					v := fmt.Sprintf("v%d.%d", round, op)
					tx.PutElem(CFSub, id, key(i), []byte(v))
					model[string(key(i))] = v
				}
			}
			var want []string
			for k := range model {
				want = append(want, k)
			}
			sort.Strings(want)
			check := func(name string, it *ElemIter, want []string) {
				t.Helper()
				var got []string
				for ; it.Valid(); it.Next() {
					k := string(it.Key())
					if model[k] != string(it.Value()) {
						t.Fatalf("round %d %s: %s = %q, want %q", round, name, k, it.Value(), model[k])
					}
					got = append(got, k)
				}
				it.Close()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("round %d %s:\n got %v\nwant %v", round, name, got, want)
				}
			}
			check("forward", tx.Iter(CFSub, id, nil, nil, false), want)
			rev := append([]string(nil), want...)
			for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
				rev[a], rev[b] = rev[b], rev[a]
			}
			check("reverse", tx.Iter(CFSub, id, nil, nil, true), rev)
			from := key(r.IntN(300))
			var tail []string
			for _, k := range want {
				if bytes.Compare([]byte(k), from) >= 0 {
					tail = append(tail, k)
				}
			}
			it := tx.Iter(CFSub, id, nil, nil, false)
			it.Seek(id, from)
			check("seek", it, tail)
			if tx.ov.empty() {
				t.Error("iterating pending writes committed the group early")
			}
		})
	}
}
