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
	for name, want := range map[string][2]bool{ // IsTemp, IsLegacyTemp
		".main.zip.layerkit-tmp-1409908819":  {true, false},
		".notes.layerkit-tmp-7":              {true, false},
		".main.zip.tmp-1409908819":           {false, true},
		".manifest.json.tmp-7":               {false, true},
		".deps-python3.12-x86_64.zip.tmp-12": {false, true},
		".important.tmp-99":                  {false, false}, // someone else's
		"main.zip":                           {false, false},
		"main.zip.tmp-12":                    {false, false},
		".main.zip.tmp-":                     {false, false},
		".main.zip.layerkit-tmp-12x":         {false, false},
		"..tmp-1":                            {false, false},
		".tmp-1":                             {false, false},
	} {
		if got := [2]bool{IsTemp(name), IsLegacyTemp(name)}; got != want {
			t.Errorf("IsTemp, IsLegacyTemp(%q) = %v, want %v", name, got, want)
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
