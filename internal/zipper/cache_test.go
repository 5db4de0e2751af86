package zipper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCacheIndex feeds openPrevious any index next to a real zip: it must
// never panic, and what it accepts must stay inside the zip it describes.
func FuzzCacheIndex(f *testing.F) {
	dir := f.TempDir()
	dst := filepath.Join(dir, "main.zip")
	if err := os.WriteFile(dst, []byte("PK\x05\x06"+string(make([]byte, 18))), 0o644); err != nil {
		f.Fatal(err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		f.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { root.Close() })
	if err := saveIndex(root, root, "main.zip", 6, map[string]indexEntry{"a.py": {Offset: 0, CSize: 4}}, "in", Result{Entries: 1}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, indexName("main.zip")))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "in")
	f.Add([]byte(`{"version":"x"}`), "")
	f.Add([]byte(`{}`), "in")
	// Offset plus size overflows int64.
	f.Add([]byte(strings.Replace(string(good), `"o":0,"z":4`, `"o":1,"z":9223372036854775807`, 1)), "in")
	f.Fuzz(func(t *testing.T, ix []byte, inputs string) {
		if err := os.WriteFile(filepath.Join(dir, indexName("main.zip")), ix, 0o644); err != nil {
			t.Fatal(err)
		}
		p := openPrevious(root, root, "main.zip", 6)
		if p == nil {
			return
		}
		defer p.f.Close()
		for name, rec := range p.ix.Files {
			if rec.Offset < 0 || rec.CSize < 0 || rec.Offset > fi.Size() || rec.CSize > fi.Size()-rec.Offset {
				t.Fatalf("%s: accepted a record outside the zip: %+v", name, rec)
			}
		}
		if r, ok := p.unchanged(inputs); ok && (r.ZippedBytes != fi.Size() || inputs == "") {
			t.Fatalf("kept a zip for inputs %q: %+v", inputs, r)
		}
	})
}
