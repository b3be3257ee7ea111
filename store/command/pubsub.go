package command

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Pub/sub (pubsub.c) and keyspace notifications (notify.c). Messages are
// out-of-band output: they are pushed into the subscriber's output from the
// publisher's goroutine and written by the subscriber's network loop.

// flagSubOK marks the commands a RESP2 client may send while subscribed.
const flagSubOK Flag = 1 << 26

func init() {
	register(
		&Spec{Name: "subscribe", Arity: -2, Flags: FlagPubSub | FlagNoScript | FlagLoading | FlagStale | ExecInline | flagSubOK, Handler: cmdSubscribe, Group: "pubsub", Summary: "Listens for messages published to channels.", Since: "2.0.0"},
		&Spec{Name: "unsubscribe", Arity: -1, Flags: FlagPubSub | FlagNoScript | FlagLoading | FlagStale | ExecInline | flagSubOK, Handler: cmdUnsubscribe, Group: "pubsub", Summary: "Stops listening to messages posted to channels.", Since: "2.0.0"},
		&Spec{Name: "psubscribe", Arity: -2, Flags: FlagPubSub | FlagNoScript | FlagLoading | FlagStale | ExecInline | flagSubOK, Handler: cmdPSubscribe, Group: "pubsub", Summary: "Listens for messages published to channels that match one or more patterns.", Since: "2.0.0"},
		&Spec{Name: "punsubscribe", Arity: -1, Flags: FlagPubSub | FlagNoScript | FlagLoading | FlagStale | ExecInline | flagSubOK, Handler: cmdPUnsubscribe, Group: "pubsub", Summary: "Stops listening to messages published to channels that match one or more patterns.", Since: "2.0.0"},
		&Spec{Name: "ssubscribe", Arity: -2, Flags: FlagPubSub | FlagNoScript | FlagLoading | FlagStale | ExecInline | flagSubOK, Handler: cmdSSubscribe, Group: "pubsub", Summary: "Listens for messages published to shard channels.", Since: "7.0.0"},
		&Spec{Name: "sunsubscribe", Arity: -1, Flags: FlagPubSub | FlagNoScript | FlagLoading | FlagStale | ExecInline | flagSubOK, Handler: cmdSUnsubscribe, Group: "pubsub", Summary: "Stops listening to messages posted to shard channels.", Since: "7.0.0"},
		&Spec{Name: "publish", Arity: 3, Flags: FlagPubSub | FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdPublish, Group: "pubsub", Summary: "Posts a message to a channel.", Since: "2.0.0"},
		&Spec{Name: "spublish", Arity: 3, Flags: FlagPubSub | FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdSPublish, Group: "pubsub", Summary: "Post a message to a shard channel", Since: "7.0.0"},
		&Spec{Name: "pubsub", Arity: -2, Group: "pubsub", Summary: "A container for Pub/Sub commands.", Since: "2.8.0"},
		&Spec{Name: "pubsub|channels", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale | ExecInline, Handler: cmdPubsubChannels, Group: "pubsub", Summary: "Returns the active channels.", Since: "2.8.0"},
		&Spec{Name: "pubsub|numsub", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale | ExecInline, Handler: cmdPubsubNumsub, Group: "pubsub", Summary: "Returns a count of subscribers to channels.", Since: "2.8.0"},
		&Spec{Name: "pubsub|numpat", Arity: 2, Flags: FlagPubSub | FlagLoading | FlagStale | ExecInline, Handler: cmdPubsubNumpat, Group: "pubsub", Summary: "Returns a count of unique pattern subscriptions.", Since: "2.8.0"},
		&Spec{Name: "pubsub|shardchannels", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale | ExecInline, Handler: cmdPubsubShardChannels, Group: "pubsub", Summary: "Returns the active shard channels.", Since: "7.0.0"},
		&Spec{Name: "pubsub|shardnumsub", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale | ExecInline, Handler: cmdPubsubShardNumsub, Group: "pubsub", Summary: "Returns the count of subscribers of shard channels.", Since: "7.0.0"},
		&Spec{Name: "pubsub|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: helpHandler("PUBSUB", []string{
			"CHANNELS [<pattern>]", "    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT", "    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]", "    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
			"SHARDCHANNELS [<pattern>]", "    Return the currently active shard level channels matching a <pattern> (default: '*').",
			"SHARDNUMSUB [<shardchannel> ...]", "    Return the number of subscribers for the specified shard level channel(s)",
		}), Group: "pubsub", Summary: "Returns helpful text about the different subcommands.", Since: "6.2.0"},
	)
	for _, n := range []string{"ping", "quit", "reset"} {
		if s := table[n]; s != nil {
			s.Flags |= flagSubOK
		}
	}
}

// hub holds the subscriptions of every client.
type hub struct {
	mu       sync.RWMutex
	channels map[string]map[*Client]struct{}
	shardChs map[string]map[*Client]struct{}
	patterns map[string]map[*Client]struct{}
	npat     atomic.Int64 // pattern subscriptions: skip pattern matching when 0
}

var pubsub = hub{
	channels: map[string]map[*Client]struct{}{},
	shardChs: map[string]map[*Client]struct{}{},
	patterns: map[string]map[*Client]struct{}{},
}

// subState is a client's subscriptions (guarded by the hub's lock).
type subState struct {
	channels map[string]struct{}
	patterns map[string]struct{}
	shardChs map[string]struct{}
}

func (cl *Client) subCount() int {
	pubsub.mu.RLock()
	defer pubsub.mu.RUnlock()
	return len(cl.subs.channels) + len(cl.subs.patterns)
}

// subscribed reports whether the client is in RESP2 subscribed mode.
func (cl *Client) subscribed() bool { return cl.nsubs.Load() > 0 }

func (cl *Client) updateSubCount() {
	cl.nsubs.Store(int64(len(cl.subs.channels) + len(cl.subs.patterns) + len(cl.subs.shardChs)))
}

type subKind int

const (
	kindChannel subKind = iota
	kindPattern
	kindShard
)

var subNames = [3][2]string{{"subscribe", "unsubscribe"}, {"psubscribe", "punsubscribe"}, {"ssubscribe", "sunsubscribe"}}

func (h *hub) maps(cl *Client, k subKind) (global map[string]map[*Client]struct{}, own *map[string]struct{}) {
	switch k {
	case kindPattern:
		return h.patterns, &cl.subs.patterns
	case kindShard:
		return h.shardChs, &cl.subs.shardChs
	}
	return h.channels, &cl.subs.channels
}

// count is what (un)subscribe confirmations report: channels + patterns,
// or shard channels for the S variants.
func (cl *Client) count(k subKind) int {
	if k == kindShard {
		return len(cl.subs.shardChs)
	}
	return len(cl.subs.channels) + len(cl.subs.patterns)
}

func subscribe(c *Ctx, k subKind) {
	cl := c.Cl
	h := &pubsub
	for _, name := range c.Args[1:] {
		h.mu.Lock()
		global, own := h.maps(cl, k)
		if *own == nil {
			*own = map[string]struct{}{}
		}
		n := string(name)
		if _, ok := (*own)[n]; !ok {
			(*own)[n] = struct{}{}
			set := global[n]
			if set == nil {
				set = map[*Client]struct{}{}
				global[n] = set
			}
			set[cl] = struct{}{}
			if k == kindPattern {
				h.npat.Add(1)
			}
		}
		cnt := cl.count(k)
		cl.updateSubCount()
		h.mu.Unlock()
		c.Out = proto.AppendPush(c.Out, 3, c.RESP3)
		c.BulkStr(subNames[k][0])
		c.Bulk(name)
		c.Int(int64(cnt))
	}
}

func unsubscribe(c *Ctx, k subKind) {
	cl := c.Cl
	h := &pubsub
	var names []string
	h.mu.Lock()
	_, own := h.maps(cl, k)
	if len(c.Args) > 1 {
		for _, a := range c.Args[1:] {
			names = append(names, string(a))
		}
	} else {
		for n := range *own {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	h.mu.Unlock()
	if len(names) == 0 {
		c.Out = proto.AppendPush(c.Out, 3, c.RESP3)
		c.BulkStr(subNames[k][1])
		c.Null()
		c.Int(int64(cl.countLocked(k)))
		return
	}
	for _, n := range names {
		h.mu.Lock()
		h.remove(cl, k, n)
		cnt := cl.count(k)
		cl.updateSubCount()
		h.mu.Unlock()
		c.Out = proto.AppendPush(c.Out, 3, c.RESP3)
		c.BulkStr(subNames[k][1])
		c.BulkStr(n)
		c.Int(int64(cnt))
	}
}

func (cl *Client) countLocked(k subKind) int {
	pubsub.mu.RLock()
	defer pubsub.mu.RUnlock()
	return cl.count(k)
}

// remove drops one subscription (h.mu held).
func (h *hub) remove(cl *Client, k subKind, n string) {
	global, own := h.maps(cl, k)
	if _, ok := (*own)[n]; !ok {
		return
	}
	delete(*own, n)
	if set := global[n]; set != nil {
		delete(set, cl)
		if len(set) == 0 {
			delete(global, n)
		}
	}
	if k == kindPattern {
		h.npat.Add(-1)
	}
}

// unsubscribeAll drops every subscription of cl (RESET, disconnect).
func (cl *Client) unsubscribeAll() {
	h := &pubsub
	h.mu.Lock()
	for _, k := range []subKind{kindChannel, kindPattern, kindShard} {
		_, own := h.maps(cl, k)
		for n := range *own {
			h.remove(cl, k, n)
		}
	}
	cl.updateSubCount()
	h.mu.Unlock()
}

func cmdSubscribe(c *Ctx)    { subscribe(c, kindChannel) }
func cmdPSubscribe(c *Ctx)   { subscribe(c, kindPattern) }
func cmdSSubscribe(c *Ctx)   { subscribe(c, kindShard) }
func cmdUnsubscribe(c *Ctx)  { unsubscribe(c, kindChannel) }
func cmdPUnsubscribe(c *Ctx) { unsubscribe(c, kindPattern) }
func cmdSUnsubscribe(c *Ctx) { unsubscribe(c, kindShard) }

func cmdPublish(c *Ctx)  { c.Int(int64(publish(c.Args[1], c.Args[2], false))) }
func cmdSPublish(c *Ctx) { c.Int(int64(publish(c.Args[1], c.Args[2], true))) }

// publish delivers msg to the subscribers of channel and of matching
// patterns; it returns how many received it.
func publish(channel, msg []byte, shard bool) int {
	h := &pubsub
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	if shard {
		for cl := range h.shardChs[string(channel)] {
			cl.pushMessage("smessage", nil, channel, msg)
			n++
		}
		return n
	}
	for cl := range h.channels[string(channel)] {
		cl.pushMessage("message", nil, channel, msg)
		n++
	}
	if h.npat.Load() > 0 {
		for pat, set := range h.patterns {
			if !store.Match([]byte(pat), channel, false) {
				continue
			}
			for cl := range set {
				cl.pushMessage("pmessage", []byte(pat), channel, msg)
				n++
			}
		}
	}
	return n
}

// pushMessage encodes a message for cl's protocol and queues it.
func (cl *Client) pushMessage(kind string, pattern, channel, msg []byte) {
	cl.info.Lock()
	resp3 := cl.resp3
	cl.info.Unlock()
	var b []byte
	if pattern != nil {
		b = proto.AppendPush(b, 4, resp3)
		b = proto.AppendBulkString(b, kind)
		b = proto.AppendBulk(b, pattern)
	} else {
		b = proto.AppendPush(b, 3, resp3)
		b = proto.AppendBulkString(b, kind)
	}
	b = proto.AppendBulk(b, channel)
	b = proto.AppendBulk(b, msg)
	cl.push(b)
}

func channelsMatching(m map[string]map[*Client]struct{}, pattern []byte) []string {
	var out []string
	for ch := range m {
		if pattern == nil || store.Match(pattern, []byte(ch), false) {
			out = append(out, ch)
		}
	}
	sort.Strings(out)
	return out
}

func cmdPubsubChannels(c *Ctx)      { pubsubChannels(c, false) }
func cmdPubsubShardChannels(c *Ctx) { pubsubChannels(c, true) }

func pubsubChannels(c *Ctx, shard bool) {
	if len(c.Args) > 3 {
		c.ArgErr()
		return
	}
	var pat []byte
	if len(c.Args) == 3 {
		pat = c.Args[2]
	}
	pubsub.mu.RLock()
	m := pubsub.channels
	if shard {
		m = pubsub.shardChs
	}
	chs := channelsMatching(m, pat)
	pubsub.mu.RUnlock()
	c.Array(len(chs))
	for _, ch := range chs {
		c.BulkStr(ch)
	}
}

func cmdPubsubNumsub(c *Ctx)      { pubsubNumsub(c, false) }
func cmdPubsubShardNumsub(c *Ctx) { pubsubNumsub(c, true) }

func pubsubNumsub(c *Ctx, shard bool) {
	pubsub.mu.RLock()
	defer pubsub.mu.RUnlock()
	m := pubsub.channels
	if shard {
		m = pubsub.shardChs
	}
	c.Map(len(c.Args) - 2)
	for _, ch := range c.Args[2:] {
		c.Bulk(ch)
		c.Int(int64(len(m[string(ch)])))
	}
}

func cmdPubsubNumpat(c *Ctx) { c.Int(pubsub.npat.Load()) }

// --- keyspace notifications ---

// Notification classes (notify-keyspace-events letters).
const (
	notifyKeyspace = 1 << iota // K
	notifyKeyevent             // E
	notifyGeneric              // g
	notifyString               // $
	notifyList                 // l
	notifySet                  // s
	notifyHash                 // h
	notifyZset                 // z
	notifyExpired              // x
	notifyEvicted              // e
	notifyStream               // t
	notifyKeyMiss              // m
	notifyModule               // d
	notifyNew                  // n
	notifyAll      = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZset | notifyExpired | notifyEvicted | notifyStream | notifyModule
)

var notifyFlags atomic.Int64

// parseNotifyFlags parses notify-keyspace-events as Redis does.
func parseNotifyFlags(s string) (int, bool) {
	f := 0
	for _, ch := range s {
		switch ch {
		case 'A':
			f |= notifyAll
		case 'g':
			f |= notifyGeneric
		case '$':
			f |= notifyString
		case 'l':
			f |= notifyList
		case 's':
			f |= notifySet
		case 'h':
			f |= notifyHash
		case 'z':
			f |= notifyZset
		case 'x':
			f |= notifyExpired
		case 'e':
			f |= notifyEvicted
		case 'K':
			f |= notifyKeyspace
		case 'E':
			f |= notifyKeyevent
		case 't':
			f |= notifyStream
		case 'm':
			f |= notifyKeyMiss
		case 'd':
			f |= notifyModule
		case 'n':
			f |= notifyNew
		default:
			return 0, false
		}
	}
	return f, true
}

// notifyFlagsString renders flags as CONFIG GET shows them.
func notifyFlagsString(f int) string {
	var b strings.Builder
	if f&notifyAll == notifyAll {
		b.WriteByte('A')
	} else {
		for _, x := range []struct {
			f int
			c byte
		}{{notifyGeneric, 'g'}, {notifyString, '$'}, {notifyList, 'l'}, {notifySet, 's'}, {notifyHash, 'h'}, {notifyZset, 'z'}, {notifyExpired, 'x'}, {notifyEvicted, 'e'}, {notifyStream, 't'}, {notifyModule, 'd'}, {notifyNew, 'n'}} {
			if f&x.f != 0 {
				b.WriteByte(x.c)
			}
		}
	}
	if f&notifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if f&notifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if f&notifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// eventClass maps an event name to its notification class.
func eventClass(ev string) int {
	switch ev {
	case "set", "setrange", "incrby", "incrbyfloat", "append":
		return notifyString
	case "lpush", "rpush", "rpop", "lpop", "linsert", "lset", "lrem", "ltrim", "lmove":
		return notifyList
	case "sadd", "srem", "spop", "sinterstore", "sunionstore", "sdiffstore", "smove":
		return notifySet
	case "hset", "hdel", "hincrby", "hincrbyfloat":
		return notifyHash
	case "zadd", "zincr", "zrem", "zrembyscore", "zrembyrank", "zrembylex", "zpopmin", "zpopmax", "zinterstore", "zunionstore", "zdiffstore", "zrangestore":
		return notifyZset
	case "expired":
		return notifyExpired
	case "evicted":
		return notifyEvicted
	case "new":
		return notifyNew
	case "keymiss":
		return notifyKeyMiss
	}
	if strings.HasPrefix(ev, "x") {
		return notifyStream
	}
	if strings.HasPrefix(ev, "json.") {
		return notifyModule
	}
	return notifyGeneric
}

// setNotifyConfig applies notify-keyspace-events.
func (s *Server) setNotifyConfig(v string) {
	f, _ := parseNotifyFlags(v)
	notifyFlags.Store(int64(f))
	if f&(notifyKeyspace|notifyKeyevent) == 0 || f&^(notifyKeyspace|notifyKeyevent) == 0 {
		s.eng.SetNotify(nil)
		return
	}
	s.eng.SetNotify(keyspaceEvent)
}

// keyspaceEvent publishes one event (called after the commit that made it).
func keyspaceEvent(db int, event string, key []byte) {
	f := int(notifyFlags.Load())
	if f&eventClass(event) == 0 {
		return
	}
	dbs := strconv.Itoa(db)
	if f&notifyKeyspace != 0 {
		ch := append([]byte("__keyspace@"+dbs+"__:"), key...)
		publish(ch, []byte(event), false)
	}
	if f&notifyKeyevent != 0 {
		publish([]byte("__keyevent@"+dbs+"__:"+event), key, false)
	}
}
