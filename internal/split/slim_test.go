package split

import (
	"slices"
	"testing"

	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/internal/zipper"
)

func TestSlimEntries(t *testing.T) {
	dir := func(n string) zipper.Entry { return zipper.Entry{Name: n, Type: zipper.TypeDir} }
	file := func(n string, size int64) zipper.Entry { return zipper.Entry{Name: n, Size: size, Source: n} }
	link := func(n, to string) zipper.Entry { return zipper.Entry{Name: n, Type: zipper.TypeSymlink, Link: to} }
	entries := []zipper.Entry{
		dir("python"),
		dir("python/numpy"),
		file("python/numpy/__init__.py", 10),
		dir("python/numpy/core"),
		dir("python/numpy/core/tests"),
		dir("python/numpy/core/tests/data"),
		file("python/numpy/core/tests/data/a.npy", 100),
		file("python/numpy/core/tests/test_a.py", 20),
		dir("python/numpy/doc"),
		file("python/numpy/doc/x.py", 5),
		dir("python/numpy/empty"),
		dir("python/numpy/tests"),
		file("python/numpy/tests/keepme.py", 7),
		file("python/numpy/tests/test_b.py", 30),
		dir("python/numpy-2.1.dist-info"),
		file("python/numpy-2.1.dist-info/METADATA", 3),
		dir("python/only"),
		dir("python/only/examples"),
		file("python/only/examples/e.py", 9),
		dir("python/pkg"),
		link("python/pkg/data", "../scipy/tests/fixtures"),
		dir("python/scipy"),
		dir("python/scipy/tests"),
		dir("python/scipy/tests/fixtures"),
		file("python/scipy/tests/fixtures/f.bin", 40),
		file("python/scipy/tests/test_c.py", 50),
	}
	kept, removed := SlimEntries(entries, []string{"keepme.py"}, "cpython-312", false)
	var got []string
	for _, e := range kept {
		got = append(got, e.Name)
	}
	want := []string{
		"python", "python/numpy", "python/numpy/__init__.py", "python/numpy/empty",
		"python/numpy/tests", "python/numpy/tests/keepme.py",
		"python/numpy-2.1.dist-info", "python/numpy-2.1.dist-info/METADATA",
		"python/pkg", "python/pkg/data",
		"python/scipy", "python/scipy/tests", "python/scipy/tests/fixtures", "python/scipy/tests/fixtures/f.bin",
	}
	if !slices.Equal(got, want) {
		t.Errorf("kept:\n%q\nwant:\n%q", got, want)
	}
	bytes := map[string]int64{}
	for _, r := range removed {
		bytes[r.Kind] += r.Bytes
	}
	if bytes[slim.Tests] != 100+20+30+50 || bytes[slim.Docs] != 5+9 || len(bytes) != 2 {
		t.Errorf("bytes removed by kind = %v", bytes)
	}
	var folders []string
	for _, r := range removed {
		if r.Folder {
			folders = append(folders, r.Path)
		}
	}
	wantFolders := []string{"python/numpy/core", "python/numpy/core/tests", "python/numpy/core/tests/data", "python/numpy/doc", "python/only", "python/only/examples"}
	if !slices.Equal(folders, wantFolders) {
		t.Errorf("folders removed = %q; want %q", folders, wantFolders)
	}
}

// Type stubs stay unless slim_typing asks for them to go; metadata and
// slim_keep still win.
func TestSlimEntriesTyping(t *testing.T) {
	entries := []zipper.Entry{
		{Name: "python/pkg/__init__.py", Type: zipper.TypeFile, Size: 1},
		{Name: "python/pkg/py.typed", Type: zipper.TypeFile, Size: 1},
		{Name: "python/pkg/core.pyi", Type: zipper.TypeFile, Size: 10},
		{Name: "python/pkg/keep.pyi", Type: zipper.TypeFile, Size: 10},
		{Name: "python/pkg-1.0.dist-info/RECORD", Type: zipper.TypeFile, Size: 5},
	}
	names := func(es []zipper.Entry) (out []string) {
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	kept, _ := SlimEntries(entries, []string{"keep.pyi"}, "cpython-312", false)
	if len(kept) != len(entries) {
		t.Errorf("without typing: kept %v, want everything", names(kept))
	}
	kept, removed := SlimEntries(entries, []string{"keep.pyi"}, "cpython-312", true)
	want := []string{"python/pkg/__init__.py", "python/pkg/keep.pyi", "python/pkg-1.0.dist-info/RECORD"}
	if got := names(kept); !slices.Equal(got, want) {
		t.Errorf("with typing: kept %v, want %v", got, want)
	}
	for _, r := range removed {
		if r.Kind != slim.Stubs {
			t.Errorf("removed %s as %q, want %q", r.Path, r.Kind, slim.Stubs)
		}
	}
}
