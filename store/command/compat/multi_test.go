package compat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

func TestEXECFailsIfThereAreErrorsWhileQueueing(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	for _, step := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"SET", "foo1", "bar1"}, "+QUEUED\r\n"},
		{[]string{"SET"}, "-ERR wrong number of arguments for 'set' command\r\n"},
		{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{[]string{"EXISTS", "foo1"}, ":0\r\n"},
	} {
		got, err := c.Do(step.cmd...)
		if err != nil || string(got) != step.want {
			t.Fatalf("%v = %q, %v; want %q", step.cmd, got, err, step.want)
		}
	}
}

func TestEXECFailsIfAWatchedKeyIsModifiedByAnotherClient(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	a, b := client(t, s, 2), client(t, s, 2)
	a.Set(ctx, "x", 30, 0)
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		if err := b.Set(ctx, "x", 40, 0).Err(); err != nil { // another client
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, "x")
			return nil
		})
		return err
	}, "x")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a concurrent change: err = %v, want TxFailedErr", err)
	}
	if v, _ := a.Get(ctx, "x").Int(); v != 40 {
		t.Fatalf("x = %d, want 40", v)
	}
}

func TestEXECFailsIfAWatchedKeyExpires(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw()
	steps := [][]string{{"SET", "x", "foo", "PX", "100"}, {"WATCH", "x"}}
	for _, st := range steps {
		if _, err := c.Do(st...); err != nil {
			t.Fatal(err)
		}
	}
	waitMs(150)
	for _, st := range [][]string{{"MULTI"}, {"PING"}} {
		if _, err := c.Do(st...); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := c.Do("EXEC")
	if string(got) != "*-1\r\n" {
		t.Fatalf("EXEC after the watched key expired = %q, want *-1", got)
	}
}

// TestTransactionsAreAtomicAcrossShards moves money between accounts whose
// keys live on different shards while a reader checks the total with MGET.
func TestTransactionsAreAtomicAcrossShards(t *testing.T) {
	s := testkit.Start(t, "--shards", "4")
	ctx := context.Background()
	c := client(t, s, 2)
	const n = 8
	var keys []string
	for i := 0; i < n; i++ {
		keys = append(keys, fmt.Sprintf("acct:%d", i))
		c.Set(ctx, keys[i], 100, 0)
	}
	var wg, reader sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			cl := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer cl.Close()
			for i := 0; i < 200; i++ {
				a, b := keys[r.IntN(n)], keys[r.IntN(n)]
				if a == b {
					continue
				}
				if _, err := cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.DecrBy(ctx, a, 3)
					p.IncrBy(ctx, b, 3)
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}(uint64(w))
	}
	reader.Add(1)
	go func() {
		defer reader.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			vals, err := c.MGet(ctx, keys...).Result()
			if err != nil {
				t.Error(err)
				return
			}
			sum := 0
			for _, v := range vals {
				var x int
				fmt.Sscan(v.(string), &x)
				sum += x
			}
			if sum != n*100 {
				t.Errorf("a reader saw a partial transaction: sum = %d", sum)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	reader.Wait()
}
