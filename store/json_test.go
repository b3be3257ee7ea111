package store

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func mustParse(t testing.TB, s string) any {
	t.Helper()
	v, _, err := ParseJSON([]byte(s), JSONValue)
	if err != nil {
		t.Fatalf("ParseJSON(%q): %v", s, err)
	}
	return v
}

// The canonical text: what JSON.GET answers for a document set from the
// input (RedisJSON: serde_json writing ijson values).
func TestJSONCanonicalText(t *testing.T) {
	cases := []struct{ in, want string }{
		{` { "a" : 1 , "b" : [ true , false , null ] } `, `{"a":1,"b":[true,false,null]}`},
		{`1`, `1`},
		{`-1`, `-1`},
		{`1.0`, `1.0`},
		{`1.50`, `1.5`},
		{`1e2`, `100.0`},
		{`1E-2`, `0.01`},
		{`-0`, `-0.0`},
		{`0`, `0`},
		{`-0.0`, `-0.0`},
		{`9223372036854775807`, `9223372036854775807`},
		{`-9223372036854775808`, `-9223372036854775808`},
		{`9223372036854775808`, `9223372036854775808`},
		{`18446744073709551615`, `18446744073709551615`},
		{`18446744073709551616`, `1.8446744073709552e19`},
		{`-9223372036854775809`, `-9.223372036854776e18`},
		{`0.1`, `0.1`},
		{`0.00001`, `0.00001`},
		{`0.000001`, `1e-6`},
		{`1.5e-7`, `1.5e-7`},
		{`123456789.125`, `123456789.125`},
		{`1e15`, `1000000000000000.0`},
		{`1e16`, `1e16`},
		{`1.25e16`, `1.25e16`},
		{`5e-324`, `5e-324`},
		{`1.7976931348623157e308`, `1.7976931348623157e308`},
		{`"a\"b\\c\/d\b\f\n\r\t\u0001\u001f é \u00e9 \ud83d\ude00"`, "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001f é é \U0001F600\""},
		{`"\u007f"`, "\"\x7f\""},
		{`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{`[]`, `[]`},
		{`{}`, `{}`},
		{`[[],{},[{}]]`, `[[],{},[{}]]`},
	}
	for _, c := range cases {
		got := string(AppendJSON(nil, mustParse(t, c.in), nil))
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
	}
}

func TestJSONParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		mode JSONParseMode
		want string
	}{
		{``, JSONValue, "EOF while parsing a value at line 1 column 0"},
		{`   `, JSONValue, "EOF while parsing a value at line 1 column 3"},
		{`{`, JSONValue, "EOF while parsing an object at line 1 column 1"},
		{`{"a":1,`, JSONValue, "EOF while parsing a value at line 1 column 7"},
		{`[`, JSONValue, "EOF while parsing a list at line 1 column 1"},
		{`[1`, JSONValue, "EOF while parsing a list at line 1 column 2"},
		{`"abc`, JSONValue, "EOF while parsing a string at line 1 column 4"},
		{`x`, JSONValue, "expected value at line 1 column 1"},
		{`[1,]`, JSONValue, "trailing comma at line 1 column 4"},
		{`nul`, JSONValue, "EOF while parsing a value at line 1 column 3"},
		{`nulL`, JSONValue, "expected ident at line 1 column 4"},
		{`1e`, JSONValue, "EOF while parsing a value at line 1 column 2"},
		{`1ex`, JSONValue, "invalid number at line 1 column 3"},
		{`1.x`, JSONValue, "invalid number at line 1 column 3"},
		{`[1e999]`, JSONValue, "number out of range at line 1 column 6"},
		{`"\ud800"`, JSONValue, "unexpected end of hex escape at line 1 column 8"},
		{`"\udc00"`, JSONValue, "lone leading surrogate in hex escape at line 1 column 7"},
		{`"\u12x4"`, JSONValue, "invalid escape at line 1 column 6"},
		{"\"\xff\"", JSONValue, "Couldn't parse as UTF-8 string"},
		{"{\n\"a\":\n}", JSONValue, "expected value at line 3 column 1"},
		{`1 2`, JSONStrict, "trailing characters at line 1 column 3"},
		{`"a"x`, JSONStrict, "trailing characters at line 1 column 4"},
	}
	for _, c := range cases {
		_, _, err := ParseJSON([]byte(c.in), c.mode)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
		if _, ok := err.(*JSONSyntaxError); err != nil && !ok {
			t.Errorf("%q: error type %T", c.in, err)
		}
	}
	// RedisJSON ignores what follows the value of JSON.SET.
	if v, _, err := ParseJSON([]byte(`50asd`), JSONValue); err != nil || v != int64(50) {
		t.Errorf("50asd: %v %v", v, err)
	}
}

// A value nested JSONMaxDepth containers deep is refused; one less is fine.
func TestJSONDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", JSONMaxDepth-1) + strings.Repeat("]", JSONMaxDepth-1)
	v, d, err := ParseJSON([]byte(ok), JSONValue)
	if err != nil || d != JSONMaxDepth-1 || JSONDepth(v) != JSONMaxDepth-1 {
		t.Fatalf("depth %d: %v (depth %d)", JSONMaxDepth-1, err, d)
	}
	bad := strings.Repeat(`{"a":`, JSONMaxDepth) + "1" + strings.Repeat("}", JSONMaxDepth)
	if _, _, err := ParseJSON([]byte(bad), JSONValue); err == nil || err.Error() != fmt.Sprintf("recursion limit exceeded at line 1 column %d", 5*(JSONMaxDepth-1)+1) {
		t.Fatalf("depth %d: %v", JSONMaxDepth, err)
	}
	// Stored documents are read without the limit.
	deep := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	if _, d, err := ParseJSON([]byte(deep), JSONStored); err != nil || d != 1000 {
		t.Fatalf("stored depth 1000: %v %d", err, d)
	}
}

func TestJSONObjectOrder(t *testing.T) {
	o := NewJSONObject(0)
	for i := 0; i < 40; i++ { // past objectIndexMin: the index map takes over
		o.Set(fmt.Sprintf("k%d", i), int64(i))
	}
	o.Set("k3", "x")
	if v, ok := o.Get("k3"); !ok || v != "x" || o.Key(3) != "k3" || o.Len() != 40 {
		t.Fatalf("replace kept place: %v %v %s %d", v, ok, o.Key(3), o.Len())
	}
	// Removal moves the last key into the hole, as RedisJSON's objects do.
	if !o.Remove("k5") || o.Key(5) != "k39" || o.Len() != 39 || o.Index("k39") != 5 {
		t.Fatalf("remove: %s len %d idx %d", o.Key(5), o.Len(), o.Index("k39"))
	}
	if o.Remove("k5") {
		t.Fatal("removed twice")
	}
	if v, ok := o.Get("k38"); !ok || v != int64(38) {
		t.Fatalf("k38 = %v %v", v, ok)
	}
	small := mustParse(t, `{"a":1,"b":2,"c":3}`).(*JSONObject)
	small.Remove("a")
	if got := string(AppendJSON(nil, small, nil)); got != `{"c":3,"b":2}` {
		t.Fatalf("swap remove: %s", got)
	}
	small.Clear()
	if small.Len() != 0 || string(AppendJSON(nil, small, nil)) != "{}" {
		t.Fatal("clear")
	}
}

func TestJSONFormatted(t *testing.T) {
	v := mustParse(t, `{"a":[1,{}],"b":{"c":null},"d":[]}`)
	got := string(AppendJSON(nil, v, &JSONFormat{Indent: "  ", Newline: "\n", Space: " "}))
	want := "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {\n    \"c\": null\n  },\n  \"d\": []\n}"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestJSONEqualCloneTypes(t *testing.T) {
	a := mustParse(t, `{"x":[1,2.5,"s",null,true,{"y":{}}],"z":1}`)
	b := mustParse(t, `{"z":1,"x":[1,2.5,"s",null,true,{"y":{}}]}`)
	if !JSONEqual(a, b) {
		t.Fatal("equal objects with other key order")
	}
	if JSONEqual(int64(1), 1.0) || JSONEqual(mustParse(t, `[1]`), mustParse(t, `[1.0]`)) {
		t.Fatal("1 and 1.0 must differ")
	}
	c := JSONClone(a)
	c.(*JSONObject).Set("z", int64(2))
	if JSONEqual(a, c) {
		t.Fatal("clone shares memory")
	}
	for in, want := range map[string]string{`null`: "null", `true`: "boolean", `1`: "integer",
		`18446744073709551615`: "integer", `1.5`: "number", `"s"`: "string", `[]`: "array", `{}`: "object"} {
		if got := JSONTypeName(mustParse(t, in)); got != want {
			t.Errorf("type of %s = %s, want %s", in, got, want)
		}
	}
	if JSONMemory(mustParse(t, `{"a":[1,2,3],"b":"hello"}`)) <= JSONMemory(mustParse(t, `{}`)) {
		t.Fatal("memory estimate does not grow")
	}
}

func TestJSONFloatText(t *testing.T) {
	for f, want := range map[float64]string{
		2.5: "2.5", 3: "3.0", -3: "-3.0", 1e21: "1e21", 1e-7: "1e-7", 123e-20: "1.23e-18",
		0.3: "0.3", 100: "100.0", math.MaxFloat64: "1.7976931348623157e308", 1.0000000000000002: "1.0000000000000002",
	} {
		if got := string(AppendJSONFloat(nil, f)); got != want {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
		// What we write reads back as the same float.
		if v := mustParse(t, string(AppendJSONFloat(nil, f))); v != f {
			t.Errorf("%v: reads back as %v", f, v)
		}
	}
}

// JSON documents on real RocksDB: set, read back in the same group and
// after reopening the engine, with the type and TTL intact.
func TestJSONStoredDocument(t *testing.T) {
	dir := t.TempDir()
	e := openTest(t, Options{Dir: dir, Shards: 2})
	doc := []byte(`{"a":[1,2],"b":"x"}`)
	do(t, e, "j", func(tx *Tx) {
		tx.SetJSON(0, []byte("j"), doc, nil)
		got, m, ok, err := tx.GetJSON(0, []byte("j"))
		if err != nil || !ok || string(got) != string(doc) || m.Type != TypeJSON {
			t.Errorf("read your write: %q %v %v", got, ok, err)
		}
		if _, _, _, err := tx.GetJSON(0, []byte("missing")); err != nil {
			t.Error(err)
		}
	})
	setString(t, e, 0, "s", "v", 0)
	do(t, e, "s", func(tx *Tx) {
		if _, _, _, err := tx.GetJSON(0, []byte("s")); err != ErrWrongType {
			t.Errorf("GetJSON of a string: %v", err)
		}
	})
	exp := int64(math.MaxInt64 / 2)
	do(t, e, "j", func(tx *Tx) {
		_, m, _, _ := tx.GetJSON(0, []byte("j"))
		nm := m
		nm.Expire = exp
		tx.PutMeta(0, []byte("j"), &nm, &m)
	})
	do(t, e, "j", func(tx *Tx) {
		_, m, _, _ := tx.GetJSON(0, []byte("j"))
		tx.SetJSON(0, []byte("j"), []byte(`{"a":1}`), &m) // keeps the TTL
	})
	e.Close()
	e = openTest(t, Options{Dir: dir, Shards: 3})
	do(t, e, "j", func(tx *Tx) {
		got, m, ok, err := tx.GetJSON(0, []byte("j"))
		if err != nil || !ok || string(got) != `{"a":1}` || m.Expire != exp {
			t.Errorf("after reopen: %q expire %d %v %v", got, m.Expire, ok, err)
		}
		if typ, _ := tx.TypeOf(0, []byte("j")); typ.String() != "ReJSON-RL" {
			t.Errorf("TYPE = %s", typ)
		}
	})
	if n := e.DBSize(0); n != 2 {
		t.Fatalf("DBSIZE = %d", n)
	}
}

// doc1K returns a ~1 KiB document of the usual shape (nested object, arrays,
// strings, integers and floats).
func doc1K() []byte {
	var b strings.Builder
	b.WriteString(`{"id":12345,"name":"Alice Example","email":"alice@example.com","active":true,"score":98.25,`)
	b.WriteString(`"address":{"street":"123 Main Street","city":"New York","zip":"10001","geo":{"lat":40.7128,"lng":-74.006}},`)
	b.WriteString(`"tags":["coding","music","travel","photography","cooking"],"orders":[`)
	for i := 0; i < 8; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"order":%d,"sku":"SKU-%04d","qty":%d,"price":%d.99,"shipped":%t}`, 1000+i, i*37, i+1, 10+i, i%2 == 0)
	}
	b.WriteString(`],"bio":"` + strings.Repeat("lorem ipsum ", 12) + `"}`)
	return []byte(b.String())
}

func BenchmarkJSONParse1KiB(b *testing.B) {
	doc := doc1K()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := ParseJSON(doc, JSONValue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONWrite1KiB(b *testing.B) {
	doc := doc1K()
	v, _, _ := ParseJSON(doc, JSONValue)
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendJSON(buf[:0], v, nil)
	}
}

// BenchmarkJSONSet1KiB is JSON.SET key $ <1 KiB> on the store: parse,
// canonical text, one keyed write committed by the executor.
func BenchmarkJSONSet1KiB(b *testing.B) {
	e := openTest(b, Options{Shards: 1})
	doc := doc1K()
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("doc:%d", i))
	}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := keys[i%len(keys)]
		do(b, e, string(key), func(tx *Tx) {
			_, m, found, err := tx.GetJSON(0, key)
			if err != nil {
				b.Fatal(err)
			}
			v, _, err := ParseJSON(doc, JSONValue)
			if err != nil {
				b.Fatal(err)
			}
			buf = AppendJSON(buf[:0], v, nil)
			var old *Meta
			if found {
				old = &m
			}
			tx.SetJSON(0, key, buf, old)
		})
	}
}

// BenchmarkJSONGet1KiB is JSON.GET key (the whole document: the stored
// text is the reply) and BenchmarkJSONGetPath1KiB JSON.GET key $.path,
// which decodes the document.
func BenchmarkJSONGet1KiB(b *testing.B)     { benchJSONGet(b, false) }
func BenchmarkJSONGetPath1KiB(b *testing.B) { benchJSONGet(b, true) }

func benchJSONGet(b *testing.B, decode bool) {
	e := openTest(b, Options{Shards: 1})
	doc := doc1K()
	v, _, _ := ParseJSON(doc, JSONValue)
	canon := AppendJSON(nil, v, nil)
	do(b, e, "doc", func(tx *Tx) { tx.SetJSON(0, []byte("doc"), canon, nil) })
	key := []byte("doc")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		do(b, e, "doc", func(tx *Tx) {
			body, _, ok, err := tx.GetJSON(0, key)
			if err != nil || !ok {
				b.Fatal(err)
			}
			if decode {
				root, _, err := ParseJSON(body, JSONStored)
				if err != nil {
					b.Fatal(err)
				}
				addr, _ := root.(*JSONObject).Get("address")
				city, _ := addr.(*JSONObject).Get("city")
				_ = AppendJSON(nil, city, nil)
			}
		})
	}
}
