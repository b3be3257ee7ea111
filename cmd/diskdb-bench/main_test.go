package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSizeFlags(t *testing.T) {
	var r sizeRange
	if err := r.Set("100"); err != nil || r.min != 100 || r.max != 100 || r.String() != "100" {
		t.Errorf("fixed: %+v %v", r, err)
	}
	if err := r.Set("50-500"); err != nil || r.min != 50 || r.max != 500 || r.String() != "50-500" {
		t.Errorf("range: %+v %v", r, err)
	}
	for _, bad := range []string{"", "x", "-5", "10-5", "10-x"} {
		if err := r.Set(bad); err == nil {
			t.Errorf("value size %q accepted", bad)
		}
	}
	var n int64
	b := byteSize{&n}
	for in, want := range map[string]int64{"1048576": 1 << 20, "512k": 512 << 10, "192mb": 192 << 20, "192MiB": 192 << 20, "1g": 1 << 30, "2GB": 2 << 30} {
		if err := b.Set(in); err != nil || n != want {
			t.Errorf("byte size %q = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, bad := range []string{"", "mb", "-1m", "1tb"} {
		if err := b.Set(bad); err == nil {
			t.Errorf("byte size %q accepted", bad)
		}
	}
	if l, err := intList("1, 16"); err != nil || len(l) != 2 || l[1] != 16 {
		t.Errorf("intList = %v, %v", l, err)
	}
	if _, err := intList("1,0"); err == nil {
		t.Error("pipeline 0 accepted")
	}
}

func TestCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"bogus"}, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "sidebyside") {
		t.Errorf("unknown command: %v, usage %q", err, errOut.String())
	}
	if err := run(context.Background(), nil, &out, &errOut); err == nil {
		t.Error("no command accepted")
	}
	err := run(context.Background(), []string{"run", "-workload", "nope", "-addr", "127.0.0.1:1"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "unknown op") {
		t.Errorf("bad workload: %v", err)
	}
}
