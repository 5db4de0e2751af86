package image_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/image"
	it "github.com/layerkit/layerkit/internal/image/imagetest"
	"github.com/layerkit/layerkit/internal/zipper"
)

// FuzzFlattenLayers flattens two layers of arbitrary tar bytes (stored as
// they are, so their digests match): Flatten must not panic, and what it
// returns must be a tree an extraction could make: safe names, every
// node's folder a folder.
func FuzzFlattenLayers(f *testing.F) {
	f.Add(it.Tar(f, it.Entry{Name: "a/x", Body: []byte("x")}, it.Entry{Name: "l", Type: tar.TypeSymlink, Linkname: "a"}),
		it.Tar(f, it.Entry{Name: "a/.wh.x"}, it.Entry{Name: "l/y", Body: []byte("y")}, it.Entry{Name: "h", Type: tar.TypeLink, Linkname: "l/y"}))
	f.Add(it.Tar(f, it.Entry{Name: "d/", Type: tar.TypeDir}, it.Entry{Name: "loop", Type: tar.TypeSymlink, Linkname: "loop"}),
		it.Tar(f, it.Entry{Name: "d/.wh..wh..opq"}, it.Entry{Name: "../x", Body: []byte("x")}, it.Entry{Name: "loop/x"}))
	f.Add(it.Tar(f, it.Entry{Name: "big", Body: []byte("short"), Size: 1 << 40}), []byte{})
	f.Fuzz(func(t *testing.T, l1, l2 []byte) {
		img, err := mutate.AppendLayers(empty.Image, static.NewLayer(l1, types.OCIUncompressedLayer), static.NewLayer(l2, types.OCIUncompressedLayer))
		if err != nil {
			t.Skip()
		}
		tr, err := image.Flatten(t.Context(), &image.Image{Name: "fuzz", Image: img, Declared: true}, headOf)
		if err != nil {
			return
		}
		kind := map[string]fstree.Type{}
		for _, n := range tr.Nodes {
			if !zipper.ValidName(n.Entry.Path) {
				t.Fatalf("unsafe name in the tree: %q", n.Entry.Path)
			}
			if _, dup := kind[n.Entry.Path]; dup {
				t.Fatalf("%q twice", n.Entry.Path)
			}
			kind[n.Entry.Path] = n.Entry.Type
			if d := filepath.Dir(n.Entry.Path); d != "." {
				if k, ok := kind[d]; !ok || k != fstree.TypeDir {
					t.Fatalf("%q is in %q, which is not a folder before it", n.Entry.Path, d)
				}
			}
		}
	})
}

// FuzzOpenArchive opens an OCI archive whose index.json, manifest and
// config are arbitrary bytes ("@M" and "@C" in them stand for the
// manifest's and the config's digests, so that the fuzzer reaches past
// the lookups), and flattens what it opens: errors, never a panic.
func FuzzOpenArchive(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"@M","size":1}]}`),
		[]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"@C","size":2},"layers":[]}`),
		[]byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Entrypoint":["/x"]}}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"@M","size":1}]}`),
		[]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"@C","platform":{"os":"linux","architecture":"arm64"}}]}`),
		[]byte(`{}`))
	f.Add([]byte(`{"manifests":[]}`), []byte(`null`), []byte(`{"rootfs":{"diff_ids":["sha256:00"]}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, index, manifest, config []byte) {
		digest := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
		manifest = bytes.ReplaceAll(manifest, []byte("@C"), []byte(digest(config)))
		index = bytes.ReplaceAll(index, []byte("@M"), []byte(digest(manifest)))
		index = bytes.ReplaceAll(index, []byte("@C"), []byte(digest(config)))
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for name, b := range map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": index,
			"blobs/" + strings.Replace(digest(manifest), ":", "/", 1): manifest,
			"blobs/" + strings.Replace(digest(config), ":", "/", 1):   config} {
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
			tw.Write(b)
		}
		tw.Close()
		p := filepath.Join(dir, "a.tar")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		im, err := image.OpenPath(p, image.Options{})
		if err != nil {
			return
		}
		defer im.Close()
		image.Flatten(t.Context(), im, headOf)
	})
}

// FuzzOpenDockerSave opens a docker save tarball whose manifest.json and
// config are arbitrary bytes ("@C" stands for the config's name).
func FuzzOpenDockerSave(f *testing.F) {
	f.Add([]byte(`[{"Config":"@C","RepoTags":["x:1"],"Layers":[]}]`), []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	f.Add([]byte(`[{"Config":"@C","Layers":["l.tar","l.tar"]}]`), []byte(`{"rootfs":{"diff_ids":["sha256:1"]}}`))
	f.Add([]byte(`[]`), []byte(`{}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, manifest, config []byte) {
		manifest = bytes.ReplaceAll(manifest, []byte("@C"), []byte("config.json"))
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		layer := it.Tar(t, it.Entry{Name: "f", Body: []byte("x")})
		for _, e := range []struct {
			name string
			b    []byte
		}{{"manifest.json", manifest}, {"config.json", config}, {"l.tar", layer}} {
			tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.b))})
			tw.Write(e.b)
		}
		tw.Close()
		p := filepath.Join(dir, "d.tar")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		im, err := image.OpenPath(p, image.Options{})
		if err != nil {
			return
		}
		defer im.Close()
		image.Flatten(t.Context(), im, headOf)
	})
}
