package install_test

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/install"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/source"
	"github.com/layerkit/layerkit/layers"
)

// The real manylinux wheels scripts/fetch-fixtures.sh downloads into
// testdata/wheels (see the script for what each folder holds). The tests
// never download: without the folder they skip.

// realWheels returns the absolute path of testdata/wheels/<name>.
func realWheels(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "wheels", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		t.Skipf("%s is absent: scripts/fetch-fixtures.sh downloads it (scripts/test.sh runs it when it is missing)", dir)
	}
	return dir
}

// realPackages are the packages of every wheel folder; each has a
// compiled extension.
var realPackages = []string{"numpy", "pydantic-core", "cryptography", "psycopg-binary", "orjson"}

// installer is pip or uv, as Options.UV chooses.
type installer struct {
	name string
	uv   func(t *testing.T) string
}

var installers = []installer{
	{"pip", func(t *testing.T) string { needPip(t); return "-" }},
	{"uv", func(t *testing.T) string {
		p, err := exec.LookPath("uv")
		if err != nil {
			t.Skip("uv is not installed (python3 -m pip install uv)")
		}
		return p
	}},
}

// TestInstallRealWheels installs numpy, pydantic-core, cryptography,
// psycopg-binary and orjson from their real manylinux wheels with pip and
// with uv, for python3.12 on both CPUs and python3.9 on x86_64, and checks
// each layer folder for its target: no errors, and each extension is the
// target's.
func TestInstallRealWheels(t *testing.T) {
	for _, in := range installers {
		for _, tc := range []struct {
			target, wheels string
			so             string // numpy's core extension, as installed
		}{
			{"python3.12-arm64", "cp312-aarch64", "numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so"},
			{"python3.12-x86_64", "cp312-x86_64", "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so"},
			{"python3.9-x86_64", "cp39-x86_64", "numpy/_core/_multiarray_umath.cpython-39-x86_64-linux-gnu.so"},
		} {
			t.Run(in.name+"/"+tc.target, func(t *testing.T) {
				uv := in.uv(t)
				wheels := realWheels(t, tc.wheels)
				cfg := project(t, strings.Join(realPackages, "\n")+"\n", tc.target)
				jobs, err := install.Plan(cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				r := install.Run(t.Context(), jobs, install.Options{UV: uv, Extra: []string{"--no-index", "--find-links", wheels, "--no-deps"}})[0]
				if r.Err != nil {
					t.Fatalf("%v\n%s", r.Err, r.Output)
				}
				if uv != "-" && r.Command[0] != uv || uv == "-" && r.Command[1] != "-m" {
					t.Errorf("ran %v", r.Command)
				}
				py := filepath.Join(r.Job.Dir, "python")
				for _, name := range realPackages {
					dist, _ := filepath.Glob(filepath.Join(py, strings.ReplaceAll(name, "-", "_")+"-*.dist-info"))
					if len(dist) != 1 {
						t.Errorf("%s: dist-info %v", name, dist)
					}
				}
				if _, err := os.Stat(filepath.Join(py, filepath.FromSlash(tc.so))); err != nil {
					t.Error(err)
				}
				res, err := source.Run(t.Context(), source.Request{Paths: []string{r.Job.Dir}, Runtime: r.Job.Target.Runtime, Arch: r.Job.Target.Arch})
				if err != nil {
					t.Fatal(err)
				}
				if res.Artifacts == 0 || res.Files < 100 {
					t.Errorf("check saw %d artifacts, %d files", res.Artifacts, res.Files)
				}
				for _, f := range res.Findings {
					if f.Severity != lint.Error {
						continue
					}
					if vendoredSibling(r.Job.Dir, f) {
						t.Logf("not counted: %s %s: %s", f.Rule, f.Path, f.Message)
						continue
					}
					t.Errorf("%s %s: %s", f.Rule, f.Path, f.Message)
				}
			})
		}
	}
}

// TestInstallRefusesManylinux228ForAL2 offers python3.9 (Amazon Linux 2,
// glibc 2.26) only cryptography's manylinux_2_28 wheel: pip and uv must
// refuse it, naming the package. The same wheel unpacked by hand into
// the layer folder is what the check reports as needing a newer glibc.
func TestInstallRefusesManylinux228ForAL2(t *testing.T) {
	wheels := realWheels(t, "cp39-x86_64-2_28")
	for _, in := range installers {
		t.Run(in.name, func(t *testing.T) {
			uv := in.uv(t)
			cfg := project(t, "cryptography\n", "python3.9-x86_64")
			jobs, err := install.Plan(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := install.Run(t.Context(), jobs, install.Options{UV: uv, Extra: []string{"--no-index", "--find-links", wheels, "--no-deps"}})[0]
			var nw *install.NoWheelError
			if !errors.As(r.Err, &nw) || nw.Package != "cryptography" {
				t.Fatalf("err = %v\n%s", r.Err, r.Output)
			}
			if nw.Tags[0] == "manylinux_2_28_x86_64" || !strings.Contains(r.Err.Error(), "manylinux1_x86_64") {
				t.Errorf("tags %v", nw.Tags)
			}
			if _, err := os.Stat(filepath.Join(r.Job.Dir, "python")); err == nil {
				t.Error("a refused install left python/ in the layer folder")
			}
		})
	}
	t.Run("check", func(t *testing.T) {
		whl, _ := filepath.Glob(filepath.Join(wheels, "cryptography-*-manylinux_2_28_x86_64.whl"))
		if len(whl) != 1 {
			t.Fatalf("wheels: %v", whl)
		}
		layer := filepath.Join(t.TempDir(), "layer")
		unzip(t, whl[0], filepath.Join(layer, "python"))
		res, err := source.Run(t.Context(), source.Request{Paths: []string{layer}, Runtime: "python3.9", Arch: layers.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range res.Findings {
			if f.Severity == lint.Error && f.Name == "glibc-version" && strings.Contains(f.Path, "_rust.abi3.so") {
				found = true
			}
		}
		if !found {
			t.Errorf("no glibc-version error for the manylinux_2_28 extension: %+v", res.Findings)
		}
	})
}

// vendoredSibling reports a missing-library finding on a library that
// auditwheel vendored into a wheel's <pkg>.libs/ folder, for a library
// that is in that same folder. psycopg-binary's vendored libgssapi_krb5
// has no RPATH of its own; glibc finds its siblings through the DT_RPATH
// $ORIGIN of libpq, which loads it (DT_RPATH is searched along the chain
// of loading objects), a path the check does not follow yet.
func vendoredSibling(layer string, f lint.Finding) bool {
	if f.Rule != lint.RuleLibMissing {
		return false
	}
	dir := path.Dir(f.Path)
	if !strings.HasSuffix(dir, ".libs") {
		return false
	}
	lib, _, ok := strings.Cut(strings.TrimPrefix(f.Message, "needs "), ",")
	if !ok {
		return false
	}
	_, err := os.Stat(filepath.Join(layer, filepath.FromSlash(dir), lib))
	return err == nil
}

func unzip(t *testing.T, zipPath, dest string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || strings.Contains(f.Name, "..") {
			continue
		}
		p := filepath.Join(dest, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUVPlatformAndPythonVersion(t *testing.T) {
	for _, tc := range []struct {
		target, platform, version string
	}{
		{"python3.9-x86_64", "x86_64-manylinux_2_17", "3.9.20"},
		{"python3.11-arm64", "aarch64-manylinux_2_17", "3.11.10"},
		{"python3.12-arm64", "aarch64-manylinux_2_34", "3.12.6"},
		{"python3.13-x86_64", "x86_64-manylinux_2_34", "3.13.0"},
	} {
		tg, err := layers.ParseTarget(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := install.UVPlatform(tg); got != tc.platform {
			t.Errorf("UVPlatform(%s) = %s, want %s", tc.target, got, tc.platform)
		}
		if got := install.PythonVersion(tg); got != tc.version {
			t.Errorf("PythonVersion(%s) = %s, want %s", tc.target, got, tc.version)
		}
	}
}

// TestInstallMeetsRequiresPython serves cryptography's real wheel from a
// local simple index that states its Requires-Python as PyPI does
// (">=3.7,!=3.9.0,!=3.9.1"): pip and uv must be given python3.9's full
// version, since a bare 3.9 means 3.9.0 to both and the wheel would be
// refused.
func TestInstallMeetsRequiresPython(t *testing.T) {
	wheels := realWheels(t, "cp39-x86_64")
	whl, _ := filepath.Glob(filepath.Join(wheels, "cryptography-*.whl"))
	if len(whl) != 1 {
		t.Fatalf("wheels: %v", whl)
	}
	index := t.TempDir()
	page := filepath.Join(index, "cryptography", "index.html")
	os.MkdirAll(filepath.Dir(page), 0o755)
	link := `<a href="file://` + filepath.ToSlash(whl[0]) + `" data-requires-python="&gt;=3.7,!=3.9.0,!=3.9.1">` + filepath.Base(whl[0]) + "</a>\n"
	os.WriteFile(page, []byte("<!DOCTYPE html>\n<html><body>\n"+link+"</body></html>\n"), 0o644)
	for _, in := range installers {
		t.Run(in.name, func(t *testing.T) {
			uv := in.uv(t)
			cfg := project(t, "cryptography\n", "python3.9-x86_64")
			jobs, err := install.Plan(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := install.Run(t.Context(), jobs, install.Options{UV: uv, Extra: []string{"--index-url", "file://" + filepath.ToSlash(index), "--no-deps"}})[0]
			if r.Err != nil {
				t.Fatalf("%v\n%s", r.Err, r.Output)
			}
			if _, err := os.Stat(filepath.Join(r.Job.Dir, "python", "cryptography", "hazmat", "bindings", "_rust.abi3.so")); err != nil {
				t.Error(err)
			}
		})
	}
}
