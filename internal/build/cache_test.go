package build_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/build"
)

// TestSharedCacheFreshCheckout builds the example, then a fresh copy of it
// (new inodes and mtimes, no output folder) with the same cache folder:
// every file comes from the cache, and the zips are a cold build's.
func TestSharedCacheFreshCheckout(t *testing.T) {
	cache := t.TempDir()
	dir := example(t)
	cold := run(t, dir, func(o *build.Options) { o.NoCache = true; o.Out = filepath.Join(t.TempDir(), "cold") })
	first := run(t, dir, func(o *build.Options) { o.CacheDir = cache })
	if first.Cached != 0 {
		t.Fatalf("first build: %d files cached", first.Cached)
	}
	fresh := t.TempDir()
	if err := exec.Command("cp", "-R", dir+"/.", fresh).Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(fresh, "dist")); err != nil {
		t.Fatal(err)
	}
	again := run(t, fresh, func(o *build.Options) { o.CacheDir = cache })
	files := 0
	for i, a := range again.Manifest.Artifacts {
		files += a.Files
		if a.SHA256 != cold.Manifest.Artifacts[i].SHA256 {
			t.Errorf("%s differs from the cold build's", a.Path)
		}
	}
	if again.Cached == 0 || again.Cached != again.Reused {
		t.Fatalf("fresh checkout: %d files cached, %d reused", again.Cached, again.Reused)
	}
	// --no-cache reads nothing from the cache.
	none := run(t, fresh, func(o *build.Options) { o.CacheDir = cache; o.NoCache = true })
	if none.Cached != 0 || none.Reused != 0 {
		t.Fatalf("--no-cache: %d cached, %d reused", none.Cached, none.Reused)
	}
	if _, err := os.Stat(filepath.Join(cache, build.StoreDir)); err != nil {
		t.Fatal(err)
	}
}

// TestSharedCacheUnusable: a cache folder that cannot be made is a
// warning, and the build goes on without it.
func TestSharedCacheUnusable(t *testing.T) {
	dir := example(t)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := run(t, dir, func(o *build.Options) { o.Out = filepath.Join(t.TempDir(), "base") })
	res := run(t, dir, func(o *build.Options) { o.CacheDir = blocker })
	if len(res.Warnings) != len(base.Warnings)+1 {
		t.Fatalf("warnings %q, want one more than %q", res.Warnings, base.Warnings)
	}
}
