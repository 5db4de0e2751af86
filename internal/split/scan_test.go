package split

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/zipper"
)

// TestScanMatchesAWalk compares the concurrent Scan with a plain
// filepath.WalkDir over a tree of many folders, with excludes at every
// depth, names that sort differently as paths and as a walk ("a/" and
// "a.txt"), symlinks and a folder emptied by excludes.
func TestScanMatchesAWalk(t *testing.T) {
	var paths []string
	for i := range 30 {
		d := fmt.Sprintf("pkg%02d", i)
		paths = append(paths, d+"/__init__.py", d+"/a/mod.py", d+"/a.txt", d+"/a-b/x.py",
			d+"/__pycache__/m.cpython-312.pyc", d+"/deep/er/still/x.py", d+"/deep/er/.env")
		if i%3 == 0 {
			paths = append(paths, d+"/tests/only.pyc", d+"/.git/HEAD", d+"/empty/")
		}
	}
	paths = append(paths, "handler.py", ".env", "a/b.py", "a.py", "x/y.pyc", "x/z.py", "x.pyc")
	dir := tree(t, paths...)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("a/mod.py", filepath.Join(dir, "pkg01", "link.py")))
	must(os.Symlink("pkg02", filepath.Join(dir, "pkgdir")))
	must(os.WriteFile(filepath.Join(dir, "pkg05", "run.sh"), []byte("#!/bin/sh\n"), 0o755))

	filter := excludeFilter(dir, nil, nil, nil, "main.exclude")
	entries, excluded, err := Scan(t.Context(), dir, filter)
	if err != nil {
		t.Fatal(err)
	}
	wantEntries, wantExcluded := walk(t, dir, filter)
	if got, want := names(entries), names(wantEntries); got != want {
		t.Errorf("entries:\n got %s\nwant %s", got, want)
	}
	if !reflect.DeepEqual(entries, wantEntries) {
		t.Errorf("entries differ from the walk's in more than names")
	}
	if !reflect.DeepEqual(excluded, wantExcluded) {
		t.Errorf("excluded:\n got %v\nwant %v", excluded, wantExcluded)
	}
	if !slices.ContainsFunc(entries, func(e zipper.Entry) bool { return e.Name == "pkg00/empty" }) ||
		slices.ContainsFunc(entries, func(e zipper.Entry) bool { return e.Name == "pkg00/tests" }) {
		t.Errorf("want the empty folder kept and the emptied one dropped: %s", names(entries))
	}
}

// walk is the reference: a sequential filepath.WalkDir with the same rules.
func walk(t *testing.T, dir string, keep Filter) ([]zipper.Entry, []Excluded) {
	var entries []zipper.Entry
	var excluded []Excluded
	had := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel := filepath.ToSlash(p[len(dir)+1:])
		if v := keep(rel, d.IsDir()); v.Reason != "" {
			had[filepath.ToSlash(filepath.Dir(rel))] = true
			ex := Excluded{Path: rel, Reason: v.Reason, Secret: v.Secret}
			if d.IsDir() {
				ex.Path += "/"
				ex.Bytes = duBytes(t.Context(), p)
				excluded = append(excluded, ex)
				return filepath.SkipDir
			}
			fi, _ := d.Info()
			ex.Bytes = fi.Size()
			excluded = append(excluded, ex)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := zipper.Entry{Name: rel, Source: rel}
		switch {
		case fi.IsDir():
			e.Type = zipper.TypeDir
		case fi.Mode().IsRegular():
			e.Type, e.Size, e.Exec, e.ID = zipper.TypeFile, fi.Size(), fi.Mode()&0o111 != 0, zipper.IDOf(fi)
		default:
			e.Type = zipper.TypeSymlink
			e.Link, _ = os.Readlink(p)
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	SortEntries(entries)
	return dropEmptied(entries, had), excluded
}

func TestWalkOrder(t *testing.T) {
	want := []string{".env", "a/", "a/b/", "a/b/c", "a/b.py", "a-b/", "a.txt", "b"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, func(a, b string) int {
		if walkOrder(a, b) {
			return -1
		}
		if walkOrder(b, a) {
			return 1
		}
		return 0
	})
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("walk order %v, want %v", got, want)
	}
}

// TestScanRootThroughSymlink scans a root given as a symlink to a folder:
// the folder's content is packaged.
func TestScanRootThroughSymlink(t *testing.T) {
	dir := tree(t, "app/handler.py")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(filepath.Join(dir, "app"), link); err != nil {
		t.Fatal(err)
	}
	es, _, err := Scan(t.Context(), link, func(string, bool) Verdict { return Verdict{} })
	if err != nil {
		t.Fatal(err)
	}
	if got := names(es); got != "handler.py" {
		t.Errorf("entries %q, want handler.py", got)
	}
}
