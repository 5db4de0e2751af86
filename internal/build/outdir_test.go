package build_test

import (
	"archive/zip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/build"
)

// mainNames lists the entries of out/main.zip.
func mainNames(t *testing.T, out string) string {
	t.Helper()
	z, err := zip.OpenReader(filepath.Join(out, "main.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	return strings.Join(names, " ")
}

// TestOutputNeverPackaged builds twice into an output folder named through
// a symlink to the project: the second build must not package the first's
// output.
func TestOutputNeverPackaged(t *testing.T) {
	dir := project(t, map[string]string{"app.py": "x = 1\n"})
	link := filepath.Join(filepath.Dir(dir), "plink")
	must(t, os.Symlink("proj", link))
	for range 2 {
		if _, err := tryBuild(t, dir, func(o *build.Options) { o.Out = filepath.Join(link, "dist") }); err != nil {
			t.Fatal(err)
		}
		if got := mainNames(t, filepath.Join(dir, "dist")); got != "app.py" {
			t.Fatalf("main.zip holds %s, want app.py alone", got)
		}
	}
}

// TestOutputHoldingSourcesRefused names output folders that are, or hold,
// a folder the build packages: each is refused before anything is
// written.
func TestOutputHoldingSourcesRefused(t *testing.T) {
	dir := project(t, map[string]string{
		"app.py":                               "x = 1\n",
		"layers/python3.12-x86_64/python/m.py": "y = 1\n",
	})
	link := filepath.Join(filepath.Dir(dir), "plink")
	must(t, os.Symlink("proj", link))
	for _, out := range []string{dir, link, dir + "/.", filepath.Dir(dir), filepath.Join(dir, "layers")} {
		before := tree(t, filepath.Dir(dir))
		_, err := tryBuild(t, dir, func(o *build.Options) { o.Out = out })
		if !errors.Is(err, build.ErrOutputHoldsSource) || !strings.Contains(err.Error(), out) {
			t.Errorf("--out %s: %v, want ErrOutputHoldsSource naming it", out, err)
		}
		if after := tree(t, filepath.Dir(dir)); after != before {
			t.Errorf("--out %s: a refused build wrote:\nbefore:\n%s\nafter:\n%s", out, before, after)
		}
	}
}

// TestConfigOutConfined points the config's out: outside the project,
// relative and absolute: refused, nothing created, unless the build is
// told to accept it; an absolute out: lands where it says. --out may name
// a folder outside the project.
func TestConfigOutConfined(t *testing.T) {
	dir := project(t, map[string]string{"app.py": "x = 1\n"})
	base := filepath.Dir(dir)
	abs := filepath.Join(base, "abs-out")
	for _, out := range []string{"../outside", abs} {
		must(t, os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte("version: 1\nout: "+out+"\n"), 0o644))
		where := out
		if !filepath.IsAbs(out) {
			where = filepath.Join(base, "outside")
		}
		_, err := tryBuild(t, dir, nil)
		if !errors.Is(err, build.ErrOutsideProject) {
			t.Errorf("out: %s: %v, want ErrOutsideProject", out, err)
		}
		if _, err := os.Lstat(where); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("out: %s: a refused build created %s: %v", out, where, err)
		}
		res, err := tryBuild(t, dir, func(o *build.Options) { o.OutOutsideProject = true })
		if err != nil {
			t.Fatalf("out: %s, accepted: %v", out, err)
		}
		if _, err := os.Stat(filepath.Join(where, "manifest.json")); err != nil {
			t.Errorf("out: %s, accepted: built into %s, not %s: %v", out, res.Out, where, err)
		}
	}
	// An absolute out: inside the project is where it says, not nested.
	inside := filepath.Join(dir, "build-out")
	must(t, os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte("version: 1\nout: "+inside+"\n"), 0o644))
	if _, err := tryBuild(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(inside, "manifest.json")); err != nil {
		t.Errorf("absolute out: inside the project: %v", err)
	}
	// --out names any folder.
	must(t, os.Remove(filepath.Join(dir, "layerkit.yaml")))
	must(t, os.RemoveAll(inside))
	elsewhere := filepath.Join(base, "elsewhere")
	if _, err := tryBuild(t, dir, func(o *build.Options) { o.Out = elsewhere }); err != nil {
		t.Fatalf("--out outside the project: %v", err)
	}
	if got := mainNames(t, elsewhere); got != "app.py" {
		t.Errorf("main.zip holds %s", got)
	}
}
