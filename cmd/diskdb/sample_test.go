package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/diskdb/diskdb/store/command"
)

// TestSampleConfigIsCurrent keeps the cmd/diskdb/deploy/diskdb.toml equal to the
// settings table. Refresh it with: go test ./cmd/diskdb -run SampleConfig -update
func TestSampleConfigIsCurrent(t *testing.T) {
	var b bytes.Buffer
	writeSampleConfig(&b)
	const path = "deploy/diskdb.toml"
	data, err := os.ReadFile(path)
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil || !bytes.Equal(data, b.Bytes()) {
		t.Fatal("diskdb.toml is stale: run go test ./cmd/diskdb -run SampleConfig -update")
	}
}

// TestSampleConfigLoadsToTheDefaults: the sample is a valid config file
// that sets every setting to its default.
func TestSampleConfigLoadsToTheDefaults(t *testing.T) {
	var b bytes.Buffer
	writeSampleConfig(&b)
	path := filepath.Join(t.TempDir(), "diskdb.toml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := command.NewConfig()
	if err := cfg.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	def := command.NewConfig()
	for _, p := range command.Params() {
		if got, want := cfg.Get(p.Name), def.Get(p.Name); got != want {
			t.Errorf("%s = %q after loading the sample, default %q", p.Name, got, want)
		}
		if !bytes.Contains(b.Bytes(), []byte("\n"+p.Name+" = ")) {
			t.Errorf("the sample lacks %s", p.Name)
		}
	}
}
