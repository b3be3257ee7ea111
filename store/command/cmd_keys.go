package command

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Generic key commands (db.c, expire.c, object.c).

func init() {
	register(
		&Spec{Name: "del", Arity: -2, Flags: FlagWrite, FirstKey: 1, LastKey: -1, Handler: cmdDel, Group: "generic", Summary: "Deletes one or more keys.", Since: "1.0.0"},
		&Spec{Name: "unlink", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdDel, Group: "generic", Summary: "Asynchronously deletes one or more keys.", Since: "4.0.0"},
		&Spec{Name: "exists", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdExists, Group: "generic", Summary: "Determines whether one or more keys exist.", Since: "1.0.0"},
		&Spec{Name: "touch", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdExists, Group: "generic", Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", Since: "3.2.1"},
		&Spec{Name: "type", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdType, Group: "generic", Summary: "Determines the type of value stored at a key.", Since: "1.0.0"},
		&Spec{Name: "dbsize", Arity: 1, Flags: FlagReadOnly | FlagFast | ExecAfter, Handler: cmdDBSize, Group: "server", Summary: "Returns the number of keys in the database.", Since: "1.0.0", ACL: []string{"keyspace"}},
		&Spec{Name: "flushdb", Arity: -1, Flags: FlagWrite | ExecGlobal, Handler: cmdFlushDB, Group: "server", Summary: "Removes all keys from the current database.", Since: "1.0.0", ACL: []string{"keyspace", "dangerous"}},
		&Spec{Name: "flushall", Arity: -1, Flags: FlagWrite | ExecGlobal, Handler: cmdFlushAll, Group: "server", Summary: "Removes all keys from all databases.", Since: "1.0.0", ACL: []string{"keyspace", "dangerous"}},
		&Spec{Name: "keys", Arity: 2, Flags: FlagReadOnly | ExecGlobal, Handler: cmdKeys, Group: "generic", Summary: "Returns all key names that match a pattern.", Since: "1.0.0", ACL: []string{"dangerous"}},
		&Spec{Name: "scan", Arity: -2, Flags: FlagReadOnly | ExecGlobal, Handler: cmdScan, Group: "generic", Summary: "Iterates over the key names in the database.", Since: "2.8.0"},
		&Spec{Name: "randomkey", Arity: 1, Flags: FlagReadOnly | ExecGlobal, Handler: cmdRandomKey, Group: "generic", Summary: "Returns a random key name from the database.", Since: "1.0.0"},

		&Spec{Name: "expire", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdExpire, Group: "generic", Summary: "Sets the expiration time of a key in seconds.", Since: "1.0.0"},
		&Spec{Name: "pexpire", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdPExpire, Group: "generic", Summary: "Sets the expiration time of a key in milliseconds.", Since: "2.6.0"},
		&Spec{Name: "expireat", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdExpireAt, Group: "generic", Summary: "Sets the expiration time of a key to a Unix timestamp.", Since: "1.2.0"},
		&Spec{Name: "pexpireat", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdPExpireAt, Group: "generic", Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", Since: "2.6.0"},
		&Spec{Name: "ttl", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdTTL, Group: "generic", Summary: "Returns the expiration time in seconds of a key.", Since: "1.0.0"},
		&Spec{Name: "pttl", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdPTTL, Group: "generic", Summary: "Returns the expiration time in milliseconds of a key.", Since: "2.6.0"},
		&Spec{Name: "expiretime", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdExpireTime, Group: "generic", Summary: "Returns the expiration time of a key as a Unix timestamp.", Since: "7.0.0"},
		&Spec{Name: "pexpiretime", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdPExpireTime, Group: "generic", Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", Since: "7.0.0"},
		&Spec{Name: "persist", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdPersist, Group: "generic", Summary: "Removes the expiration time of a key.", Since: "2.2.0"},

		&Spec{Name: "rename", Arity: 3, Flags: FlagWrite, FirstKey: 1, LastKey: 2, Handler: cmdRename, Group: "generic", Summary: "Renames a key and overwrites the destination.", Since: "1.0.0"},
		&Spec{Name: "renamenx", Arity: 3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Handler: cmdRenameNX, Group: "generic", Summary: "Renames a key only when the target key name doesn't exist.", Since: "1.0.0"},
		&Spec{Name: "copy", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Handler: cmdCopy, Group: "generic", Summary: "Copies the value of a key to a new key.", Since: "6.2.0"},
		&Spec{Name: "move", Arity: 3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdMove, Group: "generic", Summary: "Moves a key to another database.", Since: "1.0.0"},

		&Spec{Name: "object", Arity: -2, Group: "generic", Summary: "A container for object introspection commands.", Since: "2.2.3"},
		&Spec{Name: "object|encoding", Arity: 3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdObjectEncoding, Group: "generic", Summary: "Returns the internal encoding of a Redis object.", Since: "2.2.3"},
		&Spec{Name: "object|freq", Arity: 3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdObjectFreq, Group: "generic", Summary: "Returns the logarithmic access frequency counter of a Redis object.", Since: "4.0.0"},
		&Spec{Name: "object|idletime", Arity: 3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdObjectIdleTime, Group: "generic", Summary: "Returns the time since the last access to a Redis object.", Since: "2.2.3"},
		&Spec{Name: "object|refcount", Arity: 3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdObjectRefCount, Group: "generic", Summary: "Returns the reference count of a value of a key.", Since: "2.2.3"},
		&Spec{Name: "object|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdObjectHelp, Group: "generic", Summary: "Returns helpful text about the different subcommands.", Since: "6.2.0", ACL: []string{"slow"}},
	)
}

// DEL key [key ...] and UNLINK key [key ...]
func cmdDel(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := c.Tx.Delete(c.DB, k)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if ok {
			n++
			c.Tx.Notify(c.DB, "del", k)
		}
	}
	c.Int(n)
}

// EXISTS key [key ...] and TOUCH key [key ...]: the number of given keys
// that exist, counting repeats. DiskDB keeps no access clock, so TOUCH has
// nothing more to do.
func cmdExists(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := c.Tx.Exists(c.DB, k)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if ok {
			n++
		}
	}
	c.Int(n)
}

// TYPE key
func cmdType(c *Ctx) {
	t, err := c.Tx.TypeOf(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Status(t.String())
}

// DBSIZE: keys of the current db, expired ones not yet reclaimed included
// (as Redis counts them). O(1): the engine keeps exact counters.
func cmdDBSize(c *Ctx) { c.Int(c.S.eng.DBSize(c.DB)) }

// parseFlushMode accepts FLUSHDB/FLUSHALL's [ASYNC | SYNC].
func parseFlushMode(c *Ctx) bool {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.is(1, "async") && !c.is(1, "sync")) {
		c.Err(errSyntax)
		return false
	}
	return true
}

// FLUSHDB [ASYNC | SYNC]
func cmdFlushDB(c *Ctx) {
	if !parseFlushMode(c) {
		return
	}
	if err := c.Tx.FlushDB(c.DB); err != nil {
		c.StoreErr(err)
		return
	}
	c.OK()
}

// FLUSHALL [ASYNC | SYNC]
func cmdFlushAll(c *Ctx) {
	if !parseFlushMode(c) {
		return
	}
	if err := c.Tx.FlushAll(); err != nil {
		c.StoreErr(err)
		return
	}
	c.OK()
}

// globFilter returns the key filter of a MATCH pattern; nil (every key) for
// a lone "*", which Redis special-cases (it also matches the empty key).
func globFilter(pat []byte) func([]byte) bool {
	if pat == nil || (len(pat) == 1 && pat[0] == '*') {
		return nil
	}
	return func(k []byte) bool { return store.Match(pat, k, false) }
}

// keysChunk is how many metadata records KEYS examines per store call.
const keysChunk = 1024

// KEYS pattern
func cmdKeys(c *Ctx) {
	match := globFilter(c.Args[1])
	var keys [][]byte
	var after []byte
	for {
		ks, next, err := c.Tx.Scan(c.DB, after, store.ScanOpts{Count: keysChunk, Match: match})
		if err != nil {
			c.StoreErr(err)
			return
		}
		keys = append(keys, ks...)
		if next == nil {
			break
		}
		after = next
	}
	c.Array(len(keys))
	for _, k := range keys {
		c.Bulk(k)
	}
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//
// The scan position is the last examined metadata key (slot · user key) of
// the db; the cursor names it in the shared cursor table and carries its
// slot, so a cursor the table no longer knows resumes at the start of that
// slot (keys may repeat, none present throughout the scan is missed).
func cmdScan(c *Ctx) {
	a, ok := parseScanArgs(c, 1, true)
	if !ok {
		return
	}
	var after []byte
	if a.cursor != 0 {
		pos, slot, known := loadCursor(a.cursor)
		switch {
		case known:
			after = pos
		case slot > 0:
			// Every meta key of the slot sorts after the bare slot prefix
			// (only the empty key, in slot 0, equals it).
			after = []byte{byte(slot >> 8), byte(slot)}
		}
	}
	keys, next, err := c.Tx.Scan(c.DB, after, store.ScanOpts{Count: a.count, Match: globFilter(a.match), Type: a.typ})
	if err != nil {
		c.StoreErr(err)
		return
	}
	var cursor uint64
	if next != nil {
		cursor = saveCursor(next, binary.BigEndian.Uint16(next)&(store.NumSlots-1))
	}
	replyScan(c, cursor, keys)
}

// RANDOMKEY
func cmdRandomKey(c *Ctx) {
	k, ok, err := c.Tx.RandomKey(c.DB)
	switch {
	case err != nil:
		c.StoreErr(err)
	case !ok:
		c.Null()
	default:
		c.Bulk(k)
	}
}

// --- expiry (expire.c) ---

const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// EXPIRE key seconds [NX | XX | GT | LT]
func cmdExpire(c *Ctx) { expireGeneric(c, c.Tx.Now(), true) }

// PEXPIRE key milliseconds [NX | XX | GT | LT]
func cmdPExpire(c *Ctx) { expireGeneric(c, c.Tx.Now(), false) }

// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
func cmdExpireAt(c *Ctx) { expireGeneric(c, 0, true) }

// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
func cmdPExpireAt(c *Ctx) { expireGeneric(c, 0, false) }

// expireGeneric is the EXPIRE family: the expiry is base + the argument
// (in seconds when seconds is set). A time not after now deletes the key
// (reply 1, a "del" event), as Redis does.
func expireGeneric(c *Ctx, base int64, seconds bool) {
	flags := 0
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.is(i, "nx"):
			flags |= expireNX
		case c.is(i, "xx"):
			flags |= expireXX
		case c.is(i, "gt"):
			flags |= expireGT
		case c.is(i, "lt"):
			flags |= expireLT
		default:
			c.Err(errUnsupportedOption(cString(c.Args[i])))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.Err(errExpireNXCombo)
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.Err(errExpireGTLT)
		return
	}
	when, ok := c.Int64(2)
	if !ok {
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Err(errInvalidExpire(c.Spec.Name))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.Err(errInvalidExpire(c.Spec.Name))
		return
	}
	when += base

	key := c.Args[1]
	m, found, err := c.Tx.Lookup(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !found {
		c.Int(0)
		return
	}
	cur := m.Expire // 0: none, an infinite TTL for GT and LT
	if (flags&expireNX != 0 && cur != 0) ||
		(flags&expireXX != 0 && cur == 0) ||
		(flags&expireGT != 0 && (cur == 0 || when <= cur)) ||
		(flags&expireLT != 0 && cur != 0 && when >= cur) {
		c.Int(0)
		return
	}
	if when <= c.Tx.Now() {
		c.Tx.DeleteKey(c.DB, key, &m)
		c.Tx.Notify(c.DB, "del", key)
		c.Int(1)
		return
	}
	c.Tx.SetExpire(c.DB, key, &m, when)
	c.Tx.Notify(c.DB, "expire", key)
	c.Int(1)
}

// cString returns b up to its first NUL byte, as a C string format shows it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// TTL key
func cmdTTL(c *Ctx) { ttlGeneric(c, false, false) }

// PTTL key
func cmdPTTL(c *Ctx) { ttlGeneric(c, true, false) }

// EXPIRETIME key
func cmdExpireTime(c *Ctx) { ttlGeneric(c, false, true) }

// PEXPIRETIME key
func cmdPExpireTime(c *Ctx) { ttlGeneric(c, true, true) }

// ttlGeneric replies -2 for a missing key, -1 for one without expiry, else
// the remaining time (or, with abs, the expiry itself) in ms or in seconds
// rounded to the nearest.
func ttlGeneric(c *Ctx, ms, abs bool) {
	m, found, err := c.Tx.Lookup(c.DB, c.Args[1])
	switch {
	case err != nil:
		c.StoreErr(err)
		return
	case !found:
		c.Int(-2)
		return
	case m.Expire == 0:
		c.Int(-1)
		return
	}
	t := m.Expire
	if !abs {
		t -= c.Tx.Now()
	}
	if t < 0 {
		t = 0
	}
	if !ms {
		// Unsigned, as Redis's arithmetic behaves near the int64 limit.
		t = int64((uint64(t) + 500) / 1000)
	}
	c.Int(t)
}

// PERSIST key
func cmdPersist(c *Ctx) {
	key := c.Args[1]
	m, found, err := c.Tx.Lookup(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !found || m.Expire == 0 {
		c.Int(0)
		return
	}
	c.Tx.SetExpire(c.DB, key, &m, 0)
	c.Tx.Notify(c.DB, "persist", key)
	c.Int(1)
}

// --- renaming and copying ---

// RENAME key newkey
func cmdRename(c *Ctx) { renameGeneric(c, false) }

// RENAMENX key newkey
func cmdRenameNX(c *Ctx) { renameGeneric(c, true) }

// renameGeneric re-points the source's metadata (its TTL included) at the
// new name: O(1) whatever the type, the elements stay under their id.
func renameGeneric(c *Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	ok, err := c.Tx.Rename(c.DB, src, dst, nx)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if ok && !bytes.Equal(src, dst) {
		c.Tx.Notify(c.DB, "rename_from", src)
		c.Tx.Notify(c.DB, "rename_to", dst)
	}
	if !nx {
		c.OK()
	} else if ok {
		c.Int(1)
	} else {
		c.Int(0)
	}
}

// parseDBIndex parses argument i as a db number for MOVE and COPY as
// getIntFromObjectOrReply and selectDb check it: an integer, within C's
// int, then an existing db. It returns the physical database (SWAPDB).
func parseDBIndex(c *Ctx, i int) (int, bool) {
	n, ok := c.Int64(i)
	if !ok {
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.Err(errIntRange)
		return 0, false
	}
	if n < 0 || n >= int64(c.S.eng.Databases()) {
		c.Err(errDBIndex)
		return 0, false
	}
	return c.S.eng.PhysDB(int(n)), true
}

// COPY source destination [DB destination-db] [REPLACE]
func cmdCopy(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	dstDB, replace := c.DB, false
	for j := 3; j < len(c.Args); j++ {
		switch {
		case c.is(j, "replace"):
			replace = true
		case c.is(j, "db") && j+1 < len(c.Args):
			n, ok := parseDBIndex(c, j+1)
			if !ok {
				return
			}
			dstDB = n
			j++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if dstDB == c.DB && bytes.Equal(src, dst) {
		c.Err(errSameObject)
		return
	}
	ok, err := c.Tx.Copy(c.DB, src, dstDB, dst, replace)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !ok {
		c.Int(0)
		return
	}
	c.Tx.Notify(dstDB, "copy_to", dst)
	c.Int(1)
}

// MOVE key db
func cmdMove(c *Ctx) {
	key := c.Args[1]
	dstDB, ok := parseDBIndex(c, 2)
	if !ok {
		return
	}
	if dstDB == c.DB {
		c.Err(errSameObject)
		return
	}
	moved, err := c.Tx.Move(c.DB, key, dstDB)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !moved {
		c.Int(0)
		return
	}
	c.Tx.Notify(c.DB, "move_from", key)
	c.Tx.Notify(dstDB, "move_to", key)
	c.Int(1)
}

// --- OBJECT (object.c) ---

// objectLookup finds OBJECT's key; for a missing key it replies null.
func objectLookup(c *Ctx) (store.Meta, bool) {
	m, found, err := c.Tx.Lookup(c.DB, c.Args[2])
	switch {
	case err != nil:
		c.StoreErr(err)
		return m, false
	case !found:
		c.Null()
		return m, false
	}
	return m, true
}

// OBJECT ENCODING key
func cmdObjectEncoding(c *Ctx) {
	m, ok := objectLookup(c)
	if !ok {
		return
	}
	enc, err := objectEncoding(c, &m)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.BulkStr(enc)
}

// Redis's encoding limits for strings.
const (
	embstrMaxLen     = 44    // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
	sharedIntegers   = 10000 // OBJ_SHARED_INTEGERS
	sharedRefCount   = math.MaxInt32
	lfuInitVal       = 5 // LFU_INIT_VAL: the counter of a fresh key
	maxEncodingProbe = 1 << 16
)

// objectEncoding names the representation redis-server 7.0 would use for
// the value: strings by their bytes, collections by their size and element
// lengths against the *-max-* settings (DiskDB's own layout is the same for
// all; the answer is what a client that tunes by it expects).
func objectEncoding(c *Ctx, m *store.Meta) (string, error) {
	cfg := c.S.cfg
	switch m.Type {
	case store.TypeString:
		v, inline := m.InlineString()
		if !inline {
			return "raw", nil // chunked: far longer than embstr
		}
		return stringEncoding(v), nil
	case store.TypeList:
		return "quicklist", nil
	case store.TypeStream:
		return "stream", nil
	case store.TypeHash:
		small, err := elementsWithin(c, m, cfg.Int("hash-max-listpack-entries"), cfg.Int("hash-max-listpack-value"), true)
		return pick(small, "listpack", "hashtable"), err
	case store.TypeZSet:
		small, err := elementsWithin(c, m, cfg.Int("zset-max-listpack-entries"), cfg.Int("zset-max-listpack-value"), false)
		return pick(small, "listpack", "skiplist"), err
	case store.TypeSet:
		if int64(m.Count) > cfg.Int("set-max-intset-entries") || m.Count > maxEncodingProbe {
			return "hashtable", nil
		}
		it := c.Tx.Iter(store.CFSub, m.ID, nil, nil, false)
		defer it.Close()
		for ; it.Valid(); it.Next() {
			if _, isInt := proto.ParseInt(it.Key()); !isInt {
				return "hashtable", nil
			}
		}
		return "intset", it.Err()
	}
	return "raw", nil // module types (JSON) report their object's raw encoding
}

func pick(small bool, a, b string) string {
	if small {
		return a
	}
	return b
}

// elementsWithin reports whether collection m has at most maxEntries
// elements, none of whose keys (nor, with values, values) is longer than
// maxValue bytes.
func elementsWithin(c *Ctx, m *store.Meta, maxEntries, maxValue int64, values bool) (bool, error) {
	if int64(m.Count) > maxEntries || m.Count > maxEncodingProbe {
		return false, nil
	}
	it := c.Tx.Iter(store.CFSub, m.ID, nil, nil, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if int64(len(it.Key())) > maxValue || (values && int64(len(it.Value())) > maxValue) {
			return false, nil
		}
	}
	return true, it.Err()
}

// stringEncoding is how tryObjectEncoding stores a string value: "int" for
// a canonical int64 of at most 20 bytes, "embstr" up to 44 bytes, "raw".
func stringEncoding(v []byte) string {
	if len(v) <= 20 {
		if _, ok := proto.ParseInt(v); ok {
			return "int"
		}
	}
	if len(v) <= embstrMaxLen {
		return "embstr"
	}
	return "raw"
}

// lfuPolicy reports whether maxmemory-policy is an LFU one.
func lfuPolicy(c *Ctx) bool {
	p := c.S.cfg.Get("maxmemory-policy")
	return p == "allkeys-lfu" || p == "volatile-lfu"
}

// OBJECT FREQ key. DiskDB keeps no access counters: a key reports the
// counter Redis gives a fresh key.
func cmdObjectFreq(c *Ctx) {
	if _, ok := objectLookup(c); !ok {
		return
	}
	if !lfuPolicy(c) {
		c.Err(errNoLFU)
		return
	}
	c.Int(lfuInitVal)
}

// OBJECT IDLETIME key. DiskDB keeps no access clock (it would cost a write
// per read): every key reports 0 seconds.
func cmdObjectIdleTime(c *Ctx) {
	if _, ok := objectLookup(c); !ok {
		return
	}
	if lfuPolicy(c) {
		c.Err(errLFUNoIdle)
		return
	}
	c.Int(0)
}

// OBJECT REFCOUNT key: Redis shares the objects of the integers 0..9999
// (reported with INT_MAX references) unless maxmemory is set with an LRU or
// LFU policy; every other value has one reference.
func cmdObjectRefCount(c *Ctx) {
	m, ok := objectLookup(c)
	if !ok {
		return
	}
	if v, inline := m.InlineString(); m.Type == store.TypeString && inline && len(v) <= 20 {
		n, isInt := proto.ParseInt(v)
		p := c.S.cfg.Get("maxmemory-policy")
		shared := c.S.cfg.Int("maxmemory") == 0 ||
			(p != "allkeys-lru" && p != "volatile-lru" && p != "allkeys-lfu" && p != "volatile-lfu")
		if isInt && n >= 0 && n < sharedIntegers && shared {
			c.Int(sharedRefCount)
			return
		}
	}
	c.Int(1)
}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

// OBJECT HELP
func cmdObjectHelp(c *Ctx) {
	c.Array(len(objectHelp))
	for _, l := range objectHelp {
		c.Status(l)
	}
}
