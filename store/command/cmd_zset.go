package command

import (
	"errors"
	"math"
	"strconv"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Sorted set commands (t_zset.c).

func init() {
	const g = "sorted-set"
	register(
		&Spec{Name: "zadd", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZAdd, Group: g, Summary: "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", Since: "1.2.0"},
		&Spec{Name: "zincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZIncrBy, Group: g, Summary: "Increments the score of a member in a sorted set.", Since: "1.2.0"},
		&Spec{Name: "zrem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZRem, Group: g, Summary: "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", Since: "1.2.0"},
		&Spec{Name: "zcard", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZCard, Group: g, Summary: "Returns the number of members in a sorted set.", Since: "1.2.0"},
		&Spec{Name: "zscore", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZScore, Group: g, Summary: "Returns the score of a member in a sorted set.", Since: "1.2.0"},
		&Spec{Name: "zmscore", Arity: -3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZMScore, Group: g, Summary: "Returns the score of one or more members in a sorted set.", Since: "6.2.0"},
		&Spec{Name: "zcount", Arity: 4, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZCount, Group: g, Summary: "Returns the count of members in a sorted set that have scores within a range.", Since: "2.0.0"},
		&Spec{Name: "zlexcount", Arity: 4, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZLexCount, Group: g, Summary: "Returns the number of members in a sorted set within a lexicographical range.", Since: "2.8.9"},
		&Spec{Name: "zrank", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZRank, Group: g, Summary: "Returns the index of a member in a sorted set ordered by ascending scores.", Since: "2.0.0"},
		&Spec{Name: "zrevrank", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZRevRank, Group: g, Summary: "Returns the index of a member in a sorted set ordered by descending scores.", Since: "2.0.0"},
		&Spec{Name: "zrange", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRange, Group: g, Summary: "Returns members in a sorted set within a range of indexes.", Since: "1.2.0"},
		&Spec{Name: "zrangebyscore", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRangeByScore, Group: g, Summary: "Returns members in a sorted set within a range of scores.", Since: "1.0.5"},
		&Spec{Name: "zrevrangebyscore", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRevRangeByScore, Group: g, Summary: "Returns members in a sorted set within a range of scores in reverse order.", Since: "2.2.0"},
		&Spec{Name: "zrangebylex", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRangeByLex, Group: g, Summary: "Returns members in a sorted set within a lexicographical range.", Since: "2.8.9"},
		&Spec{Name: "zrevrangebylex", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRevRangeByLex, Group: g, Summary: "Returns members in a sorted set within a lexicographical range in reverse order.", Since: "2.8.9"},
		&Spec{Name: "zrevrange", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRevRange, Group: g, Summary: "Returns members in a sorted set within a range of indexes in reverse order.", Since: "1.2.0"},
		&Spec{Name: "zrangestore", Arity: -5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Handler: cmdZRangeStore, Group: g, Summary: "Stores a range of members from sorted set in a key.", Since: "6.2.0"},
		&Spec{Name: "zremrangebyrank", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Handler: cmdZRemRangeByRank, Group: g, Summary: "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", Since: "2.0.0"},
		&Spec{Name: "zremrangebyscore", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Handler: cmdZRemRangeByScore, Group: g, Summary: "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", Since: "1.2.0"},
		&Spec{Name: "zremrangebylex", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Handler: cmdZRemRangeByLex, Group: g, Summary: "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", Since: "2.8.9"},
		&Spec{Name: "zpopmin", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZPopMin, Group: g, Summary: "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", Since: "5.0.0"},
		&Spec{Name: "zpopmax", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdZPopMax, Group: g, Summary: "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", Since: "5.0.0"},
		&Spec{Name: "zmpop", Arity: -4, Flags: FlagWrite, KeysFn: numKeysAt(1), Handler: cmdZMPop, Group: g, Summary: "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", Since: "7.0.0"},
		&Spec{Name: "zrandmember", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZRandMember, Group: g, Summary: "Returns one or more random members from a sorted set.", Since: "6.2.0"},
		&Spec{Name: "zunion", Arity: -3, Flags: FlagReadOnly, KeysFn: numKeysAt(1), Handler: cmdZUnion, Group: g, Summary: "Returns the union of multiple sorted sets.", Since: "6.2.0"},
		&Spec{Name: "zinter", Arity: -3, Flags: FlagReadOnly, KeysFn: numKeysAt(1), Handler: cmdZInter, Group: g, Summary: "Returns the intersect of multiple sorted sets.", Since: "6.2.0"},
		&Spec{Name: "zdiff", Arity: -3, Flags: FlagReadOnly, KeysFn: numKeysAt(1), Handler: cmdZDiff, Group: g, Summary: "Returns the difference between multiple sorted sets.", Since: "6.2.0"},
		&Spec{Name: "zintercard", Arity: -3, Flags: FlagReadOnly, KeysFn: numKeysAt(1), Handler: cmdZInterCard, Group: g, Summary: "Returns the number of members of the intersect of multiple sorted sets.", Since: "7.0.0"},
		&Spec{Name: "zunionstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, KeysFn: numKeysAt(2, 1), Handler: cmdZUnionStore, Group: g, Summary: "Stores the union of multiple sorted sets in a key.", Since: "2.0.0"},
		&Spec{Name: "zinterstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, KeysFn: numKeysAt(2, 1), Handler: cmdZInterStore, Group: g, Summary: "Stores the intersect of multiple sorted sets in a key.", Since: "2.0.0"},
		&Spec{Name: "zdiffstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, KeysFn: numKeysAt(2, 1), Handler: cmdZDiffStore, Group: g, Summary: "Stores the difference of multiple sorted sets in a key.", Since: "6.2.0"},
		&Spec{Name: "zscan", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdZScan, Group: g, Summary: "Iterates over members and scores of a sorted set.", Since: "2.8.0"},
	)
}

// --- argument parsing ---

// parseRangeFloat parses a ZRANGEBYSCORE bound's number as Redis does
// (strtod over the whole rest): leading white space and an empty string
// (0) are accepted, overflow gives an infinity, NaN is refused.
func parseRangeFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	if i == len(b) {
		return 0, false
	}
	b = b[i:]
	if f, ok := proto.ParseFloat(b); ok {
		return f, true
	}
	for _, ch := range b {
		if ch == '_' {
			return 0, false
		}
	}
	// What ParseFloat refuses beyond strtod's syntax is out-of-range values,
	// which this parse takes.
	f, err := strconv.ParseFloat(string(b), 64)
	if math.IsNaN(f) || (err != nil && !errors.Is(err, strconv.ErrRange)) {
		return 0, false
	}
	return f, true
}

// parseScoreRange parses "min" and "max" score bounds ("(" = exclusive).
func parseScoreRange(min, max []byte) (r store.ScoreRange, ok bool) {
	bound := func(b []byte) (float64, bool, bool) {
		ex := len(b) > 0 && b[0] == '('
		if ex {
			b = b[1:]
		}
		f, ok := parseRangeFloat(b)
		return f, ex, ok
	}
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = bound(min)
	r.Max, r.MaxEx, ok2 = bound(max)
	return r, ok1 && ok2
}

// parseLexBound parses "[member", "(member", "-" or "+".
func parseLexBound(b []byte) (store.LexBound, bool) {
	if len(b) == 0 {
		return store.LexBound{}, false
	}
	switch b[0] {
	case '+':
		return store.LexBound{Inf: 1}, len(b) == 1
	case '-':
		return store.LexBound{Inf: -1}, len(b) == 1
	case '(':
		return store.LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return store.LexBound{Value: b[1:]}, true
	}
	return store.LexBound{}, false
}

func parseLexRange(min, max []byte) (store.LexRange, bool) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	return store.LexRange{Min: lo, Max: hi}, ok1 && ok2
}

// --- replies ---

// replyZEntries replies entries as Redis replies a range: members, or with
// scores flat pairs (RESP2) or [member, score] arrays (RESP3).
func replyZEntries(c *Ctx, es []store.ZEntry, withScores bool) {
	if withScores && !c.RESP3 {
		c.Array(2 * len(es))
	} else {
		c.Array(len(es))
	}
	for _, e := range es {
		if withScores && c.RESP3 {
			c.Array(2)
		}
		c.Bulk(e.Member)
		if withScores {
			c.Double(e.Score)
		}
	}
}

// replyStored ends a *STORE command: the result's size, and the keyspace
// event (event when something was stored, "del" when an old value went).
func replyStored(c *Ctx, dst []byte, n int, had bool, event string) {
	switch {
	case n > 0:
		c.Tx.Notify(c.DB, event, dst)
	case had:
		c.Tx.Notify(c.DB, "del", dst)
	}
	c.Int(int64(n))
}

// --- ZADD, ZINCRBY, ZREM ---

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
func cmdZAdd(c *Ctx) { zaddGeneric(c, 0) }

// ZINCRBY key increment member (Redis runs it as ZADD INCR, options and all)
func cmdZIncrBy(c *Ctx) { zaddGeneric(c, store.ZAddIncr) }

func zaddGeneric(c *Ctx, flags int) {
	key := c.Args[1]
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		switch {
		case c.is(i, "nx"):
			flags |= store.ZAddNX
		case c.is(i, "xx"):
			flags |= store.ZAddXX
		case c.is(i, "ch"):
			ch = true
		case c.is(i, "incr"):
			flags |= store.ZAddIncr
		case c.is(i, "gt"):
			flags |= store.ZAddGT
		case c.is(i, "lt"):
			flags |= store.ZAddLT
		default:
			break options
		}
	}
	rest := len(c.Args) - i
	if rest == 0 || rest%2 != 0 {
		c.Err(errSyntax)
		return
	}
	nx, gt, lt := flags&store.ZAddNX != 0, flags&store.ZAddGT != 0, flags&store.ZAddLT != 0
	incr := flags&store.ZAddIncr != 0
	switch {
	case nx && flags&store.ZAddXX != 0:
		c.Err(errZAddXXNX)
		return
	case (gt && nx) || (lt && nx) || (gt && lt):
		c.Err(errZAddGTLTNX)
		return
	case incr && rest > 2:
		c.Err(errZAddIncrPair)
		return
	}
	n := rest / 2
	scores := make([]float64, n)
	members := make([][]byte, n)
	for j := 0; j < n; j++ {
		f, ok := c.Float(i + 2*j)
		if !ok {
			return
		}
		scores[j], members[j] = f, c.Args[i+2*j+1]
	}
	r, err := c.Tx.ZAdd(c.DB, key, flags, scores, members)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if r.Added+r.Updated > 0 {
		if incr {
			c.Tx.Notify(c.DB, "zincr", key)
		} else {
			c.Tx.Notify(c.DB, "zadd", key)
		}
		c.Tx.SignalReady(c.DB, key) // clients blocked in BZPOPMIN & co.
	}
	switch {
	case incr && r.Processed > 0:
		c.Double(r.Score)
	case incr:
		c.Null()
	case ch:
		c.Int(r.Added + r.Updated)
	default:
		c.Int(r.Added)
	}
}

// ZREM key member [member ...]
func cmdZRem(c *Ctx) {
	key := c.Args[1]
	n, deleted, err := c.Tx.ZRem(c.DB, key, c.Args[2:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		c.Tx.Notify(c.DB, "zrem", key)
	}
	if deleted {
		c.Tx.Notify(c.DB, "del", key)
	}
	c.Int(n)
}

// --- point reads ---

// ZCARD key
func cmdZCard(c *Ctx) {
	n, err := c.Tx.ZCard(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(n)
}

// ZSCORE key member
func cmdZScore(c *Ctx) {
	f, ok, err := c.Tx.ZScore(c.DB, c.Args[1], c.Args[2])
	switch {
	case err != nil:
		c.StoreErr(err)
	case !ok:
		c.Null()
	default:
		c.Double(f)
	}
}

// ZMSCORE key member [member ...]
func cmdZMScore(c *Ctx) {
	scores, ok, err := c.Tx.ZMScore(c.DB, c.Args[1], c.Args[2:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(len(scores))
	for i, f := range scores {
		if ok[i] {
			c.Double(f)
		} else {
			c.Null()
		}
	}
}

// ZRANK key member, ZREVRANK key member
func cmdZRank(c *Ctx)    { zrank(c, false) }
func cmdZRevRank(c *Ctx) { zrank(c, true) }

func zrank(c *Ctx, rev bool) {
	n, ok, err := c.Tx.ZRank(c.DB, c.Args[1], c.Args[2], rev)
	switch {
	case err != nil:
		c.StoreErr(err)
	case !ok:
		c.Null()
	default:
		c.Int(n)
	}
}

// ZCOUNT key min max
func cmdZCount(c *Ctx) {
	sr, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errMinMaxFloat)
		return
	}
	zcount(c, store.ZRange{Kind: store.ZByScore, Score: sr, Limit: -1})
}

// ZLEXCOUNT key min max
func cmdZLexCount(c *Ctx) {
	lr, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errMinMaxLex)
		return
	}
	zcount(c, store.ZRange{Kind: store.ZByLex, Lex: lr, Limit: -1})
}

func zcount(c *Ctx, r store.ZRange) {
	n, err := c.Tx.ZCount(c.DB, c.Args[1], r)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(n)
}

// --- ZRANGE and its older forms ---

const (
	zAuto = iota
	zRank
	zScore
	zLex
)

const (
	zDirAuto = iota
	zForward
	zReverse
)

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
func cmdZRange(c *Ctx) { zrangeGeneric(c, 1, false, zAuto, zDirAuto) }

// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
func cmdZRangeByScore(c *Ctx) { zrangeGeneric(c, 1, false, zScore, zForward) }

// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
func cmdZRevRangeByScore(c *Ctx) { zrangeGeneric(c, 1, false, zScore, zReverse) }

// ZRANGEBYLEX key min max [LIMIT offset count]
func cmdZRangeByLex(c *Ctx) { zrangeGeneric(c, 1, false, zLex, zForward) }

// ZREVRANGEBYLEX key max min [LIMIT offset count]
func cmdZRevRangeByLex(c *Ctx) { zrangeGeneric(c, 1, false, zLex, zReverse) }

// ZREVRANGE key start stop [WITHSCORES]
func cmdZRevRange(c *Ctx) { zrangeGeneric(c, 1, false, zRank, zReverse) }

// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
func cmdZRangeStore(c *Ctx) { zrangeGeneric(c, 2, true, zAuto, zDirAuto) }

// zrangeGeneric parses and runs every ZRANGE form, in Redis's order of
// checks: options, conflicts, the range, then the key. first is the
// position of the source key.
func zrangeGeneric(c *Ctx, first int, storeDst bool, kind, dir int) {
	withScores := false
	var offset, limit int64 = 0, -1
	for j := first + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !storeDst && c.is(j, "withscores"):
			withScores = true
		case c.is(j, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.Int64(j + 1); !ok {
				return
			}
			if limit, ok = c.Int64(j + 2); !ok {
				return
			}
			j += 2
		case dir == zDirAuto && c.is(j, "rev"):
			dir = zReverse
		case kind == zAuto && c.is(j, "bylex"):
			kind = zLex
		case kind == zAuto && c.is(j, "byscore"):
			kind = zScore
		default:
			c.Err(errSyntax)
			return
		}
	}
	if kind == zAuto {
		kind = zRank
	}
	if limit != -1 && kind == zRank {
		c.Err(errLimitRank)
		return
	}
	if withScores && kind == zLex {
		c.Err(errWithScoresByLex)
		return
	}
	r := store.ZRange{Rev: dir == zReverse, Offset: offset, Limit: limit}
	lo, hi := c.Args[first+1], c.Args[first+2]
	if r.Rev && kind != zRank {
		lo, hi = hi, lo // given as max, min
	}
	switch kind {
	case zRank:
		r.Kind = store.ZByRank
		var ok bool
		if r.Start, ok = c.Int64(first + 1); !ok {
			return
		}
		if r.Stop, ok = c.Int64(first + 2); !ok {
			return
		}
	case zScore:
		r.Kind = store.ZByScore
		var ok bool
		if r.Score, ok = parseScoreRange(lo, hi); !ok {
			c.Err(errMinMaxFloat)
			return
		}
	case zLex:
		r.Kind = store.ZByLex
		var ok bool
		if r.Lex, ok = parseLexRange(lo, hi); !ok {
			c.Err(errMinMaxLex)
			return
		}
	}
	es, err := c.Tx.ZRange(c.DB, c.Args[first], r)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !storeDst {
		replyZEntries(c, es, withScores)
		return
	}
	dst := c.Args[1]
	had, err := c.Tx.ZStore(c.DB, dst, es)
	if err != nil {
		c.StoreErr(err)
		return
	}
	replyStored(c, dst, len(es), had, "zrangestore")
}

// --- removals by range, pops ---

// ZREMRANGEBYRANK key start stop
func cmdZRemRangeByRank(c *Ctx) {
	start, ok := c.Int64(2)
	if !ok {
		return
	}
	stop, ok := c.Int64(3)
	if !ok {
		return
	}
	zremRange(c, store.ZRange{Kind: store.ZByRank, Start: start, Stop: stop}, "zremrangebyrank")
}

// ZREMRANGEBYSCORE key min max
func cmdZRemRangeByScore(c *Ctx) {
	sr, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errMinMaxFloat)
		return
	}
	zremRange(c, store.ZRange{Kind: store.ZByScore, Score: sr, Limit: -1}, "zremrangebyscore")
}

// ZREMRANGEBYLEX key min max
func cmdZRemRangeByLex(c *Ctx) {
	lr, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errMinMaxLex)
		return
	}
	zremRange(c, store.ZRange{Kind: store.ZByLex, Lex: lr, Limit: -1}, "zremrangebylex")
}

func zremRange(c *Ctx, r store.ZRange, event string) {
	key := c.Args[1]
	n, deleted, err := c.Tx.ZRemRange(c.DB, key, r)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		c.Tx.Notify(c.DB, event, key)
		if deleted {
			c.Tx.Notify(c.DB, "del", key)
		}
	}
	c.Int(n)
}

// ZPOPMIN key [count], ZPOPMAX key [count]
func cmdZPopMin(c *Ctx) { zpop(c, false) }
func cmdZPopMax(c *Ctx) { zpop(c, true) }

func zpop(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.Err(errSyntax)
		return
	}
	count := int64(-1) // no count: one element, flat reply
	if len(c.Args) == 3 {
		n, ok := proto.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Err(errOutOfRange)
			return
		}
		count = n
	}
	key := c.Args[1]
	es, deleted, err := c.Tx.ZPop(c.DB, key, max1(count), max)
	if err != nil {
		c.StoreErr(err)
		return
	}
	notifyPop(c, key, len(es), deleted, max)
	if c.RESP3 && count != -1 {
		replyZEntries(c, es, true)
		return
	}
	c.Array(2 * len(es))
	for _, e := range es {
		c.Bulk(e.Member)
		c.Double(e.Score)
	}
}

// max1 maps ZPOP's "no count" (-1) to one element.
func max1(count int64) int64 {
	if count < 0 {
		return 1
	}
	return count
}

func notifyPop(c *Ctx, key []byte, n int, deleted, max bool) {
	if n == 0 {
		return
	}
	if max {
		c.Tx.Notify(c.DB, "zpopmax", key)
	} else {
		c.Tx.Notify(c.DB, "zpopmin", key)
	}
	if deleted {
		c.Tx.Notify(c.DB, "del", key)
	}
}

// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
func cmdZMPop(c *Ctx) {
	numkeys, ok := proto.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Err(errNumKeysZero)
		return
	}
	if numkeys >= int64(len(c.Args)-2) {
		c.Err(errSyntax)
		return
	}
	where := 2 + int(numkeys)
	var max bool
	switch {
	case c.is(where, "min"):
	case c.is(where, "max"):
		max = true
	default:
		c.Err(errSyntax)
		return
	}
	count := int64(-1)
	for j := where + 1; j < len(c.Args); j++ {
		if count == -1 && c.is(j, "count") && j+1 < len(c.Args) {
			j++
			n, ok := proto.ParseInt(c.Args[j])
			if !ok || n < 1 {
				c.Err(errCountZero)
				return
			}
			count = n
			continue
		}
		c.Err(errSyntax)
		return
	}
	for _, key := range c.Args[2:where] {
		es, deleted, err := c.Tx.ZPop(c.DB, key, max1(count), max)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if len(es) == 0 {
			continue
		}
		notifyPop(c, key, len(es), deleted, max)
		c.Array(2)
		c.Bulk(key)
		c.Array(len(es))
		for _, e := range es {
			c.Array(2)
			c.Bulk(e.Member)
			c.Double(e.Score)
		}
		return
	}
	c.NullArray()
}

// ZRANDMEMBER key [count [WITHSCORES]]
func cmdZRandMember(c *Ctx) {
	key := c.Args[1]
	if len(c.Args) == 2 {
		es, err := c.Tx.ZRandMember(c.DB, key, 1, false)
		switch {
		case err != nil:
			c.StoreErr(err)
		case len(es) == 0:
			c.Null()
		default:
			c.Bulk(es[0].Member)
		}
		return
	}
	n, ok := c.Int64(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Err(errRangeLong)
		return
	}
	withScores := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.is(3, "withscores")) {
		c.Err(errSyntax)
		return
	} else if len(c.Args) == 4 {
		withScores = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			c.Err(errValueRange)
			return
		}
	}
	repeat := n < 0
	if repeat {
		n = -n
		if n > store.MaxRandomCount {
			c.Err(errValueRange)
			return
		}
	}
	es, err := c.Tx.ZRandMember(c.DB, key, n, repeat)
	if err != nil {
		c.StoreErr(err)
		return
	}
	replyZEntries(c, es, withScores)
}

// --- ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD ---

// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func cmdZUnion(c *Ctx) { zsetAlgebra(c, nil, 1, store.SetUnion, false) }

// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func cmdZInter(c *Ctx) { zsetAlgebra(c, nil, 1, store.SetInter, false) }

// ZDIFF numkeys key [key ...] [WITHSCORES]
func cmdZDiff(c *Ctx) { zsetAlgebra(c, nil, 1, store.SetDiff, false) }

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdZInterCard(c *Ctx) { zsetAlgebra(c, nil, 1, store.SetInter, true) }

// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
func cmdZUnionStore(c *Ctx) { zsetAlgebra(c, c.Args[1], 2, store.SetUnion, false) }

// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
func cmdZInterStore(c *Ctx) { zsetAlgebra(c, c.Args[1], 2, store.SetInter, false) }

// ZDIFFSTORE destination numkeys key [key ...]
func cmdZDiffStore(c *Ctx) { zsetAlgebra(c, c.Args[1], 2, store.SetDiff, false) }

// zsetAlgebra runs the ZUNION family in Redis's order of checks: numkeys,
// the input keys' types, then the options.
func zsetAlgebra(c *Ctx, dst []byte, numIdx int, op store.SetOp, cardOnly bool) {
	setnum, ok := c.Int64(numIdx)
	if !ok {
		return
	}
	if setnum < 1 {
		c.Err(errNeedInputKey(c.Spec.Name))
		return
	}
	if setnum > int64(len(c.Args)-numIdx-1) {
		c.Err(errSyntax)
		return
	}
	j := numIdx + 1 + int(setnum)
	keys := c.Args[numIdx+1 : j]
	for _, k := range keys {
		t, err := c.Tx.TypeOf(c.DB, k)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if t != store.TypeNone && t != store.TypeSet && t != store.TypeZSet {
			c.Err(errWrongType)
			return
		}
	}
	var weights []float64
	agg := store.AggSum
	withScores := false
	var limit int64
	for j < len(c.Args) {
		rem := len(c.Args) - j
		switch {
		case op != store.SetDiff && !cardOnly && rem >= int(setnum)+1 && c.is(j, "weights"):
			j++
			weights = make([]float64, setnum)
			for i := range weights {
				f, ok := proto.ParseFloat(c.Args[j])
				if !ok {
					c.Err(errWeightFloat)
					return
				}
				weights[i] = f
				j++
			}
		case op != store.SetDiff && !cardOnly && rem >= 2 && c.is(j, "aggregate"):
			switch {
			case c.is(j+1, "sum"):
				agg = store.AggSum
			case c.is(j+1, "min"):
				agg = store.AggMin
			case c.is(j+1, "max"):
				agg = store.AggMax
			default:
				c.Err(errSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && c.is(j, "withscores"):
			withScores = true
			j++
		case cardOnly && rem >= 2 && c.is(j, "limit"):
			n, ok := proto.ParseInt(c.Args[j+1])
			if !ok || n < 0 {
				c.Err(errLimitNegative)
				return
			}
			limit = n
			j += 2
		default:
			c.Err(errSyntax)
			return
		}
	}
	if cardOnly {
		n, err := c.Tx.ZInterCard(c.DB, keys, limit)
		if err != nil {
			c.StoreErr(err)
			return
		}
		c.Int(n)
		return
	}
	es, err := c.Tx.ZSetAlgebra(c.DB, op, keys, weights, agg)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if dst == nil {
		replyZEntries(c, es, withScores)
		return
	}
	had, err := c.Tx.ZStore(c.DB, dst, es)
	if err != nil {
		c.StoreErr(err)
		return
	}
	event := "zunionstore"
	switch op {
	case store.SetInter:
		event = "zinterstore"
	case store.SetDiff:
		event = "zdiffstore"
	}
	replyStored(c, dst, len(es), had, event)
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func cmdZScan(c *Ctx) {
	a, after, ok := collectionScan(c, store.TypeZSet)
	if !ok {
		return
	}
	es, next, err := c.Tx.ZScan(c.DB, c.Args[1], after, a.count, scanMatcher(a.match))
	if err != nil {
		c.StoreErr(err)
		return
	}
	var cur uint64
	if next != nil {
		cur = saveCursor(next, 0)
	}
	c.Array(2)
	var buf [32]byte
	c.Bulk(appendUint(buf[:0], cur))
	c.Array(2 * len(es))
	for _, e := range es {
		c.Bulk(e.Member)
		c.Bulk(proto.AppendFloat(buf[:0], e.Score))
	}
}
