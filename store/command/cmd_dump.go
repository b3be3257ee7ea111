package command

import (
	"errors"
	"math"

	"github.com/diskdb/diskdb/store"
)

// DUMP and RESTORE (cluster.c): values in Redis's serialization format
// (store/rdb.go), so payloads move between DiskDB and redis-server both
// ways.

func init() {
	register(
		&Spec{Name: "dump", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdDump, Group: "generic", Summary: "Returns a serialized representation of the value stored at a key.", Since: "2.6.0", ACL: []string{"keyspace"}},
		&Spec{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdRestore, Group: "generic", Summary: "Creates a key from the serialized representation of a value.", Since: "2.6.0", ACL: []string{"keyspace", "dangerous"}},
	)
}

// RESTORE's errors (cluster.c).
const (
	errBusyKey     = "BUSYKEY Target key name already exists."
	errRestoreTTL  = "ERR Invalid TTL value, must be >= 0"
	errRestoreIdle = "ERR Invalid IDLETIME value, must be >= 0"
	errRestoreFreq = "ERR Invalid FREQ value, must be >= 0 and <= 255"
)

// dumpLimits returns the compact-encoding thresholds of the configuration.
func dumpLimits(c *Ctx) *store.DumpLimits {
	cfg := c.S.cfg
	return &store.DumpLimits{
		ListMaxListpackSize:  int(cfg.Int("list-max-listpack-size")),
		SetMaxIntsetEntries:  int(cfg.Int("set-max-intset-entries")),
		HashMaxEntries:       int(cfg.Int("hash-max-listpack-entries")),
		HashMaxValue:         int(cfg.Int("hash-max-listpack-value")),
		ZSetMaxEntries:       int(cfg.Int("zset-max-listpack-entries")),
		ZSetMaxValue:         int(cfg.Int("zset-max-listpack-value")),
		StreamNodeMaxBytes:   int(cfg.Int("stream-node-max-bytes")),
		StreamNodeMaxEntries: int(cfg.Int("stream-node-max-entries")),
	}
}

// DUMP key
func cmdDump(c *Ctx) {
	p, ok, err := c.Tx.Dump(c.DB, c.Args[1], dumpLimits(c))
	switch {
	case err != nil:
		c.StoreErr(err)
	case !ok:
		c.Null()
	default:
		c.Bulk(p)
	}
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
//
// The checks run in Redis's order: options, then BUSYKEY, the TTL, the
// payload's footer and its contents. DiskDB keeps no LRU clock nor LFU
// counter: IDLETIME and FREQ are checked and have no further effect.
func cmdRestore(c *Ctx) {
	key := c.Args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch a := c.Args[j]; {
		case cIs(a, "replace"):
			replace = true
		case cIs(a, "absttl"):
			absTTL = true
		case cIs(a, "idletime") && more >= 1 && freq == -1:
			n, ok := c.Int64(j + 1)
			if !ok {
				return
			}
			if n < 0 {
				c.Err(errRestoreIdle)
				return
			}
			idle = n
			j++
		case cIs(a, "freq") && more >= 1 && idle == -1:
			n, ok := c.Int64(j + 1)
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.Err(errRestoreFreq)
				return
			}
			freq = n
			j++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if !replace {
		exists, err := c.Tx.Exists(c.DB, key)
		if err != nil {
			c.StoreErr(err)
			return
		}
		if exists {
			c.Err(errBusyKey)
			return
		}
	}
	ttl, ok := c.Int64(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Err(errRestoreTTL)
		return
	}
	v, err := store.DecodeDump(c.Args[3])
	if err != nil {
		if errors.Is(err, store.ErrDumpPayload) || errors.Is(err, store.ErrBadDataFormat) {
			c.Err(err.Error())
		} else {
			c.StoreErr(err)
		}
		return
	}
	deleted := false
	if replace {
		if deleted, err = c.Tx.Delete(c.DB, key); err != nil {
			c.StoreErr(err)
			return
		}
	}
	now := c.Tx.Now()
	expire := ttl
	if ttl != 0 && !absTTL {
		if ttl > math.MaxInt64-now {
			expire = -1 // C's sum wraps negative: already expired
		} else {
			expire = ttl + now
		}
	}
	if ttl != 0 && expire <= now {
		// Already expired: nothing is created; a replaced key is gone.
		if deleted {
			c.Tx.Notify(c.DB, "del", key)
		}
		c.OK()
		return
	}
	if err := c.Tx.Restore(c.DB, key, v, expire, dumpLimits(c)); err != nil {
		c.StoreErr(err)
		return
	}
	c.Tx.Notify(c.DB, "restore", key)
	c.OK()
}
