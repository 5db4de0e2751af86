package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/lint"
)

// MarkdownFiles is how many files the Markdown summary lists under "Worst
// files": a job summary is read at a glance; the annotations and the
// text report hold the rest.
const MarkdownFiles = 10

// Markdown writes a short GitHub-flavoured Markdown summary of the report,
// for a CI job's summary page ($GITHUB_STEP_SUMMARY): the outcome, a table
// of counts by rule with each rule's fix, and the worst files (most severe
// finding, then most findings). It does not list every finding. Every field is shown through
// Printable and escaped for Markdown tables.
func Markdown(w io.Writer, r *Report) error {
	var b strings.Builder
	s := r.Summary
	icon := "✅"
	switch {
	case s.Failed:
		icon = "❌"
	case len(r.Findings) > 0:
		icon = "⚠️"
	}
	fmt.Fprintf(&b, "### %s layerkit check\n\n%s\n", icon, mdEscape(summaryLine(r)))
	groups := groupByRule(r.Findings)
	if len(groups) > 0 {
		b.WriteString("\n| Rule | Findings | Fix |\n|---|---|---|\n")
		for _, g := range groups {
			fix := strings.Join(g.distinct(func(f lint.Finding) string { return f.Fix }), "; ")
			fmt.Fprintf(&b, "| %s %s | %s | %s |\n", mdEscape(g.rule), mdEscape(g.name), g.counts(), mdEscape(fix))
		}
	}
	type file struct {
		place string
		n     int
		worst lint.Severity
		rules []string
	}
	byPlace := map[string]*file{}
	var files []*file
	for _, f := range r.Findings {
		if f.Path == "" {
			continue
		}
		place := strings.TrimSuffix(f.Artifact, "/") + "/" + f.Path
		fl := byPlace[place]
		if fl == nil {
			fl = &file{place: place}
			byPlace[place] = fl
			files = append(files, fl)
		}
		fl.n++
		fl.worst = max(fl.worst, f.Severity)
		if !slices.Contains(fl.rules, f.Rule) {
			fl.rules = append(fl.rules, f.Rule)
		}
	}
	slices.SortStableFunc(files, func(a, b *file) int { return cmp.Or(cmp.Compare(b.worst, a.worst), cmp.Compare(b.n, a.n)) })
	if len(files) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>Worst files (%d of %d)</summary>\n\n| File | Findings | Rules |\n|---|---|---|\n", min(len(files), MarkdownFiles), len(files))
		for _, fl := range files[:min(len(files), MarkdownFiles)] {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", mdEscape(fl.place), fl.n, mdEscape(strings.Join(fl.rules, ", ")))
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape makes s plain text in Markdown and in a table cell: printable,
// with a backslash before every character that would start emphasis, a
// link, a code span or HTML, or split the cell (CommonMark lets any ASCII
// punctuation be escaped so).
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range Printable(s) {
		if strings.ContainsRune("\\`*_[]<>|~#!", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
