package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// workload is one data type's part of the mixed load. step sends one
// operation through w (recording it in the model as pending before the
// send and acknowledged after the reply) and returns the error that stopped
// it; check reads the type's keys after a restart and compares them with
// the model, adopting the server's state once it is admitted.
type workload interface {
	step(ctx context.Context, w *worker) error
	check(ctx context.Context, c *redis.Client, now time.Time) []error
}

// workloads is the mixed load: every data type on main, with its weight.
// A new type is one entry here and one workload type below.
var workloads = []struct {
	name   string
	weight int
	make   func(prefix string) workload
}{
	{"strings", 3, newStrings},
	{"counter", 2, newCounter},
	{"shared-counter", 1, func(string) workload { return sharedCounter{} }},
	{"list", 2, newList},
	{"hash", 2, newHash},
	{"set", 2, newSet},
	{"zset", 2, newZset},
	{"json", 2, newJSON},
	{"multi", 2, newMulti},
	{"blocking", 1, newBlocking},
	{"bulk", 1, newBulk},
	{"stream", 2, newStream},
	{"eval", 1, newEval},
	{"bitmap", 2, newBitmap},
}

// worker is one client of the mixed load. Its keys start with its prefix,
// so its model is exact; it sends one operation at a time.
type worker struct {
	id      int
	prefix  string
	r       *rand.Rand
	c       *redis.Client // main connection
	c2      *redis.Client // second connection (blocking hand-offs)
	h       *harness
	loads   []workload
	names   []string
	total   int
	seq     int64
	ackN    int64   // operations acknowledged
	perLoad []int64 // operations acknowledged per workload
}

func newWorker(h *harness, id int) *worker {
	w := &worker{id: id, prefix: fmt.Sprintf("w%d:", id), r: rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano()))), h: h}
	for _, wl := range workloads {
		w.loads = append(w.loads, wl.make(w.prefix))
		w.names = append(w.names, wl.name)
		w.total += wl.weight
	}
	w.perLoad = make([]int64, len(workloads))
	return w
}

// pick returns the index of a workload chosen at random by weight.
func (w *worker) pick() int {
	n := w.r.IntN(w.total)
	for i, wl := range workloads {
		if n < wl.weight {
			return i
		}
		n -= wl.weight
	}
	return 0
}

// step runs one operation of a random workload, counting its
// acknowledgements per type.
func (w *worker) step(ctx context.Context) error {
	i := w.pick()
	before := w.ackN
	err := w.loads[i].step(ctx, w)
	w.perLoad[i] += w.ackN - before
	return err
}

func (w *worker) uniq() string {
	w.seq++
	return fmt.Sprintf("%d-%d", w.id, w.seq)
}

// sent and acked count operations for the report.
func (w *worker) sent()  { w.h.cnt.sent.Add(1) }
func (w *worker) acked() { w.h.cnt.ops.Add(1); w.ackN++ }

// reply classifies a command's outcome: a network error stops the worker
// (the server is being killed), an error reply is a failure of the test.
func (w *worker) reply(what string, err error) error {
	if err == nil || isNetErr(err) {
		return err
	}
	w.h.cnt.errs.Add(1)
	w.h.failf("%s: unexpected error reply: %v", what, err)
	return err
}

// wrong reports a reply that contradicts the acknowledged model: the server
// served wrong data while running.
func (w *worker) wrong(format string, args ...any) error {
	w.h.cnt.lost.Add(1)
	err := fmt.Errorf(format, args...)
	w.h.failf("%s", err)
	return err
}

// --- strings: SET with and without TTL, DEL, GET ---

type strState struct {
	present bool
	val     string
	lo, hi  int64 // TTL deadline window, unix ms (0: no TTL)
	// read-back fields (actual state only): the PTTL and the client's
	// clock just before the read was sent and just after its reply came
	// (the server's clock at the read lies between).
	pttl          int64
	before, after int64
}

type stringsLoad struct {
	keys []string
	m    []*tracked[strState]
}

const strKeys = 8

func newStrings(p string) workload {
	l := &stringsLoad{}
	for i := 0; i < strKeys; i++ {
		l.keys = append(l.keys, p+"s"+strconv.Itoa(i))
		l.m = append(l.m, &tracked[strState]{
			clone: func(s strState) strState { return s },
			equal: strAdmits,
			show:  func(s strState) string { return fmt.Sprintf("%+v", s) },
		})
	}
	return l
}

// strAdmits reports whether the read-back state a is admitted by the model
// state m, with 150 ms of slack on TTL deadlines.
func strAdmits(a, m strState) bool {
	const slack = 150
	if !m.present {
		return !a.present
	}
	if m.hi == 0 {
		return a.present && a.val == m.val && a.pttl == -1
	}
	if a.before > m.hi+slack {
		return !a.present
	}
	if !a.present {
		return a.after >= m.lo-slack
	}
	if a.pttl == -2 {
		// GET saw the key and the PTTL right after it did not: it
		// expired between the two reads, which the earliest deadline
		// must allow.
		return a.val == m.val && a.after >= m.lo-slack
	}
	// The server's deadline is its clock at the read plus the PTTL: at
	// least before+pttl, which must not pass the latest deadline the SET
	// could have set.
	// and at most after+pttl, which must not fall short of the earliest.
	return a.val == m.val && a.pttl > 0 && a.before+a.pttl <= m.hi+slack && a.after+a.pttl >= m.lo-slack
}

func (l *stringsLoad) step(ctx context.Context, w *worker) error {
	i := w.r.IntN(strKeys)
	k, t := l.keys[i], l.m[i]
	w.sent()
	switch op := w.r.IntN(10); {
	case op < 2: // GET: must serve the acknowledged value
		v, err := w.c.Get(ctx, k).Result()
		if errors.Is(err, redis.Nil) {
			err = nil
			v = "\x00nil"
		}
		if err := w.reply("GET", err); err != nil {
			return err
		}
		s := t.acked
		now := time.Now().UnixMilli()
		if s.hi != 0 && now >= s.lo-150 { // may have expired
			w.acked()
			return nil
		}
		if (s.present && v != s.val) || (!s.present && v != "\x00nil") {
			return w.wrong("GET %s = %q while the acknowledged value is %+v", k, v, s)
		}
	case op < 3:
		t.begin(func(strState) strState { return strState{} })
		if err := w.reply("DEL", w.c.Del(ctx, k).Err()); err != nil {
			return err
		}
		t.ack()
	default:
		v := "v" + w.uniq() + strings.Repeat("x", w.r.IntN(64))
		var ttl time.Duration
		switch w.r.IntN(4) {
		case 0:
			ttl = time.Duration(200+w.r.IntN(1300)) * time.Millisecond
		case 1:
			ttl = time.Hour
		}
		lo := time.Now().Add(ttl).UnixMilli()
		t.begin(func(strState) strState {
			s := strState{present: true, val: v}
			if ttl > 0 {
				s.lo, s.hi = lo, time.Now().Add(ttl).UnixMilli()
			}
			return s
		})
		if err := w.reply("SET", w.c.Set(ctx, k, v, ttl).Err()); err != nil {
			return err
		}
		t.ack()
	}
	w.acked()
	return nil
}

func (l *stringsLoad) check(ctx context.Context, c *redis.Client, now time.Time) []error {
	var errs []error
	for i, k := range l.keys {
		p := c.Pipeline()
		g := p.Get(ctx, k)
		pt := p.PTTL(ctx, k)
		before := time.Now().UnixMilli()
		_, _ = p.Exec(ctx)
		a := strState{before: before, after: time.Now().UnixMilli()}
		v, err := g.Result()
		switch {
		case err == nil:
			a.present, a.val = true, v
		case !errors.Is(err, redis.Nil):
			errs = append(errs, fmt.Errorf("GET %s: %v", k, err))
			continue
		}
		d, _ := pt.Result()
		a.pttl = int64(d / time.Millisecond)
		if d < 0 {
			a.pttl = int64(d / time.Nanosecond) // -1 / -2 as go-redis returns them
		}
		if err := l.m[i].resolve(a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", k, err))
			s := strState{present: a.present, val: a.val}
			if a.pttl > 0 {
				s.lo, s.hi = a.before+a.pttl, a.after+a.pttl
			}
			l.m[i].adopt(s)
		}
	}
	return errs
}

// --- counter: INCR / INCRBY on the worker's own key ---

type counterLoad struct {
	key string
	m   *tracked[int64]
}

func newCounter(p string) workload {
	return &counterLoad{key: p + "n", m: &tracked[int64]{
		clone: func(n int64) int64 { return n },
		equal: func(a, b int64) bool { return a == b },
		show:  func(n int64) string { return strconv.FormatInt(n, 10) },
	}}
}

func (l *counterLoad) step(ctx context.Context, w *worker) error {
	d := int64(1 + w.r.IntN(5))
	w.sent()
	l.m.begin(func(n int64) int64 { return n + d })
	var got int64
	var err error
	if d == 1 {
		got, err = w.c.Incr(ctx, l.key).Result()
	} else {
		got, err = w.c.IncrBy(ctx, l.key, d).Result()
	}
	if err := w.reply("INCR", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	if got != l.m.acked {
		return w.wrong("INCRBY %s %d replied %d, acknowledged total is %d", l.key, d, got, l.m.acked)
	}
	return nil
}

func (l *counterLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	n, err := c.Get(ctx, l.key).Int64()
	if errors.Is(err, redis.Nil) {
		n, err = 0, nil
	}
	if err != nil {
		return []error{fmt.Errorf("GET %s: %v", l.key, err)}
	}
	if err := l.m.resolve(n); err != nil {
		return []error{fmt.Errorf("counter %s: %v", l.key, err)}
	}
	return nil
}

// --- shared counter: every worker INCRs one key ---

var sharedAcked, sharedSent atomic.Int64

const sharedKey = "shared:counter"

type sharedCounter struct{}

func (sharedCounter) step(ctx context.Context, w *worker) error {
	w.sent()
	sharedSent.Add(1)
	if err := w.reply("INCR shared", w.c.Incr(ctx, sharedKey).Err()); err != nil {
		return err
	}
	sharedAcked.Add(1)
	w.acked()
	return nil
}

func (sharedCounter) check(context.Context, *redis.Client, time.Time) []error { return nil }

// checkShared verifies the shared counter once for all workers: at least
// every acknowledged INCR, at most every sent one.
func checkShared(ctx context.Context, c *redis.Client) error {
	n, err := c.Get(ctx, sharedKey).Int64()
	if errors.Is(err, redis.Nil) {
		n, err = 0, nil
	}
	if err != nil {
		return fmt.Errorf("GET %s: %v", sharedKey, err)
	}
	a, s := sharedAcked.Load(), sharedSent.Load()
	sharedAcked.Store(n)
	sharedSent.Store(n)
	if n < a || n > s {
		return fmt.Errorf("shared counter = %d; acknowledged %d, sent %d", n, a, s)
	}
	return nil
}

// --- list: RPUSH (1-3 elements) and LPOP, order checked ---

type listLoad struct {
	key string
	m   *tracked[[]string]
}

func newList(p string) workload {
	return &listLoad{key: p + "l", m: &tracked[[]string]{
		clone: cloneSlice[string], equal: equalSlice[string], show: showAny[[]string],
	}}
}

func (l *listLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	if len(l.m.acked) > 0 && w.r.IntN(3) == 0 {
		l.m.begin(func(s []string) []string {
			if len(s) == 0 {
				return s
			}
			return s[1:]
		})
		v, err := w.c.LPop(ctx, l.key).Result()
		if errors.Is(err, redis.Nil) {
			v, err = "\x00nil", nil
		}
		if err := w.reply("LPOP", err); err != nil {
			return err
		}
		want := l.m.acked[0]
		l.m.ack()
		w.acked()
		if v != want {
			return w.wrong("LPOP %s = %q, acknowledged head was %q", l.key, v, want)
		}
		return nil
	}
	n := 1 + w.r.IntN(3)
	vals := make([]any, n)
	strs := make([]string, n)
	for i := range vals {
		strs[i] = w.uniq()
		vals[i] = strs[i]
	}
	l.m.begin(func(s []string) []string { return append(s, strs...) })
	got, err := w.c.RPush(ctx, l.key, vals...).Result()
	if err := w.reply("RPUSH", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	if got != int64(len(l.m.acked)) {
		return w.wrong("RPUSH %s replied length %d, acknowledged length %d", l.key, got, len(l.m.acked))
	}
	return nil
}

func (l *listLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	v, err := c.LRange(ctx, l.key, 0, -1).Result()
	if err != nil {
		return []error{fmt.Errorf("LRANGE %s: %v", l.key, err)}
	}
	if len(v) == 0 {
		v = nil
	}
	if len(l.m.acked) == 0 {
		l.m.acked = nil
	}
	if err := l.m.resolve(v); err != nil {
		return []error{fmt.Errorf("list %s: %v", l.key, err)}
	}
	return nil
}

// --- hash: HSET, HDEL, HINCRBY, EXPIRE (an hour; the TTL must survive) ---

type hashState struct {
	f   map[string]string
	ttl bool
}

type hashLoad struct {
	key string
	m   *tracked[hashState]
}

func newHash(p string) workload {
	return &hashLoad{key: p + "h", m: &tracked[hashState]{
		acked: hashState{f: map[string]string{}},
		clone: func(s hashState) hashState { return hashState{cloneMap(s.f), s.ttl} },
		equal: func(a, b hashState) bool { return equalMap(a.f, b.f) && a.ttl == b.ttl },
		show:  func(s hashState) string { return showAny(s.f) + " ttl=" + strconv.FormatBool(s.ttl) },
	}}
}

func (l *hashLoad) step(ctx context.Context, w *worker) error {
	f := "f" + strconv.Itoa(w.r.IntN(20))
	w.sent()
	var err error
	switch op := w.r.IntN(10); {
	case op < 5:
		v := w.uniq()
		l.m.begin(func(s hashState) hashState { s.f[f] = v; return s })
		err = w.c.HSet(ctx, l.key, f, v).Err()
	case op < 7:
		l.m.begin(func(s hashState) hashState {
			delete(s.f, f)
			if len(s.f) == 0 {
				s.ttl = false
			}
			return s
		})
		err = w.c.HDel(ctx, l.key, f).Err()
	case op < 9:
		d := int64(1 + w.r.IntN(9))
		l.m.begin(func(s hashState) hashState {
			n, _ := strconv.ParseInt(s.f["ctr"], 10, 64)
			s.f["ctr"] = strconv.FormatInt(n+d, 10)
			return s
		})
		err = w.c.HIncrBy(ctx, l.key, "ctr", d).Err()
	default:
		if len(l.m.acked.f) == 0 {
			w.acked()
			return nil
		}
		l.m.begin(func(s hashState) hashState { s.ttl = len(s.f) > 0; return s })
		err = w.c.Expire(ctx, l.key, time.Hour).Err()
	}
	if err := w.reply("hash", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	return nil
}

func (l *hashLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	f, err := c.HGetAll(ctx, l.key).Result()
	if err != nil {
		return []error{fmt.Errorf("HGETALL %s: %v", l.key, err)}
	}
	ttl, err := c.TTL(ctx, l.key).Result()
	if err != nil {
		return []error{fmt.Errorf("TTL %s: %v", l.key, err)}
	}
	var errs []error
	if ttl > time.Hour {
		errs = append(errs, fmt.Errorf("TTL %s = %v, more than the hour set", l.key, ttl))
	}
	if err := l.m.resolve(hashState{f, ttl > 0}); err != nil {
		errs = append(errs, fmt.Errorf("hash %s: %v", l.key, err))
	}
	return errs
}

// --- set: SADD, SREM ---

type setLoad struct {
	key string
	m   *tracked[map[string]bool]
}

func newSet(p string) workload {
	return &setLoad{key: p + "S", m: &tracked[map[string]bool]{
		acked: map[string]bool{}, clone: cloneMap[string, bool], equal: equalMap[string, bool], show: showAny[map[string]bool],
	}}
}

func (l *setLoad) step(ctx context.Context, w *worker) error {
	m := "m" + strconv.Itoa(w.r.IntN(30))
	w.sent()
	var err error
	if w.r.IntN(3) == 0 {
		l.m.begin(func(s map[string]bool) map[string]bool { delete(s, m); return s })
		err = w.c.SRem(ctx, l.key, m).Err()
	} else {
		l.m.begin(func(s map[string]bool) map[string]bool { s[m] = true; return s })
		err = w.c.SAdd(ctx, l.key, m).Err()
	}
	if err := w.reply("set", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	return nil
}

func (l *setLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	v, err := c.SMembers(ctx, l.key).Result()
	if err != nil {
		return []error{fmt.Errorf("SMEMBERS %s: %v", l.key, err)}
	}
	got := map[string]bool{}
	for _, m := range v {
		got[m] = true
	}
	if err := l.m.resolve(got); err != nil {
		return []error{fmt.Errorf("set %s: %v", l.key, err)}
	}
	return nil
}

// --- zset: ZADD, ZINCRBY, ZREM; order checked ---

type zsetLoad struct {
	key string
	m   *tracked[map[string]int64]
}

func newZset(p string) workload {
	return &zsetLoad{key: p + "z", m: &tracked[map[string]int64]{
		acked: map[string]int64{}, clone: cloneMap[string, int64], equal: equalMap[string, int64], show: showAny[map[string]int64],
	}}
}

func (l *zsetLoad) step(ctx context.Context, w *worker) error {
	m := "m" + strconv.Itoa(w.r.IntN(30))
	w.sent()
	var err error
	switch op := w.r.IntN(10); {
	case op < 2:
		l.m.begin(func(s map[string]int64) map[string]int64 { delete(s, m); return s })
		err = w.c.ZRem(ctx, l.key, m).Err()
	case op < 5:
		d := int64(1 + w.r.IntN(5))
		l.m.begin(func(s map[string]int64) map[string]int64 { s[m] += d; return s })
		err = w.c.ZIncrBy(ctx, l.key, float64(d), m).Err()
	default:
		sc := int64(w.r.IntN(100))
		l.m.begin(func(s map[string]int64) map[string]int64 { s[m] = sc; return s })
		err = w.c.ZAdd(ctx, l.key, redis.Z{Score: float64(sc), Member: m}).Err()
	}
	if err := w.reply("zset", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	return nil
}

func (l *zsetLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	v, err := c.ZRangeWithScores(ctx, l.key, 0, -1).Result()
	if err != nil {
		return []error{fmt.Errorf("ZRANGE %s: %v", l.key, err)}
	}
	var errs []error
	got := map[string]int64{}
	for i, z := range v {
		m := z.Member.(string)
		got[m] = int64(z.Score)
		if i > 0 {
			p := v[i-1]
			if p.Score > z.Score || (p.Score == z.Score && p.Member.(string) >= m) {
				errs = append(errs, fmt.Errorf("ZRANGE %s out of order at %d: %v then %v", l.key, i, p, z))
			}
		}
	}
	if err := l.m.resolve(got); err != nil {
		errs = append(errs, fmt.Errorf("zset %s: %v", l.key, err))
	}
	return errs
}

// --- JSON: JSON.SET a document, NUMINCRBY, ARRAPPEND, SET a member ---

type jsonDoc struct {
	ok bool
	N  int64   `json:"n"`
	A  []int64 `json:"a"`
	S  string  `json:"s"`
}

type jsonLoad struct {
	key string
	m   *tracked[jsonDoc]
}

func newJSON(p string) workload {
	return &jsonLoad{key: p + "j", m: &tracked[jsonDoc]{
		clone: func(d jsonDoc) jsonDoc { d.A = cloneSlice(d.A); return d },
		equal: func(a, b jsonDoc) bool {
			return a.ok == b.ok && (!a.ok || (a.N == b.N && a.S == b.S && equalSlice(a.A, b.A)))
		},
		show: func(d jsonDoc) string { return fmt.Sprintf("%+v", d) },
	}}
}

func (l *jsonLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	var err error
	d := l.m.acked
	switch op := w.r.IntN(10); {
	case !d.ok || len(d.A) > 40 || op == 0:
		l.m.begin(func(jsonDoc) jsonDoc { return jsonDoc{ok: true, A: []int64{}} })
		err = w.c.Do(ctx, "JSON.SET", l.key, "$", `{"n":0,"a":[],"s":""}`).Err()
	case op < 4:
		l.m.begin(func(d jsonDoc) jsonDoc { d.N++; return d })
		err = w.c.Do(ctx, "JSON.NUMINCRBY", l.key, "$.n", 1).Err()
	case op < 7:
		v := int64(w.r.IntN(1000))
		l.m.begin(func(d jsonDoc) jsonDoc { d.A = append(d.A, v); return d })
		err = w.c.Do(ctx, "JSON.ARRAPPEND", l.key, "$.a", v).Err()
	default:
		s := w.uniq()
		l.m.begin(func(d jsonDoc) jsonDoc { d.S = s; return d })
		err = w.c.Do(ctx, "JSON.SET", l.key, "$.s", strconv.Quote(s)).Err()
	}
	if err := w.reply("JSON", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	return nil
}

func (l *jsonLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	s, err := c.Do(ctx, "JSON.GET", l.key).Text()
	var d jsonDoc
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return []error{fmt.Errorf("JSON.GET %s: %v", l.key, err)}
	default:
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			return []error{fmt.Errorf("JSON.GET %s = %q: %v", l.key, s, err)}
		}
		d.ok = true
	}
	if err := l.m.resolve(d); err != nil {
		return []error{fmt.Errorf("json %s: %v", l.key, err)}
	}
	return nil
}

// --- MULTI/EXEC: five keys on different shards, all or nothing ---

type multiLoad struct {
	a, b, c, l, h string
	m             *tracked[int64]
}

func newMulti(p string) workload {
	return &multiLoad{a: p + "ta", b: p + "tb", c: p + "tc", l: p + "tl", h: p + "th", m: &tracked[int64]{
		clone: func(n int64) int64 { return n },
		equal: func(a, b int64) bool { return a == b },
		show:  func(n int64) string { return strconv.FormatInt(n, 10) },
	}}
}

func (l *multiLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	n := l.m.acked + 1
	l.m.begin(func(k int64) int64 { return k + 1 })
	cmds, err := w.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, l.a, n, 0)
		p.Set(ctx, l.b, n, 0)
		p.Incr(ctx, l.c)
		p.RPush(ctx, l.l, n)
		p.HSet(ctx, l.h, "n", n)
		return nil
	})
	if err := w.reply("EXEC", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	if got := cmds[2].(*redis.IntCmd).Val(); got != n {
		return w.wrong("EXEC: INCR %s replied %d, acknowledged transactions %d", l.c, got, n)
	}
	return nil
}

func (l *multiLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	p := c.Pipeline()
	a := p.Get(ctx, l.a)
	b := p.Get(ctx, l.b)
	cc := p.Get(ctx, l.c)
	ln := p.LLen(ctx, l.l)
	last := p.LIndex(ctx, l.l, -1)
	h := p.HGet(ctx, l.h, "n")
	_, _ = p.Exec(ctx)
	num := func(cmd *redis.StringCmd) int64 {
		n, err := cmd.Int64()
		if errors.Is(err, redis.Nil) {
			return 0
		}
		if err != nil {
			return -1
		}
		return n
	}
	vals := []int64{num(a), num(b), num(cc), ln.Val(), num(last), num(h)}
	for _, v := range vals[1:] {
		if v != vals[0] {
			l.m.adopt(vals[0])
			return []error{fmt.Errorf("transaction half applied: %s %s %s LLEN(%s) last(%s) %s.n = %v (acknowledged %d)", l.a, l.b, l.c, l.l, l.l, l.h, vals, l.m.acked)}
		}
	}
	if err := l.m.resolve(vals[0]); err != nil {
		return []error{fmt.Errorf("transactions on %s...: %v", l.a, err)}
	}
	return nil
}

// --- blocking pop: one connection BLPOPs, the other RPUSHes ---

type blockingLoad struct {
	key string
	m   *tracked[[]string]
}

func newBlocking(p string) workload {
	return &blockingLoad{key: p + "q", m: &tracked[[]string]{
		clone: cloneSlice[string], equal: equalSlice[string], show: showAny[[]string],
	}}
}

func (l *blockingLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	v := w.uniq()
	l.m.begin(func(s []string) []string { return append(s, v) })
	l.m.begin(func(s []string) []string {
		if len(s) == 0 {
			return s
		}
		return s[1:]
	})
	type res struct {
		v   []string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		r, err := w.c2.BLPop(ctx, 5*time.Second, l.key).Result()
		ch <- res{r, err}
	}()
	time.Sleep(time.Duration(w.r.IntN(3)) * time.Millisecond)
	perr := w.c.RPush(ctx, l.key, v).Err()
	r := <-ch
	if err := w.reply("RPUSH", perr); err != nil {
		return err
	}
	if err := w.reply("BLPOP", r.err); err != nil {
		return err
	}
	l.m.ack()
	l.m.ack()
	w.acked()
	if len(r.v) != 2 || r.v[0] != l.key || r.v[1] != v {
		return w.wrong("BLPOP %s = %q, the only element pushed was %q", l.key, r.v, v)
	}
	return nil
}

func (l *blockingLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	v, err := c.LRange(ctx, l.key, 0, -1).Result()
	if err != nil {
		return []error{fmt.Errorf("LRANGE %s: %v", l.key, err)}
	}
	if len(v) == 0 {
		v = nil
	}
	if len(l.m.acked) == 0 {
		l.m.acked = nil
	}
	if err := l.m.resolve(v); err != nil {
		return []error{fmt.Errorf("blocking queue %s: %v", l.key, err)}
	}
	// Leave the queue empty so the next hand-off starts clean.
	if len(v) > 0 {
		if err := c.Del(ctx, l.key).Err(); err != nil {
			return []error{err}
		}
		l.m.acked = nil
	}
	return nil
}

// --- bulk: pipelines of 100 SETs of 100 B - 4 KiB values (write groups,
// memtable flushes and compactions) ---

const bulkKeys = 100

type bulkLoad struct {
	prefix string
	ver    [bulkKeys]int64 // acknowledged version (0: never written)
	pend   [bulkKeys]int64 // version in flight (0: none)
}

func newBulk(p string) workload { return &bulkLoad{prefix: p + "b"} }

func bulkValue(key string, ver int64) string {
	if ver == 0 {
		return ""
	}
	head := key + ":" + strconv.FormatInt(ver, 10) + ":"
	n := 100 + int((ver*7919+int64(len(key))*104729)%3997)
	return head + strings.Repeat(string(rune('a'+ver%26)), n)
}

// bulkInFlight counts bulk pipelines sent and not yet answered (the
// write-group fault waits for one).
var bulkInFlight atomic.Int32

func (l *bulkLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	p := w.c.Pipeline()
	for i := 0; i < bulkKeys; i++ {
		k := l.prefix + strconv.Itoa(i)
		l.pend[i] = l.ver[i] + 1 + int64(w.r.IntN(3))
		p.Set(ctx, k, bulkValue(k, l.pend[i]), 0)
	}
	bulkInFlight.Add(1)
	_, err := p.Exec(ctx)
	bulkInFlight.Add(-1)
	if err := w.reply("bulk SET pipeline", err); err != nil {
		return err
	}
	l.ver, l.pend = l.pend, [bulkKeys]int64{}
	w.acked()
	return nil
}

func (l *bulkLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	keys := make([]string, bulkKeys)
	for i := range keys {
		keys[i] = l.prefix + strconv.Itoa(i)
	}
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		return []error{fmt.Errorf("MGET %s*: %v", l.prefix, err)}
	}
	var errs []error
	for i, v := range vals {
		s, _ := v.(string)
		switch {
		case s == bulkValue(keys[i], l.ver[i]):
		case l.pend[i] != 0 && s == bulkValue(keys[i], l.pend[i]):
			l.ver[i] = l.pend[i]
		default:
			errs = append(errs, fmt.Errorf("bulk %s: %.40q (%d bytes); acknowledged version %d, in flight %d", keys[i], s, len(s), l.ver[i], l.pend[i]))
			l.ver[i] = 0 // adopt what the server has, so one loss is reported once
			if f := strings.SplitN(s, ":", 4); len(f) == 4 {
				if v, err := strconv.ParseInt(f[2], 10, 64); err == nil && s == bulkValue(keys[i], v) {
					l.ver[i] = v
				}
			}
		}
		l.pend[i] = 0
	}
	return errs
}

// --- stream: XADD, XREADGROUP (consumer group), XACK; reset by a MULTI
// of DEL and XGROUP CREATE MKSTREAM ---

type streamState struct {
	ok        bool     // the stream and its group exist
	entries   []string // entry values in ID order
	delivered int      // entries delivered to the group (last-delivered-id)
	pel       []string // delivered, not acknowledged (sorted)
}

type streamLoad struct {
	key string
	ids map[string]string // value -> entry ID, as learned from replies
	m   *tracked[streamState]
}

func newStream(p string) workload {
	return &streamLoad{key: p + "x", ids: map[string]string{}, m: &tracked[streamState]{
		clone: func(s streamState) streamState {
			s.entries, s.pel = cloneSlice(s.entries), cloneSlice(s.pel)
			return s
		},
		equal: func(a, b streamState) bool {
			return a.ok == b.ok && a.delivered == b.delivered && equalSlice(a.entries, b.entries) && equalSlice(a.pel, b.pel)
		},
		show: func(s streamState) string { return fmt.Sprintf("%+v", s) },
	}}
}

func sortedInsert(s []string, v string) []string {
	i := sort.SearchStrings(s, v)
	s = append(s, "")
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func (l *streamLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	st := l.m.acked
	switch op := w.r.IntN(10); {
	case !st.ok || len(st.entries) > 40:
		l.m.begin(func(streamState) streamState { return streamState{ok: true} })
		_, err := w.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, l.key)
			p.XGroupCreateMkStream(ctx, l.key, "g", "0")
			return nil
		})
		if err := w.reply("stream reset", err); err != nil {
			return err
		}
		clear(l.ids)
	case op < 4:
		v := w.uniq()
		l.m.begin(func(s streamState) streamState { s.entries = append(s.entries, v); return s })
		id, err := w.c.XAdd(ctx, &redis.XAddArgs{Stream: l.key, Values: []string{"v", v}}).Result()
		if err := w.reply("XADD", err); err != nil {
			return err
		}
		l.ids[v] = id
	case op < 7:
		l.m.begin(func(s streamState) streamState {
			if s.delivered < len(s.entries) {
				s.pel = sortedInsert(s.pel, s.entries[s.delivered])
				s.delivered++
			}
			return s
		})
		res, err := w.c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{l.key, ">"}, Count: 1, Block: -1}).Result()
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		if err := w.reply("XREADGROUP", err); err != nil {
			return err
		}
		var got string
		if len(res) == 1 && len(res[0].Messages) == 1 {
			got, _ = res[0].Messages[0].Values["v"].(string)
		}
		want := ""
		if st.delivered < len(st.entries) {
			want = st.entries[st.delivered]
		}
		l.m.ack()
		w.acked()
		if got != want {
			return w.wrong("XREADGROUP %s > delivered %q, the next undelivered acknowledged entry is %q", l.key, got, want)
		}
		return nil
	default:
		if len(st.pel) == 0 {
			w.acked()
			return nil
		}
		v := st.pel[w.r.IntN(len(st.pel))]
		id := l.ids[v]
		l.m.begin(func(s streamState) streamState {
			if i := sort.SearchStrings(s.pel, v); i < len(s.pel) && s.pel[i] == v {
				s.pel = append(s.pel[:i], s.pel[i+1:]...)
			}
			return s
		})
		n, err := w.c.XAck(ctx, l.key, "g", id).Result()
		if err := w.reply("XACK", err); err != nil {
			return err
		}
		l.m.ack()
		w.acked()
		if n != 1 {
			return w.wrong("XACK %s g %s (%s) acknowledged %d entries, want 1", l.key, id, v, n)
		}
		return nil
	}
	l.m.ack()
	w.acked()
	return nil
}

func (l *streamLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	var a streamState
	msgs, err := c.XRange(ctx, l.key, "-", "+").Result()
	if err != nil {
		return []error{fmt.Errorf("XRANGE %s: %v", l.key, err)}
	}
	byID := map[string]string{}
	for _, m := range msgs {
		v, _ := m.Values["v"].(string)
		a.entries = append(a.entries, v)
		byID[m.ID] = v
		l.ids[v] = m.ID
	}
	groups, err := c.XInfoGroups(ctx, l.key).Result()
	if err != nil && !strings.Contains(err.Error(), "no such key") {
		return []error{fmt.Errorf("XINFO GROUPS %s: %v", l.key, err)}
	}
	for _, g := range groups {
		if g.Name != "g" {
			continue
		}
		a.ok = true
		for i, m := range msgs {
			if m.ID == g.LastDeliveredID {
				a.delivered = i + 1
			}
		}
		pend, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: l.key, Group: "g", Start: "-", End: "+", Count: 10000}).Result()
		if err != nil {
			return []error{fmt.Errorf("XPENDING %s: %v", l.key, err)}
		}
		for _, p := range pend {
			a.pel = sortedInsert(a.pel, byID[p.ID])
		}
	}
	if !a.ok {
		a = streamState{}
	}
	if err := l.m.resolve(a); err != nil {
		return []error{fmt.Errorf("stream %s: %v", l.key, err)}
	}
	return nil
}

// --- EVAL: a script that INCRs a counter, RPUSHes it and HSETs it, on
// keys of different shards, all or nothing. Servers without scripting
// (EVAL an unknown command) skip it, so it starts counting by itself once
// Lua lands. ---

const evalScript = `local n = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], n)
redis.call('HSET', KEYS[3], 'n', n)
return n`

type evalLoad struct {
	keys        []string
	unsupported bool
	m           *tracked[int64]
}

func newEval(p string) workload {
	return &evalLoad{keys: []string{p + "ea", p + "el", p + "eh"}, m: &tracked[int64]{
		clone: func(n int64) int64 { return n },
		equal: func(a, b int64) bool { return a == b },
		show:  func(n int64) string { return strconv.FormatInt(n, 10) },
	}}
}

func (l *evalLoad) step(ctx context.Context, w *worker) error {
	if l.unsupported {
		return nil
	}
	w.sent()
	l.m.begin(func(n int64) int64 { return n + 1 })
	got, err := w.c.Eval(ctx, evalScript, l.keys).Int64()
	if err != nil && strings.Contains(err.Error(), "unknown command") {
		l.unsupported = true
		l.m.abandon()
		return nil
	}
	if err := w.reply("EVAL", err); err != nil {
		return err
	}
	l.m.ack()
	w.acked()
	if got != l.m.acked {
		return w.wrong("EVAL returned %d, acknowledged scripts %d", got, l.m.acked)
	}
	return nil
}

func (l *evalLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	p := c.Pipeline()
	a := p.Get(ctx, l.keys[0])
	ln := p.LLen(ctx, l.keys[1])
	last := p.LIndex(ctx, l.keys[1], -1)
	h := p.HGet(ctx, l.keys[2], "n")
	_, _ = p.Exec(ctx)
	num := func(cmd *redis.StringCmd) int64 {
		n, err := cmd.Int64()
		if errors.Is(err, redis.Nil) {
			return 0
		}
		if err != nil {
			return -1
		}
		return n
	}
	vals := []int64{num(a), ln.Val(), num(last), num(h)}
	for _, v := range vals[1:] {
		if v != vals[0] {
			l.m.adopt(vals[0])
			return []error{fmt.Errorf("script half applied: %v = %v (acknowledged %d)", l.keys, vals, l.m.acked)}
		}
	}
	if err := l.m.resolve(vals[0]); err != nil {
		return []error{fmt.Errorf("scripts on %s...: %v", l.keys[0], err)}
	}
	return nil
}

// --- bitmap: SETBIT over a 40 KB string (chunked storage), DEL ---

type bitState struct {
	ones map[int64]bool // offsets of the set bits
	size int64          // string length in bytes (0: no key)
}

type bitmapLoad struct {
	key string
	m   *tracked[bitState]
}

const bitSpan = 320000 // bits: a 40 KB string

func newBitmap(p string) workload {
	return &bitmapLoad{key: p + "bm", m: &tracked[bitState]{
		acked: bitState{ones: map[int64]bool{}},
		clone: func(s bitState) bitState { return bitState{cloneMap(s.ones), s.size} },
		equal: func(a, b bitState) bool { return a.size == b.size && equalMap(a.ones, b.ones) },
		show:  func(s bitState) string { return fmt.Sprintf("%d bytes, %d bits set", s.size, len(s.ones)) },
	}}
}

func (l *bitmapLoad) step(ctx context.Context, w *worker) error {
	w.sent()
	if w.r.IntN(40) == 0 {
		l.m.begin(func(bitState) bitState { return bitState{ones: map[int64]bool{}} })
		if err := w.reply("DEL", w.c.Del(ctx, l.key).Err()); err != nil {
			return err
		}
		l.m.ack()
		w.acked()
		return nil
	}
	off := int64(w.r.IntN(bitSpan))
	bit := w.r.IntN(3) != 0
	v := 0
	if bit {
		v = 1
	}
	l.m.begin(func(s bitState) bitState {
		if bit {
			s.ones[off] = true
		} else {
			delete(s.ones, off)
		}
		s.size = max(s.size, off/8+1)
		return s
	})
	old, err := w.c.SetBit(ctx, l.key, off, v).Result()
	if err := w.reply("SETBIT", err); err != nil {
		return err
	}
	want := int64(0)
	if l.m.acked.ones[off] {
		want = 1
	}
	l.m.ack()
	w.acked()
	if old != want {
		return w.wrong("SETBIT %s %d returned old bit %d, acknowledged %d", l.key, off, old, want)
	}
	return nil
}

func (l *bitmapLoad) check(ctx context.Context, c *redis.Client, _ time.Time) []error {
	v, err := c.Get(ctx, l.key).Result()
	if errors.Is(err, redis.Nil) {
		v, err = "", nil
	}
	if err != nil {
		return []error{fmt.Errorf("GET %s: %v", l.key, err)}
	}
	a := bitState{ones: map[int64]bool{}, size: int64(len(v))}
	for i := 0; i < len(v); i++ {
		for b := 0; b < 8; b++ {
			if v[i]&(0x80>>b) != 0 {
				a.ones[int64(i)*8+int64(b)] = true
			}
		}
	}
	if err := l.m.resolve(a); err != nil {
		return []error{fmt.Errorf("bitmap %s: %v", l.key, err)}
	}
	return nil
}
