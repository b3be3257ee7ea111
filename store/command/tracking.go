package command

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Client-side caching (tracking.c): CLIENT TRACKING, CLIENT CACHING,
// CLIENT GETREDIR, CLIENT TRACKINGINFO and the invalidation messages.
//
// Default mode remembers, per key name (all databases share it, as in
// Redis), the clients that read it with a read-only command; a change of the
// key (write, delete, expiry, RENAME, flush) sends them an invalidation and
// forgets them. The table is split by executor shard, like the keys: a key's
// entry is only touched by the goroutine that runs its shard, so its mutex
// is never contended on the command path. BCAST mode instead sends every
// change of a key under one of the client's prefixes.
//
// The store reports key changes through store.KeyObserver while a command
// runs; Server.call marks which client runs it (Tx.Ext), so that NOLOOP
// skips the client's own changes and the client's own invalidations follow
// the command's reply, as Redis sends them.
//
// Ordering: a client must never receive an invalidation before the reply
// that carried the value it invalidates, or it would cache a stale value
// for good. Replies of a batch are handed to the connection when the whole
// batch is done, so an invalidation for a client that read a key in the
// batch still in flight is held (Client.held) and goes out right after
// that batch's replies.

// Tracking flags (trackState.flags).
const (
	tOn uint32 = 1 << iota
	tBcast
	tOptin
	tOptout
	tNoloop
	tCaching
	tBroken
)

type trackState struct {
	// ref is what the table keeps for this client: it forgets the client
	// when the connection closes, so the table never keeps a Client alive.
	ref      *trackRef
	flags    atomic.Uint32
	redirect atomic.Int64
	// readSeq is 1 + the client's outSeq when it last ran a read-only
	// command: equal to outSeq+1 while that command's reply is in flight.
	readSeq atomic.Uint64
	// prefixes of BCAST mode, sorted (bcast.mu).
	prefixes []string
}

func (t *trackState) has(f uint32) bool { return t != nil && t.flags.Load()&f != 0 }

func (t *trackState) set(f uint32) {
	for {
		o := t.flags.Load()
		if t.flags.CompareAndSwap(o, o|f) {
			return
		}
	}
}

func (t *trackState) clear(f uint32) {
	for {
		o := t.flags.Load()
		if o&f == 0 || t.flags.CompareAndSwap(o, o&^f) {
			return
		}
	}
}

type trackRef struct{ cl atomic.Pointer[Client] }

// trackingClients counts the clients with tracking on (INFO
// tracking_clients); while it is 0 Server.call skips tracking entirely.
var trackingClients atomic.Int64

// trackTable is the default mode's table: key name → clients.
var trackTable struct {
	once   sync.Once
	srv    *Server
	shards []trackShard
	keys   atomic.Int64 // tracking_total_keys
	items  atomic.Int64 // tracking_total_items
	max    atomic.Int64 // tracking-table-max-keys (0: no limit)
	// trimming is set while tasks evict keys on other shards.
	trimming atomic.Bool
}

type trackShard struct {
	mu   sync.Mutex
	keys map[string]*trackedKey
}

// trackedKey holds the clients that read a key: a short list, and a set
// once many clients read the same key.
type trackedKey struct {
	cls []*trackRef
	set map[*trackRef]struct{}
}

func (k *trackedKey) add(cl *trackRef) bool {
	if k.set != nil {
		if _, ok := k.set[cl]; ok {
			return false
		}
		k.set[cl] = struct{}{}
		return true
	}
	for _, x := range k.cls {
		if x == cl {
			return false
		}
	}
	k.cls = append(k.cls, cl)
	if len(k.cls) > 16 {
		k.set = make(map[*trackRef]struct{}, len(k.cls))
		for _, x := range k.cls {
			k.set[x] = struct{}{}
		}
		k.cls = nil
	}
	return true
}

// clients returns the connected clients that read the key.
func (k *trackedKey) clients() []*Client {
	out := make([]*Client, 0, k.size())
	add := func(r *trackRef) {
		if cl := r.cl.Load(); cl != nil {
			out = append(out, cl)
		}
	}
	for _, r := range k.cls {
		add(r)
	}
	for r := range k.set {
		add(r)
	}
	return out
}

func (k *trackedKey) size() int {
	if k.set != nil {
		return len(k.set)
	}
	return len(k.cls)
}

// bcast is BCAST mode's table: prefix → clients.
var bcast struct {
	mu       sync.RWMutex
	prefixes map[string]map[*Client]struct{}
	n        atomic.Int64 // len(prefixes), read without the lock
}

// trackInit prepares the tables and installs the key observer the first
// time a client turns tracking on.
func trackInit(s *Server) {
	trackTable.once.Do(func() {
		trackTable.srv = s
		trackTable.shards = make([]trackShard, s.eng.Shards())
		for i := range trackTable.shards {
			trackTable.shards[i].keys = map[string]*trackedKey{}
		}
		bcast.mu.Lock()
		bcast.prefixes = map[string]map[*Client]struct{}{}
		bcast.mu.Unlock()
		s.eng.SetKeyObserver(trackObserver{})
	})
}

func init() {
	p := &Param{Name: "tracking-table-max-keys", Default: "1000000", Kind: kInt, Min: 0, Max: math.MaxInt64,
		Help: "keys remembered for client-side caching (CLIENT TRACKING) before the oldest are invalidated (0: no limit)",
		apply: func(s *Server, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			trackTable.max.Store(n)
			trimTrackingTable(s, -1)
		}}
	params = append(params, p)
	paramIndex[p.Name] = p
	resetHooks = append(resetHooks, func(cl *Client) { cl.trackingOff() })
}

// --- per-command state ---

// execState is what a Tx carries while a command runs (Tx.Ext).
type execState struct {
	actor   *Client
	depth   int
	script  *Ctx // innermost script command running (its keys are tracked)
	changes []keyChange
	flushes int // databases flushed by the command
	// bcast holds the keys changed under BCAST prefixes: prefix → key →
	// the client that changed it last (nil: expired).
	bcast   map[string]map[string]*Client
	selfOut []byte // invalidations for the actor, after its reply
}

type keyChange struct {
	key     []byte
	expired bool
}

func isScriptSpec(sp *Spec) bool {
	switch sp.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

func isClientSub(sp *Spec) bool { return sp.parent != nil && sp.parent.Name == "client" }

// tracked runs the command of c with client-side caching's bookkeeping
// (Server.call calls it while any client tracks).
func tracked(c *Ctx) {
	cl := c.Cl
	var st *execState
	if c.Tx != nil {
		st, _ = c.Tx.Ext.(*execState)
		if st == nil {
			st = &execState{}
			c.Tx.Ext = st
		}
	}
	top := st == nil || st.depth == 0
	var prevScript *Ctx
	if st != nil {
		if st.depth == 0 {
			st.actor = cl
		}
		st.depth++
		prevScript = st.script
		if isScriptSpec(c.Spec) {
			st.script = c
		}
	}
	c.Spec.Handler(c)
	if st != nil {
		st.process()
	}
	trackReads(c, st)
	if st != nil {
		st.script = prevScript
		st.depth--
		if st.depth == 0 {
			st.finish(c)
		}
	}
	if top && !isClientSub(c.Spec) && cl.multi == nil {
		// CLIENT CACHING applies to the next command or transaction.
		if t := cl.trk; t != nil {
			t.clear(tCaching)
		}
	}
}

// trackReads remembers the keys a tracking client read.
func trackReads(c *Ctx, st *execState) {
	cl := c.Cl
	t := cl.trk
	if !t.has(tOn) || c.Spec.Flags&FlagReadOnly == 0 {
		return
	}
	t.readSeq.Store(cl.outSeq.Load() + 1)
	f := t.flags.Load()
	if f&tBcast != 0 || c.Spec.Flags&FlagPubSub != 0 {
		return
	}
	caching := f&tCaching != 0
	if f&tOptin != 0 && !caching || f&tOptout != 0 && caching {
		return
	}
	src := c
	if isScriptSpec(c.Spec) {
		// EVAL_RO and FCALL_RO track through the commands they call.
		return
	}
	if st != nil && st.script != nil && st.depth > 1 {
		// A script that reads tracks the keys it declared.
		src = st.script
	}
	pos := src.Spec.keyPositions(src.Args, nil)
	if len(pos) == 0 || c.Tx == nil {
		return
	}
	eng := c.S.eng
	for _, p := range pos {
		if p < len(src.Args) {
			rememberKey(c.S, eng.ShardOf(src.Args[p]), src.Args[p], cl, st)
		}
	}
}

func rememberKey(s *Server, shard int, key []byte, cl *Client, st *execState) {
	ts := &trackTable.shards[shard]
	ts.mu.Lock()
	k := ts.keys[string(key)]
	if k == nil {
		k = &trackedKey{}
		ts.keys[string(key)] = k
		trackTable.keys.Add(1)
	}
	if k.add(cl.trk.ref) {
		trackTable.items.Add(1)
	}
	ts.mu.Unlock()
	if max := trackTable.max.Load(); max > 0 && trackTable.keys.Load() > max {
		evictTracked(shard, st)
		if trackTable.keys.Load() > max {
			trimTrackingTable(s, shard)
		}
	}
}

// evictTracked invalidates keys of one shard's table until the table is
// within tracking-table-max-keys or that shard has none left (Redis evicts
// random keys too).
func evictTracked(shard int, st *execState) {
	ts := &trackTable.shards[shard]
	type victim struct {
		key string
		cls []*Client
	}
	var out []victim
	ts.mu.Lock()
	for key, k := range ts.keys {
		if trackTable.keys.Load() <= trackTable.max.Load() {
			break
		}
		out = append(out, victim{key, k.clients()})
		delete(ts.keys, key)
		trackTable.keys.Add(-1)
		trackTable.items.Add(-int64(k.size()))
	}
	ts.mu.Unlock()
	for _, v := range out {
		for _, tc := range v.cls {
			if tc.trk.has(tOn) && !tc.trk.has(tBcast) {
				sendInvalidation(tc, [][]byte{[]byte(v.key)}, false, st)
			}
		}
	}
}

// trimTrackingTable asks the shards other than skip to evict keys while the
// table is over its limit.
func trimTrackingTable(s *Server, skip int) {
	if trackTable.shards == nil || trackTable.max.Load() == 0 || trackTable.keys.Load() <= trackTable.max.Load() {
		return
	}
	if !trackTable.trimming.CompareAndSwap(false, true) {
		return
	}
	var pending atomic.Int32
	n := s.eng.Shards()
	pending.Store(int32(n))
	for i := 0; i < n; i++ {
		t := &trimTask{shard: i, skip: i == skip, pending: &pending}
		s.eng.Submit(i, t)
	}
}

type trimTask struct {
	shard   int
	skip    bool
	pending *atomic.Int32
}

func (t *trimTask) Run(*store.Tx) {
	if !t.skip {
		evictTracked(t.shard, nil)
	}
}

func (t *trimTask) Done(error) {
	if t.pending.Add(-1) == 0 {
		trackTable.trimming.Store(false)
	}
}

// --- key changes ---

type trackObserver struct{}

func trackingIdle() bool {
	return trackTable.keys.Load() == 0 && bcast.n.Load() == 0 && trackingClients.Load() == 0
}

func (trackObserver) KeyChanged(tx *store.Tx, db int, key []byte, expired bool) {
	if trackTable.keys.Load() == 0 && bcast.n.Load() == 0 {
		return
	}
	if st, ok := tx.Ext.(*execState); ok && st.depth > 0 {
		st.changes = append(st.changes, keyChange{key: append([]byte(nil), key...), expired: expired})
		return
	}
	// Active expiry, or a blocked client served by a write: no command of
	// a client runs.
	st := &execState{}
	invalidateKey(tx.Engine().ShardOf(key), key, expired, st)
	st.sendBcast()
}

func (trackObserver) DBFlushed(tx *store.Tx, db int) {
	if trackingIdle() {
		return
	}
	if st, ok := tx.Ext.(*execState); ok && st.depth > 0 {
		st.flushes++
		return
	}
	st := &execState{flushes: 1}
	st.process()
}

// process handles the changes the running command made so far.
func (st *execState) process() {
	if st.flushes > 0 {
		st.flushes = 0
		invalidateAll(st)
	}
	if len(st.changes) == 0 {
		return
	}
	eng := trackTable.srv.eng
	for _, ch := range st.changes {
		invalidateKey(eng.ShardOf(ch.key), ch.key, ch.expired, st)
	}
	clear(st.changes)
	st.changes = st.changes[:0]
}

// finish ends the top-level command: BCAST messages go out, and the
// actor's own invalidations follow its reply.
func (st *execState) finish(c *Ctx) {
	st.sendBcast()
	if len(st.selfOut) > 0 {
		c.Out = append(c.Out, st.selfOut...)
		st.selfOut = st.selfOut[:0]
	}
	st.actor = nil
	st.script = nil
}

// invalidateKey tells the clients tracking key that it changed.
func invalidateKey(shard int, key []byte, expired bool, st *execState) {
	if trackTable.keys.Load() > 0 && trackTable.shards != nil {
		ts := &trackTable.shards[shard]
		ts.mu.Lock()
		k := ts.keys[string(key)]
		var cls []*Client
		if k != nil {
			cls = k.clients()
			delete(ts.keys, string(key))
			trackTable.keys.Add(-1)
			trackTable.items.Add(-int64(k.size()))
		}
		ts.mu.Unlock()
		for _, tc := range cls {
			f := tc.trk.flags.Load()
			if f&tOn == 0 || f&tBcast != 0 {
				continue
			}
			if f&tNoloop != 0 && tc == st.actor {
				continue
			}
			sendInvalidation(tc, [][]byte{key}, false, st)
		}
	}
	if bcast.n.Load() > 0 {
		var mod *Client
		if !expired {
			mod = st.actor
		}
		bcast.mu.RLock()
		for p := range bcast.prefixes {
			if !bytes.HasPrefix(key, []byte(p)) {
				continue
			}
			if st.bcast == nil {
				st.bcast = map[string]map[string]*Client{}
			}
			m := st.bcast[p]
			if m == nil {
				m = map[string]*Client{}
				st.bcast[p] = m
			}
			m[string(key)] = mod
		}
		bcast.mu.RUnlock()
	}
}

// sendBcast sends the BCAST invalidations collected: per prefix, its
// changed keys in order, to each client of the prefix (NOLOOP clients
// without the keys they changed themselves).
func (st *execState) sendBcast() {
	if len(st.bcast) == 0 {
		return
	}
	prefixes := make([]string, 0, len(st.bcast))
	for p := range st.bcast {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	type target struct {
		cl   *Client
		keys [][]byte
	}
	var sends []target
	bcast.mu.RLock()
	for _, p := range prefixes {
		m := st.bcast[p]
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for tc := range bcast.prefixes[p] {
			noloop := tc.trk.has(tNoloop)
			var ks [][]byte
			for _, k := range keys {
				if noloop && m[k] == tc {
					continue
				}
				ks = append(ks, []byte(k))
			}
			if len(ks) > 0 {
				sends = append(sends, target{tc, ks})
			}
		}
	}
	bcast.mu.RUnlock()
	clear(st.bcast)
	for _, s := range sends {
		sendInvalidation(s.cl, s.keys, false, st)
	}
}

// invalidateAll sends the flush invalidation (a null) to every tracking
// client and empties the table (redis-server 7.0 does so for FLUSHDB too).
func invalidateAll(st *execState) {
	s := trackTable.srv
	{
		for i := range trackTable.shards {
			ts := &trackTable.shards[i]
			ts.mu.Lock()
			for key, k := range ts.keys {
				trackTable.keys.Add(-1)
				trackTable.items.Add(-int64(k.size()))
				delete(ts.keys, key)
			}
			ts.mu.Unlock()
		}
	}
	if trackingClients.Load() == 0 {
		return
	}
	for _, cl := range s.clientList() {
		if cl.trkState().has(tOn) {
			sendInvalidation(cl, nil, true, st)
		}
	}
}

// --- messages ---

var (
	invPush   = []byte(">2\r\n$10\r\ninvalidate\r\n")
	invPubsub = []byte("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n")
)

func (cl *Client) isRESP3() bool {
	cl.info.Lock()
	defer cl.info.Unlock()
	return cl.resp3
}

// sendInvalidation sends keys (or, for null, the flush invalidation) to the
// tracking client tc: to the client it redirects to, if any, as a RESP3
// push or, for a RESP2 client in pub/sub mode, as a message of the
// __redis__:invalidate channel; RESP2 clients without redirection get
// nothing (as in Redis).
func sendInvalidation(tc *Client, keys [][]byte, null bool, st *execState) {
	dest := tc
	redirected := false
	if rid := tc.trk.redirect.Load(); rid != 0 {
		s := tc.s
		s.clientsMu.Lock()
		r := s.clients[rid]
		s.clientsMu.Unlock()
		if r == nil || r.isKilled() {
			tc.trk.set(tBroken)
			if tc.isRESP3() {
				b := proto.AppendPush(nil, 2, true)
				b = proto.AppendBulkString(b, "tracking-redir-broken")
				b = proto.AppendInt(b, rid)
				deliver(tc, b, st)
			}
			return
		}
		dest, redirected = r, true
	}
	var b []byte
	switch {
	case dest.isRESP3():
		b = append(b, invPush...)
	case redirected && dest.nsubs.Load() > 0:
		b = append(b, invPubsub...)
	default:
		return
	}
	if null {
		// The null of the tracking client's protocol, as Redis sends it.
		b = proto.AppendNull(b, tc.isRESP3())
	} else {
		b = proto.AppendArray(b, len(keys))
		for _, k := range keys {
			b = proto.AppendBulk(b, k)
		}
	}
	deliver(dest, b, st)
}

func (cl *Client) isKilled() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.killed
}

// deliver queues an invalidation for dest: after the running command's
// reply when dest runs it, held until its batch's replies go out when dest
// may have read the key in that batch, otherwise at once.
func deliver(dest *Client, b []byte, st *execState) {
	if st != nil && st.actor == dest {
		st.selfOut = append(st.selfOut, b...)
		return
	}
	hold := false
	dest.mu.Lock()
	if dest.killed {
		dest.mu.Unlock()
		return
	}
	if dest.inflight {
		switch {
		case st != nil && st.actor != nil:
			// A command of another client changed the key: hold only if
			// dest read something in the batch still in flight.
			hold = dest.trk != nil && dest.trk.readSeq.Load() == dest.outSeq.Load()+1
		default:
			// No client's command (expiry, a blocked client served): the
			// change may be dest's own blocked command being served, whose
			// reply comes first. A client waiting idle in a blocking
			// command gets it at once.
			hold = true
			if w := dest.blocked.Load(); w != nil && w.mu.TryLock() {
				hold = w.state != waitWaiting
				w.mu.Unlock()
				if dest.trk != nil && dest.trk.readSeq.Load() == dest.outSeq.Load()+1 {
					hold = true
				}
			}
		}
	}
	if hold {
		dest.held = append(dest.held, b...)
		dest.mu.Unlock()
		return
	}
	dest.ready = append(dest.ready, b...)
	dest.mu.Unlock()
	dest.conn.Wake()
}

// handOver is called (mu held) when the batch's replies up to now have been
// appended to out: invalidations held for them follow.
func (cl *Client) handOver(out []byte) []byte {
	if len(cl.held) > 0 {
		out = append(out, cl.held...)
		cl.held = cl.held[:0]
	}
	cl.outSeq.Add(1)
	return out
}

// --- enabling and disabling ---

// trkState returns the client's tracking state (nil if it never tracked),
// from any goroutine.
func (cl *Client) trkState() *trackState {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.trk
}

func (cl *Client) enableTracking(redirect int64, opts uint32, prefixes []string) {
	trackInit(cl.s)
	t := cl.trk
	if t == nil {
		t = &trackState{ref: &trackRef{}}
		t.ref.cl.Store(cl)
		cl.mu.Lock()
		cl.trk = t
		cl.mu.Unlock()
	}
	if !t.has(tOn) {
		trackingClients.Add(1)
	}
	t.redirect.Store(redirect)
	if opts&tBcast != 0 {
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		bcast.mu.Lock()
		for _, p := range prefixes {
			set := bcast.prefixes[p]
			if set == nil {
				set = map[*Client]struct{}{}
				bcast.prefixes[p] = set
			}
			set[cl] = struct{}{}
			i := sort.SearchStrings(t.prefixes, p)
			if i == len(t.prefixes) || t.prefixes[i] != p {
				t.prefixes = append(t.prefixes, "")
				copy(t.prefixes[i+1:], t.prefixes[i:])
				t.prefixes[i] = p
			}
		}
		bcast.n.Store(int64(len(bcast.prefixes)))
		bcast.mu.Unlock()
	}
	for {
		o := t.flags.Load()
		n := o&^(tBroken|tBcast|tOptin|tOptout|tNoloop) | tOn | opts&(tBcast|tOptin|tOptout|tNoloop)
		if t.flags.CompareAndSwap(o, n) {
			break
		}
	}
}

// trackingClosed turns tracking off for a closed connection and makes
// the table forget it.
func (cl *Client) trackingClosed() {
	cl.trackingOff()
	if t := cl.trkState(); t != nil {
		t.ref.cl.Store(nil)
	}
}

// trackingOff disables tracking (CLIENT TRACKING OFF, RESET, disconnect).
func (cl *Client) trackingOff() {
	t := cl.trkState()
	if t == nil {
		return
	}
	if t.has(tBcast) {
		bcast.mu.Lock()
		for _, p := range t.prefixes {
			if set := bcast.prefixes[p]; set != nil {
				delete(set, cl)
				if len(set) == 0 {
					delete(bcast.prefixes, p)
				}
			}
		}
		t.prefixes = nil
		bcast.n.Store(int64(len(bcast.prefixes)))
		bcast.mu.Unlock()
	}
	for {
		o := t.flags.Load()
		if o&tOn == 0 {
			return
		}
		if t.flags.CompareAndSwap(o, 0) {
			trackingClients.Add(-1)
			return
		}
	}
}

// --- commands ---

// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
// [OPTOUT] [NOLOOP]
func cmdClientTracking(c *Ctx) {
	cl := c.Cl
	var redirect int64
	var opts uint32
	var prefixes []string
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.is(j, "redirect") && more > 0:
			j++
			if redirect != 0 {
				c.Err("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := c.Int64(j)
			if !ok {
				return
			}
			redirect = id
			c.S.clientsMu.Lock()
			target := c.S.clients[id]
			c.S.clientsMu.Unlock()
			if target == nil {
				c.Err("ERR The client ID you want redirect to does not exist")
				return
			}
		case c.is(j, "bcast"):
			opts |= tBcast
		case c.is(j, "optin"):
			opts |= tOptin
		case c.is(j, "optout"):
			opts |= tOptout
		case c.is(j, "noloop"):
			opts |= tNoloop
		case c.is(j, "prefix") && more > 0:
			j++
			prefixes = append(prefixes, string(c.Args[j]))
		default:
			c.Err(errSyntax)
			return
		}
	}
	switch {
	case c.is(2, "on"):
		t := cl.trk
		if opts&tBcast == 0 && len(prefixes) > 0 {
			c.Err("ERR PREFIX option requires BCAST mode to be enabled")
			return
		}
		if t.has(tOn) && t.has(tBcast) != (opts&tBcast != 0) {
			c.Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if opts&tBcast != 0 && opts&(tOptin|tOptout) != 0 {
			c.Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		}
		if opts&tOptin != 0 && opts&tOptout != 0 {
			c.Err("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		}
		if opts&tOptin != 0 && t.has(tOptout) || opts&tOptout != 0 && t.has(tOptin) {
			c.Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if opts&tBcast != 0 && !checkPrefixes(c, t, prefixes) {
			return
		}
		cl.enableTracking(redirect, opts, prefixes)
	case c.is(2, "off"):
		cl.trackingOff()
	default:
		c.Err(errSyntax)
		return
	}
	c.OK()
}

// prefixOverlap reports whether one of a, b is a prefix of the other.
func prefixOverlap(a, b string) bool {
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}

// checkPrefixes refuses BCAST prefixes that overlap each other or the
// client's current ones. As redis-server 7.0 does, an overlap between two
// new prefixes found past the first one is reported and tracking is enabled
// all the same (the command then has two replies).
func checkPrefixes(c *Ctx, t *trackState, prefixes []string) bool {
	var have []string
	if t != nil {
		bcast.mu.RLock()
		have = append(have, t.prefixes...)
		bcast.mu.RUnlock()
	}
	for i, p := range prefixes {
		for _, h := range have {
			if prefixOverlap(h, p) {
				c.Err("ERR Prefix '" + p + "' overlaps with an existing prefix '" + h + "'. Prefixes for a single client must not overlap.")
				return false
			}
		}
		for _, q := range prefixes[i+1:] {
			if prefixOverlap(p, q) {
				c.Err("ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap.")
				return i > 0
			}
		}
	}
	return true
}

// CLIENT CACHING YES|NO
func cmdClientCaching(c *Ctx) {
	t := c.Cl.trk
	if !t.has(tOn) {
		c.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case c.is(2, "yes"):
		if !t.has(tOptin) {
			c.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case c.is(2, "no"):
		if !t.has(tOptout) {
			c.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.Err(errSyntax)
		return
	}
	t.set(tCaching)
	c.OK()
}

// CLIENT GETREDIR
func cmdClientGetRedir(c *Ctx) {
	t := c.Cl.trk
	if !t.has(tOn) {
		c.Int(-1)
		return
	}
	c.Int(t.redirect.Load())
}

// CLIENT TRACKINGINFO
func cmdClientTrackingInfo(c *Ctx) {
	t := c.Cl.trk
	var f uint32
	if t != nil {
		f = t.flags.Load()
	}
	var flags []string
	if f&tOn != 0 {
		flags = append(flags, "on")
	} else {
		flags = append(flags, "off")
	}
	if f&tBcast != 0 {
		flags = append(flags, "bcast")
	}
	if f&tOptin != 0 {
		flags = append(flags, "optin")
		if f&tCaching != 0 {
			flags = append(flags, "caching-yes")
		}
	}
	if f&tOptout != 0 {
		flags = append(flags, "optout")
		if f&tCaching != 0 {
			flags = append(flags, "caching-no")
		}
	}
	if f&tNoloop != 0 {
		flags = append(flags, "noloop")
	}
	if f&tBroken != 0 {
		flags = append(flags, "broken_redirect")
	}
	c.Map(3)
	c.BulkStr("flags")
	c.Set(len(flags))
	for _, s := range flags {
		c.BulkStr(s)
	}
	c.BulkStr("redirect")
	if f&tOn != 0 {
		c.Int(t.redirect.Load())
	} else {
		c.Int(-1)
	}
	c.BulkStr("prefixes")
	var prefixes []string
	if t != nil {
		bcast.mu.RLock()
		prefixes = append(prefixes, t.prefixes...)
		bcast.mu.RUnlock()
	}
	c.Array(len(prefixes))
	for _, p := range prefixes {
		c.BulkStr(p)
	}
}

// trackingListFlags returns the CLIENT LIST flag letters of tracking.
func (cl *Client) trackingListFlags() (flags string, redir int64) {
	t := cl.trkState()
	if !t.has(tOn) {
		return "", -1
	}
	f := t.flags.Load()
	flags = "t"
	if f&tBroken != 0 {
		flags += "R"
	}
	if f&tBcast != 0 {
		flags += "B"
	}
	return flags, t.redirect.Load()
}

// trackingInfo returns INFO's tracking figures.
func trackingInfo() (clients, keys, items, prefixes int64) {
	return trackingClients.Load(), trackTable.keys.Load(), trackTable.items.Load(), bcast.n.Load()
}
