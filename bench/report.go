package bench

import (
	"fmt"
	"strings"
)

// Markdown renders a side-by-side report: the machine, the settings, one
// table row per comparison, the memory row and any notes.
func (rep *SideReport) Markdown() string {
	var b strings.Builder
	m := rep.Machine
	fmt.Fprintf(&b, "### Side by side, %s\n\n", m.Date)
	if rep.Config.Quick {
		b.WriteString("**Quick (smoke) run: one short run per server and row; not a measurement to quote.**\n\n")
	}
	fmt.Fprintf(&b, "- Command: `%s`\n", rep.Command)
	fmt.Fprintf(&b, "- Machine: %s; nproc %s; %s; kernel %s; %s\n", m.Host, m.Nproc, m.Memory, m.Kernel, m.CPU)
	fmt.Fprintf(&b, "- Load average (1/5/15 min) at start %s, at end %s\n", m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- %s; %s; %s; generator built with %s\n", m.DiskDB, m.Redis, m.RBench, m.Go)
	c := rep.Config
	fmt.Fprintf(&b, "- %d alternating A/B runs per row, %s per generator run, -c %d, key space %d, values %d B",
		c.Runs, c.Duration, c.Conns, c.KeySpace, c.ValueSize)
	if len(c.DiskDBArgs) > 0 {
		fmt.Fprintf(&b, ", DiskDB extra settings `%s`", strings.Join(c.DiskDBArgs, " "))
	}
	fmt.Fprintf(&b, "\n- Started %s, finished %s\n\n", rep.Started.Format("2006-01-02 15:04:05"), rep.Finished.Format("15:04:05"))
	b.WriteString(ComparisonTable(rep.Rows))
	if rep.Memory != nil {
		b.WriteString("\n")
		b.WriteString(rep.Memory.Markdown())
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// ComparisonTable renders comparisons as a markdown table: medians, the
// ratio of medians, p99 latencies, the spread of the runs and errors.
func ComparisonTable(rows []*Comparison) string {
	var b strings.Builder
	b.WriteString("| persistence | client | test | -P | DiskDB ops/s | Redis ops/s | DiskDB/Redis | DiskDB p99 ms | Redis p99 ms | p99 DiskDB/Redis | spread DiskDB / Redis | errors | runs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		s := r.Summarize()
		ratio, p99Ratio := fmtRatio(s.Ratio), fmtRatio(s.P99Ratio)
		if s.DiskDBErrors > 0 || s.RedisErrors > 0 {
			// Error replies are cheap: a ratio would flatter the side that failed.
			ratio, p99Ratio = "– (error replies)", "–"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | **%s** | %s | %s | %s | %s / %s | %d / %d | %d |\n",
			r.Mode, r.Client, r.Test, r.Pipeline, fmtOps(s.DiskDBOps), fmtOps(s.RedisOps), ratio,
			fmtMs(s.DiskDBP99), fmtMs(s.RedisP99), p99Ratio, fmtPct(s.DiskDBSpread), fmtPct(s.RedisSpread),
			s.DiskDBErrors, s.RedisErrors, s.Runs)
	}
	return b.String()
}

// Markdown renders the memory row.
func (m *MemoryReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Memory row: %d keys of %d B, persistence %s. DiskDB settings `%s`; redis-server `%s`.\n\n",
		m.Keys, m.ValueSize, m.Mode, strings.Join(m.DiskDBArgs, " "), quoteArgs(m.RedisArgs))
	b.WriteString("| | DiskDB | redis-server | DiskDB/Redis |\n|---|---|---|---|\n")
	row := func(name, d, r, ratio string) { fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, d, r, ratio) }
	bytesRow := func(name string, d, r int64) {
		row(name, fmtMiB(d), fmtMiB(r), fmtRatio(Ratio(float64(d), float64(r))))
	}
	row("load (-P 64, sequential keys) ops/s", fmtOps(m.DiskDB.LoadOpsPerSec), fmtOps(m.Redis.LoadOpsPerSec),
		fmtRatio(Ratio(m.DiskDB.LoadOpsPerSec, m.Redis.LoadOpsPerSec)))
	bytesRow("RSS after loading (VmRSS)", m.DiskDB.RSSLoaded, m.Redis.RSSLoaded)
	bytesRow("RSS after the GET runs (VmRSS)", m.DiskDB.RSSAfterReads, m.Redis.RSSAfterReads)
	bytesRow("peak RSS (VmHWM)", m.DiskDB.PeakRSS, m.Redis.PeakRSS)
	bytesRow("data directory on disk", m.DiskDB.DiskBytes, m.Redis.DiskBytes)
	var all, hot Summary
	if m.GetAll != nil {
		all = m.GetAll.Summarize()
		row(fmt.Sprintf("GET -P %d, random over all %d keys: ops/s (median)", m.GetAll.Pipeline, m.Keys),
			fmtOps(all.DiskDBOps), fmtOps(all.RedisOps), fmtRatio(all.Ratio))
		row("  p99 ms", fmtMs(all.DiskDBP99), fmtMs(all.RedisP99), fmtRatio(all.P99Ratio))
	}
	if m.GetHot != nil {
		hot = m.GetHot.Summarize()
		row(fmt.Sprintf("GET -P %d, random over the first %d keys (all cached): ops/s (median)", m.GetHot.Pipeline, m.HotKeys),
			fmtOps(hot.DiskDBOps), fmtOps(hot.RedisOps), fmtRatio(hot.Ratio))
		row("  p99 ms", fmtMs(hot.DiskDBP99), fmtMs(hot.RedisP99), fmtRatio(hot.P99Ratio))
	}
	if m.GetAll != nil && m.GetHot != nil {
		row("GET all keys / GET cached keys", fmtRatio(Ratio(all.DiskDBOps, hot.DiskDBOps)), fmtRatio(Ratio(all.RedisOps, hot.RedisOps)), "")
	}
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	return b.String()
}

func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" {
			a = `""`
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
