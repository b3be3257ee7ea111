package command

import (
	"math"
	"strconv"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// String commands (t_string.c).

func init() {
	register(
		&Spec{Name: "get", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdGet, Group: "string", Summary: "Returns the string value of a key.", Since: "1.0.0"},
		&Spec{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdSet, Group: "string", Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "incr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdIncr, Group: "string", Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "decr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdDecr, Group: "string", Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "incrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdIncrBy, Group: "string", Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "decrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdDecrBy, Group: "string", Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "mget", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdMget, Group: "string", Summary: "Atomically returns the string values of one or more keys.", Since: "1.0.0"},
		&Spec{Name: "mset", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Handler: cmdMset, Group: "string", Summary: "Atomically creates or modifies the string values of one or more keys.", Since: "1.0.1"},
	)
}

func cmdGet(c *Ctx) {
	v, ok, err := c.Tx.GetString(c.DB, c.Args[1])
	switch {
	case err != nil:
		c.StoreErr(err)
	case !ok:
		c.Null()
	default:
		c.Bulk(v)
	}
}

const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
)

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
//
//	EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
func cmdSet(c *Ctx) {
	flags, expire, ok := parseSetOptions(c, 3, true)
	if !ok {
		return
	}
	setGeneric(c, c.Args[1], c.Args[2], flags, expire)
}

// parseSetOptions parses SET's options from argument i on. It returns the
// flags and the absolute expiry in unix ms (0: none).
func parseSetOptions(c *Ctx, i int, allowGet bool) (int, int64, bool) {
	flags := 0
	var expArg []byte
	for ; i < len(c.Args); i++ {
		a := c.Args[i]
		next := i+1 < len(c.Args)
		switch {
		case eqFold(a, "nx") && flags&(setXX) == 0:
			flags |= setNX
		case eqFold(a, "xx") && flags&(setNX) == 0:
			flags |= setXX
		case eqFold(a, "get") && allowGet:
			flags |= setGet
		case eqFold(a, "keepttl") && flags&(setEX|setPX|setEXAT|setPXAT) == 0:
			flags |= setKeepTTL
		case eqFold(a, "ex") && flags&(setKeepTTL|setPX|setEXAT|setPXAT) == 0 && next:
			flags |= setEX
			i++
			expArg = c.Args[i]
		case eqFold(a, "px") && flags&(setKeepTTL|setEX|setEXAT|setPXAT) == 0 && next:
			flags |= setPX
			i++
			expArg = c.Args[i]
		case eqFold(a, "exat") && flags&(setKeepTTL|setEX|setPX|setPXAT) == 0 && next:
			flags |= setEXAT
			i++
			expArg = c.Args[i]
		case eqFold(a, "pxat") && flags&(setKeepTTL|setEX|setPX|setEXAT) == 0 && next:
			flags |= setPXAT
			i++
			expArg = c.Args[i]
		default:
			c.Err(errSyntax)
			return 0, 0, false
		}
	}
	if expArg == nil {
		return flags, 0, true
	}
	ms, ok := proto.ParseInt(expArg)
	if !ok {
		c.Err(errNotInt)
		return 0, 0, false
	}
	seconds := flags&(setEX|setEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.Err(errInvalidExpire(c.Spec.Name))
		return 0, 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(setEX|setPX) != 0 {
		if ms > math.MaxInt64-c.Tx.Now() {
			c.Err(errInvalidExpire(c.Spec.Name))
			return 0, 0, false
		}
		ms += c.Tx.Now()
	}
	return flags, ms, true
}

func setGeneric(c *Ctx, key, val []byte, flags int, expire int64) {
	m, found, err := c.Tx.Lookup(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if flags&setGet != 0 {
		if found && m.Type != store.TypeString {
			c.Err(errWrongType)
			return
		}
	}
	if (flags&setNX != 0 && found) || (flags&setXX != 0 && !found) {
		if flags&setGet != 0 {
			if found {
				c.Bulk(m.Body)
			} else {
				c.Null()
			}
		} else {
			c.Null()
		}
		return
	}
	if flags&setGet != 0 {
		if found {
			c.Bulk(m.Body) // reply before the write reuses the buffers
		} else {
			c.Null()
		}
	}
	if flags&setKeepTTL != 0 && found {
		expire = m.Expire
	}
	var old *store.Meta
	if found {
		old = &m
	}
	c.Tx.SetString(c.DB, key, val, expire, old)
	c.Tx.Notify(c.DB, "set", key)
	if flags&setGet == 0 {
		c.OK()
	}
}

func cmdIncr(c *Ctx) { incrDecr(c, 1) }
func cmdDecr(c *Ctx) { incrDecr(c, -1) }

func cmdIncrBy(c *Ctx) {
	n, ok := c.Int64(2)
	if ok {
		incrDecr(c, n)
	}
}

func cmdDecrBy(c *Ctx) {
	n, ok := c.Int64(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Err("ERR decrement would overflow")
		return
	}
	incrDecr(c, -n)
}

func incrDecr(c *Ctx, by int64) {
	key := c.Args[1]
	m, found, err := c.Tx.LookupType(c.DB, key, store.TypeString)
	if err != nil {
		c.StoreErr(err)
		return
	}
	var cur int64
	if found {
		v, ok := proto.ParseInt(m.Body)
		if !ok {
			c.Err(errNotInt)
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
	val := strconv.AppendInt(buf[:0], cur, 10)
	var old *store.Meta
	var exp int64
	if found {
		old, exp = &m, m.Expire
	}
	c.Tx.SetString(c.DB, key, val, exp, old)
	c.Tx.Notify(c.DB, "incrby", key)
	c.Int(cur)
}

func cmdMget(c *Ctx) {
	c.Array(len(c.Args) - 1)
	for _, k := range c.Args[1:] {
		v, ok, err := c.Tx.GetString(c.DB, k)
		if err != nil || !ok {
			c.Null() // MGET answers nil for keys of other types
			continue
		}
		c.Bulk(v)
	}
}

func cmdMset(c *Ctx) {
	if len(c.Args)%2 != 1 {
		c.ArgErr()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		m, found, err := c.Tx.Lookup(c.DB, c.Args[i])
		if err != nil {
			c.StoreErr(err)
			return
		}
		var old *store.Meta
		if found {
			old = &m
		}
		c.Tx.SetString(c.DB, c.Args[i], c.Args[i+1], 0, old)
		c.Tx.Notify(c.DB, "set", c.Args[i])
	}
	c.OK()
}
