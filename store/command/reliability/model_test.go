package reliability

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// tracked is the model of one key (or one group of keys that must move
// together): the state the server acknowledged and the operations sent but
// not yet acknowledged, in the order they were sent. After a crash the
// server must hold the acknowledged state with some prefix of the pending
// operations applied: nothing less (an acknowledged write lost) and nothing
// else (a write invented or half applied).
type tracked[S any] struct {
	acked   S
	pending []func(S) S
	clone   func(S) S
	equal   func(a, b S) bool
	show    func(S) string
}

// begin records op as sent; call it before the command goes out.
func (t *tracked[S]) begin(op func(S) S) { t.pending = append(t.pending, op) }

// ack applies the oldest pending operation to the acknowledged state; call
// it when its reply arrived.
func (t *tracked[S]) ack() {
	op := t.pending[0]
	t.pending = t.pending[1:]
	t.acked = op(t.clone(t.acked))
}

// abandon drops the newest pending operation after the server refused it
// with an error reply (so it certainly did not apply).
func (t *tracked[S]) abandon() { t.pending = t.pending[:len(t.pending)-1] }

// next returns the state after the pending operations would apply.
func (t *tracked[S]) next() S {
	s := t.clone(t.acked)
	for _, op := range t.pending {
		s = op(s)
	}
	return s
}

// resolve checks actual against the candidates and adopts it.
func (t *tracked[S]) resolve(actual S) error {
	s := t.clone(t.acked)
	ok := t.equal(actual, s)
	for i := 0; !ok && i < len(t.pending); i++ {
		s = t.pending[i](s)
		ok = t.equal(actual, s)
	}
	if !ok {
		defer t.adopt(actual)
		return fmt.Errorf("server has %s; acknowledged %s with %d operation(s) in flight", t.show(actual), t.show(t.acked), len(t.pending))
	}
	t.acked = s
	t.pending = nil
	return nil
}

// adopt takes actual as the new acknowledged state after a mismatch was
// reported, so one loss is counted once.
func (t *tracked[S]) adopt(actual S) {
	t.acked = actual
	t.pending = nil
}

// counters are the figures a harness reports.
type counters struct {
	ops     atomic.Int64 // operations acknowledged
	sent    atomic.Int64 // operations sent
	lost    atomic.Int64 // acknowledged operations missing or wrong after a restart
	errs    atomic.Int64 // unexpected error replies
	checked atomic.Int64 // keys verified
}

// isNetErr reports whether err is the connection failing (the server was
// killed), as opposed to an error reply.
func isNetErr(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return true // the harness stopped the load (the server is being killed)
	}
	var re redis.Error
	if errors.As(err, &re) && !strings.HasPrefix(err.Error(), "LOADING") {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	s := err.Error()
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(s, "EOF") || strings.Contains(s, "connection") ||
		strings.Contains(s, "broken pipe") || strings.Contains(s, "closed") || strings.Contains(s, "reset by peer")
}

func cloneSlice[T any](s []T) []T { return append([]T(nil), s...) }

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func equalSlice[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalMap[K, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func showAny[S any](s S) string {
	out := fmt.Sprint(s)
	if len(out) > 300 {
		out = out[:300] + "..."
	}
	return out
}
