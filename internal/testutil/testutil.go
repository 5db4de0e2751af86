// Package testutil holds helpers shared by layerkit's tests. It is imported
// only from _test.go files.
package testutil

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/layers"
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

// BuildExample copies the example project and builds it, returning the
// output folder and its manifest.
func BuildExample(t testing.TB) (dist string, m *layers.Manifest) {
	t.Helper()
	dir := CopyExample(t)
	cfg, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := build.Run(context.Background(), build.Options{Config: cfg, Level: -1, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Out, res.Manifest
}
