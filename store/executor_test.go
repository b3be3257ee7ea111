package store

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fnTask adapts a function to Task and reports Done on a channel.
type fnTask struct {
	run  func(tx *Tx)
	done chan error
}

func (f *fnTask) Run(tx *Tx)     { f.run(tx) }
func (f *fnTask) Done(err error) { f.done <- err }

func newTask(run func(tx *Tx)) *fnTask { return &fnTask{run: run, done: make(chan error, 1)} }

func openTest(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	e, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// do runs fn on the shard of key and waits for its commit.
func do(t testing.TB, e *Engine, key string, fn func(tx *Tx)) {
	t.Helper()
	task := newTask(fn)
	e.Submit(e.ShardOf([]byte(key)), task)
	if err := <-task.done; err != nil {
		t.Fatal(err)
	}
}

// doAll runs fn with every shard held.
func doAll(t testing.TB, e *Engine, fn func(tx *Tx)) {
	t.Helper()
	task := newTask(fn)
	e.SubmitAll(task)
	if err := <-task.done; err != nil {
		t.Fatal(err)
	}
}

func getString(t testing.TB, e *Engine, db int, key string) (string, bool) {
	t.Helper()
	var v string
	var ok bool
	do(t, e, key, func(tx *Tx) {
		b, found, err := tx.GetString(db, []byte(key))
		if err != nil {
			t.Error(err)
		}
		v, ok = string(b), found
	})
	return v, ok
}

func setString(t testing.TB, e *Engine, db int, key, val string, expire int64) {
	t.Helper()
	do(t, e, key, func(tx *Tx) { txSetString(t, tx, db, key, val, expire) })
}

// txSetString is SET inside a task.
func txSetString(t testing.TB, tx *Tx, db int, key, val string, expire int64) {
	t.Helper()
	m, found, err := tx.Lookup(db, []byte(key))
	if err != nil {
		t.Error(err)
		return
	}
	var old *Meta
	if found {
		old = &m
	}
	if err := tx.SetString(db, []byte(key), []byte(val), expire, old); err != nil {
		t.Error(err)
	}
}

func TestSetGetAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	e := openTest(t, Options{Dir: dir, Shards: 3})
	for i := 0; i < 500; i++ {
		setString(t, e, i%4, fmt.Sprintf("key:%d", i), fmt.Sprintf("val:%d", i), 0)
	}
	if n := e.DBSize(0); n != 125 {
		t.Fatalf("DBSize(0) = %d, want 125", n)
	}
	e.Close()
	e = openTest(t, Options{Dir: dir, Shards: 2}) // another shard count: the format does not depend on it
	for i := 0; i < 500; i++ {
		v, ok := getString(t, e, i%4, fmt.Sprintf("key:%d", i))
		if !ok || v != fmt.Sprintf("val:%d", i) {
			t.Fatalf("key:%d = %q, %v after reopen", i, v, ok)
		}
	}
	for db := 0; db < 4; db++ {
		if n := e.DBSize(db); n != 125 {
			t.Fatalf("DBSize(%d) = %d after reopen, want 125", db, n)
		}
	}
}

func TestGroupSeesItsOwnWrites(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	// Queue many tasks at once so they share a group; each reads what the
	// previous one wrote.
	const n = 200
	tasks := make([]*fnTask, n)
	for i := 0; i < n; i++ {
		tasks[i] = newTask(func(tx *Tx) {
			m, found, err := tx.Lookup(0, []byte("ctr"))
			if err != nil {
				t.Error(err)
				return
			}
			cur := uint64(0)
			var old *Meta
			if found {
				cur = binary.BigEndian.Uint64(m.Body)
				old = &m
			}
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], cur+1)
			tx.SetString(0, []byte("ctr"), b[:], 0, old)
		})
	}
	for _, task := range tasks {
		e.Submit(0, task)
	}
	for _, task := range tasks {
		if err := <-task.done; err != nil {
			t.Fatal(err)
		}
	}
	v, ok := getString(t, e, 0, "ctr")
	if !ok || binary.BigEndian.Uint64([]byte(v)) != n {
		t.Fatalf("counter = %x, want %d", v, n)
	}
	if e.DBSize(0) != 1 {
		t.Fatalf("DBSize = %d, want 1", e.DBSize(0))
	}
}

// TestMultiShardTasksAreAtomic moves units between accounts on different
// shards from many goroutines, with single-shard readers interleaved: the
// total never changes and nothing deadlocks.
func TestMultiShardTasksAreAtomic(t *testing.T) {
	e := openTest(t, Options{Shards: 4})
	const accounts = 16
	keys := make([]string, accounts)
	for i := range keys {
		keys[i] = fmt.Sprintf("acct:%d", i)
		setString(t, e, 0, keys[i], "1000", 0)
	}
	read := func(tx *Tx, k string) int {
		v, _, err := tx.GetString(0, []byte(k))
		if err != nil {
			t.Error(err)
		}
		var n int
		fmt.Sscan(string(v), &n)
		return n
	}
	write := func(tx *Tx, k string, n int) {
		m, _, _ := tx.Lookup(0, []byte(k))
		m.Body = append([]byte(nil), m.Body...)
		tx.SetString(0, []byte(k), []byte(fmt.Sprint(n)), 0, &m)
	}
	var wg sync.WaitGroup
	deadline := time.Now().Add(5 * time.Second)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, seed))
			for i := 0; i < 300 && time.Now().Before(deadline); i++ {
				a, b := keys[r.IntN(accounts)], keys[r.IntN(accounts)]
				if a == b {
					continue
				}
				sa, sb := e.ShardOf([]byte(a)), e.ShardOf([]byte(b))
				task := newTask(func(tx *Tx) {
					x, y := read(tx, a), read(tx, b)
					write(tx, a, x-1)
					write(tx, b, y+1)
				})
				if sa == sb {
					e.Submit(sa, task)
				} else {
					if sa > sb {
						sa, sb = sb, sa
					}
					e.SubmitMulti([]int{sa, sb}, task)
				}
				if err := <-task.done; err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					sum := 0
					doAll(t, e, func(tx *Tx) {
						for _, k := range keys {
							sum += read(tx, k)
						}
					})
					if sum != accounts*1000 {
						t.Errorf("sum = %d mid-run, want %d", sum, accounts*1000)
						return
					}
				}
			}
		}(uint64(g))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("multi-shard tasks deadlocked")
	}
	sum := 0
	doAll(t, e, func(tx *Tx) {
		for _, k := range keys {
			sum += read(tx, k)
		}
	})
	if sum != accounts*1000 {
		t.Fatalf("sum = %d, want %d", sum, accounts*1000)
	}
}

func TestDeleteCollectionIsMetadataOnly(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	var id uint64
	const n = 5000
	do(t, e, "big", func(tx *Tx) {
		var err error
		id, err = tx.NewID()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			tx.PutElem(CFSub, id, []byte(fmt.Sprintf("f%06d", i)), []byte("v"))
		}
		tx.PutMeta(0, []byte("big"), &Meta{Type: TypeHash, ID: id, Count: n}, nil)
	})
	do(t, e, "big", func(tx *Tx) {
		ok, err := tx.Delete(0, []byte("big"))
		if err != nil || !ok {
			t.Fatalf("Delete = %v, %v", ok, err)
		}
		// Same group: the elements are gone for readers of this group.
		if _, found, _ := tx.GetElem(CFSub, id, []byte("f000001")); found {
			t.Error("element visible after delete in the same group")
		}
	})
	do(t, e, "big", func(tx *Tx) {
		it := tx.Iter(CFSub, id, nil, nil, false)
		defer it.Close()
		if it.Valid() {
			t.Error("elements left after deleting the collection")
		}
	})
	if e.DBSize(0) != 0 {
		t.Fatalf("DBSize = %d", e.DBSize(0))
	}
}

func TestIDsAreNeverReused(t *testing.T) {
	dir := t.TempDir()
	e := openTest(t, Options{Dir: dir, Shards: 1})
	var last uint64
	do(t, e, "x", func(tx *Tx) {
		for i := 0; i < 10; i++ {
			id, err := tx.NewID()
			if err != nil {
				t.Fatal(err)
			}
			if id <= last {
				t.Fatalf("id %d after %d", id, last)
			}
			last = id
		}
	})
	e.Close()
	e = openTest(t, Options{Dir: dir, Shards: 1})
	do(t, e, "x", func(tx *Tx) {
		id, err := tx.NewID()
		if err != nil {
			t.Fatal(err)
		}
		if id <= last {
			t.Fatalf("id %d reused after reopen (last %d)", id, last)
		}
	})
}

func TestActiveExpiryDeletesUnreadKeys(t *testing.T) {
	e := openTest(t, Options{Shards: 2})
	at := time.Now().Add(150 * time.Millisecond).UnixMilli()
	for i := 0; i < 300; i++ {
		setString(t, e, 0, fmt.Sprintf("tmp:%d", i), "x", at)
	}
	setString(t, e, 0, "keep", "x", 0)
	if e.DBExpires(0) != 300 {
		t.Fatalf("DBExpires = %d, want 300", e.DBExpires(0))
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.DBSize(0) != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if e.DBSize(0) != 1 || e.DBExpires(0) != 0 {
		t.Fatalf("after expiry DBSize = %d, DBExpires = %d; want 1, 0", e.DBSize(0), e.DBExpires(0))
	}
	if got := e.Stats().ExpiredKeys.Load(); got != 300 {
		t.Fatalf("expired_keys = %d, want 300", got)
	}
}

func TestFlushDBLeavesOtherDBs(t *testing.T) {
	e := openTest(t, Options{Shards: 2})
	for i := 0; i < 50; i++ {
		setString(t, e, 0, fmt.Sprintf("a%d", i), "x", 0)
		setString(t, e, 1, fmt.Sprintf("b%d", i), "y", 0)
	}
	doAll(t, e, func(tx *Tx) {
		if err := tx.FlushDB(0); err != nil {
			t.Fatal(err)
		}
	})
	if e.DBSize(0) != 0 || e.DBSize(1) != 50 {
		t.Fatalf("DBSize = %d, %d; want 0, 50", e.DBSize(0), e.DBSize(1))
	}
	if _, ok := getString(t, e, 0, "a1"); ok {
		t.Fatal("a1 survived FLUSHDB")
	}
	if v, ok := getString(t, e, 1, "b1"); !ok || v != "y" {
		t.Fatal("b1 lost by FLUSHDB of db 0")
	}
	setString(t, e, 0, "new", "z", 0)
	if e.DBSize(0) != 1 {
		t.Fatalf("DBSize(0) = %d after a write following FLUSHDB", e.DBSize(0))
	}
}

func TestSlotHashTags(t *testing.T) {
	cases := map[string]uint16{"123456789": 0x31C3 & (NumSlots - 1), "{user1000}.following": Slot([]byte("user1000")), "foo{}{bar}": Slot([]byte("foo{}{bar}"))}
	for k, want := range cases {
		if got := Slot([]byte(k)); got != want {
			t.Errorf("Slot(%q) = %d, want %d", k, got, want)
		}
	}
	if Slot([]byte("{a}x")) != Slot([]byte("{a}y")) {
		t.Error("hash tag ignored")
	}
}

func TestScoreEncodingOrder(t *testing.T) {
	vals := []float64{-1e300, -5, -1, -0.5, 0, 0.25, 1, 3, 1e300}
	for i := 1; i < len(vals); i++ {
		a, b := EncodeScore(nil, vals[i-1]), EncodeScore(nil, vals[i])
		if string(a) >= string(b) {
			t.Errorf("order broken between %v and %v", vals[i-1], vals[i])
		}
		if DecodeScore(b) != vals[i] {
			t.Errorf("round trip of %v", vals[i])
		}
	}
}

// TestRepeatedWritesOfAKeyCoalesce queues many SETs of one key into one
// group: RocksDB receives the key once.
func TestRepeatedWritesOfAKeyCoalesce(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	setString(t, e, 0, "hot", "0", 0) // the key exists: later SETs add no counter writes
	before := e.Stats().Entries.Load()
	const n = 300
	tasks := make([]*fnTask, n)
	for i := range tasks {
		v := fmt.Sprint(i)
		tasks[i] = newTask(func(tx *Tx) {
			m, _, _ := tx.Lookup(0, []byte("hot"))
			tx.SetString(0, []byte("hot"), []byte(v), 0, &m)
		})
	}
	// Hold the shard with a slow task so the SETs queue up as one group.
	gate := make(chan struct{})
	block := newTask(func(tx *Tx) { <-gate })
	e.Submit(0, block)
	for _, task := range tasks {
		e.Submit(0, task)
	}
	close(gate)
	<-block.done
	for _, task := range tasks {
		if err := <-task.done; err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := getString(t, e, 0, "hot"); v != fmt.Sprint(n-1) {
		t.Fatalf("hot = %q, want the last write", v)
	}
	if got := e.Stats().Entries.Load() - before; got > 5 {
		t.Fatalf("%d SETs of one key wrote %d records to RocksDB; want them coalesced", n, got)
	}
}

// BenchmarkSETRandomKeys: SET of 100-byte values to random keys of a
// 1,000,000-key space through one shard, 64 commands in flight, the
// memtable growing as in a real run (the cost DESIGN.md §9 measures).
func BenchmarkSETRandomKeys(b *testing.B) {
	e := openTest(b, Options{Shards: 1, HotCacheSize: -1})
	val := make([]byte, 100)
	r := rand.New(rand.NewPCG(1, 2))
	key := make([]byte, 0, 32)
	benchTasks(b, e, []byte("x"), func(tx *Tx) {
		key = fmt.Appendf(key[:0], "key:%012d", r.IntN(1_000_000))
		m, found, _ := tx.Lookup(0, key)
		var old *Meta
		if found {
			old = &m
		}
		tx.SetString(0, key, val, 0, old)
	})
}
