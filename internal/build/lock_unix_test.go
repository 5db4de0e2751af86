//go:build unix

package build_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/build"
)

// TestSecondBuildIntoOneFolderFails holds the output folder's lock as a
// running build does: a build into the same folder must fail at once with
// ErrBusy, leave the first build's output as it was, and succeed once the
// lock is released.
func TestSecondBuildIntoOneFolderFails(t *testing.T) {
	dir := twoLayers(t)
	out := filepath.Join(dir, "dist")
	if _, err := tryBuild(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(out, build.LockFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("the build left no lock file: %v", err)
	}
	defer f.Close()
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	before := tree(t, out)
	must(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte("x = 2\n"), 0o644))
	_, err = tryBuild(t, dir, nil)
	if !errors.Is(err, build.ErrBusy) || !strings.Contains(err.Error(), out) {
		t.Fatalf("build into a locked folder: %v, want ErrBusy naming %s", err, out)
	}
	if after := tree(t, out); after != before {
		t.Errorf("a refused build changed the output folder:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_UN))
	if _, err := tryBuild(t, dir, nil); err != nil {
		t.Fatalf("build after the lock was released: %v", err)
	}
	checkConsistent(t, out)
}
