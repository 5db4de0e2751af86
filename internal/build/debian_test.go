package build_test

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/slim"
)

// importReport is what testdata/imports.py prints.
type importReport struct {
	Imported []string          `json:"imported"`
	Failed   map[string]string `json:"failed"`
	Versions map[string]string `json:"versions"`
	Outside  []string          `json:"outside"`
	Libs     []string          `json:"libs"`
	Checks   map[string]any    `json:"checks"`
}

// runImports runs testdata/imports.py with the host's Python on the layer
// in dir: python/ on PYTHONPATH, lib/ on LD_LIBRARY_PATH, no site-packages.
func runImports(t *testing.T, python, dir string) importReport {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "imports.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-S", script, dir)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(dir, "python"), "LD_LIBRARY_PATH="+filepath.Join(dir, "lib"), "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running imports.py on %s: %v", dir, err)
	}
	var r importReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("imports.py printed %q: %v", out, err)
	}
	return r
}

// unzipTo extracts a zip layerkit wrote, symlinks included.
func unzipTo(t *testing.T, zipPath, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Mode()&os.ModeSymlink != 0 {
			err = os.Symlink(string(b), p)
		} else {
			err = os.WriteFile(p, b, f.Mode().Perm())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A real layer slimmed: Debian 12's numpy, scipy, pandas, lxml and Pillow
// for x86_64 with the libraries they load (scripts/fetch-fixtures.sh lays
// them out as python/ and lib/). Every package and every extension module
// imports from the slimmed zip with the host's Python 3.11 (Debian's, the
// one these packages are built for) exactly as from the original folder,
// the libraries are loaded from the layer's lib/, the same small
// computations give the same answers, and importlib.metadata still finds
// every distribution's version.
func TestSlimDebianLayer(t *testing.T) {
	fixture, err := filepath.Abs(filepath.Join("testdata", "debian-x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fixture, ".complete")); err != nil {
		t.Skip("the Debian layer is not fetched: run scripts/fetch-fixtures.sh")
	}
	const python = "/usr/bin/python3"
	v, err := exec.Command(python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil || strings.TrimSpace(string(v)) != "3.11" {
		t.Skipf("needs Debian 12's /usr/bin/python3 (3.11), the Python these packages are built for: %q, %v", v, err)
	}
	if err := os.MkdirAll(filepath.Join(fixture, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `version: 1
main:
  root: code
layers:
  debian:
    slim: true
    targets:
      - {runtime: python3.11, arch: x86_64, from: layer}
`
	if err := os.WriteFile(filepath.Join(fixture, "layerkit.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(fixture, "")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := build.Run(t.Context(), build.Options{Config: c, Out: out, Level: -1, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("warning: %s", w)
	}
	var zipPath string
	for _, a := range res.Manifest.Artifacts {
		if a.Name != "debian" {
			continue
		}
		zipPath = filepath.Join(out, a.Path)
		if a.Slim == nil {
			t.Fatal("no slim record")
		}
		got := map[string]int64{}
		for _, r := range a.Slim.Removed {
			got[r.Kind] = r.Bytes
			t.Logf("%s: %d bytes removed (%d files)", r.Kind, r.Bytes, r.Files)
		}
		t.Logf("slimmed %d bytes; the zip unzips to %d bytes, %d files", a.Slim.Bytes, a.UnzippedBytes, a.Files)
		if got[slim.Tests] == 0 || got[slim.Docs] == 0 {
			t.Errorf("removed %v; numpy, scipy and pandas ship test suites and docs", got)
		}
	}
	unzipped := t.TempDir()
	unzipTo(t, zipPath, unzipped)

	before := runImports(t, python, filepath.Join(fixture, "layer"))
	after := runImports(t, python, unzipped)
	if len(before.Failed) > 0 {
		t.Errorf("the original layer fails to import: %v", before.Failed)
	}
	if len(after.Failed) > 0 {
		t.Errorf("the slimmed layer fails to import: %v", after.Failed)
	}
	if len(after.Imported) < 100 || !reflect.DeepEqual(after.Imported, before.Imported) {
		t.Errorf("imported %d modules from the slimmed layer, %d from the original", len(after.Imported), len(before.Imported))
	}
	if len(after.Outside) > 0 {
		t.Errorf("modules came from outside the layer: %v", after.Outside)
	}
	for _, dist := range []string{"numpy", "scipy", "pandas", "lxml", "Pillow", "python-dateutil", "pytz", "six", "decorator"} {
		if got, want := after.Versions[dist], before.Versions[dist]; got != want || strings.HasPrefix(got, "error") {
			t.Errorf("importlib.metadata.version(%q) = %q; the original gives %q", dist, got, want)
		}
	}
	if !reflect.DeepEqual(after.Checks, before.Checks) {
		t.Errorf("computations differ:\nslimmed  %v\noriginal %v", after.Checks, before.Checks)
	}
	for _, lib := range []string{"lib/libgfortran.so.5.0.0", "lib/libxslt.so.1.1.35", "lib/libtiff.so.6.0.0"} {
		if !strings.Contains(strings.Join(after.Libs, " "), lib) {
			t.Errorf("%s was not loaded from the slimmed layer (loaded: %v)", lib, after.Libs)
		}
	}
	t.Logf("imported %d modules, loaded %d libraries from lib/", len(after.Imported), len(after.Libs))
}
