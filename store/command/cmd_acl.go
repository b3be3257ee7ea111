package command

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"
)

// The ACL command (acl.c).

func init() {
	adm := FlagAdmin | FlagNoScript | FlagLoading | FlagStale | ExecInline
	pub := FlagNoScript | FlagLoading | FlagStale | ExecInline
	register(
		&Spec{Name: "acl", Arity: -2, Group: "server", Summary: "A container for Access List Control commands.", Since: "6.0.0"},
		&Spec{Name: "acl|cat", Arity: -2, Flags: pub, Handler: cmdACLCat, Group: "server", Summary: "Lists the ACL categories, or the commands inside a category.", Since: "6.0.0"},
		&Spec{Name: "acl|deluser", Arity: -3, Flags: adm, Handler: cmdACLDelUser, Group: "server", Summary: "Deletes ACL users, and terminates their connections.", Since: "6.0.0"},
		&Spec{Name: "acl|dryrun", Arity: -4, Flags: adm, Handler: cmdACLDryRun, Group: "server", Summary: "Simulates the execution of a command by a user, without executing the command.", Since: "7.0.0"},
		&Spec{Name: "acl|genpass", Arity: -2, Flags: pub, Handler: cmdACLGenPass, Group: "server", Summary: "Generates a pseudorandom, secure password that can be used to identify ACL users.", Since: "6.0.0"},
		&Spec{Name: "acl|getuser", Arity: 3, Flags: adm, Handler: cmdACLGetUser, Group: "server", Summary: "Lists the ACL rules of a user.", Since: "6.0.0"},
		&Spec{Name: "acl|list", Arity: 2, Flags: adm, Handler: cmdACLList, Group: "server", Summary: "Dumps the effective rules in ACL file format.", Since: "6.0.0"},
		&Spec{Name: "acl|load", Arity: 2, Flags: adm, Handler: cmdACLLoad, Group: "server", Summary: "Reloads the rules from the configured ACL file.", Since: "6.0.0"},
		&Spec{Name: "acl|log", Arity: -2, Flags: adm, Handler: cmdACLLog, Group: "server", Summary: "Lists recent security events generated due to commands rejected by ACL rules.", Since: "6.0.0"},
		&Spec{Name: "acl|save", Arity: 2, Flags: adm, Handler: cmdACLSave, Group: "server", Summary: "Saves the effective ACL rules in the configured ACL file.", Since: "6.0.0"},
		&Spec{Name: "acl|setuser", Arity: -3, Flags: adm, Handler: cmdACLSetUser, Group: "server", Summary: "Creates and modifies an ACL user and its rules.", Since: "6.0.0"},
		&Spec{Name: "acl|users", Arity: 2, Flags: adm, Handler: cmdACLUsers, Group: "server", Summary: "Lists all ACL users.", Since: "6.0.0"},
		&Spec{Name: "acl|whoami", Arity: 2, Flags: pub, Handler: cmdACLWhoAmI, Group: "server", Summary: "Returns the authenticated username of the current connection.", Since: "6.0.0"},
		&Spec{Name: "acl|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: helpHandler("ACL", []string{
			"CAT [<category>]",
			"    List all commands that belong to <category>, or all command categories",
			"    when no category is specified.",
			"DELUSER <username> [<username> ...]",
			"    Delete a list of users.",
			"DRYRUN <username> <command> [<arg> ...]",
			"    Returns whether the user can execute the given command without executing the command.",
			"GETUSER <username>",
			"    Get the user's details.",
			"GENPASS [<bits>]",
			"    Generate a secure 256-bit user password. The optional `bits` argument can",
			"    be used to specify a different size.",
			"LIST",
			"    Show users details in config file format.",
			"LOAD",
			"    Reload users from the ACL file.",
			"LOG [<count> | RESET]",
			"    Show the ACL log entries.",
			"SAVE",
			"    Save the current config to the ACL file.",
			"SETUSER <username> <attribute> [<attribute> ...]",
			"    Create or modify a user with the specified attributes.",
			"USERS",
			"    List all the registered usernames.",
			"WHOAMI",
			"    Return the current connection username.",
		}), Group: "server", Summary: "Returns helpful text about the different subcommands.", Since: "6.0.0"},
	)
}

// ACL SETUSER username [rule ...]: the rules apply to a copy of the user,
// all or nothing.
func cmdACLSetUser(c *Ctx) {
	name := string(c.Args[2])
	if hasSpaces(name) {
		c.Err("ERR Usernames can't contain spaces or null characters")
		return
	}
	ops := make([]string, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		ops = append(ops, string(a))
	}
	ops, bad := mergeSelectorArgs(ops)
	if bad >= 0 {
		c.Err("ERR Unmatched parenthesis in acl selector starting at '" + string(c.Args[3+bad]) + "'.")
		return
	}
	r := &c.S.acl
	r.mu.Lock()
	u := r.users[name]
	var st *aclState
	if u != nil {
		st = u.state().clone()
	} else {
		st = r.newUserState()
	}
	for _, op := range ops {
		if err := r.applyUser(st, op); err != nil {
			r.mu.Unlock()
			c.Err("ERR Error in ACL SETUSER modifier '" + clip(op, len(op)) + "': " + err.Error())
			return
		}
	}
	if u == nil {
		u = &aclUser{name: name}
		r.users[name] = u
	}
	r.publish(u, st)
	r.mu.Unlock()
	c.S.killRevokedSubscribers(c, u, st)
	c.OK()
}

// ACL DELUSER username [username ...]
func cmdACLDelUser(c *Ctx) {
	for _, a := range c.Args[2:] {
		if string(a) == "default" {
			c.Err("ERR The 'default' user cannot be removed")
			return
		}
	}
	r := &c.S.acl
	var gone []*aclUser
	r.mu.Lock()
	for _, a := range c.Args[2:] {
		if u := r.users[string(a)]; u != nil {
			delete(r.users, string(a))
			gone = append(gone, u)
		}
	}
	r.mu.Unlock()
	for _, u := range gone {
		c.S.dropUser(c, u)
	}
	c.Int(int64(len(gone)))
}

// ACL GETUSER username
func cmdACLGetUser(c *Ctx) {
	u := c.S.acl.user(string(c.Args[2]))
	if u == nil {
		c.Null()
		return
	}
	st := u.state()
	c.Map(6)
	c.BulkStr("flags")
	fl := st.flags()
	c.Set(len(fl))
	for _, f := range fl {
		c.BulkStr(f)
	}
	c.BulkStr("passwords")
	c.Array(len(st.passwords))
	for _, p := range st.passwords {
		c.BulkStr(p)
	}
	writeSelector(c, st.sels[0])
	c.BulkStr("selectors")
	c.Array(len(st.sels) - 1)
	for _, s := range st.sels[1:] {
		c.Map(3)
		writeSelector(c, s)
	}
}

func writeSelector(c *Ctx, s *aclSelector) {
	c.BulkStr("commands")
	c.BulkStr(s.describeCommands())
	c.BulkStr("keys")
	c.BulkStr(s.keysText())
	c.BulkStr("channels")
	c.BulkStr(s.channelsText())
}

// aclLines returns the users in ACL file format.
func (r *aclRegistry) aclLines() []string {
	var out []string
	for _, n := range r.names() {
		if u := r.user(n); u != nil {
			out = append(out, "user "+n+" "+u.state().describe())
		}
	}
	return out
}

// ACL LIST
func cmdACLList(c *Ctx) {
	lines := c.S.acl.aclLines()
	c.Array(len(lines))
	for _, l := range lines {
		c.BulkStr(l)
	}
}

// ACL USERS
func cmdACLUsers(c *Ctx) {
	names := c.S.acl.names()
	c.Array(len(names))
	for _, n := range names {
		c.BulkStr(n)
	}
}

// ACL WHOAMI
func cmdACLWhoAmI(c *Ctx) {
	if u := c.Cl.aclUser.Load(); u != nil {
		c.BulkStr(u.name)
		return
	}
	c.Null()
}

// ACL CAT [category]
func cmdACLCat(c *Ctx) {
	switch len(c.Args) {
	case 2:
		c.Array(len(aclCategoryOrder))
		for _, cat := range aclCategoryOrder {
			c.BulkStr(cat)
		}
	case 3:
		flag := aclCategoryFlag(string(c.Args[2]))
		if flag == 0 {
			c.Err("ERR Unknown category '" + clip(string(c.Args[2]), 128) + "'")
			return
		}
		aclTable()
		var names []string
		for _, ac := range aclCmds.all {
			if ac.cats&flag != 0 {
				names = append(names, ac.spec.Name)
			}
		}
		c.Array(len(names))
		for _, n := range names {
			c.BulkStr(n)
		}
	default:
		c.Err(errSubSyntax(c.Args[1], "ACL"))
	}
}

// ACL GENPASS [bits]
func cmdACLGenPass(c *Ctx) {
	bits := int64(256)
	switch len(c.Args) {
	case 2:
	case 3:
		n, ok := c.Int64(2)
		if !ok {
			return
		}
		bits = n
	default:
		c.Err(errSubSyntax(c.Args[1], "ACL"))
		return
	}
	if bits <= 0 || bits > 4096 {
		c.Err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := (bits + 3) / 4
	b := make([]byte, (chars+1)/2)
	_, _ = rand.Read(b)
	c.BulkStr(hex.EncodeToString(b)[:chars])
}

// ACL LOG [count | RESET]
func cmdACLLog(c *Ctx) {
	r := &c.S.acl
	count := int64(10)
	switch len(c.Args) {
	case 2:
	case 3:
		if c.is(2, "reset") {
			r.logMu.Lock()
			r.log = nil
			r.logMu.Unlock()
			c.OK()
			return
		}
		n, ok := c.Int64(2)
		if !ok {
			return
		}
		count = max(n, 0)
	default:
		c.Err(errSubSyntax(c.Args[1], "ACL"))
		return
	}
	r.logMu.Lock()
	entries := make([]aclLogEntry, 0, min(int(count), len(r.log)))
	for _, e := range r.log {
		if int64(len(entries)) >= count {
			break
		}
		entries = append(entries, *e)
	}
	r.logMu.Unlock()
	now := time.Now().UnixMilli()
	c.Array(len(entries))
	for _, e := range entries {
		c.Map(7)
		c.BulkStr("count")
		c.Int(e.count)
		c.BulkStr("reason")
		c.BulkStr(aclReasonNames[e.reason])
		c.BulkStr("context")
		c.BulkStr(aclContextNames[e.context])
		c.BulkStr("object")
		c.BulkStr(e.object)
		c.BulkStr("username")
		c.BulkStr(e.username)
		c.BulkStr("age-seconds")
		c.Double(float64(now-e.ctime) / 1000)
		c.BulkStr("client-info")
		c.BulkStr(e.cinfo)
	}
}

// ACL DRYRUN username command [arg ...]
func cmdACLDryRun(c *Ctx) {
	u := c.S.acl.user(string(c.Args[2]))
	if u == nil {
		c.Err("ERR User '" + string(c.Args[2]) + "' not found")
		return
	}
	args := c.Args[3:]
	sp, _ := lookup(args[0], nil)
	if sp != nil && sp.Subs != nil && len(args) > 1 {
		sp, _ = lookupSub(sp, args[1], nil)
	}
	if sp == nil {
		c.Err("ERR Command '" + string(args[0]) + "' not found")
		return
	}
	if !sp.arityOK(len(args)) {
		c.Err(errArity(sp.Name))
		return
	}
	res, pos := u.state().check(sp, args)
	switch res {
	case aclOK:
		c.OK()
	case aclDeniedKey:
		c.BulkStr("This user has no permissions to access the '" + string(args[pos]) + "' key")
	case aclDeniedChannel:
		c.BulkStr("This user has no permissions to access the '" + string(args[pos]) + "' channel")
	default:
		c.BulkStr("This user has no permissions to run the '" + sp.Name + "' command")
	}
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// ACL LOAD
func cmdACLLoad(c *Ctx) {
	file := c.S.cfg.Get("aclfile")
	if file == "" {
		c.Err(errNoACLFile)
		return
	}
	if msg := c.S.loadACLFile(c, file); msg != "" {
		c.Err("ERR " + msg)
		return
	}
	c.OK()
}

// ACL SAVE
func cmdACLSave(c *Ctx) {
	file := c.S.cfg.Get("aclfile")
	if file == "" {
		c.Err(errNoACLFile)
		return
	}
	if err := c.S.saveACLFile(file); err != nil {
		c.S.log.Warn("ACL SAVE failed", "file", file, "err", err)
		c.Err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.OK()
}

// saveACLFile writes every user, one "user name rules" line each, to a
// temporary file renamed over path.
func (s *Server) saveACLFile(path string) error {
	var b strings.Builder
	for _, l := range s.acl.aclLines() {
		b.WriteString(l + "\n")
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixMilli())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(b.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// loadACLFile replaces the users with those of an ACL file. On any error
// nothing changes and the errors are returned, one sentence each. Clients
// of the replaced users (all but the default user, which is updated in
// place) are disconnected, as Redis does. c may be nil at start-up.
func (s *Server) loadACLFile(c *Ctx, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*os.PathError); ok {
			msg = strerror(pe.Err)
		}
		return "Error loading ACLs, opening file '" + path + "': " + msg
	}
	r := &s.acl
	users := map[string]*aclState{}
	var errs strings.Builder
	for i, line := range strings.Split(string(data), "\n") {
		no := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, no)
			continue
		}
		name := argv[1]
		if hasSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", path, no, name)
			continue
		}
		if _, dup := users[name]; dup {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, no)
			continue
		}
		st := r.newUserState()
		users[name] = st
		ops, bad := mergeSelectorArgs(argv[2:])
		if bad >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, no)
		}
		for _, op := range ops {
			op = strings.Trim(op, "\t\r\n")
			if err := r.applyUser(st, op); err != nil {
				fmt.Fprintf(&errs, "%s:%d: %s. ", path, no, err.Error())
			}
		}
	}
	if errs.Len() > 0 {
		return errs.String() + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	}
	r.mu.Lock()
	old := r.users
	r.users = map[string]*aclUser{"default": r.def}
	for name, st := range users {
		if name == "default" {
			r.publish(r.def, st)
			continue
		}
		u := &aclUser{name: name}
		u.st.Store(st)
		r.users[name] = u
	}
	if _, ok := users["default"]; !ok {
		st := &aclState{on: true, nopass: true, sels: []*aclSelector{newSelector(true, false)}}
		for _, op := range []string{"+@all", "~*", "&*"} {
			_ = st.sels[0].apply(op)
		}
		r.publish(r.def, st)
	}
	r.mu.Unlock()
	for name, u := range old {
		if name != "default" {
			s.dropUser(c, u)
		}
	}
	return ""
}

// strerror words an errno as C's strerror does for the common cases.
func strerror(err error) string {
	switch {
	case os.IsNotExist(err):
		return "No such file or directory"
	case os.IsPermission(err):
		return "Permission denied"
	}
	return err.Error()
}

// LoadACL loads the aclfile setting at start-up, when one is set and the
// file exists.
func (s *Server) LoadACL() error {
	file := s.cfg.Get("aclfile")
	if file == "" {
		return nil
	}
	if _, err := os.Stat(file); os.IsNotExist(err) {
		return nil
	}
	if msg := s.loadACLFile(nil, file); msg != "" {
		return fmt.Errorf("aborting start-up because of ACL errors: %s", msg)
	}
	return nil
}
