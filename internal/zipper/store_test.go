package zipper_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
)

// treeFiles is how many files (symlinks aside) makeTree writes.
const treeFiles = 9

func openStore(t *testing.T, dir string) *zipper.Store {
	t.Helper()
	st, err := zipper.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// writeStored writes src with a store opened on dir for this one build.
func writeStored(t *testing.T, dir, src, dst string, opts zipper.Options) zipper.Result {
	t.Helper()
	opts.Store = openStore(t, dir)
	defer opts.Store.Close()
	return write(t, src, dst, opts)
}

// freshCopy copies src as a fresh checkout would: new inodes, new mtimes.
func freshCopy(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	must(t, exec.Command("cp", "-R", src+"/.", dst).Run())
	return dst
}

func packs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStoreReusesByContent(t *testing.T) {
	src, out, store := makeTree(t), t.TempDir(), t.TempDir()
	for _, level := range []int{-1, 0, 9} {
		cold := write(t, src, filepath.Join(out, "cold.zip"), zipper.Options{Level: level})
		first := writeStored(t, store, src, filepath.Join(out, "first.zip"), zipper.Options{Level: level})
		if first.Cached != 0 || first.SHA256 != cold.SHA256 {
			t.Fatalf("level %d: first build: %d cached, same bytes as cold: %t", level, first.Cached, first.SHA256 == cold.SHA256)
		}
		again := writeStored(t, store, freshCopy(t, src), filepath.Join(out, "again.zip"), zipper.Options{Level: level, Workers: 1})
		if again.Cached != treeFiles || again.SHA256 != cold.SHA256 {
			t.Fatalf("level %d: fresh copy: %d of %d files cached, same bytes as cold: %t", level, again.Cached, treeFiles, again.SHA256 == cold.SHA256)
		}
		if got := fileSHA(t, filepath.Join(out, "again.zip")); got != cold.SHA256 {
			t.Fatalf("level %d: the zip's bytes are not its Result's", level)
		}
	}
	// Three levels (level -1 is 6), three packs: a level never reuses
	// another's bytes.
	if got := len(packs(t, store)); got != 3 {
		t.Fatalf("%d packs, want 3", got)
	}
}

func TestStoreChangedFileCompressedAgain(t *testing.T) {
	src, out, store := makeTree(t), t.TempDir(), t.TempDir()
	writeStored(t, store, src, filepath.Join(out, "first.zip"), zipper.Options{Level: -1})
	fresh := freshCopy(t, src)
	must(t, os.WriteFile(filepath.Join(fresh, "handler.py"), []byte("def handler(e, c):\n    return 2\n"), 0o644))
	cold := write(t, fresh, filepath.Join(out, "cold.zip"), zipper.Options{Level: -1})
	got := writeStored(t, store, fresh, filepath.Join(out, "again.zip"), zipper.Options{Level: -1})
	if got.Cached != treeFiles-1 || got.SHA256 != cold.SHA256 {
		t.Fatalf("%d cached, want %d; same bytes as cold: %t", got.Cached, treeFiles-1, got.SHA256 == cold.SHA256)
	}
	// The changed file went into a pack of its own.
	if n := len(packs(t, store)); n != 2 {
		t.Fatalf("%d packs, want 2", n)
	}
}

// TestStoreDamagedEntry damages the packs' data, then their index: the
// build notices, compresses the files again and writes a cold build's
// bytes.
func TestStoreDamagedEntry(t *testing.T) {
	src, out := makeTree(t), t.TempDir()
	cold := write(t, src, filepath.Join(out, "cold.zip"), zipper.Options{Level: -1})
	for _, where := range []string{"data", "index"} {
		t.Run(where, func(t *testing.T) {
			store := t.TempDir()
			writeStored(t, store, src, filepath.Join(out, "first.zip"), zipper.Options{Level: -1})
			p := packs(t, store)[0]
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			switch where {
			case "data": // one byte in every 4 KiB of data
				for i := 100; i < len(b)-32-treeFiles*54; i += 4096 {
					b[i] ^= 0x55
				}
			case "index": // a size in the first record
				b[len(b)-32-treeFiles*54+24] ^= 1
			}
			must(t, os.WriteFile(p, b, 0o644))
			got := writeStored(t, store, freshCopy(t, src), filepath.Join(out, "again.zip"), zipper.Options{Level: -1})
			if got.SHA256 != cold.SHA256 || fileSHA(t, filepath.Join(out, "again.zip")) != cold.SHA256 {
				t.Fatalf("a damaged cache reached the zip (%d files cached)", got.Cached)
			}
			if got.Cached > treeFiles-3 {
				t.Fatalf("%d files cached from a damaged pack", got.Cached)
			}
		})
	}
}

// TestStoreTrimLeastRecentlyUsed: the pack a build read is kept, the
// other one goes.
func TestStoreTrimLeastRecentlyUsed(t *testing.T) {
	a, b, out, store := makeTree(t), t.TempDir(), t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(b, "other.py"), bytes.Repeat([]byte("y = 2\n"), 5000), 0o644))
	writeStored(t, store, a, filepath.Join(out, "a.zip"), zipper.Options{Level: -1})
	packA := packs(t, store)[0]
	writeStored(t, store, b, filepath.Join(out, "b.zip"), zipper.Options{Level: -1})
	old := time.Now().Add(-time.Hour)
	for _, p := range packs(t, store) {
		must(t, os.Chtimes(p, old, old))
		old = old.Add(time.Minute)
	}
	if got := writeStored(t, store, freshCopy(t, a), filepath.Join(out, "a2.zip"), zipper.Options{Level: -1}); got.Cached != treeFiles {
		t.Fatalf("%d files cached, want %d", got.Cached, treeFiles)
	}
	fi, err := os.Stat(packA)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, store)
	defer st.Close()
	must(t, st.Trim(fi.Size()))
	if got := packs(t, store); len(got) != 1 || got[0] != packA {
		t.Fatalf("after trimming: %v, want only %s", got, packA)
	}
}

// TestStoreFilledFromPreviousZip: files the previous zip lends (same
// machine, unchanged) go into a store that lacks them, so a fresh
// checkout later finds them.
func TestStoreFilledFromPreviousZip(t *testing.T) {
	src, out := makeTree(t), t.TempDir()
	cache := filepath.Join(out, ".cache")
	dst := filepath.Join(out, "main.zip")
	writeStored(t, t.TempDir(), src, dst, zipper.Options{Level: -1, CacheDir: cache})
	store := t.TempDir()
	// Another timestamp: every file comes from the previous zip.
	res := writeStored(t, store, src, dst, zipper.Options{Level: -1, CacheDir: cache, Modified: epoch.Add(time.Hour)})
	if res.Reused != treeFiles || res.Cached != 0 {
		t.Fatalf("reused %d (%d by content), want %d from the previous zip", res.Reused, res.Cached, treeFiles)
	}
	got := writeStored(t, store, freshCopy(t, src), filepath.Join(out, "fresh.zip"), zipper.Options{Level: -1})
	if got.Cached != treeFiles {
		t.Fatalf("%d files cached, want %d", got.Cached, treeFiles)
	}
}

// TestStoreSharedByProcesses runs builds in two processes at once on one
// store, trimming it to almost nothing as they go: every zip each writes
// is a cold build's, and the store stays readable.
func TestStoreSharedByProcesses(t *testing.T) {
	if os.Getenv("LAYERKIT_STORE_CHILD") == "" {
		t.Skip("run by TestStoreConcurrentBuilds")
	}
	src, store, want := os.Getenv("LAYERKIT_STORE_SRC"), os.Getenv("LAYERKIT_STORE_DIR"), os.Getenv("LAYERKIT_STORE_WANT")
	out := t.TempDir()
	for i := range 6 {
		st := openStore(t, store)
		res := write(t, src, filepath.Join(out, "main.zip"), zipper.Options{Level: -1, Store: st})
		if i%2 == 1 {
			must(t, st.Trim(1))
		}
		must(t, st.Close())
		if got := hex.EncodeToString(res.SHA256[:]); got != want {
			t.Fatalf("build %d: %s, want the cold build's %s", i, got, want)
		}
		t.Logf("build %d: %d cached", i, res.Cached)
	}
}

func TestStoreConcurrentBuilds(t *testing.T) {
	src, out, store := makeTree(t), t.TempDir(), t.TempDir()
	cold := write(t, src, filepath.Join(out, "cold.zip"), zipper.Options{Level: -1})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([][]byte, 2)
	for i := range errs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStoreSharedByProcesses$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "LAYERKIT_STORE_CHILD=1", "LAYERKIT_STORE_SRC="+freshCopy(t, src),
				"LAYERKIT_STORE_DIR="+store, "LAYERKIT_STORE_WANT="+hex.EncodeToString(cold.SHA256[:]))
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || !strings.Contains(string(outs[i]), "--- PASS: TestStoreSharedByProcesses") {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	got := writeStored(t, store, freshCopy(t, src), filepath.Join(out, "after.zip"), zipper.Options{Level: -1})
	if got.SHA256 != cold.SHA256 {
		t.Fatalf("after the shared builds the zip differs from a cold build")
	}
}

// TestStoreSaveFails: a store that cannot be written to (its folder gone)
// costs the zip nothing: it is complete and in place, and the error says
// only the store's save failed.
func TestStoreSaveFails(t *testing.T) {
	src, out := makeTree(t), t.TempDir()
	cold := write(t, src, filepath.Join(out, "cold.zip"), zipper.Options{Level: -1})
	dir := filepath.Join(t.TempDir(), "store")
	st := openStore(t, dir)
	defer st.Close()
	must(t, os.RemoveAll(dir))
	entries, _, err := split.Scan(t.Context(), src, keepAll)
	must(t, err)
	root, err := os.OpenRoot(src)
	must(t, err)
	defer root.Close()
	dst := filepath.Join(out, "main.zip")
	res, err := zipper.WriteFile(t.Context(), dst, zipper.NewRootSource(root), entries, zipper.Options{Level: -1, Modified: epoch, Store: st})
	if !errors.Is(err, zipper.ErrStoreSave) {
		t.Fatalf("got %v, want ErrStoreSave", err)
	}
	if res.SHA256 != cold.SHA256 || fileSHA(t, dst) != cold.SHA256 {
		t.Fatalf("the zip is not the cold build's")
	}
}
