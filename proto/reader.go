// Package proto is DiskDB's RESP codec: a resumable command parser over byte
// slices and reply encoders that append to a caller's buffer, in the manner of
// strconv. It imports nothing of DiskDB, does no I/O and never allocates on the
// steady path, so the same code serves the gnet backend, the io_uring backend
// and go test -fuzz.
//
// The parser accepts exactly what redis-server 7.0.15 accepts (networking.c,
// processInlineBuffer and processMultibulkBuffer) and fails with the same
// error texts at the same points of the stream.
package proto

import (
	"bytes"
	"errors"
	"math"
)

// Defaults of Limits, equal to redis-server 7.0's.
const (
	DefaultMaxBulkLen   = 512 << 20     // proto-max-bulk-len
	DefaultMaxMultibulk = math.MaxInt32 // arguments in one command
	DefaultMaxInline    = 64 << 10      // PROTO_INLINE_MAX_SIZE: one inline line or count line
)

// Limits redis-server applies to a client that has not authenticated yet
// (requirepass set): it may not announce more arguments or a longer argument.
const (
	UnauthMaxMultibulk = 10
	UnauthMaxBulkLen   = 16384
)

// Limits bound what one client may send. Zero fields mean the defaults.
type Limits struct {
	MaxBulkLen   int64 // bytes in one argument (default DefaultMaxBulkLen)
	MaxMultibulk int64 // arguments in one command (default DefaultMaxMultibulk)
	MaxInline    int   // bytes of unterminated inline request or count line (default DefaultMaxInline)

	// Unauthenticated applies redis-server's limits for a client that must
	// still authenticate: a multibulk count over UnauthMaxMultibulk and a
	// bulk length over UnauthMaxBulkLen are protocol errors. The caller sets
	// it before each ReadCommand from the connection's state.
	Unauthenticated bool
}

// ErrIncomplete means the buffer ends inside a command: call ReadCommand again
// with the same bytes followed by more.
var ErrIncomplete = errors.New("proto: incomplete command")

// Error is a protocol violation. The stream cannot be resynchronised: the
// caller replies with Error() as a RESP error and closes the connection, as
// Redis does.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func protoErr(msg string) *Error { return &Error{"ERR Protocol error: " + msg} }

// The protocol errors, worded as redis-server 7.0.15 words them.
var (
	errInvalidMultibulk = protoErr("invalid multibulk length")
	errInvalidBulk      = protoErr("invalid bulk length")
	errBigInline        = protoErr("too big inline request")
	errBigMbulkCount    = protoErr("too big mbulk count string")
	errBigBulkCount     = protoErr("too big bulk count string")
	errUnbalanced       = protoErr("unbalanced quotes in request")
	errUnauthMultibulk  = protoErr("unauthenticated multibulk length")
	errUnauthBulk       = protoErr("unauthenticated bulk length")
)

// errExpectedDollar is "expected '$', got 'c'". Redis formats the byte with
// %c and then maps CR and LF in error texts to spaces.
func errExpectedDollar(c byte) *Error {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return protoErr("expected '$', got '" + string([]byte{c}) + "'")
}

// retainArgs bounds the argument slices a Parser keeps between commands, so
// one huge command does not pin its memory for the connection's lifetime.
const retainArgs = 1024

// Parser reads commands from a client's byte stream. It keeps the progress of
// a command that has arrived only in part, so a command of a million
// arguments, or a long line, spread over many reads costs O(total bytes),
// not O(reads × bytes). The zero value is ready to use.
//
// A Parser belongs to one connection and one goroutine at a time.
type Parser struct {
	Limits Limits

	args    [][]byte
	scratch []byte // unescaped inline arguments

	// Progress of a partial command, all offsets from its first byte.
	argc int   // declared argument count of a multibulk; 0 before the count line is read
	pos  int   // where the next bulk header starts
	offs []int // start, length pairs of the arguments read so far
	scan int   // the line being looked for has no terminator (nor NUL) before scan
	nul  bool  // a NUL precedes the terminator: the line can never end (strchr)
	need int   // minimum len(b) before another call can progress
}

// Need returns the smallest buffer length with which the next ReadCommand
// call can make progress, or 0 if any new byte may help. Backends use it to
// avoid re-presenting a large partial bulk on every read.
func (p *Parser) Need() int { return p.need }

// Reset forgets a partially read command. Call it when the bytes given to
// ReadCommand are thrown away (the connection is reset or closed). The
// parser resets itself after each command and each protocol error.
func (p *Parser) Reset() {
	p.argc, p.pos, p.scan, p.nul, p.need = 0, 0, 0, false, 0
	p.offs = p.offs[:0]
}

// Pending reports whether the parser holds the progress of a partially read
// command, which the next ReadCommand expects to find again at the start of
// its buffer.
func (p *Parser) Pending() bool { return p.argc != 0 || p.scan != 0 || p.nul }

// ReadCommand parses the first command of b, which must start where the
// previous call's consumed bytes ended (or, after ErrIncomplete, be the same
// bytes extended).
//
// It returns the arguments and the number of bytes consumed. A multibulk
// command's arguments alias b; an inline command's alias b or, when quoting
// had to be undone, the parser's scratch space. They stay valid until b is
// modified or the next call to ReadCommand, and the slice holding them is
// reused by that call. An empty command (blank inline line, "*0", "*-1")
// returns args == nil with n > 0; the caller skips it. ErrIncomplete returns
// n == 0. A *Error is a protocol error: the parser is reset and the stream
// cannot be resumed.
func (p *Parser) ReadCommand(b []byte) (args [][]byte, n int, err error) {
	if cap(p.args) > retainArgs {
		p.args = nil
	}
	if len(b) == 0 {
		return nil, 0, ErrIncomplete
	}
	if p.argc != 0 || b[0] == '*' {
		args, n, err = p.readMultibulk(b)
	} else {
		args, n, err = p.readInline(b)
	}
	if err != nil && err != ErrIncomplete {
		p.Reset()
	}
	return args, n, err
}

func (p *Parser) maxInline() int {
	if p.Limits.MaxInline > 0 {
		return p.Limits.MaxInline
	}
	return DefaultMaxInline
}

func (p *Parser) maxBulk() int64 {
	if p.Limits.MaxBulkLen > 0 {
		return min(p.Limits.MaxBulkLen, 1<<62) // offsets below cannot overflow
	}
	return DefaultMaxBulkLen
}

// lineEnd returns the offset of the first c in b at or after from, or -1 if
// there is none yet. Like redis-server's strchr over its query buffer, it
// never finds a terminator behind a NUL byte: such a line waits forever, and
// ends in a "too big" error once the buffer passes MaxInline. Bytes searched
// once are not searched again when the caller comes back with more.
func (p *Parser) lineEnd(b []byte, from int, c byte) int {
	if p.nul {
		return -1
	}
	start := max(from, p.scan)
	if start > len(b) {
		start = len(b) // the caller broke the contract: rescan what there is
	}
	end := len(b)
	i := bytes.IndexByte(b[start:], c)
	if i >= 0 {
		end = start + i
	}
	if bytes.IndexByte(b[start:end], 0) >= 0 {
		p.nul = true
		return -1
	}
	p.scan = end
	if i < 0 {
		return -1
	}
	return end
}

// wait records where to resume and returns ErrIncomplete.
func (p *Parser) wait(need int) ([][]byte, int, error) {
	p.need = need
	return nil, 0, ErrIncomplete
}

func (p *Parser) readMultibulk(b []byte) ([][]byte, int, error) {
	if p.argc == 0 {
		ll, cr, ok := quickCount(b, 0)
		if !ok || cr+1 >= len(b) {
			var err error
			if ll, cr, err = p.countLine(b, 0); err != nil {
				return nil, 0, err
			}
			if ll == invalidCount {
				return nil, 0, errInvalidMultibulk
			}
		}
		max := p.Limits.MaxMultibulk
		if max <= 0 {
			max = DefaultMaxMultibulk
		}
		if ll > max {
			return nil, 0, errInvalidMultibulk
		}
		if p.Limits.Unauthenticated && ll > UnauthMaxMultibulk {
			return nil, 0, errUnauthMultibulk
		}
		if ll <= 0 {
			p.Reset()
			return nil, cr + 2, nil
		}
		p.argc, p.pos = int(ll), cr+2
		p.offs = p.offs[:0]
		if cap(p.offs) > 2*retainArgs {
			p.offs = nil
		}
	}
	maxBulk := p.maxBulk()
	pos := p.pos
	for len(p.offs) < 2*p.argc {
		p.pos = pos
		if pos >= len(b) {
			return p.wait(pos + 1)
		}
		ll, cr, ok := quickCount(b, pos)
		if !ok || b[pos] != '$' || cr+1 >= len(b) {
			var err error
			if ll, cr, err = p.countLine(b, pos); err != nil {
				return nil, 0, err
			}
			if b[pos] != '$' {
				return nil, 0, errExpectedDollar(b[pos])
			}
		}
		if ll < 0 || ll > maxBulk {
			return nil, 0, errInvalidBulk
		}
		if p.Limits.Unauthenticated && ll > UnauthMaxBulkLen {
			return nil, 0, errUnauthBulk
		}
		start := cr + 2
		end := start + int(ll) + 2 // Redis skips the two bytes after the data unchecked
		if end > len(b) {
			return p.wait(end)
		}
		p.offs = append(p.offs, start, int(ll))
		pos = end
	}
	// Complete: build the argument slices.
	args := p.args[:0]
	for i := 0; i < len(p.offs); i += 2 {
		s, l := p.offs[i], p.offs[i+1]
		args = append(args, b[s:s+l:s+l])
	}
	p.args = args
	p.Reset()
	return args, pos, nil
}

// invalidCount stands for a count line string2ll refuses.
const invalidCount = math.MinInt64

// quickCount reads the common count line: b[pos] ('*' or '$') followed by
// canonical digits and CR, without the bookkeeping of countLine. It reports
// ok false for anything else (a sign, a leading zero, 18 digits or more, no
// CR yet), which countLine then handles with Redis's exact outcome.
func quickCount(b []byte, pos int) (n int64, cr int, ok bool) {
	i := pos + 1
	end := min(len(b), pos+19)
	for ; i < end; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	if i == pos+1 || i == end || b[i] != '\r' || (b[pos+1] == '0' && i > pos+2) {
		return 0, 0, false
	}
	return n, i, true
}

// countLine reads the count line starting at b[pos] as processMultibulkBuffer
// does: it waits for the CR and the byte after it, refuses a line still
// unterminated after MaxInline bytes, and parses what follows the first byte
// with string2ll (invalidCount if that fails). The first byte is checked by
// the caller.
func (p *Parser) countLine(b []byte, pos int) (n int64, cr int, err error) {
	cr = p.lineEnd(b, pos, '\r')
	if cr < 0 {
		if len(b)-pos > p.maxInline() {
			if pos == 0 {
				return 0, 0, errBigMbulkCount
			}
			return 0, 0, errBigBulkCount
		}
		p.need = len(b) + 1
		return 0, 0, ErrIncomplete
	}
	if cr+1 >= len(b) { // Redis wants the byte after CR too (it does not check it is LF)
		p.need = cr + 2
		return 0, 0, ErrIncomplete
	}
	if cr == pos { // no first byte: the caller reports it
		return invalidCount, cr, nil
	}
	n, ok := ParseInt(b[pos+1 : cr])
	if !ok {
		n = invalidCount
	}
	return n, cr, nil
}

func (p *Parser) readInline(b []byte) ([][]byte, int, error) {
	nl := p.lineEnd(b, 0, '\n')
	if nl < 0 {
		if len(b) > p.maxInline() {
			return nil, 0, errBigInline
		}
		return p.wait(len(b) + 1)
	}
	p.Reset()
	line := b[:nl]
	if nl > 0 && line[nl-1] == '\r' {
		line = line[:nl-1]
	}
	args, ok := p.splitArgs(line)
	if !ok {
		return nil, 0, errUnbalanced
	}
	if len(args) == 0 {
		return nil, nl + 1, nil
	}
	return args, nl + 1, nil
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// endsToken reports whether c ends an unquoted inline argument. \v and \f
// are skipped between arguments but belong to an unquoted one, as in Redis.
func endsToken(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitArgs splits an inline request line the way Redis's sdssplitargs does:
// blanks separate arguments; "double quotes" take \n \r \t \b \a \xHH escapes
// and \c for any other c; 'single quotes' take \' only; a closing quote must
// be followed by a blank or the end of the line. It reports false for
// unbalanced quotes. line holds no NUL (lineEnd stops at one).
func (p *Parser) splitArgs(line []byte) ([][]byte, bool) {
	args := p.args[:0]
	p.scratch = p.scratch[:0]
	if cap(p.scratch) > 2*DefaultMaxInline {
		p.scratch = nil
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && !endsToken(line[i]) && line[i] != '"' && line[i] != '\'' {
			i++
		}
		if i == len(line) || endsToken(line[i]) {
			args = append(args, line[start:i:i]) // plain: alias the line
			continue
		}
		// Quoted: rebuild the argument in scratch. An argument never
		// unescapes longer than its source, so with room for the whole
		// line scratch never moves and earlier arguments stay valid.
		if cap(p.scratch) < len(line) {
			p.scratch = make([]byte, 0, len(line))
		}
		s0 := len(p.scratch)
		p.scratch = append(p.scratch, line[start:i]...)
		var ok bool
		if i, ok = p.unquote(line, i); !ok {
			p.args = args[:0]
			return nil, false
		}
		s1 := len(p.scratch)
		args = append(args, p.scratch[s0:s1:s1])
	}
	p.args = args
	return args, true
}

// unquote appends to scratch the quoted section starting at line[i] (a quote
// character) and returns the offset after its closing quote.
func (p *Parser) unquote(line []byte, i int) (int, bool) {
	q := line[i]
	i++
	for i < len(line) {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			e := line[i+1]
			if q == '\'' {
				if e == '\'' {
					p.scratch = append(p.scratch, '\'')
					i += 2
					continue
				}
			} else {
				if e == 'x' && i+3 < len(line) {
					h, ok1 := hexVal(line[i+2])
					l, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						p.scratch = append(p.scratch, h<<4|l)
						i += 4
						continue
					}
				}
				switch e {
				case 'n':
					e = '\n'
				case 'r':
					e = '\r'
				case 't':
					e = '\t'
				case 'b':
					e = '\b'
				case 'a':
					e = '\a'
				}
				p.scratch = append(p.scratch, e)
				i += 2
				continue
			}
		}
		if c == q {
			if i+1 < len(line) && !isSpace(line[i+1]) {
				return i, false
			}
			return i + 1, true
		}
		p.scratch = append(p.scratch, c)
		i++
	}
	return i, false // unterminated
}
