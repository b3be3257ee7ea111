package command

import (
	"math"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Set commands (t_set.c).

func init() {
	const g = "set"
	register(
		&Spec{Name: "sadd", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSAdd, Group: g, Summary: "Adds one or more members to a set. Creates the key if it doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "srem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSRem, Group: g, Summary: "Removes one or more members from a set. Deletes the set if the last member was removed.", Since: "1.0.0"},
		&Spec{Name: "smove", Arity: 4, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Handler: cmdSMove, Group: g, Summary: "Moves a member from one set to another.", Since: "1.0.0"},
		&Spec{Name: "sismember", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSIsMember, Group: g, Summary: "Determines whether a member belongs to a set.", Since: "1.0.0"},
		&Spec{Name: "smismember", Arity: -3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSMIsMember, Group: g, Summary: "Determines whether multiple members belong to a set.", Since: "6.2.0"},
		&Spec{Name: "scard", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSCard, Group: g, Summary: "Returns the number of members in a set.", Since: "1.0.0"},
		&Spec{Name: "smembers", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdSMembers, Group: g, Summary: "Returns all members of a set.", Since: "1.0.0"},
		&Spec{Name: "spop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSPop, Group: g, Summary: "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", Since: "1.0.0"},
		&Spec{Name: "srandmember", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdSRandMember, Group: g, Summary: "Get one or multiple random members from a set", Since: "1.0.0"},
		&Spec{Name: "sinter", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Handler: cmdSInter, Group: g, Summary: "Returns the intersect of multiple sets.", Since: "1.0.0"},
		&Spec{Name: "sintercard", Arity: -3, Flags: FlagReadOnly, KeysFn: numKeysAt(1), Handler: cmdSInterCard, Group: g, Summary: "Returns the number of members of the intersect of multiple sets.", Since: "7.0.0"},
		&Spec{Name: "sinterstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Handler: cmdSInterStore, Group: g, Summary: "Stores the intersect of multiple sets in a key.", Since: "1.0.0"},
		&Spec{Name: "sunion", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Handler: cmdSUnion, Group: g, Summary: "Returns the union of multiple sets.", Since: "1.0.0"},
		&Spec{Name: "sunionstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Handler: cmdSUnionStore, Group: g, Summary: "Stores the union of multiple sets in a key.", Since: "1.0.0"},
		&Spec{Name: "sdiff", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Handler: cmdSDiff, Group: g, Summary: "Returns the difference of multiple sets.", Since: "1.0.0"},
		&Spec{Name: "sdiffstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Handler: cmdSDiffStore, Group: g, Summary: "Stores the difference of multiple sets in a key.", Since: "1.0.0"},
		&Spec{Name: "sscan", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdSScan, Group: g, Summary: "Iterates over members of a set.", Since: "2.8.0"},
	)
}

// numKeysAt returns the KeysFn of a command whose keys follow a numkeys
// argument at position idx, after the fixed key positions fixed. A bad
// numkeys yields only the fixed keys: the handler replies the error.
func numKeysAt(idx int, fixed ...int) func(args [][]byte, dst []int) []int {
	return func(args [][]byte, dst []int) []int {
		for _, p := range fixed {
			if p < len(args) {
				dst = append(dst, p)
			}
		}
		if idx >= len(args) {
			return dst
		}
		n, ok := proto.ParseInt(args[idx])
		if !ok || n < 1 {
			return dst
		}
		for p := idx + 1; n > 0 && p < len(args); p, n = p+1, n-1 {
			dst = append(dst, p)
		}
		return dst
	}
}

// replyMembers replies members as a set (RESP3) or an array.
func replyMembers(c *Ctx, members [][]byte) {
	c.Set(len(members))
	for _, m := range members {
		c.Bulk(m)
	}
}

// SADD key member [member ...]
func cmdSAdd(c *Ctx) {
	n, err := c.Tx.SAdd(c.DB, c.Args[1], c.Args[2:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		c.Tx.Notify(c.DB, "sadd", c.Args[1])
	}
	c.Int(n)
}

// SREM key member [member ...]
func cmdSRem(c *Ctx) {
	n, deleted, err := c.Tx.SRem(c.DB, c.Args[1], c.Args[2:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		c.Tx.Notify(c.DB, "srem", c.Args[1])
	}
	if deleted {
		c.Tx.Notify(c.DB, "del", c.Args[1])
	}
	c.Int(n)
}

// SMOVE source destination member
func cmdSMove(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	r, err := c.Tx.SMove(c.DB, src, dst, c.Args[3])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if r.Moved && string(src) != string(dst) {
		c.Tx.Notify(c.DB, "srem", src)
		if r.SrcDeleted {
			c.Tx.Notify(c.DB, "del", src)
		}
		if r.Added {
			c.Tx.Notify(c.DB, "sadd", dst)
		}
	}
	c.Int(boolInt(r.Moved))
}

// boolInt is b as the integer reply Redis gives (1 or 0).
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// SISMEMBER key member
func cmdSIsMember(c *Ctx) {
	ok, err := c.Tx.SIsMember(c.DB, c.Args[1], c.Args[2])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(boolInt(ok))
}

// SMISMEMBER key member [member ...]
func cmdSMIsMember(c *Ctx) {
	in, err := c.Tx.SMIsMember(c.DB, c.Args[1], c.Args[2:], make([]bool, 0, len(c.Args)-2))
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(len(in))
	for _, ok := range in {
		c.Int(boolInt(ok))
	}
}

// SCARD key
func cmdSCard(c *Ctx) {
	n, err := c.Tx.SCard(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(n)
}

// SMEMBERS key
func cmdSMembers(c *Ctx) {
	ms, err := c.Tx.SMembers(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	replyMembers(c, ms)
}

// SPOP key [count]
func cmdSPop(c *Ctx) {
	if len(c.Args) > 3 {
		c.Err(errSyntax)
		return
	}
	key := c.Args[1]
	count := int64(1)
	if len(c.Args) == 3 {
		n, ok := proto.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Err(errOutOfRange)
			return
		}
		count = n
	}
	ms, deleted, err := c.Tx.SPop(c.DB, key, count)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if len(ms) > 0 {
		c.Tx.Notify(c.DB, "spop", key)
		if deleted {
			c.Tx.Notify(c.DB, "del", key)
		}
	}
	if len(c.Args) == 3 {
		replyMembers(c, ms)
		return
	}
	if len(ms) == 0 {
		c.Null()
		return
	}
	c.Bulk(ms[0])
}

// SRANDMEMBER key [count]
func cmdSRandMember(c *Ctx) {
	if len(c.Args) > 3 {
		c.Err(errSyntax)
		return
	}
	if len(c.Args) == 2 {
		ms, err := c.Tx.SRandMember(c.DB, c.Args[1], 1, false)
		switch {
		case err != nil:
			c.StoreErr(err)
		case len(ms) == 0:
			c.Null()
		default:
			c.Bulk(ms[0])
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
	repeat := n < 0
	if repeat {
		n = -n
		if n > store.MaxRandomCount {
			c.Err(errValueRange)
			return
		}
	}
	ms, err := c.Tx.SRandMember(c.DB, c.Args[1], n, repeat)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(len(ms))
	for _, m := range ms {
		c.Bulk(m)
	}
}

// SINTER key [key ...], SUNION key [key ...], SDIFF key [key ...]
func cmdSInter(c *Ctx) { setAlgebra(c, store.SetInter) }
func cmdSUnion(c *Ctx) { setAlgebra(c, store.SetUnion) }
func cmdSDiff(c *Ctx)  { setAlgebra(c, store.SetDiff) }

func setAlgebra(c *Ctx, op store.SetOp) {
	ms, err := c.Tx.SetAlgebra(c.DB, op, c.Args[1:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	replyMembers(c, ms)
}

// SINTERSTORE destination key [key ...], and SUNIONSTORE, SDIFFSTORE.
func cmdSInterStore(c *Ctx) { setAlgebraStore(c, store.SetInter, "sinterstore") }
func cmdSUnionStore(c *Ctx) { setAlgebraStore(c, store.SetUnion, "sunionstore") }
func cmdSDiffStore(c *Ctx)  { setAlgebraStore(c, store.SetDiff, "sdiffstore") }

func setAlgebraStore(c *Ctx, op store.SetOp, event string) {
	dst := c.Args[1]
	ms, err := c.Tx.SetAlgebra(c.DB, op, c.Args[2:])
	if err != nil {
		c.StoreErr(err)
		return
	}
	had, err := c.Tx.SStore(c.DB, dst, ms)
	if err != nil {
		c.StoreErr(err)
		return
	}
	switch {
	case len(ms) > 0:
		c.Tx.Notify(c.DB, event, dst)
	case had:
		c.Tx.Notify(c.DB, "del", dst)
	}
	c.Int(int64(len(ms)))
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdSInterCard(c *Ctx) {
	numkeys, ok := proto.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Err(errNumKeysZero)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Err(errNumKeysArgs)
		return
	}
	var limit int64
	end := 2 + int(numkeys)
	for j := end; j < len(c.Args); j++ {
		if c.is(j, "limit") && j+1 < len(c.Args) {
			j++
			n, ok := proto.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.Err(errLimitNegative)
				return
			}
			limit = n
			continue
		}
		c.Err(errSyntax)
		return
	}
	n, err := c.Tx.SInterCard(c.DB, c.Args[2:end], limit)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(n)
}

// collectionScan parses a SSCAN/ZSCAN in Redis's order: the cursor, then
// the key (absent: an empty scan, whatever the options), then its type,
// then the options. It returns the parsed options and the position the
// cursor stands for (nil: the start), or ok false after replying.
func collectionScan(c *Ctx, t store.Type) (a scanArgs, after []byte, ok bool) {
	if _, ok := parseCursor(c.Args[2]); !ok {
		c.Err(errInvalidCursor)
		return a, nil, false
	}
	m, found, err := c.Tx.LookupType(c.DB, c.Args[1], t)
	switch {
	case err != nil:
		c.StoreErr(err)
		return a, nil, false
	case !found || m.Count == 0:
		replyScan(c, 0, nil)
		return a, nil, false
	}
	if a, ok = parseScanArgs(c, 2, false); !ok {
		return a, nil, false
	}
	if a.cursor != 0 {
		// An unknown cursor (evicted, or from before a restart) restarts
		// the walk: elements may come twice, none present throughout is
		// missed.
		after, _, _ = loadCursor(a.cursor)
	}
	return a, after, true
}

func scanMatcher(pat []byte) func([]byte) bool {
	if pat == nil {
		return nil
	}
	return func(b []byte) bool { return store.Match(pat, b, false) }
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
func cmdSScan(c *Ctx) {
	a, after, ok := collectionScan(c, store.TypeSet)
	if !ok {
		return
	}
	ms, next, err := c.Tx.SScan(c.DB, c.Args[1], after, a.count, scanMatcher(a.match))
	if err != nil {
		c.StoreErr(err)
		return
	}
	var cur uint64
	if next != nil {
		cur = saveCursor(next, 0)
	}
	replyScan(c, cur, ms)
}
