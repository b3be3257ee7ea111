package compat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// TestAsynqProcessesEveryTaskAcrossAKill9 runs hibiken/asynq (a job queue
// built on Lua scripts, lists, sorted sets and sets) against DiskDB: 2000
// tasks enqueued, processed by 4 workers, and DiskDB killed with SIGKILL
// and restarted while they work. asynq promises at-least-once processing:
// every task must run, none may be lost.
func TestAsynqProcessesEveryTaskAcrossAKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	s := testkit.Start(t)
	// asynq needs sorted sets, sets and EXPIREAT besides scripts.
	probe := s.Raw()
	for _, cmd := range [][]string{{"ZCARD", "probe"}, {"SCARD", "probe"}, {"EXPIREAT", "probe", "0"}} {
		if r, err := probe.Do(cmd...); err != nil || bytes.HasPrefix(r, []byte("-ERR unknown command")) {
			t.Skipf("this build lacks %s: %q, %v", cmd[0], r, err)
		}
	}
	opt := asynq.RedisClientOpt{Addr: s.Addr, DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	const tasks = 2000

	cl := asynq.NewClient(opt)
	defer cl.Close()
	for i := 0; i < tasks; i++ {
		task := asynq.NewTask("count", []byte(fmt.Sprint(i)))
		if _, err := cl.Enqueue(task, asynq.TaskID(fmt.Sprintf("task-%d", i)), asynq.MaxRetry(50)); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}

	insp := asynq.NewInspector(opt)
	defer insp.Close()
	if info, err := insp.GetQueueInfo("default"); err != nil || info.Pending != tasks || info.MemoryUsage <= 0 {
		t.Fatalf("queue before processing: %+v, %v", info, err)
	}

	var mu sync.Mutex
	runs := make(map[string]int, tasks)
	var processed atomic.Int64
	mux := asynq.NewServeMux()
	mux.HandleFunc("count", func(ctx context.Context, task *asynq.Task) error {
		time.Sleep(time.Millisecond)
		mu.Lock()
		runs[string(task.Payload())]++
		mu.Unlock()
		processed.Add(1)
		return nil
	})
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:              4,
		TaskCheckInterval:        50 * time.Millisecond,
		DelayedTaskCheckInterval: 200 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
		Logger:                   quietLogger{log.New(io.Discard, "", 0)},
		ShutdownTimeout:          5 * time.Second,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	// Kill DiskDB in the middle of the work, then bring it back.
	deadline := time.Now().Add(60 * time.Second)
	for processed.Load() < tasks/3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d tasks processed before the kill", processed.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := processed.Load()
	s.Kill()
	time.Sleep(300 * time.Millisecond)
	s.Restart()
	t.Logf("killed DiskDB after %d tasks, restarted", before)

	// Tasks whose dequeue reply was lost in the crash come back once their
	// lease expires (asynq's recoverer: 30 s lease, then 30 s more).
	deadline = time.Now().Add(150 * time.Second)
	for {
		mu.Lock()
		done := len(runs)
		mu.Unlock()
		if done == tasks {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			var missing []int
			for i := 0; i < tasks && len(missing) < 20; i++ {
				if runs[fmt.Sprint(i)] == 0 {
					missing = append(missing, i)
				}
			}
			mu.Unlock()
			t.Fatalf("%d of %d tasks ran; missing (first 20): %v\nserver log:\n%s", done, tasks, missing, s.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	twice := 0
	mu.Lock()
	for _, n := range runs {
		if n > 1 {
			twice++
		}
	}
	mu.Unlock()
	t.Logf("all %d tasks ran (%d more than once, as at-least-once allows)", tasks, twice)

	// The queue drains: nothing pending, active or retrying is left.
	deadline = time.Now().Add(30 * time.Second)
	for {
		info, err := insp.GetQueueInfo("default")
		if err == nil && info.Pending == 0 && info.Active == 0 && info.Retry == 0 && info.Scheduled == 0 {
			if info.Archived != 0 {
				t.Fatalf("archived tasks: %+v", info)
			}
			t.Logf("queue: %d processed, memory usage %d bytes", info.Processed, info.MemoryUsage)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue did not drain: %+v, %v", info, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// quietLogger drops asynq's logs (connection errors are expected while
// DiskDB is down).
type quietLogger struct{ l *log.Logger }

func (q quietLogger) Debug(args ...any) {}
func (q quietLogger) Info(args ...any)  {}
func (q quietLogger) Warn(args ...any)  {}
func (q quietLogger) Error(args ...any) {}
func (q quietLogger) Fatal(args ...any) { q.l.Fatal(args...) }
