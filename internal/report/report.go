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
