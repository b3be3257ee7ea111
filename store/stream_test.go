package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

// Stream tests on real RocksDB: the typed API against a model, the
// consistency of nodes, groups, consumers and PELs, persistence across
// reopen, and DEL reclaiming everything.

type modelEntry struct {
	id StreamID
	fv []string
}

type streamModel struct {
	entries []modelEntry
	last    StreamID
	maxDel  StreamID
	added   uint64
}

func (m *streamModel) first() StreamID {
	if len(m.entries) == 0 {
		return StreamID{}
	}
	return m.entries[0].id
}

func (m *streamModel) find(id StreamID) int {
	return sort.Search(len(m.entries), func(i int) bool { return m.entries[i].id.Cmp(id) >= 0 })
}

func bsl(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// errAbort ends a task that failed a check (t.Fatal would stop the shard
// goroutine instead of the test).
type errAbort struct{}

// fatalf reports a failure inside a task and abandons the task; run
// recovers it and the test stops on its own goroutine.
func fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Errorf(format, args...)
	panic(errAbort{})
}

// run is do with fatalf support.
func run(t testing.TB, e *Engine, key string, fn func(tx *Tx)) {
	t.Helper()
	do(t, e, key, func(tx *Tx) {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(errAbort); !ok {
					panic(r)
				}
			}
		}()
		fn(tx)
	})
	if t.Failed() {
		t.FailNow()
	}
}

// withStream runs fn on the stream at key (created if absent) and saves it.
func withStream(t testing.TB, e *Engine, key string, fn func(s *Stream)) {
	t.Helper()
	run(t, e, key, func(tx *Tx) {
		s, err := tx.OpenStream(0, []byte(key))
		if err != nil {
			t.Error(err)
			return
		}
		if s == nil {
			if s, err = tx.CreateStream(0, []byte(key)); err != nil {
				t.Error(err)
				return
			}
		}
		fn(s)
		s.Save()
	})
}

// checkStream compares the stream with the model and checks that its
// nodes account for exactly its entries.
func checkStream(t *testing.T, e *Engine, key string, m *streamModel) {
	t.Helper()
	withStream(t, e, key, func(s *Stream) {
		if s.Len() != uint64(len(m.entries)) || s.LastID() != m.last || s.FirstID() != m.first() ||
			s.MaxDeletedID() != m.maxDel || s.EntriesAdded() != m.added {
			t.Errorf("stream len %d last %v first %v maxdel %v added %d; model %d %v %v %v %d",
				s.Len(), s.LastID(), s.FirstID(), s.MaxDeletedID(), s.EntriesAdded(),
				len(m.entries), m.last, m.first(), m.maxDel, m.added)
			return
		}
		var got []modelEntry
		if _, err := s.Range(StreamID{}, MaxStreamID, 0, false, func(id StreamID, fv [][]byte) bool {
			me := modelEntry{id: id}
			for _, b := range fv {
				me.fv = append(me.fv, string(b))
			}
			got = append(got, me)
			return true
		}); err != nil {
			t.Error(err)
			return
		}
		if fmt.Sprint(got) != fmt.Sprint(m.entries) {
			t.Errorf("entries differ:\n got %v\nwant %v", got, m.entries)
			return
		}
		// Reverse, bounded.
		var rev []StreamID
		s.Range(StreamID{}, MaxStreamID, 5, true, func(id StreamID, _ [][]byte) bool {
			rev = append(rev, id)
			return true
		})
		for i, id := range rev {
			if id != m.entries[len(m.entries)-1-i].id {
				t.Errorf("reverse range %v", rev)
				break
			}
		}
		// Nodes: the sealed records plus the tail cover every entry once.
		var nodes []lpNode
		it := s.tx.Iter(CFSub, s.m.ID, []byte{pfxNode}, []byte{pfxNode + 1}, false)
		for ; it.Valid(); it.Next() {
			var n lpNode
			if !n.decodeRec(decodeID(it.Key()[1:]), it.Value()) {
				t.Error("corrupt node record")
			}
			nodes = append(nodes, n)
		}
		it.Close()
		if s.t.nodes > 0 {
			nodes = append(nodes, s.t.tail)
		}
		if uint64(len(nodes)) != s.t.nodes {
			t.Errorf("%d nodes found, metadata says %d", len(nodes), s.t.nodes)
		}
		var live uint64
		for i, n := range nodes {
			live += n.live
			var in uint64
			for _, me := range m.entries {
				if me.id.Cmp(n.master) >= 0 && me.id.Cmp(n.last) <= 0 {
					in++
				}
			}
			if in != n.live {
				t.Errorf("node %d [%v, %v] counts %d live entries, holds %d", i, n.master, n.last, n.live, in)
			}
			if i > 0 && nodes[i-1].last.Cmp(n.master) >= 0 {
				t.Errorf("nodes overlap: %v then %v", nodes[i-1], n)
			}
		}
		if live != s.Len() {
			t.Errorf("nodes hold %d live entries, stream has %d", live, s.Len())
		}
	})
}

// TestStreamAgainstModel runs random appends (explicit, "ms-*" and
// automatic ids), deletions and exact trims against an in-memory model,
// reopening the engine on the way.
func TestStreamAgainstModel(t *testing.T) {
	dir := t.TempDir()
	e := openTest(t, Options{Dir: dir, Shards: 2})
	r := rand.New(rand.NewPCG(1, 2))
	var m streamModel
	const key = "st"
	ms := uint64(1000)
	for op := 0; op < 1500; op++ {
		switch k := r.IntN(10); {
		case k < 6:
			fv := []string{"f" + strconv.Itoa(r.IntN(3)), strconv.Itoa(op)}
			if r.IntN(4) == 0 {
				fv = append(fv, "g", string(bytes.Repeat([]byte{'x'}, r.IntN(3000))))
			}
			var want StreamID
			withStream(t, e, key, func(s *Stream) {
				s.NodeMaxEntries = 7
				s.NodeMaxBytes = 2000
				var id StreamID
				var err error
				switch r.IntN(3) {
				case 0:
					ms += uint64(r.IntN(3))
					id, err = s.Append(bsl(fv), StreamID{ms, uint64(r.IntN(5))}, true, true)
				case 1:
					id, err = s.Append(bsl(fv), StreamID{Ms: ms}, true, false)
				default:
					id, err = s.Append(bsl(fv), StreamID{}, false, false)
					ms = max(ms, id.Ms)
				}
				if err == ErrStreamIDTooSmall {
					want = StreamID{}
					return
				}
				if err != nil {
					fatalf(t, "%v", err)
				}
				want = id
			})
			if want.IsZero() {
				continue
			}
			if want.Cmp(m.last) <= 0 {
				t.Fatalf("appended %v after %v", want, m.last)
			}
			m.entries = append(m.entries, modelEntry{want, fv})
			m.last = want
			m.added++
		case k < 8:
			var ids []StreamID
			for n := 1 + r.IntN(3); n > 0; n-- {
				if len(m.entries) > 0 && r.IntN(4) > 0 {
					ids = append(ids, m.entries[r.IntN(len(m.entries))].id)
				} else {
					ids = append(ids, StreamID{uint64(r.IntN(int(ms) + 1)), 0})
				}
			}
			var got int64
			withStream(t, e, key, func(s *Stream) {
				var err error
				if got, err = s.Delete(ids); err != nil {
					fatalf(t, "%v", err)
				}
			})
			var want int64
			for _, id := range ids {
				if i := m.find(id); i < len(m.entries) && m.entries[i].id == id {
					m.entries = append(m.entries[:i], m.entries[i+1:]...)
					if id.Cmp(m.maxDel) > 0 {
						m.maxDel = id
					}
					want++
				}
			}
			if got != want {
				t.Fatalf("Delete(%v) = %d, want %d", ids, got, want)
			}
		default:
			a := TrimArgs{Strategy: TrimMaxLen, MaxLen: int64(r.IntN(len(m.entries) + 3))}
			if r.IntN(2) == 0 {
				a = TrimArgs{Strategy: TrimMinID, MinID: StreamID{ms - uint64(r.IntN(40)), uint64(r.IntN(3))}}
			}
			var got int64
			withStream(t, e, key, func(s *Stream) {
				var err error
				if got, err = s.Trim(a); err != nil {
					fatalf(t, "%v", err)
				}
			})
			cut := 0
			if a.Strategy == TrimMaxLen {
				cut = max(len(m.entries)-int(a.MaxLen), 0)
			} else {
				cut = m.find(a.MinID)
			}
			m.entries = m.entries[cut:]
			if got != int64(cut) {
				t.Fatalf("Trim(%+v) = %d, want %d", a, got, cut)
			}
		}
		if op%50 == 0 {
			checkStream(t, e, key, &m)
		}
		if op == 700 {
			e.Close()
			e = openTest(t, Options{Dir: dir, Shards: 3})
			checkStream(t, e, key, &m)
		}
	}
	checkStream(t, e, key, &m)
}

// TestStreamApproximateTrimRemovesWholeNodes checks MAXLEN ~ and MINID ~
// against the node layout: with 10 entries a node only whole nodes go,
// LIMIT bounds the work, and an exact trim leaves a partial node behind.
func TestStreamApproximateTrimRemovesWholeNodes(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	withStream(t, e, "a", func(s *Stream) {
		s.NodeMaxEntries = 10
		for i := 1; i <= 95; i++ {
			if _, err := s.Append(bsl([]string{"f", "v"}), StreamID{uint64(i), 0}, true, true); err != nil {
				fatalf(t, "%v", err)
			}
		}
		if s.Nodes() != 10 {
			fatalf(t, "95 entries in %d nodes, want 10", s.Nodes())
		}
		steps := []struct {
			a    TrimArgs
			want int64
		}{
			{TrimArgs{Strategy: TrimMaxLen, MaxLen: 90, Approx: true}, 0},
			{TrimArgs{Strategy: TrimMaxLen, MaxLen: 84, Approx: true}, 10},
			{TrimArgs{Strategy: TrimMaxLen, MaxLen: 0, Approx: true, Limit: 25}, 20},
			{TrimArgs{Strategy: TrimMinID, MinID: StreamID{61, 0}, Approx: true}, 30},
			{TrimArgs{Strategy: TrimMinID, MinID: StreamID{65, 0}}, 4},
			{TrimArgs{Strategy: TrimMaxLen, MaxLen: 26, Approx: true}, 0},
			{TrimArgs{Strategy: TrimMaxLen, MaxLen: 25, Approx: true}, 6},
		}
		for _, st := range steps {
			got, err := s.Trim(st.a)
			if err != nil || got != st.want {
				fatalf(t, "Trim(%+v) = %d, %v; want %d", st.a, got, err, st.want)
			}
		}
		if s.Len() != 25 || s.FirstID() != (StreamID{71, 0}) || s.Nodes() != 3 {
			fatalf(t, "after trims: len %d first %v nodes %d", s.Len(), s.FirstID(), s.Nodes())
		}
	})
}

// TestStreamGroupsAcrossReopen exercises groups, consumers and the PEL
// through reads, acks, claims and consumer deletion, checking after each
// step (and after a reopen) that the group's and consumers' counters match
// the PEL records.
func TestStreamGroupsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	e := openTest(t, Options{Dir: dir, Shards: 1})
	const key = "gs"
	withStream(t, e, key, func(s *Stream) {
		for i := 1; i <= 30; i++ {
			s.Append(bsl([]string{"n", strconv.Itoa(i)}), StreamID{uint64(i), 0}, true, true)
		}
		if ok, err := s.CreateGroup([]byte("g"), StreamID{}, 0); !ok || err != nil {
			fatalf(t, "%v %v", ok, err)
		}
		if ok, _ := s.CreateGroup([]byte("g"), StreamID{}, 0); ok {
			fatalf(t, "%v", "duplicate group created")
		}
		s.CreateGroup([]byte("other"), StreamID{5, 0}, -1)
	})
	group := func(s *Stream, name string) *Group {
		g, err := s.Group([]byte(name))
		if err != nil || g == nil {
			fatalf(t, "group %s: %v, %v", name, g, err)
		}
		return g
	}
	read := func(consumer string, count int64) (ids []StreamID) {
		withStream(t, e, key, func(s *Stream) {
			g := group(s, "g")
			if _, _, err := g.ReadNew([]byte(consumer), count, false, func(id StreamID, _ [][]byte) { ids = append(ids, id) }); err != nil {
				fatalf(t, "%v", err)
			}
		})
		return ids
	}
	a := read("alice", 10)
	b := read("bob", 10)
	if len(a) != 10 || len(b) != 10 || a[0] != (StreamID{1, 0}) || b[0] != (StreamID{11, 0}) {
		t.Fatalf("alice %v bob %v", a, b)
	}
	checkGroups(t, e, key, map[string]map[string]int{"g": {"alice": 10, "bob": 10}, "other": {}})
	withStream(t, e, key, func(s *Stream) {
		g := group(s, "g")
		n, err := g.Ack([]StreamID{{1, 0}, {2, 0}, {2, 0}, {11, 0}, {99, 0}})
		if err != nil || n != 3 {
			fatalf(t, "Ack = %d, %v", n, err)
		}
		// Claim bob's 12..14 for carol; 13 was deleted from the stream.
		s.Delete([]StreamID{{13, 0}})
		n, err = g.Claim([]byte("carol"), []StreamID{{12, 0}, {13, 0}, {14, 0}}, ClaimArgs{DeliveryTime: s.tx.Now(), RetryCount: -1}, func(StreamID, [][]byte) {})
		if err != nil || n != 2 {
			fatalf(t, "Claim = %d, %v", n, err)
		}
	})
	checkGroups(t, e, key, map[string]map[string]int{"g": {"alice": 8, "bob": 6, "carol": 2}, "other": {}})
	e.Close()
	e = openTest(t, Options{Dir: dir, Shards: 2})
	checkGroups(t, e, key, map[string]map[string]int{"g": {"alice": 8, "bob": 6, "carol": 2}, "other": {}})
	withStream(t, e, key, func(s *Stream) {
		g := group(s, "g")
		if g.Last != (StreamID{20, 0}) || g.EntriesRead != 20 {
			fatalf(t, "group after reopen: last %v entries-read %d", g.Last, g.EntriesRead)
		}
		next, deleted, err := g.AutoClaim([]byte("dave"), 0, StreamID{}, 5, true, func(StreamID, [][]byte) {})
		if err != nil || next != (StreamID{8, 0}) || len(deleted) != 0 {
			fatalf(t, "AutoClaim = %v, %v, %v", next, deleted, err)
		}
		n, found, err := g.DelConsumer([]byte("bob"))
		if err != nil || !found || n != 6 {
			fatalf(t, "DelConsumer = %d, %v, %v", n, found, err)
		}
	})
	checkGroups(t, e, key, map[string]map[string]int{"g": {"alice": 3, "carol": 2, "dave": 5}, "other": {}})
	withStream(t, e, key, func(s *Stream) {
		if ok, err := s.DestroyGroup([]byte("g")); !ok || err != nil {
			fatalf(t, "%v %v", ok, err)
		}
	})
	checkGroups(t, e, key, map[string]map[string]int{"other": {}})
	withStream(t, e, key, func(s *Stream) {
		// A group of the same name starts empty.
		s.CreateGroup([]byte("g"), StreamID{}, 0)
	})
	checkGroups(t, e, key, map[string]map[string]int{"g": {}, "other": {}})
}

// checkGroups compares groups, consumers and pending counts with want and
// checks that every counter matches the records behind it.
func checkGroups(t *testing.T, e *Engine, key string, want map[string]map[string]int) {
	t.Helper()
	withStream(t, e, key, func(s *Stream) {
		got := map[string]map[string]int{}
		var groups []*Group
		s.Groups(func(g *Group) bool { groups = append(groups, g); return true })
		if uint64(len(groups)) != s.NumGroups() {
			t.Errorf("%d group records, metadata says %d", len(groups), s.NumGroups())
		}
		for _, g := range groups {
			cons := map[string]int{}
			var total uint64
			var list []*Consumer
			g.Consumers(func(c *Consumer) bool { list = append(list, c); return true })
			if uint64(len(list)) != g.NConsumers {
				t.Errorf("group %s: %d consumer records, counter %d", g.Name, len(list), g.NConsumers)
			}
			for _, c := range list {
				cons[string(c.Name)] = int(c.Pending)
				var own uint64
				g.ConsumerPEL(c.Name, 0, func(p *PendingEntry) {
					own++
					if string(p.Consumer) != string(c.Name) {
						t.Errorf("%s's PEL holds %v owned by %s", c.Name, p.ID, p.Consumer)
					}
				})
				if own != c.Pending {
					t.Errorf("consumer %s: %d PEL records, counter %d", c.Name, own, c.Pending)
				}
				total += own
			}
			var pel uint64
			g.PEL(0, func(p *PendingEntry) { pel++ })
			if pel != g.Pending || total != g.Pending {
				t.Errorf("group %s: %d PEL records, %d in consumers, counter %d", g.Name, pel, total, g.Pending)
			}
			got[string(g.Name)] = cons
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("groups %v, want %v", got, want)
		}
	})
}

// TestStreamDELDropsEntriesGroupsAndPEL deletes a small and a big stream
// with groups and PELs: nothing is left under their ids.
func TestStreamDELDropsEntriesGroupsAndPEL(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	for _, n := range []int{10, 500} {
		key := "del" + strconv.Itoa(n)
		var id uint64
		withStream(t, e, key, func(s *Stream) {
			id = s.m.ID
			for i := 1; i <= n; i++ {
				s.Append(bsl([]string{"f", "v"}), StreamID{uint64(i), 0}, true, true)
			}
			s.CreateGroup([]byte("g"), StreamID{}, 0)
			g, _ := s.Group([]byte("g"))
			g.ReadNew([]byte("c"), 0, false, func(StreamID, [][]byte) {})
		})
		run(t, e, key, func(tx *Tx) {
			if ok, err := tx.Delete(0, []byte(key)); !ok || err != nil {
				fatalf(t, "%v %v", ok, err)
			}
		})
		run(t, e, key, func(tx *Tx) {
			for _, cf := range []CF{CFSub, CFStream} {
				it := tx.Iter(cf, id, nil, nil, false)
				if it.Valid() {
					t.Errorf("%d-entry stream: %x left in cf %d", n, it.Key(), cf)
				}
				it.Close()
			}
			if s, err := tx.OpenStream(0, []byte(key)); s != nil || err != nil {
				t.Errorf("stream still open-able: %v", err)
			}
		})
	}
}

func TestStreamIDText(t *testing.T) {
	for _, c := range []struct {
		id   StreamID
		text string
	}{{StreamID{}, "0-0"}, {StreamID{1, 2}, "1-2"}, {MaxStreamID, "18446744073709551615-18446744073709551615"}} {
		if got := c.id.String(); got != c.text {
			t.Errorf("%v.String() = %q", c.id, got)
		}
	}
	if _, ok := MaxStreamID.Incr(); ok {
		t.Error("max id incremented")
	}
	if _, ok := (StreamID{}).Decr(); ok {
		t.Error("0-0 decremented")
	}
	if id, _ := (StreamID{1, 1<<64 - 1}).Incr(); id != (StreamID{2, 0}) {
		t.Errorf("incr carry = %v", id)
	}
	v := appendEntryValue(nil, bsl([]string{"a", "", "long", string(make([]byte, 300))}))
	fv, ok := decodeEntryValue(v, nil)
	if !ok || len(fv) != 4 || string(fv[2]) != "long" || len(fv[3]) != 300 {
		t.Errorf("entry value round trip: %q %v", fv, ok)
	}
	if _, ok := decodeEntryValue(v[:len(v)-1], nil); ok {
		t.Error("truncated entry value decoded")
	}
	if _, ok := decodeEntryValue(binary.AppendUvarint(nil, 1<<40), nil); ok {
		t.Error("absurd pair count decoded")
	}
}

// benchStream fills a stream through tasks of batch appends each.
func benchAppend(b testing.TB, e *Engine, key string, n, batch int, trim TrimArgs) {
	b.Helper()
	fv := bsl([]string{"sensor", "42", "temperature", "21.5", "humidity", "0.63"})
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		withStream(b, e, key, func(s *Stream) {
			for i := 0; i < k; i++ {
				if _, err := s.Append(fv, StreamID{}, false, false); err != nil {
					fatalf(b, "%v", err)
				}
				if trim.Strategy != TrimNone {
					if _, err := s.Trim(trim); err != nil {
						fatalf(b, "%v", err)
					}
				}
			}
		})
	}
}

// BenchmarkXADD appends entries with automatic ids, 100 to a group commit.
func BenchmarkXADD(b *testing.B) {
	e := openTest(b, Options{Shards: 1})
	b.ReportAllocs()
	b.ResetTimer()
	benchAppend(b, e, "bench", b.N, 100, TrimArgs{})
}

// BenchmarkXADDMaxLen appends with MAXLEN 1000 (one entry trimmed per add).
func BenchmarkXADDMaxLen(b *testing.B) {
	e := openTest(b, Options{Shards: 1})
	benchAppend(b, e, "bench", 1000, 100, TrimArgs{})
	b.ReportAllocs()
	b.ResetTimer()
	benchAppend(b, e, "bench", b.N, 100, TrimArgs{Strategy: TrimMaxLen, MaxLen: 1000})
}

// BenchmarkXRANGE reads windows of 10 entries at random places of a
// 100 000-entry stream; ns/op is per window.
func BenchmarkXRANGE(b *testing.B) {
	e := openTest(b, Options{Shards: 1})
	const n = 100000
	fv := bsl([]string{"sensor", "42", "temperature", "21.5", "humidity", "0.63"})
	for done := 0; done < n; done += 1000 {
		withStream(b, e, "bench", func(s *Stream) {
			for i := done; i < done+1000; i++ {
				s.Append(fv, StreamID{uint64(i + 1), 0}, true, true)
			}
		})
	}
	first := StreamID{1, 0}
	r := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += 100 {
		k := min(100, b.N-done)
		run(b, e, "bench", func(tx *Tx) {
			s, _ := tx.OpenStream(0, []byte("bench"))
			for i := 0; i < k; i++ {
				start := StreamID{first.Ms + uint64(r.IntN(n-10)), 0}
				got, _ := s.Range(start, MaxStreamID, 10, false, func(StreamID, [][]byte) bool { return true })
				if got != 10 {
					fatalf(b, "range from %v: %d entries", start, got)
				}
			}
		})
	}
}
