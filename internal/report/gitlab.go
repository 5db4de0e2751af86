package report

import (
	"encoding/json"
	"io"

	"github.com/layerkit/layerkit/internal/lint"
)

// gitlabIssue is one entry of GitLab's code quality report, the subset of
// the Code Climate format GitLab reads (docs.gitlab.com: "Code Quality",
// "Implement a custom tool"): description, check_name, fingerprint,
// severity and location.path with location.lines.begin.
type gitlabIssue struct {
	Description string         `json:"description"`
	CheckName   string         `json:"check_name"`
	Fingerprint string         `json:"fingerprint"`
	Severity    string         `json:"severity"`
	Location    gitlabLocation `json:"location"`
}

type gitlabLocation struct {
	Path  string `json:"path"`
	Lines struct {
		Begin int `json:"begin"`
	} `json:"lines"`
}

// gitlabSeverity maps a severity onto GitLab's scale (info, minor, major,
// critical, blocker): an error, which fails on Lambda, is critical.
func gitlabSeverity(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "critical"
	case lint.Warning:
		return "minor"
	}
	return "info"
}

// GitLab writes the report as GitLab code-quality JSON (one array, an
// entry per finding, for artifacts:reports:codequality). Paths are
// relative and '/'-separated; a finding on a zip entry points at the zip
// and names the entry in its description. Fingerprints are the SARIF
// ones, stable across runs.
func GitLab(w io.Writer, r *Report) error {
	issues := make([]gitlabIssue, 0, len(r.Findings))
	for _, f := range r.Findings {
		is := gitlabIssue{Description: f.Rule + " " + f.Name + ": " + describe(f), CheckName: f.Rule, Fingerprint: fingerprint(f), Severity: gitlabSeverity(f.Severity)}
		is.Location.Path = uri(f)
		is.Location.Lines.Begin = 1
		issues = append(issues, is)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(issues)
}
