package lint

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
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
