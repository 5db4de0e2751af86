//go:build unix

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/install"
	"github.com/layerkit/layerkit/internal/testutil"
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

// TestInstallChecksSymlinkedLayerFolder fills a layer whose from: is a
// symlink to the real folder with an x86_64 extension for an arm64 target:
// install's own check must read the folder the link names and fail, not
// check an empty folder and exit 0.
func TestInstallChecksSymlinkedLayerFolder(t *testing.T) {
	so := filepath.Join(t.TempDir(), "x86_64.so")
	if err := os.WriteFile(so, testutil.Fixture(t, "libanswer-x86_64.so"), 0o755); err != nil {
		t.Fatal(err)
	}
	fakeUVOnPath(t, `mkdir -p "$dest/fastpkg" && cp "`+so+`" "$dest/fastpkg/_speed.cpython-312-aarch64-linux-gnu.so"`)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real-arm64"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real-arm64", filepath.Join(dir, "deps-arm64")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("fastpkg\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(`version: 1
layers:
  deps:
    install: {python: requirements.txt}
    targets:
      - {runtime: python3.12, arch: arm64, from: deps-arm64}
`), 0o644)
	r := runCLI(t, nil, "install", dir)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "LK101") {
		t.Errorf("exit %d, want %d with LK101\nstdout %s\nstderr %s", r.code, ExitFindings, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "real-arm64", "python", "fastpkg")); err != nil {
		t.Errorf("the install did not land in the folder the link names: %v", err)
	}
}

// TestInstallInterrupted cancels install while the installer (which left a
// grandchild holding its output) runs: the exit code is 130, stderr says
// "interrupted" once instead of one error per target, and the layer folder
// and project are as they were.
func TestInstallInterrupted(t *testing.T) {
	started := filepath.Join(t.TempDir(), "started")
	if err := syscall.Mkfifo(started, 0o600); err != nil {
		t.Fatal(err)
	}
	fakeUVOnPath(t, `sleep 30 &
echo started > "`+started+`"
exec sleep 30`)
	dir, layer := conventionProject(t, "python3.12-arm64")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Getenv: func(string) string { return "" }}
	code := make(chan int, 1)
	go func() { code <- Main(ctx, f, []string{"install", dir}) }()
	ready := make(chan struct{})
	go func() {
		os.ReadFile(started) // blocks until the fake opens the FIFO
		close(ready)
	}()
	select {
	case c := <-code:
		t.Fatalf("install ended (exit %d) before it was interrupted\nstderr %s", c, errOut.String())
	case <-ready:
	}
	cancel()
	got := <-code
	want := "installing " + filepath.Join(dir, "requirements.txt") + " for python3.12-arm64 into " + layer + "\nlayerkit: interrupted\n"
	if got != ExitInterrupted || errOut.String() != want || out.String() != "" {
		t.Errorf("exit %d, want %d\nstdout %q\nstderr %q\nwant   %q", got, ExitInterrupted, out.String(), errOut.String(), want)
	}
	if ents, err := os.ReadDir(layer); err != nil || len(ents) > 0 {
		t.Errorf("layer folder after the interrupt: %v %v, want it empty", ents, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, install.StateDir)); !os.IsNotExist(err) {
		t.Errorf("%s left in the project: %v", install.StateDir, err)
	}
}
