package zipper_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
)

// TestRootSourceReads opens every file of a tree with more folders than
// the source keeps handles for, from several goroutines at once and in an
// order that keeps evicting handles, and compares what it reads with the
// files on disk.
func TestRootSourceReads(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for d := range 20 {
		for f := range 3 {
			name := fmt.Sprintf("pkg%02d/sub/mod%d.py", d, f)
			if f == 0 {
				name = fmt.Sprintf("pkg%02d/top.py", d)
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, []byte(name), 0o644))
			names = append(names, name)
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, "handler.py"), []byte("handler.py"), 0o644))
	names = append(names, "handler.py")

	root, err := os.OpenRoot(dir)
	must(t, err)
	defer root.Close()
	src := zipper.NewRootSource(root)
	defer src.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 4*len(names))
	for g := range 4 {
		wg.Go(func() {
			for i := range names {
				// Each goroutine walks the names from its own start, twice.
				for _, name := range []string{names[(i+g*7)%len(names)], names[(len(names)-1-i+g)%len(names)]} {
					f, err := src.Open(name)
					if err != nil {
						errs <- err
						continue
					}
					b, err := io.ReadAll(f)
					f.Close()
					if err != nil || string(b) != name {
						errs <- fmt.Errorf("%s: read %q, %v", name, b, err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRootSourceStaysInside checks that a folder symlink pointing out of
// the root is refused, as os.Root refuses it, and that errors name the
// whole path.
func TestRootSourceStaysInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "src")
	must(t, os.MkdirAll(filepath.Join(dir, "pkg"), 0o755))
	must(t, os.MkdirAll(filepath.Join(base, "outside"), 0o755))
	must(t, os.WriteFile(filepath.Join(base, "outside", "secret"), []byte("s"), 0o644))
	must(t, os.Symlink("../outside", filepath.Join(dir, "out")))
	must(t, os.Symlink("../../outside/secret", filepath.Join(dir, "pkg", "link")))

	root, err := os.OpenRoot(dir)
	must(t, err)
	defer root.Close()
	src := zipper.NewRootSource(root)
	defer src.Close()
	for _, name := range []string{"out/secret", "pkg/link"} {
		if f, err := src.Open(name); err == nil {
			f.Close()
			t.Errorf("%s: opened a file outside the root", name)
		}
	}
	_, err = src.Open("pkg/missing.py")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "pkg/missing.py") {
		t.Errorf("missing file: %v, want not-exist naming pkg/missing.py", err)
	}
}

// TestFIFOSwappedInIsRefused replaces planned files, one at the top and
// one in a folder, with FIFOs no one writes to: the write must fail with
// ErrNotRegular instead of waiting for a writer, and leave nothing behind.
func TestFIFOSwappedInIsRefused(t *testing.T) {
	for _, name := range []string{"top.py", "pkg/mod.py"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, os.MkdirAll(filepath.Join(dir, "pkg"), 0o755))
			for _, n := range []string{"top.py", "pkg/mod.py"} {
				must(t, os.WriteFile(filepath.Join(dir, filepath.FromSlash(n)), []byte("x = 1\n"), 0o644))
			}
			entries, _, err := split.Scan(t.Context(), dir, keepAll)
			must(t, err)
			p := filepath.Join(dir, filepath.FromSlash(name))
			must(t, os.Remove(p))
			if err := mkfifo(p); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			root, err := os.OpenRoot(dir)
			must(t, err)
			defer root.Close()
			src := zipper.NewRootSource(root)
			defer src.Close()
			out := t.TempDir()
			done := make(chan error, 1)
			go func() {
				_, err := zipper.WriteFile(t.Context(), filepath.Join(out, "main.zip"), src, entries, zipper.Options{Level: -1, Modified: epoch})
				done <- err
			}()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				// Release the open so the test can end, then fail.
				if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
					w.Close()
				}
				t.Fatalf("the write blocked on the FIFO %s", name)
			}
			var pe *zipper.PathError
			if !errors.Is(err, zipper.ErrNotRegular) || !errors.As(err, &pe) || pe.Name != name {
				t.Fatalf("write with a FIFO at %s: %v, want ErrNotRegular naming it", name, err)
			}
			if ls, _ := os.ReadDir(out); len(ls) != 0 {
				t.Errorf("left in the output folder: %v", ls)
			}
		})
	}
}
