package command

import (
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Limits on what clients may hold: output buffer limits per client class
// (client-output-buffer-limit), a cap on one reply (max-reply-size), a
// budget for all client buffers together (maxmemory-clients), and idle
// clients closed after timeout seconds. The figures each client reports
// here also feed CLIENT LIST and INFO.

// Client classes of client-output-buffer-limit.
const (
	classNormal  = 0
	classReplica = 1
	classPubsub  = 2
)

var classNames = [3]string{"normal", "slave", "pubsub"}

type outputLimit struct {
	hard, soft, softSecs int64
}

// limitState holds the limits in force and what they did.
type limitState struct {
	output   atomic.Pointer[[3]outputLimit]
	maxReply atomic.Int64
	budget   atomic.Int64 // maxmemory-clients in bytes (0: none)
	// budgetSpec is maxmemory-clients as set (bytes or "N%"), maxmemory
	// what a percentage applies to.
	budgetSpec atomic.Value
	maxmemory  atomic.Int64
	timeout    atomic.Int64 // seconds (0: never)

	evicted   atomic.Int64 // clients closed over maxmemory-clients
	obKills   atomic.Int64 // clients closed over their output buffer limit
	replyCaps atomic.Int64 // replies refused over max-reply-size
	idleKills atomic.Int64 // clients closed after timeout
	qbufKills atomic.Int64 // clients closed over client-query-buffer-limit

	// Computed by the cron from every client's figures.
	clientsMem   atomic.Int64
	recentMaxIn  atomic.Int64
	recentMaxOut atomic.Int64
}

// clientMem is a client's buffer accounting. The loop goroutine updates it
// in Serve; push updates the output queued for the loop.
type clientMem struct {
	qbuf      atomic.Int64 // input received and not parsed yet
	qbufCap   atomic.Int64 // input buffer capacity
	ready     atomic.Int64 // output queued for the loop
	backend   atomic.Int64 // output the backend holds, not yet taken by the socket (at the last Serve)
	softSince atomic.Int64 // unix ms the output went over the soft limit (0: under)
	multi     atomic.Int64 // commands queued by MULTI (-1: not in MULTI)
	multiMem  atomic.Int64 // their arguments' bytes
	buffered  func() int   // the backend's OutboundBuffered, if it has one (loop goroutine)
	probed    bool
}

// outboundBuffered is implemented by backends that hold output they could
// not write yet (gnet's outbound buffer, the TLS write in progress).
type outboundBuffered interface{ OutboundBuffered() int }

// class returns the client's client-output-buffer-limit class: pubsub
// while it has subscriptions.
func (cl *Client) class() int {
	if cl.nsubs.Load() > 0 {
		return classPubsub
	}
	return classNormal
}

// outputMem is the client's output not yet read by the peer (as far as
// DiskDB knows: queued for the loop, or held by the backend).
func (cl *Client) outputMem() int64 { return cl.mem.ready.Load() + cl.mem.backend.Load() }

// totalMem estimates everything the client holds: its input buffer, its
// pending output and its queued transaction.
func (cl *Client) totalMem() int64 {
	return cl.mem.qbufCap.Load() + cl.outputMem() + max(cl.mem.multiMem.Load(), 0)
}

// overOutputLimit applies client-output-buffer-limit to used bytes of
// pending output (checkClientOutputBufferLimits): over the hard limit, or
// over the soft limit for longer than its seconds.
func (cl *Client) overOutputLimit(used int64) bool {
	lims := cl.s.lim.output.Load()
	if lims == nil {
		return false
	}
	l := lims[cl.class()]
	hard := l.hard > 0 && used >= l.hard
	soft := l.soft > 0 && used >= l.soft
	if soft {
		now := time.Now().UnixMilli()
		since := cl.mem.softSince.Load()
		if since == 0 {
			cl.mem.softSince.Store(now)
			soft = false
		} else if now-since <= l.softSecs*1000 {
			soft = false
		}
	} else if cl.mem.softSince.Load() != 0 {
		cl.mem.softSince.Store(0)
	}
	return hard || soft
}

// afterServe records the client's buffers once the loop has the output to
// write (out bytes; ready more bytes queued since) and reports whether the
// output limit closes the client. It runs on the loop goroutine, where the
// backend's buffered output may be read.
func (cl *Client) afterServe(out, ready int) bool {
	m := &cl.mem
	if !m.probed {
		m.probed = true
		if ob, ok := cl.conn.(outboundBuffered); ok {
			m.buffered = ob.OutboundBuffered
		}
	}
	var buffered int64
	if m.buffered != nil {
		buffered = int64(m.buffered())
	}
	m.backend.Store(buffered + int64(out))
	m.ready.Store(int64(ready))
	m.qbuf.Store(int64(len(cl.in) - cl.inPos))
	m.qbufCap.Store(int64(cap(cl.in)))
	if cl.overOutputLimit(buffered + int64(out) + int64(ready)) {
		cl.outputLimitKill()
		return true
	}
	return false
}

// afterBatch records the transaction state once a batch has completed
// (loop goroutine, no batch in flight).
func (cl *Client) afterBatch() {
	if cl.multi == nil {
		cl.mem.multi.Store(-1)
		cl.mem.multiMem.Store(0)
		return
	}
	var n int64
	for _, q := range cl.multi.cmds {
		for _, a := range q.args {
			n += int64(len(a))
		}
	}
	cl.mem.multi.Store(int64(len(cl.multi.cmds)))
	cl.mem.multiMem.Store(n)
}

// afterPush checks the limit when out-of-band output (pub/sub messages,
// MONITOR lines) was queued; ready is the queued size. The backend's part
// is the one seen at the loop's last turn (the loop runs again for this
// push and checks the exact figure). It reports whether the client was
// closed.
func (cl *Client) afterPush(ready int) bool {
	cl.mem.ready.Store(int64(ready))
	if cl.overOutputLimit(int64(ready) + cl.mem.backend.Load()) {
		cl.outputLimitKill()
		cl.mu.Lock()
		cl.killed = true
		cl.mu.Unlock()
		cl.conn.Close()
		return true
	}
	return false
}

func (cl *Client) outputLimitKill() {
	cl.s.lim.obKills.Add(1)
	cl.s.log.Warn("client scheduled to be closed ASAP for overcoming of output buffer limits",
		"id", cl.id, "addr", cl.addr, "class", classNames[cl.class()], "omem", cl.outputMem())
}

// --- settings ---

// applyOutputLimits parses client-output-buffer-limit (already checked).
func (s *Server) applyOutputLimits(v string) {
	var lims [3]outputLimit
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		idx := -1
		for j, n := range classNames {
			if strings.EqualFold(f[i], n) || (j == classReplica && strings.EqualFold(f[i], "replica")) {
				idx = j
			}
		}
		if idx < 0 {
			continue
		}
		hard, _ := memValue(f[i+1])
		soft, _ := memValue(f[i+2])
		secs, _ := strconv.ParseInt(f[i+3], 10, 64)
		lims[idx] = outputLimit{hard, soft, secs}
	}
	s.lim.output.Store(&lims)
}

// resolveBudget computes maxmemory-clients in bytes: its value, or a
// percentage of maxmemory ("5%"; nothing while maxmemory is 0).
func (l *limitState) resolveBudget() {
	v, _ := l.budgetSpec.Load().(string)
	if strings.HasSuffix(v, "%") {
		pct, _ := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 64)
		l.budget.Store(l.maxmemory.Load() * pct / 100)
		return
	}
	n, _ := memValue(v)
	l.budget.Store(n)
}

// normClientBudget checks maxmemory-clients: a memory value or 1%..100%.
func normClientBudget(v string) (string, error) {
	if strings.HasSuffix(v, "%") {
		pct, err := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 64)
		if err != nil || pct < 0 || pct > 100 {
			return "", errBadPercent
		}
		return strconv.FormatInt(pct, 10) + "%", nil
	}
	n, err := memValue(v)
	if err != nil {
		return "", errBadMemory
	}
	return strconv.FormatInt(n, 10), nil
}

type configErr string

func (e configErr) Error() string { return string(e) }

const (
	errBadPercent configErr = "argument must be between 0% and 100% inclusive"
	errBadMemory  configErr = "argument must be a memory or percent value"
)

// --- the cron: idle clients, the client memory budget, INFO figures ---

// StartCron runs the server's periodic work (ten times a second, as
// Redis's hz 10) until stop is closed.
func (s *Server) StartCron(stop <-chan struct{}) {
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.cronTick()
			}
		}
	}()
}

func (s *Server) cronTick() {
	clients := s.clientList()
	now := time.Now().UnixMilli()
	timeout := s.lim.timeout.Load() * 1000
	var total, maxIn, maxOut int64
	for _, cl := range clients {
		mem := cl.totalMem()
		total += mem
		maxIn = max(maxIn, cl.mem.qbufCap.Load())
		maxOut = max(maxOut, cl.outputMem())
		if timeout > 0 && now-cl.lastTouch.Load() > timeout && cl.idleClosable() {
			s.lim.idleKills.Add(1)
			s.log.Debug("closing idle client", "id", cl.id, "addr", cl.addr)
			s.disconnect(nil, cl)
		}
	}
	s.lim.clientsMem.Store(total)
	s.lim.recentMaxIn.Store(maxIn)
	s.lim.recentMaxOut.Store(maxOut)
	if budget := s.lim.budget.Load(); budget > 0 && total > budget {
		s.evictClients(clients, total, budget)
	}
}

// idleClosable reports whether timeout applies to the client: not a
// subscriber, not blocked, not a monitor, no command running.
func (cl *Client) idleClosable() bool {
	if cl.nsubs.Load() > 0 || cl.blocked.Load() != nil || cl.s.mon.has(cl) {
		return false
	}
	cl.mu.Lock()
	busy := cl.inflight
	cl.mu.Unlock()
	return !busy
}

// evictClients closes the clients that hold the most memory, largest
// first, until the total is within the budget (CLIENT NO-EVICT clients are
// spared).
func (s *Server) evictClients(clients []*Client, total, budget int64) {
	type sized struct {
		cl  *Client
		mem int64
	}
	var cand []sized
	for _, cl := range clients {
		cl.info.Lock()
		spared := cl.noEvict
		cl.info.Unlock()
		if !spared {
			cand = append(cand, sized{cl, cl.totalMem()})
		}
	}
	sort.Slice(cand, func(i, j int) bool { return cand[i].mem > cand[j].mem })
	for _, c := range cand {
		if total <= budget {
			break
		}
		s.lim.evicted.Add(1)
		s.log.Warn("evicting client over maxmemory-clients", "id", c.cl.id, "addr", c.cl.addr, "tot-mem", c.mem, "maxmemory-clients", budget)
		s.disconnect(nil, c.cl)
		total -= c.mem
	}
}

// clientMemory returns the memory of normal and pub/sub clients' buffers.
func (s *Server) clientMemory() (normal, pubsub int64) {
	for _, cl := range s.clientList() {
		if cl.class() == classPubsub {
			pubsub += cl.totalMem()
		} else {
			normal += cl.totalMem()
		}
	}
	return normal, pubsub
}
