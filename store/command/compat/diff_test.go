package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store/command/testkit"
)

// TestDifferential sends every script in testdata/diff to a fresh
// redis-server and a fresh DiskDB and compares the raw replies byte for byte.
//
// Script syntax, one command per line, quoted as redis-cli quotes:
//
//	# comment
//	SET k "a b"          compared byte for byte
//	!sort SMEMBERS s     top-level array elements sorted before comparing
//	!sortpairs HGETALL h top-level (field, value) pairs sorted (RESP2 arrays and RESP3 maps)
//	!ignore TIME         sent to both, replies not compared
//	!sleep 1100          pause (milliseconds), for expiry tests
//	!diskdb-only CMD     sent to DiskDB only and not compared (setup the reference lacks)
//	!replies N CMD       the command answers with N replies (SUBSCRIBE a b c), all compared
//	!mask avg_ttl= CMD   the digits after each "avg_ttl=" (and a bulk reply's length) are
//	                     masked before comparing: for figures Redis estimates by sampling
//
// Run one script with: go test ./store/command/compat -run 'TestDifferential/strings'
func TestDifferential(t *testing.T) {
	files, err := filepath.Glob("testdata/diff/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata/diff")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runScript(t, f)
		})
	}
}

type scriptLine struct {
	no   int
	mode string // "", "sort", "sortpairs", "ignore", "sleep", "diskdb-only", "replies", "mask"
	n    int    // replies expected
	mask string // !mask: the text whose following digits are masked
	args []string
	text string
}

func parseScript(t *testing.T, path string) []scriptLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []scriptLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	no := 0
	for sc.Scan() {
		no++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l := scriptLine{no: no, text: line, n: 1}
		if strings.HasPrefix(line, "!") {
			mode, rest, _ := strings.Cut(line[1:], " ")
			l.mode, line = mode, rest
			if mode == "mask" {
				l.mask, line, _ = strings.Cut(rest, " ")
			}
			if mode == "replies" {
				num, rest2, _ := strings.Cut(rest, " ")
				n, err := strconv.Atoi(num)
				if err != nil || n < 0 {
					t.Fatalf("%s:%d: !replies needs a count", path, no)
				}
				l.n, line = n, rest2
			}
			switch mode {
			case "sort", "sortpairs", "ignore", "sleep", "diskdb-only", "replies", "mask":
			default:
				t.Fatalf("%s:%d: unknown directive !%s", path, no, mode)
			}
		}
		var p proto.Parser
		args, _, err := p.ReadCommand([]byte(line + "\n"))
		if err != nil || len(args) == 0 {
			t.Fatalf("%s:%d: cannot split %q: %v", path, no, line, err)
		}
		for _, a := range args {
			l.args = append(l.args, string(a))
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func runScript(t *testing.T, path string) {
	lines := parseScript(t, path)
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	rc, dc := ref.Raw(), dut.Raw()
	for _, l := range lines {
		if l.mode == "sleep" {
			ms, _ := strconv.Atoi(l.args[0])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			continue
		}
		if l.mode == "diskdb-only" {
			if _, err := dc.Do(l.args...); err != nil {
				t.Fatalf("%s:%d: diskdb: %v", path, l.no, err)
			}
			continue
		}
		want, err := doN(rc, l.n, l.args)
		if err != nil {
			t.Fatalf("%s:%d: redis-server: %v", path, l.no, err)
		}
		got, err := doN(dc, l.n, l.args)
		if err != nil {
			t.Fatalf("%s:%d: diskdb: %v (redis-server replied %q)\nserver log:\n%s", path, l.no, err, want, dut.Logs())
		}
		switch l.mode {
		case "ignore":
			continue
		case "sort":
			want, got = sortReply(want, 1), sortReply(got, 1)
		case "sortpairs":
			want, got = sortReply(want, 2), sortReply(got, 2)
		case "mask":
			want, got = maskReply(want, l.mask), maskReply(got, l.mask)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s:%d: %s\n redis-server: %q\n       diskdb: %q", filepath.Base(path), l.no, l.text, want, got)
		}
	}
}

var bulkLen = regexp.MustCompile(`^\$\d+\r\n`)

// maskReply replaces the digits after each occurrence of prefix with '#',
// and a bulk reply's length with '?'.
func maskReply(b []byte, prefix string) []byte {
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `\d+`)
	b = re.ReplaceAllLiteral(b, []byte(prefix+"#"))
	return bulkLen.ReplaceAllLiteral(b, []byte("$?\r\n"))
}

// doN sends a command and reads n replies (concatenated).
func doN(c *testkit.Conn, n int, args []string) ([]byte, error) {
	out, err := c.Do(args...)
	for i := 1; i < n && err == nil; i++ {
		var more []byte
		more, err = c.ReadReply()
		out = append(out, more...)
	}
	return out, err
}

// sortReply sorts the elements (group = 1) or pairs (group = 2) of a
// top-level aggregate reply; other replies are returned unchanged.
func sortReply(raw []byte, group int) []byte {
	if len(raw) == 0 {
		return raw
	}
	switch raw[0] {
	case '*', '~', '%', '>':
	default:
		return raw
	}
	nl := bytes.IndexByte(raw, '\n')
	header := raw[:nl+1]
	r := bufio.NewReader(bytes.NewReader(raw[nl+1:]))
	c := &testkit.Conn{R: r}
	var elems [][]byte
	for {
		v, err := c.ReadReply()
		if err != nil {
			break
		}
		elems = append(elems, v)
	}
	var units []string
	for i := 0; i+group <= len(elems); i += group {
		units = append(units, string(bytes.Join(elems[i:i+group], nil)))
	}
	sort.Strings(units)
	return append(append([]byte(nil), header...), strings.Join(units, "")...)
}

// TestSortReply checks the helper the differential test relies on.
func TestSortReply(t *testing.T) {
	in := []byte("*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n")
	if got := string(sortReply(in, 1)); got != "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n" {
		t.Fatalf("sort: %q", got)
	}
	in = []byte("%2\r\n$1\r\nz\r\n:1\r\n$1\r\ny\r\n:2\r\n")
	if got := string(sortReply(in, 2)); got != "%2\r\n$1\r\ny\r\n:2\r\n$1\r\nz\r\n:1\r\n" {
		t.Fatalf("sortpairs: %q", got)
	}
	_ = fmt.Sprint()
}
