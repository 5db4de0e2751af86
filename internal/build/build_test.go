package build_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/testutil"
	"github.com/layerkit/layerkit/layers"
)

// example copies the bundled example into a temporary folder.
func example(t *testing.T) string { return testutil.CopyExample(t) }

func run(t *testing.T, dir string, mod func(*build.Options)) *build.Result {
	t.Helper()
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := build.Options{Config: c, Level: -1, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	if mod != nil {
		mod(&opts)
	}
	res, err := build.Run(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// snapshot lists every path under dir except those under skip, with size
// and mode, to prove a build wrote nothing outside its output folder.
func snapshot(t *testing.T, dir, skip string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p == skip {
			return filepath.SkipDir
		}
		if p == dir {
			return nil // creating the output folder touches the project folder's mtime
		}
		fi, _ := d.Info()
		b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String() + "\n")
		return nil
	})
	return b.String()
}

func TestBuildExample(t *testing.T) {
	dir := example(t)
	out := filepath.Join(dir, "dist")
	before := snapshot(t, dir, out)
	cold := run(t, dir, nil)
	if after := snapshot(t, dir, out); after != before {
		t.Fatalf("the build changed the project outside dist/:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	m := cold.Manifest
	var got []string
	for _, a := range m.Artifacts {
		got = append(got, a.Path)
		b, err := os.ReadFile(filepath.Join(out, a.Path))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if a.SHA256 != hex.EncodeToString(sum[:]) || a.CodeSHA256 != base64.StdEncoding.EncodeToString(sum[:]) || a.ZippedBytes != int64(len(b)) {
			t.Errorf("%s: manifest does not describe the file", a.Path)
		}
		zipChecks(t, filepath.Join(out, a.Path))
	}
	if strings.Join(got, " ") != "main.zip layers/deps-python3.9-x86_64.zip layers/deps-python3.12-arm64.zip" {
		t.Fatalf("artifacts %v", got)
	}
	if m.Artifacts[0].Files != 3 || m.Artifacts[2].Files != 2 {
		t.Errorf("file counts %d %d", m.Artifacts[0].Files, m.Artifacts[2].Files)
	}
	// The manifest on disk is the one returned.
	f, _ := os.Open(filepath.Join(out, "manifest.json"))
	disk, err := layers.ReadManifest(f)
	f.Close()
	if err != nil || len(disk.Artifacts) != 3 || disk.Artifacts[1].SHA256 != m.Artifacts[1].SHA256 {
		t.Fatalf("manifest on disk: %v %v", disk, err)
	}
	// Extracting a layer gives back its folder.
	ext := t.TempDir()
	if out, err := exec.Command("unzip", "-q", filepath.Join(out, "layers/deps-python3.12-arm64.zip"), "-d", ext).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v %s", err, out)
	}
	if out, err := exec.Command("diff", "-r", filepath.Join(dir, "layers/python3.12-arm64"), ext).CombinedOutput(); err != nil {
		t.Fatalf("extracted layer differs from its folder: %s", out)
	}

	// Warm and --no-cache rebuilds give the same bytes.
	warm := run(t, dir, nil)
	if warm.Reused != 7 || cold.Unchanged != 0 || warm.Unchanged != 3 {
		t.Errorf("warm rebuild reused %d files (want 7), kept %d of 3 zips unchanged (cold: %d)", warm.Reused, warm.Unchanged, cold.Unchanged)
	}
	nocache := run(t, dir, func(o *build.Options) { o.NoCache = true })
	for i := range m.Artifacts {
		if warm.Manifest.Artifacts[i].SHA256 != m.Artifacts[i].SHA256 || nocache.Manifest.Artifacts[i].SHA256 != m.Artifacts[i].SHA256 {
			t.Errorf("%s differs between builds", m.Artifacts[i].Path)
		}
		if warm.Manifest.Artifacts[i] != m.Artifacts[i] {
			t.Errorf("%s: an unchanged zip's manifest entry changed: %+v, was %+v", m.Artifacts[i].Path, warm.Manifest.Artifacts[i], m.Artifacts[i])
		}
	}

	// A change to the code rewrites main.zip alone; the layers are kept.
	run(t, dir, nil) // fills the cache again after --no-cache
	if err := os.WriteFile(filepath.Join(dir, "handler.py"), []byte("def handler(event, context):\n    return 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	edited := run(t, dir, nil)
	if edited.Unchanged != 2 || edited.Manifest.Artifacts[0].SHA256 == m.Artifacts[0].SHA256 ||
		edited.Manifest.Artifacts[1].SHA256 != m.Artifacts[1].SHA256 || edited.Manifest.Artifacts[2].SHA256 != m.Artifacts[2].SHA256 {
		t.Errorf("after a code change: %d zips kept, manifest %+v", edited.Unchanged, edited.Manifest.Artifacts)
	}
}

func zipChecks(t *testing.T, zp string) {
	t.Helper()
	if out, err := exec.Command("unzip", "-tq", zp).CombinedOutput(); err != nil {
		t.Errorf("unzip -t %s: %v\n%s", zp, err, out)
	}
	if out, err := exec.Command("python3", "-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.exit(z.testzip())", zp).CombinedOutput(); err != nil {
		t.Errorf("python zipfile %s: %v\n%s", zp, err, out)
	}
}

func TestStaleZipsRemoved(t *testing.T) {
	dir := example(t)
	out := filepath.Join(dir, "dist")
	run(t, dir, nil)
	// Something of the user's in the output folder is never touched.
	keep := filepath.Join(out, "layers", "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `version: 1
main:
  exclude: ["tests/**", "native/**"]
layers:
  deps:
    targets:
      - {runtime: python3.12, arch: arm64, from: layers/python3.12-arm64}
`
	if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, nil)
	if strings.Join(res.Removed, " ") != "layers/deps-python3.9-x86_64.zip" {
		t.Errorf("removed %v", res.Removed)
	}
	if _, err := os.Stat(filepath.Join(out, "layers/deps-python3.9-x86_64.zip")); !os.IsNotExist(err) {
		t.Errorf("stale zip still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("user's file removed: %v", err)
	}
	// The cache keeps nothing for the zip no longer built, and still keeps
	// the index of one that is.
	left, _ := filepath.Glob(filepath.Join(out, build.CacheDir, "deps-python3.9-x86_64*"))
	kept, _ := filepath.Glob(filepath.Join(out, build.CacheDir, "deps-python3.12-arm64*"))
	if len(left) != 0 || len(kept) == 0 {
		t.Errorf("cache entries of the removed zip %v, of the kept one %v", left, kept)
	}
}

func TestFailedBuildKeepsPreviousOutput(t *testing.T) {
	dir := example(t)
	out := filepath.Join(dir, "dist")
	first := run(t, dir, nil)
	// A symlink out of the project makes the next build fail as a whole.
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "app", "passwd")); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = build.Run(t.Context(), build.Options{Config: c, Level: -1})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "app", "passwd")) || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("build with an escaping symlink: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(out, "main.zip"))
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != first.Manifest.Artifacts[0].SHA256 {
		t.Errorf("main.zip changed by a failed build")
	}
}
