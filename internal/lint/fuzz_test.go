package lint

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/layers"
)

// FuzzCheckZip loads arbitrary bytes as a zip and checks them: a hostile
// or broken zip must give findings or an error, never a panic or a hang.
// Seeded with a zip of real ELF fixtures and metadata.
func FuzzCheckZip(f *testing.F) {
	var seed bytes.Buffer
	zw := zip.NewWriter(&seed)
	for name, fixture := range map[string]string{"lib/libneeds.so": "libneeds-x86_64.so", "bin/hello": "hello-arm64"} {
		b, err := os.ReadFile(filepath.Join(fixtures, fixture))
		if err != nil {
			f.Fatal(err)
		}
		w, _ := zw.Create(name)
		w.Write(b)
	}
	w, _ := zw.Create("python/x-1.0.dist-info/WHEEL")
	w.Write([]byte("Tag: cp312-cp312-manylinux_2_17_aarch64\n"))
	zw.Close()
	f.Add(seed.Bytes())
	for _, hostile := range hostileZips(f) {
		f.Add(hostile)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.zip")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := loadZipTree(t.Context(), p)
		if err != nil {
			return
		}
		a.Kind = GuessKind(a)
		bundle := &Bundle{Mounts: layerMounts(a)}
		Infer(bundle)
		Check(bundle)
		Check(&Bundle{Target: layers.Target{Runtime: "python3.9", Arch: layers.X86_64}, Mounts: layerMounts(a)})
	})
}

func FuzzWheelTags(f *testing.F) {
	f.Add([]byte("Wheel-Version: 1.0\nTag: cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64\nTag: py2.py3-none-any\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tag := range WheelTags(b) {
			tagFit(tag, "3.12", "arm64", "2.34")
			tagFit(tag, "", "", "")
		}
	})
}

// hostileZips are the zips of ../shared's hostile cases that reach the
// checker, made here: symlinks escaping through another link (D9) or past a
// NUL, entries declaring more bytes than they hold (D13a), prebuilds for
// every platform, and a link to a folder serving a library.
func hostileZips(f *testing.F) [][]byte {
	so, err := os.ReadFile(filepath.Join(fixtures, "libneeds-x86_64.so"))
	if err != nil {
		f.Fatal(err)
	}
	zipOf := func(entries ...zipEntry) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range entries {
			h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
			h.SetMode(e.mode)
			w, _ := zw.CreateHeader(h)
			w.Write([]byte(e.data))
		}
		zw.Close()
		return buf.Bytes()
	}
	link := os.ModeSymlink | 0o777
	chain := strings.Repeat("d1/d2/b/", 10) + strings.Repeat("../", 31) + "etc/passwd"
	lying := filepath.Join(f.TempDir(), "lying.zip")
	writeLyingZip(f, lying, so, 2, 262_000_000)
	lyingBytes, _ := os.ReadFile(lying)
	return [][]byte{
		zipOf(zipEntry{"python/d1/d2/b", "../..", link}, zipEntry{"python/a", chain, link}),
		zipOf(zipEntry{"python/l", "../..\x00/a", link}),
		lyingBytes,
		zipOf(zipEntry{"nodejs/node_modules/b/prebuilds/linux-x64/b.node", string(so), 0o755},
			zipEntry{"nodejs/node_modules/b/prebuilds/darwin-x64/b.node", "\xcf\xfa\xed\xfe", 0o755},
			zipEntry{"nodejs/node_modules/b/build/Release/obj.target/b.o", string(so), 0o644}),
		zipOf(zipEntry{"lib", "lib64", link}, zipEntry{"lib64/libmissing.so.1", string(so), 0o755},
			zipEntry{"python/pkg/libneeds.so", string(so), 0o755}),
	}
}

type zipEntry struct {
	name, data string
	mode       os.FileMode
}
