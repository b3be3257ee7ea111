package compat

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// protoCase is a raw byte stream sent to both servers. parts are written
// one after the other, gap apart, so the server sees them in separate reads.
type protoCase struct {
	name  string
	parts []string
	gap   time.Duration
}

// one is a case sent in one write.
func one(name, s string) protoCase { return protoCase{name: name, parts: []string{s}} }

// bytewise is a case sent one byte per write.
func bytewise(name, s string) protoCase {
	parts := make([]string, len(s))
	for i := range s {
		parts[i] = s[i : i+1]
	}
	return protoCase{name: name, parts: parts, gap: time.Millisecond}
}

func mbulk(args ...string) string { return string(testkit.Encode(args...)) }

var protoCases = []protoCase{
	// Inline requests split as sdssplitargs does.
	one("inline plain", "PING\r\nPING\n  \t PING  \r\nPING \"hello world\"\r\n"),
	one("inline hex escapes", "ECHO \"a\\x41\\x4\"\r\nECHO \"\\x00\\xff\\xFf\\x7e\"\r\nECHO \"\\x4g\"\r\n"),
	one("inline other escapes", "ECHO \"\\xzz\\q\\n\\r\\t\\b\\a\\\\\\\"\"\r\n"),
	one("inline single quotes", "ECHO 'a\\'b'\r\nECHO 'a\\nb'\r\nECHO ''\r\nECHO \"\"\r\nECHO 'a\"b'\r\n"),
	one("inline quote inside argument", "ECHO a\"b c\"\r\nECHO a'b c'\r\n"),
	one("inline vertical tab and form feed", "ECHO a\vb\r\n\v\fECHO x\r\nECHO \"a\"\vb\r\n"),
	one("inline CR inside line", "EC\rHO x\r\r\n"),
	one("inline arguments echoed by an error", "foo \"a b\" 'c d' e\r\n"),
	one("inline SET and GET", "SET pd:inline \"v w\\x00\"\r\nGET pd:inline\r\nMSET pd:i1 'x y' pd:i2 \"\"\r\nMGET pd:i1 pd:i2\r\n"),
	one("inline star after blank", " *1\r\n"),
	one("closing double quote followed by a letter", "PING\r\nECHO \"a\"b\r\nPING\r\n"),
	one("closing single quote followed by a letter", "ECHO 'a'b\r\n"),
	one("unterminated double quote", "ECHO \"abc\r\n"),
	one("unterminated single quote", "ECHO 'abc\r\n"),
	one("backslash before end of line", "ECHO \"a\\\r\n"),
	one("escaped closing quote", "ECHO \"\\\"\r\n"),

	// Empty commands.
	one("empty multibulk and blank lines", "*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\nPING\r\n"),
	one("only an empty multibulk", "*0\r\n"),
	one("only blank lines", "\r\n\n\r\n"),

	// NUL bytes: Redis looks for line ends with strchr.
	one("NUL before inline line end", "PING\x00\r\nPING\r\n"),
	one("NUL after a complete command", "PING\r\nPI\x00NG\r\n"),
	one("NUL inline line grows too big", "PING\r\nPI\x00NG\r\n"+strings.Repeat("x", 70000)),
	one("NUL in count line grows too big", "*1\x00\r\n"+strings.Repeat("x", 70000)),
	one("NUL in bulk count grows too big", "*1\r\n$4\x00\r\n"+strings.Repeat("x", 70000)),
	one("NUL in bulk data", mbulk("ECHO", "\x00\x00\x00")+mbulk("SET", "pd:nul\x00key", "\x00")+mbulk("GET", "pd:nul\x00key")),

	// Protocol errors and when they fire.
	one("empty multibulk count", "*\r\n"),
	one("letter multibulk count", "PING\r\n*x\r\n"),
	one("plus multibulk count", "*+1\r\n"),
	one("leading zero multibulk count", "*01\r\n"),
	one("minus zero multibulk count", "*-0\r\n"),
	one("space in multibulk count", "* 1\r\n"),
	one("LF-only multibulk count", "*1\n$4\r\nPING\r\n"),
	one("multibulk count over INT_MAX", "*2147483648\r\n"),
	one("multibulk count INT_MAX waits", "*2147483647\r\n"),
	one("empty bulk length", "*1\r\n$\r\n"),
	one("negative bulk length", "*1\r\n$-1\r\n"),
	one("leading zero bulk length", "*1\r\n$01\r\na\r\n"),
	one("plus bulk length", "*1\r\n$+1\r\na\r\n"),
	one("bulk length over proto-max-bulk-len", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n"),
	one("bulk length at proto-max-bulk-len waits", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n"),
	one("no dollar, line incomplete", "*1\r\nX"),
	one("no dollar", "*1\r\nX\r\n"),
	one("no dollar, CR", "*1\r\n\r\n"),
	one("no dollar, LF", "*1\r\n\n\r\n"),
	one("no dollar, high byte", "*1\r\n\xff\r\n"),
	one("no dollar after an argument", "*2\r\n$4\r\nECHO\r\n:1\r\n"),
	one("too big inline request", "PING"+strings.Repeat("x", 70000)),
	one("too big mbulk count string", "*1"+strings.Repeat("1", 70000)),
	one("too big bulk count string", "*1\r\n$"+strings.Repeat("1", 70000)),
	one("too big bulk count string without dollar", "*1\r\nX"+strings.Repeat("x", 70000)),
	one("commands before a protocol error run", "PING\r\n"+mbulk("ECHO", "a")+"ECHO b\r\n*1\r\n$-1\r\n"),

	// Pipelines.
	one("Redis skips the bytes after CR unchecked", "*1\rX$4\rYPINGxx"+mbulk("ECHO", "next")),
	one("mixed inline and multibulk pipeline", "PING\r\n"+mbulk("PING")+"ECHO x\r\n"+mbulk("ECHO", "y")+"\r\n*0\r\nPING\r\n"+mbulk("ECHO", "")),
	bytewise("mixed pipeline one byte per write", "PING\r\n"+mbulk("ECHO", "a\r\nb")+"ECHO \"q\\x41\" 'r'\r\n*0\r\n\r\n"+mbulk("SET", "pd:bw", "1")+"GET pd:bw\n"),
	{name: "bulk split across reads", parts: []string{"*2\r\n$4\r\nECHO\r\n$10\r\n01234", "56789\r\n*1\r", "\n$4\r\nPI", "NG\r\n"}, gap: 50 * time.Millisecond},
	{name: "inline split across reads", parts: []string{"ECHO \"a b", "c\"", " \r", "\nPING\r\n"}, gap: 50 * time.Millisecond},
	one("large argument", mbulk("ECHO", strings.Repeat("abcdefgh", 40000))),
	{name: "large argument in pieces", parts: []string{"*2\r\n$4\r\nECHO\r\n$300000\r\n", strings.Repeat("z", 100000), strings.Repeat("z", 100000), strings.Repeat("z", 100000) + "\r\n"}, gap: 30 * time.Millisecond},
	one("many arguments", manyArgs()),
}

// manyArgs is an MSET of 1000 pairs and an EXISTS of its keys.
func manyArgs() string {
	mset := []string{"MSET"}
	exists := []string{"EXISTS"}
	for i := 0; i < 1000; i++ {
		k := fmt.Sprintf("pd:many:%d", i)
		mset = append(mset, k, fmt.Sprint(i))
		exists = append(exists, k)
	}
	return mbulk(mset...) + mbulk(exists...)
}

// outcome is everything a server wrote back and whether it closed.
type outcome struct {
	data   []byte
	closed bool
}

func (o outcome) String() string {
	d := fmt.Sprintf("%q", o.data)
	if len(d) > 400 {
		d = d[:400] + fmt.Sprintf("...(%d bytes)", len(o.data))
	}
	if o.closed {
		return d + " then closed"
	}
	return d + " (still open)"
}

// quiet is how long a server may stay silent before we take it has no
// more to say.
const quiet = 500 * time.Millisecond

// exchange sends the case to addr and collects the replies until the
// server closes the connection or goes quiet after the last write.
func exchange(t *testing.T, addr string, c protoCase) outcome {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var written atomic.Bool
	go func() {
		defer written.Store(true)
		for i, p := range c.parts {
			if i > 0 && c.gap > 0 {
				time.Sleep(c.gap)
			}
			if _, err := conn.Write([]byte(p)); err != nil {
				return // the server closed: what it wrote is the answer
			}
		}
	}()
	var out outcome
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_ = conn.SetReadDeadline(time.Now().Add(quiet))
		n, err := conn.Read(buf)
		out.data = append(out.data, buf[:n]...)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			if written.Load() && n == 0 {
				return out
			}
			continue
		}
		out.closed = true // EOF or reset
		return out
	}
	t.Fatalf("%s: the server kept talking", c.name)
	return out
}

// TestProtocolDifferential sends malformed and edge-case byte streams to
// redis-server and DiskDB over raw TCP and compares everything each writes
// back, byte for byte, and whether it closes the connection.
func TestProtocolDifferential(t *testing.T) {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	for _, c := range protoCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := exchange(t, ref.Addr, c)
			got := exchange(t, dut.Addr, c)
			if !bytes.Equal(want.data, got.data) || want.closed != got.closed {
				t.Errorf("\n redis-server: %v\n       diskdb: %v", want, got)
			}
		})
	}
}

var authCases = []protoCase{
	one("unauthenticated multibulk length", "*11\r\n"),
	one("unauthenticated multibulk length 10 waits", "*10\r\n$4\r\nECHO\r\n"),
	one("unauthenticated bulk length", "*1\r\n$16385\r\n"),
	one("unauthenticated bulk length 16384 waits", "*1\r\n$16384\r\n"),
	one("invalid bulk length before AUTH", "*1\r\n$536870913\r\n"),
	one("inline commands are not limited before AUTH", "PING a b c d e f g h i j k l\r\nECHO "+strings.Repeat("x", 20000)+"\r\n"),
	one("limits end with AUTH in the same write", "AUTH pw\r\n"+mbulk("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6")+mbulk("ECHO", strings.Repeat("y", 20000))),
	one("limits end with multibulk AUTH", mbulk("AUTH", "pw")+"*11\r\n$4\r\nPING\r\n"),
	one("limits stay after a wrong password", mbulk("AUTH", "bad")+"*11\r\n"),
}

// TestProtocolDifferentialAuth: with requirepass, a client that has not
// authenticated gets Redis's stricter protocol limits.
func TestProtocolDifferentialAuth(t *testing.T) {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	for _, s := range []*testkit.Server{ref, dut} {
		// testkit waits for PONG, so the password is set afterwards.
		if r, err := s.Raw().Do("CONFIG", "SET", "requirepass", "pw"); err != nil || string(r) != "+OK\r\n" {
			t.Fatalf("CONFIG SET requirepass: %q %v", r, err)
		}
	}
	for _, c := range authCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := exchange(t, ref.Addr, c)
			got := exchange(t, dut.Addr, c)
			if !bytes.Equal(want.data, got.data) || want.closed != got.closed {
				t.Errorf("\n redis-server: %v\n       diskdb: %v", want, got)
			}
		})
	}
}
