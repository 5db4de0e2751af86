//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeUVOnPath puts a shell script named uv first on PATH: it finds the
// folder after --target and runs body with it in $dest.
func fakeUVOnPath(t *testing.T, body string) {
	t.Helper()
	bin := t.TempDir()
	script := "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --target ] && dest=$2; shift; done\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(bin, "uv"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// conventionProject makes a project with requirements.txt and one
// layers/<target> folder.
func conventionProject(t *testing.T, target string) (dir, layer string) {
	t.Helper()
	dir = t.TempDir()
	layer = filepath.Join(dir, "layers", target)
	if err := os.MkdirAll(layer, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("purepkg\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "handler.py"), []byte("def handler(e, c): pass\n"), 0o644)
	return dir, layer
}

// TestInstallSaysWhatItSwept leaves in the layer folder what an
// interrupted install of an earlier layerkit left there; install removes it
// and says so on stderr.
func TestInstallSaysWhatItSwept(t *testing.T) {
	fakeUVOnPath(t, `mkdir -p "$dest/purepkg" && echo 'X = 1' > "$dest/purepkg/__init__.py"`)
	dir, layer := conventionProject(t, "python3.12-arm64")
	old := filepath.Join(layer, "python.layerkit-old")
	if err := os.MkdirAll(filepath.Join(old, "purepkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "install", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if want := "removed " + old + ", left by an interrupted install\n"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q\nwant it to contain %q", r.stderr, want)
	}
	if _, err := os.Lstat(old); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", old, err)
	}
}
