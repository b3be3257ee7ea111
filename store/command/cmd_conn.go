package command

import (
	"crypto/subtle"
	"strings"
)

// Connection commands: they touch only the session, and run inline.

func init() {
	sess := FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagNoAuth | FlagAllowBusy | ExecInline
	register(
		&Spec{Name: "ping", Arity: -1, Flags: FlagFast | ExecInline, Handler: cmdPing, Group: "connection", Summary: "Returns the server's liveliness response.", Since: "1.0.0"},
		&Spec{Name: "echo", Arity: 2, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdEcho, Group: "connection", Summary: "Returns the given string.", Since: "1.0.0"},
		&Spec{Name: "select", Arity: 2, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdSelect, Group: "connection", Summary: "Changes the selected database.", Since: "1.0.0"},
		&Spec{Name: "quit", Arity: -1, Flags: sess, Handler: cmdQuit, Group: "connection", Summary: "Closes the connection.", Since: "1.0.0"},
		&Spec{Name: "auth", Arity: -2, Flags: sess, Handler: cmdAuth, Group: "connection", Summary: "Authenticates the connection.", Since: "1.0.0"},
		&Spec{Name: "hello", Arity: -1, Flags: sess, Handler: cmdHello, Group: "connection", Summary: "Handshakes with the server: protocol version, authentication, client name.", Since: "6.0.0"},
		&Spec{Name: "reset", Arity: 1, Flags: sess, Handler: cmdReset, Group: "connection", Summary: "Resets the connection.", Since: "6.2.0"},
	)
}

// resetHooks clear the state other command groups keep per connection
// (MULTI, subscriptions ...) when it sends RESET. They run on the batch
// runner of that connection; groups register theirs from init.
var resetHooks []func(cl *Client)

func cmdPing(c *Ctx) {
	switch len(c.Args) {
	case 1:
		c.Status("PONG")
	case 2:
		c.Bulk(c.Args[1])
	default:
		c.ArgErr()
	}
}

func cmdEcho(c *Ctx) { c.Bulk(c.Args[1]) }

func cmdSelect(c *Ctx) {
	n, ok := c.Int64(1)
	if !ok {
		return
	}
	if n < 0 || n >= int64(c.S.eng.Databases()) {
		c.Err(errDBIndex)
		return
	}
	c.Cl.info.Lock()
	c.Cl.db = int(n)
	c.Cl.info.Unlock()
	c.OK()
}

func cmdQuit(c *Ctx) {
	c.OK()
	c.Cl.closing = true
}

// checkPassword compares in constant time.
func (s *Server) checkPassword(user, pass []byte) bool {
	want, _ := s.requirePass.Load().(string)
	if string(user) != "default" {
		return false
	}
	if want == "" {
		return true // nopass
	}
	return subtle.ConstantTimeCompare(pass, []byte(want)) == 1
}

func cmdAuth(c *Ctx) {
	var user, pass []byte
	switch len(c.Args) {
	case 2:
		if !c.S.authRequired() {
			c.Err(errNoPassSet)
			return
		}
		user, pass = []byte("default"), c.Args[1]
	case 3:
		user, pass = c.Args[1], c.Args[2]
	default:
		c.Err(errSyntax)
		return
	}
	if !c.S.checkPassword(user, pass) {
		c.Err(errWrongPass)
		return
	}
	c.Cl.info.Lock()
	c.Cl.authed, c.Cl.user = true, string(user)
	c.Cl.info.Unlock()
	c.OK()
}

func cmdHello(c *Ctx) {
	ver := int64(0)
	if len(c.Args) >= 2 {
		v, ok := parseInt(c.Args[1])
		if !ok {
			c.Err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.Err(errProtoRESP)
			return
		}
		ver = v
	}
	var name []byte
	setName := false
	for i := 2; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.is(i, "auth") && more >= 2:
			if !c.S.checkPassword(c.Args[i+1], c.Args[i+2]) {
				c.Err(errWrongPass)
				return
			}
			c.Cl.info.Lock()
			c.Cl.authed, c.Cl.user = true, string(c.Args[i+1])
			c.Cl.info.Unlock()
			i += 2
		case c.is(i, "setname") && more >= 1:
			name, setName = c.Args[i+1], true
			if !validClientName(name) {
				c.Err(errClientName)
				return
			}
			i++
		default:
			c.Err("ERR Syntax error in HELLO option '" + string(c.Args[i]) + "'")
			return
		}
	}
	if !c.Cl.authed {
		c.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		c.Cl.info.Lock()
		c.Cl.name = string(name)
		c.Cl.info.Unlock()
	}
	if ver != 0 {
		c.Cl.info.Lock()
		c.Cl.resp3 = ver == 3
		c.Cl.info.Unlock()
		c.RESP3 = ver == 3
	}
	proto := int64(2)
	if c.Cl.resp3 {
		proto = 3
	}
	c.Map(7)
	c.BulkStr("server")
	c.BulkStr("redis")
	c.BulkStr("version")
	c.BulkStr(Version)
	c.BulkStr("proto")
	c.Int(proto)
	c.BulkStr("id")
	c.Int(c.Cl.id)
	c.BulkStr("mode")
	c.BulkStr("standalone")
	c.BulkStr("role")
	c.BulkStr("master")
	c.BulkStr("modules")
	c.Array(0)
}

// RESET
func cmdReset(c *Ctx) {
	cl := c.Cl
	for _, h := range resetHooks {
		h(cl)
	}
	cl.info.Lock()
	cl.db, cl.resp3, cl.name = 0, false, ""
	cl.authed = !c.S.authRequired()
	cl.user = "default"
	cl.replyMode = 0
	cl.noEvict, cl.noTouch = false, false
	cl.info.Unlock()
	c.RESP3 = false
	c.Status("RESET")
}

func lower(b []byte) string { return strings.ToLower(string(b)) }
