package lint

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"debug/elf"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// A layer whose lib/ is a symlink to lib64/ serves its libraries through
// the link, as Lambda's loader finds them.
func TestLibraryThroughSymlinkedFolder(t *testing.T) {
	got := ruleSet(checkLayer(t, map[string]string{
		"python/pkg/libneeds.so":     "@libneeds-x86_64.so",
		"lib":                        "->lib64",
		"lib64/libmissing.so.1":      "@libanswer-x86_64.so",
		"python/pkg/deeper/link.txt": "->../../../lib/libmissing.so.1",
	}, "python3.12-x86_64"))
	if len(got) != 0 {
		t.Errorf("findings = %q, want none", got)
	}
	// The same layer without the link still misses the library.
	got = ruleSet(checkLayer(t, map[string]string{
		"python/pkg/libneeds.so": "@libneeds-x86_64.so",
		"lib64/libmissing.so.1":  "@libanswer-x86_64.so",
	}, "python3.12-x86_64"))
	if !slices.Equal(got, []string{"LK120 python/pkg/libneeds.so", "LK151 lib64"}) {
		t.Errorf("without the link: findings = %q", got)
	}
}

func TestLookupResolvesComponentByComponent(t *testing.T) {
	a := load(t, tree(t, map[string]string{
		"lib":           "->lib64",
		"lib64/libx.so": "x",
		"up":            "->lib/../lib64/libx.so",
		"loop":          "->loop",
		"file":          "x",
		"abs":           "->/opt/lib/libx.so",
	}), layers.KindLayer)
	v := newVFS(&Bundle{Mounts: layerMounts(a)})
	for p, want := range map[string]bool{
		"/opt/lib/libx.so":          true,
		"/opt/lib64/../lib/libx.so": true,
		"/opt/up":                   true,
		"/opt/abs":                  true,
		"/opt/loop":                 false,
		"/opt/file/x":               false,
		"/opt/lib/nope.so":          false,
		"/../opt/lib/libx.so":       true,
	} {
		if _, ok := v.lookup(p); ok != want {
			t.Errorf("lookup(%s) = %v, want %v", p, ok, want)
		}
	}
}

// Symlinks that leave the tree only once resolved against the tree's other
// links, or through a NUL that ends the target early, escape all the same.
func TestSymlinkEscapesThroughLinks(t *testing.T) {
	chain := ""
	for range 10 {
		chain += "d1/d2/b/"
	}
	for range 31 {
		chain += "../"
	}
	chain += "etc/passwd" // lexically python/etc/passwd
	dir := tree(t, map[string]string{"python/d1/d2/b": "->../..", "python/a": "->" + chain, "python/ok": "->d1/d2/b/x.py", "python/x.py": "x"})
	got := ruleSet(Check(&Bundle{Mounts: layerMounts(load(t, dir, layers.KindLayer))}))
	if !slices.Equal(got, []string{"LK191 python/a"}) {
		t.Errorf("folder: findings = %q", got)
	}
	zp := filepath.Join(t.TempDir(), "nul.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "python/l"}
	h.SetMode(os.ModeSymlink | 0o777)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("../..\x00/a"))
	zw.Close()
	if err := os.WriteFile(zp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := loadZipTree(t.Context(), zp)
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleSet(Check(&Bundle{Mounts: layerMounts(a)})); !slices.Contains(got, "LK191 python/l") {
		t.Errorf("NUL in target: findings = %q", got)
	}
}

// The function's LD_LIBRARY_PATH replaces the runtime's search path, and
// content mounted elsewhere (an EFS mount) serves libraries without
// counting against the deployment package's size.
func TestEnvironmentAndOtherMounts(t *testing.T) {
	fn := load(t, tree(t, map[string]string{"pkg/libneeds.so": "@libneeds-x86_64.so"}), layers.KindFunction)
	efs := load(t, tree(t, map[string]string{"lib/libmissing.so.1": "@libanswer-x86_64.so"}), layers.KindLayer)
	efs.UnzippedBytes = layers.MaxUnzippedBytes // would be over the limit in the package
	b := &Bundle{Target: target(t, "python3.12-x86_64"), Mounts: []Mount{{Path: TaskRoot, Artifact: fn}, {Path: "/mnt/deps", Artifact: efs}}}
	if got := ruleSet(Check(b)); !slices.Equal(got, []string{"LK120 pkg/libneeds.so"}) {
		t.Errorf("without LD_LIBRARY_PATH: findings = %q", got)
	}
	b.Env.Variables = map[string]string{"LD_LIBRARY_PATH": "/mnt/deps/lib:/var/task/lib"}
	if got := ruleSet(Check(b)); len(got) != 0 {
		t.Errorf("with LD_LIBRARY_PATH: findings = %q, want none", got)
	}
	if got := b.SearchPath(); !slices.Equal(got, []string{"/mnt/deps/lib", "/var/task/lib"}) {
		t.Errorf("SearchPath = %q", got)
	}
}

// The direct-upload limit applies to an archive that goes in the request,
// strictly under 52,428,800 bytes, whatever kind of input it came from.
func TestDirectUploadIsAFact(t *testing.T) {
	for _, tt := range []struct {
		bytes     int64
		inRequest bool
		want      bool
	}{
		{layers.MaxDirectUploadBytes - 1, true, false},
		{layers.MaxDirectUploadBytes, true, true},
		{60 << 20, false, false},
	} {
		a := &Artifact{Name: "code.zip", Kind: layers.KindFunction, ArchiveBytes: tt.bytes, InRequest: tt.inRequest}
		got := slices.Contains(ruleSet(Check(&Bundle{Mounts: []Mount{{Path: TaskRoot, Artifact: a}}})), "LK161 ")
		if got != tt.want {
			t.Errorf("%d bytes, in request %v: LK161 = %v, want %v", tt.bytes, tt.inRequest, got, tt.want)
		}
	}
}

// A zip of ELF entries that each declare 262,000,000 bytes but hold a few
// kilobytes is read with memory that follows the data, not the
// declarations, and its entries are findings.
func TestDeclaredSizesDoNotSizeBuffers(t *testing.T) {
	so, err := os.ReadFile(filepath.Join(fixtures, "libanswer-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	zp := filepath.Join(t.TempDir(), "declared.zip")
	writeLyingZip(t, zp, so, 32, 262_000_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a, err := loadZipTree(t.Context(), zp)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
		t.Errorf("loading allocated %d MiB for a %d-byte zip", alloc>>20, len(so)*32)
	}
	got := ruleSet(Check(&Bundle{Target: target(t, "python3.12-arm64"), Mounts: layerMounts(a)}))
	for _, want := range []string{"LK101 python/m0.so", "LK193 python/m0.so", "LK193 python/m31.so"} {
		if !slices.Contains(got, want) {
			t.Errorf("findings lack %q: %q", want, got)
		}
	}
}

// writeLyingZip writes n deflated copies of data whose headers declare
// declared bytes each (with the right CRC-32 and compressed size).
func writeLyingZip(t testing.TB, name string, data []byte, n int, declared uint64) {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		h := &zip.FileHeader{Name: fmt.Sprintf("python/m%d.so", i), Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared}
		h.SetMode(0o755)
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A symlink that stays inside but resolves to nothing, or loops, is LK197;
// one served by another layer is fine.
func TestDanglingSymlinks(t *testing.T) {
	a := load(t, tree(t, map[string]string{
		"python/settings": "->.env", "python/l1": "->l2", "python/l2": "->l1",
		"python/ok": "->../lib/libx.so", "python/app.py": "x",
	}), layers.KindLayer)
	lib := load(t, tree(t, map[string]string{"lib/libx.so": "x"}), layers.KindLayer)
	got := ruleSet(Check(&Bundle{Mounts: layerMounts(a, lib)}))
	want := []string{"LK197 python/l1", "LK197 python/l2", "LK197 python/settings"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}
}

// A DT_NEEDED name that is a folder in the bundle does not satisfy the
// loader (and must not crash the check).
func TestNeededNamesAFolder(t *testing.T) {
	got := ruleSet(checkLayer(t, map[string]string{
		"python/pkg/libneeds.so": "@libneeds-x86_64.so",
		"lib/libmissing.so.1/x":  "x",
	}, "python3.12-x86_64"))
	if !slices.Equal(got, []string{"LK120 python/pkg/libneeds.so"}) {
		t.Errorf("findings = %q", got)
	}
}

// An object naming thousands of missing libraries gets a finding for each
// of the first few and one for the rest.
func TestManyMissingLibraries(t *testing.T) {
	var needed []string
	for i := range 1000 {
		needed = append(needed, fmt.Sprintf("libm%d.so", i))
	}
	a := &Artifact{Name: "l", Kind: layers.KindLayer, Files: []File{{
		Path: "python/x.so", Type: zipper.TypeFile, Size: 1, ID: elfcheck.Identification{Format: elfcheck.ELF},
		Header:    elfcheck.Header{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64},
		HasHeader: true, ELF: &elfcheck.ELFInfo{Type: elf.ET_DYN, Needed: needed},
	}}}
	var n int
	var last string
	for _, f := range Check(&Bundle{Target: target(t, "python3.12-x86_64"), Mounts: layerMounts(a)}) {
		if f.Rule == RuleLibMissing {
			n++
			last = f.Message
		}
	}
	if n != maxMissingPerObject+1 || !strings.Contains(last, "984 more libraries") {
		t.Errorf("%d LK120 findings, the last %q", n, last)
	}
}

// elfFile is an x86_64 shared object that needs libs, searching runPath.
func elfFile(p string, runPath []string, libs ...string) File {
	return File{Path: p, Type: zipper.TypeFile, Size: 1, ID: elfcheck.Identification{Format: elfcheck.ELF},
		Header:    elfcheck.Header{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64},
		HasHeader: true, ELF: &elfcheck.ELFInfo{Type: elf.ET_DYN, Needed: libs, RunPath: runPath}}
}

// A library the loader already has is taken by its name: psycopg-binary's
// libgssapi_krb5 has no RUNPATH and finds libkrb5 because libpq, which
// loads both, already did. A library nothing loads stays missing.
func TestLibraryAlreadyLoaded(t *testing.T) {
	libs := []string{"$ORIGIN"}
	a := &Artifact{Name: "l", Kind: layers.KindLayer, Files: []File{
		elfFile("python/psycopg_binary/_psycopg.so", []string{"$ORIGIN/../psycopg_binary.libs"}, "libpq.so.5"),
		elfFile("python/psycopg_binary.libs/libpq.so.5", libs, "libgssapi_krb5.so.2", "libkrb5.so.3"),
		elfFile("python/psycopg_binary.libs/libgssapi_krb5.so.2", nil, "libkrb5.so.3", "libnowhere.so.1"),
		elfFile("python/psycopg_binary.libs/libkrb5.so.3", nil),
		elfFile("python/other/lonely.so", nil, "libkrb5.so.3"),
	}}
	got := ruleSet(Check(&Bundle{Target: target(t, "python3.12-x86_64"), Mounts: layerMounts(a)}))
	want := []string{"LK120 python/other/lonely.so", "LK120 python/psycopg_binary.libs/libgssapi_krb5.so.2"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}
}

// An object without DT_RUNPATH is also served by the DT_RPATH of the
// objects that load it, down the chain; DT_RUNPATH is never inherited.
func TestRPathInherited(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rpath bool
		want  []string
	}{
		{"DT_RPATH", true, nil},
		{"DT_RUNPATH", false, []string{"LK120 python/x.libs/libgssapi.so.2", "LK120 python/x.libs/libkrb5.so.3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pq := elfFile("python/x.libs/libpq.so.5", []string{"$ORIGIN"}, "libgssapi.so.2")
			pq.ELF.RPath = tt.rpath
			a := &Artifact{Name: "l", Kind: layers.KindLayer, Files: []File{
				elfFile("python/x/_ext.so", []string{"$ORIGIN/../x.libs"}, "libpq.so.5"),
				pq,
				elfFile("python/x.libs/libgssapi.so.2", nil, "libkrb5.so.3"),
				elfFile("python/x.libs/libkrb5.so.3", nil, "libk5crypto.so.3"),
				elfFile("python/x.libs/libk5crypto.so.3", nil),
			}}
			got := ruleSet(Check(&Bundle{Target: target(t, "python3.12-x86_64"), Mounts: layerMounts(a)}))
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
		})
	}
}
