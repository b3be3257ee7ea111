package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/diskdb/diskdb/store/command"
)

// writeSampleConfig writes diskdb.toml: every setting with its default and
// what it does, generated from the settings table so it never drifts.
func writeSampleConfig(w io.Writer) {
	fmt.Fprint(w, `# DiskDB configuration: every setting with its default value.
#
#   bin/diskdb diskdb.toml [--name value ...]
#
# Settings are named as redis.conf's directives. Flags given after the file
# override it; settings marked "run time" can also change with CONFIG SET
# (and CONFIG REWRITE writes them back here). Sizes are bytes; redis.conf's
# units work in strings too ("64mb", "1gb").
#
# Generated from the settings table: go test ./cmd/diskdb -run SampleConfig -update
`)
	var compat []*command.Param
	for _, p := range command.Params() {
		if !p.Effective() {
			compat = append(compat, p)
			continue
		}
		when := "start-up only"
		if p.RunTime() {
			when = "run time"
		}
		fmt.Fprintf(w, "\n# %s (%s)\n", p.Help, when)
		if len(p.Aliases) > 0 {
			fmt.Fprintf(w, "# also accepted as: %s\n", strings.Join(p.Aliases, ", "))
		}
		fmt.Fprintf(w, "%s = %s\n", p.Name, p.TOMLDefault())
	}
	fmt.Fprint(w, "\n# Accepted for compatibility with redis.conf (CONFIG GET reports them),\n# with no effect in DiskDB.\n")
	for _, p := range compat {
		fmt.Fprintf(w, "%s = %s\n", p.Name, p.TOMLDefault())
	}
}
