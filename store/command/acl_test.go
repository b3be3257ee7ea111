package command

import (
	"io"
	"log/slog"
	"math/rand"
	"strings"
	"testing"

	"github.com/diskdb/diskdb/store"
)

// newTestServer opens a real engine in a temporary directory with the
// given settings.
func newTestServer(t *testing.T, settings ...string) *Server {
	t.Helper()
	eng, err := store.Open(store.Options{Dir: t.TempDir(), Shards: 2, BlockCacheSize: 8 << 20, HotCacheSize: -1, WriteBufferSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cfg := NewConfig()
	for i := 0; i+1 < len(settings); i += 2 {
		if err := cfg.Set(settings[i], settings[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return NewServer(eng, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// peer is the network side of a connection as the command layer sees it:
// only its addresses matter to these tests.
type peer struct{ remote, local string }

func (p peer) Wake()              {}
func (p peer) Close()             {}
func (p peer) RemoteAddr() string { return p.remote }
func (p peer) LocalAddr() string  { return p.local }

func TestProtectedModeDeniesNonLoopbackClients(t *testing.T) {
	outside := peer{"192.0.2.7:40000", "192.0.2.1:6380"}
	loop := peer{"127.0.0.1:40000", "127.0.0.1:6380"}
	cases := []struct {
		settings []string
		conn     peer
		denied   bool
	}{
		{[]string{"bind", "0.0.0.0"}, outside, true},
		{[]string{"bind", "* -::*"}, outside, true},
		{[]string{"bind", "0.0.0.0"}, loop, false},
		{[]string{"bind", "0.0.0.0", "protected-mode", "no"}, outside, false},
		{[]string{"bind", "0.0.0.0", "requirepass", "pw"}, outside, false},
		{[]string{"bind", "192.0.2.1"}, outside, false}, // chosen addresses: the operator decided
		{[]string{"bind", "[::1]:x"}, peer{"[::1]:5000", ""}, false},
	}
	for _, tc := range cases {
		s := newTestServer(t, tc.settings...)
		cl, reply := s.NewClient(tc.conn)
		if tc.denied {
			if cl != nil || !strings.HasPrefix(string(reply), "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.") || !strings.HasSuffix(string(reply), "from the outside.\r\n") {
				t.Errorf("%v %s: client=%v reply=%q, want DENIED", tc.settings, tc.conn.remote, cl != nil, reply)
			}
			if s.stats.rejected.Load() != 1 {
				t.Errorf("%v: rejected_connections = %d", tc.settings, s.stats.rejected.Load())
			}
			continue
		}
		if cl == nil {
			t.Errorf("%v %s: refused with %q", tc.settings, tc.conn.remote, reply)
		}
	}
	// Setting a password at run time lifts the protection at once.
	s := newTestServer(t, "bind", "0.0.0.0")
	if !s.Protected() {
		t.Fatal("not protected")
	}
	s.acl.setDefaultPassword("pw")
	if s.Protected() {
		t.Fatal("still protected with a password")
	}
}

// TestACLDescriptionRebuildsTheSameRules applies random rules, describes
// the selector, applies the description to a fresh one and compares the
// command bitmaps: the check Redis makes (and panics on) after describing.
func TestACLDescriptionRebuildsTheSameRules(t *testing.T) {
	aclTable()
	rng := rand.New(rand.NewSource(1))
	var names []string
	for _, ac := range aclCmds.all {
		names = append(names, ac.spec.Name)
	}
	for round := 0; round < 300; round++ {
		s := &aclSelector{}
		if rng.Intn(2) == 0 {
			_ = s.apply("+@all")
		}
		for i := rng.Intn(8); i >= 0; i-- {
			sign := "+"
			if rng.Intn(2) == 0 {
				sign = "-"
			}
			var op string
			switch rng.Intn(3) {
			case 0:
				op = sign + "@" + aclCategoryOrder[rng.Intn(len(aclCategoryOrder))]
			case 1:
				op = sign + names[rng.Intn(len(names))]
			default:
				op = "+select|" + string(rune('0'+rng.Intn(3)))
			}
			if err := s.apply(op); err != nil {
				t.Fatalf("%s: %v", op, err)
			}
		}
		desc := s.describeCommands()
		again := &aclSelector{}
		for _, op := range strings.Fields(desc) {
			if err := again.apply(op); err != nil {
				t.Fatalf("applying %q of %q: %v", op, desc, err)
			}
		}
		if again.bits != s.bits {
			t.Fatalf("round %d: %q does not rebuild the bitmap", round, desc)
		}
		for id, args := range s.firstArgs {
			if s.bits.get(id) {
				continue // dormant: the command is allowed anyway (Redis drops them too)
			}
			if strings.Join(again.firstArgs[id], ",") != strings.Join(args, ",") {
				t.Fatalf("round %d: %q loses first-args %v", round, desc, args)
			}
		}
	}
}

func TestACLPasswordsAreCheckedByHash(t *testing.T) {
	s := newTestServer(t)
	r := &s.acl
	st := r.newUserState()
	for _, op := range []string{"on", ">one", ">two", "#" + passwordHash([]byte("three"))} {
		if err := r.applyUser(st, op); err != nil {
			t.Fatal(err)
		}
	}
	u := &aclUser{name: "u"}
	r.users["u"] = u
	r.publish(u, st)
	for _, p := range []string{"one", "two", "three"} {
		if r.authenticate([]byte("u"), []byte(p)) != u {
			t.Errorf("password %q refused", p)
		}
	}
	for _, p := range []string{"", "on", "one ", passwordHash([]byte("one"))} {
		if r.authenticate([]byte("u"), []byte(p)) != nil {
			t.Errorf("password %q accepted", p)
		}
	}
	for _, p := range st.passwords {
		if !validHash(p) {
			t.Errorf("stored %q, not a SHA-256", p)
		}
	}
}

// BenchmarkLatencyRecord is what every command pays for INFO latencystats.
func BenchmarkLatencyRecord(b *testing.B) {
	var l cmdLatency
	b.RunParallel(func(pb *testing.PB) {
		id := int64(0)
		for pb.Next() {
			id++
			l.record(id, 1500)
		}
	})
}

// BenchmarkACLCheckRestrictedUser is the check of a user limited to some
// keys and commands (the default user's costs one pointer compare).
func BenchmarkACLCheckRestrictedUser(b *testing.B) {
	aclTable()
	var r aclRegistry
	r.init()
	st := r.newUserState()
	for _, op := range []string{"on", "~app:*", "+@read"} {
		if err := r.applyUser(st, op); err != nil {
			b.Fatal(err)
		}
	}
	sp := findSpec([]byte("get"))
	args := [][]byte{[]byte("GET"), []byte("app:12345")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if res, _ := st.check(sp, args); res != aclOK {
			b.Fatal(res)
		}
	}
}
