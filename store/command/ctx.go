package command

import (
	"errors"
	"strings"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Ctx is what a handler gets: the arguments, the client, the store view
// (nil for inline commands) and the reply buffer it appends to.
type Ctx struct {
	S     *Server
	Cl    *Client
	Spec  *Spec
	Args  [][]byte
	DB    int
	Tx    *store.Tx
	Out   []byte
	RESP3 bool
	// Failed is set when the handler replied with an error.
	Failed bool
	// InExec is set for commands run by EXEC (blocking commands don't block).
	InExec bool
	bar    *barTask // set when the command runs as a barrier task (may block)
	// elsewhere is set by Serve functions that need another shard.
	elsewhere bool
}

// RetryWithAllShards rolls the command's writes back and runs it again
// with every shard held. Only for flagIsolated commands that have not
// replied; it reports false when the writes cannot be rolled back.
func (c *Ctx) RetryWithAllShards(outStart int) bool {
	if c.bar == nil || !c.Tx.Rollback() {
		return false
	}
	c.bar.retryAll = true
	c.bar.retryOut = outStart
	c.Out = c.Out[:outStart]
	return true
}

// HoldsKey reports whether the command's store view holds key's shard.
func (c *Ctx) HoldsKey(key []byte) bool {
	return c.Tx != nil && c.Tx.Holds(c.S.eng.ShardOf(key))
}

// --- replies ---

// OK replies +OK.
func (c *Ctx) OK() { c.Out = proto.AppendOK(c.Out) }

// Status replies a simple string.
func (c *Ctx) Status(s string) { c.Out = proto.AppendStatus(c.Out, s) }

// Int replies an integer.
func (c *Ctx) Int(n int64) { c.Out = proto.AppendInt(c.Out, n) }

// Bulk replies a bulk string.
func (c *Ctx) Bulk(b []byte) { c.Out = proto.AppendBulk(c.Out, b) }

// BulkStr replies a bulk string.
func (c *Ctx) BulkStr(s string) { c.Out = proto.AppendBulkString(c.Out, s) }

// BulkInt replies n as a bulk string.
func (c *Ctx) BulkInt(n int64) { c.Out = proto.AppendBulkInt(c.Out, n) }

// Null replies the null bulk string (RESP3: null).
func (c *Ctx) Null() { c.Out = proto.AppendNull(c.Out, c.RESP3) }

// NullArray replies the null array (RESP3: null).
func (c *Ctx) NullArray() { c.Out = proto.AppendNullArray(c.Out, c.RESP3) }

// Array starts an array of n elements.
func (c *Ctx) Array(n int) { c.Out = proto.AppendArray(c.Out, n) }

// Map starts a map of n pairs (RESP2: array of 2n).
func (c *Ctx) Map(n int) { c.Out = proto.AppendMap(c.Out, n, c.RESP3) }

// Set starts a set of n elements (RESP2: array).
func (c *Ctx) Set(n int) { c.Out = proto.AppendSet(c.Out, n, c.RESP3) }

// Double replies a double (RESP2: bulk string).
func (c *Ctx) Double(f float64) { c.Out = proto.AppendDouble(c.Out, f, c.RESP3) }

// Bool replies a boolean (RESP2: 1 or 0).
func (c *Ctx) Bool(v bool) { c.Out = proto.AppendBool(c.Out, v, c.RESP3) }

// Verbatim replies a verbatim text string (RESP2: bulk string).
func (c *Ctx) Verbatim(s string) { c.Out = proto.AppendVerbatim(c.Out, "txt", s, c.RESP3) }

// Err replies an error; msg starts with its code ("ERR ...").
func (c *Ctx) Err(msg string) {
	c.Out = proto.AppendError(c.Out, msg)
	c.Failed = true
	c.S.countError(msg)
}

// StoreErr replies the error of a store call.
func (c *Ctx) StoreErr(err error) {
	switch {
	case errors.Is(err, store.ErrWrongType):
		c.Err(errWrongType)
	default:
		msg := err.Error()
		if !strings.HasPrefix(msg, "ERR ") && !strings.HasPrefix(msg, "WRONGTYPE") {
			msg = "ERR " + msg
		}
		c.Err(msg)
	}
}

// ArgErr replies the arity error of the command being run.
func (c *Ctx) ArgErr() { c.Err(errArity(c.Spec.Name)) }

// --- argument parsing (each replies the Redis error itself on failure) ---

// Int64 parses argument i as an integer.
func (c *Ctx) Int64(i int) (int64, bool) {
	n, ok := proto.ParseInt(c.Args[i])
	if !ok {
		c.Err(errNotInt)
	}
	return n, ok
}

// Float parses argument i as a double.
func (c *Ctx) Float(i int) (float64, bool) {
	f, ok := proto.ParseFloat(c.Args[i])
	if !ok {
		c.Err(errNotFloat)
	}
	return f, ok
}

// is reports whether argument i equals word, ignoring ASCII case.
func (c *Ctx) is(i int, word string) bool { return eqFold(c.Args[i], word) }

// eqFold compares b with the lower-case word ignoring ASCII case.
func eqFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 32
		}
		w := word[i]
		if w >= 'A' && w <= 'Z' {
			w += 32
		}
		if ch != w {
			return false
		}
	}
	return true
}
