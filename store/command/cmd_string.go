package command

import (
	"bytes"
	"errors"
	"math"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// String commands (t_string.c).

func init() {
	register(
		&Spec{Name: "get", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdGet, Group: "string", Summary: "Returns the string value of a key.", Since: "1.0.0"},
		&Spec{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdSet, Group: "string", Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "getset", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdGetSet, Group: "string", Summary: "Returns the previous string value of a key after setting it to a new value.", Since: "1.0.0"},
		&Spec{Name: "getdel", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdGetDel, Group: "string", Summary: "Returns the string value of a key after deleting the key.", Since: "6.2.0"},
		&Spec{Name: "getex", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdGetEx, Group: "string", Summary: "Returns the string value of a key after setting its expiration time.", Since: "6.2.0"},
		&Spec{Name: "setnx", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdSetNX, Group: "string", Summary: "Set the string value of a key only when the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "setex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdSetEX, Group: "string", Summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", Since: "2.0.0"},
		&Spec{Name: "psetex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdPSetEX, Group: "string", Summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", Since: "2.6.0"},
		&Spec{Name: "mget", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdMget, Group: "string", Summary: "Atomically returns the string values of one or more keys.", Since: "1.0.0"},
		&Spec{Name: "mset", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Handler: cmdMset, Group: "string", Summary: "Atomically creates or modifies the string values of one or more keys.", Since: "1.0.1"},
		&Spec{Name: "msetnx", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Handler: cmdMsetNX, Group: "string", Summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", Since: "1.0.1"},
		&Spec{Name: "incr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdIncr, Group: "string", Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "decr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdDecr, Group: "string", Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "incrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdIncrBy, Group: "string", Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "decrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdDecrBy, Group: "string", Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "incrbyfloat", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdIncrByFloat, Group: "string", Summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Since: "2.6.0"},
		&Spec{Name: "append", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdAppend, Group: "string", Summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", Since: "2.0.0"},
		&Spec{Name: "strlen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdStrlen, Group: "string", Summary: "Returns the length of a string value.", Since: "2.2.0"},
		&Spec{Name: "getrange", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGetRange, Group: "string", Summary: "Returns a substring of the string stored at a key.", Since: "2.4.0"},
		&Spec{Name: "substr", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGetRange, Group: "string", Summary: "Returns a substring from a string value.", Since: "1.0.0"},
		&Spec{Name: "setrange", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdSetRange, Group: "string", Summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", Since: "2.2.0"},
		&Spec{Name: "lcs", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 2, Handler: cmdLcs, Group: "string", Summary: "Finds the longest common substring.", Since: "7.0.0"},
	)
}

// GET key
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

// Option flags of SET and GETEX (parseExtendedStringArgumentsOrReply).
const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT

	setExpireFlags = setEX | setPX | setEXAT | setPXAT
)

// optIs compares an option with word as redis-server's C-string
// comparisons do: ASCII case ignored, and the argument ends at its first
// NUL byte ("EX\x00junk" is EX).
func optIs(b []byte, word string) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return eqFold(b, word)
}

// parseStringOptions parses the options of SET (forSet) or GETEX from
// argument i on, with Redis's rules on which options exclude each other.
// It returns the flags and the expiry argument (nil if none); on a syntax
// error it replies and returns ok == false.
func parseStringOptions(c *Ctx, i int, forSet bool) (flags int, expArg []byte, ok bool) {
	for ; i < len(c.Args); i++ {
		a := c.Args[i]
		next := i+1 < len(c.Args)
		var f int
		switch {
		case forSet && optIs(a, "nx") && flags&setXX == 0:
			f = setNX
		case forSet && optIs(a, "xx") && flags&setNX == 0:
			f = setXX
		case forSet && optIs(a, "get"):
			f = setGet
		case forSet && optIs(a, "keepttl") && flags&(setPersist|setExpireFlags) == 0:
			f = setKeepTTL
		case !forSet && optIs(a, "persist") && flags&(setKeepTTL|setExpireFlags) == 0:
			f = setPersist
		case optIs(a, "ex") && next && flags&(setKeepTTL|setPersist|setExpireFlags&^setEX) == 0:
			f = setEX
		case optIs(a, "px") && next && flags&(setKeepTTL|setPersist|setExpireFlags&^setPX) == 0:
			f = setPX
		case optIs(a, "exat") && next && flags&(setKeepTTL|setPersist|setExpireFlags&^setEXAT) == 0:
			f = setEXAT
		case optIs(a, "pxat") && next && flags&(setKeepTTL|setPersist|setExpireFlags&^setPXAT) == 0:
			f = setPXAT
		default:
			c.Err(errSyntax)
			return 0, nil, false
		}
		flags |= f
		if f&setExpireFlags != 0 {
			i++
			expArg = c.Args[i]
		}
	}
	return flags, expArg, true
}

// expireAt turns an EX/PX/EXAT/PXAT argument into an absolute unix-ms
// expiry as getExpireMillisecondsOrReply does, replying its errors.
func expireAt(c *Ctx, arg []byte, flags int) (int64, bool) {
	ms, ok := proto.ParseInt(arg)
	if !ok {
		c.Err(errNotInt)
		return 0, false
	}
	seconds := flags&(setEX|setEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.Err(errInvalidExpire(c.Spec.Name))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(setEX|setPX) != 0 {
		ms += c.Tx.Now() // wraps on overflow, caught below as in C
	}
	if ms <= 0 {
		c.Err(errInvalidExpire(c.Spec.Name))
		return 0, false
	}
	return ms, true
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
//
//	EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
func cmdSet(c *Ctx) {
	flags, expArg, ok := parseStringOptions(c, 3, true)
	if !ok {
		return
	}
	var expire int64
	if expArg != nil {
		if expire, ok = expireAt(c, expArg, flags); !ok {
			return
		}
	}
	done, ok := setGeneric(c, c.Args[1], c.Args[2], flags, expire)
	if ok && flags&setGet == 0 {
		if done {
			c.OK()
		} else {
			c.Null()
		}
	}
}

// setGeneric is the shared body of SET, SETNX, SETEX and PSETEX (Redis's
// setGenericCommand) once the options are parsed: with setGet it replies
// the old value (or the WRONGTYPE error), it honours NX/XX, writes the
// value with expiry expire (0: none; KEEPTTL keeps the old one) and sends
// the keyspace events. done reports whether the key was written; ok is
// false when an error was replied.
func setGeneric(c *Ctx, key, val []byte, flags int, expire int64) (done, ok bool) {
	m, found, err := c.Tx.Lookup(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return false, false
	}
	start := len(c.Out)
	if flags&setGet != 0 {
		switch {
		case found && m.Type != store.TypeString:
			c.Err(errWrongType)
			return false, false
		case found:
			v, err := c.Tx.StringValue(&m)
			if err != nil {
				c.StoreErr(err)
				return false, false
			}
			c.Bulk(v) // before the write reuses the read buffers
		default:
			c.Null()
		}
	}
	if (flags&setNX != 0 && found) || (flags&setXX != 0 && !found) {
		return false, true
	}
	var old *store.Meta
	if found {
		old = &m
		if flags&setKeepTTL != 0 {
			expire = m.Expire
		}
	}
	if err := c.Tx.SetString(c.DB, key, val, expire, old); err != nil {
		c.Out = c.Out[:start]
		c.StoreErr(err)
		return false, false
	}
	c.Tx.Notify(c.DB, "set", key)
	if flags&setExpireFlags != 0 {
		c.Tx.Notify(c.DB, "expire", key)
	}
	return true, true
}

// SETNX key value
func cmdSetNX(c *Ctx) {
	done, ok := setGeneric(c, c.Args[1], c.Args[2], setNX, 0)
	switch {
	case ok && done:
		c.Int(1)
	case ok:
		c.Int(0)
	}
}

// SETEX key seconds value
func cmdSetEX(c *Ctx) { setExpiring(c, setEX) }

// PSETEX key milliseconds value
func cmdPSetEX(c *Ctx) { setExpiring(c, setPX) }

func setExpiring(c *Ctx, unit int) {
	expire, ok := expireAt(c, c.Args[2], unit)
	if !ok {
		return
	}
	if _, ok := setGeneric(c, c.Args[1], c.Args[3], unit, expire); ok {
		c.OK()
	}
}

// GETSET key value
func cmdGetSet(c *Ctx) {
	m, found, err := c.Tx.LookupType(c.DB, c.Args[1], store.TypeString)
	if err != nil {
		c.StoreErr(err)
		return
	}
	start := len(c.Out)
	var old *store.Meta
	if found {
		v, err := c.Tx.StringValue(&m)
		if err != nil {
			c.StoreErr(err)
			return
		}
		c.Bulk(v) // before the write reuses the read buffers
		old = &m
	} else {
		c.Null()
	}
	if err := c.Tx.SetString(c.DB, c.Args[1], c.Args[2], 0, old); err != nil {
		c.Out = c.Out[:start] // the error replaces the reply
		c.StoreErr(err)
		return
	}
	c.Tx.Notify(c.DB, "set", c.Args[1])
}

// GETDEL key
func cmdGetDel(c *Ctx) {
	m, found, err := c.Tx.LookupType(c.DB, c.Args[1], store.TypeString)
	switch {
	case err != nil:
		c.StoreErr(err)
	case !found:
		c.Null()
	default:
		v, err := c.Tx.StringValue(&m)
		if err != nil {
			c.StoreErr(err)
			return
		}
		c.Bulk(v)
		c.Tx.DeleteKey(c.DB, c.Args[1], &m)
		c.Tx.Notify(c.DB, "del", c.Args[1])
	}
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//
//	PXAT unix-time-milliseconds | PERSIST]
func cmdGetEx(c *Ctx) {
	flags, expArg, ok := parseStringOptions(c, 2, false)
	if !ok {
		return
	}
	key := c.Args[1]
	m, found, err := c.Tx.LookupType(c.DB, key, store.TypeString)
	switch {
	case err != nil:
		c.StoreErr(err)
		return
	case !found:
		c.Null()
		return
	}
	var at int64
	if expArg != nil {
		if at, ok = expireAt(c, expArg, flags); !ok {
			return
		}
	}
	v, err := c.Tx.StringValue(&m)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Bulk(v)
	switch {
	case expArg != nil && at <= c.Tx.Now():
		// Only EXAT/PXAT can name the past: the key goes at once.
		c.Tx.DeleteKey(c.DB, key, &m)
		c.Tx.Notify(c.DB, "del", key)
	case expArg != nil:
		c.Tx.SetExpire(c.DB, key, &m, at)
		c.Tx.Notify(c.DB, "expire", key)
	case flags&setPersist != 0 && m.Expire != 0:
		c.Tx.SetExpire(c.DB, key, &m, 0)
		c.Tx.Notify(c.DB, "persist", key)
	}
}

// INCR key
func cmdIncr(c *Ctx) { incrDecr(c, 1) }

// DECR key
func cmdDecr(c *Ctx) { incrDecr(c, -1) }

// INCRBY key increment
func cmdIncrBy(c *Ctx) {
	if n, ok := c.Int64(2); ok {
		incrDecr(c, n)
	}
}

// DECRBY key decrement
func cmdDecrBy(c *Ctx) {
	n, ok := c.Int64(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Err(errDecrOverflow)
		return
	}
	incrDecr(c, -n)
}

func incrDecr(c *Ctx, by int64) {
	n, err := c.Tx.IncrString(c.DB, c.Args[1], by)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Tx.Notify(c.DB, "incrby", c.Args[1])
	c.Int(n)
}

// INCRBYFLOAT key increment
func cmdIncrByFloat(c *Ctx) {
	key := c.Args[1]
	m, found, err := c.Tx.LookupType(c.DB, key, store.TypeString)
	if err != nil {
		c.StoreErr(err)
		return
	}
	cur := ldZero(false)
	if found {
		var v []byte
		if m.StringLen() < ldMaxChars { // longer values are never numbers
			if v, err = c.Tx.StringValue(&m); err != nil {
				c.StoreErr(err)
				return
			}
		}
		f, ok := parseLongDouble(v)
		if !ok {
			c.Err(errNotFloat)
			return
		}
		cur = f
	}
	incr, ok := parseLongDouble(c.Args[2])
	if !ok {
		c.Err(errNotFloat)
		return
	}
	sum, ok := ldAdd(cur, incr)
	if !ok {
		c.Err(errNaNInf)
		return
	}
	var buf [64]byte
	val := appendLongDouble(buf[:0], sum)
	old := &m
	if !found {
		old = nil
	}
	if err := c.Tx.ReplaceString(c.DB, key, val, old); err != nil {
		c.StoreErr(err)
		return
	}
	c.Tx.Notify(c.DB, "incrbyfloat", key)
	c.Bulk(val)
}

// MGET key [key ...]
func cmdMget(c *Ctx) {
	start := len(c.Out)
	c.Array(len(c.Args) - 1)
	for _, k := range c.Args[1:] {
		v, ok, err := c.Tx.GetString(c.DB, k)
		switch {
		case errors.Is(err, store.ErrWrongType) || (err == nil && !ok):
			c.Null() // MGET answers nil for keys of other types
		case err != nil:
			c.Out = c.Out[:start]
			c.StoreErr(err)
			return
		default:
			c.Bulk(v)
		}
	}
}

// MSET key value [key value ...]
func cmdMset(c *Ctx) {
	if len(c.Args)%2 != 1 {
		c.ArgErr()
		return
	}
	if msetAll(c) {
		c.OK()
	}
}

// MSETNX key value [key value ...]
func cmdMsetNX(c *Ctx) {
	if len(c.Args)%2 != 1 {
		c.ArgErr()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		ok, err := c.Tx.Exists(c.DB, c.Args[i])
		if err != nil {
			c.StoreErr(err)
			return
		}
		if ok {
			c.Int(0)
			return
		}
	}
	if msetAll(c) {
		c.Int(1)
	}
}

// msetAll writes every key/value pair of MSET/MSETNX (a repeated key ends
// with its last value) without expiry.
func msetAll(c *Ctx) bool {
	for i := 1; i < len(c.Args); i += 2 {
		m, found, err := c.Tx.Lookup(c.DB, c.Args[i])
		if err != nil {
			c.StoreErr(err)
			return false
		}
		var old *store.Meta
		if found {
			old = &m
		}
		if err := c.Tx.SetString(c.DB, c.Args[i], c.Args[i+1], 0, old); err != nil {
			c.StoreErr(err)
			return false
		}
		c.Tx.Notify(c.DB, "set", c.Args[i])
	}
	return true
}

// maxStringLen is proto-max-bulk-len, the largest string a command may
// build (Redis's checkStringLength).
func maxStringLen(c *Ctx) int64 {
	if n := c.S.maxBulk.Load(); n > 0 {
		return n
	}
	return proto.DefaultMaxBulkLen
}

// APPEND key value
func cmdAppend(c *Ctx) {
	n, err := c.Tx.AppendString(c.DB, c.Args[1], c.Args[2], maxStringLen(c))
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Tx.Notify(c.DB, "append", c.Args[1])
	c.Int(n)
}

// STRLEN key
func cmdStrlen(c *Ctx) {
	n, err := c.Tx.StringLen(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Int(n)
}

// GETRANGE key start end (and SUBSTR, its old name)
func cmdGetRange(c *Ctx) {
	start, ok := c.Int64(2)
	if !ok {
		return
	}
	end, ok := c.Int64(3)
	if !ok {
		return
	}
	m, found, err := c.Tx.LookupType(c.DB, c.Args[1], store.TypeString)
	if err != nil {
		c.StoreErr(err)
		return
	}
	var v []byte
	if found {
		from, to := substringRange(m.StringLen(), start, end)
		if v, err = c.Tx.StringSlice(&m, from, to); err != nil {
			c.StoreErr(err)
			return
		}
	}
	c.Bulk(v)
}

// substringRange applies GETRANGE's index rules to a string of n bytes:
// negative indexes count from the end, both ends are clamped, end is
// inclusive. It returns the byte range [from, to), empty when from == to.
func substringRange(n, start, end int64) (from, to int64) {
	if start < 0 && end < 0 && start > end {
		return 0, 0
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return 0, 0
	}
	return start, end + 1
}

// SETRANGE key offset value
func cmdSetRange(c *Ctx) {
	off, ok := c.Int64(2)
	if !ok {
		return
	}
	if off < 0 {
		c.Err(errOffsetRange)
		return
	}
	val := c.Args[3]
	n, err := c.Tx.SetRange(c.DB, c.Args[1], off, val, maxStringLen(c))
	if err != nil {
		c.StoreErr(err)
		return
	}
	if len(val) > 0 {
		c.Tx.Notify(c.DB, "setrange", c.Args[1])
	}
	c.Int(n)
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
func cmdLcs(c *Ctx) {
	var metas [2]*store.Meta
	var lens [2]int64
	for i := range metas {
		m, found, err := c.Tx.Lookup(c.DB, c.Args[1+i])
		switch {
		case err != nil:
			c.StoreErr(err)
			return
		case found && m.Type != store.TypeString:
			c.Err(errLcsType)
			return
		case found:
			metas[i], lens[i] = &m, m.StringLen()
		}
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.Args); j++ {
		opt := c.Args[j]
		switch {
		case optIs(opt, "idx"):
			getIdx = true
		case optIs(opt, "len"):
			getLen = true
		case optIs(opt, "withmatchlen"):
			withMatchLen = true
		case optIs(opt, "minmatchlen") && j+1 < len(c.Args):
			n, ok := c.Int64(j + 1)
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.Err(errLcsIdxLen)
		return
	}
	if lens[0] >= math.MaxUint32-1 || lens[1] >= math.MaxUint32-1 {
		c.Err(errLcsTooLong)
		return
	}
	// Redis refuses a table bigger than proto-max-bulk-len before building it.
	cells := (uint64(lens[0]) + 1) * (uint64(lens[1]) + 1)
	if cells*4 > uint64(maxStringLen(c)) {
		c.Err(errLcsMemory)
		return
	}
	// Read the values only now that their sizes are known to be workable.
	var vals [2][]byte
	for i, m := range metas {
		if m == nil {
			continue
		}
		v, err := c.Tx.StringValue(m)
		if err != nil {
			c.StoreErr(err)
			return
		}
		vals[i] = append([]byte(nil), v...)
	}
	a, b := vals[0], vals[1]
	if getLen {
		c.Int(int64(lcsLength(a, b)))
		return
	}
	res := lcsCompute(a, b, getIdx, minMatchLen)
	if !getIdx {
		c.Bulk(res.str)
		return
	}
	c.Map(2)
	c.BulkStr("matches")
	c.Array(len(res.ranges))
	for _, r := range res.ranges {
		if withMatchLen {
			c.Array(3)
		} else {
			c.Array(2)
		}
		c.Array(2)
		c.Int(int64(r.aStart))
		c.Int(int64(r.aEnd))
		c.Array(2)
		c.Int(int64(r.bStart))
		c.Int(int64(r.bEnd))
		if withMatchLen {
			c.Int(int64(r.aEnd - r.aStart + 1))
		}
	}
	c.BulkStr("len")
	c.Int(int64(res.length))
}

// lcsLength is the length of the longest common subsequence of a and b,
// in O(len(b)) memory.
func lcsLength(a, b []byte) uint32 {
	prev := make([]uint32, len(b)+1)
	cur := make([]uint32, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] > cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

type lcsRange struct{ aStart, aEnd, bStart, bEnd uint32 }

type lcsResult struct {
	length uint32
	str    []byte
	ranges []lcsRange // matching ranges, last to first, as Redis emits them
}

// lcsCompute finds the subsequence and the matching ranges exactly as
// redis-server does. Redis fills the whole table of LCS lengths and walks
// it back from the end: on a match it steps diagonally, otherwise it moves
// up when LCS(i-1,j) > LCS(i,j-1) and left else. That walk needs only that
// one comparison per cell, so we fill the table row by row and keep one bit
// per cell: 1/32 of Redis's transient memory for the same answer.
func lcsCompute(a, b []byte, wantRanges bool, minMatchLen int64) lcsResult {
	alen, blen := uint32(len(a)), uint32(len(b))
	w := uint64(blen) + 1
	up := make([]uint64, ((uint64(alen)+1)*w+63)/64) // bit (i*w+j): LCS(i-1,j) > LCS(i,j-1)
	prev := make([]uint32, w)
	cur := make([]uint32, w)
	for i := uint32(1); i <= alen; i++ {
		base := uint64(i) * w
		for j := uint32(1); j <= blen; j++ {
			switch {
			case a[i-1] == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] > cur[j-1]:
				cur[j] = prev[j]
				bit := base + uint64(j)
				up[bit/64] |= 1 << (bit % 64)
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	res := lcsResult{length: prev[blen]}
	idx := res.length
	res.str = make([]byte, idx)
	// aStart == alen means no range is open.
	aStart, aEnd, bStart, bEnd := alen, uint32(0), uint32(0), uint32(0)
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			res.str[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if bit := uint64(i)*w + uint64(j); up[bit/64]&(1<<(bit%64)) != 0 {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if wantRanges && (minMatchLen == 0 || int64(aEnd-aStart+1) >= minMatchLen) {
				res.ranges = append(res.ranges, lcsRange{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	return res
}
