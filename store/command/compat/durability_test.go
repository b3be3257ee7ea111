package compat

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Durability: whatever the fsync policy, a write whose reply reached the
// client survives kill -9 of the server (the WAL is written before the
// reply; only an OS crash may lose the last second with everysec or no).

// ackLog is what one writer knows: the SETs and INCRs the server
// acknowledged, and how many INCRs it sent at all, for the counter all
// writers share and for its own.
type ackLog struct {
	sets                    map[string]string // key -> acknowledged value
	sharedAcked, sharedSent int64
	ownAcked, ownSent       int64
}

func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	for _, mode := range []string{"always", "everysec", "no"} {
		t.Run("fsync "+mode, func(t *testing.T) {
			s := testkit.Start(t, "--fsync", mode)
			const writers = 20
			logs := make([]*ackLog, writers)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				logs[w] = &ackLog{sets: map[string]string{}}
				wg.Add(1)
				if w%2 == 0 {
					go func() { defer wg.Done(); writeSingle(s.Addr, w, logs[w], stop) }()
				} else {
					go func() { defer wg.Done(); writePipelined(s.Addr, w, logs[w], stop) }()
				}
			}
			// Kill at a random moment while every writer is busy.
			rng := rand.New(rand.NewSource(time.Now().UnixNano()))
			time.Sleep(time.Duration(400+rng.Intn(800)) * time.Millisecond)
			s.Kill()
			close(stop)
			wg.Wait()

			var acked, sent, sets int64
			for _, l := range logs {
				acked += l.sharedAcked
				sent += l.sharedSent
				sets += int64(len(l.sets))
			}
			if acked == 0 || sets == 0 {
				t.Fatalf("nothing was acknowledged before the kill (%d INCR, %d SET)", acked, sets)
			}
			t.Logf("fsync %s: %d SET keys and %d INCRs acknowledged (%d INCRs sent) before kill -9", mode, sets, acked, sent)

			s.Restart()
			ctx := context.Background()
			c := client(t, s, 2)
			total, err := c.Get(ctx, "dur:counter").Int64()
			if err != nil {
				t.Fatalf("shared counter after restart: %v", err)
			}
			if total < acked || total > sent {
				t.Fatalf("shared counter = %d after restart; %d acknowledged, %d sent", total, acked, sent)
			}
			lost := 0
			for w, l := range logs {
				n, err := c.Get(ctx, "dur:counter:"+strconv.Itoa(w)).Int64()
				if err != nil && err != redis.Nil {
					t.Fatal(err)
				}
				if n < l.ownAcked || n > l.ownSent {
					t.Errorf("writer %d counter = %d; %d acknowledged, %d sent", w, n, l.ownAcked, l.ownSent)
				}
				keys := make([]string, 0, len(l.sets))
				for k := range l.sets {
					keys = append(keys, k)
				}
				for i := 0; i < len(keys); i += 500 {
					batch := keys[i:min(i+500, len(keys))]
					vals, err := c.MGet(ctx, batch...).Result()
					if err != nil {
						t.Fatal(err)
					}
					for j, v := range vals {
						if v != l.sets[batch[j]] {
							lost++
							if lost <= 5 {
								t.Errorf("acknowledged SET %s = %q lost: have %v", batch[j], l.sets[batch[j]], v)
							}
						}
					}
				}
			}
			if lost > 0 {
				t.Fatalf("%d acknowledged SETs lost after kill -9 with fsync %s", lost, mode)
			}
		})
	}
}

// writeSingle sends one command at a time, each writer on its own keys
// (every key written once, so an acknowledged value is the final one).
func writeSingle(addr string, w int, l *ackLog, stop <-chan struct{}) {
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	defer c.Close()
	ctx := context.Background()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		key, val := fmt.Sprintf("dur:%d:%d", w, i), fmt.Sprintf("v%d-%d", w, i)
		if err := c.Set(ctx, key, val, 0).Err(); err != nil {
			return
		}
		l.sets[key] = val
		l.sharedSent++
		if err := c.Incr(ctx, "dur:counter").Err(); err != nil {
			return // sent, maybe applied, not acknowledged
		}
		l.sharedAcked++
		l.ownSent++
		if err := c.Incr(ctx, "dur:counter:"+strconv.Itoa(w)).Err(); err != nil {
			return
		}
		l.ownAcked++
	}
}

// writePipelined sends pipelines of 30 commands (10 SET, INCR, INCR
// triples) and records each reply as it arrives.
func writePipelined(addr string, w int, l *ackLog, stop <-chan struct{}) {
	c, err := testkit.Dial(addr)
	if err != nil {
		return
	}
	defer c.Close()
	type op struct {
		key, val string // a SET, or an INCR when val == ""
		shared   bool   // an INCR of the shared counter
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		var ops []op
		var buf []byte
		for j := 0; j < 10; j++ {
			key, val := fmt.Sprintf("dur:%d:%d:%d", w, i, j), fmt.Sprintf("p%d-%d-%d", w, i, j)
			ops = append(ops, op{key, val, false}, op{"dur:counter", "", true}, op{"dur:counter:" + strconv.Itoa(w), "", false})
			buf = append(buf, testkit.Encode("SET", key, val)...)
			buf = append(buf, testkit.Encode("INCR", "dur:counter")...)
			buf = append(buf, testkit.Encode("INCR", "dur:counter:"+strconv.Itoa(w))...)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		// Count the INCRs as sent before writing: a partial write may
		// still deliver some.
		for _, o := range ops {
			switch {
			case o.shared:
				l.sharedSent++
			case o.val == "":
				l.ownSent++
			}
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
		for _, o := range ops {
			r, err := c.ReadReply()
			if err != nil {
				return
			}
			switch {
			case o.val != "" && string(r) == "+OK\r\n":
				l.sets[o.key] = o.val
			case o.val == "" && len(r) > 0 && r[0] == ':':
				if o.shared {
					l.sharedAcked++
				} else {
					l.ownAcked++
				}
			default:
				return
			}
		}
	}
}
