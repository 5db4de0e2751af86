package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	for _, content := range []string{"first\n", "second\n"} {
		if err := WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if string(b) != content || fi.Mode().Perm() != 0o644 {
			t.Errorf("got %q mode %v", b, fi.Mode())
		}
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); err == nil {
		t.Error("write into a missing folder succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".main.zip.tmp-1409908819":             true,
		".manifest.json.tmp-7":                 true,
		".deps-python3.12-x86_64.zip.tmp-1234": true,
		"main.zip":                             false,
		"main.zip.tmp-12":                      false,
		".main.zip.tmp-":                       false,
		".main.zip.tmp-12x":                    false,
		"..tmp-1":                              false,
		".tmp-1":                               false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v, want %v", name, got, want)
		}
	}
	dir, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	f, name, err := CreateTemp(dir, "main.zip")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !IsTemp(name) {
		t.Errorf("CreateTemp made %q, which IsTemp does not recognise", name)
	}
}
