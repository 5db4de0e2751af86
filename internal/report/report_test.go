package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
)

func TestGitHubEscapes(t *testing.T) {
	f := lint.Finding{Rule: "LK170", Name: "secret", Severity: lint.Error, Artifact: "dist/a,b.zip", Path: "python/.env",
		Target: "python3.12-arm64", Message: "secret: 100% sure\nreally", Evidence: "file name .env", Fix: "rotate it"}
	var b bytes.Buffer
	if err := GitHub(&b, New([]lint.Finding{f}, 1, 3, []string{"python3.12-arm64"}, lint.Error)); err != nil {
		t.Fatal(err)
	}
	want := "::error file=dist/a%2Cb.zip,title=LK170 secret [python3.12-arm64]::python/.env: secret: 100%25 sure\\nreally (file name .env)%0Afix: rotate it\n" +
		"1 error, 0 warnings, 0 notes in 1 artifact, 3 files for python3.12-arm64; fails at --fail-on error\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	fs := []lint.Finding{{Rule: "LK180", Severity: lint.Warning, Artifact: "x", Message: "m"}}
	var plain, colour bytes.Buffer
	Text(&plain, New(fs, 1, 1, nil, lint.Error), TextOptions{})
	Text(&colour, New(fs, 1, 1, nil, lint.Error), TextOptions{Color: true})
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(colour.String(), "\x1b[33m") {
		t.Errorf("plain %q\ncolour %q", plain.String(), colour.String())
	}
	if !strings.HasSuffix(plain.String(), "0 errors, 1 warning, 0 notes in 1 artifact, 1 file\n") {
		t.Errorf("summary: %q", plain.String())
	}
}

// hostile is a finding whose zip and entry name carry terminal escapes: on
// a terminal the raw bytes would clear the screen and overwrite the line.
var hostile = lint.Finding{Rule: "LK170", Name: "secret", Severity: lint.Error, Artifact: "dist/x\a.zip", Path: "python/\x1b[2J\r.env",
	Target: "python3.12-arm64", Message: "secret file \"python/\x1b[2J\r.env\"", Evidence: "name \x00\xff\u202e"}

// controls returns the control bytes in s other than the newlines that end
// lines.
func controls(s string) []byte {
	var cs []byte
	for _, c := range []byte(s) {
		if (c < 0x20 && c != '\n') || c == 0x7f {
			cs = append(cs, c)
		}
	}
	return cs
}

func TestTextAndGitHubEscapeControlCharacters(t *testing.T) {
	r := New([]lint.Finding{hostile}, 1, 1, []string{"python3.12-arm64"}, lint.Error)
	var text, gh bytes.Buffer
	if err := TextVerbose(&text, r, false); err != nil {
		t.Fatal(err)
	}
	if err := GitHub(&gh, r); err != nil {
		t.Fatal(err)
	}
	wantText := "dist/x\\a.zip\n" +
		"  error   LK170 python/\\x1b[2J\\r.env: secret file \"python/\\x1b[2J\\r.env\"\n" +
		"          evidence: name \\x00\\xff\\u202e\n" +
		"\n1 error, 0 warnings, 0 notes in 1 artifact, 1 file for python3.12-arm64; fails at --fail-on error\n"
	if text.String() != wantText {
		t.Errorf("text:\n%q\nwant\n%q", text.String(), wantText)
	}
	wantGH := "::error file=dist/x\\a.zip,title=LK170 secret [python3.12-arm64]::python/\\x1b[2J\\r.env: secret file \"python/\\x1b[2J\\r.env\" (name \\x00\\xff\\u202e)\n"
	if !strings.HasPrefix(gh.String(), wantGH) {
		t.Errorf("github:\n%q\nwant prefix\n%q", gh.String(), wantGH)
	}
	for name, out := range map[string]string{"text": text.String(), "github": gh.String()} {
		if cs := controls(out); len(cs) > 0 || strings.Contains(out, "\u202e") {
			t.Errorf("%s output holds control characters %q", name, cs)
		}
	}
}

func TestJSONAndSARIFKeepExactBytes(t *testing.T) {
	r := New([]lint.Finding{hostile}, 1, 1, nil, lint.Error)
	var js, sarif bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if err := SARIF(&sarif, r, "test"); err != nil {
		t.Fatal(err)
	}
	if cs := controls(js.String() + sarif.String()); len(cs) > 0 {
		t.Errorf("raw control characters in JSON or SARIF: %q", cs)
	}
	var doc struct {
		Findings []struct{ Artifact, Path, Message string }
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Findings[0]; got.Path != hostile.Path || got.Artifact != hostile.Artifact || got.Message != hostile.Message {
		t.Errorf("JSON changed the finding: %+v", got)
	}
	var log sarifLog
	if err := json.Unmarshal(sarif.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if got := log.Runs[0].Results[0].Properties["path"]; got != hostile.Path {
		t.Errorf("SARIF path %q, want %q", got, hostile.Path)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"python/app.py":        "python/app.py",
		"naïve/e\u0301t\u00e9": "naïve/e\u0301t\u00e9", // combining accent and é are printable
		`c\..\win`:             `c\..\win`,
		"a\tb\nc\x7f":          `a\tb\nc\x7f`,
		"\x1b[8m\a":            `\x1b[8m\a`,
		"bad\xffutf8\ufffd":    `bad\xffutf8` + "\ufffd",
		"rtl\u202eexe.txt":     `rtl\u202eexe.txt`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// Findings of a framework's functions are grouped under each function,
// then by artifact; SARIF points a function-level finding at the template
// and names the function.
func TestFunctionGrouping(t *testing.T) {
	fs := []lint.Finding{
		{Function: "App/ArmFn (arm-fn)", Rule: "LK101", Severity: lint.Error, Artifact: "cdk.out/asset.1", Path: "lib/libx.so", Target: "python3.12-arm64", Message: "ELF for x86_64"},
		{Function: "App/NoHandler", Rule: "LK155", Severity: lint.Error, Artifact: "cdk.out/App.template.json", Target: "python3.12-x86_64", Message: "handler app.handler: module app is not in the code"},
		{Function: "App/ArmFn (arm-fn)", Rule: "LK170", Severity: lint.Error, Artifact: "cdk.out/asset.2", Path: ".env", Target: "python3.12-arm64", Message: "secret"},
	}
	var b strings.Builder
	if err := TextVerbose(&b, New(fs, 3, 10, []string{"python3.12-arm64", "python3.12-x86_64"}, lint.Error), false); err != nil {
		t.Fatal(err)
	}
	want := `function App/ArmFn (arm-fn) [python3.12-arm64]
  cdk.out/asset.1
    error   LK101 lib/libx.so: ELF for x86_64
  cdk.out/asset.2
    error   LK170 .env: secret

function App/NoHandler [python3.12-x86_64]
  cdk.out/App.template.json
    error   LK155 (whole): handler app.handler: module app is not in the code

3 errors, 0 warnings, 0 notes in 3 artifacts, 10 files for python3.12-arm64, python3.12-x86_64; fails at --fail-on error
`
	if got := b.String(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	b.Reset()
	if err := SARIF(&b, New(fs, 3, 10, nil, lint.Error), "test"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				}
				Properties map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(b.String()), &log); err != nil {
		t.Fatal(err)
	}
	for _, r := range log.Runs[0].Results {
		if r.RuleID == "LK155" {
			if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "cdk.out/App.template.json" {
				t.Errorf("LK155 points at %s, want the template", uri)
			}
			if r.Properties["function"] != "App/NoHandler" || !strings.HasPrefix(r.Message.Text, "function App/NoHandler: ") {
				t.Errorf("LK155 does not name its function: %+v", r)
			}
		}
	}
}
