package build_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/layers"
)

// slimProject writes a project whose layer and code hold tests, docs, and
// ELF objects built with -g (internal/elfcheck/testdata), one of them
// truncated.
func slimProject(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "elfcheck", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	lib := fixture("libdbg-x86_64.so")
	files := map[string][]byte{
		"layerkit.yaml":                            []byte(cfg),
		"src/handler.py":                           []byte("def handler(e, c):\n    return 1\n"),
		"src/bin/hello":                            fixture("hello-dbg-x86_64"),
		"src/bin/libdbg.so":                        lib,
		"src/vendored/tests/test_v.py":             []byte("def test(): pass\n"),
		"deps/python/pkg/__init__.py":              []byte("x = 1\n"),
		"deps/python/pkg/_ext.so":                  fixture("libdbg-arm64.so"),
		"deps/python/pkg/tests/test_pkg.py":        bytes.Repeat([]byte("assert True\n"), 100),
		"deps/python/pkg/tests/conftest.py":        []byte("# kept by slim_keep\n"),
		"deps/python/pkg/docs/guide.txt":           bytes.Repeat([]byte("words "), 50),
		"deps/python/pkg-1.0.dist-info/METADATA":   []byte("Name: pkg\nVersion: 1.0\n"),
		"deps/python/pkg-1.0.dist-info/tests/x.py": []byte("metadata stays\n"),
		"deps/lib/libdbg.so":                       lib,
		"deps/lib/libcut.so":                       lib[:len(lib)-200], // its section headers are cut off
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const slimConfig = `version: 1
main:
  root: src
layers:
  deps:
    slim: true
    slim_keep: ["conftest.py"]
    targets:
      - {runtime: python3.12, arch: arm64, from: deps}
`

// readZip returns a zip's files by name.
func readZip(t *testing.T, p string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// slim: true slims the layer, not the code: tests and docs go but for
// slim_keep's file and the metadata, ELF objects lose their debug
// sections (each equal to what elfcheck makes of it), a truncated one is
// kept as it is with a warning, and the manifest counts it all.
func TestBuildSlimLayer(t *testing.T) {
	dir := slimProject(t, slimConfig)
	res := run(t, dir, nil)
	var layer, main layers.Artifact
	for _, a := range res.Manifest.Artifacts {
		if a.Kind == layers.KindLayer {
			layer = a
		} else {
			main = a
		}
	}
	if main.Slim != nil {
		t.Errorf("main was slimmed: %+v", main.Slim)
	}
	if layer.Slim == nil {
		t.Fatal("the layer's manifest entry has no slim record")
	}
	files := readZip(t, filepath.Join(dir, "dist", layer.Path))
	for _, gone := range []string{"python/pkg/tests/test_pkg.py", "python/pkg/docs/guide.txt", "python/pkg/docs/"} {
		if _, ok := files[gone]; ok {
			t.Errorf("%s is still in the layer", gone)
		}
	}
	for _, kept := range []string{"python/pkg/tests/conftest.py", "python/pkg-1.0.dist-info/tests/x.py", "python/pkg-1.0.dist-info/METADATA", "python/pkg/__init__.py"} {
		if _, ok := files[kept]; !ok {
			t.Errorf("%s is missing from the layer", kept)
		}
	}
	var debugSaved int64
	for _, name := range []string{"lib/libdbg.so", "python/pkg/_ext.so"} {
		orig, err := os.ReadFile(filepath.Join(dir, "deps", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := elfcheck.PlanStrip(bytes.NewReader(orig), int64(len(orig)))
		if err != nil || plan == nil {
			t.Fatalf("%s: PlanStrip = %v, %v", name, plan, err)
		}
		want := make([]byte, plan.Size)
		plan.Reader(bytes.NewReader(orig)).ReadAt(want, 0)
		if !bytes.Equal(files[name], want) {
			t.Errorf("%s in the zip (%d bytes) is not its stripped form (%d bytes)", name, len(files[name]), len(want))
		}
		debugSaved += plan.Saved()
	}
	cut, _ := os.ReadFile(filepath.Join(dir, "deps", "lib", "libcut.so"))
	if !bytes.Equal(files["lib/libcut.so"], cut) {
		t.Error("the truncated object was changed")
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "kept lib/libcut.so unstripped") {
		t.Errorf("warnings = %q; want one naming lib/libcut.so", res.Warnings)
	}
	want := []layers.SlimRemoved{
		{Kind: slim.Tests, Bytes: int64(len("assert True\n") * 100), Files: 1},
		{Kind: slim.Docs, Bytes: int64(len("words ") * 50), Files: 1},
		{Kind: slim.Debug, Bytes: debugSaved, Files: 2},
	}
	if !slices.Equal(layer.Slim.Removed, want) || layer.Slim.Bytes != want[0].Bytes+want[1].Bytes+debugSaved {
		t.Errorf("slim record = %+v; want %+v", layer.Slim, want)
	}
	var unzipped int64
	for _, b := range files {
		unzipped += int64(len(b))
	}
	if unzipped != layer.UnzippedBytes {
		t.Errorf("unzipped_bytes = %d; the zip holds %d", layer.UnzippedBytes, unzipped)
	}
}

// --slim slims the code too; the stripped executable and library run from
// the unzipped code. A slim build is deterministic: cold, cached and
// without cache, the same bytes; and a normal build afterwards, from the
// same cache, has the objects whole again.
func TestBuildSlimAllDeterministic(t *testing.T) {
	dir := slimProject(t, slimConfig)
	slimOn := func(o *build.Options) { o.Slim = true }
	cold := run(t, dir, slimOn)
	main, ok := cold.Manifest.Function()
	if !ok || main.Slim == nil {
		t.Fatalf("main not slimmed: %+v", main)
	}
	if got := main.Slim.Removed; len(got) != 2 || got[0].Kind != slim.Tests || got[1].Kind != slim.Debug || got[1].Files != 2 {
		t.Errorf("main's slim record = %+v", got)
	}
	files := readZip(t, filepath.Join(dir, "dist", "main.zip"))
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		bin := t.TempDir()
		for _, n := range []string{"bin/hello", "bin/libdbg.so"} {
			if err := os.WriteFile(filepath.Join(bin, filepath.Base(n)), files[n], 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if f, err := elf.NewFile(bytes.NewReader(files["bin/hello"])); err != nil || f.Section(".debug_info") != nil {
			t.Fatalf("bin/hello: %v; debug sections still there", err)
		}
		got, err := exec.Command(filepath.Join(bin, "hello")).CombinedOutput()
		if err != nil || string(got) != "libdbg 42\n" {
			t.Fatalf("running the slimmed code's hello: %q, %v", got, err)
		}
	}
	warm := run(t, dir, slimOn)
	if warm.Unchanged != len(cold.Manifest.Artifacts) {
		t.Errorf("a second slim build kept %d zips of %d as they were", warm.Unchanged, len(cold.Manifest.Artifacts))
	}
	normal := run(t, dir, nil)
	files = readZip(t, filepath.Join(dir, "dist", "main.zip"))
	orig, _ := os.ReadFile(filepath.Join(dir, "src", "bin", "libdbg.so"))
	if !bytes.Equal(files["bin/libdbg.so"], orig) {
		t.Error("a normal build after a slim one has the stripped library")
	}
	if m, _ := normal.Manifest.Function(); m.Slim != nil {
		t.Errorf("normal build's main has a slim record: %+v", m.Slim)
	}
	fresh := run(t, dir, func(o *build.Options) { o.Slim, o.NoCache = true, true })
	for i, a := range cold.Manifest.Artifacts {
		if warm.Manifest.Artifacts[i].SHA256 != a.SHA256 || fresh.Manifest.Artifacts[i].SHA256 != a.SHA256 {
			t.Errorf("%s: sha256 %s cold, %s cached, %s without cache", a.Path, a.SHA256, warm.Manifest.Artifacts[i].SHA256, fresh.Manifest.Artifacts[i].SHA256)
		}
	}
}
