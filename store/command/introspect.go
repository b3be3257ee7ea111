package command

import (
	"fmt"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Introspection: MONITOR, LATENCY (the latency monitor and per-command
// latency histograms), INFO latencystats and MEMORY STATS.

func init() {
	adm := FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline
	register(
		&Spec{Name: "monitor", Arity: 1, Flags: adm, Handler: cmdMonitor, Group: "server", Summary: "Listens for all requests received by the server in real-time.", Since: "1.0.0"},
		&Spec{Name: "latency", Arity: -2, Group: "server", Summary: "A container for latency diagnostics commands.", Since: "2.8.13"},
		&Spec{Name: "latency|doctor", Arity: 2, Flags: adm, Handler: cmdLatencyDoctor, Group: "server", Summary: "Returns a human-readable latency analysis report.", Since: "2.8.13"},
		&Spec{Name: "latency|graph", Arity: 3, Flags: adm, Handler: cmdLatencyGraph, Group: "server", Summary: "Returns a latency graph for an event.", Since: "2.8.13"},
		&Spec{Name: "latency|histogram", Arity: -2, Flags: adm, Handler: cmdLatencyHistogram, Group: "server", Summary: "Returns the cumulative distribution of latencies of a subset or all commands.", Since: "7.0.0"},
		&Spec{Name: "latency|history", Arity: 3, Flags: adm, Handler: cmdLatencyHistory, Group: "server", Summary: "Returns timestamp-latency samples for an event.", Since: "2.8.13"},
		&Spec{Name: "latency|latest", Arity: 2, Flags: adm, Handler: cmdLatencyLatest, Group: "server", Summary: "Returns the latest latency samples for all events.", Since: "2.8.13"},
		&Spec{Name: "latency|reset", Arity: -2, Flags: adm, Handler: cmdLatencyReset, Group: "server", Summary: "Resets the latency data for one or more events.", Since: "2.8.13"},
		&Spec{Name: "latency|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: helpHandler("LATENCY", []string{
			"DOCTOR",
			"    Return a human readable latency analysis report.",
			"GRAPH <event>",
			"    Return an ASCII latency graph for the <event> class.",
			"HISTORY <event>",
			"    Return time-latency samples for the <event> class.",
			"LATEST",
			"    Return the latest latency samples for all events.",
			"RESET [<event> ...]",
			"    Reset latency data of one or more <event> classes.",
			"    (default: reset all data for all event classes)",
			"HISTOGRAM [COMMAND ...]",
			"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
			"    If no commands are specified then all histograms are replied.",
		}), Group: "server", Summary: "Returns helpful text about the different subcommands.", Since: "2.8.13"},
		&Spec{Name: "memory|stats", Arity: 2, Flags: ExecInline, Handler: cmdMemoryStats, Group: "server", Summary: "Returns details about memory usage.", Since: "4.0.0"},
	)
}

// --- the hooks the dispatcher's call runs ---

// beforeCall feeds MONITOR the scripts, which Redis shows before the
// commands they run.
func (s *Server) beforeCall(c *Ctx) {
	if s.mon.n.Load() > 0 && c.Spec.Flags&FlagSkipMonitor != 0 && c.Spec.Group == "scripting" && c.Spec.Flags&FlagAdmin == 0 {
		s.mon.feed(c, false)
	}
}

// afterCall runs after every handler: the reply-size cap, the latency
// histogram, the latency monitor and the MONITOR feed.
func (s *Server) afterCall(c *Ctx, d time.Duration, outStart int) {
	if max := s.lim.maxReply.Load(); max > 0 && int64(len(c.Out)-outStart) > max && capsReply(c.Spec) {
		n := len(c.Out) - outStart
		c.Out = append(make([]byte, 0, outStart+128), c.Out[:outStart]...)
		c.Err("ERR reply of " + strconv.Itoa(n) + " bytes exceeds max-reply-size (" + strconv.FormatInt(max, 10) + " bytes)")
		s.lim.replyCaps.Add(1)
	}
	if s.lat.tracking.Load() {
		c.Spec.stats.lat.record(c.Cl.id, d)
	}
	if th := s.lat.threshold.Load(); th > 0 {
		if ms := int64(d / time.Millisecond); ms >= th {
			ev := "command"
			if c.Spec.Flags&FlagFast != 0 {
				ev = "fast-command"
			}
			s.lat.add(ev, ms)
		}
	}
	if s.mon.n.Load() > 0 && c.Spec.Flags&(FlagSkipMonitor|FlagAdmin) == 0 {
		s.mon.feed(c, inScript(c))
	}
}

// capsReply reports whether max-reply-size applies to sp: commands that
// only read (a write's reply is never replaced: its effect would be lost).
func capsReply(sp *Spec) bool {
	return sp.Flags&(FlagWrite|flagExec|flagIsolated) == 0 && sp.Group != "scripting"
}

// inScript reports whether c is a command a script calls.
func inScript(c *Ctx) bool {
	if !c.InExec {
		return false
	}
	top := c.Cl.lastSpec.Load()
	return top != nil && top != c.Spec && top.Group == "scripting"
}

// --- MONITOR ---

// monitorHub holds the clients in MONITOR mode.
type monitorHub struct {
	n       atomic.Int32
	mu      sync.RWMutex
	clients map[*Client]struct{}
}

func (m *monitorHub) add(cl *Client) {
	m.mu.Lock()
	if m.clients == nil {
		m.clients = map[*Client]struct{}{}
	}
	if _, ok := m.clients[cl]; !ok {
		m.clients[cl] = struct{}{}
		m.n.Add(1)
	}
	m.mu.Unlock()
}

func (m *monitorHub) remove(cl *Client) {
	m.mu.Lock()
	if _, ok := m.clients[cl]; ok {
		delete(m.clients, cl)
		m.n.Add(-1)
	}
	m.mu.Unlock()
}

func (m *monitorHub) has(cl *Client) bool {
	if m.n.Load() == 0 {
		return false
	}
	m.mu.RLock()
	_, ok := m.clients[cl]
	m.mu.RUnlock()
	return ok
}

// feed sends a command to every monitor as Redis formats it:
// +<sec>.<usec> [<db> <addr>|lua] "arg" ...
func (m *monitorHub) feed(c *Ctx, script bool) {
	now := time.Now()
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	db := c.DB
	if c.Spec.Name == "select" && !script {
		db = c.Cl.currentDB() // Redis shows the database selected after the command
	}
	b = fmt.Appendf(b, ".%06d [%d ", now.Nanosecond()/1000, db)
	if script {
		b = append(b, "lua"...)
	} else {
		b = append(b, c.Cl.addr...)
	}
	b = append(b, "] "...)
	for i, a := range c.Args {
		if i > 0 {
			b = append(b, ' ')
		}
		if redacted(c.Spec, c.Args, i) {
			b = append(b, `"(redacted)"`...)
			continue
		}
		b = appendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	m.mu.RLock()
	for cl := range m.clients {
		cl.push(b)
	}
	m.mu.RUnlock()
}

// appendRepr quotes a string as sdscatrepr does.
func appendRepr(b, s []byte) []byte {
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch < 0x7f {
				b = append(b, ch)
			} else {
				b = fmt.Appendf(b, "\\x%02x", ch)
			}
		}
	}
	return append(b, '"')
}

// MONITOR
func cmdMonitor(c *Ctx) {
	if c.InExec {
		c.Err("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.Cl.monitor {
		return // already monitoring: no reply, as Redis
	}
	c.S.mon.add(c.Cl)
	c.Cl.monitor = true
	c.OK()
}

// errMonitorKeyspace is what a client in MONITOR mode gets for a command
// that reads or writes data (Redis treats monitors as replicas).
const errMonitorKeyspace = "ERR Replica can't interact with the keyspace"

// --- latency histograms (INFO latencystats, LATENCY HISTOGRAM) ---

// Histogram geometry, as Redis: nanoseconds from 1 ns to 1 s (longer
// durations count as 1 s), two significant digits.
const (
	latHistMin    = 1
	latHistMax    = 1_000_000_000
	latHistDigits = 2
	latStripes    = 2
)

// cmdLatency is a command's latency histogram, striped so that clients on
// different goroutines rarely wait for each other; each stripe is
// allocated on the command's first call.
type cmdLatency struct {
	stripes [latStripes]struct {
		mu sync.Mutex
		h  *hdrhistogram.Histogram
	}
}

func (l *cmdLatency) record(id int64, d time.Duration) {
	ns := min(max(int64(d), latHistMin), latHistMax)
	st := &l.stripes[id&(latStripes-1)]
	st.mu.Lock()
	if st.h == nil {
		st.h = hdrhistogram.New(latHistMin, latHistMax, latHistDigits)
	}
	_ = st.h.RecordValue(ns)
	st.mu.Unlock()
}

// snapshot merges the stripes (nil when the command never ran).
func (l *cmdLatency) snapshot() *hdrhistogram.Histogram {
	var out *hdrhistogram.Histogram
	for i := range l.stripes {
		st := &l.stripes[i]
		st.mu.Lock()
		if st.h != nil && st.h.TotalCount() > 0 {
			if out == nil {
				out = hdrhistogram.New(latHistMin, latHistMax, latHistDigits)
			}
			out.Merge(st.h)
		}
		st.mu.Unlock()
	}
	return out
}

func (l *cmdLatency) reset() {
	for i := range l.stripes {
		st := &l.stripes[i]
		st.mu.Lock()
		st.h = nil
		st.mu.Unlock()
	}
}

// latencyState is the latency monitor (latency-monitor-threshold events)
// and the settings of the histograms.
type latencyState struct {
	threshold   atomic.Int64 // ms; 0 disables the monitor
	tracking    atomic.Bool  // latency-tracking
	percentiles atomic.Pointer[[]float64]

	mu     sync.Mutex
	events map[string]*latencySeries
}

const latencySamples = 160

type latencySample struct {
	at int64 // unix seconds
	ms int64
}

type latencySeries struct {
	idx     int
	max     int64
	samples [latencySamples]latencySample
}

// add records a latency event: one sample per second (the largest).
func (l *latencyState) add(event string, ms int64) {
	now := time.Now().Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == nil {
		l.events = map[string]*latencySeries{}
	}
	ts := l.events[event]
	if ts == nil {
		ts = &latencySeries{}
		l.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencySamples-1)%latencySamples]
	if prev.at == now {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{now, ms}
	ts.idx = (ts.idx + 1) % latencySamples
}

// history returns an event's samples, oldest first.
func (ts *latencySeries) history() []latencySample {
	var out []latencySample
	for j := 0; j < latencySamples; j++ {
		s := ts.samples[(ts.idx+j)%latencySamples]
		if s.at != 0 {
			out = append(out, s)
		}
	}
	return out
}

func (l *latencyState) eventNames() []string {
	var out []string
	for k := range l.events {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LATENCY LATEST
func cmdLatencyLatest(c *Ctx) {
	l := &c.S.lat
	l.mu.Lock()
	defer l.mu.Unlock()
	names := l.eventNames()
	c.Array(len(names))
	for _, n := range names {
		ts := l.events[n]
		last := ts.samples[(ts.idx+latencySamples-1)%latencySamples]
		c.Array(4)
		c.BulkStr(n)
		c.Int(last.at)
		c.Int(last.ms)
		c.Int(ts.max)
	}
}

// LATENCY HISTORY event
func cmdLatencyHistory(c *Ctx) {
	l := &c.S.lat
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.events[string(c.Args[2])]
	if ts == nil {
		c.Array(0)
		return
	}
	h := ts.history()
	c.Array(len(h))
	for _, s := range h {
		c.Array(2)
		c.Int(s.at)
		c.Int(s.ms)
	}
}

// LATENCY RESET [event ...]
func cmdLatencyReset(c *Ctx) {
	l := &c.S.lat
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	if len(c.Args) == 2 {
		n = len(l.events)
		l.events = nil
	} else {
		for _, a := range c.Args[2:] {
			if _, ok := l.events[string(a)]; ok {
				delete(l.events, string(a))
				n++
			}
		}
	}
	c.Int(int64(n))
}

// LATENCY GRAPH event: an ASCII chart of the event's samples, newest on
// the right, one column per sample, as tall as the largest.
func cmdLatencyGraph(c *Ctx) {
	l := &c.S.lat
	l.mu.Lock()
	ts := l.events[string(c.Args[2])]
	var h []latencySample
	var worst int64
	if ts != nil {
		h, worst = ts.history(), ts.max
	}
	l.mu.Unlock()
	if ts == nil {
		c.Err("ERR No samples available for event '" + string(c.Args[2]) + "'")
		return
	}
	var lo, hi int64 = math.MaxInt64, 0
	for _, s := range h {
		lo, hi = min(lo, s.ms), max(hi, s.ms)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", c.Args[2], hi, lo, worst)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	const rows = 4
	for r := rows; r > 0; r-- {
		for _, s := range h {
			level := int64(0)
			if hi > 0 {
				level = (s.ms*rows + hi - 1) / hi
			}
			if level >= int64(r) {
				b.WriteByte('#')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	now := time.Now().Unix()
	for _, s := range h {
		age := now - s.at
		switch {
		case age < 60:
			b.WriteByte('s')
		case age < 3600:
			b.WriteByte('m')
		default:
			b.WriteByte('h')
		}
	}
	b.WriteByte('\n')
	c.Verbatim(b.String())
}

const (
	latencyDisabled = `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.`
	latencyNone     = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over."
)

// LATENCY DOCTOR: per event, its spikes, average, mean deviation, period
// and worst case, then advice.
func cmdLatencyDoctor(c *Ctx) {
	l := &c.S.lat
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) == 0 {
		if l.threshold.Load() == 0 {
			c.Verbatim(latencyDisabled + "\n")
		} else {
			c.Verbatim(latencyNone + "\n")
		}
		return
	}
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
	for i, n := range l.eventNames() {
		h := l.events[n].history()
		var sum, minAt, maxAt int64 = 0, math.MaxInt64, 0
		for _, s := range h {
			sum += s.ms
			minAt, maxAt = min(minAt, s.at), max(maxAt, s.at)
		}
		avg := sum / int64(len(h))
		var dev int64
		for _, s := range h {
			d := s.ms - avg
			if d < 0 {
				d = -d
			}
			dev += d
		}
		dev /= int64(len(h))
		period := float64(maxAt-minAt) / float64(len(h))
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, n, len(h), avg, dev, period, l.events[n].max)
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	if sl := c.S.slowlogThreshold.Load(); sl < 0 || sl/1000 > l.threshold.Load() {
		fmt.Fprintf(&b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", l.threshold.Load()*1000)
	}
	b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
	b.WriteString("- Commands that touch many keys or large collections read them from disk (RocksDB): check INFO rocksdb for compaction stalls and block cache hit rates, and consider a larger cache-size.\n")
	c.Verbatim(b.String())
}

// LATENCY HISTOGRAM [command ...]: per command, its calls and the
// cumulative count of calls at or under each power-of-two microsecond.
func cmdLatencyHistogram(c *Ctx) {
	var specs []*Spec
	if len(c.Args) == 2 {
		for _, sp := range Commands() {
			specs = append(specs, sp)
			specs = append(specs, SortedSubs(sp)...)
		}
	} else {
		for _, a := range c.Args[2:] {
			sp := findSpec(a)
			if sp == nil {
				continue
			}
			if sp.Subs != nil && sp.Handler == nil {
				specs = append(specs, SortedSubs(sp)...)
				continue
			}
			specs = append(specs, sp)
		}
	}
	type entry struct {
		name  string
		calls int64
		h     *hdrhistogram.Histogram
	}
	var out []entry
	seen := map[*Spec]bool{}
	for _, sp := range specs {
		if seen[sp] {
			continue
		}
		seen[sp] = true
		if h := sp.stats.lat.snapshot(); h != nil {
			out = append(out, entry{sp.Name, sp.stats.calls.Load(), h})
		}
	}
	c.Map(len(out))
	for _, e := range out {
		c.BulkStr(e.name)
		c.Map(2)
		c.BulkStr("calls")
		c.Int(e.calls)
		c.BulkStr("histogram_usec")
		buckets := cumulativeBuckets(e.h)
		c.Map(len(buckets))
		for _, bk := range buckets {
			c.Int(bk[0])
			c.Int(bk[1])
		}
	}
}

// cumulativeBuckets returns (µs, cumulative count) at 1, 2, 4 ... µs,
// where the count grows, as Redis's log iteration from 1024 ns by 2: the
// bound shown is the highest value equivalent to 2^k ns in a two-digit
// histogram, in microseconds.
func cumulativeBuckets(h *hdrhistogram.Histogram) [][2]int64 {
	bars := h.Distribution()
	var out [][2]int64
	var cum, prev int64
	i := 0
	for bound := int64(1024); ; bound *= 2 {
		top := bound | (int64(1)<<max(bits.Len64(uint64(bound))-8, 0) - 1)
		for i < len(bars) && bars[i].From <= top {
			cum += bars[i].Count
			i++
		}
		if cum > prev {
			out = append(out, [2]int64{top / 1000, cum})
		}
		prev = cum
		if i >= len(bars) || bound > latHistMax {
			break
		}
	}
	return out
}

// normPercentiles checks latency-tracking-info-percentiles.
func normPercentiles(v string) (string, error) {
	for _, f := range strings.Fields(v) {
		p, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return "", configErr("Invalid latency-tracking-info-percentiles parameters")
		}
		if p < 0 || p > 100 {
			return "", configErr("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
	}
	p, _ := parsePercentiles(v)
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strings.Join(parts, " "), nil
}

// parsePercentiles parses latency-tracking-info-percentiles.
func parsePercentiles(v string) ([]float64, bool) {
	var out []float64
	for _, f := range strings.Fields(v) {
		p, err := strconv.ParseFloat(f, 64)
		if err != nil || p < 0 || p > 100 {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// appendLatencyStats writes INFO latencystats: per command that ran, its
// latency percentiles in microseconds.
func (s *Server) appendLatencyStats(w *infoWriter) {
	pcts := []float64{50, 99, 99.9}
	if p := s.lat.percentiles.Load(); p != nil {
		pcts = *p
	}
	var walk func(sp *Spec)
	walk = func(sp *Spec) {
		if h := sp.stats.lat.snapshot(); h != nil {
			parts := make([]string, len(pcts))
			for i, p := range pcts {
				parts[i] = "p" + strconv.FormatFloat(p, 'f', -1, 64) + "=" + strconv.FormatFloat(float64(h.ValueAtPercentile(p))/1000, 'f', 3, 64)
			}
			w.kv("latency_percentiles_usec_"+sp.Name, strings.Join(parts, ","))
		}
		for _, sub := range SortedSubs(sp) {
			walk(sub)
		}
	}
	for _, sp := range Commands() {
		walk(sp)
	}
}

// --- MEMORY STATS ---

// MEMORY STATS: redis-server's fields, with DiskDB's memory: the Go heap,
// RocksDB's block cache and memtables, and client buffers.
func cmdMemoryStats(c *Ctx) {
	s := c.S
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mem := s.memoryFigures(&ms)
	clientsNormal, _ := s.clientMemory()
	keys := int64(0)
	type dbStat struct {
		db   int
		keys int64
	}
	var dbs []dbStat
	for db := 0; db < s.eng.Databases(); db++ {
		if n := s.eng.DBSize(db); n > 0 {
			keys += n
			dbs = append(dbs, dbStat{db, n})
		}
	}
	overhead := int64(ms.HeapAlloc)
	dataset := mem.cache + mem.memtables
	perKey := int64(0)
	if keys > 0 {
		perKey = (mem.used - overhead) / keys
	}
	rss := readRSS()
	c.Map(29 + len(dbs))
	kvInt := func(k string, v int64) { c.BulkStr(k); c.Int(v) }
	kvF := func(k string, v float64) { c.BulkStr(k); c.Double(v) }
	kvInt("peak.allocated", mem.peak)
	kvInt("total.allocated", mem.used)
	kvInt("startup.allocated", 0)
	kvInt("replication.backlog", 0)
	kvInt("clients.slaves", 0)
	kvInt("clients.normal", clientsNormal)
	kvInt("cluster.links", 0)
	kvInt("aof.buffer", 0)
	kvInt("lua.caches", 0)
	kvInt("functions.caches", 0)
	for _, d := range dbs {
		c.BulkStr("db." + strconv.Itoa(d.db))
		c.Map(3)
		kvInt("overhead.hashtable.main", 0)
		kvInt("overhead.hashtable.expires", 0)
		kvInt("overhead.hashtable.slot-to-keys", 0)
	}
	kvInt("overhead.total", overhead)
	kvInt("keys.count", keys)
	kvInt("keys.bytes-per-key", perKey)
	kvInt("dataset.bytes", dataset)
	kvF("dataset.percentage", 100*float64(dataset)/float64(max(mem.used, 1)))
	kvF("peak.percentage", 100*float64(mem.used)/float64(max(mem.peak, 1)))
	kvInt("allocator.allocated", int64(ms.HeapAlloc))
	kvInt("allocator.active", int64(ms.HeapInuse))
	kvInt("allocator.resident", int64(ms.Sys))
	kvF("allocator-fragmentation.ratio", float64(ms.HeapInuse)/float64(max(ms.HeapAlloc, 1)))
	kvInt("allocator-fragmentation.bytes", int64(ms.HeapInuse)-int64(ms.HeapAlloc))
	kvF("allocator-rss.ratio", float64(ms.Sys)/float64(max(ms.HeapInuse, 1)))
	kvInt("allocator-rss.bytes", int64(ms.Sys)-int64(ms.HeapInuse))
	kvF("rss-overhead.ratio", float64(rss)/float64(max(int64(ms.Sys), 1)))
	kvInt("rss-overhead.bytes", rss-int64(ms.Sys))
	kvF("fragmentation", float64(rss)/float64(max(mem.used, 1)))
	kvInt("fragmentation.bytes", rss-mem.used)
	kvInt("rocksdb.block-cache", mem.cache)
	kvInt("rocksdb.memtables", mem.memtables)
}

// memFigures are the parts of DiskDB's memory INFO and MEMORY report.
type memFigures struct {
	used, peak, cache, memtables int64
}

// memoryFigures computes used memory (Go heap + block cache + memtables)
// and tracks its peak.
func (s *Server) memoryFigures(ms *runtime.MemStats) memFigures {
	memtables, _ := strconv.ParseInt(s.eng.Property("rocksdb.cur-size-all-mem-tables"), 10, 64)
	cache := int64(s.eng.CacheUsage())
	used := int64(ms.HeapAlloc) + cache + memtables
	peak := s.adm.peakMemory.Load()
	for used > peak && !s.adm.peakMemory.CompareAndSwap(peak, used) {
		peak = s.adm.peakMemory.Load()
	}
	return memFigures{used: used, peak: max(peak, used), cache: cache, memtables: memtables}
}

// memoryDoctor is MEMORY DOCTOR's report.
func (s *Server) memoryDoctor() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mem := s.memoryFigures(&ms)
	if mem.used < 5<<20 {
		return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."
	}
	var issues []string
	if mem.peak > mem.used*3/2 {
		issues = append(issues, fmt.Sprintf(" * Peak memory: In the past this instance used more than 150%% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n"))
	}
	normal, _ := s.clientMemory()
	if normal > mem.used/2 {
		issues = append(issues, fmt.Sprintf(" * Big client buffers: The clients output buffers are using %s, more than half the memory in use. Check CLIENT LIST (omem, tot-mem) and consider client-output-buffer-limit or maxmemory-clients.\n\n", humanBytes(normal)))
	}
	if len(issues) == 0 {
		return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
	}
	return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + strings.Join(issues, "") + "I'm here to keep you safe, Sam. I want to help you.\n"
}

// --- INFO rocksdb ---

// walSize is the size of RocksDB's write-ahead log files (INFO
// persistence reports it as the AOF's size).
func (s *Server) walSize() int64 {
	dir := filepath.Join(s.cfg.Get("dir"), "rocksdb")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".log") {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
	}
	return n
}

// rocksTickers parses RocksDB's statistics text: "name COUNT : n" lines.
func rocksTickers(stats string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(stats, "\n") {
		name, rest, ok := strings.Cut(line, " COUNT : ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil {
			out[name] = n
		}
	}
	return out
}

func hitRate(hits, misses int64) string {
	if hits+misses == 0 {
		return "0.00"
	}
	return strconv.FormatFloat(100*float64(hits)/float64(hits+misses), 'f', 2, 64)
}

// appendRocksDBInfo writes INFO rocksdb: sizes, memtables, compaction and
// write stalls, caches and their hit rates (the block cache's when
// rocksdb-statistics is on), files per level.
func (s *Server) appendRocksDBInfo(w *infoWriter) {
	e := s.eng
	prop := func(name string) int64 {
		n, _ := strconv.ParseInt(e.Property("rocksdb."+name), 10, 64)
		return n
	}
	for _, p := range []string{"estimate-num-keys", "total-sst-files-size", "live-sst-files-size", "estimate-live-data-size",
		"cur-size-all-mem-tables", "size-all-mem-tables", "num-immutable-mem-table", "mem-table-flush-pending",
		"compaction-pending", "estimate-pending-compaction-bytes", "estimate-table-readers-mem", "num-live-versions"} {
		w.kv("rocksdb_"+strings.ReplaceAll(p, "-", "_"), e.PropertySum("rocksdb."+p))
	}
	w.kv("rocksdb_wal_size", s.walSize())
	for _, p := range []string{"num-running-compactions", "num-running-flushes", "actual-delayed-write-rate",
		"is-write-stopped", "background-errors", "num-snapshots", "block-cache-capacity", "block-cache-usage", "block-cache-pinned-usage"} {
		w.kv("rocksdb_"+strings.ReplaceAll(p, "-", "_"), prop(p))
	}
	for lvl := 0; lvl < 7; lvl++ {
		w.kv("rocksdb_num_files_at_level"+strconv.Itoa(lvl), e.PropertySum("rocksdb.num-files-at-level"+strconv.Itoa(lvl)))
	}
	st := e.Stats()
	hits, misses := st.CacheHits.Load(), st.CacheMisses.Load()
	w.kv("hot_cache_hit_rate", hitRate(hits, misses))
	stats := e.Statistics()
	w.kv("rocksdb_statistics", b2i(stats != ""))
	if stats == "" {
		return
	}
	t := rocksTickers(stats)
	bh, bm := t["rocksdb.block.cache.hit"], t["rocksdb.block.cache.miss"]
	w.kv("rocksdb_block_cache_hits", bh)
	w.kv("rocksdb_block_cache_misses", bm)
	w.kv("rocksdb_block_cache_hit_rate", hitRate(bh, bm))
	for _, k := range []string{"block.cache.data.hit", "block.cache.data.miss", "block.cache.index.hit", "block.cache.index.miss",
		"block.cache.filter.hit", "block.cache.filter.miss", "bloom.filter.useful", "memtable.hit", "memtable.miss",
		"stall.micros", "compact.read.bytes", "compact.write.bytes", "flush.write.bytes", "bytes.written", "bytes.read",
		"wal.bytes", "wal.synced", "number.keys.written", "number.keys.read"} {
		w.kv("rocksdb_"+strings.ReplaceAll(k, ".", "_"), t["rocksdb."+k])
	}
}

// --- for the metrics endpoint ---

// CommandMetric is one command's counters and latency distribution, for
// the Prometheus endpoint.
type CommandMetric struct {
	Name                   string
	Calls, Failed, Rejects int64
	Seconds                float64   // total time in the handler
	Count                  int64     // calls in the latency histogram
	Cumulative             []float64 // calls at or under each bound
}

// CommandMetrics returns the commands that ran, with their latency
// histograms cumulated at bounds (seconds, ascending).
func (s *Server) CommandMetrics(bounds []float64) []CommandMetric {
	var out []CommandMetric
	var walk func(sp *Spec)
	walk = func(sp *Spec) {
		st := sp.stats
		if calls := st.calls.Load(); calls > 0 || st.rejected.Load() > 0 {
			m := CommandMetric{Name: sp.Name, Calls: calls, Failed: st.failed.Load(), Rejects: st.rejected.Load(),
				Seconds: float64(st.usec.Load()) / 1e6, Cumulative: make([]float64, len(bounds))}
			if h := st.lat.snapshot(); h != nil {
				m.Count = h.TotalCount()
				bars := h.Distribution()
				var cum int64
				i := 0
				for j, b := range bounds {
					ns := int64(b * 1e9)
					for i < len(bars) && bars[i].To <= ns {
						cum += bars[i].Count
						i++
					}
					m.Cumulative[j] = float64(cum)
				}
			}
			out = append(out, m)
		}
		for _, sub := range SortedSubs(sp) {
			walk(sub)
		}
	}
	for _, sp := range Commands() {
		walk(sp)
	}
	return out
}

// Info returns INFO's text for the given sections, as the INFO command
// replies it.
func (s *Server) Info(sections ...string) string {
	var b []byte
	for _, sec := range sections {
		if len(b) > 0 {
			b = append(b, "\r\n"...)
		}
		b = s.infoSection(b, sec)
	}
	return string(b)
}
