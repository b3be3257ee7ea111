// Package proto is DiskDB's RESP codec: a resumable command parser over byte
// slices and reply encoders that append to a caller's buffer, in the manner of
// strconv. It imports nothing of DiskDB, does no I/O and never allocates on the
// steady path, so the same code serves the gnet backend, the io_uring backend
// and go test -fuzz.
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

// Limits bound what one client may send. Zero fields mean the defaults.
type Limits struct {
	MaxBulkLen   int64 // bytes in one argument
	MaxMultibulk int64 // arguments in one command
	MaxInline    int   // bytes in one inline request line or one count line
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

var (
	errInvalidMultibulk = protoErr("invalid multibulk length")
	errInvalidBulk      = protoErr("invalid bulk length")
	errBigInline        = protoErr("too big inline request")
	errBigMbulkCount    = protoErr("too big mbulk count string")
	errBigBulkCount     = protoErr("too big bulk count string")
	errUnbalanced       = protoErr("unbalanced quotes in request")
)

// Parser reads commands from a client's byte stream. It keeps the progress of
// a multibulk command that has arrived only in part, so a command of a
// million arguments spread over many reads costs O(total bytes), not
// O(reads × bytes). The zero value is ready to use.
//
// A Parser belongs to one connection and one goroutine at a time.
type Parser struct {
	Limits Limits

	args    [][]byte
	scratch []byte // unescaped inline arguments

	// Resume state of a partial multibulk command; argc == 0 when idle.
	argc int   // declared argument count
	pos  int   // offset from the command's first byte where parsing resumes
	offs []int // start, length pairs of the arguments read so far
	need int   // minimum len(b) before another call can progress
}

// Need returns the smallest buffer length with which the next ReadCommand
// call can make progress, or 0 if any new byte may help. Backends use it to
// avoid re-presenting a large partial bulk on every read.
func (p *Parser) Need() int { return p.need }

// Reset forgets a partially read command. Call it when the bytes given to
// ReadCommand are thrown away (the connection is reset or closed).
func (p *Parser) Reset() {
	p.argc, p.pos, p.need = 0, 0, 0
	p.offs = p.offs[:0]
}

// Pending reports whether the parser holds a partially read command.
func (p *Parser) Pending() bool { return p.argc != 0 }

// ReadCommand parses the first command of b, which must start where the
// previous call's consumed bytes ended (or, after ErrIncomplete, be the same
// bytes extended).
//
// It returns the arguments and the number of bytes consumed. The arguments
// alias b (or, for inline commands with escapes, the parser's scratch space):
// they stay valid until b is modified or the next call to ReadCommand. An
// empty command (blank inline line, "*0") returns args == nil with n > 0; the
// caller skips it. ErrIncomplete returns n == 0. A *Error is a protocol error.
func (p *Parser) ReadCommand(b []byte) (args [][]byte, n int, err error) {
	if len(b) == 0 {
		return nil, 0, ErrIncomplete
	}
	if b[0] != '*' {
		return p.readInline(b)
	}
	return p.readMultibulk(b)
}

func (p *Parser) maxInline() int {
	if p.Limits.MaxInline > 0 {
		return p.Limits.MaxInline
	}
	return DefaultMaxInline
}

func (p *Parser) readMultibulk(b []byte) ([][]byte, int, error) {
	pos := p.pos
	if p.argc == 0 {
		cr := strchr(b, '\r')
		if cr < 0 || cr+1 >= len(b) {
			if len(b) > p.maxInline() {
				return nil, 0, errBigMbulkCount
			}
			return nil, 0, ErrIncomplete
		}
		ll, ok := ParseInt(b[1:cr])
		max := p.Limits.MaxMultibulk
		if max <= 0 {
			max = DefaultMaxMultibulk
		}
		if !ok || ll > max {
			return nil, 0, errInvalidMultibulk
		}
		pos = cr + 2
		if ll <= 0 {
			return nil, pos, nil
		}
		p.argc = int(ll)
		p.offs = p.offs[:0]
	}
	maxBulk := p.Limits.MaxBulkLen
	if maxBulk <= 0 {
		maxBulk = DefaultMaxBulkLen
	}
	for len(p.offs) < 2*p.argc {
		if pos >= len(b) {
			return p.suspend(pos, 0)
		}
		cr := strchr(b[pos:], '\r')
		if cr < 0 || pos+cr+1 >= len(b) {
			if len(b)-pos > p.maxInline() {
				p.Reset()
				return nil, 0, errBigBulkCount
			}
			return p.suspend(pos, 0)
		}
		if b[pos] != '$' { // checked once the line is complete, as redis-server does
			p.Reset()
			return nil, 0, &Error{"ERR Protocol error: expected '$', got '" + string(b[pos:pos+1]) + "'"}
		}
		ll, ok := ParseInt(b[pos+1 : pos+cr])
		if !ok || ll < 0 || ll > maxBulk {
			p.Reset()
			return nil, 0, errInvalidBulk
		}
		start := pos + cr + 2
		end := start + int(ll) + 2
		if end > len(b) {
			return p.suspend(pos, end)
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
	p.argc, p.pos, p.need = 0, 0, 0
	p.offs = p.offs[:0]
	return args, pos, nil
}

func (p *Parser) suspend(pos, need int) ([][]byte, int, error) {
	p.pos, p.need = pos, need
	return nil, 0, ErrIncomplete
}

func (p *Parser) readInline(b []byte) ([][]byte, int, error) {
	nl := strchr(b, '\n')
	if nl < 0 {
		if len(b) > p.maxInline() {
			return nil, 0, errBigInline
		}
		return nil, 0, ErrIncomplete
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
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

// strchr returns the index of c in b as redis-server's strchr finds the end
// of a line: -1 when a NUL byte comes first, so the line waits for more
// input until it is over the size limit.
func strchr(b []byte, c byte) int {
	i := bytes.IndexByte(b, c)
	end := i
	if end < 0 {
		end = len(b)
	}
	if bytes.IndexByte(b[:end], 0) >= 0 {
		return -1
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

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
// whitespace separates arguments; "double quotes" take \n \r \t \b \a \xHH and
// \c escapes; 'single quotes' take \' only; a closing quote must be followed
// by a space or the end of the line.
func (p *Parser) splitArgs(line []byte) ([][]byte, bool) {
	if k := bytes.IndexByte(line, 0); k >= 0 {
		line = line[:k] // Redis reads the line as a C string
	}
	args := p.args[:0]
	p.scratch = p.scratch[:0]
	// Arguments that need unescaping are written to scratch; record their
	// offsets first and slice at the end, since scratch may grow.
	type span struct {
		scratch    bool
		start, end int
	}
	var spansBuf [16]span
	spans := spansBuf[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		// Fast path: an unquoted token aliases the line.
		start := i
		plain := true
		for i < len(line) {
			c := line[i]
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0 {
				break
			}
			if c == '"' || c == '\'' {
				plain = false
				break
			}
			i++
		}
		if plain {
			spans = append(spans, span{false, start, i})
			continue
		}
		// Slow path: rebuild the token in scratch.
		sstart := len(p.scratch)
		p.scratch = append(p.scratch, line[start:i]...)
		inq, insq, done := false, false, false
		for !done {
			if inq {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x':
					h, ok1 := hexVal(line[i+2])
					l, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						p.scratch = append(p.scratch, h<<4|l)
						i += 3
					} else {
						p.scratch = append(p.scratch, 'x')
						i++
					}
				case c == '\\' && i+1 < len(line):
					i++
					e := line[i]
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
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					p.scratch = append(p.scratch, c)
				}
				i++
			} else if insq {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					p.scratch = append(p.scratch, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					p.scratch = append(p.scratch, c)
				}
				i++
			} else {
				if i >= len(line) {
					break
				}
				c := line[i]
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					p.scratch = append(p.scratch, c)
				}
				i++
			}
		}
		spans = append(spans, span{true, sstart, len(p.scratch)})
	}
	for _, s := range spans {
		if s.scratch {
			args = append(args, p.scratch[s.start:s.end:s.end])
		} else {
			args = append(args, line[s.start:s.end:s.end])
		}
	}
	p.args = args
	return args, true
}
