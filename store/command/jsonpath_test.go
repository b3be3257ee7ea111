package command

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/diskdb/diskdb/store"
)

func evalText(t *testing.T, doc, path string) string {
	t.Helper()
	v, _, err := store.ParseJSON([]byte(doc), store.JSONValue)
	if err != nil {
		t.Fatal(err)
	}
	p := parseJSONPath(path)
	if p.err != nil {
		return "error: " + p.err.Error()
	}
	ms := p.eval(v)
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = string(store.AppendJSON(nil, m.v, nil))
	}
	return strings.Join(parts, " ")
}

func TestJSONPathEval(t *testing.T) {
	doc := `{"a":{"b":[1,{"c":2}],"c":3},"d":[{"c":4},{"e":5}],"f-g":6,"h":{"i j":7}}`
	cases := []struct{ path, want string }{
		{"$", doc},
		{".", doc},
		{"a.c", "3"},
		{".a.b[1].c", "2"},
		{`["a"]["c"]`, "3"},
		{"$..c", "3 2 4"},
		{"$.a..c", "3 2"},
		{"$.*", `{"b":[1,{"c":2}],"c":3} [{"c":4},{"e":5}] 6 {"i j":7}`},
		{"$.d[*].c", "4"},
		{"$.d[-1]", `{"e":5}`},
		{"$.d[5]", ""},
		{"$.a.b[0:1]", "1"},
		{"$.a.b[:]", `1 {"c":2}`},
		{"$['a','f-g']", `{"b":[1,{"c":2}],"c":3} 6`},
		{"$.f-g", "6"},
		{`$.h["i j"]`, "7"},
		{"$.d[?(@.c)]", `{"c":4}`},
		{"$.d[?(@.c > 3 || @.e == 5)]", `{"c":4} {"e":5}`},
		{"$.a[?(@ == 3)]", "3"},
		{"$..[?(@.c == 2)]", `{"c":2}`},
		{"$..*[0]", `{"c":4} 1`}, // a node's own matches before its descendants'

		{"$.a.b.c", ""},
		{"$.a.", `error: Error occurred on position 4, "$.a. <<<<----", expected one of the following: <string>, '*', '['.`},
		{"$.a[?(@.x ==)]", `error: Error occurred on position 4, "$.a[ ---->>>> ?(@.x ==)]", expected one of the following: '[?(filter_expression)]'.`},
	}
	for _, c := range cases {
		if got := evalText(t, doc, c.path); got != c.want {
			t.Errorf("%s: got %s, want %s", c.path, got, c.want)
		}
	}
}

func TestJSONPathLegacyRewrite(t *testing.T) {
	for in, want := range map[string]string{".": "$", "$": "$", ".a": "$.a", "a": "$.a", "a.b": "$.a.b",
		`["a"]`: `$.["a"]`, "$.a": "$.a", "$[0]": "$[0]", "$a": "$.$a", "": "$."} {
		p := parseJSONPath(in)
		if p.fixed != want || p.legacy != (in != "$" && in != "$.a" && in != "$[0]") {
			t.Errorf("%q: fixed %q legacy %v", in, p.fixed, p.legacy)
		}
	}
}

// rawStatic (static paths read from the stored text) must agree with the
// full decode for every document and path it answers.
func TestJSONRawStaticMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var gen func(depth int) string
	gen = func(depth int) string {
		switch k := r.IntN(8); {
		case depth > 3 || k < 3:
			return []string{`1`, `-2.5`, `"s"`, `"q\"x"`, `true`, `null`, `""`, `"a,b]}"`}[r.IntN(8)]
		case k < 5:
			n := r.IntN(4)
			parts := make([]string, n)
			for i := range parts {
				parts[i] = gen(depth + 1)
			}
			return "[" + strings.Join(parts, ",") + "]"
		default:
			n := r.IntN(4)
			parts := make([]string, n)
			for i := range parts {
				key := []string{"a", "b", "c", `e\"x`}[r.IntN(4)]
				parts[i] = fmt.Sprintf(`"%s":%s`, key, gen(depth+1))
			}
			return "{" + strings.Join(parts, ",") + "}"
		}
	}
	answered := 0
	for n := 0; n < 3000; n++ {
		v, _, err := store.ParseJSON([]byte(gen(0)), store.JSONValue)
		if err != nil {
			t.Fatal(err)
		}
		canon := store.AppendJSON(nil, v, nil)
		var path strings.Builder
		path.WriteString("$")
		for d := r.IntN(4); d > 0; d-- {
			if r.IntN(2) == 0 {
				fmt.Fprintf(&path, "[%d]", r.IntN(5)-2)
			} else {
				path.WriteString("." + []string{"a", "b", "c"}[r.IntN(3)])
			}
		}
		p := parseJSONPath(path.String())
		if p.err != nil || !p.static() {
			t.Fatalf("%s: %v", path.String(), p.err)
		}
		raw, hit, ok := rawStatic(canon, p.steps)
		if !ok {
			continue
		}
		answered++
		ms := p.eval(v)
		if hit != (len(ms) > 0) {
			t.Fatalf("%s on %s: raw hit %v, eval %d matches", path.String(), canon, hit, len(ms))
		}
		if hit {
			if want := string(store.AppendJSON(nil, ms[0].v, nil)); string(raw) != want {
				t.Fatalf("%s on %s: raw %s, eval %s", path.String(), canon, raw, want)
			}
		}
	}
	if answered < 1000 {
		t.Fatalf("rawStatic answered only %d of 3000", answered)
	}
}

// BenchmarkJSONStaticPath1KiB: JSON.GET key $.address.city answered from
// the stored text (rawStatic) versus decoding the document (eval).
func BenchmarkJSONStaticPath1KiB(b *testing.B) {
	doc := []byte(`{"id":12345,"name":"Alice Example","email":"alice@example.com","active":true,"score":98.25,` +
		`"tags":["coding","music","travel","photography","cooking"],"orders":[` + strings.Repeat(`{"order":1000,"sku":"SKU-0000","qty":1,"price":10.99,"shipped":true},`, 8) +
		`{"order":1}],"bio":"` + strings.Repeat("lorem ipsum ", 12) + `","address":{"street":"123 Main Street","city":"New York","zip":"10001"}}`)
	p := parseJSONPath("$.address.city")
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if raw, hit, ok := rawStatic(doc, p.steps); !ok || !hit || string(raw) != `"New York"` {
				b.Fatal(string(raw))
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			v, _, _ := store.ParseJSON(doc, store.JSONStored)
			if ms := p.eval(v); len(ms) != 1 {
				b.Fatal(len(ms))
			}
		}
	})
}
