package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/internal/lint"
)

// Report is the outcome of one check run.
type Report struct {
	Findings []lint.Finding `json:"findings"`
	Summary  Summary        `json:"summary"`
}

// Summary counts what a check saw and found.
type Summary struct {
	Errors    int      `json:"errors"`
	Warnings  int      `json:"warnings"`
	Notes     int      `json:"notes"`
	Artifacts int      `json:"artifacts"`
	Files     int      `json:"files"`
	Targets   []string `json:"targets"`
	// FailOn is the severity that fails the run, and Failed whether a
	// finding reached it.
	FailOn lint.Severity `json:"fail_on"`
	Failed bool          `json:"failed"`
	// Fit lists a fit report for each bundle (function, or build target)
	// whose package is over Lambda's unzipped limit or within a tenth of
	// it, each naming its function, bundle and target; absent when none
	// is.
	Fit []*lint.Fit `json:"fit,omitempty"`
}

// New counts the findings into a Report. Findings are sorted.
func New(findings []lint.Finding, artifacts, files int, targets []string, failOn lint.Severity) *Report {
	lint.Sort(findings)
	r := &Report{Findings: findings, Summary: Summary{Artifacts: artifacts, Files: files, Targets: targets, FailOn: failOn}}
	if r.Summary.Targets == nil {
		r.Summary.Targets = []string{}
	}
	if r.Findings == nil {
		r.Findings = []lint.Finding{}
	}
	for _, f := range findings {
		switch f.Severity {
		case lint.Error:
			r.Summary.Errors++
		case lint.Warning:
			r.Summary.Warnings++
		default:
			r.Summary.Notes++
		}
		if f.Severity >= failOn {
			r.Summary.Failed = true
		}
	}
	return r
}

// JSON writes the report as one indented JSON document:
// {"findings": [...], "summary": {...}}.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

// Text writes findings grouped by function (when a deployment framework
// declared them) and by artifact, most severe first, then one summary
// line. color adds ANSI colours; callers set it only for a terminal. Every
// field of a finding is shown through Printable.
func Text(w io.Writer, r *Report, color bool) error {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + reset
	}
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
		sev := fmt.Sprintf("%-7s", f.Severity)
		switch f.Severity {
		case lint.Error:
			sev = paint(red, sev)
		case lint.Warning:
			sev = paint(yellow, sev)
		default:
			sev = paint(cyan, sev)
		}
		where := Printable(f.Path)
		if where == "" {
			where = "(whole)"
		}
		tgt := ""
		if multiTarget && f.Target != "" && f.Function == "" {
			tgt = " [" + Printable(f.Target) + "]"
		}
		fmt.Fprintf(&b, "%s  %s %s %s%s: %s\n", indent, sev, paint(dim, Printable(f.Rule)), where, tgt, Printable(f.Message))
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

func plural(n int, one string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func summaryLine(r *Report) string {
	s := r.Summary
	checked := fmt.Sprintf("%s, %s", plural(s.Artifacts, "artifact"), plural(s.Files, "file"))
	if len(s.Targets) > 0 {
		checked += " for " + Printable(strings.Join(s.Targets, ", "))
	}
	if len(r.Findings) == 0 {
		return "no findings in " + checked
	}
	line := fmt.Sprintf("%s, %s, %s in %s", plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Notes, "note"), checked)
	if s.Failed {
		line += fmt.Sprintf("; fails at --fail-on %s", s.FailOn)
	}
	return line
}

// uri names a finding's file for SARIF and annotations: the file itself in
// a folder, the zip for an entry of a zip ("dist/x.zip"), relative and
// '/'-separated as GitHub expects.
func uri(f lint.Finding) string {
	a := filepath.ToSlash(filepath.Clean(f.Artifact))
	if f.Path == "" || strings.HasSuffix(a, ".zip") || strings.HasSuffix(a, ".json") {
		return strings.TrimPrefix(a, "./")
	}
	return strings.TrimPrefix(a+"/"+strings.TrimSuffix(f.Path, "/"), "./")
}

// fingerprint identifies a finding across runs for SARIF consumers.
func fingerprint(f lint.Finding) string {
	key := f.Rule + "\x00" + f.Artifact
	if f.Function != "" { // findings of bare folders and zips keep their fingerprints
		key = f.Function + "\x00" + key
	}
	h := sha256.Sum256([]byte(key + "\x00" + f.Path + "\x00" + f.Target + "\x00" + f.Message))
	return hex.EncodeToString(h[:16])
}
