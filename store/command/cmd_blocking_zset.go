package command

import (
	"github.com/diskdb/diskdb/proto"
)

// Blocking sorted-set commands (t_zset.c): BZPOPMIN, BZPOPMAX, BZMPOP.

func init() {
	register(
		&Spec{Name: "bzpopmin", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking | FlagFast, FirstKey: 1, LastKey: -2, Handler: cmdBZPopMin, Serve: serveBZPop(false), Group: "sorted-set", Summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", Since: "5.0.0"},
		&Spec{Name: "bzpopmax", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking | FlagFast, FirstKey: 1, LastKey: -2, Handler: cmdBZPopMax, Serve: serveBZPop(true), Group: "sorted-set", Summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", Since: "5.0.0"},
		&Spec{Name: "bzmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, KeysFn: numKeysAt2, Handler: cmdBZMPop, Serve: serveBZMPop, Group: "sorted-set", Summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", Since: "7.0.0"},
	)
}

func cmdBZPopMin(c *Ctx) { bzpop(c, false) }
func cmdBZPopMax(c *Ctx) { bzpop(c, true) }

// BZPOPMIN key [key ...] timeout
func bzpop(c *Ctx, max bool) {
	timeout, ok := parseTimeout(c, len(c.Args)-1)
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	for _, k := range keys {
		served, err := bzpopFrom(c, k, max)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if served {
			return
		}
	}
	if !c.CanBlock() {
		c.NullArray()
		return
	}
	c.Block(keys, timeout, replyNullArray)
}

// bzpopFrom pops one member of key and replies [key, member, score].
func bzpopFrom(c *Ctx, key []byte, max bool) (bool, error) {
	es, deleted, err := c.Tx.ZPop(c.DB, key, 1, max)
	if err != nil || len(es) == 0 {
		return false, err
	}
	notifyPop(c, key, 1, deleted, max)
	c.Array(3)
	c.Bulk(key)
	c.Bulk(es[0].Member)
	c.Double(es[0].Score)
	return true, nil
}

func serveBZPop(max bool) func(c *Ctx, key []byte) bool {
	return func(c *Ctx, key []byte) bool {
		served, err := bzpopFrom(c, key, max)
		return err == nil && served
	}
}

// BZMPOP timeout numkeys key [key ...] <MIN | MAX> [COUNT count]
func cmdBZMPop(c *Ctx) {
	timeout, ok := parseTimeout(c, 1)
	if !ok {
		return
	}
	keys, max, count, ok := parseZMPopArgs(c, 2)
	if !ok {
		return
	}
	for _, k := range keys {
		served, err := zmpopFrom(c, k, max, count)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if served {
			return
		}
	}
	if !c.CanBlock() {
		c.NullArray()
		return
	}
	c.Block(keys, timeout, replyNullArray)
}

// parseZMPopArgs parses "numkeys key [key ...] <MIN | MAX> [COUNT count]"
// from argument i (numkeys).
func parseZMPopArgs(c *Ctx, i int) (keys [][]byte, max bool, count int64, ok bool) {
	numkeys, valid := proto.ParseInt(c.Args[i])
	if !valid || numkeys < 1 {
		c.Err(errNumKeysZero)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(c.Args)-i) {
		c.Err(errSyntax)
		return nil, false, 0, false
	}
	where := i + 1 + int(numkeys)
	switch {
	case c.is(where, "min"):
	case c.is(where, "max"):
		max = true
	default:
		c.Err(errSyntax)
		return nil, false, 0, false
	}
	count = 1
	seen := false
	for j := where + 1; j < len(c.Args); j++ {
		if !seen && c.is(j, "count") && j+1 < len(c.Args) {
			j++
			n, valid := proto.ParseInt(c.Args[j])
			if !valid || n < 1 {
				c.Err(errCountZero)
				return nil, false, 0, false
			}
			count, seen = n, true
			continue
		}
		c.Err(errSyntax)
		return nil, false, 0, false
	}
	return c.Args[i+1 : where], max, count, true
}

func zmpopFrom(c *Ctx, key []byte, max bool, count int64) (bool, error) {
	es, deleted, err := c.Tx.ZPop(c.DB, key, count, max)
	if err != nil || len(es) == 0 {
		return false, err
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
	return true, nil
}

func serveBZMPop(c *Ctx, key []byte) bool {
	_, max, count, ok := parseZMPopArgs(c, 2)
	if !ok {
		return true
	}
	served, err := zmpopFrom(c, key, max, count)
	return err == nil && served
}
