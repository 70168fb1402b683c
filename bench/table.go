// Package bench is the harness behind `make bench`: it measures the add-on
// as a host runs it (the real binary over go-plugin, a real MinIO, Caddy,
// mc), each figure beside its alternative measured in the same run, and
// writes one table to results.md. The measuring is BenchmarkTable in
// bench_test.go; this file holds the statistics and the table.
package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Latencies are the durations of individual requests.
type Latencies []time.Duration

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank method:
// the smallest sample with at least q of the samples at or below it.
func (l Latencies) Quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Median is the 0.5-quantile.
func (l Latencies) Median() time.Duration { return l.Quantile(0.5) }

// P99 is the 0.99-quantile.
func (l Latencies) P99() time.Duration { return l.Quantile(0.99) }

// String is "median / p99" in milliseconds.
func (l Latencies) String() string {
	if len(l) == 0 {
		return "—"
	}
	return Millis(l.Median()) + " / " + Millis(l.P99())
}

// Millis formats a duration in milliseconds with three significant digits.
func Millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 1:
		return fmt.Sprintf("%.3f ms", ms)
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// Ratio formats a/b as "1.07×", or with two significant digits below
// 0.1 ("0.0034×").
func Ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	if r := a / b; r < 0.1 {
		return fmt.Sprintf("%.2g×", r)
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Row is one line of the table. Empty cells print as a dash.
type Row struct {
	ID     string // "1", "5a", …
	Figure string // what is measured
	Ours   string // the add-on's figure
	Alt    string // the alternative's figure, with its name
	Ratio  string // ours against the alternative
	Caddy  string // the add-on's figure through Caddy with TLS (S3 rows)
	Goal   string
	Met    string // "yes", "no", or empty when there is no goal
}

// Table is the whole result: a header of facts about the run, the rows,
// and notes on the method.
type Table struct {
	Title  string
	Header []string // "key: value" lines (machine, date, versions)
	Rows   []Row
	Notes  []string
}

// Verdict is "yes" or "no".
func Verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// Markdown renders the table as Markdown, for results.md and the terminal.
func (t Table) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", t.Title)
	for _, h := range t.Header {
		fmt.Fprintf(&b, "- %s\n", h)
	}
	b.WriteString("\n| # | figure | ours (median / p99) | alternative, same run | ours / alt | through Caddy, TLS | goal | met |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range t.Rows {
		cells := []string{r.ID, r.Figure, r.Ours, r.Alt, r.Ratio, r.Caddy, r.Goal, r.Met}
		for i, c := range cells {
			if c == "" {
				c = "—"
			}
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(t.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}
