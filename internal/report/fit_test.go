package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
)

func TestFitTable(t *testing.T) {
	f := lint.Finding{Function: "S/Fn", Rule: lint.RuleSizeUnzipped, Name: "size-unzipped", Severity: lint.Error, Artifact: "t.yaml", Target: "python3.12-arm64", Message: "over"}
	r := New([]lint.Finding{f}, 1, 1, []string{"python3.12-arm64"}, lint.Error)
	r.Summary.Fit = []*lint.Fit{{Function: "S/Fn", Bundle: "t.yaml", Target: "python3.12-arm64", Limit: 262_144_000, Total: 300_000_000, Over: 37_856_001,
		Savings: []lint.Saving{{Kind: "test suites", Bytes: 40_000_000, Files: 12, Largest: []lint.Place{}, Counted: true},
			{Kind: lint.SavingProvided, Bytes: 15_000_000, Files: 3, Largest: []lint.Place{}}},
		Options: []lint.FitOption{{Kind: lint.FitSlim, BytesAfter: 260_000_000, Fits: true, How: "layerkit build --slim"}}}}
	var b bytes.Buffer
	if err := TextVerbose(&b, r, false); err != nil {
		t.Fatal(err)
	}
	want := `function S/Fn [python3.12-arm64]
  t.yaml
    error   LK160 (whole): over
            fit: 300,000,000 bytes of 262,144,000, 37,856,001 to remove
              removable                                                  bytes   files
              test suites                                           40,000,000      12
              packages the runtime provides (note, not counted)     15,000,000       3
              option  bytes after  fits  how
              slim    260,000,000  yes   layerkit build --slim
`
	if got := b.String(); !strings.HasPrefix(got, want) {
		t.Errorf("got\n%s\nwant prefix\n%s", got, want)
	}
	// The default, grouped text shows the same table under the finding.
	b.Reset()
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "fit: 300,000,000 bytes of 262,144,000, 37,856,001 to remove") ||
		!strings.Contains(got, "slim    260,000,000  yes   layerkit build --slim") {
		t.Errorf("grouped text lacks the fit table:\n%s", got)
	}
	b.Reset()
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct {
			Fit []struct {
				Function string `json:"function"`
				Over     int64  `json:"over"`
				Options  []struct {
					BytesAfter int64 `json:"bytes_after"`
				} `json:"options"`
			} `json:"fit"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Summary.Fit) != 1 || doc.Summary.Fit[0].Function != "S/Fn" || doc.Summary.Fit[0].Over != 37_856_001 || doc.Summary.Fit[0].Options[0].BytesAfter != 260_000_000 {
		t.Errorf("summary.fit: %s", b.String())
	}
}

// TestNearFitTable: a bundle near the limit but not over it has no LK160
// finding; its fit report follows the findings.
func TestNearFitTable(t *testing.T) {
	r := New(nil, 1, 1, nil, lint.Error)
	r.Summary.Fit = []*lint.Fit{{Bundle: "dist", Limit: 262_144_000, Total: 240_000_000, Savings: []lint.Saving{},
		Options: []lint.FitOption{{Kind: lint.FitSlim, BytesAfter: 240_000_000, Fits: true, How: "layerkit build --slim"}}}}
	var b bytes.Buffer
	if err := TextVerbose(&b, r, false); err != nil {
		t.Fatal(err)
	}
	want := `dist: near Lambda's unzipped limit
          fit: 240,000,000 bytes of 262,144,000, within a tenth of the limit
            removable          bytes   files
            option  bytes after  fits  how
            slim    240,000,000  yes   layerkit build --slim

no findings in 1 artifact, 1 file
`
	if got := b.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
