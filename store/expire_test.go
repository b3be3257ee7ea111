package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// funcTask runs fn on the shards it is submitted to and signals when its
// group is committed.
type funcTask struct {
	fn     func(tx *Tx)
	failed any
	err    error
	done   chan struct{}
}

// failure is how a check inside a task fails: t.Fatal must not run on a
// shard goroutine, so failf panics and runAll reports it on the test's.
type failure string

func failf(format string, args ...any) { panic(failure(fmt.Sprintf(format, args...))) }

func (t *funcTask) Run(tx *Tx) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(failure); !ok {
				r = fmt.Sprintf("panic: %v", r)
			}
			t.failed = r
		}
	}()
	t.fn(tx)
}

func (t *funcTask) Done(err error) { t.err = err; close(t.done) }

// runAll runs fn with every shard held and waits for its commit. Checks in
// fn fail with failf.
func runAll(t *testing.T, e *Engine, fn func(tx *Tx)) {
	t.Helper()
	task := &funcTask{fn: fn, done: make(chan struct{})}
	e.SubmitAll(task)
	<-task.done
	if task.failed != nil {
		t.Fatal(task.failed)
	}
	if task.err != nil {
		t.Fatal(task.err)
	}
}

func openKeysTest(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(Options{Dir: dir, Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type eventLog struct {
	mu     sync.Mutex
	events map[string]int
}

func (l *eventLog) add(db int, name string, key []byte) {
	l.mu.Lock()
	l.events[fmt.Sprintf("%d:%s:%s", db, name, key)]++
	l.mu.Unlock()
}

func (l *eventLog) count(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k, v := range l.events {
		if strings.Contains(k, ":"+name+":") {
			n += v
		}
	}
	return n
}

// TestActiveExpiryDeletesUnreadKeys: keys nobody reads leave the counters
// on time, each with one "expired" event.
func TestActiveExpiryDeletesUnreadKeysAndFiresEvents(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	log := &eventLog{events: map[string]int{}}
	e.SetNotify(log.add)
	const n = 500
	runAll(t, e, func(tx *Tx) {
		for i := 0; i < n; i++ {
			tx.SetString(0, []byte(fmt.Sprint("k", i)), []byte("v"), tx.Now()+100, nil)
			tx.SetString(1, []byte(fmt.Sprint("k", i)), []byte("v"), 0, nil)
		}
	})
	if e.DBSize(0) != n || e.DBExpires(0) != n {
		t.Fatalf("db0: %d keys, %d expires; want %d, %d", e.DBSize(0), e.DBExpires(0), n, n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for e.DBSize(0) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if e.DBSize(0) != 0 || e.DBExpires(0) != 0 {
		t.Fatalf("db0 after the TTL: %d keys, %d expires", e.DBSize(0), e.DBExpires(0))
	}
	if e.DBSize(1) != n {
		t.Fatalf("db1 lost keys: %d", e.DBSize(1))
	}
	if got := e.Stats().ExpiredKeys.Load(); got != n {
		t.Fatalf("ExpiredKeys = %d, want %d", got, n)
	}
	if got := log.count("expired"); got != n {
		t.Fatalf("%d expired events, want %d", got, n)
	}
	// The index is empty again.
	it := e.newIter(CFExpire, nil, nil)
	defer it.Close()
	if it.SeekToFirst(); it.Valid() {
		t.Fatal("expire index still holds entries")
	}
}

// TestStaleExpireEntryKeepsNewKey: after FLUSHDB (which leaves the index
// entries behind) a key re-created without TTL is not deleted when its old
// expiry comes, and one re-created with another TTL lives until that TTL.
func TestStaleExpireEntryKeepsNewKey(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("a"), []byte("v"), tx.Now()+100, nil)
		tx.SetString(0, []byte("b"), []byte("v"), tx.Now()+100, nil)
	})
	runAll(t, e, func(tx *Tx) {
		if err := tx.FlushDB(0); err != nil {
			failf("%v", err)
		}
	})
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("a"), []byte("new"), 0, nil)
		tx.SetString(0, []byte("b"), []byte("new"), tx.Now()+600, nil)
	})
	time.Sleep(400 * time.Millisecond)
	runAll(t, e, func(tx *Tx) {
		for _, k := range []string{"a", "b"} {
			if v, ok, err := tx.GetString(0, []byte(k)); err != nil || !ok || string(v) != "new" {
				failf("%s = %q, %v, %v after its stale expiry", k, v, ok, err)
			}
		}
	})
	if e.DBSize(0) != 2 || e.DBExpires(0) != 1 {
		t.Fatalf("db0: %d keys, %d expires; want 2, 1", e.DBSize(0), e.DBExpires(0))
	}
	time.Sleep(500 * time.Millisecond)
	if e.DBSize(0) != 1 || e.DBExpires(0) != 0 {
		t.Fatalf("db0 after b's TTL: %d keys, %d expires; want 1, 0", e.DBSize(0), e.DBExpires(0))
	}
}

// TestRenameAndMoveKeepExpiry: the TTL follows the key through RENAME and
// MOVE (the index entry is re-pointed) and fires under the new name.
func TestRenameAndMoveKeepExpiry(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	log := &eventLog{events: map[string]int{}}
	e.SetNotify(log.add)
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("src"), []byte("v"), tx.Now()+200, nil)
		tx.SetString(0, []byte("mv"), []byte("v"), tx.Now()+200, nil)
		tx.SetString(0, []byte("cp"), []byte("v"), tx.Now()+200, nil)
	})
	runAll(t, e, func(tx *Tx) {
		if ok, err := tx.Rename(0, []byte("src"), []byte("{other}dst"), false); !ok || err != nil {
			failf("Rename: %v %v", ok, err)
		}
		if ok, err := tx.Move(0, []byte("mv"), 3); !ok || err != nil {
			failf("Move: %v %v", ok, err)
		}
		if ok, err := tx.Copy(0, []byte("cp"), 4, []byte("cp2"), false); !ok || err != nil {
			failf("Copy: %v %v", ok, err)
		}
	})
	if e.DBExpires(0) != 2 || e.DBExpires(3) != 1 || e.DBExpires(4) != 1 {
		t.Fatalf("expires: db0 %d db3 %d db4 %d", e.DBExpires(0), e.DBExpires(3), e.DBExpires(4))
	}
	deadline := time.Now().Add(2 * time.Second)
	for e.DBSize(0)+e.DBSize(3)+e.DBSize(4) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, ev := range []string{"0:expired:{other}dst", "3:expired:mv", "0:expired:cp", "4:expired:cp2"} {
		log.mu.Lock()
		n := log.events[ev]
		log.mu.Unlock()
		if n != 1 {
			t.Fatalf("event %s seen %d times; all: %v", ev, n, log.events)
		}
	}
}

// TestExpiryAfterReopen: the index is on disk; keys that came due while the
// engine was closed are removed after it opens.
func TestExpiryAfterReopen(t *testing.T) {
	dir := t.TempDir()
	e := openKeysTest(t, dir)
	runAll(t, e, func(tx *Tx) {
		tx.SetString(0, []byte("soon"), []byte("v"), tx.Now()+150, nil)
		tx.SetString(0, []byte("later"), []byte("v"), tx.Now()+3_600_000, nil)
	})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	e = openKeysTest(t, dir)
	defer e.Close()
	deadline := time.Now().Add(2 * time.Second)
	for e.DBSize(0) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if e.DBSize(0) != 1 || e.DBExpires(0) != 1 {
		t.Fatalf("after reopen: %d keys, %d expires; want 1, 1", e.DBSize(0), e.DBExpires(0))
	}
}

func TestRandomKeySkipsExpired(t *testing.T) {
	e := openKeysTest(t, t.TempDir())
	defer e.Close()
	runAll(t, e, func(tx *Tx) {
		for i := 0; i < 300; i++ {
			tx.SetString(0, []byte(fmt.Sprint("dead", i)), []byte("v"), tx.Now()+20, nil)
		}
		tx.SetString(0, []byte("alive"), []byte("v"), 0, nil)
	})
	time.Sleep(30 * time.Millisecond)
	runAll(t, e, func(tx *Tx) {
		tx.RefreshNow()
		for i := 0; i < 20; i++ {
			k, ok, err := tx.RandomKey(0)
			if err != nil || !ok || string(k) != "alive" {
				failf("RandomKey = %q, %v, %v", k, ok, err)
			}
		}
		if _, ok, _ := tx.RandomKey(5); ok {
			failf("RandomKey of an empty db found a key")
		}
	})
}
