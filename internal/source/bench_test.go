package source

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/layers"
)

// benchLayer is a real layer fetched by bench/fetch-layers.sh; the
// benchmarks skip without it.
func benchLayer(b *testing.B) string {
	p := os.Getenv("LAYERKIT_BENCH_LAYER")
	if p == "" {
		p = filepath.Join("..", "..", "bench", "data", "pypi-arm64")
	}
	if _, err := os.Stat(p); err != nil {
		b.Skipf("no layer at %s (run bench/fetch-layers.sh, or set LAYERKIT_BENCH_LAYER)", p)
	}
	return p
}

// BenchmarkSharedLayer checks one layer alone, then 50 functions of a
// project that all attach it (each with its own small code): the layer is
// read once, so the second should cost little more than the first.
func BenchmarkSharedLayer(b *testing.B) {
	layer := benchLayer(b)
	b.Run("layer-alone", func(b *testing.B) {
		for b.Loop() {
			if _, err := Run(b.Context(), Request{Paths: []string{layer}, Runtime: "python3.12", Arch: layers.ARM64}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("50-functions", func(b *testing.B) {
		dir := b.TempDir()
		for i := range 50 {
			write(&testing.T{}, dir, map[string]string{fmt.Sprintf("fn%d/app.py", i): "def handler(e, c): pass\n"})
		}
		write(&testing.T{}, dir, map[string]string{"marker/x": ""})
		saved := frameworks
		defer func() { frameworks = saved }()
		frameworks = []framework{{name: "bench",
			detect: func(p string) (string, bool, error) { return p, p == dir, nil },
			read: func(root string, _ deploy.Options) (*deploy.Project, error) {
				proj := &deploy.Project{Framework: "bench", Root: root}
				l := &deploy.Layer{ID: "Deps", Code: deploy.Code{Path: layer}}
				for i := range 50 {
					proj.Functions = append(proj.Functions, &deploy.Function{ID: fmt.Sprintf("S/Fn%d", i), Template: "t.yaml",
						Runtime: "python3.12", Arch: layers.ARM64, Handler: "app.handler",
						Code: deploy.Code{Path: filepath.Join(root, fmt.Sprintf("fn%d", i))}, Layers: []*deploy.Layer{l}})
				}
				return proj, nil
			}}}
		for b.Loop() {
			if _, err := Run(b.Context(), Request{Paths: []string{dir}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
