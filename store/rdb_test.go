package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Serialization tests: the CRC, payloads written by redis-server 7.0.15,
// hand-built payloads of the older encodings, round trips, and damaged
// payloads (which must fail, never panic).

func TestCRC64Jones(t *testing.T) {
	// The check value of CRC-64/Jones as Redis's crc64.c defines it.
	if c := CRC64(0, []byte("123456789")); c != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %#x", c)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// describe renders a value for comparisons.
func describe(v *DumpValue) string {
	var sb strings.Builder
	sb.WriteString(v.Type.String())
	if v.Type == TypeString {
		sb.WriteString(":" + string(v.Str))
	}
	for i, e := range v.Elems {
		sb.WriteString(" " + string(e))
		if v.Scores != nil {
			sb.WriteString("=" + strconv.FormatFloat(v.Scores[i], 'g', -1, 64))
		}
	}
	return sb.String()
}

func TestDecodeRedisPayloads(t *testing.T) {
	// DUMP replies of redis-server 7.0.15.
	cases := []struct{ hex, want string }{
		{"00c139300a009d94ea2793fc08b9", "string:12345"},
		{"000568656c6c6f0a006372df766534200a", "string:hello"},
		{"00c0f90a005e26d130d7a242ab", "string:-7"},
		// 100 × "a", LZF-compressed.
		{"00c3094064016161e057000161610a00e8a3b507b06df271", "string:" + strings.Repeat("a", 100)},
		// QUICKLIST_2, one listpack node: a 1 hello 300 -5.
		{"1201021919000000050081610201018568656c6c6f06c12c02dffb02ff0a003da2172c0565d5a6", "list a 1 hello 300 -5"},
		// Intset 1 2 3 and a plain set.
		{"0b0e02000000030000000100020003000a00a5025ce26d6e4d1b", "set 1 2 3"},
		{"0202016201610a0075d99d835ef85f65", "set b a"},
		// Listpack hash and sorted set.
		{"1012120000000400816602817602816e020501ff0a008490939f57b4f3c2", "hash f v n 5"},
		{"1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7", "zset a=1 b=2.5"},
	}
	for _, c := range cases {
		v, err := DecodeDump(mustHex(t, c.hex))
		if err != nil {
			t.Errorf("%s: %v", c.want, err)
			continue
		}
		if got := describe(v); got != c.want {
			t.Errorf("decoded %q, want %q", got, c.want)
		}
	}
}

// payload wraps a serialized value in DUMP's footer.
func payload(body []byte, version uint16) []byte {
	out := append([]byte(nil), body...)
	out = binary.LittleEndian.AppendUint16(out, version)
	return binary.LittleEndian.AppendUint64(out, CRC64(0, out))
}

// negBig is -2^40 as a 64-bit intset stores it.
var negBig = uint64(math.MaxUint64 - 1<<40 + 1)

func TestDecodeOlderEncodings(t *testing.T) {
	// Ziplists built by an independent encoder (prevlen, string and integer
	// encodings of every width).
	zl := mustHex(t, "7f0000007c0000000b0000016103f2020568656c6c6f07c02c0104fefb03fd02f0a0860105f000008005e000f2052a010000000a40467878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787849f1ff")
	zlWant := "list a 1 hello 300 -5 12 100000 -8388608 5000000000 " + strings.Repeat("x", 70) + " 0"
	hashZL := mustHex(t, "18000000150000000400000266310402763104016e03f8ff")
	zsetZL := mustHex(t, "240000001d000000060000026d310403312e3505026d3204f402026d3304042d696e66ff")
	str := func(b []byte) []byte { return appendRDBString(nil, b) }
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	// A zipmap of f1=v1 and n=7 (with one free byte after the value).
	zipmap := []byte{2, 2, 'f', '1', 2, 0, 'v', '1', 1, 'n', 1, 1, '7', 0, 0xFF}
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"LIST_ZIPLIST", cat([]byte{rdbListZiplist}, str(zl)), zlWant},
		{"LIST_QUICKLIST", cat([]byte{rdbListQuicklist, 2}, str(zl), str(zl)), zlWant + strings.TrimPrefix(zlWant, "list")},
		{"LIST", cat([]byte{rdbList, 3}, str([]byte("x")), str([]byte("-12")), str([]byte("y"))), "list x -12 y"},
		{"QUICKLIST_2 plain node", cat([]byte{rdbListQuicklist2, 1, qlPlain}, str([]byte("big element"))), "list big element"},
		{"HASH_ZIPLIST", cat([]byte{rdbHashZiplist}, str(hashZL)), "hash f1 v1 n 7"},
		{"HASH_ZIPMAP", cat([]byte{rdbHashZipmap}, str(zipmap)), "hash f1 v1 n 7"},
		{"HASH", cat([]byte{rdbHash, 1}, str([]byte("f")), str([]byte("v"))), "hash f v"},
		{"ZSET_ZIPLIST", cat([]byte{rdbZSetZiplist}, str(zsetZL)), "zset m1=1.5 m2=3 m3=-Inf"},
		{"ZSET (text doubles)", cat([]byte{rdbZSet, 3}, str([]byte("a")), []byte{3, '1', '.', '5'}, str([]byte("b")), []byte{254}, str([]byte("c")), []byte{255}), "zset a=1.5 b=+Inf c=-Inf"},
		{"ZSET_2", cat([]byte{rdbZSet2, 1}, str([]byte("a")), binary.LittleEndian.AppendUint64(nil, math.Float64bits(-2.25))), "zset a=-2.25"},
		{"SET_INTSET 64-bit", cat([]byte{rdbSetIntset}, str(cat([]byte{8, 0, 0, 0, 2, 0, 0, 0}, binary.LittleEndian.AppendUint64(nil, negBig), binary.LittleEndian.AppendUint64(nil, 7)))), "set -1099511627776 7"},
		{"64-bit length", cat([]byte{rdbString, rdb64Bit, 0, 0, 0, 0, 0, 0, 0, 2, 'o', 'k'}), "string:ok"},
		{"32-bit length", cat([]byte{rdbString, rdb32Bit, 0, 0, 0, 2, 'o', 'k'}), "string:ok"},
	}
	for _, c := range cases {
		for _, ver := range []uint16{6, 9, RDBVersion} {
			v, err := DecodeDump(payload(c.body, ver))
			if err != nil {
				t.Errorf("%s (v%d): %v", c.name, ver, err)
				continue
			}
			if got := describe(v); got != c.want {
				t.Errorf("%s: decoded %q, want %q", c.name, got, c.want)
			}
		}
	}
}

func TestDecodeRefusesBadPayloads(t *testing.T) {
	good := payload([]byte{rdbString, 2, 'o', 'k'}, RDBVersion)
	newer := payload([]byte{rdbString, 2, 'o', 'k'}, RDBVersion+1)
	flipped := append([]byte(nil), good...)
	flipped[2] ^= 1
	for name, p := range map[string][]byte{"short": good[:9], "newer version": newer, "bad crc": flipped, "empty": nil} {
		if _, err := DecodeDump(p); !errors.Is(err, ErrDumpPayload) {
			t.Errorf("%s: %v, want %v", name, err, ErrDumpPayload)
		}
	}
	str := func(s string) []byte { return appendRDBString(nil, []byte(s)) }
	bad := map[string][]byte{
		"truncated string":   {rdbString, 5, 'o', 'k'},
		"unknown type":       {42, 1, 'x'},
		"stream":             {rdbStreamListpack2, 0},
		"module":             {rdbModule2, 0},
		"empty set":          {rdbSet, 0},
		"duplicate member":   append(append([]byte{rdbSet, 2}, str("a")...), str("a")...),
		"duplicate field":    append(append([]byte{rdbHash, 2}, str("a")...), append(append(str("1"), str("a")...), str("2")...)...),
		"nan score":          append(append([]byte{rdbZSet2, 1}, str("a")...), binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN()))...),
		"huge count":         {rdbList, rdb32Bit, 0xff, 0xff, 0xff, 0xff},
		"bad lzf":            {rdbString, 0xC3, 2, 100, 0x1f, 0x61},
		"lzf bomb":           {rdbString, 0xC3, 1, rdb32Bit, 0x7f, 0xff, 0xff, 0xff, 0},
		"odd hash listpack":  append([]byte{rdbHashListpack}, str(string(func() []byte { lp := newListpack(); lp.add([]byte("f")); return lp.bytes() }()))...),
		"intset unordered":   append([]byte{rdbSetIntset}, str(string([]byte{2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 3, 0}))...),
		"quicklist bad node": append([]byte{rdbListQuicklist2, 1, 7}, str("x")...),
	}
	for name, body := range bad {
		if _, err := DecodeDump(payload(body, RDBVersion)); !errors.Is(err, ErrBadDataFormat) {
			t.Errorf("%s: %v, want %v", name, err, ErrBadDataFormat)
		}
	}
}

func TestDumpRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	randStr := func() []byte {
		switch r.IntN(4) {
		case 0:
			return strconv.AppendInt(nil, r.Int64N(1<<40)-1<<39, 10)
		case 1:
			return strconv.AppendInt(nil, int64(r.IntN(300))-150, 10)
		case 2:
			return []byte(strings.Repeat("z", r.IntN(3000)))
		}
		b := make([]byte, r.IntN(80))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	limits := []DumpLimits{DefaultDumpLimits, {ListMaxListpackSize: 3, SetMaxIntsetEntries: 2, HashMaxEntries: 1, HashMaxValue: 1, ZSetMaxEntries: 1, ZSetMaxValue: 1}, {ListMaxListpackSize: -5, SetMaxIntsetEntries: 1 << 20, HashMaxEntries: 1 << 20, HashMaxValue: 1 << 20, ZSetMaxEntries: 1 << 20, ZSetMaxValue: 1 << 20}}
	for trial := 0; trial < 300; trial++ {
		lim := &limits[trial%len(limits)]
		v := DumpValue{Type: []Type{TypeString, TypeList, TypeSet, TypeHash, TypeZSet}[trial%5]}
		n := 1 + r.IntN(300)
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			e := randStr()
			if v.Type != TypeList && seen[string(e)] {
				continue
			}
			seen[string(e)] = true
			v.Elems = append(v.Elems, e)
			switch v.Type {
			case TypeHash:
				v.Elems = append(v.Elems, randStr())
			case TypeZSet:
				v.Scores = append(v.Scores, []float64{r.NormFloat64() * 1e6, math.Inf(1), math.Inf(-1), float64(r.IntN(100)), 0.1}[r.IntN(5)])
			}
		}
		if v.Type == TypeString {
			v.Str, v.Elems = randStr(), nil
		}
		if v.Type == TypeZSet {
			// The store hands DUMP a sorted set in score order.
			sortZ(v.Elems, v.Scores)
		}
		got, err := DecodeDump(EncodeDump(&v, lim))
		if err != nil {
			t.Fatalf("trial %d (%s, %d elements): %v", trial, v.Type, len(v.Elems), err)
		}
		if v.Type == TypeZSet {
			sortZ(got.Elems, got.Scores)
		}
		if describe(got) != describe(&v) {
			t.Fatalf("trial %d (%s): round trip changed the value", trial, v.Type)
		}
	}
}

func sortZ(ms [][]byte, scores []float64) {
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	less := func(a, b int) bool {
		if scores[a] != scores[b] {
			return scores[a] < scores[b]
		}
		return string(ms[a]) < string(ms[b])
	}
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && less(idx[j], idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	m2, s2 := make([][]byte, len(ms)), make([]float64, len(ms))
	for i, j := range idx {
		m2[i], s2[i] = ms[j], scores[j]
	}
	copy(ms, m2)
	copy(scores, s2)
}

// Damaged payloads with a valid footer never panic.
func TestDecodeDamagedPayloadsDoNotPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	var seeds [][]byte
	for _, v := range []DumpValue{
		{Type: TypeString, Str: []byte("hello world")},
		{Type: TypeList, Elems: [][]byte{[]byte("a"), []byte("1234"), []byte(strings.Repeat("q", 300))}},
		{Type: TypeSet, Elems: [][]byte{[]byte("1"), []byte("70000"), []byte("-5000000000")}},
		{Type: TypeSet, Elems: [][]byte{[]byte("x"), []byte("y")}},
		{Type: TypeHash, Elems: [][]byte{[]byte("f"), []byte("v"), []byte("g"), []byte("12")}},
		{Type: TypeZSet, Elems: [][]byte{[]byte("a"), []byte("b")}, Scores: []float64{1.5, 3}},
	} {
		seeds = append(seeds, EncodeDump(&v, &DefaultDumpLimits))
		seeds = append(seeds, EncodeDump(&v, &DumpLimits{ListMaxListpackSize: 1}))
	}
	st := &DumpStream{Last: StreamID{9, 9}, First: StreamID{1, 1}, EntriesAdded: 4,
		IDs:     []StreamID{{1, 1}, {1, 2}, {5, 0}},
		Entries: [][][]byte{bs("a", "1", "b", "x"), bs("a", "2", "b", "y"), bs("c", "300")},
		Groups: []DumpStreamGroup{{Name: []byte("g"), Last: StreamID{5, 0}, EntriesRead: 3,
			PEL:       []PendingEntry{{ID: StreamID{1, 2}, DeliveryTime: 12345, Deliveries: 2}},
			Consumers: []DumpStreamConsumer{{Name: []byte("c"), Seen: 1, PEL: []StreamID{{1, 2}}}, {Name: []byte("d")}}}}}
	seeds = append(seeds, payload([]byte{rdbStreamListpacks, 0, 0, 0, 0, 0}, RDBVersion),
		EncodeDump(&DumpValue{Type: TypeStream, Stream: st}, &DefaultDumpLimits),
		EncodeDump(&DumpValue{Type: TypeStream, Stream: st}, &DumpLimits{StreamNodeMaxEntries: 1}))
	for i := 0; i < 20000; i++ {
		p := append([]byte(nil), seeds[r.IntN(len(seeds))]...)
		body := p[:len(p)-10]
		for k := 1 + r.IntN(3); k > 0 && len(body) > 0; k-- {
			switch r.IntN(3) {
			case 0:
				body[r.IntN(len(body))] = byte(r.IntN(256))
			case 1:
				body = body[:r.IntN(len(body))]
			case 2:
				body[r.IntN(len(body))] ^= 1 << r.IntN(8)
			}
		}
		_, _ = DecodeDump(payload(body, RDBVersion))
	}
}

func TestLZFDecompress(t *testing.T) {
	// Literal run "ab", then a back reference of 7 bytes at distance 2
	// (overlapping: "ababababa").
	in := []byte{0x01, 'a', 'b', 5 << 5, 0x01}
	out, ok := lzfDecompress(in, 9)
	if !ok || string(out) != "ababababa" {
		t.Fatalf("lzfDecompress = %q, %v", out, ok)
	}
	if _, ok := lzfDecompress(in, 10); ok {
		t.Fatal("a wrong declared length was accepted")
	}
	if _, ok := lzfDecompress([]byte{0x00, 'a', 0x20, 0x05}, 10); ok {
		t.Fatal("a reference before the start was accepted")
	}
}

func TestDumpRestoreThroughTheStore(t *testing.T) {
	e := szOpen(t)
	szRun(t, e, "k", func(t testing.TB, tx *Tx) {
		tx.ZAdd(0, []byte("src"), 0, []float64{1, 2, 3}, bs("a", "b", "c"))
		p, ok, err := tx.Dump(0, []byte("src"), &DefaultDumpLimits)
		if err != nil || !ok {
			t.Fatalf("Dump: %v %v", ok, err)
		}
		if _, ok, _ := tx.Dump(0, []byte("nosuch"), &DefaultDumpLimits); ok {
			t.Fatal("Dump of an absent key")
		}
		v, err := DecodeDump(p)
		if err != nil {
			t.Fatal(err)
		}
		at := tx.Now() + 100000
		if err := tx.Restore(1, []byte("src"), v, at, nil); err != nil {
			t.Fatal(err)
		}
		m, ok, _ := tx.Lookup(1, []byte("src"))
		if !ok || m.Type != TypeZSet || m.Count != 3 || m.Expire != at {
			t.Fatalf("restored meta = %+v %v", m, ok)
		}
		es := must[[]ZEntry](t)(tx.ZRange(1, []byte("src"), ZRange{Kind: ZByRank, Start: 0, Stop: -1}))
		if zmembers(es) != "a=1 b=2 c=3" {
			t.Fatalf("restored %s", zmembers(es))
		}
	})
}

// describeStream renders a decoded stream for comparisons.
func describeStream(ds *DumpStream) string {
	var sb strings.Builder
	for i, id := range ds.IDs {
		sb.WriteString(id.String() + "{")
		for j, b := range ds.Entries[i] {
			if j > 0 {
				sb.WriteByte(' ')
			}
			sb.Write(b)
		}
		sb.WriteString("} ")
	}
	fmt.Fprintf(&sb, "last=%s first=%s maxdel=%s added=%d", ds.Last, ds.First, ds.MaxDeleted, ds.EntriesAdded)
	for _, g := range ds.Groups {
		fmt.Fprintf(&sb, " group %s last=%s read=%d pel[", g.Name, g.Last, g.EntriesRead)
		for _, p := range g.PEL {
			fmt.Fprintf(&sb, "%s:%s:%d ", p.ID, p.Consumer, p.Deliveries)
		}
		sb.WriteString("] consumers[")
		for _, c := range g.Consumers {
			fmt.Fprintf(&sb, "%s:%d ", c.Name, len(c.PEL))
		}
		sb.WriteString("]")
	}
	return sb.String()
}

func TestDecodeRedisStreamPayloads(t *testing.T) {
	cases := []struct{ hex, want string }{
		// 1-1 {a 1 b hello}, 1-2 deleted, 5-0 {c 3}; group g1 with alice
		// holding 1-1 and bob holding nothing.
		{"130110000000000000000100000000000000014043430000001900020101010201816102816202000102010001000101018568656c6c6f0605010301000101010201817802050100010401dfff02010181630203010601ff020500010101020301026731010181ffffffffffffffff010000000000000001000000000000000125b95e18a2010000010205616c69636525b95e18a2010000010000000000000001000000000000000103626f6225b95e18a2010000000a00ff45a4b9051ba1aa",
			"1-1{a 1 b hello} 5-0{c 3} last=5-0 first=1-1 maxdel=1-2 added=3 group g1 last=1-1 read=-1 pel[1-1:alice:1 ] consumers[alice:1 bob:0 ]"},
		// An empty stream (its only entry deleted).
		{"13000001010000010101000a00cda16212d34bf396", "last=1-1 first=0-0 maxdel=1-1 added=1"},
	}
	for _, c := range cases {
		v, err := DecodeDump(mustHex(t, c.hex))
		if err != nil {
			t.Fatalf("%s: %v", c.want, err)
		}
		if v.Type != TypeStream {
			t.Fatalf("type %s", v.Type)
		}
		if got := describeStream(v.Stream); got != c.want {
			t.Errorf("decoded\n %s\nwant\n %s", got, c.want)
		}
	}
	// A consumer claiming an id the group does not have pending, and a
	// pending id nobody owns, are refused.
	good := mustHex(t, cases[0].hex)
	body := good[:len(good)-10]
	i := strings.Index(string(body), "alice")
	bad := append([]byte(nil), body...)
	bad[i+5+8+1+15] ^= 1 // alice's pending id
	if _, err := DecodeDump(payload(bad, RDBVersion)); !errors.Is(err, ErrBadDataFormat) {
		t.Fatalf("unknown pending id: %v", err)
	}
}

func TestStreamDumpRestoreThroughTheStore(t *testing.T) {
	e := szOpen(t)
	szRun(t, e, "{s}", func(t testing.TB, tx *Tx) {
		s := must[*Stream](t)(tx.CreateStream(0, []byte("{s}src")))
		for i := 0; i < 300; i++ {
			fv := bs("f", strconv.Itoa(i), "g", strings.Repeat("x", i%7))
			if i%50 == 0 {
				fv = bs("other", strconv.Itoa(i))
			}
			if _, err := s.Append(fv, StreamID{uint64(1000 + i), uint64(i % 3)}, true, true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Delete([]StreamID{{1001, 1}, {1002, 2}}); err != nil {
			t.Fatal(err)
		}
		s.CreateGroup([]byte("g"), StreamID{}, 0)
		g := must[*Group](t)(s.Group([]byte("g")))
		if _, _, err := g.ReadNew([]byte("c1"), 5, false, func(StreamID, [][]byte) {}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := g.ReadNew([]byte("c2"), 3, false, func(StreamID, [][]byte) {}); err != nil {
			t.Fatal(err)
		}
		s.CreateGroup([]byte("empty"), MaxStreamID, -1)
		s.Save()

		p, ok, err := tx.Dump(0, []byte("{s}src"), &DefaultDumpLimits)
		if err != nil || !ok {
			t.Fatalf("Dump: %v %v", ok, err)
		}
		v, err := DecodeDump(p)
		if err != nil {
			t.Fatal(err)
		}
		want := describeStream(v.Stream)
		if !strings.Contains(want, "group g last=1009-0 read=-1 pel[1000-0:c1:1 1003-0:c1:1") || !strings.Contains(want, "consumers[c1:5 c2:3 ]") || !strings.Contains(want, "maxdel=1002-2 added=300") {
			t.Fatalf("dumped %.300s ... %s", want, want[len(want)-300:])
		}
		if err := tx.Restore(0, []byte("{s}dst"), v, 0, nil); err != nil {
			t.Fatal(err)
		}
		p2, _, err := tx.Dump(0, []byte("{s}dst"), &DefaultDumpLimits)
		if err != nil {
			t.Fatal(err)
		}
		if string(p2) != string(p) {
			v2, _ := DecodeDump(p2)
			t.Fatalf("the restored stream dumps differently:\n %s\n %s", want, describeStream(v2.Stream))
		}
		d := must[*Stream](t)(tx.OpenStream(0, []byte("{s}dst")))
		if d.Len() != 298 || d.NumGroups() != 2 {
			t.Fatalf("restored stream: %d entries, %d groups", d.Len(), d.NumGroups())
		}
	})
}
