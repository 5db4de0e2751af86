package ociwrite_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/internal/ociwrite"
	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
)

// FuzzLoadBaseIndex: a base's index.json is outside input; whatever it
// holds, LoadBase returns an image or an error, never panics.
func FuzzLoadBaseIndex(f *testing.F) {
	seed := f.TempDir()
	ocitest.WriteLayout(f, seed, ocitest.Index(false, "amd64", "arm64"))
	b, err := os.ReadFile(filepath.Join(seed, "index.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` + string(bytes.Repeat([]byte("0"), 64)) + `","size":2}]}`))
	f.Add([]byte(`{"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../x","size":-1}]}`))
	f.Fuzz(func(t *testing.T, index []byte) {
		dir := t.TempDir()
		ocitest.WriteLayout(t, dir, ocitest.Index(false, "arm64"))
		if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := ociwrite.LoadBase(t.Context(), ociwrite.OCIPrefix+dir, "", arm(t), ociwrite.Registry{})
		if err == nil {
			ociwrite.Inspect(t.Context(), img, nil)
		}
	})
}

// FuzzInspectLayer: a base layer's tar is outside input; Inspect reads any
// bytes as a layer without panicking, and refuses what does not match.
func FuzzInspectLayer(f *testing.F) {
	f.Add(ocitest.Tar(ocitest.Entry{Name: "var/task/a", Body: "a"}, ocitest.Entry{Name: "etc/.wh..wh..opq"}))
	f.Add(ocitest.Tar(ocitest.Entry{Name: "../x", Body: "x"}))
	f.Add(ocitest.Tar(ocitest.Entry{Name: "l", Type: tar.TypeLink, Link: "../../etc/shadow"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(data)
		zw.Close()
		img := ocitest.Image("arm64", false, static.NewLayer(gz.Bytes(), types.OCILayer))
		ociwrite.Inspect(t.Context(), img, nil)
	})
}
