package fstree

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func walk(t *testing.T, tr Tree) []string {
	t.Helper()
	var got []string
	err := tr.Walk(t.Context(), func(e Entry) error {
		s := e.Path
		switch {
		case e.Type == TypeDir:
			s += "/"
		case e.Type == TypeSymlink:
			s += " -> " + e.Link
		case e.Special != "":
			s += " (" + e.Special + ")"
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.MkdirAll(filepath.Join(real, "python", ".git"), 0o755)
	os.WriteFile(filepath.Join(real, "python", "x.py"), []byte("hello"), 0o755)
	os.Symlink("python/x.py", filepath.Join(real, "l"))
	if err := syscall.Mkfifo(filepath.Join(real, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	os.Symlink("real", filepath.Join(dir, "link"))
	d, err := OpenDir(filepath.Join(dir, "link")) // the root's own link is followed
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"l -> python/x.py", "pipe (a named pipe (FIFO))", "python/", "python/x.py"}
	if got := walk(t, d); !slices.Equal(got, want) {
		t.Errorf("walk = %q, want %q", got, want)
	}
	f, err := d.Open("python/x.py")
	if err != nil {
		t.Fatal(err)
	}
	size, exec, _ := f.Stat()
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" || size != 5 || !exec {
		t.Errorf("read %q, size %d, exec %v", b, size, exec)
	}
	for _, name := range []string{"pipe", "l", "../real/python/x.py"} {
		if _, err := d.Open(name); err == nil {
			t.Errorf("Open(%s) succeeded", name)
		}
	}
	if _, err := d.Open("pipe"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open(pipe) = %v, want ErrNotRegular", err)
	}
	if target, err := d.ReadLink("l"); err != nil || target != "python/x.py" {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	if b, err := ReadRange(d, "python/x.py", 1, 3); err != nil || string(b) != "ell" {
		t.Errorf("ReadRange = %q, %v", b, err)
	}
	if _, err := OpenDir(filepath.Join(real, "python", "x.py")); err == nil {
		t.Error("OpenDir of a file succeeded")
	}
}

func TestZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("python/x.py")
	w.Write([]byte("hello, world"))
	h := &zip.FileHeader{Name: "l"}
	h.SetMode(os.ModeSymlink | 0o777)
	w, _ = zw.CreateHeader(h)
	w.Write([]byte("python/x.py"))
	zw.Close()
	p := filepath.Join(t.TempDir(), "a.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	z, err := OpenZip(p)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if got := walk(t, z); !slices.Equal(got, []string{"python/x.py", "l -> python/x.py"}) {
		t.Errorf("walk = %q", got)
	}
	if z.ArchiveBytes() != int64(buf.Len()) || len(z.Problems()) != 0 {
		t.Errorf("archive %d bytes, problems %v", z.ArchiveBytes(), z.Problems())
	}
	if b, err := ReadRange(z, "python/x.py", 7, 100); err != nil || string(b) != "world" {
		t.Errorf("ReadRange = %q, %v", b, err)
	}
	if e, err := z.Stat("python/x.py"); err != nil || e.Size != 12 {
		t.Errorf("Stat = %+v, %v", e, err)
	}
	if _, err := z.Open("l"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open(link) = %v", err)
	}
	if _, err := z.Open("nope"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(nope) = %v", err)
	}
	fifo := filepath.Join(t.TempDir(), "p.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		if _, err := OpenZip(fifo); !errors.Is(err, ErrNotRegular) {
			t.Errorf("OpenZip(fifo) = %v", err)
		}
	}
}
