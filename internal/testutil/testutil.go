// Package testutil holds helpers shared by layerkit's tests. It is imported
// only from _test.go files.
package testutil

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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

// MakeWheel writes dir/<name>-1.0-<tag>.whl as pip expects a wheel: the
// files, then .dist-info/METADATA, WHEEL (with the tag) and RECORD with
// every file's hash.
func MakeWheel(t testing.TB, dir, name, tag string, files map[string][]byte) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-1.0-%s.whl", name, tag)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	info := name + "-1.0.dist-info/"
	all := map[string][]byte{
		info + "METADATA": []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: 1.0\n"),
		info + "WHEEL":    []byte("Wheel-Version: 1.0\nGenerator: layerkit-test\nRoot-Is-Purelib: false\nTag: " + tag + "\n"),
	}
	maps.Copy(all, files)
	var record strings.Builder
	for _, p := range slices.Sorted(maps.Keys(all)) {
		b := all[p]
		sum := sha256.Sum256(b)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", p, base64.RawURLEncoding.EncodeToString(sum[:]), len(b))
		w, err := zw.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	record.WriteString(info + "RECORD,,\n")
	w, _ := zw.Create(info + "RECORD")
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// Fixture reads a binary fixture of internal/elfcheck/testdata (see its
// build.sh).
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "elfcheck", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
