package compat

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// SWAPDB, titled after Redis's tests where they exist: blocked clients
// follow their logical database, keyspace events name logical databases,
// the swap survives a restart, and commands racing a stream of swaps lose
// nothing. Replies and errors are in testdata/diff/swapdb.txt.

func dbClient(t *testing.T, s *testkit.Server, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DB: db, PoolSize: 1, DisableIdentity: true, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSwapDB(t *testing.T) {
	s := testkit.Start(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(s.Logs())
		}
	})
	ctx := context.Background()
	c0, c1 := dbClient(t, s, 0), dbClient(t, s, 1)

	t.Run("SWAPDB awakes blocked client", func(t *testing.T) {
		c1.RPush(ctx, "k", "v1")
		blocked := dbClient(t, s, 0)
		got := make(chan []string, 1)
		go func() {
			r, _ := blocked.BRPop(ctx, 5*time.Second, "k").Result()
			got <- r
		}()
		time.Sleep(100 * time.Millisecond)
		select {
		case r := <-got:
			t.Fatalf("served before the swap: %v", r)
		default:
		}
		if err := c0.Do(ctx, "SWAPDB", 0, 1).Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-got:
			if len(r) != 2 || r[1] != "v1" {
				t.Fatalf("BRPOP = %v", r)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("the blocked client was not served after SWAPDB")
		}
		c0.Do(ctx, "SWAPDB", 0, 1)
	})

	t.Run("SWAPDB wants to wake blocked client, but the key already expired", func(t *testing.T) {
		c0.FlushAll(ctx)
		c1.RPush(ctx, "k", "v1")
		c1.PExpire(ctx, "k", 100*time.Millisecond)
		blocked := dbClient(t, s, 0)
		got := make(chan error, 1)
		go func() { got <- blocked.BRPop(ctx, time.Second, "k").Err() }()
		time.Sleep(200 * time.Millisecond)
		c0.Do(ctx, "SWAPDB", 0, 1)
		if err := <-got; err != redis.Nil {
			t.Fatalf("BRPOP = %v, want a timeout (the key had expired)", err)
		}
	})

	t.Run("A client blocked in db 1 keeps waiting in db 1 after the swap", func(t *testing.T) {
		c0.FlushAll(ctx)
		blocked := dbClient(t, s, 1)
		got := make(chan []string, 1)
		go func() {
			r, _ := blocked.BLPop(ctx, 5*time.Second, "q").Result()
			got <- r
		}()
		time.Sleep(100 * time.Millisecond)
		c0.Do(ctx, "SWAPDB", 0, 1)
		c0.RPush(ctx, "q", "in-db0")
		select {
		case r := <-got:
			t.Fatalf("a push to db 0 served a client blocked in db 1: %v", r)
		case <-time.After(200 * time.Millisecond):
		}
		c1.RPush(ctx, "q", "in-db1")
		select {
		case r := <-got:
			if len(r) != 2 || r[1] != "in-db1" {
				t.Fatalf("BLPOP = %v", r)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("not served by a push to its own db")
		}
		if n := c0.LLen(ctx, "q").Val(); n != 1 {
			t.Fatalf("db 0 list has %d elements, want 1", n)
		}
	})

	t.Run("SWAPDB is able to touch the watched keys that exist", func(t *testing.T) {
		c0.FlushAll(ctx)
		c0.Set(ctx, "x", "1", 0)
		w := dbClient(t, s, 0)
		err := w.Watch(ctx, func(tx *redis.Tx) error {
			c0.Do(ctx, "SWAPDB", 0, 1)
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Get(ctx, "x")
				return nil
			})
			return err
		}, "x")
		if err != redis.TxFailedErr {
			t.Fatalf("EXEC after SWAPDB of a watched db: %v, want the transaction to fail", err)
		}
	})

	t.Run("Keyspace events name the logical database", func(t *testing.T) {
		c0.FlushAll(ctx)
		c0.ConfigSet(ctx, "notify-keyspace-events", "KEA")
		defer c0.ConfigSet(ctx, "notify-keyspace-events", "")
		sub := dbClient(t, s, 0).PSubscribe(ctx, "__keyspace@*__:ev")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		c0.Do(ctx, "SWAPDB", 0, 7)
		c0.Set(ctx, "ev", "1", 0)
		dbClient(t, s, 7).Set(ctx, "ev", "2", 0)
		for _, want := range []string{"__keyspace@0__:ev", "__keyspace@7__:ev"} {
			m, err := sub.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.Channel != want || m.Payload != "set" {
				t.Fatalf("event %s %s, want %s set", m.Channel, m.Payload, want)
			}
		}
		c0.Do(ctx, "SWAPDB", 0, 7)
	})

	t.Run("INFO keyspace and DBSIZE follow the logical databases", func(t *testing.T) {
		c0.FlushAll(ctx)
		for i := 0; i < 5; i++ {
			c0.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
		}
		c0.Do(ctx, "SWAPDB", 0, 3)
		if n := c0.DBSize(ctx).Val(); n != 0 {
			t.Fatalf("DBSIZE db0 = %d", n)
		}
		if n := dbClient(t, s, 3).DBSize(ctx).Val(); n != 5 {
			t.Fatalf("DBSIZE db3 = %d", n)
		}
		if v := infoField(t, c0, "keyspace", "db3"); v != "keys=5,expires=0,avg_ttl=0" {
			t.Fatalf("INFO keyspace db3 = %q", v)
		}
		if v := infoField(t, c0, "keyspace", "db0"); v != "" {
			t.Fatalf("INFO keyspace db0 = %q", v)
		}
	})

	t.Run("SWAPDB survives a restart", func(t *testing.T) {
		c0.FlushAll(ctx)
		c0.Set(ctx, "persist", "db0-value", 0)
		c1.Set(ctx, "persist", "db1-value", 0)
		c0.Do(ctx, "SWAPDB", 0, 1)
		c0.Do(ctx, "SWAPDB", 1, 2)
		// Logical 0 now holds db1's data, 2 holds db0's, 1 is empty.
		s.Kill()
		s.Restart()
		for db, want := range map[int]string{0: "db1-value", 1: "", 2: "db0-value"} {
			if v := dbClient(t, s, db).Get(ctx, "persist").Val(); v != want {
				t.Fatalf("after restart db%d = %q, want %q", db, v, want)
			}
		}
	})

	t.Run("Commands racing a stream of swaps lose nothing", func(t *testing.T) {
		cl := dbClient(t, s, 0)
		cl.FlushAll(ctx)
		const workers, each, swaps = 8, 200, 100
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c := dbClient(t, s, 0)
				for i := 0; i < each; i++ {
					// A pipeline: the INCRs are queued around the swaps.
					p := c.Pipeline()
					p.Incr(ctx, "counter")
					p.SAdd(ctx, "seen:"+strconv.Itoa(w), i)
					if _, err := p.Exec(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		sw := dbClient(t, s, 0)
		for i := 0; i < swaps; i++ {
			if err := sw.Do(ctx, "SWAPDB", 0, 1).Err(); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		c1 := dbClient(t, s, 1)
		total := cl.IncrBy(ctx, "counter", 0).Val() + c1.IncrBy(ctx, "counter", 0).Val()
		if total != workers*each {
			t.Fatalf("counters sum to %d, want %d", total, workers*each)
		}
		for w := 0; w < workers; w++ {
			k := "seen:" + strconv.Itoa(w)
			if n := cl.SCard(ctx, k).Val() + c1.SCard(ctx, k).Val(); n < each {
				t.Fatalf("%s: %d members over both dbs, want at least %d", k, n, each)
			}
		}
	})
}
