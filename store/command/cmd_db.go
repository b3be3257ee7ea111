package command

import (
	"math"

	"github.com/diskdb/diskdb/proto"
)

// SWAPDB (db.c) and WAIT (replication.c).

func init() {
	register(
		&Spec{Name: "swapdb", Arity: 3, Flags: FlagWrite | FlagFast | ExecGlobal, Handler: cmdSwapDB, Group: "server", Summary: "Swaps two Redis databases.", Since: "4.0.0", ACL: []string{"keyspace", "dangerous"}},
		&Spec{Name: "wait", Arity: 3, Flags: FlagNoScript | ExecAfter, Handler: cmdWait, Group: "generic", Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", Since: "3.0.0", ACL: []string{"connection"}},
	)
}

// parseIntOr parses argument i as getIntFromObjectOrReply does with a
// message: an integer within C's int, else msg.
func parseIntOr(c *Ctx, i int, msg string) (int64, bool) {
	n, ok := proto.ParseInt(c.Args[i])
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		c.Err(msg)
		return 0, false
	}
	return n, true
}

// SWAPDB index1 index2
//
// O(1): the engine swaps the two entries of its logical → physical
// database map (store/dbmap.go) with every shard held; no key moves.
// Clients keep their logical database: those blocked on keys of either
// database are moved with it and served if their keys now exist, and a
// WATCHed key of either database is marked dirty when it exists in either.
func cmdSwapDB(c *Ctx) {
	a, ok := parseIntOr(c, 1, "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := parseIntOr(c, 2, "ERR invalid second DB index")
	if !ok {
		return
	}
	n := int64(c.S.eng.Databases())
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Err(errDBIndex)
		return
	}
	if a == b {
		c.OK()
		return
	}
	pa, pb, moved, err := c.Tx.SwapDB(int(a), int(b))
	if err != nil {
		c.StoreErr(err)
		return
	}
	// Blocked clients record the physical database they wait in.
	for _, bl := range moved {
		w, ok := bl.(*waiter)
		if !ok {
			continue
		}
		w.mu.Lock()
		switch w.db {
		case pa:
			w.db = pb
		case pb:
			w.db = pa
		}
		w.mu.Unlock()
	}
	c.OK()
}

// WAIT numreplicas timeout
//
// DiskDB has no replicas yet: after checking the arguments as Redis does,
// it replies 0 at once (redis-server without replicas replies 0 too, at
// once when numreplicas <= 0 and otherwise when the timeout expires).
func cmdWait(c *Ctx) {
	if _, ok := c.Int64(1); !ok {
		return
	}
	t, ok := proto.ParseInt(c.Args[2])
	if !ok {
		c.Err("ERR timeout is not an integer or out of range")
		return
	}
	if t < 0 {
		c.Err(errTimeoutNeg)
		return
	}
	c.Int(0)
}
