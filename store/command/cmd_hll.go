package command

import (
	"errors"

	"github.com/diskdb/diskdb/store"
)

// HyperLogLog commands (hyperloglog.c). The values are strings in Redis's
// exact byte format; the algorithm is in store/hll.go.

func init() {
	register(
		&Spec{Name: "pfadd", Arity: -2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdPFAdd, Group: "hyperloglog", Summary: "Adds the specified elements to the specified HyperLogLog.", Since: "2.8.9"},
		&Spec{Name: "pfcount", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: -1, Handler: cmdPFCount, Group: "hyperloglog", Summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", Since: "2.8.9"},
		&Spec{Name: "pfmerge", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Handler: cmdPFMerge, Group: "hyperloglog", Summary: "Merge N different HyperLogLogs into a single one.", Since: "2.8.9"},
		&Spec{Name: "pfdebug", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagAdmin, FirstKey: 2, LastKey: 2, Handler: cmdPFDebug, Group: "hyperloglog", Summary: "Internal commands for debugging HyperLogLog values", Since: "2.8.9"},
		&Spec{Name: "pfselftest", Arity: 1, Flags: FlagAdmin | ExecBackground, Handler: cmdPFSelfTest, Group: "hyperloglog", Summary: "An internal command for testing HyperLogLog values", Since: "2.8.9", ACL: []string{"slow"}},
	)
}

// hllSparseMax is hll-sparse-max-bytes.
func hllSparseMax(c *Ctx) int64 { return c.S.cfg.Int("hll-sparse-max-bytes") }

// hllErr replies the error of a HyperLogLog store call.
func hllErr(c *Ctx, err error) {
	switch {
	case errors.Is(err, store.ErrInvalidHLL):
		c.Err(errInvalidHLL)
	case errors.Is(err, store.ErrNotHLL):
		c.Err(errNotHLL)
	default:
		c.StoreErr(err)
	}
}

// PFADD key [element [element ...]]
func cmdPFAdd(c *Ctx) {
	updated, err := c.Tx.PFAdd(c.DB, c.Args[1], c.Args[2:], hllSparseMax(c))
	if err != nil {
		hllErr(c, err)
		return
	}
	if updated {
		c.Tx.Notify(c.DB, "pfadd", c.Args[1])
	}
	c.Int(b2int(updated))
}

// PFCOUNT key [key ...]
func cmdPFCount(c *Ctx) {
	n, err := c.Tx.PFCount(c.DB, c.Args[1:])
	if err != nil {
		hllErr(c, err)
		return
	}
	c.Int(int64(n))
}

// PFMERGE destkey [sourcekey [sourcekey ...]]
func cmdPFMerge(c *Ctx) {
	if err := c.Tx.PFMerge(c.DB, c.Args[1], c.Args[2:], hllSparseMax(c)); err != nil {
		hllErr(c, err)
		return
	}
	// Redis sends a pfadd event: a merge is a mixed add and merge.
	c.Tx.Notify(c.DB, "pfadd", c.Args[1])
	c.OK()
}

// PFDEBUG <GETREG | DECODE | ENCODING | TODENSE> key
func cmdPFDebug(c *Ctx) {
	sub := "" // unknown: reported once the key has been checked, as Redis does
	for _, s := range []string{"getreg", "decode", "encoding", "todense"} {
		if optIs(c.Args[1], s) {
			sub = s
		}
	}
	regs, text, converted, found, err := c.Tx.HLLDebug(c.DB, c.Args[2], sub)
	switch {
	case errors.Is(err, store.ErrNotSparse):
		c.Err(errPFDebugSparse)
		return
	case errors.Is(err, store.ErrUnknownDebug):
		c.Err(errPFDebugUnknown(c.Args[1]))
		return
	case err != nil:
		hllErr(c, err)
		return
	case !found:
		c.Err(errPFDebugNoKey)
		return
	}
	switch sub {
	case "getreg":
		c.Array(len(regs))
		for _, r := range regs {
			c.Int(int64(r))
		}
	case "decode":
		c.BulkStr(text)
	case "encoding":
		c.Status(text)
	case "todense":
		c.Int(b2int(converted))
	}
}

// PFSELFTEST
func cmdPFSelfTest(c *Ctx) {
	if err := store.HLLSelfTest(hllSparseMax(c)); err != nil {
		c.Err(err.Error())
		return
	}
	c.OK()
}
