package compat

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

func client(t *testing.T, s *testkit.Server, protocol int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: protocol, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSETAndGETAnItem(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	for _, p := range []int{2, 3} {
		c := client(t, s, p)
		if err := c.Set(ctx, "x", "foobar", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctx, "x").Result(); err != nil || v != "foobar" {
			t.Fatalf("RESP%d GET = %q, %v", p, v, err)
		}
	}
}

func TestConcurrentINCRIsExact(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	const clients, each = 200, 50
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1, DisableIdentity: true})
			defer c.Close()
			for j := 0; j < each; j++ {
				if err := c.Incr(ctx, "counter").Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	c := client(t, s, 2)
	if n, err := c.Get(ctx, "counter").Int(); err != nil || n != clients*each {
		t.Fatalf("counter = %d, %v; want %d", n, err, clients*each)
	}
}

func TestDataSurvivesKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	for i := 0; i < 100; i++ {
		if err := c.Set(ctx, "k"+string(rune('a'+i%26))+string(rune('0'+i/26)), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s.Kill()
	s.Restart()
	c2 := client(t, s, 2)
	if n, err := c2.DBSize(ctx).Result(); err != nil || n != 100 {
		t.Fatalf("DBSIZE after kill -9 = %d, %v; want 100", n, err)
	}
}
