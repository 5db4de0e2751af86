package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/layers"
)

// benchDir is the tree BenchmarkCheckDir reads: LAYERKIT_BENCH_DIR (see
// bench/fetch-layers.sh for a real 200 MB layer), or a small generated one
// of 3,000 files with real ELF objects among them.
func benchDir(b *testing.B) string {
	if dir := os.Getenv("LAYERKIT_BENCH_DIR"); dir != "" {
		return dir
	}
	dir := b.TempDir()
	so, err := os.ReadFile(filepath.Join(fixtures, "libcxx-x86_64.so"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 3000 {
		p := filepath.Join(dir, "python", fmt.Sprintf("pkg%02d", i%50), fmt.Sprintf("mod%d.py", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if i%10 == 0 {
			os.WriteFile(p+".so", so, 0o755)
		} else {
			os.WriteFile(p, []byte("import os\n"), 0o644)
		}
	}
	return dir
}

// BenchmarkCheckDir loads a layer folder and runs every rule, as `layerkit
// check DIR` does.
func BenchmarkCheckDir(b *testing.B) {
	dir := benchDir(b)
	tgt := layers.Target{Runtime: "python3.12", Arch: layers.X86_64}
	b.ResetTimer()
	for b.Loop() {
		a, err := loadDirTree(b.Context(), dir)
		if err != nil {
			b.Fatal(err)
		}
		a.Kind = layers.KindLayer
		Check(&Bundle{Target: tgt, Mounts: layerMounts(a)})
	}
}

// BenchmarkCheckZip checks a zip in place; set LAYERKIT_BENCH_ZIP to a
// real one (bench/check.sh builds one from the fetched layer).
func BenchmarkCheckZip(b *testing.B) {
	zp := os.Getenv("LAYERKIT_BENCH_ZIP")
	if zp == "" {
		b.Skip("LAYERKIT_BENCH_ZIP not set")
	}
	tgt := layers.Target{Runtime: "python3.12", Arch: layers.ARM64}
	for b.Loop() {
		a, err := loadZipTree(b.Context(), zp)
		if err != nil {
			b.Fatal(err)
		}
		a.Kind = layers.KindLayer
		Check(&Bundle{Target: tgt, Mounts: layerMounts(a)})
	}
}
