package store

import (
	"strings"
	"testing"
	"time"
)

// globCases were checked against redis-server 7.0.15 (KEYS with the subject
// as the only key); the differential script keys.txt repeats many of them.
var globCases = []struct {
	pattern, s string
	want       bool
}{
	{"*", "", false}, // KEYS and SCAN special-case a lone "*"
	{"**", "", false},
	{"a*", "a", true},
	{"*", "anything", true},
	{"", "", true},
	{"", "a", false},
	{"a", "", false},
	{"a", "a", true},
	{"a", "A", false},
	{"abc", "abc", true},
	{"abc", "abcd", false},
	{"abc", "ab", false},
	{"a*", "a", true},
	{"a*", "abc", true},
	{"*c", "abc", true},
	{"*c", "abd", false},
	{"a*c", "ac", true},
	{"a*c", "abbbc", true},
	{"a*c", "abbbd", false},
	{"a**c", "abc", true},
	{"***", "x", true},
	{"a*b*c", "aXbYc", true},
	{"a*b*c", "aXcYb", false},
	{"*a*", "bab", true},
	{"?", "a", true},
	{"?", "", false},
	{"?", "ab", false},
	{"??", "ab", true},
	{"a?c", "abc", true},
	{"a?c", "ac", false},
	{"h?llo", "hallo", true},
	{"h*llo", "heeeello", true},
	{"h[ae]llo", "hello", true},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-b]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	{"[b-a]", "a", true},
	{"[z-a]", "m", true},
	{"[a-z]", "A", false},
	{"[A-Z]", "a", false},
	{"[abc", "a", true},
	{"[abc", "d", false},
	{"[", "[", false},
	{"[^", "x", true},
	{"[^", "", false},
	{"[]", "a", false},
	{"[]]", "]", false},
	{"[\\]]", "]", true},
	{"[\\-]", "-", true},
	{"[a-]", "]", true},
	{"[a-]", "b", false}, // the range ']'..'a' in an unterminated class
	{"[a-]", "^", true},
	{"[-a]", "-", true},
	{"[^a-c]", "d", true},
	{"[^a-c]", "b", false},
	{"[!a]", "!", true},
	{"[!a]", "b", false},
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"\\?", "?", true},
	{"\\[a]", "[a]", true},
	{"\\", "\\", true},
	{"a\\", "a\\", true},
	{"\\a", "a", true},
	{"*\\*", "abc*", true},
	{"[*]", "*", true},
	{"[?]", "a", false},
	{"*[0-9]", "key9", true},
	{"user:*:name", "user:42:name", true},
	{"user:*:name", "user:42:mail", false},
	{"{tag}*", "{tag}x", true},
	{"a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	{"*a*a*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 200), false},
	{"*a*", strings.Repeat("b", 200), false},
	{"a*b", "a" + strings.Repeat("x", 10000) + "b", true},
	// Signed-char ranges: bytes >= 0x80 are negative, as in C on x86-64.
	{"[a-\xff]", "b", false},
	{"[a-\xff]", "Z", true},
	{"[a-\xff]", "\x01", true},
	{"[a-\xff]", "\xc3", false},
	{"[\xc3-\xe9]", "\xd0", true},
	{"[\xe9-\xc3]", "\xd0", true},
	{"[\x80-\x01]", "\xc3", true},
	{"[\x80-\x01]", "a", false},
	{"\xc3", "\xc3", true},
	{"[\xc3]", "\xc3", true},
	{"[^\xc3]", "\xc3", false},
	// Nesting limit: one level per '*'.
	{strings.Repeat("a*", 1001), strings.Repeat("a", 1100), true},
	{strings.Repeat("a*", 1100), strings.Repeat("a", 1100), false},
	{strings.Repeat("*a", 999), strings.Repeat("a", 1100), true},
	{strings.Repeat("*a", 1001), strings.Repeat("a", 1100), false},
}

func TestMatchTable(t *testing.T) {
	for _, tc := range globCases {
		if got := Match([]byte(tc.pattern), []byte(tc.s), false); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", clip(tc.pattern), clip(tc.s), got, tc.want)
		}
	}
}

func TestMatchNocase(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "ABC", true},
		{"ABC", "abc", true},
		{"a*C", "AbC", true},
		{"[a-c]", "B", true},
		{"[A-C]", "b", true},
		{"[x-Z]", "y", false}, // swapped first ([Z-x]), then folded: [z-x] is empty
		{"[Z-n]", "p", false}, // folds to the empty [z-n] (CONFIG GET "[Z-n]*" finds nothing)
		{"[x-M]", "p", true},  // [M-x] folds to [m-x]
		{"[x-M]", "P", true},
		{"[abc]", "B", true},
		{"[^abc]", "B", false},
		{"\\A", "a", true},
		{"[\\A]", "a", false}, // escapes inside a class compare exactly
		{"h?LLO", "hello", true},
		{"\xc3", "\xc3", true},
		{"[", "[", false},
	}
	for _, tc := range cases {
		if got := Match([]byte(tc.pattern), []byte(tc.s), true); got != tc.want {
			t.Errorf("Match(%q, %q, nocase) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestMatchPathological checks that patterns that are exponential for a
// naive matcher finish at once.
func TestMatchPathological(t *testing.T) {
	start := time.Now()
	p := []byte(strings.Repeat("a*", 40) + "b")
	s := []byte(strings.Repeat("a", 5000))
	for i := 0; i < 10; i++ {
		if Match(p, s, false) {
			t.Fatal("matched without a b")
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("pathological pattern took %v", d)
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
