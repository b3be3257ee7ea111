package compat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/store/command/testkit"
)

// keysOnShards returns one key per shard (shards > 1), named prefix:n.
func keysOnShards(prefix string, shards int) []string {
	keys := make([]string, shards)
	found := 0
	for i := 0; found < shards; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		sh := int(store.Slot([]byte(k))) % shards
		if keys[sh] == "" {
			keys[sh] = k
			found++
		}
	}
	return keys
}

// TestEVALIsAtomicAcrossShards: a script increments keys living on
// different shards while readers check, with MGET and with a script, that
// they never see some keys incremented and not others.
func TestEVALIsAtomicAcrossShards(t *testing.T) {
	const shards = 4
	s := testkit.Start(t, "--shards", fmt.Sprint(shards))
	ctx := context.Background()
	keys := keysOnShards("atomic", shards)
	c := client(t, s, 2)
	for _, k := range keys {
		c.Set(ctx, k, 0, 0)
	}
	incr := redis.NewScript(`for i, k in ipairs(KEYS) do redis.call('incr', k) end return #KEYS`)
	read := redis.NewScript(`local out = {} for i, k in ipairs(KEYS) do out[i] = redis.call('get', k) end return out`)
	const writers, each = 4, 150
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var checks atomic.Int64
	check := func(vals []any) {
		for _, v := range vals[1:] {
			if fmt.Sprint(v) != fmt.Sprint(vals[0]) {
				t.Errorf("partial view of a script's writes: %v", vals)
			}
		}
		checks.Add(1)
	}
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func(useScript bool) {
			defer readers.Done()
			rc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer rc.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var vals []any
				var err error
				if useScript {
					var res any
					res, err = read.Run(ctx, rc, keys).Result()
					if err == nil {
						vals = res.([]any)
					}
				} else {
					vals, err = rc.MGet(ctx, keys...).Result()
				}
				if err != nil {
					t.Error(err)
					return
				}
				check(vals)
			}
		}(r == 1)
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer wc.Close()
			for i := 0; i < each; i++ {
				if err := incr.Run(ctx, wc, keys).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	for _, k := range keys {
		if n, err := c.Get(ctx, k).Int(); err != nil || n != writers*each {
			t.Fatalf("%s = %d, %v; want %d", k, n, err, writers*each)
		}
	}
	if checks.Load() == 0 {
		t.Fatal("readers made no check")
	}
}

// TestScriptCanUseKeysItDidNotDeclare: standalone Redis lets a script use
// keys it did not declare. DiskDB runs it again with every shard held; the
// result must be as if it ran once, also under concurrent writers.
func TestScriptCanUseKeysItDidNotDeclare(t *testing.T) {
	const shards = 4
	s := testkit.Start(t, "--shards", fmt.Sprint(shards))
	ctx := context.Background()
	keys := keysOnShards("undeclared", shards)
	c := client(t, s, 2)
	// Declares only keys[0]; writes them all and publishes once.
	script := `
		redis.call('incr', KEYS[1])
		for i = 1, #ARGV do redis.call('incr', ARGV[i]) end
		redis.call('publish', 'done', 'x')
		return redis.call('get', ARGV[#ARGV])`
	sub := c.Subscribe(ctx, "done")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	args := make([]any, 0, len(keys)-1)
	for _, k := range keys[1:] {
		args = append(args, k)
	}
	const workers, each = 4, 50
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer wc.Close()
			for i := 0; i < each; i++ {
				if err := wc.Eval(ctx, script, keys[:1], args...).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if n, err := c.Get(ctx, k).Int(); err != nil || n != workers*each {
			t.Fatalf("%s = %d, %v; want %d (a retried script ran twice or not at all)", k, n, err, workers*each)
		}
	}
	got := 0
	ch := sub.Channel()
	timeout := time.After(5 * time.Second)
	for got < workers*each {
		select {
		case <-ch:
			got++
		case <-timeout:
			t.Fatalf("received %d messages, want %d", got, workers*each)
		}
	}
	select {
	case m := <-ch:
		t.Fatalf("a retried script published twice: extra %v", m)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestTimedoutReadOnlyScriptsCanBeKilledBySCRIPTKILL follows Redis's
// "Timedout read-only scripts can be killed by SCRIPT KILL".
func TestTimedoutReadOnlyScriptsCanBeKilledBySCRIPTKILL(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	if err := c.ConfigSet(ctx, "busy-reply-threshold", "100").Err(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		rc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, ReadTimeout: 30 * time.Second})
		defer rc.Close()
		done <- rc.Eval(ctx, "while true do end", nil).Err()
	}()
	other := s.Raw()
	busy := waitReply(t, other, "-BUSY", "PING")
	if busy != "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Fatalf("PING during a busy script = %q", busy)
	}
	if r, _ := other.Do("FUNCTION", "KILL"); string(r) != "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Fatalf("FUNCTION KILL of a script = %q", r)
	}
	if r, _ := other.Do("FUNCTION", "STATS"); !strings.Contains(string(r), "running_script") || !strings.Contains(string(r), "duration_ms") {
		t.Fatalf("FUNCTION STATS during a busy script = %q", r)
	}
	if r, _ := other.Do("SCRIPT", "KILL"); string(r) != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL = %q", r)
	}
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: ") {
			t.Fatalf("killed script's reply: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the script was not killed")
	}
	if r, _ := other.Do("PING"); string(r) != "+PONG\r\n" {
		t.Fatalf("PING after the kill = %q", r)
	}
	if r, _ := other.Do("SCRIPT", "KILL"); string(r) != "-NOTBUSY No scripts in execution right now.\r\n" {
		t.Fatalf("SCRIPT KILL with no script = %q", r)
	}
}

// TestTimedoutScriptThatWroteCannotBeKilled: a script that wrote is
// UNKILLABLE; it keeps running to its end.
func TestTimedoutScriptThatWroteCannotBeKilled(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.ConfigSet(ctx, "busy-reply-threshold", "100")
	done := make(chan error, 1)
	go func() {
		rc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, ReadTimeout: 30 * time.Second})
		defer rc.Close()
		done <- rc.Eval(ctx, `redis.call('set', KEYS[1], 'written')
			local t0 = tonumber(redis.call('time')[1])
			while tonumber(redis.call('time')[1]) < t0 + 2 do end
			return 'finished'`, []string{"w"}).Err()
	}()
	other := s.Raw()
	waitReply(t, other, "-BUSY", "PING")
	want := "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
	if r, _ := other.Do("SCRIPT", "KILL"); string(r) != want {
		t.Fatalf("SCRIPT KILL of a script that wrote = %q", r)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the script should have finished: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the script did not finish")
	}
	if v, _ := c.Get(ctx, "w").Result(); v != "written" {
		t.Fatalf("w = %q", v)
	}
}

// TestTimedoutFunctionCanBeKilledByFUNCTIONKILL: FUNCTION KILL stops a
// function; SCRIPT KILL refuses to.
func TestTimedoutFunctionCanBeKilledByFUNCTIONKILL(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	c.ConfigSet(ctx, "busy-reply-threshold", "100")
	if err := c.FunctionLoad(ctx, "#!lua name=loop\nredis.register_function('spin', function() while true do end end)").Err(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		rc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, ReadTimeout: 30 * time.Second})
		defer rc.Close()
		done <- rc.FCall(ctx, "spin", nil).Err()
	}()
	other := s.Raw()
	// PING first: it runs on the connection without waiting for a shard.
	// A keyed command sent before the function became busy would wait in
	// its shard's queue (where Redis would answer it -BUSY); once busy,
	// keyed commands are refused at once.
	waitReply(t, other, "-BUSY", "PING")
	busy := waitReply(t, other, "-BUSY", "GET", "x")
	if busy != "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Fatalf("GET during a busy function = %q", busy)
	}
	if r, _ := other.Do("SCRIPT", "KILL"); string(r) != "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Fatalf("SCRIPT KILL of a function = %q", r)
	}
	if r, _ := other.Do("FUNCTION", "KILL"); string(r) != "+OK\r\n" {
		t.Fatalf("FUNCTION KILL = %q", r)
	}
	select {
	case err := <-done:
		if err == nil || err.Error() != "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2." {
			t.Fatalf("killed function's reply: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the function was not killed")
	}
}

// waitReply sends args until the reply starts with prefix (for 10 s).
func waitReply(t *testing.T, c *testkit.Conn, prefix string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := c.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(r), prefix) {
			return string(r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v never replied %s (last %q)", args, prefix, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFunctionsSurviveKill9: libraries are durable once FUNCTION LOAD,
// DELETE and RESTORE reply.
func TestFunctionsSurviveKill9(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, MaxRetries: -1})
	for i := 0; i < 3; i++ {
		code := fmt.Sprintf("#!lua name=lib%d\nredis.register_function{function_name='f%d', callback=function(keys, args) return %d end, flags={'no-writes'}, description='d%d'}", i, i, i, i)
		if err := c.FunctionLoad(ctx, code).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.FunctionDelete(ctx, "lib1").Err(); err != nil {
		t.Fatal(err)
	}
	dump, err := c.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	s.Kill()
	s.Restart()
	c = client(t, s, 2)
	for i, want := range []any{int64(0), nil, int64(2)} {
		v, err := c.FCallRO(ctx, fmt.Sprintf("f%d", i), nil).Result()
		if want == nil {
			if err == nil || err.Error() != "ERR Function not found" {
				t.Fatalf("deleted f1 after restart: %v, %v", v, err)
			}
			continue
		}
		if err != nil || v != want {
			t.Fatalf("f%d after restart = %v, %v; want %v", i, v, err, want)
		}
	}
	libs, err := c.FunctionList(ctx, redis.FunctionListQuery{}).Result()
	if err != nil || len(libs) != 2 {
		t.Fatalf("FUNCTION LIST after restart: %v, %v", libs, err)
	}
	// FLUSH then RESTORE of the dump, across another crash.
	if err := c.FunctionFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.FunctionRestore(ctx, dump).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	s.Restart()
	c = client(t, s, 2)
	if v, err := c.FCall(ctx, "f2", nil).Result(); err != nil || v != int64(2) {
		t.Fatalf("f2 after RESTORE and restart = %v, %v", v, err)
	}
}

// TestFUNCTIONRESTOREOfARedisDump: a payload made by redis-server 7.0
// (compressed) restores in DiskDB and dumps back to something redis-server
// restores.
func TestFUNCTIONRESTOREOfARedisDump(t *testing.T) {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	ctx := context.Background()
	rc, dc := client(t, ref, 2), client(t, dut, 2)
	code := "#!lua name=big\n" + strings.Repeat("-- padding so that the RDB string is LZF compressed\n", 20) +
		"redis.register_function('big', function(keys, args) return 'big' end)"
	if err := rc.FunctionLoad(ctx, code).Err(); err != nil {
		t.Fatal(err)
	}
	dump, err := rc.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := dc.FunctionRestore(ctx, dump).Err(); err != nil {
		t.Fatalf("RESTORE of redis-server's dump: %v", err)
	}
	if v, err := dc.FCall(ctx, "big", nil).Result(); err != nil || v != "big" {
		t.Fatalf("FCALL big = %v, %v", v, err)
	}
	ours, err := dc.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Do(ctx, "FUNCTION", "RESTORE", ours, "REPLACE").Err(); err != nil {
		t.Fatalf("redis-server RESTORE of DiskDB's dump: %v", err)
	}
	if err := dc.FunctionRestore(ctx, ours).Err(); err == nil || err.Error() != "ERR Library big already exists" {
		t.Fatalf("RESTORE APPEND over an existing library: %v", err)
	}
}

// TestScriptInsideMULTI: EVAL and FCALL queue and run inside EXEC.
func TestScriptInsideMULTI(t *testing.T) {
	s := testkit.Start(t, "--shards", "4")
	ctx := context.Background()
	c := client(t, s, 2)
	c.FunctionLoad(ctx, "#!lua name=m\nredis.register_function('mincr', function(keys) return redis.call('incr', keys[1]) end)")
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"mk"})
		p.FCall(ctx, "mincr", []string{"mk"})
		p.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"mk"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := cmds[2].(*redis.Cmd).Val(); v != "2" {
		t.Fatalf("EXEC results: %v", cmds)
	}
	// A script in EXEC may use keys it did not declare, on any shard.
	keys := keysOnShards("mx", 4)
	cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Eval(ctx, "for i, k in ipairs(ARGV) do redis.call('set', k, 'v') end return #ARGV", []string{keys[0]}, keys[1], keys[2], keys[3])
		return nil
	})
	if err != nil || cmds[0].(*redis.Cmd).Val() != int64(3) {
		t.Fatalf("EXEC of a script with undeclared keys: %v, %v", cmds, err)
	}
	if n, err := c.Exists(ctx, keys[1:]...).Result(); err != nil || n != 3 {
		t.Fatalf("keys written by the script: %d, %v", n, err)
	}
}

// TestEVALSHAThroughput is a sanity check of the script path: many
// clients run a cached script; every call counts once and the rate is
// logged.
func TestEVALSHAThroughput(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	sha, err := c.ScriptLoad(ctx, "return redis.call('incr', KEYS[1])").Result()
	if err != nil {
		t.Fatal(err)
	}
	const clients, each, batch = 8, 2000, 50
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
			defer wc.Close()
			key := fmt.Sprintf("tp:%d", i%4)
			for n := 0; n < each; n += batch {
				_, err := wc.Pipelined(ctx, func(p redis.Pipeliner) error {
					for j := 0; j < batch; j++ {
						p.EvalSha(ctx, sha, []string{key})
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	d := time.Since(start)
	total := 0
	for i := 0; i < 4; i++ {
		n, _ := c.Get(ctx, fmt.Sprintf("tp:%d", i)).Int()
		total += n
	}
	if total != clients*each {
		t.Fatalf("counted %d calls, want %d", total, clients*each)
	}
	rate := float64(total) / d.Seconds()
	t.Logf("EVALSHA: %d calls in %v (%.0f/s)", total, d.Round(time.Millisecond), rate)
	if rate < 1000 {
		t.Fatalf("EVALSHA rate %.0f/s is far below what the script path should do", rate)
	}
}

// TestScriptErrorsKeepEarlierWrites: as in Redis, a script that fails
// after writing keeps its writes (scripts are atomic, not transactional).
func TestScriptErrorsKeepEarlierWrites(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := client(t, s, 2)
	err := c.Eval(ctx, "redis.call('set', KEYS[1], 'v') return redis.call('incr', KEYS[1])", []string{"kept"}).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR value is not an integer or out of range script: ") {
		t.Fatalf("err = %v", err)
	}
	if v, err := c.Get(ctx, "kept").Result(); err != nil || v != "v" {
		t.Fatalf("kept = %q, %v", v, err)
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("not a Redis error reply: %T", err)
	}
}
