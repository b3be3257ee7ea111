package command

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskdb/diskdb/proto"
)

// CLIENT: the connection's own settings and the registry of connections.

func init() {
	sess := FlagNoScript | FlagLoading | FlagStale | ExecInline
	adm := FlagAdmin | sess
	register(
		&Spec{Name: "client", Arity: -2, Group: "connection", Summary: "A container for client connection commands.", Since: "2.4.0"},
		&Spec{Name: "client|id", Arity: 2, Flags: sess, Handler: func(c *Ctx) { c.Int(c.Cl.id) }, Group: "connection", Summary: "Returns the unique client ID of the connection.", Since: "5.0.0"},
		&Spec{Name: "client|setname", Arity: 3, Flags: sess, Handler: cmdClientSetName, Group: "connection", Summary: "Sets the connection name.", Since: "2.6.9"},
		&Spec{Name: "client|getname", Arity: 2, Flags: sess, Handler: cmdClientGetName, Group: "connection", Summary: "Returns the name of the connection.", Since: "2.6.9"},
		&Spec{Name: "client|setinfo", Arity: 4, Flags: sess, Handler: cmdClientSetInfo, Group: "connection", Summary: "Sets information specific to the client or connection.", Since: "7.2.0"},
		&Spec{Name: "client|list", Arity: -2, Flags: adm, Handler: cmdClientList, Group: "connection", Summary: "Lists open connections.", Since: "2.4.0"},
		&Spec{Name: "client|info", Arity: 2, Flags: sess, Handler: cmdClientInfo, Group: "connection", Summary: "Returns information about the connection.", Since: "6.2.0"},
		&Spec{Name: "client|kill", Arity: -3, Flags: adm, Handler: cmdClientKill, Group: "connection", Summary: "Terminates open connections.", Since: "2.4.0"},
		&Spec{Name: "client|no-evict", Arity: 3, Flags: adm, Handler: cmdClientNoEvict, Group: "connection", Summary: "Sets the client eviction mode of the connection.", Since: "7.0.0"},
		&Spec{Name: "client|no-touch", Arity: 3, Flags: sess, Handler: cmdClientNoTouch, Group: "connection", Summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", Since: "7.2.0"},
		&Spec{Name: "client|reply", Arity: 3, Flags: sess, Handler: cmdClientReply, Group: "connection", Summary: "Instructs the server whether to reply to commands.", Since: "3.2.0"},
		&Spec{Name: "client|pause", Arity: -3, Flags: adm, Handler: cmdClientPause, Group: "connection", Summary: "Suspends commands processing.", Since: "3.0.0"},
		&Spec{Name: "client|unpause", Arity: 2, Flags: adm, Handler: cmdClientUnpause, Group: "connection", Summary: "Resumes processing commands from paused clients.", Since: "6.2.0"},
		&Spec{Name: "client|unblock", Arity: -3, Flags: adm, Handler: cmdClientUnblock, Group: "connection", Summary: "Unblocks a client blocked by a blocking command from a different connection.", Since: "5.0.0"},
		&Spec{Name: "client|getredir", Arity: 2, Flags: sess, Handler: cmdClientGetRedir, Group: "connection", Summary: "Returns the client ID to which the connection's tracking notifications are redirected.", Since: "6.0.0"},
		&Spec{Name: "client|trackinginfo", Arity: 2, Flags: sess, Handler: cmdClientTrackingInfo, Group: "connection", Summary: "Returns information about server-assisted client-side caching for the connection.", Since: "6.2.0"},
		// TRACKING and CACHING take effect in order with the keyed commands
		// sent before them in the same pipeline (ExecAfter).
		&Spec{Name: "client|tracking", Arity: -3, Flags: sess&^ExecInline | ExecAfter, Handler: cmdClientTracking, Group: "connection", Summary: "Controls server-assisted client-side caching for the connection.", Since: "6.0.0"},
		&Spec{Name: "client|caching", Arity: 3, Flags: sess&^ExecInline | ExecAfter, Handler: cmdClientCaching, Group: "connection", Summary: "Instructs the server whether to track the keys in the next request.", Since: "6.0.0"},
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
	)
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

// CLIENT SETNAME connection-name
func cmdClientSetName(c *Ctx) {
	if !validClientName(c.Args[2]) {
		c.Err(errClientName)
		return
	}
	c.Cl.info.Lock()
	c.Cl.name = string(c.Args[2])
	c.Cl.info.Unlock()
	c.OK()
}

// CLIENT GETNAME
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

// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; accepted so that
// clients which announce themselves get +OK).
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

// CLIENT NO-EVICT ON|OFF
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

// CLIENT NO-TOUCH ON|OFF (Redis 7.2)
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

// --- CLIENT REPLY ---

// Reply modes of a client (Client.replyMode).
const (
	replyOn   = 0
	replyOff  = 1
	replySkip = 2 // drop the reply of the next command only
)

// muteNext is called by the dispatcher once per command, in order: it
// returns the mode that drops the command's reply (0: reply).
func (cl *Client) muteNext() int {
	switch cl.replyMode {
	case replyOff:
		return replyOff
	case replySkip:
		cl.replyMode = replyOn
		return replySkip
	}
	return 0
}

// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP are not answered; ON is, even when
// it is the command SKIP dropped.
func cmdClientReply(c *Ctx) {
	cl := c.Cl
	switch {
	case c.is(2, "on"):
		cl.replyMode = replyOn
		cl.replyUnmute = true
		c.OK()
	case c.is(2, "off"):
		cl.replyMode = replyOff
	case c.is(2, "skip"):
		if cl.replyMode != replyOff {
			cl.replyMode = replySkip
		}
	default:
		c.Err(errSyntax)
	}
}

// --- CLIENT PAUSE ---

// pauseState is the server's CLIENT PAUSE: until when, and whether all
// commands or only those that write wait.
type pauseState struct {
	on    atomic.Bool // fast path: false when no pause was ever set or it was lifted
	mu    sync.Mutex
	until time.Time
	all   bool
	wake  chan struct{} // closed when the pause is lifted or changed
}

// blocks reports whether sp must wait for the pause to end.
func (p *pauseState) blocks(sp *Spec) bool {
	if !p.on.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !time.Now().Before(p.until) {
		p.liftLocked()
		return false
	}
	return p.all || pausedOnWrite(sp)
}

// pausedOnWrite reports whether CLIENT PAUSE WRITE holds sp: commands that
// write, and those Redis may propagate.
func pausedOnWrite(sp *Spec) bool {
	if sp.Flags&FlagWrite != 0 {
		return true
	}
	switch sp.Name {
	case "publish", "spublish", "pfcount", "eval", "evalsha", "fcall", "wait":
		return true
	}
	return false
}

// set starts or extends a pause. As in Redis, a pause never gets shorter
// and never changes from ALL to WRITE while it lasts.
func (p *pauseState) set(until time.Time, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	active := p.on.Load() && time.Now().Before(p.until)
	if !active {
		p.until, p.all = until, all
	} else {
		if until.After(p.until) {
			p.until = until
		}
		p.all = p.all || all
	}
	if p.wake == nil {
		p.wake = make(chan struct{})
	}
	p.on.Store(true)
}

func (p *pauseState) lift() {
	p.mu.Lock()
	p.liftLocked()
	p.mu.Unlock()
}

func (p *pauseState) liftLocked() {
	p.on.Store(false)
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
}

// wait blocks until the pause ends or is lifted.
func (p *pauseState) wait() {
	p.mu.Lock()
	until, wake := p.until, p.wake
	p.mu.Unlock()
	if wake == nil {
		return
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	}
}

// awaitUnpause runs on its own goroutine for a batch held by CLIENT PAUSE:
// it waits, then continues the batch from the held command (which checks
// the pause again).
func (cl *Client) awaitUnpause() {
	sp := cl.cmds[cl.next].spec
	for cl.s.adm.pause.blocks(sp) {
		cl.s.adm.pause.wait()
		cl.mu.Lock()
		killed := cl.killed
		cl.mu.Unlock()
		if killed {
			cl.closing = true // the client is gone: drop the rest of the batch
			break
		}
	}
	cl.resume()
}

// CLIENT PAUSE timeout [WRITE|ALL]
func cmdClientPause(c *Ctx) {
	if len(c.Args) > 4 {
		c.Err(errSubSyntax(c.Args[1], "CLIENT"))
		return
	}
	ms, ok := parseInt(c.Args[2])
	if !ok {
		c.Err("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.Err(errTimeoutNeg)
		return
	}
	all := true
	if len(c.Args) == 4 {
		switch {
		case c.is(3, "write"):
			all = false
		case c.is(3, "all"):
		default:
			c.Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	const maxPause = int64(1<<63-1) / int64(time.Millisecond)
	if ms > maxPause-time.Now().UnixMilli() {
		ms = maxPause - time.Now().UnixMilli()
	}
	c.S.adm.pause.set(time.Now().Add(time.Duration(ms)*time.Millisecond), all)
	c.OK()
}

// CLIENT UNPAUSE
func cmdClientUnpause(c *Ctx) {
	c.S.adm.pause.lift()
	c.OK()
}

// --- CLIENT UNBLOCK ---

// Unblockers are asked, in turn, to wake a client blocked in a blocking
// command (CLIENT UNBLOCK). Each reports whether the client was blocked by
// it. withError asks for the UNBLOCKED error instead of a timeout reply.
// Blocking commands register theirs from an init function.
var unblockers []func(cl *Client, withError bool) bool

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
func cmdClientUnblock(c *Ctx) {
	if len(c.Args) > 4 {
		c.Err(errSubSyntax(c.Args[1], "CLIENT"))
		return
	}
	id, ok := c.Int64(2)
	if !ok {
		return
	}
	withErr := false
	if len(c.Args) == 4 {
		switch {
		case c.is(3, "timeout"):
		case c.is(3, "error"):
			withErr = true
		default:
			c.Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	c.S.clientsMu.Lock()
	target := c.S.clients[id]
	c.S.clientsMu.Unlock()
	if target != nil {
		for _, u := range unblockers {
			if u(target, withErr) {
				c.Int(1)
				return
			}
		}
	}
	c.Int(0)
}

// --- CLIENT LIST, INFO, KILL ---

// infoLine formats the client as a line of CLIENT LIST (redis-server 7.0's
// fields, in its order).
func (cl *Client) infoLine(b []byte, now time.Time) []byte {
	cl.info.Lock()
	defer cl.info.Unlock()
	resp := 2
	if cl.resp3 {
		resp = 3
	}
	flags, redir := cl.trackingListFlags()
	if cl.noEvict {
		flags += "e"
	}
	if flags == "" {
		flags = "N"
	}
	cmd := "NULL"
	if sp := cl.lastSpec.Load(); sp != nil {
		cmd = sp.Name
	}
	fd := 0
	if f, ok := cl.conn.(interface{ Fd() int }); ok {
		fd = f.Fd()
	}
	idle := (now.UnixMilli() - cl.lastTouch.Load()) / 1000
	if idle < 0 {
		idle = 0
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, cl.id, 10)
	b = append(b, " addr="...)
	b = append(b, cl.addr...)
	b = append(b, " laddr="...)
	b = append(b, cl.laddr...)
	b = append(b, " fd="...)
	b = strconv.AppendInt(b, int64(fd), 10)
	b = append(b, " name="...)
	b = append(b, cl.name...)
	b = append(b, " age="...)
	b = strconv.AppendInt(b, int64(now.Sub(cl.created)/time.Second), 10)
	b = append(b, " idle="...)
	b = strconv.AppendInt(b, idle, 10)
	b = append(b, " flags="...)
	b = append(b, flags...)
	b = append(b, " db="...)
	b = strconv.AppendInt(b, int64(cl.db), 10)
	b = append(b, " sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd="...)
	b = append(b, cmd...)
	b = append(b, " user="...)
	b = append(b, cl.user...)
	b = append(b, " redir="...)
	b = strconv.AppendInt(b, redir, 10)
	b = append(b, " resp="...)
	b = strconv.AppendInt(b, int64(resp), 10)
	return append(b, '\n')
}

// clientList returns the connected clients by id.
func (s *Server) clientList() []*Client {
	s.clientsMu.Lock()
	out := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	s.clientsMu.Unlock()
	// Clients already killed are on their way out (Redis frees them
	// before its next event loop turn): they are not listed or killed again.
	live := out[:0]
	for _, cl := range out {
		cl.mu.Lock()
		gone := cl.killed
		cl.mu.Unlock()
		if !gone {
			live = append(live, cl)
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].id < live[j].id })
	return live
}

// validClientType checks a TYPE filter; DiskDB's clients are all "normal".
func validClientType(t string) bool {
	switch t {
	case "normal", "master", "replica", "slave", "pubsub":
		return true
	}
	return false
}

// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]
func cmdClientList(c *Ctx) {
	now := time.Now()
	var b []byte
	switch {
	case len(c.Args) == 2:
		for _, cl := range c.S.clientList() {
			b = cl.infoLine(b, now)
		}
	case len(c.Args) == 4 && c.is(2, "type"):
		t := lower(c.Args[3])
		if !validClientType(t) {
			c.Err("ERR Unknown client type '" + string(c.Args[3]) + "'")
			return
		}
		if t == "normal" {
			for _, cl := range c.S.clientList() {
				b = cl.infoLine(b, now)
			}
		}
	case len(c.Args) > 3 && c.is(2, "id"):
		ids := make([]int64, 0, min(len(c.Args)-3, 1024))
		for _, a := range c.Args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.Err("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			c.S.clientsMu.Lock()
			cl := c.S.clients[id]
			c.S.clientsMu.Unlock()
			if cl != nil {
				b = cl.infoLine(b, now)
			}
		}
	default:
		c.Err(errSyntax)
		return
	}
	c.Verbatim(string(b))
}

// CLIENT INFO
func cmdClientInfo(c *Ctx) { c.Verbatim(string(c.Cl.infoLine(nil, time.Now()))) }

// CLIENT KILL ip:port | CLIENT KILL <filter> <value> ...
func cmdClientKill(c *Ctx) {
	if len(c.Args) == 3 {
		addr := string(c.Args[2])
		for _, cl := range c.S.clientList() {
			if cl.addr == addr {
				c.S.kill(c, cl)
				c.OK()
				return
			}
		}
		c.Err("ERR No such client")
		return
	}
	var id int64
	var addr, laddr, user, typ string
	var hasAddr, hasLaddr, hasUser bool
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
			addr, hasAddr = v, true
		case c.is(i, "laddr"):
			laddr, hasLaddr = v, true
		case c.is(i, "user"):
			if v != "default" {
				c.Err("ERR No such user '" + v + "'")
				return
			}
			user, hasUser = v, true
		case c.is(i, "type"):
			typ = strings.ToLower(v)
			if !validClientType(typ) {
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
		if (id != 0 && cl.id != id) || (hasAddr && cl.addr != addr) || (hasLaddr && cl.laddr != laddr) ||
			(typ != "" && typ != "normal") || (skipme && cl == c.Cl) {
			continue
		}
		if hasUser {
			cl.info.Lock()
			u := cl.user
			cl.info.Unlock()
			if u != user {
				continue
			}
		}
		c.S.kill(c, cl)
		n++
	}
	c.Int(n)
}

// kill closes a client's connection (CLIENT KILL). The client running the
// command gets its reply first, as in Redis.
func (s *Server) kill(c *Ctx, cl *Client) {
	if cl == c.Cl {
		cl.closing = true
		return
	}
	cl.mu.Lock()
	cl.killed = true
	cl.mu.Unlock()
	cl.conn.Close()
}

// validClientName accepts printable ASCII without spaces (CLIENT SETNAME).
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func parseInt(b []byte) (int64, bool) { return proto.ParseInt(b) }

// --- COMMAND ---

func init() {
	intro := FlagLoading | FlagStale | ExecInline
	conn := []string{"connection"}
	register(
		&Spec{Name: "command", Arity: -1, Flags: intro, Handler: cmdCommand, ACL: conn, Group: "server", Summary: "Returns detailed information about all commands.", Since: "2.8.13"},
		&Spec{Name: "command|count", Arity: 2, Flags: intro, Handler: cmdCommandCount, ACL: conn, Group: "server", Summary: "Returns a count of commands.", Since: "2.8.13"},
		&Spec{Name: "command|info", Arity: -2, Flags: intro, Handler: cmdCommandInfo, ACL: conn, Group: "server", Summary: "Returns information about one, multiple or all commands.", Since: "2.8.13"},
		&Spec{Name: "command|docs", Arity: -2, Flags: intro, Handler: cmdCommandDocs, ACL: conn, Group: "server", Summary: "Returns documentary information about one, multiple or all commands.", Since: "7.0.0"},
		&Spec{Name: "command|list", Arity: -2, Flags: intro, Handler: cmdCommandList, ACL: conn, Group: "server", Summary: "Returns a list of command names.", Since: "7.0.0"},
		&Spec{Name: "command|getkeys", Arity: -4, Flags: intro, Handler: cmdCommandGetKeys, ACL: conn, Group: "server", Summary: "Extracts the key names from an arbitrary command.", Since: "2.8.13"},
		&Spec{Name: "command|getkeysandflags", Arity: -4, Flags: intro, Handler: cmdCommandGetKeys, ACL: conn, Group: "server", Summary: "Extracts the key names and access flags for an arbitrary command.", Since: "7.0.0"},
		&Spec{Name: "command|help", Arity: 2, Flags: intro, Handler: helpHandler("COMMAND", []string{
			"(no subcommand)", "    Return details about all Redis commands.",
			"COUNT", "    Return the total number of commands in this Redis server.",
			"LIST", "    Return a list of all commands in this Redis server.",
			"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
			"    If no command names are given, documentation details for all",
			"    commands are returned.",
			"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
			"    If no command names are given, documentation details for all",
			"    commands are returned.",
			"GETKEYS <full-command>", "    Return the keys from a full Redis command.",
			"GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
		}), ACL: conn, Group: "server", Summary: "Returns helpful text about the different subcommands.", Since: "5.0.0"},
	)
}

// COMMAND
func cmdCommand(c *Ctx) {
	specs := Commands()
	c.Array(len(specs))
	for _, sp := range specs {
		writeCommandInfo(c, sp)
	}
}

// COMMAND COUNT
func cmdCommandCount(c *Ctx) { c.Int(int64(len(table))) }

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
func cmdCommandList(c *Ctx) {
	var match func(sp *Spec) bool
	switch {
	case len(c.Args) == 2:
		match = func(*Spec) bool { return true }
	case len(c.Args) == 5 && c.is(2, "filterby"):
		arg := c.Args[4]
		switch {
		case c.is(3, "module"):
			match = func(*Spec) bool { return false } // no modules
		case c.is(3, "aclcat"):
			cat := lower(arg)
			match = func(sp *Spec) bool {
				for _, x := range aclCategories(sp) {
					if x == cat {
						return true
					}
				}
				return false
			}
		case c.is(3, "pattern"):
			match = func(sp *Spec) bool { return storeMatch(arg, []byte(sp.Name), true) }
		default:
			c.Err(errSyntax)
			return
		}
	default:
		c.Err(errSyntax)
		return
	}
	var out []string
	for _, sp := range Commands() {
		if match(sp) {
			out = append(out, sp.Name)
		}
		for _, sub := range SortedSubs(sp) {
			if match(sub) {
				out = append(out, sub.Name)
			}
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

// findSpec looks a command up by its full name ("get", "client|list").
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

// COMMAND INFO [command-name ...]
func cmdCommandInfo(c *Ctx) {
	if len(c.Args) == 2 {
		cmdCommand(c)
		return
	}
	c.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		sp := findSpec(a)
		if sp == nil {
			c.Null()
			continue
		}
		writeCommandInfo(c, sp)
	}
}

// FlagNoAsyncLoading marks commands refused while a replica loads a data
// set in the background; reported by COMMAND INFO only.
const FlagNoAsyncLoading Flag = 1 << 24

// commandFlagNames are the flags COMMAND INFO reports, in redis-server's
// order. movablekeys is derived from Spec.KeysFn.
var commandFlagNames = []struct {
	f    Flag
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"},
	{FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagNoAsyncLoading, "no_async_loading"},
	{FlagNoMulti, "no_multi"}, {0, "movablekeys"}, {FlagAllowBusy, "allow_busy"},
}

func commandFlags(sp *Spec) []string {
	var out []string
	for _, f := range commandFlagNames {
		if f.f == 0 {
			if sp.KeysFn != nil {
				out = append(out, f.name)
			}
			continue
		}
		if sp.Flags&f.f != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// aclCategoryOrder is the order in which redis-server lists categories.
var aclCategoryOrder = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting"}

// aclCategories derives a command's ACL categories from its flags, its
// group and Spec.ACL, as redis-server derives the implicit ones.
func aclCategories(sp *Spec) []string {
	set := map[string]bool{}
	if sp.Handler == nil && sp.Subs != nil {
		return []string{"slow"} // a container
	}
	if sp.Flags&FlagWrite != 0 {
		set["write"] = true
	}
	if sp.Flags&FlagReadOnly != 0 && sp.Group != "scripting" {
		set["read"] = true
	}
	if sp.Flags&FlagAdmin != 0 {
		set["admin"], set["dangerous"] = true, true
	}
	if sp.Flags&FlagPubSub != 0 {
		set["pubsub"] = true
	}
	if sp.Flags&FlagFast != 0 {
		set["fast"] = true
	}
	if sp.Flags&FlagBlocking != 0 {
		set["blocking"] = true
	}
	switch sp.Group {
	case "string", "list", "hash", "set", "bitmap", "hyperloglog", "geo", "stream", "connection", "scripting", "pubsub":
		set[sp.Group] = true
	case "sorted-set", "sorted_set":
		set["sortedset"] = true
	case "generic":
		set["keyspace"] = true
	case "transactions":
		set["transaction"] = true
	}
	for _, a := range sp.ACL {
		set[strings.TrimPrefix(a, "@")] = true
	}
	if !set["fast"] {
		set["slow"] = true
	}
	out := make([]string, 0, len(set))
	for _, cat := range aclCategoryOrder {
		if set[cat] {
			out = append(out, cat)
		}
	}
	return out
}

// commandTips are redis-server 7.0's command tips (COMMAND INFO).
var commandTips = map[string][]string{
	"client|info": {"nondeterministic_output"}, "client|list": {"nondeterministic_output"},
	"command": {"nondeterministic_output_order"}, "command|docs": {"nondeterministic_output_order"},
	"command|list": {"nondeterministic_output_order"}, "command|info": {"nondeterministic_output_order"},
	"config|set": {"request_policy:all_nodes", "response_policy:all_succeeded"},
	"dbsize":     {"request_policy:all_shards", "response_policy:agg_sum"},
	"del":        {"request_policy:multi_shard", "response_policy:agg_sum"},
	"dump":       {"nondeterministic_output"},
	"exists":     {"request_policy:multi_shard", "response_policy:agg_sum"},
	"flushall":   {"request_policy:all_shards", "response_policy:all_succeeded"},
	"flushdb":    {"request_policy:all_shards", "response_policy:all_succeeded"},
	"hgetall":    {"nondeterministic_output_order"}, "hkeys": {"nondeterministic_output_order"},
	"hrandfield": {"nondeterministic_output"}, "hscan": {"nondeterministic_output"},
	"hvals":           {"nondeterministic_output_order"},
	"info":            {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
	"keys":            {"request_policy:all_shards", "nondeterministic_output_order"},
	"lastsave":        {"nondeterministic_output"},
	"mget":            {"request_policy:multi_shard"},
	"mset":            {"request_policy:multi_shard", "response_policy:all_succeeded"},
	"msetnx":          {"request_policy:multi_shard", "response_policy:agg_min"},
	"object|encoding": {"nondeterministic_output"}, "object|freq": {"nondeterministic_output"},
	"object|idletime": {"nondeterministic_output"}, "object|refcount": {"nondeterministic_output"},
	"ping":          {"request_policy:all_shards", "response_policy:all_succeeded"},
	"pttl":          {"nondeterministic_output"},
	"randomkey":     {"request_policy:all_shards", "nondeterministic_output"},
	"scan":          {"nondeterministic_output", "request_policy:special"},
	"script|flush":  {"request_policy:all_nodes", "response_policy:all_succeeded"},
	"script|exists": {"request_policy:all_shards", "response_policy:agg_logical_and"},
	"script|kill":   {"request_policy:all_shards", "response_policy:one_succeeded"},
	"script|load":   {"request_policy:all_nodes", "response_policy:all_succeeded"},
	"sdiff":         {"nondeterministic_output_order"}, "sinter": {"nondeterministic_output_order"},
	"slowlog|get":   {"request_policy:all_nodes", "nondeterministic_output"},
	"slowlog|reset": {"request_policy:all_nodes", "response_policy:all_succeeded"},
	"slowlog|len":   {"request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"},
	"smembers":      {"nondeterministic_output_order"}, "spop": {"nondeterministic_output"},
	"srandmember": {"nondeterministic_output"}, "sscan": {"nondeterministic_output"},
	"sunion": {"nondeterministic_output_order"}, "time": {"nondeterministic_output"},
	"touch":  {"request_policy:multi_shard", "response_policy:agg_sum"},
	"ttl":    {"nondeterministic_output"},
	"unlink": {"request_policy:multi_shard", "response_policy:agg_sum"},
	"wait":   {"request_policy:all_shards", "response_policy:agg_min"},
	"xadd":   {"nondeterministic_output"}, "xautoclaim": {"nondeterministic_output"},
	"xclaim": {"nondeterministic_output"}, "xinfo|consumers": {"nondeterministic_output"},
	"xpending": {"nondeterministic_output"}, "xtrim": {"nondeterministic_output"},
	"zrandmember": {"nondeterministic_output"}, "zscan": {"nondeterministic_output"},
	"function|list":       {"nondeterministic_output_order"},
	"function|stats":      {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
	"memory|stats":        {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
	"memory|doctor":       {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
	"memory|malloc-stats": {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
	"memory|purge":        {"request_policy:all_shards", "response_policy:all_succeeded"},
	"latency|reset":       {"request_policy:all_nodes", "response_policy:all_succeeded"},
	"latency|latest":      {"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"},
	"latency|history":     {"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"},
	"latency|doctor":      {"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"},
	"latency|graph":       {"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"},
	"latency|histogram":   {"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"},
	"module|list":         {"nondeterministic_output_order"},
	"migrate":             {"nondeterministic_output"},
}

// keyFlags derives the flags of a command's key arguments (key specs,
// COMMAND GETKEYSANDFLAGS) from the command's flags.
func keyFlags(sp *Spec) []string {
	switch {
	case sp.Flags&FlagWrite != 0:
		return []string{"RW", "access", "update"}
	case sp.Flags&FlagReadOnly != 0:
		return []string{"RO", "access"}
	}
	return nil
}

// writeCommandInfo writes COMMAND INFO's 10 fields for sp: name, arity,
// flags, first key, last key, step, ACL categories, tips, key specs and
// subcommands.
func writeCommandInfo(c *Ctx, sp *Spec) {
	c.Array(10)
	c.BulkStr(sp.Name)
	c.Int(int64(sp.Arity))
	flags := commandFlags(sp)
	c.Set(len(flags))
	for _, f := range flags {
		c.Status(f)
	}
	first, last, step := sp.FirstKey, sp.LastKey, sp.Step
	if first <= 0 {
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
	tips := commandTips[sp.Name]
	c.Set(len(tips))
	for _, t := range tips {
		c.BulkStr(t)
	}
	switch { // key specs: a set in RESP3, as redis-server replies
	case first > 0:
		c.Set(1)
		writeKeySpecHead(c, sp)
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
	case sp.KeysFn != nil:
		// Key positions depend on the arguments (COMMAND GETKEYS finds them).
		c.Set(1)
		writeKeySpecHead(c, sp)
		c.Map(0)
		c.BulkStr("find_keys")
		c.Map(2)
		c.BulkStr("type")
		c.BulkStr("unknown")
		c.BulkStr("spec")
		c.Map(0)
	default:
		c.Set(0)
	}
	subs := SortedSubs(sp)
	c.Set(len(subs))
	for _, sub := range subs {
		writeCommandInfo(c, sub)
	}
}

// writeKeySpecHead opens a key spec: its flags and begin_search up to the
// begin_search type's value.
func writeKeySpecHead(c *Ctx, sp *Spec) {
	c.Map(3)
	c.BulkStr("flags")
	kf := keyFlags(sp)
	c.Set(len(kf))
	for _, f := range kf {
		c.Status(f)
	}
	c.BulkStr("begin_search")
	c.Map(2)
	c.BulkStr("type")
	if sp.FirstKey > 0 {
		c.BulkStr("index")
	} else {
		c.BulkStr("unknown")
	}
	c.BulkStr("spec")
}

// COMMAND DOCS [command-name ...]
func cmdCommandDocs(c *Ctx) {
	var specs []*Spec
	if len(c.Args) == 2 {
		specs = Commands()
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

// COMMAND GETKEYS command [arg ...] and COMMAND GETKEYSANDFLAGS.
func cmdCommandGetKeys(c *Ctx) {
	withFlags := c.is(1, "getkeysandflags")
	args := c.Args[2:]
	sp, _ := lookup(args[0], nil)
	if sp != nil && sp.Subs != nil && len(args) > 1 {
		sp, _ = lookupSub(sp, args[1], nil)
	}
	if sp == nil {
		c.Err("ERR Invalid command specified")
		return
	}
	if sp.FirstKey <= 0 && sp.KeysFn == nil {
		c.Err("ERR The command has no key arguments")
		return
	}
	if !sp.arityOK(len(args)) {
		c.Err("ERR Invalid number of arguments specified for command")
		return
	}
	var pos []int
	for _, p := range sp.keyPositions(args, nil) {
		if p < len(args) {
			pos = append(pos, p)
		}
	}
	if len(pos) == 0 {
		c.Err("ERR Invalid arguments specified for command")
		return
	}
	kf := keyFlags(sp)
	c.Array(len(pos))
	for _, p := range pos {
		if !withFlags {
			c.Bulk(args[p])
			continue
		}
		c.Array(2)
		c.Bulk(args[p])
		c.Set(len(kf))
		for _, f := range kf {
			c.Status(f)
		}
	}
}
