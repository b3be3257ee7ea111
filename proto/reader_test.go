package proto

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// result is what one ReadCommand call produced, in a comparable form.
type result struct {
	args []string // nil for an empty command
	err  string   // "" on success
}

func (r result) String() string {
	if r.err != "" {
		return "error " + strconv.Quote(r.err)
	}
	return fmt.Sprintf("%q", r.args)
}

func toStrings(args [][]byte) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// parseAll parses every complete command of in, given at once, and reports
// the results, the bytes consumed and whether the parser stopped on
// ErrIncomplete (true) or a protocol error (false).
func parseAll(t testing.TB, p *Parser, in []byte) (res []result, consumed int, incomplete bool) {
	t.Helper()
	for {
		args, n, err := p.ReadCommand(in[consumed:])
		if errors.Is(err, ErrIncomplete) {
			if n != 0 {
				t.Fatalf("ErrIncomplete with n = %d", n)
			}
			// Need must ask for more than it had, or a backend that
			// trusts it would wait forever.
			if need := p.Need(); need != 0 && need <= len(in)-consumed {
				t.Fatalf("ErrIncomplete with Need() = %d <= %d bytes given", need, len(in)-consumed)
			}
			return res, consumed, true
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return append(res, result{err: err.Error()}), consumed, false
		}
		if n <= 0 || n > len(in)-consumed {
			t.Fatalf("consumed %d of %d bytes", n, len(in)-consumed)
		}
		if args != nil && len(args) == 0 {
			t.Fatalf("empty non-nil args")
		}
		consumed += n
		res = append(res, result{args: toStrings(args)})
	}
}

// cmd and empty build expected results.
func cmd(args ...string) result { return result{args: args} }

var empty = result{}

func perr(msg string) result { return result{err: "ERR Protocol error: " + msg} }

func sameResults(a, b []result) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].err != b[i].err || len(a[i].args) != len(b[i].args) || (a[i].args == nil) != (b[i].args == nil) {
			return false
		}
		for j := range a[i].args {
			if a[i].args[j] != b[i].args[j] {
				return false
			}
		}
	}
	return true
}

type parseCase struct {
	in   string
	want []result
	// tail: the stream ends inside a command (ErrIncomplete) rather than
	// after the last result; ignored when the last result is an error.
	tail bool
	// whole: the result holds only for the stream arriving at once (a
	// line longer than MaxInline is refused when it arrives in pieces).
	whole bool
}

// short abbreviates s for failure messages.
func short(s string) string {
	if len(s) > 200 {
		return fmt.Sprintf("%q...(%d bytes)", s[:200], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// checkCases parses each input whole, then again fed one byte at a time,
// and checks both give want.
func checkCases(t *testing.T, lim Limits, cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		p := Parser{Limits: lim}
		got, consumed, incomplete := parseAll(t, &p, []byte(c.in))
		wantIncomplete := len(c.want) == 0 || c.want[len(c.want)-1].err == ""
		if !sameResults(got, c.want) || incomplete != wantIncomplete {
			t.Errorf("%s:\n got %s (incomplete %v)\nwant %s", short(c.in), short(fmt.Sprint(got)), incomplete, short(fmt.Sprint(c.want)))
			continue
		}
		if incomplete && (consumed < len(c.in)) != c.tail {
			t.Errorf("%s: consumed %d of %d bytes, tail expected: %v", short(c.in), consumed, len(c.in), c.tail)
		}
		if p.Pending() != (incomplete && consumed < len(c.in)) {
			t.Errorf("%s: Pending() = %v", short(c.in), p.Pending())
		}
		// Byte by byte, the way a backend would see a slow client.
		if c.whole {
			continue
		}
		if trickled := feedChunks(t, &Parser{Limits: lim}, []byte(c.in), func(int) int { return 1 }); !sameResults(trickled, c.want) {
			t.Errorf("%s byte by byte:\n got %s\nwant %s", short(c.in), short(fmt.Sprint(trickled)), short(fmt.Sprint(c.want)))
		}
	}
}

// feedChunks feeds in to p the way a backend does: it appends each chunk to
// a buffer, parses while it can (skipping the call when Need() says it is
// useless), keeps the unconsumed tail and sometimes compacts the buffer.
// chunk returns the size of the next chunk given what is left.
func feedChunks(t testing.TB, p *Parser, in []byte, chunk func(left int) int) []result {
	t.Helper()
	var buf []byte
	start := 0 // first unconsumed byte of buf
	var res []result
	calls := 0
	for len(in) > 0 {
		n := min(max(chunk(len(in)), 1), len(in))
		if start > 0 && (start > len(buf)/2 || calls%3 == 0) {
			// Compact: move the unconsumed tail to the front, as a
			// backend does when nothing references the parsed part.
			buf = buf[:copy(buf, buf[start:])]
			start = 0
		}
		buf = append(buf, in[:n]...)
		in = in[n:]
		for {
			b := buf[start:]
			if len(b) == 0 || p.Need() > len(b) {
				break
			}
			calls++
			args, n, err := p.ReadCommand(b)
			if errors.Is(err, ErrIncomplete) {
				break
			}
			if err != nil {
				return append(res, result{err: err.Error()})
			}
			if n <= 0 || n > len(b) {
				t.Fatalf("consumed %d of %d", n, len(b))
			}
			start += n
			res = append(res, result{args: toStrings(args)})
		}
	}
	return res
}

func TestMultibulk(t *testing.T) {
	bin := string([]byte{0, 1, '\r', '\n', 0xff, '*', '$'})
	checkCases(t, Limits{}, []parseCase{
		{in: "*1\r\n$4\r\nPING\r\n", want: []result{cmd("PING")}},
		{in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\n" + bin + "\r\n", want: []result{cmd("SET", "k", bin)}},
		{in: "*2\r\n$0\r\n\r\n$0\r\n\r\n", want: []result{cmd("", "")}},
		{in: "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", want: []result{cmd("PING"), cmd("PING")}},
		// Redis skips the byte after CR in count lines and the two bytes
		// after bulk data without looking at them.
		{in: "*1\rX$4\rYPINGxx", want: []result{cmd("PING")}},
		{in: "*1\r\n$4\r\nPING\r", want: nil, tail: true},
		{in: "*2\r\n$1\r\na\r\n", want: nil, tail: true},
		{in: "*2\r\n$1\r\na\r\n$", want: nil, tail: true},
		{in: "*2147483647\r\n", want: nil, tail: true},
		{in: "*", want: nil, tail: true},
		{in: "*12", want: nil, tail: true},
		{in: "*12\r", want: nil, tail: true},
		// "*" only starts a multibulk at the start of a command.
		{in: "*1\r\n$1\r\n*\r\n", want: []result{cmd("*")}},
		{in: "ECHO *1\r\n", want: []result{cmd("ECHO", "*1")}},
	})
}

func TestEmptyCommands(t *testing.T) {
	checkCases(t, Limits{}, []parseCase{
		{in: "*0\r\n", want: []result{empty}},
		{in: "*-1\r\n", want: []result{empty}},
		{in: "*-5\r\n", want: []result{empty}},
		{in: "*-2147483649\r\n", want: []result{empty}},
		{in: "\r\n", want: []result{empty}},
		{in: "\n", want: []result{empty}},
		{in: "  \t \v\f\r\n", want: []result{empty}},
		{in: "*0\r\n\r\n\n  \r\n*1\r\n$4\r\nPING\r\n", want: []result{empty, empty, empty, empty, cmd("PING")}},
		{in: "*-1\r\nPING\r\n", want: []result{empty, cmd("PING")}},
	})
	// Empty commands return nil args, not an empty slice.
	var p Parser
	if args, n, err := p.ReadCommand([]byte("*0\r\n")); args != nil || n != 4 || err != nil {
		t.Fatalf("*0: %q %d %v", args, n, err)
	}
	if args, n, err := p.ReadCommand([]byte("\r\n")); args != nil || n != 2 || err != nil {
		t.Fatalf("blank line: %q %d %v", args, n, err)
	}
	if args, n, err := p.ReadCommand(nil); args != nil || n != 0 || err != ErrIncomplete {
		t.Fatalf("no bytes: %q %d %v", args, n, err)
	}
}

// The inline splitting rules are those of sdssplitargs (sds.c).
func TestInline(t *testing.T) {
	checkCases(t, Limits{}, []parseCase{
		{in: "PING\r\n", want: []result{cmd("PING")}},
		{in: "PING\n", want: []result{cmd("PING")}},
		{in: "SET k v\r\nGET k\n", want: []result{cmd("SET", "k", "v"), cmd("GET", "k")}},
		{in: "  SET \t k  v \r\n", want: []result{cmd("SET", "k", "v")}},
		{in: "PING", want: nil, tail: true},
		{in: "PING\r", want: nil, tail: true},
		// CR ends an argument anywhere on the line; only one CR before
		// the LF belongs to the line end.
		{in: "EC\rHO x\r\r\n", want: []result{cmd("EC", "HO", "x")}},
		// \v and \f are skipped between arguments but belong to one.
		{in: "ECHO a\vb\r\n", want: []result{cmd("ECHO", "a\vb")}},
		{in: "\v\fECHO x\r\n", want: []result{cmd("ECHO", "x")}},
		// Double quotes: escapes.
		{in: `ECHO "a\x41\x4"` + "\r\n", want: []result{cmd("ECHO", "aAx4")}},
		{in: `ECHO "\xzz\q\n\r\t\b\a\\\""` + "\r\n", want: []result{cmd("ECHO", "xzzq\n\r\t\b\a\\\"")}},
		{in: `ECHO "\x00\xFF\xfF\x7e"` + "\n", want: []result{cmd("ECHO", "\x00\xff\xff~")}},
		{in: `ECHO "\x4g"` + "\n", want: []result{cmd("ECHO", "x4g")}},
		{in: `ECHO "a'b" "" x` + "\n", want: []result{cmd("ECHO", "a'b", "", "x")}},
		{in: `ECHO "a b"` + "\t" + `"c"` + "\v" + `"d"` + "\f" + `e` + "\n", want: []result{cmd("ECHO", "a b", "c", "d", "e")}},
		// A quote may open in the middle of an argument.
		{in: `ECHO a"b c"` + "\n", want: []result{cmd("ECHO", "ab c")}},
		{in: `ECHO a'b c'` + "\n", want: []result{cmd("ECHO", "ab c")}},
		// Single quotes: only \' is an escape.
		{in: `ECHO 'a\'b' 'a\nb' 'a\\b' 'a"b' '\x41'` + "\n", want: []result{cmd("ECHO", "a'b", `a\nb`, `a\\b`, `a"b`, `\x41`)}},
		{in: `ECHO '\\'` + "\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO ''` + "\n", want: []result{cmd("ECHO", "")}},
		// A closing quote must be followed by a blank or the end.
		{in: `ECHO "a"b` + "\r\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO 'a'b` + "\r\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO 'a\'b' "c"d` + "\r\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO "abc` + "\r\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO 'abc` + "\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO "a\` + "\r\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO "\"` + "\r\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `ECHO 'a\'` + "\n", want: []result{perr("unbalanced quotes in request")}},
		{in: `"` + "\n", want: []result{perr("unbalanced quotes in request")}},
		// Commands before the bad one are returned first.
		{in: "PING\r\nECHO \"x\r\n", want: []result{cmd("PING"), perr("unbalanced quotes in request")}},
	})
}

// redis-server finds line ends with strchr, which stops at a NUL: a NUL
// before the line end makes the line wait forever, until the buffer grows
// past the inline limit.
func TestNULStopsLineSearch(t *testing.T) {
	lim := Limits{MaxInline: 32}
	pad := strings.Repeat("x", 40)
	checkCases(t, lim, []parseCase{
		{in: "PING\x00\r\n", want: nil, tail: true},
		{in: "PI\x00NG\r\nPING\r\n", want: nil, tail: true},
		{in: "PING\r\nPI\x00NG\r\n", want: []result{cmd("PING")}, tail: true},
		{in: "PING\r\n\x00", want: []result{cmd("PING")}, tail: true},
		{in: "PI\x00NG\r\n" + pad, want: []result{perr("too big inline request")}},
		{in: "*1\x00\r\n$4\r\nPING\r\n", want: nil, tail: true},
		{in: "*1\x00\r\n" + pad, want: []result{perr("too big mbulk count string")}},
		{in: "*1\r\n$4\x00\r\nPING\r\n", want: nil, tail: true},
		{in: "*1\r\n$4\x00\r\n" + pad, want: []result{perr("too big bulk count string")}},
		{in: "*1\r\n\x00\r\n" + pad, want: []result{perr("too big bulk count string")}},
		// NULs inside bulk data are data.
		{in: "*1\r\n$3\r\n\x00\x00\x00\r\n", want: []result{cmd("\x00\x00\x00")}},
		// After the line end a NUL is the next command's business.
		{in: "*1\r\n$4\r\nPING\r\n\x00\r\n", want: []result{cmd("PING")}, tail: true},
	})
}

func TestProtocolErrors(t *testing.T) {
	big := strings.Repeat("x", DefaultMaxInline+1)
	checkCases(t, Limits{}, []parseCase{
		// invalid multibulk length: string2ll fails or > INT_MAX.
		{in: "*\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*x\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*+1\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*01\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*-0\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "* 1\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*1 \r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*1\n$4\r\nPING\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*2147483648\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*99999999999999999999\r\n", want: []result{perr("invalid multibulk length")}},
		// invalid bulk length: string2ll fails, < 0 or > proto-max-bulk-len.
		{in: "*1\r\n$\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$-1\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$01\r\na\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$+1\r\na\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$ 1\r\na\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$1x\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$536870912\r\n", want: nil, tail: true},
		// expected '$': only once the line is complete.
		{in: "*1\r\nX", want: nil, tail: true},
		{in: "*1\r\nX\r", want: nil, tail: true},
		{in: "*1\r\nX\r\n", want: []result{perr("expected '$', got 'X'")}},
		{in: "*2\r\n$1\r\na\r\n:1\r\n", want: []result{perr("expected '$', got ':'")}},
		{in: "*1\r\n\xff\r\n", want: []result{perr("expected '$', got '\xff'")}},
		{in: "*1\r\n\r\n", want: []result{perr("expected '$', got ' '")}},
		{in: "*1\r\n\n\r\n", want: []result{perr("expected '$', got ' '")}},
		{in: "*1\r\n*1\r\n", want: []result{perr("expected '$', got '*'")}},
		// too big: no line end within PROTO_INLINE_MAX_SIZE.
		{in: "PING" + big, want: []result{perr("too big inline request")}},
		{in: "*1" + big, want: []result{perr("too big mbulk count string")}},
		{in: "*1\r\n$" + big, want: []result{perr("too big bulk count string")}},
		{in: "*1\r\nX" + big, want: []result{perr("too big bulk count string")}},
		{in: "*1\r\n$4\r\nPING\r\n*1\r\n$" + big, want: []result{cmd("PING"), perr("too big bulk count string")}},
		// A line end within the buffer is taken whatever the length.
		{in: "ECHO " + big + "\r\n", want: []result{cmd("ECHO", big)}, whole: true},
		{in: "*1\r\n$" + big[:DefaultMaxInline-2], want: nil, tail: true},
		// Exactly at the limit it still waits.
		{in: "PING" + big[:DefaultMaxInline-4], want: nil, tail: true},
		{in: "unbalanced \"quotes\r\n", want: []result{perr("unbalanced quotes in request")}},
	})
	// Errors are *Error values that print as the RESP error text.
	var p Parser
	_, _, err := p.ReadCommand([]byte("*x\r\n"))
	var pe *Error
	if !errors.As(err, &pe) || pe.Error() != "ERR Protocol error: invalid multibulk length" {
		t.Fatalf("got %#v", err)
	}
	if p.Pending() {
		t.Fatal("an error leaves the parser pending")
	}
}

func TestLimits(t *testing.T) {
	checkCases(t, Limits{MaxBulkLen: 3, MaxMultibulk: 2, MaxInline: 8}, []parseCase{
		{in: "*2\r\n$3\r\nabc\r\n$0\r\n\r\n", want: []result{cmd("abc", "")}},
		{in: "*1\r\n$4\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*3\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "ECHO abc", want: nil, tail: true},
		{in: "ECHO abcd", want: []result{perr("too big inline request")}},
		{in: "ECHO abcd\n", want: []result{cmd("ECHO", "abcd")}, whole: true},
		{in: "*1234567", want: nil, tail: true},
		{in: "*12345678", want: []result{perr("too big mbulk count string")}},
		{in: "*1\r\n$1234567", want: nil, tail: true},
		{in: "*1\r\n$12345678", want: []result{perr("too big bulk count string")}},
	})
	// redis-server's limits before AUTH: counts over 10, bulks over 16384.
	checkCases(t, Limits{Unauthenticated: true}, []parseCase{
		{in: "*10\r\n", want: nil, tail: true},
		{in: "*11\r\n", want: []result{perr("unauthenticated multibulk length")}},
		{in: "*2147483648\r\n", want: []result{perr("invalid multibulk length")}},
		{in: "*1\r\n$16384\r\n", want: nil, tail: true},
		{in: "*1\r\n$16385\r\n", want: []result{perr("unauthenticated bulk length")}},
		{in: "*1\r\n$536870913\r\n", want: []result{perr("invalid bulk length")}},
		{in: "*1\r\n$-1\r\n", want: []result{perr("invalid bulk length")}},
		{in: "AUTH a b c d e f g h i j k l\r\n", want: []result{cmd("AUTH", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")}},
	})
	// Defaults are Redis's.
	var p Parser
	if got := p.maxBulk(); got != 512<<20 {
		t.Errorf("default max bulk %d", got)
	}
	if got := p.maxInline(); got != 64<<10 {
		t.Errorf("default max inline %d", got)
	}
}

// Every split point of a stream of commands gives the same commands.
func TestResumeAtEverySplit(t *testing.T) {
	stream := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n" +
		"PING\r\n*0\r\n  ECHO \"a\\x41\" 'b c'\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n\n*-1\r\n")
	var p Parser
	want, consumed, incomplete := parseAll(t, &p, stream)
	if !incomplete || consumed != len(stream) || len(want) != 7 {
		t.Fatalf("whole stream: %v", want)
	}
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream); j++ {
			chunks := []int{i, j - i, len(stream) - j}
			k := 0
			got := feedChunks(t, &Parser{}, stream, func(int) int { k++; return chunks[k-1] })
			if !sameResults(got, want) {
				t.Fatalf("split at %d, %d: got %v want %v", i, j, got, want)
			}
		}
	}
}

func TestNeed(t *testing.T) {
	var p Parser
	cmd := []byte("*2\r\n$3\r\nGET\r\n$100\r\n" + strings.Repeat("v", 100) + "\r\n")
	hdr := bytes.Index(cmd, []byte("$100")) + len("$100\r\n")
	if p.Need() != 0 {
		t.Fatal("fresh parser needs bytes")
	}
	// Within the bulk data, Need is the length of the whole command.
	for cut := hdr; cut < len(cmd); cut += 7 {
		if _, _, err := p.ReadCommand(cmd[:cut]); err != ErrIncomplete {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if p.Need() != len(cmd) || !p.Pending() {
			t.Fatalf("cut %d: Need() = %d, want %d", cut, p.Need(), len(cmd))
		}
	}
	args, n, err := p.ReadCommand(cmd)
	if err != nil || n != len(cmd) || len(args) != 2 || p.Need() != 0 || p.Pending() {
		t.Fatalf("complete: %q %d %v need %d", args, n, err, p.Need())
	}
	// Within a line, Need asks for one more byte than was given.
	for _, in := range []string{"PIN", "*1", "*1\r\n$4", "*1\r\n$4\r\nPI"} {
		p.Reset()
		if _, _, err := p.ReadCommand([]byte(in)); err != ErrIncomplete {
			t.Fatalf("%q: %v", in, err)
		}
		want := len(in) + 1
		if strings.HasSuffix(in, "PI") {
			want = len("*1\r\n$4\r\nPING\r\n")
		}
		if p.Need() != want {
			t.Errorf("%q: Need() = %d, want %d", in, p.Need(), want)
		}
	}
	// A CR at the end of a count line asks for the byte after it.
	p.Reset()
	if _, _, err := p.ReadCommand([]byte("*1\r")); err != ErrIncomplete || p.Need() != 4 {
		t.Fatalf("need %d err %v", p.Need(), err)
	}
}

func TestPendingAndReset(t *testing.T) {
	var p Parser
	if p.Pending() {
		t.Fatal("zero Parser pending")
	}
	if _, _, err := p.ReadCommand([]byte("*2\r\n$3\r\nGET\r\n")); err != ErrIncomplete || !p.Pending() {
		t.Fatalf("partial multibulk: pending %v err %v", p.Pending(), err)
	}
	p.Reset()
	if p.Pending() || p.Need() != 0 {
		t.Fatal("Reset left state")
	}
	// After Reset the parser reads a new stream from its first byte.
	args, n, err := p.ReadCommand([]byte("PING\r\n"))
	if err != nil || n != 6 || len(args) != 1 || string(args[0]) != "PING" {
		t.Fatalf("%q %d %v", args, n, err)
	}
	if _, _, err := p.ReadCommand([]byte("PI\x00NG\r\n")); err != ErrIncomplete || !p.Pending() {
		t.Fatal("stalled line not pending")
	}
	p.Reset()
	if args, _, err := p.ReadCommand([]byte("PING\r\n")); err != nil || string(args[0]) != "PING" {
		t.Fatalf("after Reset: %q %v", args, err)
	}
}

// A command's arguments alias the buffer; an inline command's escaped
// arguments stay valid together.
func TestArgumentsAlias(t *testing.T) {
	var p Parser
	in := []byte("*2\r\n$3\r\nabc\r\n$2\r\nde\r\n")
	args, _, _ := p.ReadCommand(in)
	in[8] = 'X'
	if string(args[0]) != "Xbc" {
		t.Fatalf("multibulk args do not alias the buffer: %q", args[0])
	}
	// Appending to an argument must not overwrite the next one.
	_ = append(args[0], 'Z')
	if string(args[1]) != "de" {
		t.Fatalf("args capacity spans the next argument: %q", args[1])
	}
	line := []byte(`SET "k\x01" 'v w' plain "` + strings.Repeat("\\n", 100) + "\"\r\n")
	args, _, err := p.ReadCommand(line)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SET", "k\x01", "v w", "plain", strings.Repeat("\n", 100)}
	if got := toStrings(args); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q", got)
	}
	_ = append(args[1], 'Z')
	if string(args[2]) != "v w" {
		t.Fatalf("inline args capacity spans the next argument: %q", args[2])
	}
}

// resumeWork feeds a command of argc arguments in chunks of chunk bytes the
// way a backend does and returns the bytes of the buffer each call had to
// start from (len(b) minus the offset the parser resumed at), summed over
// the calls. The parser never looks before its resume offset, so this is
// the parsing work.
func resumeWork(t testing.TB, stream []byte, argc, chunk int) (work int) {
	var p Parser
	var buf []byte
	for off := 0; off < len(stream); off += chunk {
		buf = append(buf, stream[off:min(off+chunk, len(stream))]...)
		if p.Need() > len(buf) {
			continue
		}
		resume := p.scan // a line searched up to scan
		if p.argc != 0 {
			resume = p.pos // arguments read up to pos (later lines are searched from there)
		}
		work += len(buf) - resume
		args, n, err := p.ReadCommand(buf)
		if err == ErrIncomplete {
			continue
		}
		if err != nil || n != len(stream) || len(args) != argc || string(args[argc-1]) != strconv.Itoa(argc-1) {
			t.Fatalf("n %d err %v args %d", n, err, len(args))
		}
		return work
	}
	t.Fatal("command never completed")
	return 0
}

// bigCommand encodes a command of argc arguments "0", "1", ...
func bigCommand(argc int) []byte {
	b := AppendArray(nil, argc)
	for i := 0; i < argc; i++ {
		b = AppendBulkInt(b, int64(i))
	}
	return b
}

// A 1 000 000-argument command sent in 4 KiB reads costs O(bytes): each call
// resumes where the previous one stopped instead of reparsing from the start.
func TestResumeIsLinear(t *testing.T) {
	argc := 1_000_000
	if testing.Short() {
		argc = 100_000
	}
	stream := bigCommand(argc)
	work, total := resumeWork(t, stream, argc, 4096), len(stream)
	// Each call rereads at most the unfinished argument before its new bytes.
	if work > total+total/10 {
		t.Fatalf("parsing %d bytes in 4 KiB chunks read %d bytes (%.1fx)", total, work, float64(work)/float64(total))
	}
	t.Logf("%d arguments, %d bytes, work %d bytes", argc, total, work)
}

// The same for a long inline line and long count lines arriving a few bytes
// at a time: searched bytes are not searched again.
func TestLineSearchIsLinear(t *testing.T) {
	line := []byte("ECHO " + strings.Repeat("a", 60000) + "\r\n")
	var p Parser
	scanned := 0
	for cut := 1; cut <= len(line); cut += 3 {
		scanned += cut - p.scan
		_, _, err := p.ReadCommand(line[:cut])
		if err == nil {
			break
		}
		if err != ErrIncomplete {
			t.Fatal(err)
		}
	}
	if scanned > 2*len(line) {
		t.Fatalf("searched %d bytes for a %d-byte line", scanned, len(line))
	}
}

// --- random pipelines ---

// genArg returns a random argument: often short text, sometimes any bytes,
// sometimes long.
func genArg(r *rand.Rand) []byte {
	var n int
	switch r.Intn(40) {
	case 0, 1, 2, 3:
		n = 0
	case 4:
		n = 1000 + r.Intn(70000)
	default:
		n = 1 + r.Intn(20)
	}
	b := make([]byte, n)
	r.Read(b)
	if r.Intn(3) != 0 {
		for i, c := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz0123456789:{}-_"[c%41]
		}
	}
	return b
}

// appendMultibulk encodes args as a multibulk command.
func appendMultibulk(dst []byte, args [][]byte) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		dst = AppendBulk(dst, a)
	}
	return dst
}

// appendInline encodes args as an inline command that sdssplitargs splits
// back into args, choosing a random valid quoting for each.
func appendInline(r *rand.Rand, dst []byte, args [][]byte) []byte {
	for i := 0; i < r.Intn(3); i++ {
		dst = append(dst, " \t\v\f"[r.Intn(4)])
	}
	for i, a := range args {
		if i > 0 {
			dst = append(dst, " \t "[r.Intn(3)])
			for r.Intn(4) == 0 {
				dst = append(dst, ' ')
			}
		}
		plain := len(a) > 0 && !(i == 0 && a[0] == '*')
		noSingle := false
		for _, c := range a {
			if isSpace(c) || c == '"' || c == '\'' || c == 0 {
				plain = false
			}
			if c == '\r' || c == '\n' || c == 0 {
				noSingle = true
			}
		}
		if len(a) > 0 && a[len(a)-1] == '\\' {
			noSingle = true // it would escape the closing quote
		}
		switch {
		case plain && r.Intn(4) != 0:
			dst = append(dst, a...)
		case !noSingle && r.Intn(3) == 0:
			dst = append(dst, '\'')
			for _, c := range a {
				if c == '\'' {
					dst = append(dst, '\\')
				}
				dst = append(dst, c)
			}
			dst = append(dst, '\'')
		default:
			dst = append(dst, '"')
			for _, c := range a {
				switch {
				case c == '"' || c == '\\':
					dst = append(dst, '\\', c)
				case c == '\n' && r.Intn(2) == 0:
					dst = append(dst, `\n`...)
				case c == '\r' && r.Intn(2) == 0:
					dst = append(dst, `\r`...)
				case c == '\t' && r.Intn(2) == 0:
					dst = append(dst, `\t`...)
				case c < 0x20 || c >= 0x7f || r.Intn(20) == 0:
					digits := "0123456789abcdef"
					if r.Intn(2) == 0 {
						digits = "0123456789ABCDEF"
					}
					dst = append(dst, '\\', 'x', digits[c>>4], digits[c&15])
				default:
					dst = append(dst, c)
				}
			}
			dst = append(dst, '"')
		}
	}
	if r.Intn(2) == 0 {
		dst = append(dst, ' ')
	}
	if r.Intn(2) == 0 {
		return append(dst, '\n')
	}
	return append(dst, '\r', '\n')
}

// randomPipeline builds n random commands, multibulk and inline mixed with
// empty commands, and returns the stream and the expected results.
func randomPipeline(r *rand.Rand, n int) ([]byte, []result) {
	var stream []byte
	var want []result
	for i := 0; i < n; i++ {
		switch r.Intn(20) {
		case 0:
			stream = append(stream, []string{"*0\r\n", "*-1\r\n", "\r\n", "\n", "  \r\n"}[r.Intn(5)]...)
			want = append(want, empty)
			continue
		}
		args := make([][]byte, 1+r.Intn(6))
		if r.Intn(50) == 0 {
			args = make([][]byte, 100+r.Intn(2000))
		}
		for j := range args {
			args[j] = genArg(r)
		}
		// Inline lines stay below DefaultMaxInline: longer ones are
		// refused unless they arrive in one piece.
		size := 0
		for _, a := range args {
			size += len(a)
		}
		if r.Intn(3) == 0 && 4*size+len(args) < DefaultMaxInline {
			stream = appendInline(r, stream, args)
		} else {
			stream = appendMultibulk(stream, args)
		}
		want = append(want, result{args: toStrings(args)})
	}
	return stream, want
}

// TestRandomPipelines is the round-trip test: thousands of random commands,
// serialised, cut into random chunks and fed as a backend feeds them, must
// come back exactly.
func TestRandomPipelines(t *testing.T) {
	seeds := 10
	if testing.Short() {
		seeds = 3
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		stream, want := randomPipeline(r, 2000)
		// Whole.
		var p Parser
		got, consumed, incomplete := parseAll(t, &p, stream)
		if !incomplete || consumed != len(stream) || !sameResults(got, want) {
			t.Fatalf("seed %d whole: %s", seed, firstDiff(got, want))
		}
		// In random chunks, small and large.
		for _, maxChunk := range []int{7, 300, 5000, 70000} {
			got := feedChunks(t, &Parser{}, stream, func(int) int { return 1 + r.Intn(maxChunk) })
			if !sameResults(got, want) {
				t.Fatalf("seed %d chunks up to %d: %s", seed, maxChunk, firstDiff(got, want))
			}
		}
	}
}

func firstDiff(got, want []result) string {
	for i := 0; i < min(len(got), len(want)); i++ {
		if !sameResults(got[i:i+1], want[i:i+1]) {
			g, w := got[i].String(), want[i].String()
			if len(g) > 300 {
				g = g[:300] + "..."
			}
			if len(w) > 300 {
				w = w[:300] + "..."
			}
			return fmt.Sprintf("command %d: got %s want %s", i, g, w)
		}
	}
	return fmt.Sprintf("got %d commands, want %d", len(got), len(want))
}

// --- fuzzing ---

// FuzzReadCommand: the parser never panics, never consumes more than it was
// given, parses the same commands whole and in two pieces, and what it
// accepts round-trips through the multibulk encoding.
func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nPING\r\n", "PING\r\n", `SET "a\x00b" 'c\'d'` + "\n", "*0\r\n", "\r\n",
		"*1\r\nX\r\n", "*2\r\n$1\r\na\r\n", "*1\rX$4\rYPINGxx", "PI\x00NG\r\n", "*-1\r\n",
	} {
		f.Add([]byte(s), uint16(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		p := Parser{Limits: Limits{MaxInline: 256, MaxBulkLen: 1 << 16}}
		whole, consumed, incomplete := parseAll(t, &p, data)
		if consumed > len(data) {
			t.Fatalf("consumed %d of %d", consumed, len(data))
		}
		// Accepted commands round-trip through the multibulk encoding.
		var q Parser
		for _, r := range whole {
			if r.err != "" || r.args == nil {
				continue
			}
			args := make([][]byte, len(r.args))
			for i, a := range r.args {
				args[i] = []byte(a)
			}
			enc := appendMultibulk(nil, args)
			back, n, err := q.ReadCommand(enc)
			if err != nil || n != len(enc) || !sameResults([]result{{args: toStrings(back)}}, []result{r}) {
				t.Fatalf("round trip of %q: %q %d %v", r.args, back, n, err)
			}
		}
		// Fed in two pieces, the stream parses the same, except that a
		// line may be refused as too big when only its first piece is
		// there (so does Redis: the limit applies to what has arrived).
		c := int(cut) % (len(data) + 1)
		chunks := []int{c, len(data) - c}
		k := 0
		two := feedChunks(t, &Parser{Limits: p.Limits}, data, func(int) int { k++; return chunks[min(k-1, 1)] })
		if n := len(two); n > 0 && n <= len(whole)+1 && strings.Contains(two[n-1].err, "too big") && c > p.Limits.MaxInline {
			if !sameResults(two[:n-1], whole[:n-1]) {
				t.Fatalf("cut at %d: %s", c, firstDiff(two[:n-1], whole[:n-1]))
			}
			return
		}
		if !sameResults(two, whole) {
			t.Fatalf("cut at %d: %s (incomplete %v)", c, firstDiff(two, whole), incomplete)
		}
	})
}

// --- allocations and benchmarks ---

var setPipeline = func() []byte {
	var b []byte
	for i := 0; i < 16; i++ {
		b = appendMultibulk(b, [][]byte{[]byte("SET"), []byte("key:" + strconv.Itoa(100000+i)), bytes.Repeat([]byte("v"), 64)})
	}
	return b
}()

var getCommand = appendMultibulk(nil, [][]byte{[]byte("GET"), []byte("key:100000")})

func parseStream(p *Parser, b []byte) int {
	cmds := 0
	for len(b) > 0 {
		args, n, err := p.ReadCommand(b)
		if err != nil {
			panic(err)
		}
		b = b[n:]
		cmds += len(args)
	}
	return cmds
}

func TestParserDoesNotAllocate(t *testing.T) {
	var p Parser
	inline := []byte("PING\r\n")
	quoted := []byte(`SET "a b" 'c'` + "\r\n")
	parseStream(&p, setPipeline)
	parseStream(&p, quoted)
	for name, in := range map[string][]byte{"SET pipeline": setPipeline, "GET": getCommand, "inline PING": inline, "quoted inline": quoted} {
		if n := testing.AllocsPerRun(100, func() { parseStream(&p, in) }); n != 0 {
			t.Errorf("%s: %v allocs per run", name, n)
		}
	}
}

func BenchmarkReadSETPipeline16(b *testing.B) {
	var p Parser
	b.SetBytes(int64(len(setPipeline)))
	b.ReportAllocs()
	for b.Loop() {
		parseStream(&p, setPipeline)
	}
}

func BenchmarkReadGET(b *testing.B) {
	var p Parser
	b.SetBytes(int64(len(getCommand)))
	b.ReportAllocs()
	for b.Loop() {
		parseStream(&p, getCommand)
	}
}

func BenchmarkReadInlinePING(b *testing.B) {
	var p Parser
	in := []byte("PING\r\n")
	b.ReportAllocs()
	for b.Loop() {
		parseStream(&p, in)
	}
}

// BenchmarkResume1M feeds a 1 000 000-argument command in 4 KiB reads; its
// ns/op divided by the bytes (about 11.9 MB) is the cost per byte.
func BenchmarkResume1M(b *testing.B) {
	stream := bigCommand(1_000_000)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		resumeWork(b, stream, 1_000_000, 4096)
	}
}
