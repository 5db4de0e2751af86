package zipper_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
)

func writeTarGz(t *testing.T, src string, opts zipper.TarOptions) ([]byte, zipper.TarResult) {
	t.Helper()
	entries, _, err := split.Scan(t.Context(), src, keepAll)
	must(t, err)
	root, err := os.OpenRoot(src)
	must(t, err)
	defer root.Close()
	var b bytes.Buffer
	res, err := zipper.WriteTarGz(t.Context(), &b, []zipper.TarPart{{Src: root, Entries: entries}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), res
}

// TestTarGzReadsBack reads the stream back with Go's gzip (which checks the
// CRC-32 and size in the trailer) and tar readers: every entry under the
// prefix, in order, with normalised owners, modes and times, and each
// file's bytes as on disk; the digests are those of the bytes.
func TestTarGzReadsBack(t *testing.T) {
	src := makeTree(t)
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	gz, res := writeTarGz(t, src, zipper.TarOptions{Prefix: "var/task", Modified: mt, Workers: 3})
	if got := sha256.Sum256(gz); got != res.Digest || int64(len(gz)) != res.Size {
		t.Errorf("Digest/Size = %x/%d, want those of the bytes %x/%d", res.Digest, res.Size, got, len(gz))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	must(t, err)
	tarBytes, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	if got := sha256.Sum256(tarBytes); got != res.DiffID || int64(len(tarBytes)) != res.TarBytes {
		t.Errorf("DiffID/TarBytes = %x/%d, want %x/%d", res.DiffID, res.TarBytes, got, len(tarBytes))
	}
	tr := tar.NewReader(bytes.NewReader(tarBytes))
	var names []string
	files := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(mt) {
			t.Errorf("%s: uid %d gid %d %q %q time %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		rel, ok := bytes.CutPrefix([]byte(h.Name), []byte("var/task/"))
		switch {
		case h.Name == "var/" || h.Name == "var/task/":
			if h.Typeflag != tar.TypeDir || h.Mode != 0o755 {
				t.Errorf("%s: type %c mode %o", h.Name, h.Typeflag, h.Mode)
			}
			continue
		case !ok:
			t.Errorf("%s: not under var/task/", h.Name)
			continue
		}
		p := filepath.Join(src, string(rel))
		switch h.Typeflag {
		case tar.TypeReg:
			files++
			want, err := os.ReadFile(p)
			must(t, err)
			got, err := io.ReadAll(tr)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Errorf("%s: content differs", h.Name)
			}
			wantMode := int64(0o644)
			if string(rel) == "bin/tool" {
				wantMode = 0o755
			}
			if h.Mode != wantMode {
				t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, wantMode)
			}
		case tar.TypeSymlink:
			files++
			want, err := os.Readlink(p)
			must(t, err)
			if h.Linkname != want || h.Mode != 0o777 {
				t.Errorf("%s: link %q mode %o, want %q 777", h.Name, h.Linkname, h.Mode, want)
			}
		case tar.TypeDir:
			if h.Mode != 0o755 {
				t.Errorf("%s: mode %o", h.Name, h.Mode)
			}
		default:
			t.Errorf("%s: type %c", h.Name, h.Typeflag)
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i] <= names[i-1] {
			t.Errorf("entries out of order: %q after %q", names[i], names[i-1])
		}
	}
	if files != res.Files {
		t.Errorf("Files = %d, the tar holds %d", res.Files, files)
	}
	if gzipCmd, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(gzipCmd, "-t")
		cmd.Stdin = bytes.NewReader(gz)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("gzip -t: %v: %s", err, out)
		}
	}
}

// TestTarGzDeterministic: the bytes depend neither on the number of
// workers nor on the run; another timestamp gives other bytes.
func TestTarGzDeterministic(t *testing.T) {
	src := makeTree(t)
	one, _ := writeTarGz(t, src, zipper.TarOptions{Prefix: "opt", Modified: epoch, Workers: 1})
	four, _ := writeTarGz(t, src, zipper.TarOptions{Prefix: "opt", Modified: epoch, Workers: 4})
	again, _ := writeTarGz(t, src, zipper.TarOptions{Prefix: "opt", Modified: epoch, Workers: 4})
	if !bytes.Equal(one, four) || !bytes.Equal(four, again) {
		t.Fatal("the bytes differ between runs or worker counts")
	}
	later, _ := writeTarGz(t, src, zipper.TarOptions{Prefix: "opt", Modified: epoch.Add(time.Hour), Workers: 4})
	if bytes.Equal(one, later) {
		t.Fatal("another timestamp gave the same bytes")
	}
}

// TestTarGzParts: two trees merge into one sorted stream; a folder in both
// is written once, a file in both is ErrDuplicate.
func TestTarGzParts(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, f := range []struct{ dir, name string }{{a, "python/a.py"}, {b, "python/b.py"}, {b, "lib/x.so"}} {
		must(t, os.MkdirAll(filepath.Join(f.dir, filepath.Dir(f.name)), 0o755))
		must(t, os.WriteFile(filepath.Join(f.dir, f.name), []byte(f.name), 0o644))
	}
	scan := func(dir string) zipper.TarPart {
		e, _, err := split.Scan(t.Context(), dir, keepAll)
		must(t, err)
		r, err := os.OpenRoot(dir)
		must(t, err)
		t.Cleanup(func() { r.Close() })
		return zipper.TarPart{Src: r, Entries: e}
	}
	var buf bytes.Buffer
	if _, err := zipper.WriteTarGz(t.Context(), &buf, []zipper.TarPart{scan(a), scan(b)}, zipper.TarOptions{Modified: epoch}); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	must(t, err)
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		got = append(got, h.Name)
	}
	want := []string{"lib/", "lib/x.so", "python/", "python/a.py", "python/b.py"}
	if len(got) != len(want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("entries %q, want %q", got, want)
		}
	}

	must(t, os.WriteFile(filepath.Join(b, "python/a.py"), []byte("other"), 0o644))
	_, err = zipper.WriteTarGz(t.Context(), io.Discard, []zipper.TarPart{scan(a), scan(b)}, zipper.TarOptions{Modified: epoch})
	if !errors.Is(err, zipper.ErrDuplicate) {
		t.Fatalf("a file in both trees: err = %v, want ErrDuplicate", err)
	}
}

// TestTarGzChangedFile: a file whose size changed since it was planned
// fails the write with ErrChanged.
func TestTarGzChangedFile(t *testing.T) {
	src := makeTree(t)
	entries, _, err := split.Scan(t.Context(), src, keepAll)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(src, "handler.py"), []byte("shorter"), 0o644))
	root, err := os.OpenRoot(src)
	must(t, err)
	defer root.Close()
	_, err = zipper.WriteTarGz(t.Context(), io.Discard, []zipper.TarPart{{Src: root, Entries: entries}}, zipper.TarOptions{Modified: epoch})
	var pe *zipper.PathError
	if !errors.Is(err, zipper.ErrChanged) || !errors.As(err, &pe) || pe.Name != "handler.py" {
		t.Fatalf("err = %v, want ErrChanged about handler.py", err)
	}
}

// TestTarGzCancelled: a cancelled context ends the write with its error.
func TestTarGzCancelled(t *testing.T) {
	src := makeTree(t)
	entries, _, err := split.Scan(t.Context(), src, keepAll)
	must(t, err)
	root, err := os.OpenRoot(src)
	must(t, err)
	defer root.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = zipper.WriteTarGz(ctx, io.Discard, []zipper.TarPart{{Src: root, Entries: entries}}, zipper.TarOptions{Modified: epoch})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
