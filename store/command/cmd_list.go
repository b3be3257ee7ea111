package command

import (
	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// List commands (t_list.c). The blocking variants (BLPOP ...) live with the
// blocking machinery.

func init() {
	register(
		&Spec{Name: "lpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdLPush, Group: "list", Summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "rpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdRPush, Group: "list", Summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "lpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdLPushX, Group: "list", Summary: "Prepends one or more elements to a list only when the list exists.", Since: "2.2.0"},
		&Spec{Name: "rpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdRPushX, Group: "list", Summary: "Appends an element to a list only when the list exists.", Since: "2.2.0"},
		&Spec{Name: "lpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdLPop, Group: "list", Summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", Since: "1.0.0"},
		&Spec{Name: "rpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdRPop, Group: "list", Summary: "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", Since: "1.0.0"},
		&Spec{Name: "lrange", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdLRange, Group: "list", Summary: "Returns a range of elements from a list.", Since: "1.0.0"},
		&Spec{Name: "llen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdLLen, Group: "list", Summary: "Returns the length of a list.", Since: "1.0.0"},
		&Spec{Name: "lindex", Arity: 3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdLIndex, Group: "list", Summary: "Returns an element from a list by its index.", Since: "1.0.0"},
		&Spec{Name: "lset", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdLSet, Group: "list", Summary: "Sets the value of an element in a list by its index.", Since: "1.0.0"},
		&Spec{Name: "ltrim", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Handler: cmdLTrim, Group: "list", Summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", Since: "1.0.0"},
		&Spec{Name: "linsert", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdLInsert, Group: "list", Summary: "Inserts an element before or after another element in a list.", Since: "2.2.0"},
		&Spec{Name: "lrem", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Handler: cmdLRem, Group: "list", Summary: "Removes elements from a list. Deletes the list if the last element was removed.", Since: "1.0.0"},
		&Spec{Name: "lpos", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdLPos, Group: "list", Summary: "Returns the index of matching elements in a list.", Since: "6.0.6"},
		&Spec{Name: "lmove", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Handler: cmdLMove, Group: "list", Summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", Since: "6.2.0"},
		&Spec{Name: "rpoplpush", Arity: 3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Handler: cmdRPopLPush, Group: "list", Summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", Since: "1.2.0"},
		&Spec{Name: "lmpop", Arity: -4, Flags: FlagWrite, KeysFn: numKeysAt1, Handler: cmdLMPop, Group: "list", Summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", Since: "7.0.0"},
	)
}

// numKeysAt1 gives the key positions of "CMD numkeys key [key ...] ...":
// none when numkeys is not a positive integer or exceeds the arguments (the
// handler then replies the error).
func numKeysAt1(args [][]byte, dst []int) []int {
	n, ok := proto.ParseInt(args[1])
	if !ok || n <= 0 || n > int64(len(args)-2) {
		return dst
	}
	for i := 2; i < 2+int(n); i++ {
		dst = append(dst, i)
	}
	return dst
}

// saveList saves l and queues the command's keyspace event, plus "del" when
// the list was emptied.
func saveList(c *Ctx, l *store.List, key []byte, event string) {
	deleted := l.Save()
	c.Tx.Notify(c.DB, event, key)
	if deleted {
		c.Tx.Notify(c.DB, "del", key)
	}
}

func pushEvent(left bool) string {
	if left {
		return "lpush"
	}
	return "rpush"
}

func popEvent(left bool) string {
	if left {
		return "lpop"
	}
	return "rpop"
}

// parseWhere parses LEFT or RIGHT.
func parseWhere(c *Ctx, i int) (left, ok bool) {
	switch {
	case c.is(i, "left"):
		return true, true
	case c.is(i, "right"):
		return false, true
	}
	c.Err(errSyntax)
	return false, false
}

// LPUSH key element [element ...]
func cmdLPush(c *Ctx) { pushGeneric(c, true, false) }

// RPUSH key element [element ...]
func cmdRPush(c *Ctx) { pushGeneric(c, false, false) }

// LPUSHX key element [element ...]
func cmdLPushX(c *Ctx) { pushGeneric(c, true, true) }

// RPUSHX key element [element ...]
func cmdRPushX(c *Ctx) { pushGeneric(c, false, true) }

func pushGeneric(c *Ctx, left, onlyExisting bool) {
	key := c.Args[1]
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if onlyExisting && !l.Exists() {
		c.Int(0)
		return
	}
	if err := l.Push(left, c.Args[2:]...); err != nil {
		c.StoreErr(err)
		return
	}
	saveList(c, &l, key, pushEvent(left))
	c.Tx.SignalReady(c.DB, key)
	c.Int(l.Len())
}

// LPOP key [count]
func cmdLPop(c *Ctx) { popGeneric(c, true) }

// RPOP key [count]
func cmdRPop(c *Ctx) { popGeneric(c, false) }

func popGeneric(c *Ctx, left bool) {
	key := c.Args[1]
	hasCount := len(c.Args) == 3
	if len(c.Args) > 3 {
		c.ArgErr()
		return
	}
	count := int64(1)
	if hasCount {
		n, ok := proto.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Err(errOutOfRange)
			return
		}
		count = n
	}
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !l.Exists() {
		if hasCount {
			c.NullArray()
		} else {
			c.Null()
		}
		return
	}
	vals, err := l.Pop(left, count)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if hasCount {
		c.Array(len(vals))
		for _, v := range vals {
			c.Bulk(v)
		}
	} else {
		c.Bulk(vals[0])
	}
	if len(vals) > 0 {
		saveList(c, &l, key, popEvent(left))
	}
}

// LRANGE key start stop
func cmdLRange(c *Ctx) {
	start, ok := c.Int64(2)
	if !ok {
		return
	}
	stop, ok := c.Int64(3)
	if !ok {
		return
	}
	l, err := c.Tx.OpenList(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	mark := len(c.Out)
	c.Array(l.RangeLen(start, stop))
	if err := l.Range(start, stop, func(v []byte) { c.Bulk(v) }); err != nil {
		c.Out = c.Out[:mark]
		c.StoreErr(err)
	}
}

// LLEN key
func cmdLLen(c *Ctx) {
	l, err := c.Tx.OpenList(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(l.Len())
}

// LINDEX key index
func cmdLIndex(c *Ctx) {
	l, err := c.Tx.OpenList(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !l.Exists() {
		c.Null()
		return
	}
	i, ok := c.Int64(2)
	if !ok {
		return
	}
	v, found, err := l.Index(i)
	switch {
	case err != nil:
		c.StoreErr(err)
	case !found:
		c.Null()
	default:
		c.Bulk(v)
	}
}

// LSET key index element
func cmdLSet(c *Ctx) {
	key := c.Args[1]
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !l.Exists() {
		c.Err(errNoSuchKey)
		return
	}
	i, ok := c.Int64(2)
	if !ok {
		return
	}
	if err := l.Set(i, c.Args[3]); err != nil {
		c.StoreErr(err)
		return
	}
	l.Save()
	c.Tx.Notify(c.DB, "lset", key)
	c.OK()
}

// LTRIM key start stop
func cmdLTrim(c *Ctx) {
	start, ok := c.Int64(2)
	if !ok {
		return
	}
	stop, ok := c.Int64(3)
	if !ok {
		return
	}
	key := c.Args[1]
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if l.Exists() {
		l.Trim(start, stop)
		saveList(c, &l, key, "ltrim")
	}
	c.OK()
}

// LINSERT key <BEFORE | AFTER> pivot element
func cmdLInsert(c *Ctx) {
	var after bool
	switch {
	case c.is(2, "after"):
		after = true
	case c.is(2, "before"):
	default:
		c.Err(errSyntax)
		return
	}
	key := c.Args[1]
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !l.Exists() {
		c.Int(0)
		return
	}
	n, err := l.Insert(c.Args[3], c.Args[4], after)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if n > 0 {
		saveList(c, &l, key, "linsert")
	}
	c.Int(n)
}

// LREM key count element
func cmdLRem(c *Ctx) {
	count, ok := c.Int64(2)
	if !ok {
		return
	}
	key := c.Args[1]
	l, err := c.Tx.OpenList(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	removed, err := l.Remove(count, c.Args[3])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if removed > 0 {
		saveList(c, &l, key, "lrem")
	}
	c.Int(removed)
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func cmdLPos(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case c.is(j, "rank") && more:
			j++
			r, ok := c.Int64(j)
			if !ok {
				return
			}
			if r == 0 {
				c.Err(errRankZero)
				return
			}
			rank = r
		case c.is(j, "count") && more:
			j++
			n, ok := proto.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.Err(errCountNegative)
				return
			}
			count = n
		case c.is(j, "maxlen") && more:
			j++
			n, ok := proto.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.Err(errMaxlenNegative)
				return
			}
			maxlen = n
		default:
			c.Err(errSyntax)
			return
		}
	}
	l, err := c.Tx.OpenList(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	want := count
	if count < 0 {
		want = 1
	}
	idx, err := l.Pos(c.Args[2], rank, want, maxlen)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if count < 0 {
		if len(idx) == 0 {
			c.Null()
		} else {
			c.Int(idx[0])
		}
		return
	}
	c.Array(len(idx))
	for _, i := range idx {
		c.Int(i)
	}
}

// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
func cmdLMove(c *Ctx) {
	from, ok := parseWhere(c, 3)
	if !ok {
		return
	}
	to, ok := parseWhere(c, 4)
	if !ok {
		return
	}
	lmove(c, from, to)
}

// RPOPLPUSH source destination
func cmdRPopLPush(c *Ctx) { lmove(c, false, true) }

func lmove(c *Ctx, fromLeft, toLeft bool) {
	srcKey, dstKey := c.Args[1], c.Args[2]
	src, err := c.Tx.OpenList(c.DB, srcKey)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !src.Exists() {
		c.Null()
		return
	}
	same := string(srcKey) == string(dstKey)
	dst := &src
	var other store.List
	if !same {
		other, err = c.Tx.OpenList(c.DB, dstKey)
		if err != nil {
			c.StoreErr(err)
			return
		}
		dst = &other
	}
	vals, err := src.Pop(fromLeft, 1)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if err := dst.Push(toLeft, vals[0]); err != nil {
		c.StoreErr(err)
		return
	}
	// Redis's order of events: the push, then the pop (and "del").
	if !same {
		dst.Save()
	}
	c.Tx.Notify(c.DB, pushEvent(toLeft), dstKey)
	saveList(c, &src, srcKey, popEvent(fromLeft))
	c.Tx.SignalReady(c.DB, dstKey)
	c.Bulk(vals[0])
}

// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
func cmdLMPop(c *Ctx) {
	n, ok := proto.ParseInt(c.Args[1])
	if !ok || n <= 0 {
		c.Err(errNumKeysZero)
		return
	}
	if n > int64(len(c.Args)-3) {
		c.Err(errSyntax)
		return
	}
	keys := c.Args[2 : 2+n]
	left, ok := parseWhere(c, 2+int(n))
	if !ok {
		return
	}
	count, hasCount := int64(1), false
	for j := 3 + int(n); j < len(c.Args); j++ {
		if !c.is(j, "count") || hasCount || j+1 >= len(c.Args) {
			c.Err(errSyntax)
			return
		}
		j++
		v, ok := proto.ParseInt(c.Args[j])
		if !ok || v <= 0 {
			c.Err(errCountGreaterZero)
			return
		}
		count, hasCount = v, true
	}
	for _, key := range keys {
		l, err := c.Tx.OpenList(c.DB, key)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if !l.Exists() {
			continue
		}
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
		saveList(c, &l, key, popEvent(left))
		return
	}
	c.NullArray()
}
