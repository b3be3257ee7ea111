package command

import (
	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Blocking list commands (t_list.c, blocked.c): BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH, BLMPOP. When every key is empty they block (Ctx.Block) and
// their Serve function pops from the key that received data.

func init() {
	register(
		&Spec{Name: "blpop", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: -2, Handler: cmdBLPop, Serve: serveBPop(true), Group: "list", Summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Since: "2.0.0"},
		&Spec{Name: "brpop", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: -2, Handler: cmdBRPop, Serve: serveBPop(false), Group: "list", Summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Since: "2.0.0"},
		&Spec{Name: "blmove", Arity: 6, Flags: FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: 2, Handler: cmdBLMove, Serve: serveBLMove, Group: "list", Summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", Since: "6.2.0"},
		&Spec{Name: "brpoplpush", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: 2, Handler: cmdBRPopLPush, Serve: serveBLMove, Group: "list", Summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", Since: "2.2.0"},
		&Spec{Name: "blmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, KeysFn: numKeysAt2, Handler: cmdBLMPop, Serve: serveBLMPop, Group: "list", Summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Since: "7.0.0"},
	)
}

// numKeysAt2 gives the key positions of "CMD timeout numkeys key ...".
func numKeysAt2(args [][]byte, dst []int) []int {
	n, ok := proto.ParseInt(args[2])
	if !ok || n <= 0 || n > int64(len(args)-3) {
		return dst
	}
	for i := 3; i < 3+int(n); i++ {
		dst = append(dst, i)
	}
	return dst
}

func replyNullArray(c *Ctx) { c.NullArray() }

func cmdBLPop(c *Ctx) { bpop(c, true) }
func cmdBRPop(c *Ctx) { bpop(c, false) }

// BLPOP key [key ...] timeout
func bpop(c *Ctx, left bool) {
	timeout, ok := parseTimeout(c, len(c.Args)-1)
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	for _, k := range keys {
		l, err := c.Tx.OpenList(c.DB, k)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if l.Exists() {
			popOneTo(c, &l, k, left)
			return
		}
	}
	if !c.CanBlock() {
		c.NullArray()
		return
	}
	c.Block(keys, timeout, replyNullArray)
}

// popOneTo pops one element of l (key) and replies [key, element].
func popOneTo(c *Ctx, l *store.List, key []byte, left bool) bool {
	vals, err := l.Pop(left, 1)
	if err != nil {
		c.StoreErr(err)
		return true
	}
	c.Array(2)
	c.Bulk(key)
	c.Bulk(vals[0])
	saveList(c, l, key, popEvent(left))
	return true
}

func serveBPop(left bool) func(c *Ctx, key []byte) bool {
	return func(c *Ctx, key []byte) bool {
		l, err := c.Tx.OpenList(c.DB, key)
		if err != nil || !l.Exists() {
			return false
		}
		return popOneTo(c, &l, key, left)
	}
}

// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
func cmdBLMove(c *Ctx) {
	if _, ok := parseWhere(c, 3); !ok {
		return
	}
	if _, ok := parseWhere(c, 4); !ok {
		return
	}
	bmove(c, 5)
}

// BRPOPLPUSH source destination timeout
func cmdBRPopLPush(c *Ctx) { bmove(c, 3) }

func moveSides(c *Ctx) (fromLeft, toLeft bool) {
	if len(c.Args) == 6 {
		return c.is(3, "left"), c.is(4, "left")
	}
	return false, true
}

func bmove(c *Ctx, timeoutArg int) {
	timeout, ok := parseTimeout(c, timeoutArg)
	if !ok {
		return
	}
	src, err := c.Tx.OpenList(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if src.Exists() {
		fromLeft, toLeft := moveSides(c)
		lmove(c, fromLeft, toLeft)
		return
	}
	if !c.CanBlock() {
		c.Null()
		return
	}
	c.Block(c.Args[1:2], timeout, replyNullArray)
}

func serveBLMove(c *Ctx, key []byte) bool {
	if !c.HoldsKey(c.Args[2]) {
		c.ServeElsewhere()
		return false
	}
	src, err := c.Tx.OpenList(c.DB, c.Args[1])
	if err != nil || !src.Exists() {
		return false
	}
	if _, err := c.Tx.OpenList(c.DB, c.Args[2]); err != nil {
		// The destination is not a list: Redis replies the error to the
		// blocked client.
		c.StoreErr(err)
		return true
	}
	fromLeft, toLeft := moveSides(c)
	lmove(c, fromLeft, toLeft)
	return true
}

// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
func cmdBLMPop(c *Ctx) {
	timeout, ok := parseTimeout(c, 1)
	if !ok {
		return
	}
	keys, left, count, ok := parseMPopArgs(c, 2)
	if !ok {
		return
	}
	for _, k := range keys {
		l, err := c.Tx.OpenList(c.DB, k)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if l.Exists() {
			mpopFrom(c, &l, k, left, count)
			return
		}
	}
	if !c.CanBlock() {
		c.NullArray()
		return
	}
	c.Block(keys, timeout, replyNullArray)
}

// parseMPopArgs parses "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"
// starting at argument i (numkeys).
func parseMPopArgs(c *Ctx, i int) (keys [][]byte, left bool, count int64, ok bool) {
	n, valid := proto.ParseInt(c.Args[i])
	if !valid || n <= 0 {
		c.Err(errNumKeysZero)
		return nil, false, 0, false
	}
	if n > int64(len(c.Args)-i-2) {
		c.Err(errSyntax)
		return nil, false, 0, false
	}
	keys = c.Args[i+1 : i+1+int(n)]
	left, valid = parseWhere(c, i+1+int(n))
	if !valid {
		return nil, false, 0, false
	}
	count, hasCount := int64(1), false
	for j := i + 2 + int(n); j < len(c.Args); j++ {
		if !c.is(j, "count") || hasCount || j+1 >= len(c.Args) {
			c.Err(errSyntax)
			return nil, false, 0, false
		}
		j++
		v, valid := proto.ParseInt(c.Args[j])
		if !valid || v <= 0 {
			c.Err(errCountGreaterZero)
			return nil, false, 0, false
		}
		count, hasCount = v, true
	}
	return keys, left, count, true
}

func mpopFrom(c *Ctx, l *store.List, key []byte, left bool, count int64) {
	vals, err := l.Pop(left, count)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(2)
	c.Bulk(key)
	c.Array(len(vals))
	for _, v := range vals {
		c.Bulk(v)
	}
	saveList(c, l, key, popEvent(left))
}

func serveBLMPop(c *Ctx, key []byte) bool {
	_, left, count, ok := parseMPopArgs(c, 2)
	if !ok {
		return true
	}
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil || !l.Exists() {
		return false
	}
	mpopFrom(c, &l, key, left, count)
	return true
}
