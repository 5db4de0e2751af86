package layerkit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitHooks installs the hooks of .pre-commit-hooks.yaml with
// pre-commit (Debian's package; scripts/test.sh installs it) into a
// throwaway repository holding the example's layers, offline: the Go module
// cache is the machine's and GOPROXY is off. It runs the README's config
// (scripts/ci/pre-commit-config.yaml, pointed at this repository's HEAD)
// and `pre-commit try-repo` on the working tree. It builds the whole module
// in pre-commit's environment, so it runs only with LAYERKIT_LARGE_TESTS.
func TestPreCommitHooks(t *testing.T) {
	if os.Getenv("LAYERKIT_LARGE_TESTS") == "" {
		t.Skip("builds layerkit in a pre-commit environment; set LAYERKIT_LARGE_TESTS")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not installed (apt-get install pre-commit; scripts/test.sh does)")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	run := func(dir string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(dir string, name string, args ...string) string {
		t.Helper()
		out, err := run(dir, name, args...)
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return out
	}
	gomodcache := strings.TrimSpace(must(root, "go", "env", "GOMODCACHE"))
	t.Setenv("GOMODCACHE", gomodcache)
	t.Setenv("GOPROXY", "off")
	t.Setenv("PRE_COMMIT_HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@example.com")

	head := strings.TrimSpace(must(root, "git", "rev-parse", "HEAD"))
	if out, _ := run(root, "git", "status", "--porcelain", "--", ".pre-commit-hooks.yaml"); out != "" {
		t.Logf("the config runs HEAD's .pre-commit-hooks.yaml; the working tree's differs (try-repo runs it)")
	}
	repo := t.TempDir()
	must(root, "cp", "-r", "examples/python-app/layers", repo)
	zipsrc := t.TempDir()
	must(root, "cp", "-r", "examples/python-app/layers/python3.9-x86_64/.", zipsrc)
	must(root, "cp", "examples/python-app/.env", zipsrc)
	must(zipsrc, "zip", "-qr", filepath.Join(repo, "bad.zip"), ".")
	cfg, err := os.ReadFile("scripts/ci/pre-commit-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(cfg), "https://github.com/layerkit/layerkit", root, 1)
	c = strings.Replace(c, "rev: v1.0.0", "rev: "+head, 1)
	if err := os.WriteFile(filepath.Join(repo, ".pre-commit-config.yaml"), []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	must(repo, "git", "init", "-q")
	must(repo, "git", "add", "-A")
	must(repo, "git", "commit", "-qm", "layers")

	// The README's config: the arm64 layer is clean, bad.zip is x86_64
	// and carries a secret.
	out, err := run(repo, "pre-commit", "run", "--all-files", "--verbose")
	if err == nil || !strings.Contains(out, "layerkit check....") || !strings.Contains(out, "LK101") {
		t.Errorf("pre-commit run: %v\n%s", err, out)
	}
	for _, want := range []string{"layerkit check.", "Passed", "layerkit check (zips)", "Failed", "LK101 lib/libfastmath.so", "no findings in 1 artifact"} {
		if !strings.Contains(out, want) {
			t.Errorf("pre-commit run: no %q in\n%s", want, out)
		}
	}

	// try-repo runs the working tree's hooks with their default args.
	out, err = run(repo, "pre-commit", "try-repo", root, "layerkit-check-zips", "--all-files", "--verbose")
	if err == nil || !strings.Contains(out, "LK170") {
		t.Errorf("try-repo layerkit-check-zips: %v\n%s", err, out)
	}
}
