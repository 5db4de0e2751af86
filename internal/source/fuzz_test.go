package source

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/layers"
)

// FuzzFindManifest feeds arbitrary bytes as a folder's manifest.json: it
// never panics, and whatever layers.ReadManifest accepts, written back as
// layerkit writes a manifest, is recognised as one (nothing layerkit wrote
// is checked as a plain folder).
func FuzzFindManifest(f *testing.F) {
	f.Add([]byte(`{"version":1,"artifacts":[{"kind":"function","name":"main","path":"main.zip"}]}`))
	f.Add([]byte(`{"version":"36.0.0","artifacts":{"Stack":{"type":"aws:cloudformation:stack"}}}`))
	f.Add([]byte(`{"name":"My PWA","start_url":"/"}`))
	f.Add([]byte(`{"version":1.5,"artifacts":[]}`))
	f.Add([]byte(`{"version":-1,"artifacts":[] }`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, layers.ManifestFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		findManifest(dir)
		m, err := layers.ReadManifest(bytes.NewReader(b))
		if err != nil {
			return
		}
		var written bytes.Buffer
		if err := layers.WriteManifest(&written, m); err != nil {
			t.Fatal(err)
		}
		if !isBuildManifest(written.Bytes()) {
			t.Errorf("a manifest layerkit writes is not recognised: %s", written.Bytes())
		}
	})
}
