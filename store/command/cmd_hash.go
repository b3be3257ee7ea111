package command

import (
	"math"
	"strconv"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Hash commands (t_hash.c).

func init() {
	register(
		&Spec{Name: "hset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHSet, Group: "hash", Summary: "Creates or modifies the value of a field in a hash.", Since: "2.0.0"},
		&Spec{Name: "hsetnx", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHSetNX, Group: "hash", Summary: "Sets the value of a field in a hash only when the field doesn't exist.", Since: "2.0.0"},
		&Spec{Name: "hmset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHMSet, Group: "hash", Summary: "Sets the values of multiple fields.", Since: "2.0.0"},
		&Spec{Name: "hget", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHGet, Group: "hash", Summary: "Returns the value of a field in a hash.", Since: "2.0.0"},
		&Spec{Name: "hmget", Arity: -3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHMGet, Group: "hash", Summary: "Returns the values of all fields in a hash.", Since: "2.0.0"},
		&Spec{Name: "hdel", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHDel, Group: "hash", Summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", Since: "2.0.0"},
		&Spec{Name: "hexists", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHExists, Group: "hash", Summary: "Determines whether a field exists in a hash.", Since: "2.0.0"},
		&Spec{Name: "hlen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHLen, Group: "hash", Summary: "Returns the number of fields in a hash.", Since: "2.0.0"},
		&Spec{Name: "hstrlen", Arity: 3, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHStrLen, Group: "hash", Summary: "Returns the length of the value of a field.", Since: "3.2.0"},
		&Spec{Name: "hkeys", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdHKeys, Group: "hash", Summary: "Returns all fields in a hash.", Since: "2.0.0"},
		&Spec{Name: "hvals", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdHVals, Group: "hash", Summary: "Returns all values in a hash.", Since: "2.0.0"},
		&Spec{Name: "hgetall", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdHGetAll, Group: "hash", Summary: "Returns all fields and values in a hash.", Since: "2.0.0"},
		&Spec{Name: "hincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHIncrBy, Group: "hash", Summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", Since: "2.0.0"},
		&Spec{Name: "hincrbyfloat", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdHIncrByFloat, Group: "hash", Summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", Since: "2.6.0"},
		&Spec{Name: "hrandfield", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdHRandField, Group: "hash", Summary: "Returns one or more random fields from a hash.", Since: "6.2.0"},
		&Spec{Name: "hscan", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdHScan, Group: "hash", Summary: "Iterates over fields and values of a hash.", Since: "2.8.0"},
	)
}

// hashSmall is the size up to which HSCAN returns the whole hash in one
// call with cursor 0, as Redis does for its compact (listpack) hashes.
const hashSmall = 128

// hrandMaxRepeat caps the number of fields HRANDFIELD with a negative
// count returns, so one command cannot build an unbounded reply.
const hrandMaxRepeat = 1 << 24

// saveHash saves h and queues the command's keyspace event, plus "del" when
// the hash was emptied.
func saveHash(c *Ctx, h *store.Hash, key []byte, event string) {
	deleted := h.Save()
	c.Tx.Notify(c.DB, event, key)
	if deleted {
		c.Tx.Notify(c.DB, "del", key)
	}
}

// HSET key field value [field value ...]
func cmdHSet(c *Ctx) { hsetGeneric(c, false) }

// HMSET key field value [field value ...]
func cmdHMSet(c *Ctx) { hsetGeneric(c, true) }

func hsetGeneric(c *Ctx, okReply bool) {
	if len(c.Args)%2 == 1 {
		c.ArgErr()
		return
	}
	key := c.Args[1]
	h, err := c.Tx.OpenHash(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	var added int64
	for i := 2; i < len(c.Args); i += 2 {
		isNew, err := h.Set(c.Args[i], c.Args[i+1])
		if err != nil {
			c.StoreErr(err)
			return
		}
		if isNew {
			added++
		}
	}
	saveHash(c, &h, key, "hset")
	if okReply {
		c.OK()
	} else {
		c.Int(added)
	}
}

// HSETNX key field value
func cmdHSetNX(c *Ctx) {
	key := c.Args[1]
	h, err := c.Tx.OpenHash(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	_, found, err := h.Get(c.Args[2])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if found {
		c.Int(0)
		return
	}
	if _, err := h.Set(c.Args[2], c.Args[3]); err != nil {
		c.StoreErr(err)
		return
	}
	saveHash(c, &h, key, "hset")
	c.Int(1)
}

// HGET key field
func cmdHGet(c *Ctx) {
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	v, found, err := h.Get(c.Args[2])
	switch {
	case err != nil:
		c.StoreErr(err)
	case !found:
		c.Null()
	default:
		c.Bulk(v)
	}
}

// HMGET key field [field ...]
func cmdHMGet(c *Ctx) {
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	mark := len(c.Out)
	c.Array(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		v, found, err := h.Get(f)
		if err != nil {
			c.Out = c.Out[:mark]
			c.StoreErr(err)
			return
		}
		if found {
			c.Bulk(v)
		} else {
			c.Null()
		}
	}
}

// HDEL key field [field ...]
func cmdHDel(c *Ctx) {
	key := c.Args[1]
	h, err := c.Tx.OpenHash(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	var n int64
	for _, f := range c.Args[2:] {
		if !h.Exists() {
			break
		}
		ok, err := h.Del(f)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if ok {
			n++
		}
	}
	if n > 0 {
		saveHash(c, &h, key, "hdel")
	}
	c.Int(n)
}

// HEXISTS key field
func cmdHExists(c *Ctx) {
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	_, found, err := h.Get(c.Args[2])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(b2int(found))
}

func b2int(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// HLEN key
func cmdHLen(c *Ctx) {
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(h.Len())
}

// HSTRLEN key field
func cmdHStrLen(c *Ctx) {
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	v, _, err := h.Get(c.Args[2])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(int64(len(v)))
}

const (
	hashKeys = 1 << iota
	hashVals
)

// HKEYS key
func cmdHKeys(c *Ctx) { hgetallGeneric(c, hashKeys) }

// HVALS key
func cmdHVals(c *Ctx) { hgetallGeneric(c, hashVals) }

// HGETALL key
func cmdHGetAll(c *Ctx) { hgetallGeneric(c, hashKeys|hashVals) }

func hgetallGeneric(c *Ctx, what int) {
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	mark := len(c.Out)
	if what == hashKeys|hashVals {
		c.Map(int(h.Len()))
	} else {
		c.Array(int(h.Len()))
	}
	err = h.Each(func(f, v []byte) bool {
		if what&hashKeys != 0 {
			c.Bulk(f)
		}
		if what&hashVals != 0 {
			c.Bulk(v)
		}
		return true
	})
	if err != nil {
		c.Out = c.Out[:mark]
		c.StoreErr(err)
	}
}

// HINCRBY key field increment
func cmdHIncrBy(c *Ctx) {
	by, ok := c.Int64(3)
	if !ok {
		return
	}
	key, field := c.Args[1], c.Args[2]
	h, err := c.Tx.OpenHash(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	old, found, err := h.Get(field)
	if err != nil {
		c.StoreErr(err)
		return
	}
	var cur int64
	if found {
		v, ok := proto.ParseInt(old)
		if !ok {
			c.Err(errHashNotInt)
			return
		}
		cur = v
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.Err(errOverflow)
		return
	}
	cur += by
	var buf [20]byte
	if _, err := h.Set(field, strconv.AppendInt(buf[:0], cur, 10)); err != nil {
		c.StoreErr(err)
		return
	}
	saveHash(c, &h, key, "hincrby")
	c.Int(cur)
}

// HINCRBYFLOAT key field increment
func cmdHIncrByFloat(c *Ctx) {
	by, ok := parseLongDouble(c.Args[3])
	if !ok {
		c.Err(errNotFloat)
		return
	}
	if by.IsInf() {
		c.Err(errNaNOrInfinity)
		return
	}
	key, field := c.Args[1], c.Args[2]
	h, err := c.Tx.OpenHash(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	old, found, err := h.Get(field)
	if err != nil {
		c.StoreErr(err)
		return
	}
	cur := ldZero(false)
	if found {
		v, ok := parseLongDouble(old)
		if !ok {
			c.Err(errHashNotFloat)
			return
		}
		cur = v
	}
	sum, ok := ldAdd(cur, by)
	if !ok {
		c.Err(errNaNInf)
		return
	}
	var buf [64]byte
	val := appendLongDouble(buf[:0], sum)
	if _, err := h.Set(field, val); err != nil {
		c.StoreErr(err)
		return
	}
	saveHash(c, &h, key, "hincrbyfloat")
	c.Bulk(val)
}

// HRANDFIELD key [count [WITHVALUES]]
func cmdHRandField(c *Ctx) {
	if len(c.Args) == 2 {
		h, err := c.Tx.OpenHash(c.DB, c.Args[1])
		if err != nil {
			c.StoreErr(err)
			return
		}
		if !h.Exists() {
			c.Null()
			return
		}
		err = h.Random(1, true, func(f, _ []byte) { c.Bulk(f) })
		if err != nil {
			c.StoreErr(err)
		}
		return
	}
	n, ok := proto.ParseInt(c.Args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if n == math.MinInt64 {
		c.Err(errLongRange)
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.is(3, "withvalues")) {
		c.Err(errSyntax)
		return
	}
	if len(c.Args) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			c.Err(errValueOutOfRange)
			return
		}
	}
	if n < -hrandMaxRepeat {
		c.Err(errValueOutOfRange)
		return
	}
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !h.Exists() || n == 0 {
		c.Array(0)
		return
	}
	repeat := n < 0
	if repeat {
		n = -n
	}
	total := n
	if !repeat && total > h.Len() {
		total = h.Len()
	}
	mark := len(c.Out)
	if withValues && !c.RESP3 {
		c.Array(int(2 * total))
	} else {
		c.Array(int(total))
	}
	err = h.Random(n, repeat, func(f, v []byte) {
		if withValues && c.RESP3 {
			c.Array(2)
		}
		c.Bulk(f)
		if withValues {
			c.Bulk(v)
		}
	})
	if err != nil {
		c.Out = c.Out[:mark]
		c.StoreErr(err)
	}
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
func cmdHScan(c *Ctx) {
	if _, ok := parseCursor(c.Args[2]); !ok {
		c.Err("ERR invalid cursor")
		return
	}
	h, err := c.Tx.OpenHash(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !h.Exists() {
		replyScan(c, 0, nil)
		return
	}
	a, ok := parseScanArgs(c, 2, false)
	if !ok {
		return
	}
	var after []byte
	count := a.count
	if h.Len() <= hashSmall {
		count = hashSmall + 1
	} else if a.cursor != 0 {
		if pos, _, ok := loadCursor(a.cursor); ok {
			after = pos
		}
	}
	var elems [][]byte
	next, err := h.Scan(after, count, func(f, v []byte) {
		if a.match == nil || store.Match(a.match, f, false) {
			elems = append(elems, append([]byte(nil), f...), append([]byte(nil), v...))
		}
	})
	if err != nil {
		c.StoreErr(err)
		return
	}
	var cursor uint64
	if next != nil {
		cursor = saveCursor(next, 0)
	}
	replyScan(c, cursor, elems)
}
