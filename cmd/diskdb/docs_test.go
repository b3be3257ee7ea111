package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README.md's generated command list")

// TestREADMECommandList keeps README's command list equal to the command
// table. Refresh it with: go test ./cmd/diskdb -run README -update
func TestREADMECommandList(t *testing.T) {
	const begin, end = "<!-- commands:begin -->\n", "<!-- commands:end -->"
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the commands:begin/end markers")
	}
	var b bytes.Buffer
	writeCommandDocs(&b)
	want := s[:i+len(begin)] + b.String() + s[j:]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile("../../README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("README.md's command list is stale: run go test ./cmd/diskdb -run README -update")
}
