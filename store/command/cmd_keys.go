package command

import (
	"github.com/diskdb/diskdb/store"
)

// Generic key commands (db.c, expire.c).

func init() {
	register(
		&Spec{Name: "del", Arity: -2, Flags: FlagWrite, FirstKey: 1, LastKey: -1, Handler: cmdDel, Group: "generic", Summary: "Deletes one or more keys.", Since: "1.0.0"},
		&Spec{Name: "unlink", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdDel, Group: "generic", Summary: "Asynchronously deletes one or more keys.", Since: "4.0.0"},
		&Spec{Name: "exists", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Handler: cmdExists, Group: "generic", Summary: "Determines whether one or more keys exist.", Since: "1.0.0"},
		&Spec{Name: "type", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Handler: cmdType, Group: "generic", Summary: "Determines the type of value stored at a key.", Since: "1.0.0"},
		&Spec{Name: "dbsize", Arity: 1, Flags: FlagReadOnly | FlagFast | ExecAfter, Handler: cmdDBSize, Group: "server", Summary: "Returns the number of keys in the database.", Since: "1.0.0"},
		&Spec{Name: "flushdb", Arity: -1, Flags: FlagWrite | ExecGlobal, Handler: cmdFlushDB, Group: "server", Summary: "Removes all keys from the current database.", Since: "1.0.0"},
		&Spec{Name: "flushall", Arity: -1, Flags: FlagWrite | ExecGlobal, Handler: cmdFlushAll, Group: "server", Summary: "Removes all keys from all databases.", Since: "1.0.0"},
		&Spec{Name: "keys", Arity: 2, Flags: FlagReadOnly | ExecGlobal, Handler: cmdKeys, Group: "generic", Summary: "Returns all key names that match a pattern.", Since: "1.0.0"},
	)
}

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

func cmdType(c *Ctx) {
	t, err := c.Tx.TypeOf(c.DB, c.Args[1])
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Status(t.String())
}

func cmdDBSize(c *Ctx) { c.Int(c.S.eng.DBSize(c.DB)) }

// parseFlushMode accepts FLUSHDB/FLUSHALL's [ASYNC | SYNC].
func parseFlushMode(c *Ctx) bool {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.is(1, "async") && !c.is(1, "sync")) {
		c.Err(errSyntax)
		return false
	}
	return true
}

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

func cmdKeys(c *Ctx) {
	pat := c.Args[1]
	all := len(pat) == 1 && pat[0] == '*'
	var keys [][]byte
	var after []byte
	for {
		ks, next, err := c.Tx.Scan(c.DB, after, store.ScanOpts{Count: 1024, Match: func(k []byte) bool {
			return all || store.Match(pat, k, false)
		}})
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
