package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Names in build's notes and warnings come from the project's files: their
// control characters are shown escaped, so a name cannot rewrite or hide
// the lines a terminal shows.
func TestBuildEscapesNames(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.py"), []byte("x = 1\n"), 0o644)
	if err := os.WriteFile(filepath.Join(dir, "k\x1b[2K\rfake.pem"), []byte("key"), 0o644); err != nil {
		t.Skipf("file name with control characters: %v", err)
	}
	r := runCLI(t, nil, "build", dir)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stderr, "\x1b\r") || !strings.Contains(r.stderr, `k\x1b[2K\rfake.pem`) {
		t.Errorf("stderr = %q, want the name escaped", r.stderr)
	}
}
