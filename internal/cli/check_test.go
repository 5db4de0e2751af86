package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"check"}, "layerkit: nothing to check: give a folder, a zip or a build output folder (see 'layerkit check --help')\n"},
		{[]string{"check", "x", "--function", "main.zip"}, "layerkit: give either PATHs or --function/--layer, not both\n"},
		{[]string{"check", "x", "--format", "xml"}, "layerkit: --format \"xml\": want one of [text json sarif github gitlab markdown]\n"},
		{[]string{"check", "x", "--fail-on", "fatal"}, "layerkit: --fail-on: unknown severity \"fatal\": want error, warning or note\n"},
		{[]string{"check", "x", "--arch", "sparc"}, "layerkit: --arch: unknown architecture \"sparc\": want x86_64 or arm64 (amd64 and aarch64 are accepted as aliases)\n"},
		{[]string{"check", "x", "--runtime", "python3.12", "--arch", "arm64", "--runtime", "go1.x"}, ""},
		{[]string{"explain", "LK999"}, "layerkit: unknown rule \"LK999\": 'layerkit explain' lists them\n"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != ExitUsage || r.stdout != "" || (tt.stderr != "" && r.stderr != tt.stderr+"Run 'layerkit --help' for usage.\n") {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant exit 2, stderr %q", tt.args, r.code, r.stdout, r.stderr, tt.stderr)
		}
	}
}

// TestCheckWrongTarget checks the example's python3.9/x86_64 layer as if
// it were deployed on python3.12/arm64: exact text output, exit 3.
func TestCheckWrongTarget(t *testing.T) {
	dir := example(t)
	t.Chdir(dir)
	r := runCLI(t, nil, "check", "layers/python3.9-x86_64", "--runtime", "python3.12", "--arch", "arm64")
	if r.code != ExitFindings || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, r.stdout)
}

// TestCheckWrongTargetVerbose is TestCheckWrongTarget with --verbose: every
// finding with its evidence, symptom and fix.
func TestCheckWrongTargetVerbose(t *testing.T) {
	dir := example(t)
	t.Chdir(dir)
	r := runCLI(t, nil, "check", "layers/python3.9-x86_64", "--runtime", "python3.12", "--arch", "arm64", "--verbose")
	if r.code != ExitFindings || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, r.stdout)
}

func TestCheckCleanBuild(t *testing.T) {
	dir := example(t)
	if r := runCLI(t, nil, "build", dir); r.code != 0 {
		t.Fatalf("build: %+v", r)
	}
	r := runCLI(t, nil, "check", filepath.Join(dir, "dist"))
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
	want := "no findings in 3 artifacts, 7 files for python3.9-x86_64, python3.12-arm64\n"
	if r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	// The arm64 layer attached to the x86_64 target's code: a function as
	// deployed, checked from its zips.
	r = runCLI(t, nil, "check", "--function", filepath.Join(dir, "dist", "main.zip"),
		"--layer", filepath.Join(dir, "dist", "layers", "deps-python3.12-arm64.zip"), "--runtime", "python3.12", "--arch", "x86_64", "--format", "json")
	if r.code != ExitFindings {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]any   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(doc.Findings) != 1 || doc.Findings[0]["rule"] != "LK101" || doc.Findings[0]["path"] != "lib/libfastmath.so" ||
		doc.Findings[0]["target"] != "python3.12-x86_64" || doc.Findings[0]["evidence"] != "e_machine=EM_AARCH64" ||
		!strings.HasSuffix(doc.Findings[0]["artifact"].(string), "deps-python3.12-arm64.zip") {
		t.Errorf("findings = %v", doc.Findings)
	}
	if doc.Summary["errors"] != 1.0 || doc.Summary["failed"] != true || doc.Summary["artifacts"] != 2.0 {
		t.Errorf("summary = %v", doc.Summary)
	}
}

func TestCheckFormats(t *testing.T) {
	dir := example(t)
	t.Chdir(dir)
	args := []string{"check", "layers/python3.9-x86_64", "--runtime", "python3.12", "--arch", "arm64"}

	r := runCLI(t, nil, append(args, "--format", "github")...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != ExitFindings || len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "::error file=layers/python3.9-x86_64/lib/libfastmath.so,title=LK101 elf-machine [python3.12-arm64]::ELF object for x86_64") {
		t.Errorf("github: exit %d\n%s", r.code, r.stdout)
	}

	r = runCLI(t, nil, append(args, "--format", "sarif")...)
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("sarif: %v", err)
	}
	run := log.Runs[0]
	if log.Version != "2.1.0" || run.Tool.Driver.Name != "layerkit" || len(run.Results) != 2 || len(run.Tool.Driver.Rules) < 30 {
		t.Fatalf("sarif = %+v", log)
	}
	for _, res := range run.Results {
		rule := run.Tool.Driver.Rules[res.RuleIndex]
		if rule.ID != res.RuleID || rule.Help.Text == "" || res.Level != "error" || !strings.HasPrefix(res.Locations[0].PhysicalLocation.ArtifactLocation.URI, "layers/python3.9-x86_64/") {
			t.Errorf("result %+v (rule %+v)", res, rule)
		}
	}

	// --fail-on warning: errors are at least warnings, so it fails too.
	if r := runCLI(t, nil, append(args, "--fail-on", "warning")...); r.code != ExitFindings {
		t.Errorf("--fail-on warning: exit %d", r.code)
	}
}

func TestCheckBadInput(t *testing.T) {
	dir := t.TempDir()
	notZip := filepath.Join(dir, "layer.zip")
	os.WriteFile(notZip, []byte("this is not a zip"), 0o644)
	badManifest := filepath.Join(dir, "manifest.json")
	os.WriteFile(badManifest, []byte(`{"version": 99}`), 0o644)
	tests := []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing"), filepath.Join(dir, "missing") + ": no such file or directory"},
		{notZip, notZip + ": not a readable zip file"},
		{badManifest, badManifest + ": "},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, "check", tt.path)
		if r.code != ExitError || r.stdout != "" || !strings.HasPrefix(r.stderr, "layerkit: "+tt.want) {
			t.Errorf("check %s: exit %d, stdout %q, stderr %q", tt.path, r.code, r.stdout, r.stderr)
		}
	}
}

func TestExplain(t *testing.T) {
	r := runCLI(t, nil, "explain", "glibc-version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "LK110 glibc-version (error)\n") || !strings.Contains(r.stdout, "Amazon Linux 2 = 2.26") {
		t.Errorf("explain: %+v", r)
	}
	r = runCLI(t, nil, "explain")
	if r.code != 0 || strings.Count(r.stdout, "\nLK") < 30 {
		t.Errorf("explain list: %+v", r)
	}
}

// An interrupted check prints no report and exits 130.
func TestCheckInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := runCLIContext(ctx, nil, "check", example(t))
	if r.code != ExitInterrupted || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 130 and no report", r.code, r.stdout, r.stderr)
	}
}

// A folder holding another tool's manifest.json (a web app's) is checked as
// a folder, and a symlink naming a folder is that folder.
func TestCheckFoldersAsTheyAre(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "web"), 0o755)
	os.WriteFile(filepath.Join(dir, "web", "handler.py"), []byte("def handler(e, c): pass\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "web", "manifest.json"), []byte(`{"name":"My PWA","start_url":"/"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "web", ".env"), []byte("S=1\n"), 0o644)
	os.Symlink("web", filepath.Join(dir, "link"))
	for _, p := range []string{"web", "link"} {
		r := runCLI(t, nil, "check", filepath.Join(dir, p), "--format", "json")
		if r.code != ExitFindings || !strings.Contains(r.stdout, `"rule": "LK170"`) {
			t.Errorf("%s: exit %d, stdout %s, stderr %q", p, r.code, r.stdout, r.stderr)
		}
	}
}

// One check writes GitLab code quality to stdout and, with --output, a
// Markdown summary and SARIF to files.
func TestCheckGitLabAndOutputs(t *testing.T) {
	dir := example(t)
	t.Chdir(dir)
	out := t.TempDir()
	md, sarif := filepath.Join(out, "summary.md"), filepath.Join(out, "layerkit.sarif")
	r := runCLI(t, nil, "check", "layers/python3.9-x86_64", "--runtime", "python3.12", "--arch", "arm64", "--format", "gitlab",
		"--output", "markdown="+md, "--output", "sarif="+sarif)
	if r.code != ExitFindings || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var issues []struct {
		CheckName string `json:"check_name"`
		Location  struct{ Path string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &issues); err != nil || len(issues) != 2 || issues[0].Location.Path != "layers/python3.9-x86_64/lib/libfastmath.so" {
		t.Errorf("gitlab: %v %+v", err, issues)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "| LK101 elf-machine | 1 error |") {
		t.Errorf("markdown: %v\n%s", err, b)
	}
	var log struct{ Runs []struct{ Results []any } }
	if b, err := os.ReadFile(sarif); err != nil || json.Unmarshal(b, &log) != nil || len(log.Runs[0].Results) != 2 {
		t.Errorf("sarif: %v\n%s", err, b)
	}
	for _, bad := range []string{"sarif", "xml=out.xml", "sarif="} {
		if r := runCLI(t, nil, "check", "layers/python3.9-x86_64", "--output", bad); r.code != ExitUsage {
			t.Errorf("--output %s: exit %d, want 2", bad, r.code)
		}
	}
}
