package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/lint"
)

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

// DefaultPerRule is how many findings of one rule Text lists before it
// says how many more there are: enough to see the pattern (which
// libraries, which packages) without burying the other rules.
const DefaultPerRule = 10

// TextOptions say how Text renders a report.
type TextOptions struct {
	// Color adds ANSI colours; callers set it only for a terminal that
	// takes them (NO_COLOR unset).
	Color bool
	// Verbose lists every finding with its evidence, what Lambda shows
	// and the fix, grouped by function and artifact.
	Verbose bool
	// PerRule is how many findings of a rule are listed; 0 means
	// DefaultPerRule, a negative number every finding.
	PerRule int
	// MoreHint follows the count of findings left out of a rule, such as
	// "--verbose lists every finding".
	MoreHint string
}

// Text writes a report for a person. By default: one group per rule, most
// severe first, headed by the rule, its name and its count, then what
// Lambda shows and the fix once, then one line per finding (at most
// PerRule of them); then the count of each rule and one summary line.
// With Verbose it writes every finding in full (TextVerbose). Every field
// of a finding is shown through Printable.
func Text(w io.Writer, r *Report, opts TextOptions) error {
	if opts.Verbose {
		return TextVerbose(w, r, opts.Color)
	}
	per := opts.PerRule
	if per == 0 {
		per = DefaultPerRule
	}
	p := painter(opts.Color)
	groups := groupByRule(r.Findings)
	multiArtifact := false
	for _, f := range r.Findings {
		if f.Artifact != r.Findings[0].Artifact {
			multiArtifact = true
			break
		}
	}
	multiTarget := len(r.Summary.Targets) > 1
	var b strings.Builder
	for _, g := range groups {
		fmt.Fprintf(&b, "%s: %s\n", p(bold, Printable(g.rule+" "+g.name)), g.counts())
		for _, s := range g.distinct(func(f lint.Finding) string {
			if f.Severity != lint.Error {
				return ""
			}
			return f.Symptom
		}) {
			fmt.Fprintf(&b, "  on Lambda: %s\n", Printable(s))
		}
		for _, s := range g.distinct(func(f lint.Finding) string { return f.Fix }) {
			fmt.Fprintf(&b, "  fix: %s\n", Printable(s))
		}
		for i, f := range g.findings {
			if per > 0 && i == per {
				more := fmt.Sprintf("  ... and %d more", len(g.findings)-per)
				if opts.MoreHint != "" {
					more += " (" + opts.MoreHint + ")"
				}
				b.WriteString(p(dim, more) + "\n")
				break
			}
			fmt.Fprintf(&b, "  %s %s %s: %s\n", severityWord(p, f.Severity), p(dim, Printable(f.Rule)),
				findingPlace(f, multiArtifact, multiTarget), Printable(f.Message))
			if fit := fitFor(r, f); fit != nil && f.Rule == lint.RuleSizeUnzipped {
				writeFit(&b, "  ", fit)
			}
		}
		b.WriteByte('\n')
	}
	writeNearFits(&b, r)
	if len(groups) > 1 {
		b.WriteString("by rule:\n")
		width := 0
		for _, g := range groups {
			width = max(width, len(Printable(g.rule+" "+g.name)))
		}
		for _, g := range groups {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, Printable(g.rule+" "+g.name), g.counts())
		}
	}
	b.WriteString(summaryLine(r) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// findingPlace says where a finding is, on one line: its function (for a
// framework's functions), its file (with the artifact in front when the
// report covers several, as Python names a file in a zip on sys.path), and
// its target when several were checked.
func findingPlace(f lint.Finding, multiArtifact, multiTarget bool) string {
	var place string
	switch {
	case f.Path == "":
		place = f.Artifact
	case multiArtifact || f.Function != "":
		place = strings.TrimSuffix(f.Artifact, "/") + "/" + f.Path
	default:
		place = f.Path
	}
	place = Printable(place)
	if f.Function != "" {
		place = "function " + Printable(f.Function) + ": " + place
	}
	if (multiTarget || f.Function != "") && f.Target != "" {
		place += " [" + Printable(f.Target) + "]"
	}
	return place
}

// ruleGroup is the findings of one rule, in report order.
type ruleGroup struct {
	rule, name string
	worst      lint.Severity
	findings   []lint.Finding
}

// groupByRule groups findings by rule, most severe rule first, then by
// rule ID.
func groupByRule(fs []lint.Finding) []*ruleGroup {
	byID := map[string]*ruleGroup{}
	var groups []*ruleGroup
	for _, f := range fs {
		g := byID[f.Rule]
		if g == nil {
			g = &ruleGroup{rule: f.Rule, name: f.Name}
			byID[f.Rule] = g
			groups = append(groups, g)
		}
		g.worst = max(g.worst, f.Severity)
		g.findings = append(g.findings, f)
	}
	slices.SortFunc(groups, func(a, b *ruleGroup) int {
		return cmp.Or(cmp.Compare(b.worst, a.worst), cmp.Compare(a.rule, b.rule))
	})
	return groups
}

// counts is "265 errors" or "2 errors, 1 warning".
func (g *ruleGroup) counts() string {
	var n [lint.Error + 1]int
	for _, f := range g.findings {
		if f.Severity <= lint.Error {
			n[f.Severity]++
		}
	}
	var parts []string
	for _, s := range []lint.Severity{lint.Error, lint.Warning, lint.Note} {
		if n[s] > 0 {
			parts = append(parts, plural(n[s], s.String()))
		}
	}
	return strings.Join(parts, ", ")
}

// distinct returns the non-empty values of field over the group, each
// once, in order of first appearance: a rule's symptom and fix are
// usually one text, but a rule may word its fix per finding.
func (g *ruleGroup) distinct(field func(lint.Finding) string) []string {
	var out []string
	for _, f := range g.findings {
		if v := field(f); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func painter(color bool) func(code, s string) string {
	return func(code, s string) string {
		if !color {
			return s
		}
		return code + s + reset
	}
}

// severityWord is the severity padded to the width of "warning",
// coloured.
func severityWord(paint func(code, s string) string, s lint.Severity) string {
	word := fmt.Sprintf("%-7s", s)
	switch s {
	case lint.Error:
		return paint(red, word)
	case lint.Warning:
		return paint(yellow, word)
	}
	return paint(cyan, word)
}

// TextVerbose writes every finding in full, grouped by function (when a
// deployment framework declared them) and by artifact, most severe first:
// the message, the evidence, what Lambda shows and the fix; then one
// summary line. color adds ANSI colours. Every field of a finding is shown
// through Printable.
func TextVerbose(w io.Writer, r *Report, color bool) error {
	paint := painter(color)
	var b strings.Builder
	multiTarget := len(r.Summary.Targets) > 1
	prevFn, prev := "", ""
	indent := ""
	for i, f := range r.Findings {
		if i == 0 || f.Function != prevFn {
			if i > 0 {
				b.WriteByte('\n')
			}
			prevFn, prev, indent = f.Function, "", ""
			if f.Function != "" {
				head := "function " + Printable(f.Function)
				if f.Target != "" {
					head += " [" + Printable(f.Target) + "]"
				}
				b.WriteString(paint(bold, head) + "\n")
				indent = "  "
			}
		}
		if f.Artifact != prev {
			if prev != "" && f.Function == "" {
				b.WriteByte('\n')
			}
			b.WriteString(indent + paint(bold, Printable(f.Artifact)) + "\n")
			prev = f.Artifact
		}
		where := Printable(f.Path)
		if where == "" {
			where = "(whole)"
		}
		tgt := ""
		if multiTarget && f.Target != "" && f.Function == "" {
			tgt = " [" + Printable(f.Target) + "]"
		}
		fmt.Fprintf(&b, "%s  %s %s %s%s: %s\n", indent, severityWord(paint, f.Severity), paint(dim, Printable(f.Rule)), where, tgt, Printable(f.Message))
		if f.Evidence != "" {
			fmt.Fprintf(&b, "%s          evidence: %s\n", indent, Printable(f.Evidence))
		}
		if f.Severity == lint.Error && f.Symptom != "" {
			fmt.Fprintf(&b, "%s          on Lambda: %s\n", indent, Printable(f.Symptom))
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "%s          fix: %s\n", indent, Printable(f.Fix))
		}
		if fit := fitFor(r, f); fit != nil && f.Rule == lint.RuleSizeUnzipped {
			writeFit(&b, indent, fit)
		}
	}
	writeNearFits(&b, r)
	if len(r.Findings) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(summaryLine(r) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
