package zipper_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
)

var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// makeTree writes a tree with every kind of entry zipper handles: small
// and empty files, an executable, a file of several chunks (part random,
// part text), an incompressible file, a symlink to a file and to a folder,
// an empty folder and a non-ASCII name.
func makeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 7))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var big bytes.Buffer
	for big.Len() < 3<<20 {
		fmt.Fprintf(&big, "def f%d(x):\n    return x * %d\n", big.Len(), big.Len()%97)
		big.Write(random(200))
	}
	files := map[string][]byte{
		"handler.py":             []byte("def handler(event, context):\n    return {'ok': True}\n"),
		"empty.txt":              nil,
		"bin/tool":               []byte("#!/bin/sh\necho hi\n"),
		"lib/libbig.so.1.2":      big.Bytes(),
		"data/noise.bin":         random(100_000),
		"data/photo.jpg":         random(5000),
		"pkg/sub/deep/module.py": bytes.Repeat([]byte("x = 1\n"), 1000),
		"pkg/ünïcödé.txt":        []byte("names are UTF-8\n"),
		"exactly-one-chunk.bin":  bytes.Repeat([]byte{'a'}, 1<<20),
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Chmod(filepath.Join(dir, "bin/tool"), 0o700))
	must(t, os.Symlink("libbig.so.1.2", filepath.Join(dir, "lib/libbig.so.1")))
	must(t, os.Symlink("../pkg/sub", filepath.Join(dir, "data/sub-link")))
	must(t, os.MkdirAll(filepath.Join(dir, "empty-dir"), 0o755))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func keepAll(string, bool) split.Verdict { return split.Verdict{} }

func write(t *testing.T, src, dst string, opts zipper.Options) zipper.Result {
	t.Helper()
	entries, _, err := split.Scan(context.Background(), src, keepAll)
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(src)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	files := zipper.NewRootSource(root)
	defer files.Close()
	if opts.Modified.IsZero() {
		opts.Modified = epoch
	}
	res, err := zipper.WriteFile(t.Context(), dst, files, entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func fileSHA(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestDeterministic(t *testing.T) {
	src := makeTree(t)
	out := t.TempDir()
	a := write(t, src, filepath.Join(out, "a.zip"), zipper.Options{Level: -1, Workers: 1})
	b := write(t, src, filepath.Join(out, "b.zip"), zipper.Options{Level: -1, Workers: 8})
	if a.SHA256 != b.SHA256 || fileSHA(t, filepath.Join(out, "a.zip")) != a.SHA256 {
		t.Fatalf("two builds differ: %x vs %x", a.SHA256, b.SHA256)
	}
	// The same tree copied elsewhere, with other mtimes and owners' umask,
	// gives the same bytes.
	copyDir := t.TempDir()
	must(t, exec.Command("cp", "-a", src+"/.", copyDir).Run())
	must(t, os.Chtimes(filepath.Join(copyDir, "handler.py"), time.Now(), time.Now()))
	c := write(t, copyDir, filepath.Join(out, "c.zip"), zipper.Options{Level: -1})
	if c.SHA256 != a.SHA256 {
		t.Fatalf("a copy of the tree zips differently")
	}
	d := write(t, src, filepath.Join(out, "d.zip"), zipper.Options{Level: -1, Modified: time.Unix(1700000000, 0)})
	if d.SHA256 == a.SHA256 {
		t.Fatalf("the timestamp does not reach the zip")
	}
}

func TestReadByInfoZIPAndPython(t *testing.T) {
	src := makeTree(t)
	for _, level := range []int{0, 1, 6, 9} {
		t.Run(fmt.Sprint("level", level), func(t *testing.T) {
			zp := filepath.Join(t.TempDir(), "out.zip")
			res := write(t, src, zp, zipper.Options{Level: level})
			if res.Files != 11 {
				t.Errorf("Files = %d, want 11 (9 files, 2 symlinks)", res.Files)
			}
			unzipTest(t, zp)
			pythonTest(t, zp)
			ext := t.TempDir()
			if out, err := exec.Command("unzip", "-q", zp, "-d", ext).CombinedOutput(); err != nil {
				t.Fatalf("unzip: %v\n%s", err, out)
			}
			compareTrees(t, src, ext)
		})
	}
}

func unzipTest(t *testing.T, zp string) {
	t.Helper()
	out, err := exec.Command("unzip", "-t", zp).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No errors detected") {
		t.Fatalf("unzip -t %s: %v\n%s", zp, err, out)
	}
	if strings.Contains(strings.ToLower(string(out)), "warning") {
		t.Fatalf("unzip -t warns:\n%s", out)
	}
}

func pythonTest(t *testing.T, zp string) {
	t.Helper()
	script := `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad: sys.exit("bad entry: " + bad)
    print(len(z.infolist()))
`
	out, err := exec.Command("python3", "-c", script, zp).CombinedOutput()
	if err != nil {
		t.Fatalf("python zipfile: %v\n%s", err, out)
	}
}

type node struct {
	mode fs.FileMode
	data string
}

func readTree(t *testing.T, dir string) map[string]node {
	t.Helper()
	m := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n := node{mode: fi.Mode()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			n.data = "-> " + l
			n.mode = fs.ModeSymlink
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			n.data = fmt.Sprintf("%x", sha256.Sum256(b))
			// The zip stores 0755 for anything executable, else 0644.
			n.mode = 0o644
			if fi.Mode()&0o111 != 0 {
				n.mode = 0o755
			}
		case fi.IsDir():
			n.mode = fs.ModeDir
		}
		m[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func compareTrees(t *testing.T, want, got string) {
	t.Helper()
	w, g := readTree(t, want), readTree(t, got)
	for p, n := range w {
		if g[p] != n {
			t.Errorf("%s: extracted %v, source %v", p, g[p], n)
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			t.Errorf("%s: extracted, not in the source", p)
		}
	}
}

func TestStoredModes(t *testing.T) {
	src := makeTree(t)
	zp := filepath.Join(t.TempDir(), "out.zip")
	write(t, src, zp, zipper.Options{Level: -1})
	zr, err := zip.OpenReader(zp)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]fs.FileMode{
		"bin/tool":        0o755,
		"handler.py":      0o644,
		"empty-dir/":      fs.ModeDir | 0o755,
		"lib/libbig.so.1": fs.ModeSymlink | 0o777,
		"data/noise.bin":  0o644,
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if m, ok := want[f.Name]; ok && f.Mode() != m {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), m)
		}
		if len(f.Extra) != 0 {
			t.Errorf("%s: extra field %x; a deterministic zip carries none", f.Name, f.Extra)
		}
		if !f.Modified.Equal(epoch) && f.Modified.Format(time.DateTime) != "1980-01-01 00:00:00" {
			t.Errorf("%s: modified %v", f.Name, f.Modified)
		}
		if f.Name == "data/photo.jpg" && f.Method != zip.Store {
			t.Errorf("jpeg deflated; want stored")
		}
		if f.Name == "data/noise.bin" && f.Method != zip.Store {
			t.Errorf("random bytes deflated; want stored, since deflate cannot shrink them")
		}
	}
	if got := strings.Join(names, " "); !strings.HasPrefix(got, "bin/ bin/tool data/ data/noise.bin") {
		t.Errorf("entries not sorted: %s", got)
	}
}

func TestCacheReuseIsByteIdentical(t *testing.T) {
	src := makeTree(t)
	out := t.TempDir()
	cache := filepath.Join(out, ".cache")
	zp := filepath.Join(out, "main.zip")
	cold := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache})
	if cold.Reused != 0 {
		t.Fatalf("cold build reused %d files", cold.Reused)
	}
	before, err := os.Stat(zp)
	must(t, err)
	warm := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache})
	if warm.Reused != 9 || warm.SHA256 != cold.SHA256 {
		t.Fatalf("warm build: reused %d of 9 files, same bytes %v", warm.Reused, warm.SHA256 == cold.SHA256)
	}
	// Nothing changed: the zip is kept as it is, not written again.
	after, err := os.Stat(zp)
	must(t, err)
	if cold.Unchanged || !warm.Unchanged || !os.SameFile(before, after) || warm.Entries != cold.Entries ||
		warm.Files != cold.Files || warm.UnzippedBytes != cold.UnzippedBytes || warm.ZippedBytes != cold.ZippedBytes {
		t.Fatalf("unchanged tree: cold %+v, warm %+v, same file %v", cold, warm, os.SameFile(before, after))
	}
	// Another timestamp is another zip.
	if r := write(t, src, filepath.Join(out, "other-time.zip"), zipper.Options{Level: -1, Modified: epoch.AddDate(1, 0, 0), CacheDir: cache}); r.Unchanged || r.SHA256 == cold.SHA256 {
		t.Fatalf("another timestamp gave the same zip")
	}
	// A zip damaged in place, size and mtime kept, lends nothing: its
	// change time no longer matches the index.
	f, err := os.OpenFile(zp, os.O_RDWR, 0)
	must(t, err)
	_, err = f.WriteAt([]byte{0xff, 0xff, 0xff, 0xff}, before.Size()/2)
	must(t, err)
	must(t, f.Close())
	must(t, os.Chtimes(zp, before.ModTime(), before.ModTime()))
	if r := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache}); r.Unchanged || r.Reused != 0 || r.SHA256 != cold.SHA256 {
		t.Fatalf("damaged zip: unchanged %v, reused %d, same as cold %v", r.Unchanged, r.Reused, r.SHA256 == cold.SHA256)
	}
	// Change one file: it alone is compressed again, and the result is the
	// zip a cold build of the new tree gives.
	must(t, os.WriteFile(filepath.Join(src, "handler.py"), []byte("changed\n"), 0o644))
	warm2 := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache})
	cold2 := write(t, src, filepath.Join(out, "cold2.zip"), zipper.Options{Level: -1})
	if warm2.Reused != 8 || warm2.SHA256 != cold2.SHA256 {
		t.Fatalf("after a change: reused %d of 8, same as cold %v", warm2.Reused, warm2.SHA256 == cold2.SHA256)
	}
	// Another level invalidates the cache.
	if r := write(t, src, zp, zipper.Options{Level: 1, CacheDir: cache}); r.Reused != 0 {
		t.Fatalf("level change reused %d files", r.Reused)
	}
	// A zip replaced behind the cache's back is not trusted.
	write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache})
	must(t, os.WriteFile(zp, []byte("not the zip the index describes"), 0o644))
	if r := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache}); r.Reused != 0 || r.SHA256 != cold2.SHA256 {
		t.Fatalf("replaced zip: reused %d", r.Reused)
	}
}

// TestFailureLeavesNothing checks that a failed or cancelled write leaves the
// destination as it was and no temporary file.
func TestFailureLeavesNothing(t *testing.T) {
	src := makeTree(t)
	entries, _, err := split.Scan(context.Background(), src, keepAll)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := os.OpenRoot(src)
	defer root.Close()
	out := t.TempDir()
	zp := filepath.Join(out, "main.zip")
	must(t, os.WriteFile(zp, []byte("previous build"), 0o644))

	// A file that grows after planning.
	must(t, os.WriteFile(filepath.Join(src, "lib/libbig.so.1.2"), bytes.Repeat([]byte("z"), 5<<20), 0o644))
	_, err = zipper.WriteFile(t.Context(), zp, root, entries, zipper.Options{Level: -1})
	var pe *zipper.PathError
	if !errors.Is(err, zipper.ErrChanged) || !errors.As(err, &pe) || pe.Name != "lib/libbig.so.1.2" {
		t.Fatalf("WriteFile after a change = %v, want ErrChanged naming lib/libbig.so.1.2", err)
	}
	// A cancelled context.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := zipper.WriteFile(ctx, zp, root, entries, zipper.Options{Level: -1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled WriteFile = %v", err)
	}
	// An unreadable file (root can read anything, so remove it instead).
	must(t, os.Remove(filepath.Join(src, "handler.py")))
	if _, err := zipper.WriteFile(t.Context(), zp, root, entries, zipper.Options{Level: -1}); !errors.As(err, &pe) || pe.Name != "handler.py" {
		t.Fatalf("missing file: %v", err)
	}
	got, _ := os.ReadFile(zp)
	if string(got) != "previous build" {
		t.Fatalf("destination changed to %d bytes", len(got))
	}
	ls, _ := os.ReadDir(out)
	if len(ls) != 1 {
		t.Fatalf("leftovers in the output folder: %v", ls)
	}
}

func TestZip64ManyEntries(t *testing.T) {
	// 70,000 folder entries need no files on disk and pass the 65,535
	// entries a plain end record can count.
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("hello"), 0o644))
	root, _ := os.OpenRoot(src)
	defer root.Close()
	entries := []zipper.Entry{{Name: "a.txt", Type: zipper.TypeFile, Size: 5, Source: "a.txt"}}
	for i := range 70_000 {
		entries = append(entries, zipper.Entry{Name: fmt.Sprintf("d%06d", i), Type: zipper.TypeDir})
	}
	zp := filepath.Join(t.TempDir(), "many.zip")
	res, err := zipper.WriteFile(t.Context(), zp, root, entries, zipper.Options{Level: -1, Modified: epoch})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 70_001 {
		t.Fatalf("Entries = %d", res.Entries)
	}
	unzipTest(t, zp)
	out, err := exec.Command("python3", "-c", "import sys,zipfile; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))", zp).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "70001" {
		t.Fatalf("python reads %s entries (%v)", out, err)
	}
	zr, err := zip.OpenReader(zp)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, _ := zr.File[0].Open()
	b, _ := io.ReadAll(rc)
	if string(b) != "hello" {
		t.Fatalf("a.txt = %q", b)
	}
}

// TestZip64LargeFile writes a sparse file over 4 GiB. It takes about half a
// minute, so it runs only with LAYERKIT_LARGE_TESTS=1 (.ci/run sets it).
func TestZip64LargeFile(t *testing.T) {
	if os.Getenv("LAYERKIT_LARGE_TESTS") == "" {
		t.Skip("set LAYERKIT_LARGE_TESTS=1 to write a 4.1 GiB file")
	}
	src := t.TempDir()
	const size = 4<<30 + 12345
	f, err := os.Create(filepath.Join(src, "huge.bin"))
	must(t, err)
	must(t, f.Truncate(size))
	_, err = f.WriteAt([]byte("the end"), size-7)
	must(t, err)
	must(t, f.Close())
	zp := filepath.Join(t.TempDir(), "huge.zip")
	write(t, src, zp, zipper.Options{Level: 1})
	unzipTest(t, zp)
	pythonTest(t, zp)
}

// TestBigFilePatchedHeader writes two files too big to hold, with others
// around them: their headers are patched after their data, and the zip's
// hash catches up each time.
func TestBigFilePatchedHeader(t *testing.T) {
	src := t.TempDir()
	for name, size := range map[string]int{"big1.txt": 10 << 20, "big2.txt": 12<<20 + 7} {
		var b bytes.Buffer
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, "line %d of %s, %x\n", i, name, i*2654435761)
		}
		must(t, os.WriteFile(filepath.Join(src, name), b.Bytes()[:size], 0o644))
	}
	must(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("before the big ones"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "big1x.txt"), []byte("between them"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "small.txt"), []byte("after the big ones"), 0o644))
	zp := filepath.Join(t.TempDir(), "big.zip")
	res := write(t, src, zp, zipper.Options{Level: 1})
	if res.SHA256 != fileSHA(t, zp) {
		t.Fatalf("Result.SHA256 is not the hash of the file on disk")
	}
	unzipTest(t, zp)
	pythonTest(t, zp)
	again := write(t, src, filepath.Join(t.TempDir(), "again.zip"), zipper.Options{Level: 1, Workers: 1})
	if again.SHA256 != res.SHA256 {
		t.Fatalf("not deterministic across worker counts")
	}
}

// TestMemoryBounded writes a tree made to fill every buffer the writer
// has: incompressible files of one chunk (held as read until written), small
// random files, files just small enough to be held whole, and one streamed.
// The Go heap in use, sampled while it runs, must stay within the budget
// that keeps a build's peak memory under 200 MB whatever the tree.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 150 MB")
	}
	src := t.TempDir()
	r := rand.New(rand.NewPCG(3, 3))
	random := func(name string, n int) {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		must(t, os.WriteFile(filepath.Join(src, name), b, 0o644))
	}
	for i := range 60 {
		random(fmt.Sprintf("one-chunk-%02d.bin", i), 1<<20)
	}
	for i := range 200 {
		random(fmt.Sprintf("small-%03d.dat", i), 60<<10)
	}
	random("held-1.bin", 8<<20)
	random("held-2.bin", 8<<20-1)
	random("streamed.bin", 40<<20)

	const budget = 80 << 20
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	write(t, src, filepath.Join(t.TempDir(), "m.zip"), zipper.Options{Level: 1})
	close(stop)
	<-sampled
	t.Logf("peak heap in use %d MiB", peak>>20)
	if peak > budget {
		t.Errorf("peak heap in use %d MiB, budget %d MiB", peak>>20, budget>>20)
	}
}

// TestCacheIndexDamaged: an index edited by hand or cut short is never
// trusted, whatever it says; the zip is written as a cold build would.
func TestCacheIndexDamaged(t *testing.T) {
	src := makeTree(t)
	out := t.TempDir()
	cache := filepath.Join(out, ".cache")
	zp := filepath.Join(out, "main.zip")
	cold := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache})
	ixPath := filepath.Join(cache, "main.zip.index.json")
	good, err := os.ReadFile(ixPath)
	must(t, err)
	for name, damage := range map[string]func(string) string{
		"long hash": func(s string) string { return strings.Replace(s, `"sha256":"`, `"sha256":"abcd`, 1) },
		"bad hash": func(s string) string {
			i := strings.Index(s, `"sha256":"`) + len(`"sha256":"`)
			return s[:i] + "zz" + s[i+2:]
		},
		"cut short":  func(s string) string { return s[:len(s)/2] },
		"no version": func(s string) string { return strings.Replace(s, `"version":"`, `"version":"x`, 1) },
	} {
		must(t, os.WriteFile(ixPath, []byte(damage(string(good))), 0o644))
		r := write(t, src, zp, zipper.Options{Level: -1, CacheDir: cache})
		if r.SHA256 != cold.SHA256 || r.SHA256 != fileSHA(t, zp) {
			t.Errorf("%s: the zip differs from a cold build's, or the result from the file", name)
		}
		if r.Unchanged {
			t.Errorf("%s: trusted a damaged index", name)
		}
	}
}

// TestStageLeavesDestinationUntilCommit stages a zip over an existing one:
// the destination is untouched until Commit, the staged file carries a
// name atomicfile.IsTemp recognises, and Discard removes it.
func TestStageLeavesDestinationUntilCommit(t *testing.T) {
	src := makeTree(t)
	entries, _, err := split.Scan(t.Context(), src, keepAll)
	must(t, err)
	root, err := os.OpenRoot(src)
	must(t, err)
	defer root.Close()
	outDir := t.TempDir()
	out, err := os.OpenRoot(outDir)
	must(t, err)
	defer out.Close()
	must(t, os.WriteFile(filepath.Join(outDir, "main.zip"), []byte("previous build"), 0o644))
	staged := func() []string {
		var names []string
		ls, _ := os.ReadDir(outDir)
		for _, e := range ls {
			if e.Name() != "main.zip" {
				names = append(names, e.Name())
			}
		}
		return names
	}
	d := zipper.Dest{Dir: out, Name: "main.zip"}
	for _, keep := range []bool{false, true} {
		s, err := zipper.Stage(t.Context(), d, root, entries, zipper.Options{Level: -1, Modified: epoch})
		must(t, err)
		if got, _ := os.ReadFile(filepath.Join(outDir, "main.zip")); string(got) != "previous build" {
			t.Fatalf("the destination changed before Commit")
		}
		if names := staged(); len(names) != 1 || !atomicfile.IsTemp(names[0]) {
			t.Fatalf("staged as %v, want one temporary file", names)
		}
		if !keep {
			must(t, s.Discard())
			if names := staged(); len(names) != 0 {
				t.Fatalf("left after Discard: %v", names)
			}
			continue
		}
		must(t, s.Commit())
		must(t, s.Discard()) // after Commit, a no-op
		if got := fileSHA(t, filepath.Join(outDir, "main.zip")); got != s.Result.SHA256 {
			t.Errorf("the committed zip is not the one staged")
		}
		if names := staged(); len(names) != 0 {
			t.Fatalf("left after Commit: %v", names)
		}
	}
}
