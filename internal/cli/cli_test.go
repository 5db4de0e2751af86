package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/testutil"
	"github.com/layerkit/layerkit/layers"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testdata is absolute so tests that change folder still find it.
var testdata, _ = filepath.Abs("testdata")

type result struct {
	stdout, stderr string
	code           int
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runCLIContext(t.Context(), env, args...)
}

// runCLIContext runs layerkit as runCLI does, under ctx, so a test can
// interrupt it.
func runCLIContext(ctx context.Context, env map[string]string, args ...string) result {
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:     IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Now:    func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) },
		Getenv: func(k string) string { return env[k] },
	}
	code := Main(ctx, f, args)
	return result{out.String(), errOut.String(), code}
}

func golden(t *testing.T, got string) {
	t.Helper()
	p := filepath.Join(testdata, t.Name()+".golden")
	if *update {
		os.MkdirAll(filepath.Dir(p), 0o755)
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

func example(t *testing.T) string { return testutil.CopyExample(t) }

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		env    map[string]string
		stderr string
	}{
		{[]string{"build", "--bogus"}, nil, "layerkit: unknown flag: --bogus\nRun 'layerkit --help' for usage.\n"},
		{[]string{"build", "a", "b"}, nil, "layerkit: accepts at most 1 arg(s), received 2\nRun 'layerkit --help' for usage.\n"},
		{[]string{"build", "--format", "xml"}, nil, "layerkit: --format \"xml\": want one of [text json]\nRun 'layerkit --help' for usage.\n"},
		{[]string{"build", "--level", "10"}, nil, "layerkit: --level 10: want 0 (store) to 9 (smallest)\nRun 'layerkit --help' for usage.\n"},
		{[]string{"build"}, map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "layerkit: SOURCE_DATE_EPOCH=\"yesterday\": want a whole number of seconds since 1970\nRun 'layerkit --help' for usage.\n"},
		{[]string{"runtimes", "extra"}, nil, "layerkit: accepts at most 0 arg(s), received 1\nRun 'layerkit --help' for usage.\n"},
		{[]string{"frobnicate"}, nil, "layerkit: unknown command \"frobnicate\" for \"layerkit\"\nRun 'layerkit --help' for usage.\n"},
	}
	for _, tt := range tests {
		r := runCLI(t, tt.env, tt.args...)
		if r.code != ExitUsage || r.stderr != tt.stderr || r.stdout != "" {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant exit 2, stderr %q", tt.args, r.code, r.stdout, r.stderr, tt.stderr)
		}
	}
}

func TestRuntimesText(t *testing.T) {
	r := runCLI(t, nil, "runtimes", "--family", "python")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, r.stdout)
}

func TestRuntimesJSONDeprecated(t *testing.T) {
	r := runCLI(t, nil, "runtimes", "--deprecated", "--format", "json")
	var doc struct {
		Today    string `json:"today"`
		Runtimes []struct {
			ID         string `json:"identifier"`
			Deprecated bool   `json:"deprecated"`
			DaysLeft   *int   `json:"days_to_deprecation"`
			OS         string `json:"os"`
		} `json:"runtimes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if doc.Today != "2026-11-21" || len(doc.Runtimes) < 20 {
		t.Fatalf("today %s, %d runtimes", doc.Today, len(doc.Runtimes))
	}
	ids := map[string]bool{}
	for _, rt := range doc.Runtimes {
		ids[rt.ID] = true
		if !rt.Deprecated || rt.DaysLeft == nil || *rt.DaysLeft > 0 {
			t.Errorf("%s listed as deprecated with %v days left", rt.ID, rt.DaysLeft)
		}
	}
	if !ids["python3.9"] || ids["python3.12"] || !ids["python3.10"] {
		t.Errorf("python3.9 and 3.10 (deprecated 2026-10-31) should be listed, 3.12 not: %v", ids)
	}
}

func TestBuildExample(t *testing.T) {
	dir := example(t)
	r := runCLI(t, nil, "build", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, strings.ReplaceAll(r.stdout+"--- stderr\n"+r.stderr, dir, "$DIR"))

	// JSON: one document on stdout, the same manifest as on disk.
	r = runCLI(t, nil, "build", dir, "--format", "json")
	var rep buildReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	f, _ := os.Open(filepath.Join(dir, "dist", "manifest.json"))
	defer f.Close()
	disk, err := layers.ReadManifest(f)
	if err != nil || !reflect.DeepEqual(disk, rep.Manifest) || rep.Reused != 7 {
		t.Errorf("manifest in JSON output differs from disk (%v), or reused %d:\n%+v\n%+v", err, rep.Reused, disk, rep.Manifest)
	}
}

func TestBuildErrors(t *testing.T) {
	dir := example(t)
	os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte("version: 1\nlayers:\n  deps:\n    targets:\n      - {runtime: python3.99, arch: arm64, from: nowhere}\n"), 0o644)
	r := runCLI(t, nil, "build", dir)
	want := "layerkit: " + filepath.Join(dir, "layerkit.yaml") + ": 2 problems:\n" +
		"  layers.deps.targets[0]: unknown runtime \"python3.99\" (did you mean python3.15, python3.14, python3.13, python3.12?); `layerkit runtimes` lists them all\n" +
		"  layers.deps.targets[0].from: folder \"nowhere\" does not exist\n"
	if r.code != ExitError || r.stderr != want || r.stdout != "" {
		t.Errorf("exit %d\nstderr %q\nwant   %q", r.code, r.stderr, want)
	}
	r = runCLI(t, nil, "build", filepath.Join(dir, "missing"))
	if r.code != ExitError || !strings.Contains(r.stderr, "missing") {
		t.Errorf("missing folder: exit %d, %q", r.code, r.stderr)
	}
}

func TestBuildRunFHook(t *testing.T) {
	var got *BuildOptions
	f := &Factory{IO: IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(k string) string {
		return map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}[k]
	}}
	cmd := NewCmdBuild(f, func(_ context.Context, o *BuildOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"proj", "--level", "9", "-o", "out", "--no-cache"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Dir != "proj" || got.Level != 9 || got.Out != "out" || !got.NoCache || got.Modified.Unix() != 1700000000 || got.Format != "text" {
		t.Errorf("options %+v", got)
	}
}

func TestExitCodes(t *testing.T) {
	for err, want := range map[error]int{
		nil:                           0,
		context.Canceled:              130,
		&UsageError{Err: os.ErrExist}: 2,
		&FindingsError{Msg: "x"}:      3,
		os.ErrNotExist:                1,
	} {
		if got, _ := outcome(context.Background(), err); got != want {
			t.Errorf("outcome(%v) = %d, want %d", err, got, want)
		}
	}
}

// TestErrorsEscapeControlCharacters checks a file name holding terminal
// escapes reaches stderr escaped, while a multi-line error keeps its lines.
func TestErrorsEscapeControlCharacters(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "\x1b[2Jx\r.zip")
	r := runCLI(t, nil, "check", missing)
	want := "layerkit: " + filepath.Dir(missing) + "/\\x1b[2Jx\\r.zip: no such file or directory\n"
	if r.code != ExitError || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
	if got := printableLines("2 problems:\n  a\x07\n  b"); got != "2 problems:\n  a\\a\n  b" {
		t.Errorf("printableLines = %q", got)
	}
}
