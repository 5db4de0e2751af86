package zipper_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
)

// benchTree writes a 24 MiB tree shaped like a Python layer: many small
// source files and a few big shared-library-like files (half repetitive,
// half noise). Set LAYERKIT_BENCH_DIR to benchmark a real tree instead
// (bench/fetch-layers.sh fetches one).
func benchTree(b *testing.B) string {
	if dir := os.Getenv("LAYERKIT_BENCH_DIR"); dir != "" {
		return dir
	}
	dir := b.TempDir()
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 2000 {
		var src bytes.Buffer
		for src.Len() < 4000 {
			fmt.Fprintf(&src, "def handler_%d(event):\n    return event.get(%q, %d)\n", r.IntN(1000), fmt.Sprint(i), r.IntN(99))
		}
		p := filepath.Join(dir, "python", fmt.Sprintf("pkg%02d", i%40), fmt.Sprintf("mod%d.py", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, src.Bytes(), 0o644)
	}
	for i := range 4 {
		so := make([]byte, 4<<20)
		for j := range so {
			if j%4096 < 2048 {
				so[j] = byte(j / 4096)
			} else {
				so[j] = byte(r.Uint32())
			}
		}
		p := filepath.Join(dir, "lib", fmt.Sprintf("lib%d.so", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, so, 0o755)
	}
	return dir
}

func benchWrite(b *testing.B, warm bool) {
	src := benchTree(b)
	entries, _, err := split.Scan(b.Context(), src, func(string, bool) split.Verdict { return split.Verdict{} })
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	root, _ := os.OpenRoot(src)
	defer root.Close()
	out := b.TempDir()
	opts := zipper.Options{Level: -1}
	if warm {
		opts.CacheDir = filepath.Join(out, "cache")
		if _, err := zipper.WriteFile(b.Context(), filepath.Join(out, "main.zip"), root, entries, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if _, err := zipper.WriteFile(b.Context(), filepath.Join(out, "main.zip"), root, entries, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteFileCold(b *testing.B) { benchWrite(b, false) }
func BenchmarkWriteFileWarm(b *testing.B) { benchWrite(b, true) }

// BenchmarkWriteTarGz writes the bench tree as an image layer's tar.gz, to
// compare with BenchmarkWriteFileCold: the image of a layer should cost at
// most 1.2 times its zip.
func BenchmarkWriteTarGz(b *testing.B) {
	src := benchTree(b)
	entries, _, err := split.Scan(b.Context(), src, func(string, bool) split.Verdict { return split.Verdict{} })
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	root, _ := os.OpenRoot(src)
	defer root.Close()
	b.SetBytes(total)
	for b.Loop() {
		if _, err := zipper.WriteTarGz(b.Context(), io.Discard, []zipper.TarPart{{Src: root, Entries: entries}}, zipper.TarOptions{Prefix: "opt", Modified: time.Unix(0, 0)}); err != nil {
			b.Fatal(err)
		}
	}
}
