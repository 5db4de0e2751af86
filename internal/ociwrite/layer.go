package ociwrite

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/internal/zipper"
)

// Layer is an image layer layerkit wrote: a gzip-compressed tar in a file.
// It implements v1.Layer.
type Layer struct {
	path           string
	digest, diffID v1.Hash
	size           int64
	mediaType      types.MediaType
	// Tar describes the tar stream: its size and what it holds.
	Tar zipper.TarResult
}

// WriteLayer writes parts under prefix ("opt", "var/task") as a
// deterministic tar.gz blob in the OCI layout folder dir
// (blobs/sha256/<digest>), for an image whose manifest has media type
// family (its layers get the gzip layer type of the same family). The blob
// is written under a temporary name and renamed to its digest when
// complete.
func WriteLayer(ctx context.Context, dir string, parts []zipper.TarPart, prefix string, opts zipper.TarOptions, family types.MediaType) (*Layer, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(blobs, ".layer-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	opts.Prefix = prefix
	res, err := zipper.WriteTarGz(ctx, f, parts, opts)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	l := &Layer{
		digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(res.Digest[:])},
		diffID:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(res.DiffID[:])},
		size:      res.Size,
		mediaType: LayerType(family),
		Tar:       res,
	}
	l.path = filepath.Join(blobs, l.digest.Hex)
	if err := os.Rename(f.Name(), l.path); err != nil {
		return nil, err
	}
	f = nil
	return l, nil
}

// LayerType returns the gzip layer media type of a manifest's family:
// Docker's for a Docker schema 2 manifest, OCI's otherwise. Lambda wants
// one family in an image, as ko writes it.
func LayerType(manifest types.MediaType) types.MediaType {
	if manifest == types.DockerManifestSchema2 {
		return types.DockerLayer
	}
	return types.OCILayer
}

// Digest returns the SHA-256 of the compressed blob.
func (l *Layer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID returns the SHA-256 of the tar.
func (l *Layer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size returns the compressed blob's size.
func (l *Layer) Size() (int64, error) { return l.size, nil }

// MediaType returns the layer's gzip media type.
func (l *Layer) MediaType() (types.MediaType, error) { return l.mediaType, nil }

// Compressed opens the blob; the caller closes it.
func (l *Layer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", l.digest, err)
	}
	return f, nil
}

// Uncompressed opens the tar inside the blob; the caller closes it.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	f, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &gunzipped{zr, f}, nil
}

type gunzipped struct {
	*gzip.Reader
	f io.Closer
}

func (g *gunzipped) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

var _ v1.Layer = (*Layer)(nil)

// Reuse puts l's blob in the OCI layout folder dir as well (a hard link,
// or a copy where links are refused) and returns it as a layer of an
// image whose manifest has media type family: the same bytes, digest and
// diff ID, so a layer shared by several images is compressed once.
func (l *Layer) Reuse(dir string, family types.MediaType) (*Layer, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, err
	}
	p := filepath.Join(blobs, l.digest.Hex)
	if err := os.Link(l.path, p); err != nil && !errors.Is(err, fs.ErrExist) {
		if err := copyFile(l.path, p); err != nil {
			return nil, fmt.Errorf("copying layer %s: %w", l.digest, err)
		}
	}
	c := *l
	c.path, c.mediaType = p, LayerType(family)
	return &c, nil
}

// copyFile copies src to dst through a temporary file renamed into place.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".layer-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(out.Name(), dst)
	}
	if err != nil {
		os.Remove(out.Name())
	}
	return err
}
