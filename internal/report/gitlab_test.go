package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
)

func TestGitLab(t *testing.T) {
	fs := mixedLayer()
	zipped := rule("LK170", "dist/main.zip", "python/.env", "python3.12-arm64", "secret file .env")
	zipped.Function = "App/Fn"
	fs = append(fs, zipped, lint.Finding{Rule: "LK999", Name: "n", Severity: lint.Note, Artifact: "./x", Message: "m"})
	var b bytes.Buffer
	if err := GitLab(&b, New(fs, 2, 40, nil, lint.Error)); err != nil {
		t.Fatal(err)
	}
	var issues []struct {
		Description string `json:"description"`
		CheckName   string `json:"check_name"`
		Fingerprint string `json:"fingerprint"`
		Severity    string `json:"severity"`
		Location    struct {
			Path  string `json:"path"`
			Lines struct {
				Begin int `json:"begin"`
			} `json:"lines"`
		} `json:"location"`
	}
	if err := json.Unmarshal(b.Bytes(), &issues); err != nil {
		t.Fatal(err)
	}
	if len(issues) != len(fs) {
		t.Fatalf("%d issues, want %d", len(issues), len(fs))
	}
	seen := map[string]bool{}
	for _, is := range issues {
		if seen[is.Fingerprint] || is.Fingerprint == "" || is.Location.Lines.Begin != 1 || is.CheckName == "" || is.Description == "" {
			t.Errorf("bad or repeated issue %+v", is)
		}
		seen[is.Fingerprint] = true
		want := map[string]string{"LK101": "critical", "LK130": "critical", "LK170": "critical", "LK180": "minor", "LK999": "info"}[is.CheckName]
		if is.Severity != want {
			t.Errorf("%s: severity %s, want %s", is.CheckName, is.Severity, want)
		}
		switch is.CheckName {
		case "LK170":
			if is.Location.Path != "dist/main.zip" || is.Description != "LK170 secret: function App/Fn: python/.env: secret file .env [python3.12-arm64] (evidence of python/.env)" {
				t.Errorf("zip entry: %+v", is)
			}
		case "LK999":
			if is.Location.Path != "x" {
				t.Errorf("path %q, want x", is.Location.Path)
			}
		}
	}
	b.Reset()
	if err := GitLab(&b, New(nil, 1, 1, nil, lint.Error)); err != nil || b.String() != "[]\n" {
		t.Errorf("no findings: %q %v", b.String(), err)
	}
}

func TestMarkdown(t *testing.T) {
	fs := append(mixedLayer(), rule("LK101", "layers/deps", "python/pkg00/_ext.cpython-311-aarch64-linux-gnu.so", "python3.12-x86_64", "ELF object for arm64"),
		rule("LK170", "layers/deps", "python/a|b`<script>.env", "python3.12-x86_64", "secret"))
	var b bytes.Buffer
	if err := Markdown(&b, New(fs, 1, 40, []string{"python3.12-x86_64"}, lint.Error)); err != nil {
		t.Fatal(err)
	}
	golden(t, b.String())
	b.Reset()
	if err := Markdown(&b, New(nil, 1, 40, []string{"python3.12-x86_64"}, lint.Error)); err != nil {
		t.Fatal(err)
	}
	if want := "### ✅ layerkit check\n\nno findings in 1 artifact, 40 files for python3.12-x86\\_64\n"; b.String() != want {
		t.Errorf("clean: %q, want %q", b.String(), want)
	}
}
