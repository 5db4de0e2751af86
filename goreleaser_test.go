package layerkit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goreleaser is the GoReleaser release .goreleaser.yaml is written for
// (its go.mod asks for Go 1.26, as layerkit's does).
const goreleaser = "github.com/goreleaser/goreleaser/v2@v2.17.0"

// TestGoReleaser validates .goreleaser.yaml with GoReleaser itself (check),
// then makes a snapshot release of HEAD for this machine's platform only: the
// archive action.yml downloads by name, checksums.txt listing it, and a
// binary stamped with the version and commit. GoReleaser is fetched
// through the Go module proxy the first time, and the snapshot builds
// layerkit from scratch (-trimpath), so it runs only with
// LAYERKIT_LARGE_TESTS.
func TestGoReleaser(t *testing.T) {
	if os.Getenv("LAYERKIT_LARGE_TESTS") == "" {
		t.Skip("fetches and runs GoReleaser; set LAYERKIT_LARGE_TESTS")
	}
	if out, err := exec.Command("go", "run", goreleaser, "check").CombinedOutput(); err != nil {
		t.Fatalf("goreleaser check: %v\n%s", err, out)
	}

	cfg, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	c := string(cfg)
	for old, repl := range map[string]string{
		"goos: [linux, darwin, windows]": "goos: [" + runtime.GOOS + "]",
		"goarch: [amd64, arm64]":         "goarch: [" + runtime.GOARCH + "]",
		"project_name: layerkit":         "project_name: layerkit\ndist: " + dist,
	} {
		if !strings.Contains(c, old) {
			t.Fatalf(".goreleaser.yaml has no %q to narrow to one platform", old)
		}
		c = strings.Replace(c, old, repl, 1)
	}
	// GoReleaser reads the commit from a clone with a remote, as a
	// release's CI has: a shared clone of HEAD (objects borrowed, nothing
	// copied) whose origin is this repository.
	clone := t.TempDir()
	if out, err := exec.Command("git", "clone", "-q", "--shared", ".", clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	one := filepath.Join(t.TempDir(), "goreleaser.yaml")
	if err := os.WriteFile(one, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", goreleaser, "release", "--snapshot", "--clean", "--skip=publish,announce,before", "--config", one)
	cmd.Dir = clone
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser release --snapshot: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	archives, _ := filepath.Glob(filepath.Join(dist, "layerkit_*_"+runtime.GOOS+"_"+runtime.GOARCH+".tar.gz"))
	if len(archives) != 1 || !strings.Contains(string(sums), filepath.Base(archives[0])) {
		t.Fatalf("archives %v; checksums.txt:\n%s", archives, sums)
	}
	x := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", archives[0], "-C", x).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(x, "layerkit"), "version", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	head, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	if v := string(out); !strings.Contains(v, "-snapshot+") || !strings.Contains(v, strings.TrimSpace(string(head))) {
		t.Errorf("the released binary is not stamped with the version and commit:\n%s", v)
	}
}
