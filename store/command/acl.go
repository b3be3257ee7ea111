package command

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskdb/diskdb/store"
)

// ACL (Redis 6+ access control lists, as redis-server 7.0 has them): users,
// each with passwords and selectors (commands, key patterns, channel
// patterns), and the check the dispatcher runs before a command of a user
// that may not do everything.
//
// A user's settings are an immutable snapshot (aclState) swapped atomically
// by ACL SETUSER, so checks read them without a lock. The dispatcher's fast
// path is one pointer compare: a client whose user is the registry's "free"
// user (the default user while it may run everything on every key and
// channel) skips the check.

// Command ids index the selectors' command bitmaps. The last bit is never a
// command: +@all sets it, so that a description can tell "+@all -x" (future
// commands allowed) from "-@all +..." (only those named).
const (
	aclBitWords  = 16
	aclFutureBit = aclBitWords*64 - 1
)

type aclBits [aclBitWords]uint64

func (b *aclBits) get(id int) bool { return b[id>>6]&(1<<(id&63)) != 0 }

func (b *aclBits) set(id int, v bool) {
	if v {
		b[id>>6] |= 1 << (id & 63)
	} else {
		b[id>>6] &^= 1 << (id & 63)
	}
}

// Key pattern permissions (%R~ %W~; ~ is both).
const (
	aclKeyRead  uint8 = 1
	aclKeyWrite uint8 = 2
	aclKeyAll         = aclKeyRead | aclKeyWrite
)

// Results of a permission check, in the order Redis ranks them when it
// picks one error among several selectors.
const (
	aclOK = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedAuth
	aclDeniedChannel
)

// ACL LOG contexts.
const (
	aclCtxTop = iota
	aclCtxMulti
	aclCtxLua
)

// --- the command table as ACL sees it ---

// aclCmd is a command or subcommand with its ACL id and categories.
type aclCmd struct {
	spec     *Spec
	id       int
	cats     uint32  // bit i: aclCategoryOrder[i]
	keys     []uint8 // ACL key permission each key spec asks for (R, W)
	variable bool    // key flags depend on the arguments (SET ... GET)
	subs     []*aclCmd
	parent   *aclCmd
}

var aclCmds struct {
	once   sync.Once
	top    []*aclCmd // top-level commands by name
	all    []*aclCmd // every command, each top-level one followed by its subcommands
	bySpec map[*Spec]*aclCmd
}

// aclTable builds the ACL view of the command table on first use (every
// command file has registered by then).
func aclTable() {
	aclCmds.once.Do(func() {
		aclCmds.bySpec = map[*Spec]*aclCmd{}
		add := func(sp *Spec, parent *aclCmd) *aclCmd {
			ac := &aclCmd{spec: sp, id: len(aclCmds.all), parent: parent, keys: aclKeyPerms(sp),
				variable: strings.Contains(strings.Join(specKeyFlags(sp), " "), "variable_flags")}
			for _, cat := range aclCategories(sp) {
				ac.cats |= aclCategoryFlag(cat)
			}
			aclCmds.all = append(aclCmds.all, ac)
			aclCmds.bySpec[sp] = ac
			return ac
		}
		for _, sp := range Commands() {
			ac := add(sp, nil)
			aclCmds.top = append(aclCmds.top, ac)
			for _, sub := range SortedSubs(sp) {
				ac.subs = append(ac.subs, add(sub, ac))
			}
		}
		if len(aclCmds.all) >= aclFutureBit {
			panic("command: more commands than ACL bitmap bits")
		}
	})
}

// aclCategoryFlag returns the bit of a category name (any case), 0 if unknown.
func aclCategoryFlag(name string) uint32 {
	for i, c := range aclCategoryOrder {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// aclLookupCommand finds a command by its full name ("get", "config|get").
func aclLookupCommand(name string) *aclCmd {
	aclTable()
	sp := findSpec([]byte(name))
	if sp == nil {
		return nil
	}
	return aclCmds.bySpec[sp]
}

// aclKeyPerms derives the ACL permission each key spec of sp needs.
func aclKeyPerms(sp *Spec) []uint8 {
	specs := specKeyFlags(sp)
	out := make([]uint8, len(specs))
	for i, fl := range specs {
		out[i] = aclKeyPerm(fl)
	}
	return out
}

// aclKeyPerm is the permission key-spec flags ask for: read when they
// have "access", write when "insert", "delete" or "update" (none: any
// pattern that matches will do).
func aclKeyPerm(flags string) uint8 {
	var p uint8
	for _, f := range strings.Fields(flags) {
		switch f {
		case "access":
			p |= aclKeyRead
		case "insert", "delete", "update":
			p |= aclKeyWrite
		}
	}
	return p
}

// keyFlagsAt returns the key-spec flags of the i-th key of a call: the
// i-th spec (later keys: the last one), with the flags of SET and BITFIELD
// resolved from their arguments as Redis's key extraction does.
func keyFlagsAt(sp *Spec, args [][]byte, i int) string {
	specs := specKeyFlags(sp)
	fl := specs[min(i, len(specs)-1)]
	if !strings.Contains(fl, "variable_flags") {
		return fl
	}
	switch sp.Name {
	case "set":
		for _, a := range args[min(3, len(args)):] {
			if eqFold(a, "get") {
				return "RW access update"
			}
		}
		return "OW update"
	case "bitfield":
		for j := 2; j < len(args); j++ {
			rem := len(args) - j - 1
			switch {
			case eqFold(args[j], "get") && rem >= 2:
				j += 2
			case (eqFold(args[j], "set") || eqFold(args[j], "incrby")) && rem >= 3:
				return strings.TrimSpace(strings.Replace(fl, "variable_flags", "", 1))
			case eqFold(args[j], "overflow") && rem >= 1:
				j++
			}
		}
		return "RO access"
	}
	return fl
}

// specKeyFlags returns the flags of each key spec of sp (keySpecFlags, or
// derived from the command's flags).
func specKeyFlags(sp *Spec) []string {
	if f, ok := keySpecFlags[sp.Name]; ok {
		return f
	}
	switch {
	case sp.Flags&FlagWrite != 0:
		return []string{"RW access update"}
	case sp.Flags&FlagReadOnly != 0:
		return []string{"RO access"}
	}
	return []string{""}
}

// --- selectors ---

type aclKeyPattern struct {
	pat   string
	flags uint8
}

func (p aclKeyPattern) String() string {
	switch p.flags {
	case aclKeyRead:
		return "%R~" + p.pat
	case aclKeyWrite:
		return "%W~" + p.pat
	}
	return "~" + p.pat
}

// aclSelector is a set of permissions: commands, keys and channels. Every
// user has a root selector; more, in parentheses, widen what it may do.
type aclSelector struct {
	root        bool
	allKeys     bool
	allChannels bool
	allCommands bool
	bits        aclBits
	firstArgs   map[int][]string // first arguments allowed for otherwise denied commands (+select|0)
	keys        []aclKeyPattern
	channels    []string
}

func newSelector(root, allChannels bool) *aclSelector {
	return &aclSelector{root: root, allChannels: allChannels}
}

func (s *aclSelector) clone() *aclSelector {
	c := *s
	c.keys = append([]aclKeyPattern(nil), s.keys...)
	c.channels = append([]string(nil), s.channels...)
	if s.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			c.firstArgs[k] = append([]string(nil), v...)
		}
	}
	return &c
}

// full reports whether the selector allows every command, key and channel.
func (s *aclSelector) full() bool { return s.allCommands && s.allKeys && s.allChannels }

func (s *aclSelector) setBit(id int, v bool) {
	s.bits.set(id, v)
	if !v {
		s.allCommands = false
	}
}

// changePerm allows or denies a command; a container's subcommands follow.
func (s *aclSelector) changePerm(ac *aclCmd, allow bool) {
	s.setBit(ac.id, allow)
	delete(s.firstArgs, ac.id)
	for _, sub := range ac.subs {
		s.setBit(sub.id, allow)
	}
}

func (s *aclSelector) setCategory(flag uint32, allow bool) {
	for _, ac := range aclCmds.all {
		if ac.cats&flag != 0 {
			s.changePerm(ac, allow)
		}
	}
}

// countCategory counts the commands of a category the selector allows and
// denies.
func (s *aclSelector) countCategory(flag uint32) (on, off int) {
	for _, ac := range aclCmds.all {
		if ac.cats&flag != 0 {
			if s.bits.get(ac.id) {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}

// ACL rule errors, worded as ACLSetUserStringError.
var (
	errACLSyntax     = errors.New("Syntax error")
	errACLUnknown    = errors.New("Unknown command or category name in ACL")
	errACLKeysAll    = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errACLChansAll   = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errACLNoPass     = errors.New("The password you are trying to remove from the user does not exist")
	errACLBadHash    = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errACLSubFirst   = errors.New("Allowing first-arg of a subcommand is not supported")
	errACLDuplicate  = errors.New("Duplicate user found. A user can only be defined once in config files")
	errACLUnbalanced = errors.New("Unmatched parenthesis")
)

// apply applies one selector rule (ACLSetSelector).
func (s *aclSelector) apply(op string) error {
	aclTable()
	lop := strings.ToLower(op)
	switch {
	case lop == "allkeys" || op == "~*":
		s.allKeys, s.keys = true, nil
	case lop == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lop == "allchannels" || op == "&*":
		s.allChannels, s.channels = true, nil
	case lop == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lop == "allcommands" || lop == "+@all":
		for i := range s.bits {
			s.bits[i] = ^uint64(0)
		}
		s.allCommands, s.firstArgs = true, nil
	case lop == "nocommands" || lop == "-@all":
		s.bits = aclBits{}
		s.allCommands, s.firstArgs = false, nil
	case op[0] == '~' || op[0] == '%':
		if s.allKeys {
			return errACLKeysAll
		}
		var flags uint8
		off := 1
		if op[0] == '%' {
			for ; off < len(op); off++ {
				switch ch := op[off] &^ 0x20; {
				case ch == 'R' && flags&aclKeyRead == 0:
					flags |= aclKeyRead
					continue
				case ch == 'W' && flags&aclKeyWrite == 0:
					flags |= aclKeyWrite
					continue
				}
				if op[off] == '~' {
					off++
					break
				}
				return errACLSyntax
			}
			if flags == 0 {
				return errACLSyntax
			}
		} else {
			flags = aclKeyAll
		}
		pat := op[min(off, len(op)):]
		if hasSpaces(pat) {
			return errACLSyntax
		}
		found := false
		for i := range s.keys {
			if s.keys[i].pat == pat {
				s.keys[i].flags |= flags
				found = true
				break
			}
		}
		if !found {
			s.keys = append(s.keys, aclKeyPattern{pat, flags})
		}
		s.allKeys = false
	case op[0] == '&':
		if s.allChannels {
			return errACLChansAll
		}
		pat := op[1:]
		if hasSpaces(pat) {
			return errACLSyntax
		}
		found := false
		for _, c := range s.channels {
			found = found || c == pat
		}
		if !found {
			s.channels = append(s.channels, pat)
		}
		s.allChannels = false
	case op[0] == '+' && (len(op) < 2 || op[1] != '@'):
		name := op[1:]
		i := strings.LastIndexByte(name, '|')
		if i < 0 {
			ac := aclLookupCommand(name)
			if ac == nil {
				return errACLUnknown
			}
			s.changePerm(ac, true)
			return nil
		}
		ac := aclLookupCommand(name[:i])
		if ac == nil {
			return errACLUnknown
		}
		if ac.parent != nil {
			return errACLSubFirst
		}
		first := name[i+1:]
		if first == "" {
			return errACLSyntax
		}
		if len(ac.subs) > 0 {
			sub := aclLookupCommand(name)
			if sub == nil {
				return errACLUnknown
			}
			s.changePerm(sub, true)
			return nil
		}
		// A first argument of a command without subcommands (+select|0).
		for _, a := range s.firstArgs[ac.id] {
			if strings.EqualFold(a, first) {
				return nil
			}
		}
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		s.firstArgs[ac.id] = append(s.firstArgs[ac.id], first)
	case op[0] == '-' && (len(op) < 2 || op[1] != '@'):
		ac := aclLookupCommand(op[1:])
		if ac == nil {
			return errACLUnknown
		}
		s.changePerm(ac, false)
	case (op[0] == '+' || op[0] == '-') && op[1] == '@':
		flag := aclCategoryFlag(op[2:])
		if flag == 0 {
			return errACLUnknown
		}
		s.setCategory(flag, op[0] == '+')
	default:
		return errACLSyntax
	}
	return nil
}

// hasSpaces reports a space or NUL (not allowed in names and patterns).
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}

// describeCommands writes the command rules of a selector as Redis does:
// +@all or -@all, the categories that fit best, then single commands, so
// that applying the text gives the same bitmap.
func (s *aclSelector) describeCommands() string {
	aclTable()
	var b strings.Builder
	fake := &aclSelector{}
	additive := !s.bits.get(aclFutureBit)
	if additive {
		b.WriteString("-@all ")
		_ = fake.apply("-@all")
	} else {
		b.WriteString("+@all ")
		_ = fake.apply("+@all")
	}
	temp := &aclSelector{bits: s.bits}
	var applied [32]bool
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range aclCategoryOrder {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(1 << j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		fake.setCategory(1<<best, additive)
		temp.setCategory(1<<best, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(aclCategoryOrder[best])
		b.WriteByte(' ')
		applied[best] = true
	}
	var single func(cmds []*aclCmd)
	single = func(cmds []*aclCmd) {
		for _, ac := range cmds {
			user, have := s.bits.get(ac.id), fake.bits.get(ac.id)
			if user != have {
				if user {
					b.WriteByte('+')
				} else {
					b.WriteByte('-')
				}
				b.WriteString(ac.spec.Name)
				b.WriteByte(' ')
				fake.changePerm(ac, user)
			}
			single(ac.subs)
			if !user {
				for _, a := range s.firstArgs[ac.id] {
					b.WriteString("+" + ac.spec.Name + "|" + a + " ")
				}
			}
		}
	}
	single(aclCmds.top)
	return strings.TrimSuffix(b.String(), " ")
}

// keysText is the "keys" field of ACL GETUSER.
func (s *aclSelector) keysText() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// channelsText is the "channels" field of ACL GETUSER.
func (s *aclSelector) channelsText() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe writes the selector as ACL LIST shows it.
func (s *aclSelector) describe() string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.describeCommands())
	return b.String()
}

// --- users ---

// aclState is a user's settings. It is never modified once published:
// ACL SETUSER builds a new one.
type aclState struct {
	on        bool
	nopass    bool
	sanitize  int8 // 0, aclSanitize or aclSkipSanitize
	passwords []string
	sels      []*aclSelector // [0] is the root selector
}

const (
	aclSanitize     = 1
	aclSkipSanitize = 2
)

func (st *aclState) clone() *aclState {
	c := *st
	c.passwords = append([]string(nil), st.passwords...)
	c.sels = make([]*aclSelector, len(st.sels))
	for i, s := range st.sels {
		c.sels[i] = s.clone()
	}
	return &c
}

// full reports whether the user may run everything on every key and channel.
func (st *aclState) full() bool {
	for _, s := range st.sels {
		if s.full() {
			return true
		}
	}
	return false
}

// aclUser is a user; its settings are swapped as a whole.
type aclUser struct {
	name string
	st   atomic.Pointer[aclState]
}

func (u *aclUser) state() *aclState { return u.st.Load() }

// newUserState is the state of a user ACL SETUSER creates: off, no
// password, no permissions.
func (r *aclRegistry) newUserState() *aclState {
	return &aclState{sels: []*aclSelector{newSelector(true, r.pubsubDefault.Load())}}
}

func passwordHash(p []byte) string {
	h := sha256.Sum256(p)
	return hex.EncodeToString(h[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// applyUser applies one user rule (ACLSetUser) to a state being built.
func (r *aclRegistry) applyUser(st *aclState, op string) error {
	if op == "" {
		return nil
	}
	lop := strings.ToLower(op)
	switch {
	case lop == "on":
		st.on = true
	case lop == "off":
		st.on = false
	case lop == "skip-sanitize-payload":
		st.sanitize = aclSkipSanitize
	case lop == "sanitize-payload":
		st.sanitize = aclSanitize
	case lop == "nopass":
		st.nopass, st.passwords = true, nil
	case lop == "resetpass":
		st.nopass, st.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		var h string
		if op[0] == '>' {
			h = passwordHash([]byte(op[1:]))
		} else {
			if !validHash(op[1:]) {
				return errACLBadHash
			}
			h = op[1:]
		}
		found := false
		for _, p := range st.passwords {
			found = found || p == h
		}
		if !found {
			st.passwords = append(st.passwords, h)
		}
		st.nopass = false
	case op[0] == '<' || op[0] == '!':
		var h string
		if op[0] == '<' {
			h = passwordHash([]byte(op[1:]))
		} else {
			if !validHash(op[1:]) {
				return errACLBadHash
			}
			h = op[1:]
		}
		for i, p := range st.passwords {
			if p == h {
				st.passwords = append(st.passwords[:i:i], st.passwords[i+1:]...)
				return nil
			}
		}
		return errACLNoPass
	case op[0] == '(' && op[len(op)-1] == ')':
		sel := newSelector(false, r.pubsubDefault.Load())
		rules, _ := splitArgs(op[1 : len(op)-1])
		for _, o := range rules {
			if err := sel.apply(o); err != nil {
				return err
			}
		}
		st.sels = append(st.sels, sel)
	case lop == "clearselectors":
		st.sels = st.sels[:1]
	case lop == "reset":
		st.nopass, st.passwords = false, nil
		root := newSelector(true, r.pubsubDefault.Load())
		st.on = false
		st.sanitize = aclSanitize
		st.sels = []*aclSelector{root}
	default:
		return st.sels[0].apply(op)
	}
	return nil
}

// mergeSelectorArgs joins a selector given over several arguments
// ("(+get" "~x)") into one; it returns the index of an unmatched opening
// argument when a selector is not closed.
func mergeSelectorArgs(args []string) ([]string, int) {
	var out []string
	open := -1
	var sel string
	for i, a := range args {
		if open < 0 && len(a) > 0 && a[0] == '(' && a[len(a)-1] != ')' {
			sel, open = a, i
			continue
		}
		if open >= 0 {
			sel += " " + a
			if len(a) > 0 && a[len(a)-1] == ')' {
				out = append(out, sel)
				open = -1
			}
			continue
		}
		out = append(out, a)
	}
	if open >= 0 {
		return nil, open
	}
	return out, -1
}

// describe writes the user as ACL LIST shows it (without "user name").
func (st *aclState) describe() string {
	var b strings.Builder
	if st.on {
		b.WriteString("on ")
	} else {
		b.WriteString("off ")
	}
	if st.nopass {
		b.WriteString("nopass ")
	}
	switch st.sanitize {
	case aclSkipSanitize:
		b.WriteString("skip-sanitize-payload ")
	case aclSanitize:
		b.WriteString("sanitize-payload ")
	}
	for _, p := range st.passwords {
		b.WriteString("#" + p + " ")
	}
	for _, s := range st.sels {
		if s.root {
			b.WriteString(s.describe())
		} else {
			b.WriteString(" (" + s.describe() + ")")
		}
	}
	return b.String()
}

// flags lists the user's flags as ACL GETUSER does.
func (st *aclState) flags() []string {
	var out []string
	if st.on {
		out = append(out, "on")
	} else {
		out = append(out, "off")
	}
	if st.nopass {
		out = append(out, "nopass")
	}
	switch st.sanitize {
	case aclSkipSanitize:
		out = append(out, "skip-sanitize-payload")
	case aclSanitize:
		out = append(out, "sanitize-payload")
	}
	return out
}

// --- the registry ---

// aclRegistry holds the users and the ACL log of a server.
type aclRegistry struct {
	mu    sync.Mutex
	users map[string]*aclUser
	def   *aclUser // the default user (never replaced: ACL LOAD copies into it)
	// free is the default user while it may do everything (the fast path),
	// nil otherwise.
	free          atomic.Pointer[aclUser]
	pubsubDefault atomic.Bool // acl-pubsub-default allchannels
	logMaxLen     atomic.Int64

	logMu sync.Mutex
	log   []*aclLogEntry // newest first
}

func (r *aclRegistry) init() {
	aclTable()
	r.users = map[string]*aclUser{}
	r.def = &aclUser{name: "default"}
	st := &aclState{on: true, nopass: true, sels: []*aclSelector{newSelector(true, false)}}
	for _, op := range []string{"+@all", "~*", "&*"} {
		_ = st.sels[0].apply(op)
	}
	r.users["default"] = r.def
	r.logMaxLen.Store(128)
	r.publish(r.def, st)
}

// publish installs a user's new state.
func (r *aclRegistry) publish(u *aclUser, st *aclState) {
	u.st.Store(st)
	if u == r.def {
		if st.full() {
			r.free.Store(u)
		} else {
			r.free.Store(nil)
		}
	}
}

func (r *aclRegistry) user(name string) *aclUser {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[name]
}

// names returns the user names in byte order (as Redis's radix tree).
func (r *aclRegistry) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.users))
	for n := range r.users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// defaultNeedsAuth reports whether new connections must authenticate: the
// default user has passwords or is off.
func (r *aclRegistry) defaultNeedsAuth() bool {
	st := r.def.state()
	return !st.nopass || !st.on
}

// setDefaultPassword implements requirepass: the default user's passwords
// become exactly pass, or nopass when pass is empty.
func (r *aclRegistry) setDefaultPassword(pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.def.state().clone()
	st.passwords, st.nopass = nil, pass == ""
	if pass != "" {
		st.passwords = []string{passwordHash([]byte(pass))}
	}
	r.publish(r.def, st)
}

// authenticate checks a user name and password; it returns the user, or
// nil when the user does not exist, is off, or the password is wrong. The
// password is compared as its SHA-256 in constant time, against every
// password of the user.
func (r *aclRegistry) authenticate(name, pass []byte) *aclUser {
	u := r.user(string(name))
	if u == nil {
		return nil
	}
	st := u.state()
	if !st.on {
		return nil
	}
	if st.nopass {
		return u
	}
	h := []byte(passwordHash(pass))
	ok := 0
	for _, p := range st.passwords {
		ok |= subtle.ConstantTimeCompare(h, []byte(p))
	}
	if ok == 1 {
		return u
	}
	return nil
}

// --- permission checks ---

// check reports whether the user may run sp with args: aclOK, or the
// reason it may not and the position of the key or channel at fault
// (ACLCheckAllUserCommandPerm).
func (st *aclState) check(sp *Spec, args [][]byte) (int, int) {
	aclTable()
	ac := aclCmds.bySpec[sp]
	if ac == nil {
		return aclDeniedCmd, 0
	}
	var keys []int
	keysDone := false
	relevant, lastPos := aclDeniedCmd, 0
	for _, s := range st.sels {
		res, pos := s.check(ac, args, &keys, &keysDone)
		if res == aclOK {
			return aclOK, 0
		}
		if res > relevant || (res == relevant && pos > lastPos) {
			relevant, lastPos = res, pos
		}
	}
	return relevant, lastPos
}

// check is ACLSelectorCheckCmd: the command, then its keys, then its
// channels. keys caches the key positions between selectors.
func (s *aclSelector) check(ac *aclCmd, args [][]byte, keys *[]int, keysDone *bool) (int, int) {
	if !s.allCommands && ac.spec.Flags&FlagNoAuth == 0 && !s.bits.get(ac.id) {
		allowed := false
		if first := s.firstArgs[ac.id]; len(first) > 0 && len(args) >= 2 {
			idx := 1
			if ac.parent != nil {
				idx = 2
			}
			for _, a := range first {
				if idx < len(args) && eqFold(args[idx], a) {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			return aclDeniedCmd, 0
		}
	}
	if !s.allKeys && (ac.spec.FirstKey > 0 || ac.spec.KeysFn != nil) {
		if !*keysDone {
			*keys = ac.spec.keyPositions(args, (*keys)[:0])
			*keysDone = true
		}
		for i, p := range *keys {
			if p >= len(args) {
				continue
			}
			var need uint8
			switch {
			case ac.variable:
				need = aclKeyPerm(keyFlagsAt(ac.spec, args, i))
			case len(ac.keys) > 0:
				need = ac.keys[min(i, len(ac.keys)-1)]
			}
			if !s.keyAllowed(args[p], need) {
				return aclDeniedKey, p
			}
		}
	}
	if !s.allChannels {
		switch ac.spec.Name {
		case "publish", "spublish":
			if !s.channelAllowed(args[1], false) {
				return aclDeniedChannel, 1
			}
		case "subscribe", "ssubscribe", "psubscribe":
			literal := ac.spec.Name == "psubscribe"
			for j := 1; j < len(args); j++ {
				if !s.channelAllowed(args[j], literal) {
					return aclDeniedChannel, j
				}
			}
		}
	}
	return aclOK, 0
}

func (s *aclSelector) keyAllowed(key []byte, need uint8) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.keys {
		if p.flags&need != need {
			continue
		}
		if store.Match([]byte(p.pat), key, false) {
			return true
		}
	}
	return false
}

// channelAllowed matches a channel against the selector's patterns; a
// PSUBSCRIBE pattern must equal one of them (literal).
func (s *aclSelector) channelAllowed(ch []byte, literal bool) bool {
	if s.allChannels {
		return true
	}
	for _, p := range s.channels {
		if literal && p == string(ch) || !literal && store.Match([]byte(p), ch, false) {
			return true
		}
	}
	return false
}

// channelsAllowed reports whether the user may still use a channel it is
// subscribed to (literal for patterns), for ACL SETUSER's revocations.
func (st *aclState) channelAllowed(ch string, literal bool) bool {
	for _, s := range st.sels {
		if s.channelAllowed([]byte(ch), literal) {
			return true
		}
	}
	return false
}

// aclDenied checks a command of cl against its user and returns the NOPERM
// error to reply ("" when allowed). Denials go to the ACL log.
func (cl *Client) aclDenied(sp *Spec, args [][]byte, ctx int) string {
	u := cl.aclUser.Load()
	if u == nil || u == cl.s.acl.free.Load() {
		return ""
	}
	res, pos := u.state().check(sp, args)
	if res == aclOK {
		return ""
	}
	cl.s.acl.addLog(cl, res, ctx, aclLogObject(res, sp, args, pos), u.name)
	return noPermError(res, sp)
}

// aclScriptDenied checks a command a script calls (ACL log context "lua")
// and returns the error the script gets ("" when allowed).
func (cl *Client) aclScriptDenied(sp *Spec, args [][]byte) string {
	u := cl.aclUser.Load()
	if u == nil || u == cl.s.acl.free.Load() {
		return ""
	}
	res, pos := u.state().check(sp, args)
	switch res {
	case aclOK:
		return ""
	case aclDeniedKey:
		cl.s.acl.addLog(cl, res, aclCtxLua, aclLogObject(res, sp, args, pos), u.name)
		return "The user executing the script can't access at least one of the keys mentioned in the command arguments"
	case aclDeniedChannel:
		cl.s.acl.addLog(cl, res, aclCtxLua, aclLogObject(res, sp, args, pos), u.name)
		return "The user executing the script can't publish to the channel mentioned in the command"
	}
	cl.s.acl.addLog(cl, res, aclCtxLua, aclLogObject(res, sp, args, pos), u.name)
	return "The user executing the script can't run this command or subcommand"
}

// aclExecDenied re-checks a queued command when EXEC runs it.
func (cl *Client) aclExecDenied(sp *Spec, args [][]byte) string {
	u := cl.aclUser.Load()
	if u == nil || u == cl.s.acl.free.Load() {
		return ""
	}
	res, pos := u.state().check(sp, args)
	if res == aclOK {
		return ""
	}
	cl.s.acl.addLog(cl, res, aclCtxMulti, aclLogObject(res, sp, args, pos), u.name)
	reason := "no permission to execute the command or subcommand"
	switch res {
	case aclDeniedKey:
		reason = "no permission to touch the specified keys"
	case aclDeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	}
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
}

// aclPermits reports whether the client's user may run the command
// (redis.acl_check_cmd); nothing is logged.
func (cl *Client) aclPermits(sp *Spec, args [][]byte) bool {
	u := cl.aclUser.Load()
	if u == nil || u == cl.s.acl.free.Load() {
		return true
	}
	res, _ := u.state().check(sp, args)
	return res == aclOK
}

func aclLogObject(res int, sp *Spec, args [][]byte, pos int) string {
	if res == aclDeniedCmd {
		return sp.Name
	}
	return string(args[pos])
}

// noPermError is the NOPERM reply of a denial.
func noPermError(res int, sp *Spec) string {
	switch res {
	case aclDeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case aclDeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "NOPERM this user has no permissions to run the '" + sp.Name + "' command"
}

// --- ACL LOG ---

type aclLogEntry struct {
	count    int64
	reason   int
	context  int
	object   string
	username string
	ctime    int64 // unix ms of the last occurrence
	cinfo    string
}

var aclReasonNames = map[int]string{aclDeniedCmd: "command", aclDeniedKey: "key", aclDeniedChannel: "channel", aclDeniedAuth: "auth"}
var aclContextNames = [...]string{"toplevel", "multi", "lua"}

// addLog records a denial, merging it with a similar recent entry (same
// reason, context, object and user within 60 s among the 10 newest).
func (r *aclRegistry) addLog(cl *Client, reason, ctx int, object, username string) {
	e := &aclLogEntry{count: 1, reason: reason, context: ctx, object: object, username: username,
		ctime: time.Now().UnixMilli(), cinfo: strings.TrimSuffix(string(cl.infoLine(nil, time.Now())), "\n")}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	for i := 0; i < len(r.log) && i < 10; i++ {
		o := r.log[i]
		d := o.ctime - e.ctime
		if d < 0 {
			d = -d
		}
		if o.reason == e.reason && o.context == e.context && d <= 60000 && o.object == e.object && o.username == e.username {
			o.cinfo, o.ctime = e.cinfo, e.ctime
			o.count++
			copy(r.log[1:i+1], r.log[:i])
			r.log[0] = o
			return
		}
	}
	r.log = append(r.log, nil)
	copy(r.log[1:], r.log)
	r.log[0] = e
	if max := int(r.logMaxLen.Load()); len(r.log) > max {
		r.log = r.log[:max]
	}
}

// --- users and clients ---

// setUser makes u the client's user.
func (cl *Client) setUser(u *aclUser, authed bool) {
	cl.aclUser.Store(u)
	cl.info.Lock()
	cl.user, cl.authed = u.name, authed
	cl.info.Unlock()
}

// clientsOf returns the connected clients authenticated as u.
func (s *Server) clientsOf(u *aclUser) []*Client {
	var out []*Client
	for _, cl := range s.clientList() {
		if cl.aclUser.Load() == u {
			out = append(out, cl)
		}
	}
	return out
}

// dropUser disconnects the clients of a deleted (or replaced) user. The
// user's state becomes "off, no permissions", so a command of such a client
// still in flight is refused.
func (s *Server) dropUser(c *Ctx, u *aclUser) {
	u.st.Store(&aclState{sels: []*aclSelector{newSelector(true, false)}})
	for _, cl := range s.clientsOf(u) {
		s.disconnect(c, cl)
	}
}

// disconnect closes a client's connection; the client running c (if any)
// gets its reply first. c may be nil.
func (s *Server) disconnect(c *Ctx, cl *Client) {
	if c != nil {
		s.kill(c, cl)
		return
	}
	cl.mu.Lock()
	cl.killed = true
	cl.mu.Unlock()
	cl.conn.Close()
}

// killRevokedSubscribers disconnects the subscribers of u whose channels
// the new state no longer allows (ACLKillPubsubClientsIfNeeded).
func (s *Server) killRevokedSubscribers(c *Ctx, u *aclUser, st *aclState) {
	for _, sel := range st.sels {
		if sel.allChannels {
			return
		}
	}
	for _, cl := range s.clientsOf(u) {
		if cl.nsubs.Load() == 0 {
			continue
		}
		kill := false
		pubsub.mu.RLock()
		for p := range cl.subs.patterns {
			kill = kill || !st.channelAllowed(p, true)
		}
		for ch := range cl.subs.channels {
			kill = kill || !st.channelAllowed(ch, false)
		}
		for ch := range cl.subs.shardChs {
			kill = kill || !st.channelAllowed(ch, false)
		}
		pubsub.mu.RUnlock()
		if kill {
			s.disconnect(c, cl)
		}
	}
}

// --- protected mode ---

const errProtectedMode = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

// Protected reports whether protected mode refuses non-loopback clients:
// protected-mode is yes, the default user needs no password, and bind
// listens on every interface (a wildcard address). Binding to chosen
// addresses says the operator decided who may connect.
func (s *Server) Protected() bool {
	return s.cfg.Get("protected-mode") == "yes" && s.acl.def.state().nopass && wildcardBind(s.cfg.Get("bind"))
}

// wildcardBind reports whether a bind setting listens on every interface.
func wildcardBind(bind string) bool {
	fields := strings.Fields(bind)
	if len(fields) == 0 {
		return true
	}
	for _, h := range fields {
		switch strings.TrimPrefix(h, "-") {
		case "*", "0.0.0.0", "::", "::*", "[::]":
			return true
		}
	}
	return false
}

// protectedReject returns the DENIED reply for a connection protected mode
// refuses (nil: accept it).
func (s *Server) protectedReject(c Conn) []byte {
	if !s.Protected() || isLocalAddr(c.RemoteAddr()) {
		return nil
	}
	return append(append([]byte{'-'}, errProtectedMode...), '\r', '\n')
}

// isLocalAddr reports a loopback peer (or a unix socket, which has no
// host:port).
func isLocalAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// --- redaction ---

// sensitiveConfigs are settings whose CONFIG SET value is never shown.
var sensitiveConfigs = map[string]bool{"requirepass": true, "masterauth": true, "tls-key-file-pass": true, "tls-client-key-file-pass": true}

// redacted reports whether argument i of a command is a secret that the
// slow log and MONITOR show as "(redacted)": AUTH's credentials, HELLO
// AUTH's, ACL SETUSER's rules, sensitive CONFIG SET values.
func redacted(sp *Spec, args [][]byte, i int) bool {
	if sp == nil || i == 0 {
		return false
	}
	switch sp.Name {
	case "auth":
		return true
	case "acl|setuser":
		return i >= 2
	case "hello":
		for j := 2; j+2 < len(args); j++ {
			if eqFold(args[j], "auth") {
				return i == j+1 || i == j+2
			}
			if eqFold(args[j], "setname") {
				j++
			}
		}
	case "config|set":
		if i >= 3 && i%2 == 1 {
			if p := paramIndex[strings.ToLower(string(args[i-1]))]; p != nil && sensitiveConfigs[p.Name] {
				return true
			}
		}
	}
	return false
}
