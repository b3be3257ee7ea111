package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// An Op is one kind of request the generator sends. Its append function
// writes one complete RESP command into dst (no allocation: keys, members and
// values are formatted straight into dst).
type Op struct {
	Name  string
	Write bool // changes data
	// Sized: the op writes or reads a value of the configured size (its
	// row names the size); members, scores and counters are not sized.
	Sized bool
	// Prefill is the op that makes the key exist, for reads (GET reads keys
	// that SET wrote). Empty for writes.
	Prefill string
	append  func(g *Gen, dst []byte) []byte
}

// Key prefixes: string keys and counters are named as redis-benchmark
// names them (key:000000001234, counter:000000001234), so both clients
// touch the same keys.
const (
	prefixString  = "key:"
	prefixCounter = "counter:"
	prefixList    = "list:"
	prefixHash    = "hash:"
	prefixSet     = "set:"
	prefixZSet    = "zset:"
	prefixStream  = "stream:"
	prefixJSON    = "json:"
	prefixMember  = "element:"
	keyDigits     = 12
)

var ops = map[string]*Op{
	"set": {Name: "set", Sized: true, Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "SET")
		dst = g.appendKey(dst, prefixString)
		return g.appendValue(dst)
	}},
	"get": {Name: "get", Sized: true, Prefill: "set", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 2, "GET")
		return g.appendKey(dst, prefixString)
	}},
	"incr": {Name: "incr", Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 2, "INCR")
		return g.appendKey(dst, prefixCounter)
	}},
	"lpush": {Name: "lpush", Sized: true, Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "LPUSH")
		dst = g.appendKey(dst, prefixList)
		return g.appendValue(dst)
	}},
	"rpush": {Name: "rpush", Sized: true, Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "RPUSH")
		dst = g.appendKey(dst, prefixList)
		return g.appendValue(dst)
	}},
	"rpop": {Name: "rpop", Sized: true, Write: true, Prefill: "lpush", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 2, "RPOP")
		return g.appendKey(dst, prefixList)
	}},
	"lrange": {Name: "lrange", Sized: true, Prefill: "lpush", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 4, "LRANGE")
		dst = g.appendKey(dst, prefixList)
		dst = appendBulkString(dst, "0")
		return appendBulkString(dst, "9")
	}},
	"hset": {Name: "hset", Sized: true, Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 4, "HSET")
		dst = g.appendKey(dst, prefixHash)
		dst = g.appendMember(dst)
		return g.appendValue(dst)
	}},
	"hget": {Name: "hget", Sized: true, Prefill: "hset", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "HGET")
		dst = g.appendKey(dst, prefixHash)
		return g.appendMember(dst)
	}},
	"sadd": {Name: "sadd", Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "SADD")
		dst = g.appendKey(dst, prefixSet)
		return g.appendMember(dst)
	}},
	"sismember": {Name: "sismember", Prefill: "sadd", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "SISMEMBER")
		dst = g.appendKey(dst, prefixSet)
		return g.appendMember(dst)
	}},
	"zadd": {Name: "zadd", Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 4, "ZADD")
		dst = g.appendKey(dst, prefixZSet)
		dst = appendBulkInt(dst, int64(g.rng.IntN(1_000_000)))
		return g.appendMember(dst)
	}},
	"zrange": {Name: "zrange", Prefill: "zadd", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 4, "ZRANGE")
		dst = g.appendKey(dst, prefixZSet)
		dst = appendBulkString(dst, "0")
		return appendBulkString(dst, "9")
	}},
	"xadd": {Name: "xadd", Sized: true, Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 5, "XADD")
		dst = g.appendKey(dst, prefixStream)
		dst = appendBulkString(dst, "*")
		dst = appendBulkString(dst, "f")
		return g.appendValue(dst)
	}},
	"json.set": {Name: "json.set", Sized: true, Write: true, append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 4, "JSON.SET")
		dst = g.appendKey(dst, prefixJSON)
		dst = appendBulkString(dst, "$")
		// {"v":"<value>","n":<int>}: the value is alphanumeric, so it needs
		// no escaping.
		v := g.value()
		n := strconv.AppendInt(g.scratch[:0], int64(g.rng.IntN(1_000_000)), 10)
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(v)+len(n)+len(`{"v":"","n":}`)), 10)
		dst = append(dst, "\r\n{\"v\":\""...)
		dst = append(dst, v...)
		dst = append(dst, "\",\"n\":"...)
		dst = append(dst, n...)
		return append(dst, "}\r\n"...)
	}},
	"json.get": {Name: "json.get", Sized: true, Prefill: "json.set", append: func(g *Gen, dst []byte) []byte {
		dst = appendHeader(dst, 3, "JSON.GET")
		dst = g.appendKey(dst, prefixJSON)
		return appendBulkString(dst, "$.v")
	}},
}

// mixedWeights is the "mixed" workload: the common commands of every
// type redis-server has built in (JSON and streams are left out so the mix
// runs unchanged on both servers), reads twice as often as writes.
var mixedWeights = []WeightedOp{
	{"get", 30}, {"set", 15}, {"incr", 5},
	{"lpush", 5}, {"rpop", 5}, {"lrange", 5},
	{"hset", 5}, {"hget", 10},
	{"sadd", 5}, {"sismember", 5},
	{"zadd", 5}, {"zrange", 5},
}

// OpNames lists the single ops a workload can name, sorted.
func OpNames() []string {
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// WeightedOp is one op of a workload and its share.
type WeightedOp struct {
	Op     string
	Weight int
}

// Workload is a parsed workload: ops and their weights.
type Workload []WeightedOp

// ParseWorkload reads a workload: one op ("set"), a comma-separated list
// with optional weights ("set:1,get:10", "lpush,rpop"), or a preset:
// "mixed", or "setget" (set:1,get:10, memtier's default ratio). ratio, if
// not empty, is "A:B" and sets the weights of a two-op workload (memtier's
// --ratio).
func ParseWorkload(s, ratio string) (Workload, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var w Workload
	switch s {
	case "":
		return nil, fmt.Errorf("bench: empty workload")
	case "mixed":
		w = append(w, mixedWeights...)
	case "setget":
		w = Workload{{"set", 1}, {"get", 10}}
	default:
		for _, part := range strings.Split(s, ",") {
			name, weight, hasWeight := strings.Cut(strings.TrimSpace(part), ":")
			n := 1
			if hasWeight {
				var err error
				if n, err = strconv.Atoi(weight); err != nil || n < 0 {
					return nil, fmt.Errorf("bench: bad weight %q in workload %q", weight, s)
				}
			}
			if ops[name] == nil {
				return nil, fmt.Errorf("bench: unknown op %q (known: %s, presets mixed, setget)", name, strings.Join(OpNames(), " "))
			}
			w = append(w, WeightedOp{name, n})
		}
	}
	if ratio != "" {
		if len(w) != 2 {
			return nil, fmt.Errorf("bench: --ratio needs a workload of two ops, got %q", s)
		}
		a, b, ok := strings.Cut(ratio, ":")
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || x < 0 || y < 0 {
			return nil, fmt.Errorf("bench: bad ratio %q (want A:B)", ratio)
		}
		w[0].Weight, w[1].Weight = x, y
	}
	total := 0
	for _, o := range w {
		total += o.Weight
	}
	if total == 0 {
		return nil, fmt.Errorf("bench: workload %q has no op with a weight above 0", s)
	}
	return w, nil
}

// String formats the workload as ParseWorkload reads it.
func (w Workload) String() string {
	parts := make([]string, len(w))
	for i, o := range w {
		parts[i] = o.Op + ":" + strconv.Itoa(o.Weight)
	}
	return strings.Join(parts, ",")
}

// Prefills returns the ops that make the keys of w's reads exist (set for
// get, lpush for rpop ...), each once, in w's order.
func (w Workload) Prefills() []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range w {
		p := ops[o.Op].Prefill
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Key patterns.
const (
	PatternUniform    = "uniform"
	PatternGaussian   = "gaussian"
	PatternSequential = "sequential"
)

// Gen builds the commands of one connection. It is not safe for concurrent
// use; each connection has its own (the sequential counter is shared).
type Gen struct {
	rng      *rand.Rand
	ops      []*Op
	cum      []int // cumulative weights
	total    int
	pattern  string
	keyspace uint64
	members  uint64
	stddev   float64
	seq      *atomic.Uint64
	vmin     int
	vmax     int
	values   []byte // random alphanumeric bytes, vmax*2 long
	scratch  [24]byte
	// Counts of each op sent, indexed as ops.
	Sent []int64
}

// GenConfig is what a Gen needs; Config fills it.
type GenConfig struct {
	Workload  Workload
	Pattern   string // uniform, gaussian, sequential
	KeySpace  uint64 // keys are 0 .. KeySpace-1
	Members   uint64 // members/fields per collection: 0 .. Members-1
	ValueMin  int
	ValueMax  int
	Seed      uint64
	Stream    uint64         // this generator's stream (connection index)
	Sequence  *atomic.Uint64 // shared by all generators of a run, for sequential
	KeyStdDev float64        // gaussian: 0 means KeySpace/6
}

// NewGen returns a generator for cfg.
func NewGen(cfg GenConfig) (*Gen, error) {
	if cfg.KeySpace == 0 {
		return nil, fmt.Errorf("bench: key space must be at least 1")
	}
	if cfg.Members == 0 {
		cfg.Members = 1
	}
	if cfg.ValueMin < 0 || cfg.ValueMax < cfg.ValueMin {
		return nil, fmt.Errorf("bench: bad value size range %d-%d", cfg.ValueMin, cfg.ValueMax)
	}
	switch cfg.Pattern {
	case PatternUniform, PatternGaussian, PatternSequential:
	case "":
		cfg.Pattern = PatternUniform
	default:
		return nil, fmt.Errorf("bench: unknown key pattern %q (uniform, gaussian, sequential)", cfg.Pattern)
	}
	if cfg.Sequence == nil {
		cfg.Sequence = new(atomic.Uint64)
	}
	g := &Gen{
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Stream)),
		pattern:  cfg.Pattern,
		keyspace: cfg.KeySpace,
		members:  cfg.Members,
		stddev:   cfg.KeyStdDev,
		seq:      cfg.Sequence,
		vmin:     cfg.ValueMin,
		vmax:     cfg.ValueMax,
	}
	if g.stddev <= 0 {
		g.stddev = float64(cfg.KeySpace) / 6
	}
	for _, w := range cfg.Workload {
		op := ops[w.Op]
		if op == nil {
			return nil, fmt.Errorf("bench: unknown op %q", w.Op)
		}
		if w.Weight <= 0 {
			continue
		}
		g.total += w.Weight
		g.ops = append(g.ops, op)
		g.cum = append(g.cum, g.total)
	}
	if len(g.ops) == 0 {
		return nil, fmt.Errorf("bench: empty workload")
	}
	g.Sent = make([]int64, len(g.ops))
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	g.values = make([]byte, 2*cfg.ValueMax+1)
	for i := range g.values {
		g.values[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return g, nil
}

// OpNames returns the names of the generator's ops, as Sent indexes them.
func (g *Gen) OpNames() []string {
	out := make([]string, len(g.ops))
	for i, o := range g.ops {
		out[i] = o.Name
	}
	return out
}

// Append appends the next command to dst.
func (g *Gen) Append(dst []byte) []byte {
	i := 0
	if len(g.ops) > 1 {
		r := g.rng.IntN(g.total)
		for r >= g.cum[i] {
			i++
		}
	}
	g.Sent[i]++
	return g.ops[i].append(g, dst)
}

// NextKey returns the next key number per the pattern.
func (g *Gen) NextKey() uint64 {
	switch g.pattern {
	case PatternSequential:
		return (g.seq.Add(1) - 1) % g.keyspace
	case PatternGaussian:
		mid := float64(g.keyspace-1) / 2
		for {
			k := math.Round(g.rng.NormFloat64()*g.stddev + mid)
			if k >= 0 && k < float64(g.keyspace) {
				return uint64(k)
			}
		}
	default:
		return g.rng.Uint64N(g.keyspace)
	}
}

func (g *Gen) appendKey(dst []byte, prefix string) []byte {
	return appendNumbered(dst, prefix, g.NextKey())
}

func (g *Gen) appendMember(dst []byte) []byte {
	return appendNumbered(dst, prefixMember, g.rng.Uint64N(g.members))
}

// value returns a value of the configured size: a slice of the random
// buffer at a random offset (valid until the next call's caller copies it).
func (g *Gen) value() []byte {
	n := g.vmin
	if g.vmax > g.vmin {
		n += g.rng.IntN(g.vmax - g.vmin + 1)
	}
	off := g.rng.IntN(len(g.values) - n)
	return g.values[off : off+n]
}

func (g *Gen) appendValue(dst []byte) []byte {
	return appendBulk(dst, g.value())
}

// appendNumbered appends prefix followed by n as 12 zero-padded digits
// (redis-benchmark's __rand_int__ form), as one bulk string.
func appendNumbered(dst []byte, prefix string, n uint64) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(prefix)+keyDigits), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, prefix...)
	var d [keyDigits]byte
	for i := keyDigits - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	dst = append(dst, d[:]...)
	return append(dst, '\r', '\n')
}

// KeyName returns the name of key n under prefix, as the generator writes
// it (for tests and tools).
func KeyName(prefix string, n uint64) string {
	b := appendNumbered(nil, prefix, n)
	_, rest, _ := strings.Cut(string(b), "\r\n")
	return strings.TrimSuffix(rest, "\r\n")
}

func appendHeader(dst []byte, n int, name string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, '\r', '\n')
	return appendBulkString(dst, name)
}

func appendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

func appendBulk(dst []byte, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

func appendBulkInt(dst []byte, n int64) []byte {
	var tmp [20]byte
	return appendBulk(dst, strconv.AppendInt(tmp[:0], n, 10))
}
