package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, got string) {
	t.Helper()
	p := filepath.Join("testdata", t.Name()+".golden")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// rule returns a finding of rule id as lint reports it: name, severity,
// symptom and fix from the rule.
func rule(id, artifact, path, target, msg string) lint.Finding {
	r, ok := lint.LookupRule(id)
	if !ok {
		panic("no rule " + id)
	}
	return lint.Finding{Rule: r.ID, Name: r.Name, Severity: r.Severity, Artifact: artifact, Path: path, Target: target,
		Message: msg, Evidence: "evidence of " + path, Symptom: r.Symptom, Fix: r.Fix}
}

// mixedLayer is an arm64 layer checked for x86_64: many binaries of the
// wrong CPU, extension modules for the wrong Python, dead weight.
func mixedLayer() []lint.Finding {
	var fs []lint.Finding
	for i := range 14 {
		fs = append(fs, rule("LK101", "layers/deps", fmt.Sprintf("python/pkg%02d/_ext.so", i), "python3.12-x86_64", "ELF object for arm64; the target runs on x86_64"))
	}
	for i := range 3 {
		fs = append(fs, rule("LK130", "layers/deps", fmt.Sprintf("python/pkg%02d/_ext.cpython-311-aarch64-linux-gnu.so", i), "python3.12-x86_64", "extension module for Python 3.11; python3.12 never imports it"))
	}
	fs = append(fs, rule("LK180", "layers/deps", "", "python3.12-x86_64", "test suites: 12 files, 1.0 MiB"))
	return fs
}

func TestTextGroupedByRule(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, New(mixedLayer(), 1, 40, []string{"python3.12-x86_64"}, lint.Error), TextOptions{MoreHint: "--verbose lists every finding"}); err != nil {
		t.Fatal(err)
	}
	golden(t, b.String())
}

// Several artifacts and targets: each line names the artifact (a zip's
// entry as zip/entry) and the target.
func TestTextManyArtifacts(t *testing.T) {
	fs := []lint.Finding{
		rule("LK101", "dist/layer-python3.12-arm64.zip", "python/a.so", "python3.12-arm64", "ELF object for x86_64; the target runs on arm64"),
		rule("LK101", "dist/layer-python3.12-x86_64.zip", "python/b.so", "python3.12-x86_64", "ELF object for arm64; the target runs on x86_64"),
		rule("LK170", "dist/main.zip", ".env", "python3.12-arm64", "secret file .env"),
	}
	var b bytes.Buffer
	if err := Text(&b, New(fs, 3, 9, []string{"python3.12-arm64", "python3.12-x86_64"}, lint.Error), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, b.String())
}

// Findings of a framework's functions say on each line which function
// they are about, even when two functions share the same code.
func TestTextFunctions(t *testing.T) {
	var fs []lint.Finding
	for _, fn := range []string{"App/ArmFn (arm-fn)", "App/Other"} {
		f := rule("LK101", "cdk.out/asset.1", "lib/libx.so", "python3.12-arm64", "ELF object for x86_64; the target runs on arm64")
		f.Function = fn
		fs = append(fs, f)
	}
	f := rule("LK155", "cdk.out/App.template.json", "", "python3.12-x86_64", "handler app.handler: module app is not in the code")
	f.Function = "App/NoHandler"
	fs = append(fs, f)
	var b bytes.Buffer
	if err := Text(&b, New(fs, 2, 10, []string{"python3.12-arm64", "python3.12-x86_64"}, lint.Error), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, b.String())
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "  error ") && !strings.Contains(l, "function App/") {
			t.Errorf("line does not name its function: %q", l)
		}
	}
}

// A layer with 129 errors over a handful of rules reads in well under 100
// lines; --verbose and a negative PerRule list every finding.
func TestTextLength(t *testing.T) {
	var fs []lint.Finding
	for i := range 129 {
		id := []string{"LK101", "LK130", "LK132", "LK102"}[i%4]
		fs = append(fs, rule(id, "layer", fmt.Sprintf("python/f%03d.so", i), "python3.12-x86_64", "m"))
	}
	r := New(fs, 1, 500, []string{"python3.12-x86_64"}, lint.Error)
	count := func(opts TextOptions) (lines, findingLines int) {
		var b bytes.Buffer
		if err := Text(&b, r, opts); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			lines++
			if strings.HasPrefix(l, "  error ") {
				findingLines++
			}
		}
		return lines, findingLines
	}
	if lines, shown := count(TextOptions{}); lines >= 80 || shown != 40 {
		t.Errorf("default: %d lines, %d findings listed; want under 80 lines and 10 findings of each of 4 rules", lines, shown)
	}
	if _, shown := count(TextOptions{PerRule: -1}); shown != 129 {
		t.Errorf("PerRule -1 listed %d findings, want 129", shown)
	}
	if _, shown := count(TextOptions{Verbose: true}); shown != 129 {
		t.Errorf("verbose listed %d findings, want 129", shown)
	}
	// Machine formats keep every finding.
	var gh, js, sarif bytes.Buffer
	GitHub(&gh, r)
	JSON(&js, r)
	SARIF(&sarif, r, "test")
	if n := strings.Count(gh.String(), "::error "); n != 129 {
		t.Errorf("github: %d annotations, want 129", n)
	}
	if n := strings.Count(js.String(), `"rule": "LK`); n != 129 {
		t.Errorf("json: %d findings, want 129", n)
	}
	if n := strings.Count(sarif.String(), `"ruleId": "LK`); n != 129 {
		t.Errorf("sarif: %d results, want 129", n)
	}
}

func TestTextGroupedEscapes(t *testing.T) {
	var b bytes.Buffer
	f := hostile
	f.Function = "fn\x1b]0;title\a"
	if err := Text(&b, New([]lint.Finding{hostile, f}, 1, 1, nil, lint.Error), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if cs := controls(b.String()); len(cs) > 0 || strings.Contains(b.String(), "\u202e") {
		t.Errorf("text holds control characters %q:\n%s", cs, b.String())
	}
}
