package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestBuildCacheDir: a second checkout of the project, built with the
// first one's --cache-dir (or LAYERKIT_CACHE_DIR), takes every file from
// the cache and writes the same zips.
func TestBuildCacheDir(t *testing.T) {
	cache := t.TempDir()
	build := func(env map[string]string, args ...string) buildReport {
		t.Helper()
		r := runCLI(t, env, append([]string{"build", example(t), "--format", "json"}, args...)...)
		var rep buildReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
			t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
		}
		return rep
	}
	first := build(nil, "--cache-dir", cache)
	if first.Cached != 0 {
		t.Fatalf("first build: %d files cached", first.Cached)
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"--cache-dir", cache}},
		{map[string]string{"LAYERKIT_CACHE_DIR": cache}, nil},
	} {
		rep := build(c.env, c.args...)
		if rep.Cached != rep.Reused || rep.Cached == 0 {
			t.Fatalf("%v %v: %d files cached, %d reused", c.env, c.args, rep.Cached, rep.Reused)
		}
		for i, a := range rep.Manifest.Artifacts {
			if a.SHA256 != first.Manifest.Artifacts[i].SHA256 {
				t.Errorf("%s differs from the first build's", a.Path)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "zip")); err != nil {
		t.Fatal(err)
	}
	// A bound smaller than any pack leaves none after the build.
	small := t.TempDir()
	build(map[string]string{"LAYERKIT_CACHE_MAX": "1"}, "--cache-dir", small)
	if packs, _ := filepath.Glob(filepath.Join(small, "zip", "*.pack")); len(packs) != 0 {
		t.Fatalf("LAYERKIT_CACHE_MAX=1 kept %v", packs)
	}
	if packs, _ := filepath.Glob(filepath.Join(cache, "zip", "*.pack")); len(packs) == 0 {
		t.Fatalf("no pack in %s", cache)
	}
	for _, v := range []string{"lots", "0"} {
		r := runCLI(t, map[string]string{"LAYERKIT_CACHE_MAX": v}, "build", example(t))
		if r.code != ExitUsage {
			t.Fatalf("LAYERKIT_CACHE_MAX=%s: exit %d, %s", v, r.code, r.stderr)
		}
	}
}
