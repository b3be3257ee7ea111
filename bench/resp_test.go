package bench

import (
	"testing"
)

func TestSkipReply(t *testing.T) {
	for _, tc := range []struct {
		in    string
		isErr bool
	}{
		{"+OK\r\n", false},
		{"-ERR unknown command 'sadd'\r\n", true},
		{":42\r\n", false},
		{"$5\r\nhello\r\n", false},
		{"$0\r\n\r\n", false},
		{"$-1\r\n", false},
		{"*-1\r\n", false},
		{"*0\r\n", false},
		{"*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n", false},
		{"_\r\n", false},
		{",3.14\r\n", false},
		{"#t\r\n", false},
		{"(12345678901234567890\r\n", false},
		{"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", false},
		{"~2\r\n+a\r\n+b\r\n", false},
		{"!21\r\nSYNTAX invalid syntax\r\n", true},
		{"=15\r\ntxt:Some string\r\n", false},
		{"|1\r\n+key\r\n+val\r\n:7\r\n", false},
		{"$4\r\na\r\nb\r\n", false}, // CRLF inside a bulk is data
	} {
		// The whole reply, followed by the next one, is found exactly.
		b := []byte(tc.in + "+NEXT\r\n")
		n, isErr, err := skipReply(b)
		if err != nil || n != len(tc.in) || isErr != tc.isErr {
			t.Errorf("skipReply(%q) = %d, %v, %v; want %d, %v", tc.in, n, isErr, err, len(tc.in), tc.isErr)
		}
		// Every cut short of the end is incomplete, never an error.
		for i := 0; i < len(tc.in); i++ {
			if n, _, err := skipReply([]byte(tc.in[:i])); n != 0 || err != nil {
				t.Errorf("skipReply(%q) = %d, %v; want incomplete", tc.in[:i], n, err)
			}
		}
	}
	for _, bad := range []string{"?what\r\n", "$x\r\n", "*1a\r\n", "$-\r\n", "*\r\n", "*1\r\n?\r\n"} {
		if _, _, err := skipReply([]byte(bad)); err == nil {
			t.Errorf("skipReply(%q) accepted a broken reply", bad)
		}
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "17": 17, "-1": -1, "123456789": 123456789} {
		if n, ok := parseInt([]byte(in)); !ok || n != want {
			t.Errorf("parseInt(%q) = %d, %v", in, n, ok)
		}
	}
	for _, in := range []string{"", "-", "1x", "99999999999999999999"} {
		if _, ok := parseInt([]byte(in)); ok {
			t.Errorf("parseInt(%q) accepted", in)
		}
	}
}
