package command

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/diskdb/diskdb/proto"
)

// CLIENT and COMMAND: introspection that clients and tools rely on.

func init() {
	register(
		&Spec{Name: "client", Arity: -2, Group: "connection", Summary: "A container for client connection commands.", Since: "2.4.0"},
		&Spec{Name: "client|id", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: func(c *Ctx) { c.Int(c.Cl.id) }, Group: "connection", Summary: "Returns the unique client ID of the connection.", Since: "5.0.0"},
		&Spec{Name: "client|setname", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientSetName, Group: "connection", Summary: "Sets the connection name.", Since: "2.6.9"},
		&Spec{Name: "client|getname", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientGetName, Group: "connection", Summary: "Returns the name of the connection.", Since: "2.6.9"},
		&Spec{Name: "client|setinfo", Arity: 4, Flags: FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientSetInfo, Group: "connection", Summary: "Sets information specific to the client or connection.", Since: "7.2.0"},
		&Spec{Name: "client|list", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientList, Group: "connection", Summary: "Lists open connections.", Since: "2.4.0"},
		&Spec{Name: "client|info", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientInfo, Group: "connection", Summary: "Returns information about the connection.", Since: "6.2.0"},
		&Spec{Name: "client|kill", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientKill, Group: "connection", Summary: "Terminates open connections.", Since: "2.4.0"},
		&Spec{Name: "client|no-evict", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientNoEvict, Group: "connection", Summary: "Sets the client eviction mode of the connection.", Since: "7.0.0"},
		&Spec{Name: "client|no-touch", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale | ExecInline, Handler: cmdClientNoTouch, Group: "connection", Summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", Since: "7.2.0"},
		&Spec{Name: "client|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: helpHandler("CLIENT", []string{
			"CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
			"GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
			"GETNAME", "    Return the name of the current connection.",
			"ID", "    Return the ID of the current connection.",
			"INFO", "    Return information about the current client connection.",
			"KILL <ip:port>", "    Kill connection made from <ip:port>.",
			"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
			"    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
			"    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
			"    * USER <username>", "      Kill connections authenticated by <username>.",
			"    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
			"    * ID <client-id>", "      Kill connections by client id.",
			"LIST [options ...]", "    Return information about client connections. Options:",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
			"UNPAUSE", "    Stop the current client pause, resuming traffic.",
			"PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
			"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			"UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
			"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]", "         [OPTIN] [OPTOUT] [NOLOOP]",
			"    Control server assisted client side caching.",
			"TRACKINGINFO", "    Report tracking status for the current connection.",
			"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
		}), Group: "connection", Summary: "Returns helpful text about the different subcommands.", Since: "5.0.0"},

		&Spec{Name: "command", Arity: -1, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdCommand, Group: "server", Summary: "Returns detailed information about all commands.", Since: "2.8.13"},
		&Spec{Name: "command|count", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdCommandCount, Group: "server", Summary: "Returns a count of commands.", Since: "2.8.13"},
		&Spec{Name: "command|info", Arity: -2, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdCommandInfo, Group: "server", Summary: "Returns information about one, multiple or all commands.", Since: "2.8.13"},
		&Spec{Name: "command|docs", Arity: -2, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdCommandDocs, Group: "server", Summary: "Returns documentary information about one, multiple or all commands.", Since: "7.0.0"},
		&Spec{Name: "command|list", Arity: -2, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdCommandList, Group: "server", Summary: "Returns a list of command names.", Since: "7.0.0"},
		&Spec{Name: "command|getkeys", Arity: -3, Flags: FlagLoading | FlagStale | ExecInline, Handler: cmdCommandGetKeys, Group: "server", Summary: "Extracts the key names from an arbitrary command.", Since: "2.8.13"},
	)
}

func cmdClientSetName(c *Ctx) {
	if !validClientName(c.Args[2]) {
		c.Err("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.Cl.info.Lock()
	c.Cl.name = string(c.Args[2])
	c.Cl.info.Unlock()
	c.OK()
}

func cmdClientGetName(c *Ctx) {
	c.Cl.info.Lock()
	name := c.Cl.name
	c.Cl.info.Unlock()
	if name == "" {
		c.Null()
		return
	}
	c.BulkStr(name)
}

func cmdClientSetInfo(c *Ctx) {
	v := c.Args[3]
	for _, ch := range v {
		if ch < '!' || ch > '~' {
			c.Err("ERR " + strings.ToUpper(string(c.Args[2])) + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	c.Cl.info.Lock()
	defer c.Cl.info.Unlock()
	switch {
	case c.is(2, "lib-name"):
		c.Cl.libName = string(v)
	case c.is(2, "lib-ver"):
		c.Cl.libVer = string(v)
	default:
		c.Err("ERR Unrecognized option '" + string(c.Args[2]) + "'")
		return
	}
	c.OK()
}

func cmdClientNoEvict(c *Ctx) {
	switch {
	case c.is(2, "on"), c.is(2, "off"):
		c.Cl.info.Lock()
		c.Cl.noEvict = c.is(2, "on")
		c.Cl.info.Unlock()
		c.OK()
	default:
		c.Err(errSyntax)
	}
}

func cmdClientNoTouch(c *Ctx) {
	switch {
	case c.is(2, "on"), c.is(2, "off"):
		c.Cl.info.Lock()
		c.Cl.noTouch = c.is(2, "on")
		c.Cl.info.Unlock()
		c.OK()
	default:
		c.Err(errSyntax)
	}
}

// infoLine formats the client as CLIENT LIST does.
func (cl *Client) infoLine(now time.Time) string {
	cl.info.Lock()
	defer cl.info.Unlock()
	resp := 2
	if cl.resp3 {
		resp = 3
	}
	flags := "N"
	if cl.noEvict {
		flags = "e"
	}
	idle := (now.UnixMilli() - cl.lastTouch.Load()) / 1000
	var b strings.Builder
	b.WriteString("id=" + itoa(cl.id))
	b.WriteString(" addr=" + cl.addr)
	b.WriteString(" laddr=" + cl.laddr)
	b.WriteString(" fd=0 name=" + cl.name)
	b.WriteString(" age=" + itoa(int64(now.Sub(cl.created)/time.Second)))
	b.WriteString(" idle=" + itoa(idle))
	b.WriteString(" flags=" + flags)
	b.WriteString(" db=" + strconv.Itoa(cl.db))
	b.WriteString(" sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r")
	b.WriteString(" cmd=" + cl.lastCmd)
	b.WriteString(" user=" + cl.user)
	b.WriteString(" redir=-1 resp=" + strconv.Itoa(resp))
	b.WriteString(" lib-name=" + cl.libName)
	b.WriteString(" lib-ver=" + cl.libVer)
	b.WriteString("\n")
	return b.String()
}

func (s *Server) clientList() []*Client {
	s.clientsMu.Lock()
	out := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	s.clientsMu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func cmdClientList(c *Ctx) {
	var ids map[int64]bool
	typeFilter := ""
	for i := 2; i < len(c.Args); i++ {
		switch {
		case c.is(i, "type") && i+1 < len(c.Args):
			typeFilter = lower(c.Args[i+1])
			switch typeFilter {
			case "normal", "master", "replica", "slave", "pubsub":
			default:
				c.Err("ERR Unknown client type '" + string(c.Args[i+1]) + "'")
				return
			}
			i++
		case c.is(i, "id") && i+1 < len(c.Args):
			ids = map[int64]bool{}
			for i++; i < len(c.Args); i++ {
				n, ok := parseInt(c.Args[i])
				if !ok || n <= 0 {
					c.Err("ERR Invalid client ID")
					return
				}
				ids[n] = true
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	now := time.Now()
	var b strings.Builder
	for _, cl := range c.S.clientList() {
		if ids != nil && !ids[cl.id] {
			continue
		}
		if typeFilter != "" && typeFilter != "normal" {
			continue
		}
		b.WriteString(cl.infoLine(now))
	}
	c.Verbatim(b.String())
}

func cmdClientInfo(c *Ctx) { c.Verbatim(c.Cl.infoLine(time.Now())) }

func cmdClientKill(c *Ctx) {
	if len(c.Args) == 3 {
		addr := string(c.Args[2])
		for _, cl := range c.S.clientList() {
			if cl.addr == addr {
				c.S.kill(cl)
				c.OK()
				return
			}
		}
		c.Err("ERR No such client")
		return
	}
	var id int64
	var addr, laddr, user, typ string
	skipme := true
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Err(errSyntax)
			return
		}
		v := string(c.Args[i+1])
		switch {
		case c.is(i, "id"):
			n, ok := parseInt(c.Args[i+1])
			if !ok || n <= 0 {
				c.Err("ERR client-id should be greater than 0")
				return
			}
			id = n
		case c.is(i, "addr"):
			addr = v
		case c.is(i, "laddr"):
			laddr = v
		case c.is(i, "user"):
			user = v
		case c.is(i, "type"):
			typ = strings.ToLower(v)
			switch typ {
			case "normal", "master", "replica", "slave", "pubsub":
			default:
				c.Err("ERR Unknown client type '" + v + "'")
				return
			}
		case c.is(i, "skipme"):
			switch strings.ToLower(v) {
			case "yes":
				skipme = true
			case "no":
				skipme = false
			default:
				c.Err(errSyntax)
				return
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	var n int64
	for _, cl := range c.S.clientList() {
		if (id != 0 && cl.id != id) || (addr != "" && cl.addr != addr) || (laddr != "" && cl.laddr != laddr) ||
			(user != "" && cl.user != user) || (typ != "" && typ != "normal") || (skipme && cl == c.Cl) {
			continue
		}
		c.S.kill(cl)
		n++
	}
	c.Int(n)
}

// kill closes a client's connection (CLIENT KILL).
func (s *Server) kill(cl *Client) {
	cl.mu.Lock()
	cl.killed = true
	cl.mu.Unlock()
	cl.conn.Close()
}

// --- COMMAND ---

func cmdCommand(c *Ctx) {
	specs := Commands()
	c.Array(len(specs))
	for _, sp := range specs {
		writeCommandInfo(c, sp)
	}
}

func cmdCommandCount(c *Ctx) { c.Int(int64(len(table))) }

func cmdCommandList(c *Ctx) {
	var pattern []byte
	if len(c.Args) > 2 {
		if len(c.Args) != 5 || !c.is(2, "filterby") || !c.is(3, "pattern") {
			if len(c.Args) == 5 && c.is(2, "filterby") && (c.is(3, "aclcat") || c.is(3, "module")) {
				c.Array(0)
				return
			}
			c.Err(errSyntax)
			return
		}
		pattern = c.Args[4]
	}
	var names []string
	for _, sp := range Commands() {
		names = append(names, sp.Name)
		for _, sub := range SortedSubs(sp) {
			names = append(names, sub.Name)
		}
	}
	var out []string
	for _, n := range names {
		if pattern == nil || matchGlob(pattern, n) {
			out = append(out, n)
		}
	}
	c.Array(len(out))
	for _, n := range out {
		c.BulkStr(n)
	}
}

// SortedSubs returns the subcommands of sp by name.
func SortedSubs(sp *Spec) []*Spec {
	out := make([]*Spec, 0, len(sp.Subs))
	for _, s := range sp.Subs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func findSpec(name []byte) *Spec {
	n := lower(name)
	if i := strings.IndexByte(n, '|'); i > 0 {
		if p := table[n[:i]]; p != nil {
			return p.Subs[n[i+1:]]
		}
		return nil
	}
	return table[n]
}

func cmdCommandInfo(c *Ctx) {
	if len(c.Args) == 2 {
		cmdCommand(c)
		return
	}
	c.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		sp := findSpec(a)
		if sp == nil {
			c.NullArray()
			continue
		}
		writeCommandInfo(c, sp)
	}
}

func writeCommandInfo(c *Ctx, sp *Spec) {
	c.Array(10)
	c.BulkStr(sp.Name)
	c.Int(int64(sp.Arity))
	flags := sp.FlagNames()
	c.Set(len(flags))
	for _, f := range flags {
		c.Status(f)
	}
	first, last, step := sp.FirstKey, sp.LastKey, sp.Step
	if sp.KeysFn != nil && first == 0 {
		first, last, step = 0, 0, 0
	}
	c.Int(int64(first))
	c.Int(int64(last))
	c.Int(int64(step))
	cats := aclCategories(sp)
	c.Set(len(cats))
	for _, cat := range cats {
		c.Status("@" + cat)
	}
	c.Set(0) // tips
	if first > 0 {
		c.Array(1)
		c.Map(4)
		c.BulkStr("flags")
		c.Set(0)
		c.BulkStr("begin_search")
		c.Map(2)
		c.BulkStr("type")
		c.BulkStr("index")
		c.BulkStr("spec")
		c.Map(1)
		c.BulkStr("index")
		c.Int(int64(first))
		c.BulkStr("find_keys")
		c.Map(2)
		c.BulkStr("type")
		c.BulkStr("range")
		c.BulkStr("spec")
		c.Map(3)
		c.BulkStr("lastkey")
		if last >= 0 {
			c.Int(int64(last - first))
		} else {
			c.Int(int64(last))
		}
		c.BulkStr("keystep")
		c.Int(int64(step))
		c.BulkStr("limit")
		c.Int(0)
	} else {
		c.Array(0)
	}
	subs := SortedSubs(sp)
	c.Array(len(subs))
	for _, sub := range subs {
		writeCommandInfo(c, sub)
	}
}

// aclCategories derives a command's ACL categories from its group and flags.
func aclCategories(sp *Spec) []string {
	var cats []string
	add := func(s string) {
		for _, c := range cats {
			if c == s {
				return
			}
		}
		cats = append(cats, s)
	}
	if sp.Flags&FlagWrite != 0 {
		add("write")
	}
	if sp.Flags&FlagReadOnly != 0 {
		add("read")
	}
	if sp.Flags&FlagAdmin != 0 {
		add("admin")
		add("dangerous")
	}
	if sp.Flags&FlagPubSub != 0 {
		add("pubsub")
	}
	if sp.Flags&FlagFast != 0 {
		add("fast")
	} else if sp.Flags&(FlagWrite|FlagReadOnly) != 0 {
		add("slow")
	}
	if sp.Flags&FlagBlocking != 0 {
		add("blocking")
	}
	switch sp.Group {
	case "string", "list", "hash", "set", "bitmap", "hyperloglog", "geo", "stream":
		add(sp.Group)
	case "sorted-set":
		add("sortedset")
	case "generic":
		add("keyspace")
	case "connection":
		add("connection")
	case "transactions":
		add("transaction")
	case "scripting":
		add("scripting")
	}
	for _, a := range sp.ACL {
		add(a)
	}
	if len(cats) == 0 {
		add("slow")
	}
	return cats
}

func cmdCommandDocs(c *Ctx) {
	var specs []*Spec
	if len(c.Args) == 2 {
		for _, sp := range Commands() {
			specs = append(specs, sp)
		}
	} else {
		for _, a := range c.Args[2:] {
			if sp := findSpec(a); sp != nil {
				specs = append(specs, sp)
			}
		}
	}
	c.Map(len(specs))
	for _, sp := range specs {
		c.BulkStr(sp.Name)
		writeDocs(c, sp)
	}
}

func writeDocs(c *Ctx, sp *Spec) {
	subs := SortedSubs(sp)
	n := 3
	if len(subs) > 0 {
		n++
	}
	c.Map(n)
	c.BulkStr("summary")
	c.BulkStr(sp.Summary)
	c.BulkStr("since")
	c.BulkStr(sp.Since)
	c.BulkStr("group")
	c.BulkStr(sp.Group)
	if len(subs) > 0 {
		c.BulkStr("subcommands")
		c.Map(len(subs))
		for _, sub := range subs {
			c.BulkStr(sub.Name)
			writeDocs(c, sub)
		}
	}
}

func cmdCommandGetKeys(c *Ctx) {
	args := c.Args[2:]
	sp, _ := lookup(args[0], nil)
	if sp != nil && sp.Subs != nil && len(args) > 1 {
		sp, _ = lookupSub(sp, args[1], nil)
	}
	if sp == nil {
		c.Err("ERR Invalid command specified")
		return
	}
	if !sp.arityOK(len(args)) {
		c.Err("ERR Invalid number of arguments specified for command")
		return
	}
	pos := sp.keyPositions(args, nil)
	if len(pos) == 0 {
		c.Err("ERR The command has no key arguments")
		return
	}
	c.Array(len(pos))
	for _, p := range pos {
		c.Bulk(args[p])
	}
}

func matchGlob(pattern []byte, s string) bool {
	return storeMatch(pattern, []byte(s), false)
}

func parseInt(b []byte) (int64, bool) { return proto.ParseInt(b) }
