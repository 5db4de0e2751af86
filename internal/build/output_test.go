package build_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/layers"
)

// project lays out a small project under a new temporary folder, by the
// folder convention: files maps slash paths to contents. It returns the
// project folder.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "proj")
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// twoLayers is a project with a main zip and two layer targets.
func twoLayers(t *testing.T) string {
	return project(t, map[string]string{
		"app.py":                               "x = 1\n",
		"layers/python3.12-x86_64/python/a.py": "a = 1\n",
		"layers/python3.12-arm64/python/b.py":  "b = 1\n",
	})
}

func tryBuild(t *testing.T, dir string, mod func(*build.Options)) (*build.Result, error) {
	t.Helper()
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := build.Options{Config: c, Level: -1, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	if mod != nil {
		mod(&opts)
	}
	return build.Run(t.Context(), opts)
}

// checkConsistent fails unless out holds a manifest whose every zip is on
// disk with the SHA-256 the manifest records, and no temporary file.
func checkConsistent(t *testing.T, out string) *layers.Manifest {
	t.Helper()
	m := checkManifest(t, out)
	if tmp := temps(out); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	return m
}

// checkManifest fails unless out holds a manifest whose every zip is on
// disk with the SHA-256 the manifest records.
func checkManifest(t *testing.T, out string) *layers.Manifest {
	t.Helper()
	f, err := os.Open(filepath.Join(out, layers.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := layers.ReadManifest(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Artifacts {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(a.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != a.SHA256 {
			t.Errorf("%s on disk is not the zip the manifest describes", a.Path)
		}
	}
	return m
}

// temps lists the temporary files under out.
func temps(out string) []string {
	var found []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && atomicfile.IsTemp(d.Name()) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// TestFailedBuildKeepsManifestMatching makes the second artifact fail
// after the first (a changed main.zip) was written: the output folder must
// still hold the previous build whole, its manifest matching every zip.
func TestFailedBuildKeepsManifestMatching(t *testing.T) {
	dir := twoLayers(t)
	out := filepath.Join(dir, "dist")
	first, err := tryBuild(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte("x = 2\n"), 0o644))
	grown := filepath.Join(dir, "layers/python3.12-arm64/python/b.py")
	var started []string
	_, err = tryBuild(t, dir, func(o *build.Options) {
		o.NoCache = true // else the unchanged layer is kept without being read
		o.Progress = func(a *split.Artifact, done bool) {
			if done {
				return
			}
			started = append(started, a.Path)
			if len(started) == 2 {
				// The file grows after planning: the second zip fails.
				if err := os.WriteFile(grown, []byte("b = 1 + 1\n"), 0o644); err != nil {
					t.Error(err)
				}
			}
		}
	})
	if len(started) != 2 || started[0] != "main.zip" {
		t.Fatalf("artifacts started: %v", started)
	}
	if err == nil || !strings.Contains(err.Error(), grown) {
		t.Fatalf("build with a file grown mid-build: %v", err)
	}
	m := checkConsistent(t, out)
	if m.Artifacts[0].SHA256 != first.Manifest.Artifacts[0].SHA256 {
		t.Errorf("the manifest changed")
	}
}

// TestOutputLinksRefused puts symlinks where the build writes inside its
// output folder, pointing outside it: the build must refuse, name the
// link, and change nothing outside the output folder. An old manifest that
// names a file outside through the link must not get it removed either.
func TestOutputLinksRefused(t *testing.T) {
	for _, link := range []string{"layers", build.CacheDir} {
		t.Run(link, func(t *testing.T) {
			dir := project(t, map[string]string{
				"app.py":                               "x = 1\n",
				"layers/python3.12-x86_64/python/m.py": "y = 1\n",
			})
			out := filepath.Join(dir, "dist")
			victim := filepath.Join(filepath.Dir(dir), "victim")
			must(t, os.MkdirAll(out, 0o755))
			must(t, os.MkdirAll(victim, 0o755))
			must(t, os.WriteFile(filepath.Join(victim, "important.txt"), []byte("precious"), 0o644))
			must(t, os.WriteFile(filepath.Join(victim, "main.zip.index.json"), []byte("{}"), 0o644))
			must(t, os.Symlink("../../victim", filepath.Join(out, link)))
			must(t, os.WriteFile(filepath.Join(out, layers.ManifestFile), []byte(`{"version":1,"artifacts":[
 {"kind":"layer","name":"x","runtime":"python3.12","arch":"x86_64","path":"layers/important.txt","sha256":"","code_sha256":"","zipped_bytes":8,"unzipped_bytes":0,"files":0}]}`), 0o644))
			before := tree(t, victim)
			_, err := tryBuild(t, dir, nil)
			if !errors.Is(err, build.ErrOutputLink) || !strings.Contains(err.Error(), filepath.Join(out, link)) {
				t.Errorf("build with %s a symlink out: %v, want ErrOutputLink naming it", link, err)
			}
			if after := tree(t, victim); after != before {
				t.Errorf("the build changed a folder outside its output:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// TestStaleRemovalOnlyOwnZips lists, in an old manifest, files a build
// never makes: they stay. A zip it made and no longer makes goes.
func TestStaleRemovalOnlyOwnZips(t *testing.T) {
	dir := project(t, map[string]string{"app.py": "x = 1\n"})
	out := filepath.Join(dir, "dist")
	keep := map[string]string{
		"notes.txt":        "mine",
		".git/config":      "[core]",
		"layers/mine.txt":  "mine",
		"layers/other.zip": "not the size the manifest says",
		"sub/x.zip":        "x",
	}
	for name, content := range keep {
		p := filepath.Join(out, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
	must(t, os.WriteFile(filepath.Join(out, "layers", "old-python3.12-x86_64.zip"), []byte("PK"), 0o644))
	size := map[string]int{"layers/old-python3.12-x86_64.zip": 2, "layers/other.zip": 3}
	for name, content := range keep {
		if _, ok := size[name]; !ok {
			size[name] = len(content)
		}
	}
	var paths []string
	for p := range size {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var recs []string
	for _, p := range paths {
		recs = append(recs, `{"kind":"layer","name":"x","runtime":"python3.12","arch":"x86_64","path":"`+p+
			`","sha256":"","code_sha256":"","zipped_bytes":`+strconv.Itoa(size[p])+`,"unzipped_bytes":0,"files":0}`)
	}
	manifest := `{"version":1,"artifacts":[` + strings.Join(recs, ",") + "]}"
	must(t, os.WriteFile(filepath.Join(out, layers.ManifestFile), []byte(manifest), 0o644))
	res, err := tryBuild(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Removed, " ") != "layers/old-python3.12-x86_64.zip" {
		t.Errorf("removed %v, want only the old layer zip", res.Removed)
	}
	for name := range keep {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// tree describes every file under dir with its content's SHA-256 and
// mode, and every folder and link, to show nothing there changed.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			b.WriteString(p + " error " + err.Error() + "\n")
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		line := p + " " + fi.Mode().String()
		switch {
		case fi.Mode().IsRegular():
			if f, err := os.Open(p); err == nil {
				h := sha256.New()
				io.Copy(h, f)
				f.Close()
				line += " " + hex.EncodeToString(h.Sum(nil))
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		b.WriteString(line + "\n")
		return nil
	})
	return b.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestInterruptedBuildLeftoversSwept plants the temporary files a killed
// build leaves (named as this version and earlier ones name them): the
// next build removes them, and nothing else of that look that is not a
// regular file of that exact naming.
func TestInterruptedBuildLeftoversSwept(t *testing.T) {
	dir := twoLayers(t)
	out := filepath.Join(dir, "dist")
	if _, err := tryBuild(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	left := []string{".main.zip.tmp-1409908819", ".main.zip.layerkit-tmp-55", "layers/.deps-python3.12-x86_64.zip.tmp-12", build.CacheDir + "/.main.zip.index.json.tmp-3", ".manifest.json.tmp-77"}
	for _, name := range left {
		must(t, os.WriteFile(filepath.Join(out, filepath.FromSlash(name)), []byte("partial"), 0o600))
	}
	mine := []string{".notes.tmp-draft", "layers/notes.tmp-12", "keep.zip.tmp-1", ".important.tmp-99"}
	for _, name := range mine {
		must(t, os.WriteFile(filepath.Join(out, filepath.FromSlash(name)), []byte("mine"), 0o644))
	}
	must(t, os.Mkdir(filepath.Join(out, ".folder.zip.tmp-5"), 0o755))
	mine = append(mine, ".folder.zip.tmp-5")
	res, err := tryBuild(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range left {
		if _, err := os.Lstat(filepath.Join(out, filepath.FromSlash(name))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left by an interrupted build is still there: %v", name, err)
		}
	}
	for _, name := range mine {
		if _, err := os.Lstat(filepath.Join(out, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := strings.Count(strings.Join(res.Notes, "\n"), "left by an interrupted build"); n != len(left) {
		t.Errorf("notes %q, want one per file removed", res.Notes)
	}
}

// TestCancelledBuildKeepsPreviousOutput cancels the build as its second
// zip starts: the error wraps context.Canceled (the CLI's exit 130), and
// the output folder holds the previous build, whole, with no temporary
// file.
func TestCancelledBuildKeepsPreviousOutput(t *testing.T) {
	dir := twoLayers(t)
	out := filepath.Join(dir, "dist")
	if _, err := tryBuild(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte("x = 2\n"), 0o644))
	c, err := config.Load(dir, "")
	must(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := 0
	_, err = build.Run(ctx, build.Options{Config: c, Level: -1, NoCache: true, Progress: func(a *split.Artifact, done bool) {
		if !done {
			if started++; started == 2 {
				cancel()
			}
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled build: %v, want context.Canceled", err)
	}
	checkConsistent(t, out)
}
