package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/diskdb/diskdb/store/command"
)

// writeCommandDocs writes the README's command list, generated from the
// command table so it never drifts from what the server answers.
func writeCommandDocs(w io.Writer) {
	groups := map[string][]*command.Spec{}
	var order []string
	for _, sp := range command.Commands() {
		if _, ok := groups[sp.Group]; !ok {
			order = append(order, sp.Group)
		}
		groups[sp.Group] = append(groups[sp.Group], sp)
	}
	sortStrings(order)
	fmt.Fprintf(w, "%d commands, generated from the command table (`bin/diskdb commands`).\n\n", len(command.Commands()))
	fmt.Fprintln(w, "| group | commands |")
	fmt.Fprintln(w, "|---|---|")
	for _, g := range order {
		var names []string
		for _, sp := range groups[g] {
			n := strings.ToUpper(sp.Name)
			if len(sp.Subs) > 0 {
				var subs []string
				for _, s := range command.SortedSubs(sp) {
					subs = append(subs, strings.ToUpper(s.Name[strings.IndexByte(s.Name, '|')+1:]))
				}
				n += " (" + strings.Join(subs, ", ") + ")"
			}
			names = append(names, n)
		}
		fmt.Fprintf(w, "| %s | %s |\n", g, strings.Join(names, ", "))
	}
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
