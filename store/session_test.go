package store

import (
	"fmt"
	"testing"
)

// txSet writes a string of db 0 inside a task.
func txSet(t *testing.T, tx *Tx, key, val string) { txSetString(t, tx, 0, key, val, 0) }

func txGet(t *testing.T, tx *Tx, key string) (string, bool) {
	t.Helper()
	b, ok, err := tx.GetString(0, []byte(key))
	if err != nil {
		t.Error(err)
	}
	return string(b), ok
}

func txHSet(t *testing.T, tx *Tx, key, field, val string) {
	t.Helper()
	h, err := tx.OpenHash(0, []byte(key))
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := h.Set([]byte(field), []byte(val)); err != nil {
		t.Error(err)
	}
	h.Save()
}

func txHGet(t *testing.T, tx *Tx, key, field string) (string, bool) {
	t.Helper()
	h, err := tx.OpenHash(0, []byte(key))
	if err != nil {
		t.Error(err)
		return "", false
	}
	v, ok, err := h.Get([]byte(field))
	if err != nil {
		t.Error(err)
	}
	return string(v), ok
}

// TestSessionRollsBackOneTask: a task of a session that must be redone
// elsewhere (it needed the disk) is undone alone: the task before it in the
// same group keeps its writes and commits, the shard is released for the
// redo, the task after it sees none of its writes, and the key counts are
// exact.
func TestSessionRollsBackOneTask(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	setString(t, e, 0, "k0", "old", 0)
	ss := e.NewSession()

	a := newTask(func(tx *Tx) {
		txSet(t, tx, "a", "1")
		txHSet(t, tx, "h", "f1", "v1")
		txSet(t, tx, "k0", "new")
	})
	if !ss.TryRun(0, a, true) {
		t.Fatal("task a did not run inline")
	}
	select {
	case <-a.done:
		t.Fatal("task a completed before Flush")
	default:
	}

	b := newTask(func(tx *Tx) {
		txSet(t, tx, "a", "2")
		txSet(t, tx, "b", "x")
		txHSet(t, tx, "h", "f2", "v2")
		txHSet(t, tx, "h2", "g", "w")
		if v, ok := txHGet(t, tx, "h", "f2"); !ok || v != "v2" {
			t.Errorf("b's own hash write: %q %v", v, ok) // indexes its element writes
		}
		tx.aborted = true // as a read that missed memory does
	})
	if ss.TryRun(0, b, true) {
		t.Fatal("aborted task b reported as run")
	}
	// b goes to the shard goroutine: the session commits what it held on
	// that shard (a) and lets it go at once.
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}

	var seen []string
	c := newTask(func(tx *Tx) {
		// Enough writes to reuse the arena space b's writes took.
		for i := 0; i < 64; i++ {
			txSet(t, tx, fmt.Sprintf("c%02d-%s", i, "padding-padding-padding"), "v")
		}
		for _, k := range []string{"a", "b", "k0"} {
			v, ok := txGet(t, tx, k)
			seen = append(seen, fmt.Sprintf("%s=%q/%v", k, v, ok))
		}
		for _, f := range []string{"f1", "f2"} {
			v, ok := txHGet(t, tx, "h", f)
			seen = append(seen, fmt.Sprintf("h.%s=%q/%v", f, v, ok))
		}
		_, ok := txHGet(t, tx, "h2", "g")
		seen = append(seen, fmt.Sprintf("h2=%v", ok))
		txSet(t, tx, "a", "3") // the metadata index still finds a's entry
	})
	if !ss.TryRun(0, c, true) {
		t.Fatal("task c did not run inline")
	}
	want := `[a="1"/true b=""/false k0="new"/true h.f1="v1"/true h.f2=""/false h2=false]`
	if got := fmt.Sprint(seen); got != want {
		t.Fatalf("task c saw %s, want %s", got, want)
	}

	commits := e.stats.Commits.Load()
	ss.Flush()
	if n := e.stats.Commits.Load() - commits; n != 1 {
		t.Fatalf("Flush made %d commits, want 1", n)
	}
	if err := <-c.done; err != nil {
		t.Fatal(err)
	}
	if v, ok := getString(t, e, 0, "a"); !ok || v != "3" {
		t.Fatalf("a = %q %v after Flush", v, ok)
	}
	if _, ok := getString(t, e, 0, "b"); ok {
		t.Fatal("b, written only by the undone task, exists")
	}
	do(t, e, "h", func(tx *Tx) {
		if _, ok := txHGet(t, tx, "h", "f2"); ok {
			t.Error("h.f2, written only by the undone task, exists")
		}
	})
	// k0, a, h and the 64 c keys.
	if n := e.DBSize(0); n != 67 {
		t.Fatalf("DBSize = %d, want 67", n)
	}
	// The shard is free again: its own goroutine runs the redone task.
	e.Submit(0, b)
	if err := <-b.done; err != nil {
		t.Fatal(err)
	}
}

// TestSessionHoldsTheShardUntilFlush: while a session holds a shard, work
// submitted to it waits, and Flush lets it run.
func TestSessionHoldsTheShardUntilFlush(t *testing.T) {
	e := openTest(t, Options{Shards: 1})
	ss := e.NewSession()
	if !ss.TryRun(0, newTask(func(tx *Tx) { txSet(t, tx, "x", "1") }), true) {
		t.Fatal("did not run inline")
	}
	if e.TryRun(0, newTask(func(tx *Tx) {}), true) {
		t.Fatal("another runner got the held shard")
	}
	other := newTask(func(tx *Tx) {
		if v, _ := txGet(t, tx, "x"); v != "1" {
			t.Errorf("queued task saw x = %q, want the session's committed 1", v)
		}
	})
	e.Submit(0, other)
	select {
	case <-other.done:
		t.Fatal("queued task ran while the session held the shard")
	default:
	}
	ss.Flush()
	if err := <-other.done; err != nil {
		t.Fatal(err)
	}
}
