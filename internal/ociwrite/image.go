package ociwrite

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerkit/layerkit/layers"
)

// Add is a layer to append to a base, with the comment its history entry
// carries.
type Add struct {
	Layer   *Layer
	Comment string
}

// Assemble returns base with adds appended in order, CMD set to the one
// element handler (ENTRYPOINT, environment and working folder stay the
// base's), and every new timestamp (the history entries and the config's
// created) set to created. The manifest keeps the base's media type.
func Assemble(base v1.Image, adds []Add, handler string, created time.Time) (v1.Image, error) {
	t := v1.Time{Time: created.UTC()}
	as := make([]mutate.Addendum, len(adds))
	for i, a := range adds {
		as[i] = mutate.Addendum{Layer: a.Layer, History: v1.History{Created: t, CreatedBy: "layerkit build --image", Comment: a.Comment}}
	}
	img, err := mutate.Append(base, as...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := *cf.Config.DeepCopy()
	cfg.Cmd = []string{handler}
	if img, err = mutate.Config(img, cfg); err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, t)
}

// WriteLayout writes img as an OCI image layout in dir (created when
// missing): oci-layout, index.json listing the one image, and its blobs.
// Blobs already in dir (the layers WriteLayer wrote there) are kept. It
// returns the image as read back from dir, its layers read from there.
func WriteLayout(dir string, img v1.Image) (v1.Image, error) {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, err
	}
	if err := p.AppendImage(img); err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	return p.Image(d)
}

// ErrHostileLayer reports a base image layer that holds a name that would
// leave the image's root when unpacked: a ".." element, a whiteout of ".."
// or ".", a hard link through "..".
var ErrHostileLayer = errors.New("a layer with a path that leaves the image's root")

// ErrLayerMismatch reports a base image layer whose bytes do not match the
// digest or diff ID the image records.
var ErrLayerMismatch = errors.New("a layer's content does not match its digest")

// ErrTooBig reports an image whose layers, uncompressed, pass Lambda's
// 10 GiB limit (layers.MaxImageBytes).
var ErrTooBig = errors.New("the image's layers, uncompressed, pass Lambda's 10 GiB limit")

// Sizes are an image's sizes.
type Sizes struct {
	// Compressed sums the layers' blob sizes; Uncompressed their tars'
	// sizes, what Lambda's 10 GiB limit counts.
	Compressed, Uncompressed int64
}

// Inspect reads every layer of img except those in known (layers this
// build wrote, whose sizes it gives): each blob must match its digest and
// its tar its diff ID, and no name in it may leave the image's root. It
// returns the image's sizes, and stops with ErrTooBig once the
// uncompressed total passes layers.MaxImageBytes.
func Inspect(ctx context.Context, img v1.Image, known map[v1.Hash]*Layer) (Sizes, error) {
	ls, err := img.Layers()
	if err != nil {
		return Sizes{}, err
	}
	var s Sizes
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return s, err
		}
		size, err := l.Size()
		if err != nil {
			return s, err
		}
		s.Compressed += size
		if k, ok := known[d]; ok {
			s.Uncompressed += k.Tar.TarBytes
			continue
		}
		n, err := verifyLayer(ctx, l, layers.MaxImageBytes-s.Uncompressed)
		s.Uncompressed += n
		if err != nil {
			return s, fmt.Errorf("base layer %d (%s): %w", i+1, d, err)
		}
	}
	return s, nil
}

// verifyLayer checks one layer's digest, diff ID and names, and returns its
// uncompressed size; it reads at most budget+1 uncompressed bytes.
func verifyLayer(ctx context.Context, l v1.Layer, budget int64) (int64, error) {
	d, err := l.Digest()
	if err != nil {
		return 0, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	_, err = io.Copy(h, ctxReader{ctx, rc})
	rc.Close()
	if err != nil {
		return 0, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Hex {
		return 0, fmt.Errorf("%w: its bytes hash to sha256:%s", ErrLayerMismatch, got)
	}
	diffID, err := l.DiffID()
	if err != nil {
		return 0, err
	}
	u, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer u.Close()
	h.Reset()
	counted := &countingReader{r: io.LimitReader(ctxReader{ctx, u}, budget+1)}
	tr := tar.NewReader(io.TeeReader(counted, h))
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if counted.n > budget {
			return counted.n, ErrTooBig
		}
		if err != nil {
			return counted.n, fmt.Errorf("reading its tar: %w", err)
		}
		if err := checkName(hd); err != nil {
			return counted.n, err
		}
	}
	// Whatever follows the end-of-archive blocks is part of the diff ID.
	if _, err := io.Copy(io.Discard, io.TeeReader(counted, h)); err != nil {
		return counted.n, err
	}
	if counted.n > budget {
		return counted.n, ErrTooBig
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != diffID.Hex {
		return counted.n, fmt.Errorf("%w: its tar hashes to sha256:%s, the config records %s", ErrLayerMismatch, got, diffID)
	}
	return counted.n, nil
}

// checkName refuses a tar entry whose name, whiteout or hard link leaves
// the root. Absolute names are read as relative to the root, as container
// runtimes unpack them; symlinks are not followed when unpacking, so their
// targets are left to the checker.
func checkName(h *tar.Header) error {
	bad := func(what, p string) error { return fmt.Errorf("%w: %s %q", ErrHostileLayer, what, p) }
	for _, el := range strings.Split(h.Name, "/") {
		if el == ".." {
			return bad("name", h.Name)
		}
	}
	base := path.Base(strings.TrimRight(h.Name, "/"))
	if w, ok := strings.CutPrefix(base, ".wh."); ok && base != ".wh..wh..opq" && (w == "" || w == "." || w == "..") {
		return bad("whiteout", h.Name)
	}
	if h.Typeflag == tar.TypeLink {
		for _, el := range strings.Split(h.Linkname, "/") {
			if el == ".." {
				return bad("hard link", h.Name+" -> "+h.Linkname)
			}
		}
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ctxReader ends a read with ctx's error once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Push writes img to the registry as repo:tag, one image manifest (never an
// index), uploading only the blobs the registry does not have. It returns
// "repo@sha256:…".
func Push(ctx context.Context, img v1.Image, repo, tag string, reg Registry) (string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", fmt.Errorf("repository %q: %w", repo, err)
	}
	t := r.Tag(tag)
	if err := remote.Write(t, img, reg.options(ctx)...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", t, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return r.Name() + "@" + d.String(), nil
}
