package command

import (
	"math"
	"sync"
	"time"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Stream commands (t_stream.c). The logic lives in store/stream.go; this
// file parses arguments as redis-server 7.0 does (same checks, same order,
// same errors) and formats the replies.
//
// Blocking (XREAD/XREADGROUP BLOCK): when nothing can be served the client
// blocks on the keys of the read (xreadReplyNoData); XADD and XGROUP
// DESTROY signal the key, and serveXreadBlocked answers from that stream.

func init() {
	register(
		&Spec{Name: "xadd", Arity: -5, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXadd, Group: "stream", Summary: "Appends a new message to a stream. Creates the key if it doesn't exist.", Since: "5.0.0"},
		&Spec{Name: "xlen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXlen, Group: "stream", Summary: "Return the number of messages in a stream.", Since: "5.0.0"},
		&Spec{Name: "xrange", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdXrange, Group: "stream", Summary: "Returns the messages from a stream within a range of IDs.", Since: "5.0.0"},
		&Spec{Name: "xrevrange", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdXrevrange, Group: "stream", Summary: "Returns the messages from a stream within a range of IDs in reverse order.", Since: "5.0.0"},
		&Spec{Name: "xdel", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXdel, Group: "stream", Summary: "Returns the number of messages after removing them from a stream.", Since: "5.0.0"},
		&Spec{Name: "xtrim", Arity: -4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Handler: cmdXtrim, Group: "stream", Summary: "Deletes messages from the beginning of a stream.", Since: "5.0.0"},
		&Spec{Name: "xread", Arity: -4, Flags: FlagReadOnly | FlagBlocking, KeysFn: xreadKeys, Handler: cmdXread, Serve: serveXreadBlocked, Group: "stream", Summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", Since: "5.0.0"},
		&Spec{Name: "xreadgroup", Arity: -7, Flags: FlagWrite | FlagBlocking, KeysFn: xreadKeys, Handler: cmdXreadgroup, Serve: serveXreadBlocked, Group: "stream", Summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", Since: "5.0.0"},
		&Spec{Name: "xsetid", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXsetid, Group: "stream", Summary: "An internal command for replicating stream values.", Since: "5.0.0"},
		&Spec{Name: "xack", Arity: -4, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXack, Group: "stream", Summary: "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", Since: "5.0.0"},
		&Spec{Name: "xpending", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdXpending, Group: "stream", Summary: "Returns the information and entries from a stream consumer group's pending entries list.", Since: "5.0.0"},
		&Spec{Name: "xclaim", Arity: -6, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXclaim, Group: "stream", Summary: "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.", Since: "5.0.0"},
		&Spec{Name: "xautoclaim", Arity: -6, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdXautoclaim, Group: "stream", Summary: "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.", Since: "6.2.0"},
		&Spec{Name: "xgroup", Arity: -2, Group: "stream", Summary: "A container for consumer groups commands.", Since: "5.0.0"},
		&Spec{Name: "xgroup|create", Arity: -5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 2, LastKey: 2, Handler: cmdXgroup, Group: "stream", Summary: "Creates a consumer group.", Since: "5.0.0"},
		&Spec{Name: "xgroup|setid", Arity: -5, Flags: FlagWrite, FirstKey: 2, LastKey: 2, Handler: cmdXgroup, Group: "stream", Summary: "Sets the last-delivered ID of a consumer group.", Since: "5.0.0"},
		&Spec{Name: "xgroup|destroy", Arity: 4, Flags: FlagWrite, FirstKey: 2, LastKey: 2, Handler: cmdXgroup, Group: "stream", Summary: "Destroys a consumer group.", Since: "5.0.0"},
		&Spec{Name: "xgroup|createconsumer", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 2, LastKey: 2, Handler: cmdXgroup, Group: "stream", Summary: "Creates a consumer in a consumer group.", Since: "6.2.0"},
		&Spec{Name: "xgroup|delconsumer", Arity: 5, Flags: FlagWrite, FirstKey: 2, LastKey: 2, Handler: cmdXgroup, Group: "stream", Summary: "Deletes a consumer from a consumer group.", Since: "5.0.0"},
		&Spec{Name: "xgroup|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: streamHelp("XGROUP", xgroupHelp), Group: "stream", Summary: "Returns helpful text about the different subcommands.", Since: "5.0.0"},
		&Spec{Name: "xinfo", Arity: -2, Group: "stream", Summary: "A container for stream introspection commands.", Since: "5.0.0"},
		&Spec{Name: "xinfo|stream", Arity: -3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdXinfo, Group: "stream", Summary: "Returns information about a stream.", Since: "5.0.0"},
		&Spec{Name: "xinfo|groups", Arity: 3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdXinfo, Group: "stream", Summary: "Returns a list of the consumer groups of a stream.", Since: "5.0.0"},
		&Spec{Name: "xinfo|consumers", Arity: 4, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdXinfo, Group: "stream", Summary: "Returns a list of the consumers in a consumer group.", Since: "5.0.0"},
		&Spec{Name: "xinfo|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: streamHelp("XINFO", xinfoHelp), Group: "stream", Summary: "Returns helpful text about the different subcommands.", Since: "5.0.0"},
	)
}

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// streamHelp replies the help of XGROUP or XINFO (their lines end with
// Redis's own "Prints this help.").
func streamHelp(name string, lines []string) func(c *Ctx) {
	return func(c *Ctx) {
		c.Array(len(lines) + 1)
		c.Status(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
		for _, l := range lines {
			c.Status(l)
		}
	}
}

// --- stream IDs ---

// string2ull is redis's string2ull: string2ll when it accepts the text (a
// negative value is refused), else C's strtoull over the whole string.
func string2ull(b []byte) (uint64, bool) {
	if v, ok := proto.ParseInt(b); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	return strtoull(b)
}

// strtoull is C's strtoull(s, &end, 10) that must consume all of s: leading
// white space, an optional sign (a '-' negates modulo 2^64), at least one
// digit, no overflow.
func strtoull(b []byte) (uint64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is streamGenericParseIDOrReply without the reply: "ms-seq",
// "ms" (seq = missingSeq), "-" and "+" unless strict, and with seqGiven
// non-nil the "ms-*" form (then *seqGiven is false).
func parseStreamID(arg []byte, missingSeq uint64, strict bool, seqGiven *bool) (store.StreamID, bool) {
	if len(arg) > 127 {
		return store.StreamID{}, false
	}
	buf := arg
	for i, c := range arg {
		if c == 0 {
			buf = arg[:i]
			break
		}
	}
	if strict && len(buf) == 1 && (buf[0] == '-' || buf[0] == '+') {
		return store.StreamID{}, false
	}
	if seqGiven != nil {
		*seqGiven = true
	}
	if len(buf) == 1 && buf[0] == '-' {
		return store.StreamID{}, true
	}
	if len(buf) == 1 && buf[0] == '+' {
		return store.MaxStreamID, true
	}
	dot := -1
	for i, c := range buf {
		if c == '-' {
			dot = i
			break
		}
	}
	msPart := buf
	if dot >= 0 {
		msPart = buf[:dot]
	}
	ms, ok := string2ull(msPart)
	if !ok {
		return store.StreamID{}, false
	}
	seq := missingSeq
	if dot >= 0 {
		rest := buf[dot+1:]
		if seqGiven != nil && len(rest) == 1 && rest[0] == '*' {
			seq = 0
			*seqGiven = false
		} else if seq, ok = string2ull(rest); !ok {
			return store.StreamID{}, false
		}
	}
	return store.StreamID{Ms: ms, Seq: seq}, true
}

// streamID parses argument i (streamParseIDOrReply / ...StrictIDOrReply)
// and replies the error itself.
func (c *Ctx) streamID(i int, missingSeq uint64, strict bool) (store.StreamID, bool) {
	id, ok := parseStreamID(c.Args[i], missingSeq, strict, nil)
	if !ok {
		c.Err(errStreamID)
	}
	return id, ok
}

// intervalID parses a range bound that may be exclusive ("(id"),
// streamParseIntervalIDOrReply.
func (c *Ctx) intervalID(i int, missingSeq uint64) (id store.StreamID, exclusive, ok bool) {
	a := c.Args[i]
	if len(a) > 1 && a[0] == '(' {
		id, ok = parseStreamID(a[1:], missingSeq, true, nil)
		exclusive = true
	} else {
		id, ok = parseStreamID(a, missingSeq, false, nil)
	}
	if !ok {
		c.Err(errStreamID)
	}
	return id, exclusive, ok
}

// intArg is getLongLongFromObjectOrReply with an optional message.
func (c *Ctx) intArg(i int, msg string) (int64, bool) {
	n, ok := proto.ParseInt(c.Args[i])
	if !ok {
		if msg == "" {
			msg = errNotInt
		}
		c.Err(msg)
	}
	return n, ok
}

// --- replies ---

func appendStreamID(dst []byte, id store.StreamID) []byte {
	var b [41]byte
	return proto.AppendBulk(dst, id.AppendText(b[:0]))
}

func appendEntry(dst []byte, id store.StreamID, fv [][]byte) []byte {
	dst = proto.AppendArray(dst, 2)
	dst = appendStreamID(dst, id)
	dst = proto.AppendArray(dst, len(fv))
	for _, b := range fv {
		dst = proto.AppendBulk(dst, b)
	}
	return dst
}

func (c *Ctx) replyID(id store.StreamID) { c.Out = appendStreamID(c.Out, id) }

// nogroupErr formats the NOGROUP errors that name a key and a group.
func nogroupErr(format int, key, group []byte) string {
	switch format {
	case 0:
		return "NOGROUP No such key '" + string(cString(key)) + "' or consumer group '" + string(cString(group)) + "'"
	case 1:
		return "NOGROUP No such key '" + string(cString(key)) + "' or consumer group '" + string(cString(group)) + "' in XREADGROUP with GROUP option"
	}
	return "NOGROUP No such consumer group '" + string(cString(group)) + "' for key name '" + string(cString(key)) + "'"
}

const (
	nogroupKeyOrGroup = iota
	nogroupXreadgroup
	nogroupForKey
)

// openStream opens the stream at argument i with the server's node limits;
// nil if absent. It replies WRONGTYPE or a storage error itself.
func (c *Ctx) openStream(key []byte) (*store.Stream, bool) {
	s, err := c.Tx.OpenStream(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return nil, false
	}
	if s != nil {
		c.nodeLimits(s)
	}
	return s, true
}

func (c *Ctx) nodeLimits(s *store.Stream) {
	cfg := c.S.Config()
	s.NodeMaxBytes = cfg.Int("stream-node-max-bytes")
	s.NodeMaxEntries = cfg.Int("stream-node-max-entries")
}

// --- XADD, XTRIM ---

type addTrimArgs struct {
	trim      store.TrimArgs
	id        store.StreamID
	idGiven   bool
	seqGiven  bool
	noMkInput bool
}

// parseAddTrim is streamParseAddOrTrimArgsOrReply: it returns the options
// and, for XADD, the position of the id argument.
func parseAddTrim(c *Ctx, xadd bool) (a addTrimArgs, idpos int, ok bool) {
	a.trim.MaxLen = -1
	a.seqGiven = true
	limitGiven := false
	i := 2
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		opt := c.Args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case eqFold(opt, "maxlen") && more > 0:
			if a.trim.Strategy != store.TrimNone {
				c.Err(errTrimBoth)
				return a, 0, false
			}
			a.trim.Approx = false
			next := c.Args[i+1]
			if more >= 2 && len(next) == 1 && next[0] == '~' {
				a.trim.Approx = true
				i++
			} else if more >= 2 && len(next) == 1 && next[0] == '=' {
				i++
			}
			n, ok := c.intArg(i+1, "")
			if !ok {
				return a, 0, false
			}
			if n < 0 {
				c.Err(errMaxlenNeg)
				return a, 0, false
			}
			a.trim.MaxLen = n
			i++
			a.trim.Strategy = store.TrimMaxLen
		case eqFold(opt, "minid") && more > 0:
			if a.trim.Strategy != store.TrimNone {
				c.Err(errTrimBoth)
				return a, 0, false
			}
			a.trim.Approx = false
			next := c.Args[i+1]
			if more >= 2 && len(next) == 1 && next[0] == '~' {
				a.trim.Approx = true
				i++
			} else if more >= 2 && len(next) == 1 && next[0] == '=' {
				i++
			}
			id, ok := c.streamID(i+1, 0, true)
			if !ok {
				return a, 0, false
			}
			a.trim.MinID = id
			i++
			a.trim.Strategy = store.TrimMinID
		case eqFold(opt, "limit") && more > 0:
			n, ok := c.intArg(i+1, "")
			if !ok {
				return a, 0, false
			}
			if n < 0 {
				c.Err(errLimitNeg)
				return a, 0, false
			}
			a.trim.Limit = n
			limitGiven = true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			a.noMkInput = true
		case xadd:
			id, ok := parseStreamID(opt, 0, true, &a.seqGiven)
			if !ok {
				c.Err(errStreamID)
				return a, 0, false
			}
			a.id, a.idGiven = id, true
			goto done
		default:
			c.Err(errSyntax)
			return a, 0, false
		}
	}
done:
	if a.trim.Limit != 0 && a.trim.Strategy == store.TrimNone {
		c.Err(errLimitNoStrategy)
		return a, 0, false
	}
	if !xadd && a.trim.Strategy == store.TrimNone {
		c.Err(errXtrimNoStrategy)
		return a, 0, false
	}
	if limitGiven {
		if !a.trim.Approx {
			c.Err(errLimitNoApprox)
			return a, 0, false
		}
	} else if a.trim.Approx {
		a.trim.Limit = 100 * c.S.Config().Int("stream-node-max-entries")
		if a.trim.Limit <= 0 || a.trim.Limit > 10000 {
			a.trim.Limit = 10000
		}
	} else {
		a.trim.Limit = 0
	}
	return a, i, true
}

// XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]]
//
//	<* | id> field value [field value ...]
func cmdXadd(c *Ctx) {
	a, idpos, ok := parseAddTrim(c, true)
	if !ok {
		return
	}
	if idpos+1 > len(c.Args) {
		c.ArgErr()
		return
	}
	fields := c.Args[idpos+1:]
	if len(fields) < 2 || len(fields)%2 == 1 {
		c.ArgErr()
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Err(errXaddZeroID)
		return
	}
	key := c.Args[1]
	s, ok := c.openStream(key)
	if !ok {
		return
	}
	if s == nil {
		if a.noMkInput {
			c.Null()
			return
		}
		var err error
		if s, err = c.Tx.CreateStream(c.DB, key); err != nil {
			c.StoreErr(err)
			return
		}
		c.nodeLimits(s)
	}
	if s.LastID() == store.MaxStreamID {
		s.Save() // a stream created here stays, as in Redis
		c.StoreErr(store.ErrStreamExhausted)
		return
	}
	id, err := s.Append(fields, a.id, a.idGiven, a.seqGiven)
	if err != nil {
		s.Save()
		c.StoreErr(err)
		return
	}
	c.Tx.Notify(c.DB, "xadd", key)
	if a.trim.Strategy != store.TrimNone {
		n, err := s.Trim(a.trim)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if n > 0 {
			c.Tx.Notify(c.DB, "xtrim", key)
		}
	}
	s.Save()
	c.Tx.SignalReady(c.DB, key) // serve blocked XREAD/XREADGROUP
	c.replyID(id)
}

// XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]
func cmdXtrim(c *Ctx) {
	a, _, ok := parseAddTrim(c, false)
	if !ok {
		return
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	n, err := s.Trim(a.trim)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		s.Save()
		c.Tx.Notify(c.DB, "xtrim", c.Args[1])
	}
	c.Int(n)
}

// XLEN key
func cmdXlen(c *Ctx) {
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	c.Int(int64(s.Len()))
}

// XDEL key id [id ...]
func cmdXdel(c *Ctx) {
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Int(0)
		return
	}
	ids := make([]store.StreamID, 0, min(len(c.Args)-2, 1024))
	for i := 2; i < len(c.Args); i++ {
		id, ok := c.streamID(i, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	n, err := s.Delete(ids)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		s.Save()
		c.Tx.Notify(c.DB, "xdel", c.Args[1])
	}
	c.Int(n)
}

// --- XRANGE, XREVRANGE ---

// XRANGE key start end [COUNT count]
func cmdXrange(c *Ctx) { xrangeGeneric(c, false) }

// XREVRANGE key end start [COUNT count]
func cmdXrevrange(c *Ctx) { xrangeGeneric(c, true) }

func xrangeGeneric(c *Ctx, rev bool) {
	si, ei := 2, 3
	if rev {
		si, ei = 3, 2
	}
	start, startEx, ok := c.intervalID(si, 0)
	if !ok {
		return
	}
	if startEx {
		if start, ok = start.Incr(); !ok {
			c.Err(errIntervalStart)
			return
		}
	}
	end, endEx, ok := c.intervalID(ei, math.MaxUint64)
	if !ok {
		return
	}
	if endEx {
		if end, ok = end.Decr(); !ok {
			c.Err(errIntervalEnd)
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if c.is(j, "count") && j+1 < len(c.Args) {
			n, ok := c.intArg(j+1, "")
			if !ok {
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		c.Err(errSyntax)
		return
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Array(0)
		return
	}
	if count == 0 {
		c.NullArray()
		return
	}
	if count < 0 {
		count = 0
	}
	c.replyRange(s, start, end, count, rev)
}

// replyRange replies the entries of s in [start, end] as an array.
func (c *Ctx) replyRange(s *store.Stream, start, end store.StreamID, count int64, rev bool) {
	buf := getBuf()
	defer putBuf(buf)
	n, err := s.Range(start, end, count, rev, func(id store.StreamID, fv [][]byte) bool {
		buf.b = appendEntry(buf.b, id, fv)
		return true
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(int(n))
	c.Out = append(c.Out, buf.b...)
}

type replyBuf struct{ b []byte }

var bufPool = sync.Pool{New: func() any { return &replyBuf{} }}

func getBuf() *replyBuf { b := bufPool.Get().(*replyBuf); b.b = b.b[:0]; return b }

func putBuf(b *replyBuf) {
	if cap(b.b) <= 1<<20 {
		bufPool.Put(b)
	}
}

// --- XREAD, XREADGROUP ---

// xreadKeys returns the stream keys of XREAD and XREADGROUP (xreadGetKeys):
// the first half of the arguments after the STREAMS option.
func xreadKeys(args [][]byte, dst []int) []int {
	pos := -1
scan:
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case eqFold(a, "block"), eqFold(a, "count"):
			i++
		case eqFold(a, "group"):
			i += 2
		case eqFold(a, "noack"):
		case eqFold(a, "streams"):
			pos = i
			break scan
		default:
			break scan
		}
	}
	if pos < 0 {
		return dst
	}
	num := len(args) - pos - 1
	if num == 0 || num%2 != 0 {
		return dst
	}
	for i := pos + 1; i <= pos+num/2; i++ {
		dst = append(dst, i)
	}
	return dst
}

// xreadArgs is a parsed XREAD or XREADGROUP.
type xreadArgs struct {
	group      bool     // XREADGROUP
	groupGiven bool     // the GROUP option was seen
	block      int64    // -1: no BLOCK; else the timeout (unix ms, 0: forever)
	count      int64    // 0: all
	noack      bool     // NOACK
	groupName  []byte   // GROUP group consumer
	consumer   []byte   //
	keys       [][]byte // the streams
	ids        []store.StreamID
	streams    []*store.Stream // opened streams (nil: absent), deduplicated by key
	groups     []*store.Group
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
func cmdXread(c *Ctx) { xreadGeneric(c, false) }

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
//
//	[NOACK] STREAMS key [key ...] id [id ...]
func cmdXreadgroup(c *Ctx) { xreadGeneric(c, true) }

func xreadGeneric(c *Ctx, xreadgroup bool) {
	a := xreadArgs{group: xreadgroup, block: -1}
	streamsArg := 0
	n := 0
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		o := c.Args[i]
		switch {
		case eqFold(o, "block") && more > 0:
			i++
			t, ok := proto.ParseInt(c.Args[i])
			if !ok {
				c.Err(errTimeoutNotInt)
				return
			}
			if t < 0 {
				c.Err(errTimeoutNeg)
				return
			}
			if t > 0 {
				t += c.Tx.Now() // redis-server 7.0 does not check for overflow
			}
			a.block = t
		case eqFold(o, "count") && more > 0:
			i++
			v, ok := c.intArg(i, "")
			if !ok {
				return
			}
			a.count = max(v, 0)
		case eqFold(o, "streams") && more > 0:
			streamsArg = i + 1
			n = len(c.Args) - streamsArg
			if n%2 != 0 {
				c.Err(errXreadUnbalanced)
				return
			}
			n /= 2
			goto parsed
		case eqFold(o, "group") && more >= 2:
			if !xreadgroup {
				c.Err(errXreadGroupOpt)
				return
			}
			a.groupName, a.consumer, a.groupGiven = c.Args[i+1], c.Args[i+2], true
			i += 2
		case eqFold(o, "noack"):
			if !xreadgroup {
				c.Err(errXreadNoAck)
				return
			}
			a.noack = true
		default:
			c.Err(errSyntax)
			return
		}
	}
parsed:
	if streamsArg == 0 {
		c.Err(errSyntax)
		return
	}
	if xreadgroup && !a.groupGiven {
		c.Err(errXreadgroupMissing)
		return
	}
	a.keys = c.Args[streamsArg : streamsArg+n]
	a.ids = make([]store.StreamID, n)
	a.streams = make([]*store.Stream, n)
	if xreadgroup {
		a.groups = make([]*store.Group, n)
	}
	for i := 0; i < n; i++ {
		key := a.keys[i]
		s, ok := xreadOpen(c, &a, i)
		if !ok {
			return
		}
		if xreadgroup {
			var g *store.Group
			if s != nil {
				var err error
				if g, err = s.Group(a.groupName); err != nil {
					c.StoreErr(err)
					return
				}
			}
			if g == nil {
				c.Err(nogroupErr(nogroupXreadgroup, key, a.groupName))
				return
			}
			a.groups[i] = g
		}
		arg := c.Args[streamsArg+n+i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if xreadgroup {
				c.Err(errXreadgroupDollar)
				return
			}
			if s != nil {
				a.ids[i] = s.LastID()
			}
			continue
		case len(arg) == 1 && arg[0] == '>':
			if !xreadgroup {
				c.Err(errXreadGreater)
				return
			}
			a.ids[i] = store.MaxStreamID
			continue
		}
		id, ok := c.streamID(streamsArg+n+i, 0, true)
		if !ok {
			return
		}
		a.ids[i] = id
	}
	if !serveXread(c, &a) {
		xreadReplyNoData(c, &a, streamsArg+n)
	}
}

// xreadOpen opens stream i of the read, sharing the handle of an earlier
// equal key so that one command never holds two views of a stream.
func xreadOpen(c *Ctx, a *xreadArgs, i int) (*store.Stream, bool) {
	for j := 0; j < i; j++ {
		if string(a.keys[j]) == string(a.keys[i]) {
			a.streams[i] = a.streams[j]
			return a.streams[i], true
		}
	}
	s, ok := c.openStream(a.keys[i])
	a.streams[i] = s
	return s, ok
}

// serveXread replies the entries available to the read, if any stream can
// serve one (or, for XREADGROUP, a consumer's history was asked). It
// returns false, having replied nothing, when there is nothing to serve.
func serveXread(c *Ctx, a *xreadArgs) bool {
	body := getBuf()
	defer putBuf(body)
	ents := getBuf()
	defer putBuf(ents)
	served := 0
	var failed error
	for i, s := range a.streams {
		if s == nil {
			continue
		}
		ents.b = ents.b[:0]
		var n int64
		var err error
		serve := false
		switch {
		case a.group:
			g := a.groups[i]
			if a.ids[i] != store.MaxStreamID {
				cons, created, e := g.Consumer(a.consumer, true)
				if e != nil {
					failed = e
					break
				}
				if created {
					c.Tx.Notify(c.DB, "xgroup-createconsumer", a.keys[i])
				}
				g.Touch(cons)
				start, _ := a.ids[i].Incr()
				n, err = g.ReadHistory(cons, start, a.count, func(id store.StreamID, fv [][]byte, exists bool) {
					if exists {
						ents.b = appendEntry(ents.b, id, fv)
					} else {
						ents.b = proto.AppendArray(ents.b, 2)
						ents.b = appendStreamID(ents.b, id)
						ents.b = proto.AppendNullArray(ents.b, c.RESP3)
					}
				})
				serve = true
			} else {
				var created bool
				n, created, err = g.ReadNew(a.consumer, a.count, a.noack, func(id store.StreamID, fv [][]byte) {
					ents.b = appendEntry(ents.b, id, fv)
				})
				if created {
					c.Tx.Notify(c.DB, "xgroup-createconsumer", a.keys[i])
				}
				serve = n > 0
			}
		default:
			start, _ := a.ids[i].Incr()
			if a.ids[i] == store.MaxStreamID {
				break
			}
			n, err = s.Range(start, store.MaxStreamID, a.count, false, func(id store.StreamID, fv [][]byte) bool {
				ents.b = appendEntry(ents.b, id, fv)
				return true
			})
			serve = n > 0
		}
		if err != nil {
			failed = err
		}
		if failed != nil {
			break
		}
		if serve {
			served++
			if !c.RESP3 {
				body.b = proto.AppendArray(body.b, 2)
			}
			body.b = proto.AppendBulk(body.b, a.keys[i])
			body.b = proto.AppendArray(body.b, int(n))
			body.b = append(body.b, ents.b...)
		}
	}
	if a.group {
		for _, s := range a.streams {
			if s != nil {
				s.Save() // a repeated key's handle saves once: later calls find nothing dirty
			}
		}
	}
	if failed != nil {
		c.StoreErr(failed)
		return true
	}
	if served == 0 {
		return false
	}
	if c.RESP3 {
		c.Map(served)
	} else {
		c.Array(served)
	}
	c.Out = append(c.Out, body.b...)
	return true
}

// xreadReplyNoData answers a read nothing could serve: the null reply, or
// with BLOCK (a.block >= 0: the deadline in unix ms, 0 for none) the client
// blocks on a.keys. The arguments are rewritten first so that "$" becomes
// the id it stood for now, as Redis resolves it once, at the call.
func xreadReplyNoData(c *Ctx, a *xreadArgs, idsArg int) {
	if a.block < 0 || !c.CanBlock() {
		c.NullArray()
		return
	}
	for i, arg := range c.Args[idsArg : idsArg+len(a.keys)] {
		if len(arg) == 1 && arg[0] == '$' {
			c.Args[idsArg+i] = []byte(a.ids[i].String())
		}
	}
	var timeout time.Duration
	if a.block > 0 {
		timeout = time.Duration(max(a.block-c.Tx.Now(), 1)) * time.Millisecond
	}
	c.Block(a.keys, timeout, replyNullArray)
}

// serveXreadBlocked serves a blocked XREAD/XREADGROUP when key received
// entries: it reads that stream only (the Tx holds only its shard), as
// Redis replies with the stream that woke the client.
func serveXreadBlocked(c *Ctx, key []byte) bool {
	group := c.Spec.Name == "xreadgroup"
	a := xreadArgs{group: group, block: -1}
	streamsArg := 0
	for i := 1; i < len(c.Args); i++ {
		switch {
		case c.is(i, "streams"):
			streamsArg = i + 1
			i = len(c.Args)
		case c.is(i, "count") && i+1 < len(c.Args):
			v, _ := proto.ParseInt(c.Args[i+1])
			a.count = max(v, 0)
			i++
		case c.is(i, "block") && i+1 < len(c.Args):
			i++
		case c.is(i, "group") && i+2 < len(c.Args):
			a.groupName, a.consumer = c.Args[i+1], c.Args[i+2]
			i += 2
		case c.is(i, "noack"):
			a.noack = true
		}
	}
	n := (len(c.Args) - streamsArg) / 2
	at := -1
	for i := 0; i < n; i++ {
		if string(c.Args[streamsArg+i]) == string(key) {
			at = i
			break
		}
	}
	if streamsArg == 0 || at < 0 {
		return false
	}
	a.keys = [][]byte{key}
	a.ids = make([]store.StreamID, 1)
	a.streams = make([]*store.Stream, 1)
	st, ok := c.openStream(key)
	if !ok {
		return true // the key holds another type now: the error is the reply
	}
	if st == nil {
		return false
	}
	a.streams[0] = st
	if group {
		g, err := st.Group(a.groupName)
		if err != nil {
			c.StoreErr(err)
			return true
		}
		if g == nil {
			c.Err(nogroupErr(nogroupXreadgroup, key, a.groupName))
			return true
		}
		a.groups = []*store.Group{g}
	}
	arg := c.Args[streamsArg+n+at]
	if len(arg) == 1 && arg[0] == '>' {
		a.ids[0] = store.MaxStreamID
	} else {
		id, ok := parseStreamID(arg, 0, true, nil)
		if !ok {
			return false
		}
		a.ids[0] = id
	}
	return serveXread(c, &a)
}

// --- XSETID ---

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func cmdXsetid(c *Ctx) {
	id, ok := c.streamID(2, 0, true)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel store.StreamID
	for i := 3; i < len(c.Args); {
		more := len(c.Args) - 1 - i
		switch {
		case c.is(i, "entriesadded") && more > 0:
			v, ok := c.intArg(i+1, "")
			if !ok {
				return
			}
			if v < 0 {
				c.Err(errXsetidEntriesAdded)
				return
			}
			entriesAdded = v
			i += 2
		case c.is(i, "maxdeletedid") && more > 0:
			v, ok := c.streamID(i+1, 0, true)
			if !ok {
				return
			}
			if id.Cmp(v) < 0 {
				c.Err(errXsetidMaxDelProvided)
				return
			}
			maxDel = v
			i += 2
		default:
			c.Err(errSyntax)
			return
		}
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Err(errNoSuchKey)
		return
	}
	if s.Len() > 0 {
		top, _, err := s.LastEntryID()
		if err != nil {
			c.StoreErr(err)
			return
		}
		if id.Cmp(top) < 0 {
			c.Err(errXsetidTop)
			return
		}
		if entriesAdded != -1 && s.Len() > uint64(entriesAdded) {
			c.Err(errXsetidLength)
			return
		}
	}
	s.SetLastID(id, entriesAdded, maxDel)
	s.Save()
	c.Tx.Notify(c.DB, "xsetid", c.Args[1])
	c.OK()
}

// --- XGROUP ---

// XGROUP CREATE key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]
// XGROUP SETID key group <id | $> [ENTRIESREAD entries-read]
// XGROUP DESTROY key group
// XGROUP CREATECONSUMER key group consumer
// XGROUP DELCONSUMER key group consumer
func cmdXgroup(c *Ctx) {
	opt := c.Args[1]
	key, grp := c.Args[2], c.Args[3]
	create, setid := eqFold(opt, "create"), eqFold(opt, "setid")
	mkstream := false
	entriesRead := int64(-1)
	if create || setid {
		for i := 5; i < len(c.Args); {
			switch {
			case create && c.is(i, "mkstream"):
				mkstream = true
				i++
			case c.is(i, "entriesread") && i+1 < len(c.Args):
				v, ok := c.intArg(i+1, "")
				if !ok {
					return
				}
				if v < 0 && v != -1 {
					c.Err(errEntriesRead)
					return
				}
				entriesRead = v
				i += 2
			default:
				c.Err(errSubSyntax(opt, "xgroup"))
				return
			}
		}
	}
	s, ok := c.openStream(key)
	if !ok {
		return
	}
	var g *store.Group
	if !mkstream {
		if s == nil {
			c.Err(errXgroupNoKey)
			return
		}
		var err error
		if g, err = s.Group(grp); err != nil {
			c.StoreErr(err)
			return
		}
		if g == nil && !create && !eqFold(opt, "destroy") {
			c.Err(nogroupErr(nogroupForKey, key, grp))
			return
		}
	}
	argc := len(c.Args)
	switch {
	case create && argc <= 8:
		var id store.StreamID
		if string(c.Args[4]) == "$" {
			if s != nil {
				id = s.LastID()
			}
		} else if id, ok = c.streamID(4, 0, true); !ok {
			return
		}
		if s == nil {
			var err error
			if s, err = c.Tx.CreateStream(c.DB, key); err != nil {
				c.StoreErr(err)
				return
			}
		}
		created, err := s.CreateGroup(grp, id, entriesRead)
		if err != nil {
			c.StoreErr(err)
			return
		}
		s.Save()
		if !created {
			c.Err(errBusyGroup)
			return
		}
		c.Tx.Notify(c.DB, "xgroup-create", key)
		c.OK()
	case setid && (argc == 5 || argc == 7):
		var id store.StreamID
		if string(c.Args[4]) == "$" {
			id = s.LastID()
		} else if id, ok = c.streamID(4, 0, false); !ok {
			return
		}
		g.SetLast(id, entriesRead)
		s.Save()
		c.Tx.Notify(c.DB, "xgroup-setid", key)
		c.OK()
	case eqFold(opt, "destroy"):
		xgroupDestroy(c, s, g)
	case eqFold(opt, "createconsumer"):
		_, created, err := g.Consumer(c.Args[4], true)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if created {
			s.Save()
			c.Tx.Notify(c.DB, "xgroup-createconsumer", key)
			c.Int(1)
			return
		}
		c.Int(0)
	case eqFold(opt, "delconsumer"):
		n, found, err := g.DelConsumer(c.Args[4])
		if err != nil {
			c.StoreErr(err)
			return
		}
		if found {
			s.Save()
			c.Tx.Notify(c.DB, "xgroup-delconsumer", key)
		}
		c.Int(n)
	default:
		c.Err(errSubSyntax(opt, "xgroup"))
	}
}

func xgroupDestroy(c *Ctx, s *store.Stream, g *store.Group) {
	if g == nil {
		c.Int(0)
		return
	}
	if _, err := s.DestroyGroup(g.Name); err != nil {
		c.StoreErr(err)
		return
	}
	s.Save()
	c.Tx.Notify(c.DB, "xgroup-destroy", c.Args[2])
	c.Tx.SignalReady(c.DB, c.Args[2]) // blocked XREADGROUP callers get NOGROUP
	c.Int(1)
}

// --- XACK ---

// XACK key group id [id ...]
func cmdXack(c *Ctx) {
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	var g *store.Group
	if s != nil {
		var err error
		if g, err = s.Group(c.Args[2]); err != nil {
			c.StoreErr(err)
			return
		}
	}
	if g == nil {
		c.Int(0)
		return
	}
	ids := make([]store.StreamID, 0, min(len(c.Args)-3, 1024))
	for i := 3; i < len(c.Args); i++ {
		id, ok := c.streamID(i, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	n, err := g.Ack(ids)
	if err != nil {
		c.StoreErr(err)
		return
	}
	s.Save()
	c.Int(n)
}

// --- XPENDING ---

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func cmdXpending(c *Ctx) {
	argc := len(c.Args)
	if argc != 3 && (argc < 6 || argc > 9) {
		c.Err(errSyntax)
		return
	}
	var start, end store.StreamID
	var count, minIdle int64
	var consumer []byte
	if argc >= 6 {
		si := 3
		if c.is(3, "idle") {
			v, ok := c.intArg(4, "")
			if !ok {
				return
			}
			minIdle = v
			if argc < 8 {
				c.Err(errSyntax)
				return
			}
			si += 2
		}
		v, ok := c.intArg(si+2, "")
		if !ok {
			return
		}
		count = max(v, 0)
		var ex bool
		if start, ex, ok = c.intervalID(si, 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.Err(errIntervalStart)
				return
			}
		}
		if end, ex, ok = c.intervalID(si+1, math.MaxUint64); !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.Err(errIntervalEnd)
				return
			}
		}
		if si+3 < argc {
			consumer = c.Args[si+3]
		}
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	var g *store.Group
	if s != nil {
		var err error
		if g, err = s.Group(c.Args[2]); err != nil {
			c.StoreErr(err)
			return
		}
	}
	if g == nil {
		c.Err(nogroupErr(nogroupKeyOrGroup, c.Args[1], c.Args[2]))
		return
	}
	if argc == 3 {
		xpendingSummary(c, g)
		return
	}
	if consumer != nil {
		cons, _, err := g.Consumer(consumer, false)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if cons == nil {
			c.Array(0)
			return
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	now := c.Tx.Now()
	n := 0
	err := g.PendingRange(start, end, count, minIdle, consumer, func(p *store.PendingEntry) bool {
		buf.b = proto.AppendArray(buf.b, 4)
		buf.b = appendStreamID(buf.b, p.ID)
		buf.b = proto.AppendBulk(buf.b, p.Consumer)
		buf.b = proto.AppendInt(buf.b, max(now-p.DeliveryTime, 0))
		buf.b = proto.AppendInt(buf.b, int64(p.Deliveries))
		n++
		return true
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(n)
	c.Out = append(c.Out, buf.b...)
}

func xpendingSummary(c *Ctx, g *store.Group) {
	if g.Pending == 0 {
		c.Array(4)
		c.Int(0)
		c.Null()
		c.Null()
		c.NullArray()
		return
	}
	first, last, err := g.PendingBounds()
	if err != nil {
		c.StoreErr(err)
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	n := 0
	err = g.Consumers(func(cons *store.Consumer) bool {
		if cons.Pending == 0 {
			return true
		}
		buf.b = proto.AppendArray(buf.b, 2)
		buf.b = proto.AppendBulk(buf.b, cons.Name)
		buf.b = proto.AppendBulkInt(buf.b, int64(cons.Pending))
		n++
		return true
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(4)
	c.Int(int64(g.Pending))
	c.replyID(first)
	c.replyID(last)
	c.Array(n)
	c.Out = append(c.Out, buf.b...)
}

// --- XCLAIM, XAUTOCLAIM ---

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
//
//	[TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID]
//	[LASTID lastid]
func cmdXclaim(c *Ctx) {
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	var g *store.Group
	if s != nil {
		var err error
		if g, err = s.Group(c.Args[2]); err != nil {
			c.StoreErr(err)
			return
		}
	}
	if g == nil {
		c.Err(nogroupErr(nogroupKeyOrGroup, c.Args[1], c.Args[2]))
		return
	}
	minIdle, ok := c.intArg(4, errXclaimMinIdle)
	if !ok {
		return
	}
	a := store.ClaimArgs{MinIdle: max(minIdle, 0), RetryCount: -1, DeliveryTime: -1}
	j := 5
	var ids []store.StreamID
	for ; j < len(c.Args); j++ {
		id, ok := parseStreamID(c.Args[j], 0, true, nil)
		if !ok {
			break
		}
		if ids == nil {
			ids = make([]store.StreamID, 0, min(len(c.Args)-5, 1024))
		}
		ids = append(ids, id)
	}
	now := c.Tx.Now()
	var lastID store.StreamID
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.is(j, "force"):
			a.Force = true
		case c.is(j, "justid"):
			a.JustID = true
		case c.is(j, "idle") && more > 0:
			j++
			v, ok := c.intArg(j, errXclaimIdle)
			if !ok {
				return
			}
			a.DeliveryTime = int64(uint64(now) - uint64(v))
		case c.is(j, "time") && more > 0:
			j++
			v, ok := c.intArg(j, errXclaimTime)
			if !ok {
				return
			}
			a.DeliveryTime = v
		case c.is(j, "retrycount") && more > 0:
			j++
			v, ok := c.intArg(j, errXclaimRetry)
			if !ok {
				return
			}
			a.RetryCount = v
		case c.is(j, "lastid") && more > 0:
			j++
			v, ok := c.streamID(j, 0, true)
			if !ok {
				return
			}
			lastID = v
		default:
			c.Err("ERR Unrecognized XCLAIM option '" + string(cString(c.Args[j])) + "'")
			return
		}
	}
	if lastID.Cmp(g.Last) > 0 {
		g.SetLast(lastID, g.EntriesRead)
	}
	if a.DeliveryTime != -1 {
		if a.DeliveryTime < 0 || a.DeliveryTime > now {
			a.DeliveryTime = now
		}
	} else {
		a.DeliveryTime = now
	}
	buf := getBuf()
	defer putBuf(buf)
	n, err := g.Claim(c.Args[3], ids, a, func(id store.StreamID, fv [][]byte) {
		if a.JustID {
			buf.b = appendStreamID(buf.b, id)
		} else {
			buf.b = appendEntry(buf.b, id, fv)
		}
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	s.Save()
	c.Array(int(n))
	c.Out = append(c.Out, buf.b...)
}

// xautoclaimMaxCount is the greatest COUNT for which redis-server 7.0 can
// allocate its array of deleted ids (16 bytes each): it refuses more than
// 80 TiB on Linux x86-64. DiskDB allocates as it goes, but answers alike.
const xautoclaimMaxCount = 80 << 40 / 16

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func cmdXautoclaim(c *Ctx) {
	minIdle, ok := c.intArg(4, errXautoclaimMinIdle)
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := c.intervalID(5, 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.Err(errIntervalStart)
			return
		}
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.is(j, "count") && more > 0:
			v, ok := proto.ParseInt(c.Args[j+1])
			if !ok || v < 1 || v > math.MaxInt64/16 {
				c.Err(errCountPositive)
				return
			}
			count = v
			j++
		case c.is(j, "justid"):
			justID = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	var g *store.Group
	if s != nil {
		var err error
		if g, err = s.Group(c.Args[2]); err != nil {
			c.StoreErr(err)
			return
		}
	}
	if g == nil {
		c.Err(nogroupErr(nogroupKeyOrGroup, c.Args[1], c.Args[2]))
		return
	}
	if count > xautoclaimMaxCount {
		c.Err(errXautoclaimMemory)
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	n := 0
	next, deleted, err := g.AutoClaim(c.Args[3], minIdle, start, count, justID, func(id store.StreamID, fv [][]byte) {
		if justID {
			buf.b = appendStreamID(buf.b, id)
		} else {
			buf.b = appendEntry(buf.b, id, fv)
		}
		n++
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	s.Save()
	c.Array(3)
	c.replyID(next)
	c.Array(n)
	c.Out = append(c.Out, buf.b...)
	c.Array(len(deleted))
	for _, id := range deleted {
		c.replyID(id)
	}
}

// --- XINFO ---

// XINFO STREAM key [FULL [COUNT count]]
// XINFO GROUPS key
// XINFO CONSUMERS key group
func cmdXinfo(c *Ctx) {
	opt := c.Args[1]
	s, ok := c.openStream(c.Args[2])
	if !ok {
		return
	}
	if s == nil {
		c.Err(errNoSuchKey)
		return
	}
	switch {
	case eqFold(opt, "consumers"):
		xinfoConsumers(c, s)
	case eqFold(opt, "groups"):
		xinfoGroups(c, s)
	default:
		xinfoStream(c, s)
	}
}

func xinfoConsumers(c *Ctx, s *store.Stream) {
	g, err := s.Group(c.Args[3])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if g == nil {
		c.Err(nogroupErr(nogroupForKey, c.Args[2], c.Args[3]))
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	now := c.Tx.Now()
	n := 0
	err = g.Consumers(func(cons *store.Consumer) bool {
		buf.b = proto.AppendMap(buf.b, 3, c.RESP3)
		buf.b = proto.AppendBulkString(buf.b, "name")
		buf.b = proto.AppendBulk(buf.b, cons.Name)
		buf.b = proto.AppendBulkString(buf.b, "pending")
		buf.b = proto.AppendInt(buf.b, int64(cons.Pending))
		buf.b = proto.AppendBulkString(buf.b, "idle")
		buf.b = proto.AppendInt(buf.b, max(now-cons.Seen, 0))
		n++
		return true
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(n)
	c.Out = append(c.Out, buf.b...)
}

// appendLag appends a group's lag, or null when it cannot be known.
func appendLag(dst []byte, s *store.Stream, g *store.Group, resp3 bool) []byte {
	if lag, ok := s.Lag(g); ok {
		return proto.AppendInt(dst, lag)
	}
	return proto.AppendNull(dst, resp3)
}

func appendEntriesRead(dst []byte, g *store.Group, resp3 bool) []byte {
	if g.EntriesRead != -1 {
		return proto.AppendInt(dst, g.EntriesRead)
	}
	return proto.AppendNull(dst, resp3)
}

func xinfoGroups(c *Ctx, s *store.Stream) {
	buf := getBuf()
	defer putBuf(buf)
	n := 0
	err := s.Groups(func(g *store.Group) bool {
		buf.b = proto.AppendMap(buf.b, 6, c.RESP3)
		buf.b = proto.AppendBulkString(buf.b, "name")
		buf.b = proto.AppendBulk(buf.b, g.Name)
		buf.b = proto.AppendBulkString(buf.b, "consumers")
		buf.b = proto.AppendInt(buf.b, int64(g.NConsumers))
		buf.b = proto.AppendBulkString(buf.b, "pending")
		buf.b = proto.AppendInt(buf.b, int64(g.Pending))
		buf.b = proto.AppendBulkString(buf.b, "last-delivered-id")
		buf.b = appendStreamID(buf.b, g.Last)
		buf.b = proto.AppendBulkString(buf.b, "entries-read")
		buf.b = appendEntriesRead(buf.b, g, c.RESP3)
		buf.b = proto.AppendBulkString(buf.b, "lag")
		buf.b = appendLag(buf.b, s, g, c.RESP3)
		n++
		return true
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(n)
	c.Out = append(c.Out, buf.b...)
}

// radixTreeNodes estimates XINFO STREAM's radix-tree-nodes. The shape of
// Redis's radix tree of listpacks depends on the bytes of their ids and on
// its insertion history, which DiskDB does not keep. The estimate (a
// compressed path and a leaf per listpack, the head and one branching
// node) is what Redis reports for up to three listpacks whose first ids
// differ in their millisecond part, and close to it beyond.
func radixTreeNodes(nodes uint64) int64 {
	switch nodes {
	case 0:
		return 1
	case 1:
		return 2
	}
	return int64(2*nodes + 2)
}

func xinfoStream(c *Ctx, s *store.Stream) {
	args := c.Args[3:]
	full := len(args) > 0
	count := int64(10)
	if full {
		if !eqFold(args[0], "full") {
			c.Err(errSubSyntax(c.Args[1], "xinfo"))
			return
		}
		if len(args) > 1 {
			if len(args) != 3 || !eqFold(args[1], "count") {
				c.Err(errSubSyntax(c.Args[1], "xinfo"))
				return
			}
			v, ok := c.intArg(5, "")
			if !ok {
				return
			}
			count = v
			if count < 0 {
				count = 10
			}
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	b := buf.b
	if full {
		b = proto.AppendMap(b, 9, c.RESP3)
	} else {
		b = proto.AppendMap(b, 10, c.RESP3)
	}
	b = proto.AppendBulkString(b, "length")
	b = proto.AppendInt(b, int64(s.Len()))
	b = proto.AppendBulkString(b, "radix-tree-keys")
	b = proto.AppendInt(b, int64(s.Nodes()))
	b = proto.AppendBulkString(b, "radix-tree-nodes")
	b = proto.AppendInt(b, radixTreeNodes(s.Nodes()))
	b = proto.AppendBulkString(b, "last-generated-id")
	b = appendStreamID(b, s.LastID())
	b = proto.AppendBulkString(b, "max-deleted-entry-id")
	b = appendStreamID(b, s.MaxDeletedID())
	b = proto.AppendBulkString(b, "entries-added")
	b = proto.AppendInt(b, int64(s.EntriesAdded()))
	b = proto.AppendBulkString(b, "recorded-first-entry-id")
	b = appendStreamID(b, s.FirstID())
	var err error
	if !full {
		b = proto.AppendBulkString(b, "groups")
		b = proto.AppendInt(b, int64(s.NumGroups()))
		for _, last := range []bool{false, true} {
			if last {
				b = proto.AppendBulkString(b, "last-entry")
			} else {
				b = proto.AppendBulkString(b, "first-entry")
			}
			var n int64
			n, err = s.Range(store.StreamID{}, store.MaxStreamID, 1, last, func(id store.StreamID, fv [][]byte) bool {
				b = appendEntry(b, id, fv)
				return false
			})
			if err != nil {
				break
			}
			if n == 0 {
				b = proto.AppendNull(b, c.RESP3)
			}
		}
	} else {
		b, err = appendStreamFull(b, s, count, c.RESP3)
	}
	buf.b = b
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Out = append(c.Out, b...)
}

// appendStreamFull appends the entries and groups parts of XINFO STREAM FULL.
func appendStreamFull(b []byte, s *store.Stream, count int64, resp3 bool) ([]byte, error) {
	b = proto.AppendBulkString(b, "entries")
	ents := getBuf()
	defer putBuf(ents)
	n, err := s.Range(store.StreamID{}, store.MaxStreamID, count, false, func(id store.StreamID, fv [][]byte) bool {
		ents.b = appendEntry(ents.b, id, fv)
		return true
	})
	if err != nil {
		return b, err
	}
	b = proto.AppendArray(b, int(n))
	b = append(b, ents.b...)
	b = proto.AppendBulkString(b, "groups")
	b = proto.AppendArray(b, int(s.NumGroups()))
	var groups []*store.Group
	if err := s.Groups(func(g *store.Group) bool {
		groups = append(groups, g)
		return true
	}); err != nil {
		return b, err
	}
	for _, g := range groups {
		b = proto.AppendMap(b, 7, resp3)
		b = proto.AppendBulkString(b, "name")
		b = proto.AppendBulk(b, g.Name)
		b = proto.AppendBulkString(b, "last-delivered-id")
		b = appendStreamID(b, g.Last)
		b = proto.AppendBulkString(b, "entries-read")
		b = appendEntriesRead(b, g, resp3)
		b = proto.AppendBulkString(b, "lag")
		b = appendLag(b, s, g, resp3)
		b = proto.AppendBulkString(b, "pel-count")
		b = proto.AppendInt(b, int64(g.Pending))
		b = proto.AppendBulkString(b, "pending")
		pel := getBuf()
		np := 0
		err := g.PEL(count, func(p *store.PendingEntry) {
			pel.b = proto.AppendArray(pel.b, 4)
			pel.b = appendStreamID(pel.b, p.ID)
			pel.b = proto.AppendBulk(pel.b, p.Consumer)
			pel.b = proto.AppendInt(pel.b, p.DeliveryTime)
			pel.b = proto.AppendInt(pel.b, int64(p.Deliveries))
			np++
		})
		b = proto.AppendArray(b, np)
		b = append(b, pel.b...)
		putBuf(pel)
		if err != nil {
			return b, err
		}
		b = proto.AppendBulkString(b, "consumers")
		var cons []*store.Consumer
		if err := g.Consumers(func(cn *store.Consumer) bool {
			cons = append(cons, cn)
			return true
		}); err != nil {
			return b, err
		}
		b = proto.AppendArray(b, len(cons))
		for _, cn := range cons {
			b = proto.AppendMap(b, 4, resp3)
			b = proto.AppendBulkString(b, "name")
			b = proto.AppendBulk(b, cn.Name)
			b = proto.AppendBulkString(b, "seen-time")
			b = proto.AppendInt(b, cn.Seen)
			b = proto.AppendBulkString(b, "pel-count")
			b = proto.AppendInt(b, int64(cn.Pending))
			b = proto.AppendBulkString(b, "pending")
			cp := getBuf()
			nc := 0
			err := g.ConsumerPEL(cn.Name, count, func(p *store.PendingEntry) {
				cp.b = proto.AppendArray(cp.b, 3)
				cp.b = appendStreamID(cp.b, p.ID)
				cp.b = proto.AppendInt(cp.b, p.DeliveryTime)
				cp.b = proto.AppendInt(cp.b, int64(p.Deliveries))
				nc++
			})
			b = proto.AppendArray(b, nc)
			b = append(b, cp.b...)
			putBuf(cp)
			if err != nil {
				return b, err
			}
		}
	}
	return b, nil
}
