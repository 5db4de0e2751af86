package lint

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity ranks a finding: an error would fail on Lambda, a warning costs
// or risks something, a note informs.
type Severity uint8

// The severities, in increasing order.
const (
	Note Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", s)
}

// ParseSeverity reads "error", "warning" or "note".
func ParseSeverity(s string) (Severity, error) {
	for _, v := range []Severity{Note, Warning, Error} {
		if v.String() == s {
			return v, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: want error, warning or note", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one thing a check found.
type Finding struct {
	// Function names the function a deployment framework declares (stack
	// and logical ID, and its FunctionName when set); empty for a bare
	// folder or zip.
	Function string   `json:"function,omitempty"`
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	// Artifact is the folder or zip checked, as the user named it.
	Artifact string `json:"artifact"`
	// Path is the file's path inside the artifact, '/'-separated and
	// relative to its root; empty for findings about the whole artifact
	// or bundle.
	Path string `json:"path"`
	// Target is the runtime and architecture checked against, such as
	// "python3.12-arm64"; empty when neither is known.
	Target   string `json:"target"`
	Message  string `json:"message"`
	Evidence string `json:"evidence"`
	// Symptom is what the user would see on Lambda.
	Symptom string `json:"symptom,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// Sort orders findings by function, then artifact, then most severe first,
// then path and rule, so output is stable.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Artifact, b.Artifact), cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Target, b.Target))
	})
}
