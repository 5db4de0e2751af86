package source

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/layerkit/layerkit/layers"
)

// zipOf returns a zip holding files (name -> content).
func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNestedRequirementsZip: serverless-python-requirements' zip: true
// leaves .requirements.zip in the code; check reads it at /tmp/sls-py-req
// with every rule (an extension for Python 3.9 is LK130 on python3.12),
// from a code folder and from a code zip alike, and says how much /tmp it
// takes.
func TestNestedRequirementsZip(t *testing.T) {
	so, err := os.ReadFile(filepath.Join("..", "elfcheck", "testdata", "libanswer-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	reqs := zipOf(t, map[string][]byte{
		"fast/__init__.py":                           []byte(""),
		"fast/_speed.cpython-39-x86_64-linux-gnu.so": so,
		"fast/_ok.cpython-312-x86_64-linux-gnu.so":   so,
	})
	code := map[string][]byte{"handler.py": []byte("try:\n  import unzip_requirements\nexcept ImportError:\n  pass\n"), ".requirements.zip": reqs}
	dir := t.TempDir()
	folder := filepath.Join(dir, "fn")
	for name, b := range code {
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(folder, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipped := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipped, zipOf(t, code), 0o644); err != nil {
		t.Fatal(err)
	}
	unzipped := int64(2 * len(so))
	for _, p := range []string{folder, zipped} {
		res, err := Run(t.Context(), Request{Function: p, Runtime: "python3.12", Arch: layers.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Rule+" "+f.Artifact+" "+f.Path)
		}
		want := []string{"LK130 " + filepath.Join(p, ".requirements.zip") + " fast/_speed.cpython-39-x86_64-linux-gnu.so"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: findings %q, want %q", p, got, want)
		}
		note := filepath.Join(p, ".requirements.zip") + " unpacks to /tmp/sls-py-req at start: " + itoa(unzipped) + " bytes of ephemeral storage, read with every rule"
		if !slices.Contains(res.Notes, note) {
			t.Errorf("%s: notes %q, want %q", p, res.Notes, note)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
