package cdk

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// fuzzFiles are the fixture's files FuzzRead replaces, one at a time.
var fuzzFiles = []string{
	"Fixture.template.json",
	"FixtureInnerA10D5FBD.nested.template.json",
	"assembly-Prod/ProdServiceC810982D.template.json",
	"manifest.json",
	"assembly-Prod/manifest.json",
	"Fixture.assets.json",
}

// copyTree copies the regular files and folders of src into dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzRead writes a mutated template or manifest into a copy of the
// fixture and reads it: Read must not panic, and every code path it gives
// must be inside the root.
func FuzzRead(f *testing.F) {
	for i, name := range fuzzFiles {
		data, err := os.ReadFile(filepath.Join(fixture, filepath.FromSlash(name)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), data)
	}
	root := f.TempDir()
	copyTree(f, fixture, root)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		f.Fatal(err)
	}
	originals := map[string][]byte{}
	for _, name := range fuzzFiles {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			f.Fatal(err)
		}
		originals[name] = data
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := fuzzFiles[int(which)%len(fuzzFiles)]
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := os.WriteFile(p, originals[name], 0o644); err != nil {
				t.Fatal(err)
			}
		}()
		proj, err := Read(root, deploy.Options{})
		if err != nil {
			return
		}
		inside := func(id, p string) {
			if p == "" {
				return
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				t.Errorf("%s: code path %s: %v", id, p, err)
				return
			}
			if !deploy.Within(realRoot, real) {
				t.Errorf("%s: code path %s outside the root", id, p)
			}
		}
		for _, fn := range proj.Functions {
			inside(fn.ID, fn.Code.Path)
			for _, l := range fn.Layers {
				inside(fn.ID+" layer "+l.ID, l.Code.Path)
			}
		}
	})
}
