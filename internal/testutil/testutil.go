// Package testutil holds helpers shared by layerkit's tests. It is imported
// only from _test.go files.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// CopyExample copies the bundled example project (examples/python-app) into
// a temporary folder, without any dist/ a local build left in it, and
// returns the copy's path.
func CopyExample(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "examples", "python-app")
	dir := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the example: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(dir, "dist")); err != nil {
		t.Fatal(err)
	}
	return dir
}
