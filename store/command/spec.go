// Package command is DiskDB's command layer: the command table (one Spec
// per command), the dispatcher that checks unknown commands, arity and
// authentication once for all of them, the client state machine that turns
// pipelined batches into executor tasks, and the handlers, one file per
// command group. It is the only package that sees both proto and store.
package command

import (
	"sort"
	"strings"
)

// Flag is a command property (COMMAND INFO flags, plus how it executes).
type Flag uint32

// Command flags. The first group is reported by COMMAND INFO.
const (
	FlagWrite       Flag = 1 << iota // may modify data
	FlagReadOnly                     // only reads data
	FlagDenyOOM                      // may grow memory
	FlagAdmin                        // administrative
	FlagPubSub                       // pub/sub related
	FlagNoScript                     // not allowed in scripts
	FlagBlocking                     // may block the client
	FlagLoading                      // allowed while loading
	FlagStale                        // allowed on a stale replica
	FlagNoAuth                       // allowed before AUTH
	FlagFast                         // O(1) or O(log N)
	FlagNoMulti                      // not allowed inside MULTI
	FlagAllowBusy                    // allowed while a script runs
	FlagSkipMonitor                  // not shown by MONITOR
	FlagSkipSlowlog                  // not logged by SLOWLOG
	FlagNoPropagate                  // not replicated

	// Execution classes (not reported).
	ExecInline     // runs on the connection's goroutine at dispatch; touches no data
	ExecAfter      // runs inline once the batch's earlier commands have completed
	ExecGlobal     // runs with every shard held
	ExecBackground // runs on its own goroutine once earlier commands completed
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"},
	{FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagNoMulti, "no_multi"},
	{FlagAllowBusy, "allow_busy"}, {FlagNoPropagate, "no_propagate"},
}

// Spec is one command: the declarative record the dispatcher works from.
type Spec struct {
	Name     string // lower case; "client|list" for subcommands
	Arity    int    // >0 exactly, <0 at least -Arity arguments (name included)
	Flags    Flag
	FirstKey int // position of the first key, 0 if none
	LastKey  int // position of the last key, -1 = last argument
	Step     int
	// KeysFn returns the key positions when they depend on the arguments
	// (numkeys, STREAMS ...). Arity is checked before it is called.
	KeysFn  func(args [][]byte, dst []int) []int
	Handler func(c *Ctx)
	// Serve, for blocking commands, serves a client blocked by Ctx.Block
	// when key received data: it replies and returns true, or returns
	// false without replying when there is nothing for it after all.
	Serve   func(c *Ctx, key []byte) bool
	Group   string // "string", "generic", ... (COMMAND DOCS)
	Summary string // one line (COMMAND DOCS, README)
	Since   string
	ACL     []string // ACL categories beyond those the flags imply
	Subs    map[string]*Spec
	parent  *Spec
	stats   *cmdStats
}

// table maps lower-case command names to their specs.
var table = map[string]*Spec{}

// register adds commands to the table; each command file calls it from init.
func register(specs ...*Spec) {
	for _, s := range specs {
		if s.Step == 0 && s.FirstKey > 0 {
			s.Step = 1
		}
		s.stats = &cmdStats{}
		if i := strings.IndexByte(s.Name, '|'); i > 0 {
			parent := table[s.Name[:i]]
			if parent == nil {
				panic("command: subcommand before its container: " + s.Name)
			}
			if parent.Subs == nil {
				parent.Subs = map[string]*Spec{}
			}
			s.parent = parent
			parent.Subs[s.Name[i+1:]] = s
			continue
		}
		if _, dup := table[s.Name]; dup {
			panic("command: registered twice: " + s.Name)
		}
		table[s.Name] = s
	}
}

// lookup finds the spec of name (any case) without allocating.
func lookup(name []byte, scratch []byte) (*Spec, []byte) {
	scratch = append(scratch[:0], name...)
	for i, c := range scratch {
		if c >= 'A' && c <= 'Z' {
			scratch[i] = c + 32
		}
	}
	return table[string(scratch)], scratch
}

// Commands returns every top-level spec, sorted by name.
func Commands() []*Spec {
	out := make([]*Spec, 0, len(table))
	for _, s := range table {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// arityOK checks n arguments against the arity rule.
func (s *Spec) arityOK(n int) bool {
	if s.Arity >= 0 {
		return n == s.Arity
	}
	return n >= -s.Arity
}

// keyPositions returns the positions of the keys in args.
func (s *Spec) keyPositions(args [][]byte, dst []int) []int {
	if s.KeysFn != nil {
		return s.KeysFn(args, dst)
	}
	if s.FirstKey <= 0 || s.FirstKey >= len(args) {
		return dst
	}
	last := s.LastKey
	if last < 0 {
		last = len(args) + last
	}
	if last >= len(args) {
		last = len(args) - 1
	}
	for i := s.FirstKey; i <= last; i += s.Step {
		dst = append(dst, i)
	}
	return dst
}

// FlagNames returns the COMMAND INFO flags of s.
func (s *Spec) FlagNames() []string {
	var out []string
	for _, f := range flagNames {
		if s.Flags&f.f != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// execClass returns how s executes.
func (s *Spec) execClass() Flag {
	return s.Flags & (ExecInline | ExecAfter | ExecGlobal | ExecBackground)
}
