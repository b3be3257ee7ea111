package proto

import (
	"math"
	"strings"
	"testing"
)

func TestAppenders(t *testing.T) {
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{AppendBulk(nil, []byte("hello")), "$5\r\nhello\r\n"},
		{AppendBulk(nil, nil), "$0\r\n\r\n"},
		{AppendBulk(nil, []byte("a\r\nb\x00")), "$5\r\na\r\nb\x00\r\n"},
		{AppendBulk([]byte("+OK\r\n"), []byte("x")), "+OK\r\n$1\r\nx\r\n"},
		{AppendBulkString(nil, strings.Repeat("x", 12)), "$12\r\nxxxxxxxxxxxx\r\n"},
		{AppendBulkInt(nil, -123), "$4\r\n-123\r\n"},
		{AppendBulkInt(nil, math.MinInt64), "$20\r\n-9223372036854775808\r\n"},
		{AppendInt(nil, 0), ":0\r\n"},
		{AppendInt(nil, 9), ":9\r\n"},
		{AppendInt(nil, 10), ":10\r\n"},
		{AppendInt(nil, -1), ":-1\r\n"},
		{AppendInt(nil, math.MaxInt64), ":9223372036854775807\r\n"},
		{AppendInt(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{AppendStatus(nil, "PONG"), "+PONG\r\n"},
		{AppendOK(nil), "+OK\r\n"},
		{AppendError(nil, "ERR bad"), "-ERR bad\r\n"},
		{AppendError(nil, "ERR a\r\nb\nc"), "-ERR a  b c\r\n"},
		{AppendArray(nil, 0), "*0\r\n"},
		{AppendArray(nil, 3), "*3\r\n"},
		{AppendArray(nil, 1000), "*1000\r\n"},
		{AppendArray(nil, -1), "*-1\r\n"},
		{AppendMap(nil, 2, false), "*4\r\n"},
		{AppendMap(nil, 2, true), "%2\r\n"},
		{AppendSet(nil, 2, false), "*2\r\n"},
		{AppendSet(nil, 2, true), "~2\r\n"},
		{AppendPush(nil, 3, false), "*3\r\n"},
		{AppendPush(nil, 3, true), ">3\r\n"},
		{AppendAttribute(nil, 1), "|1\r\n"},
		{AppendNull(nil, false), "$-1\r\n"},
		{AppendNull(nil, true), "_\r\n"},
		{AppendNullArray(nil, false), "*-1\r\n"},
		{AppendNullArray(nil, true), "_\r\n"},
		{AppendBool(nil, true, false), ":1\r\n"},
		{AppendBool(nil, false, false), ":0\r\n"},
		{AppendBool(nil, true, true), "#t\r\n"},
		{AppendBool(nil, false, true), "#f\r\n"},
		// addReplyDouble: RESP2 a bulk string of %.17g, RESP3 ",%.17g".
		{AppendDouble(nil, 1.5, false), "$3\r\n1.5\r\n"},
		{AppendDouble(nil, 1.5, true), ",1.5\r\n"},
		{AppendDouble(nil, 0.1, false), "$19\r\n0.10000000000000001\r\n"},
		{AppendDouble(nil, 3, true), ",3\r\n"},
		{AppendDouble(nil, 1e17, true), ",1e+17\r\n"},
		{AppendDouble(nil, 1e16, true), ",10000000000000000\r\n"},
		{AppendDouble(nil, 1e-5, true), ",1.0000000000000001e-05\r\n"},
		{AppendDouble(nil, math.Copysign(0, -1), true), ",-0\r\n"},
		{AppendDouble(nil, math.Inf(1), false), "$3\r\ninf\r\n"},
		{AppendDouble(nil, math.Inf(-1), false), "$4\r\n-inf\r\n"},
		{AppendDouble(nil, math.Inf(1), true), ",inf\r\n"},
		{AppendDouble(nil, math.Inf(-1), true), ",-inf\r\n"},
		{AppendDouble(nil, -math.MaxFloat64, false), "$24\r\n-1.7976931348623157e+308\r\n"},
		{AppendVerbatim(nil, "txt", "hi", true), "=6\r\ntxt:hi\r\n"},
		{AppendVerbatim(nil, "txt", "hi", false), "$2\r\nhi\r\n"},
		{AppendBigNumber(nil, "12345678901234567890", true), "(12345678901234567890\r\n"},
		{AppendBigNumber(nil, "12345678901234567890", false), "$20\r\n12345678901234567890\r\n"},
	} {
		if string(c.got) != c.want {
			t.Errorf("got %q want %q", c.got, c.want)
		}
	}
}

// A reply built by the appenders parses back as the same multibulk.
func TestAppendersRoundTrip(t *testing.T) {
	args := [][]byte{[]byte("SET"), {}, []byte("\x00\r\n*$"), []byte(strings.Repeat("z", 100000))}
	var p Parser
	got, n, err := p.ReadCommand(appendMultibulk(nil, args))
	if err != nil || len(got) != len(args) {
		t.Fatalf("%d %v", n, err)
	}
	for i := range args {
		if string(got[i]) != string(args[i]) {
			t.Fatalf("arg %d differs", i)
		}
	}
}

func TestAppendersDoNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 4096)
	val := []byte(strings.Repeat("v", 64))
	for name, f := range map[string]func(){
		"bulk":   func() { dst = AppendBulk(dst[:0], val) },
		"int":    func() { dst = AppendInt(dst[:0], -1234567) },
		"array":  func() { dst = AppendArray(dst[:0], 3) },
		"double": func() { dst = AppendDouble(dst[:0], 3.14159, false) },
		"double3": func() {
			dst = AppendDouble(dst[:0], 1.0/3, true)
		},
		"bulkint": func() { dst = AppendBulkInt(dst[:0], 42) },
		"error":   func() { dst = AppendError(dst[:0], "ERR x") },
		"map":     func() { dst = AppendMap(dst[:0], 2, true) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs", name, n)
		}
	}
}

func BenchmarkAppendBulk(b *testing.B) {
	dst := make([]byte, 0, 4096)
	val := []byte(strings.Repeat("v", 64))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendBulk(dst[:0], val)
	}
}

func BenchmarkAppendInt(b *testing.B) {
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendInt(dst[:0], 1234567)
	}
}

func BenchmarkAppendArray(b *testing.B) {
	dst := make([]byte, 0, 4096)
	val := []byte("member")
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendArray(dst[:0], 10)
		for i := 0; i < 10; i++ {
			dst = AppendBulk(dst, val)
		}
	}
}

func BenchmarkAppendDouble(b *testing.B) {
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendDouble(dst[:0], 3.141592653589793, false)
	}
}
