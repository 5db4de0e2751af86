package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// tarArchive is an OCI image layout stored as one tar file (what
// `skopeo copy ... oci-archive:` and `docker buildx --output type=oci`
// write), read in place: its regular entries are indexed by name once,
// and each blob is a section of the file. go-containerregistry's layout
// package reads only folders.
type tarArchive struct {
	f       *os.File
	entries map[string]tarSpan
}

type tarSpan struct{ off, size int64 }

// maxMetadataBytes bounds index.json, a manifest or a config read whole:
// real ones are kilobytes.
const maxMetadataBytes = 4 << 20

// maxTarEntries bounds the entries of an OCI archive: a layout holds a few
// blobs per layer.
const maxTarEntries = 1 << 20

func openTarArchive(p string) (*tarArchive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	ta := &tarArchive{f: f, entries: map[string]tarSpan{}}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		if n > maxTarEntries {
			f.Close()
			return nil, fmt.Errorf("more than %d entries", maxTarEntries)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent) // tar.Reader stands at the entry's data
		if err != nil {
			f.Close()
			return nil, err
		}
		ta.entries[strings.TrimPrefix(h.Name, "./")] = tarSpan{off, h.Size}
	}
	return ta, nil
}

func (ta *tarArchive) Close() error { return ta.f.Close() }

// blob opens the blob h names.
func (ta *tarArchive) blob(h v1.Hash) (*io.SectionReader, error) {
	s, ok := ta.entries["blobs/"+h.Algorithm+"/"+h.Hex]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", h, os.ErrNotExist)
	}
	return io.NewSectionReader(ta.f, s.off, s.size), nil
}

// bytesOf reads a small blob whole and checks its digest.
func (ta *tarArchive) bytesOf(h v1.Hash) ([]byte, error) {
	r, err := ta.blob(h)
	if err != nil {
		return nil, err
	}
	return readVerified(r, h)
}

// readVerified reads metadata whole (at most maxMetadataBytes) and checks
// it against its SHA-256 digest.
func readVerified(r io.Reader, h v1.Hash) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxMetadataBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxMetadataBytes {
		return nil, fmt.Errorf("blob %s: more than %d bytes", h, maxMetadataBytes)
	}
	if h.Algorithm != "sha256" {
		return nil, fmt.Errorf("blob %s: unsupported digest algorithm", h)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != h.Hex {
		return nil, fmt.Errorf("%w: blob %s has sha256:%s", ErrDigestMismatch, h, got)
	}
	return b, nil
}

func (ta *tarArchive) rootIndex() (v1.ImageIndex, error) {
	s, ok := ta.entries["index.json"]
	if !ok {
		return nil, errors.New("no index.json")
	}
	if s.size > maxMetadataBytes {
		return nil, fmt.Errorf("index.json: more than %d bytes", maxMetadataBytes)
	}
	b, err := io.ReadAll(io.NewSectionReader(ta.f, s.off, s.size))
	if err != nil {
		return nil, err
	}
	return newTarIndex(ta, b, types.OCIImageIndex)
}

// tarIndex is an index stored in a tarArchive.
type tarIndex struct {
	ta  *tarArchive
	raw []byte
	m   *v1.IndexManifest
	mt  types.MediaType
}

func newTarIndex(ta *tarArchive, raw []byte, mt types.MediaType) (*tarIndex, error) {
	m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing index: %w", err)
	}
	return &tarIndex{ta: ta, raw: raw, m: m, mt: mt}, nil
}

func (x *tarIndex) MediaType() (types.MediaType, error) {
	if x.m.MediaType != "" {
		return x.m.MediaType, nil
	}
	return x.mt, nil
}
func (x *tarIndex) Digest() (v1.Hash, error)                  { return partial.Digest(x) }
func (x *tarIndex) Size() (int64, error)                      { return int64(len(x.raw)), nil }
func (x *tarIndex) IndexManifest() (*v1.IndexManifest, error) { return x.m.DeepCopy(), nil }
func (x *tarIndex) RawManifest() ([]byte, error)              { return x.raw, nil }

func (x *tarIndex) descriptor(h v1.Hash) (v1.Descriptor, error) {
	for _, d := range x.m.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("index lists no %s", h)
}

func (x *tarIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.descriptor(h)
	if err != nil {
		return nil, err
	}
	raw, err := x.ta.bytesOf(h)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", h, err)
	}
	return partial.CompressedToImage(&tarImage{ta: x.ta, raw: raw, m: m, mt: d.MediaType})
}

func (x *tarIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := x.descriptor(h)
	if err != nil {
		return nil, err
	}
	raw, err := x.ta.bytesOf(h)
	if err != nil {
		return nil, err
	}
	return newTarIndex(x.ta, raw, d.MediaType)
}

// tarImage is an image stored in a tarArchive.
type tarImage struct {
	ta  *tarArchive
	raw []byte
	m   *v1.Manifest
	mt  types.MediaType
}

func (i *tarImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return i.mt, nil
}
func (i *tarImage) RawManifest() ([]byte, error)   { return i.raw, nil }
func (i *tarImage) RawConfigFile() ([]byte, error) { return i.ta.bytesOf(i.m.Config.Digest) }

func (i *tarImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == i.m.Config.Digest {
		return &tarBlob{ta: i.ta, d: i.m.Config}, nil
	}
	for _, d := range i.m.Layers {
		if d.Digest == h {
			return &tarBlob{ta: i.ta, d: d}, nil
		}
	}
	return nil, fmt.Errorf("manifest lists no layer %s", h)
}

// tarBlob is a layer stored in a tarArchive. Its content is checked
// against its digest by Flatten, which reads it.
type tarBlob struct {
	ta *tarArchive
	d  v1.Descriptor
}

func (b *tarBlob) Digest() (v1.Hash, error) { return b.d.Digest, nil }
func (b *tarBlob) Size() (int64, error)     { return b.d.Size, nil }
func (b *tarBlob) MediaType() (types.MediaType, error) {
	return b.d.MediaType, nil
}
func (b *tarBlob) Compressed() (io.ReadCloser, error) {
	r, err := b.ta.blob(b.d.Digest)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(r), nil
}
