package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/zipper"
)

// Layer is what Flatten learned about one layer.
type Layer struct {
	// Digest and MediaType are the manifest's; Size is the compressed
	// size it declares.
	Digest    string
	MediaType types.MediaType
	Size      int64
	// TarBytes is the uncompressed tar stream's length, as read; FileBytes
	// the sum of its regular files' sizes.
	TarBytes  int64
	FileBytes int64
	// Compression is what the stream turned out to be: "gzip", "zstd" or
	// "none".
	Compression string
}

// Content is a regular file of a layer, handed to Flatten's inspector as
// the layer's stream passes it.
type Content struct {
	Entry fstree.Entry
	// Layer is the layer's index, from 0 at the bottom.
	Layer int
	// File yields the entry's content, at most Entry.Size bytes; it is
	// valid only until the inspector returns, and need not be read to its
	// end.
	File fstree.File
	// Reopen reads the content again, from the layer's start: a further
	// pass for an inspection that missed a range (elfcheck's).
	Reopen func() (io.ReadCloser, error)
}

// Node is one entry of the flattened file tree with what the inspector
// made of its content (the zero T for folders, symlinks, and folders
// only implied by their files' paths).
type Node[T any] struct {
	Entry fstree.Entry
	Layer int
	Value T
}

// Tree is an image's flattened file tree.
type Tree[T any] struct {
	// Nodes are sorted by path, folders before what they hold.
	Nodes  []Node[T]
	Layers []Layer
	// Problems are hostile or broken entries, each naming its layer; the
	// entries themselves are left out of Nodes.
	Problems []zipper.Problem
}

// Errors of a layer's content.
var (
	// ErrDigestMismatch reports a layer (or a blob) whose bytes do not
	// hash to the digest, or diff_id, that the image records for it.
	ErrDigestMismatch = errors.New("content does not match its digest")
	// ErrLayerCount reports a config whose diff_ids do not pair with the
	// manifest's layers.
	ErrLayerCount = errors.New("layer count differs between manifest and config")
	// ErrTooManyEntries reports an image whose layers hold more than
	// MaxEntries tar entries together.
	ErrTooManyEntries = errors.New("too many entries")
)

// MaxEntries bounds the tar entries of all an image's layers together, so
// that memory stays bounded whatever the image declares: each entry read
// costs a few hundred bytes until its layer is applied, and each that
// survives until the check ends. Real images hold tens of thousands of
// files (AWS's Python base about 30,000; a CUDA and PyTorch image about
// 200,000).
const MaxEntries = 2_000_000

// maxEntries is MaxEntries, lowered by tests.
var maxEntries int64 = MaxEntries

// MaxTarBytes bounds the uncompressed bytes read of an image's layers
// together: four times Lambda's 10 GiB limit, far past what LK163 needs to
// report an image too big, so that a small gzip stream that inflates
// without end (a bomb) ends with ErrTooBig instead of running for hours.
const MaxTarBytes = 4 * 10 << 30

// maxTarBytes is MaxTarBytes, lowered by tests.
var maxTarBytes int64 = MaxTarBytes

// ErrTooBig reports layers that inflate to more than MaxTarBytes together.
var ErrTooBig = errors.New("image inflates past the limit")

// counters are what all of an image's layers read together.
type counters struct {
	entries atomic.Int64
	bytes   atomic.Int64
}

// cappedReader fails once the layers together have yielded more than
// maxTarBytes.
type cappedReader struct {
	r     io.Reader
	total *atomic.Int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.total.Add(int64(n)) > maxTarBytes {
		// No bytes with the error: io.ReadFull would drop the error of a
		// read that filled its buffer.
		return 0, fmt.Errorf("%w: the layers inflate to more than %d bytes together", ErrTooBig, maxTarBytes)
	}
	return n, err
}

// LayerError is an error reading one layer.
type LayerError struct {
	Index  int
	Digest string
	Err    error
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("layer %d (%s): %v", e.Index+1, e.Digest, e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// maxPathBytes bounds an entry's name, as Linux's PATH_MAX does; longer
// names are problems, never extracted.
const maxPathBytes = 4096

// maxLayerWorkers bounds the layers read at once. Each holds its
// decompressor and an ELF object's stream window (up to 16 MiB, see
// lint.LoadContent), and its entries until it is applied: on a 2.8 GB
// image (bench/image-memory.sh) 2 workers peaked at 115 MB RSS and 8 at
// 241 MB, for a quarter less time. Four keep a check under 200 MB.
const maxLayerWorkers = 4

// maxLinkHops is how many symlinks resolving one path follows, as Linux
// does (ELOOP after 40).
const maxLinkHops = 40

// Flatten reads the image's layers, each once from start to end and
// nothing written to disk, and returns its file tree as Lambda runs it:
// layers applied in order, a whiteout (.wh.NAME) removing NAME from the
// layers below, an opaque marker (.wh..wh..opq) emptying its folder of
// what the layers below put there, a later entry replacing an earlier
// one, hard links as regular files with their target's content, symlinks
// kept as links. A path through a symlink a lower layer made is followed
// inside the image, as containerd extracts it.
//
// inspect is called for each regular file of each layer as its content
// streams by, layers side by side (up to maxLayerWorkers), so it must be safe
// for concurrent use; what it returns is kept with the node when the file
// survives. Each layer is checked against its digest (the compressed
// stream) and its diff_id (the tar) once read: a mismatch is a
// *LayerError wrapping ErrDigestMismatch. Entries with unsafe names
// (absolute, "..", a whiteout leaving its folder) are left out and
// reported in Tree.Problems. An error from inspect or ctx stops Flatten.
func Flatten[T any](ctx context.Context, im *Image, inspect func(context.Context, Content) (T, error)) (*Tree[T], error) {
	img := im.Image
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("%w: %d layers, %d diff_ids", ErrLayerCount, len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	if len(ls) != len(m.Layers) {
		return nil, fmt.Errorf("%w: %d in the manifest, %d read", ErrLayerCount, len(m.Layers), len(ls))
	}
	t := &Tree[T]{Layers: make([]Layer, len(ls))}
	// Layers are read side by side and applied in order as soon as those
	// below are: at most workers+1 layers are read or wait to be applied,
	// so memory follows the entries that survive, not every layer's.
	workers := min(runtime.GOMAXPROCS(0), maxLayerWorkers)
	window := make(chan struct{}, workers+1)
	var mu sync.Mutex
	pending := make([]*layerOps[T], len(ls))
	next := 0
	st := newState[T]()
	var counts counters
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, l := range ls {
		select {
		case window <- struct{}{}:
		case <-gctx.Done():
		}
		if gctx.Err() != nil {
			break
		}
		d := m.Layers[i]
		t.Layers[i] = Layer{Digest: d.Digest.String(), MediaType: d.MediaType, Size: d.Size}
		lr := &layerReader{layer: l, index: i, digest: d.Digest, diffID: cfg.RootFS.DiffIDs[i], uncompressed: !im.Declared}
		g.Go(func() error {
			ops, err := readLayer(gctx, lr, &t.Layers[i], &counts, inspect)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				var le *LayerError
				if !errors.As(err, &le) {
					err = &LayerError{Index: i, Digest: d.Digest.String(), Err: err}
				}
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			pending[i] = ops
			for next < len(pending) && pending[next] != nil {
				st.apply(next, t.Layers[next].Digest, pending[next])
				pending[next] = nil
				next++
				<-window
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.Problems = st.problems
	t.Nodes = st.sorted()
	return t, nil
}

// layerReader opens one layer's tar stream.
type layerReader struct {
	layer        v1.Layer
	index        int
	digest       v1.Hash
	diffID       v1.Hash
	uncompressed bool // the source stores the tar itself (docker save)
}

// stream is an open layer: the tar, and the hashes that check it at EOF.
type stream struct {
	tar         io.Reader
	closers     []io.Closer
	compressed  *hashCount // nil when the source stores the tar
	uncompr     *hashCount
	compression string
}

func (s *stream) Close() error {
	var err error
	for _, c := range slices.Backward(s.closers) {
		err = errors.Join(err, c.Close())
	}
	return err
}

// hashCount hashes and counts what passes through it.
type hashCount struct {
	r io.Reader
	h hash.Hash
	n int64
}

func newHashCount(r io.Reader) *hashCount { return &hashCount{r: r, h: sha256.New()} }

func (hc *hashCount) Read(p []byte) (int, error) {
	n, err := hc.r.Read(p)
	hc.h.Write(p[:n])
	hc.n += int64(n)
	return n, err
}

func (hc *hashCount) check(want v1.Hash, what string) error {
	if want.Algorithm != "sha256" {
		return fmt.Errorf("%s %s: unsupported digest algorithm", what, want)
	}
	if got := hex.EncodeToString(hc.h.Sum(nil)); got != want.Hex {
		return fmt.Errorf("%w: the %s is %s, its bytes hash to sha256:%s", ErrDigestMismatch, what, want, got)
	}
	return nil
}

// open opens the layer's tar stream, decompressing what its first bytes
// say it is (gzip, zstd, or a bare tar), whatever the media type claims.
func (lr *layerReader) open() (*stream, error) {
	s := &stream{}
	if lr.uncompressed {
		rc, err := lr.layer.Uncompressed()
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, rc)
		s.uncompr = newHashCount(rc)
		s.tar, s.compression = s.uncompr, "none"
		return s, nil
	}
	rc, err := lr.layer.Compressed()
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, rc)
	s.compressed = newHashCount(rc)
	br := bufio.NewReaderSize(s.compressed, 1<<16)
	head, _ := br.Peek(4)
	var plain io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("reading gzip: %w", err)
		}
		zr.Multistream(true)
		s.closers = append(s.closers, zr)
		plain, s.compression = zr, "gzip"
	case bytes.Equal(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("reading zstd: %w", err)
		}
		s.closers = append(s.closers, zstdCloser{zr})
		plain, s.compression = zr, "zstd"
	default:
		s.compression = "none"
	}
	s.uncompr = newHashCount(plain)
	s.tar = s.uncompr
	return s, nil
}

type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error { z.d.Close(); return nil }

// finish reads the stream to its end and checks both hashes.
func (s *stream) finish(lr *layerReader) error {
	if _, err := io.Copy(io.Discard, s.tar); err != nil {
		return fmt.Errorf("reading past the tar: %w", err)
	}
	if s.compressed != nil {
		// What the decompressor left unread still belongs to the blob.
		if _, err := io.Copy(io.Discard, s.compressed); err != nil {
			return fmt.Errorf("reading the blob: %w", err)
		}
		if err := s.compressed.check(lr.digest, "digest"); err != nil {
			return err
		}
	}
	return s.uncompr.check(lr.diffID, "diff_id")
}

// opKind is what one tar entry does to the tree.
type opKind uint8

const (
	opAdd opKind = iota
	opWhiteout
	opOpaque
	opHardlink
	opProblem
)

// op is one tar entry, as the merge applies it.
type op[T any] struct {
	kind  opKind
	entry fstree.Entry
	value T
	// target is a hard link's target, or a whiteout's or opaque marker's
	// folder and name.
	target string
	detail string // a problem's
}

type layerOps[T any] struct{ ops []op[T] }

// cleanName returns a tar entry's name relative to the root, or why it is
// unsafe.
func cleanName(n string) (string, string) {
	if len(n) > maxPathBytes {
		return "", fmt.Sprintf("name of %d bytes, longer than PATH_MAX (%d)", len(n), maxPathBytes)
	}
	if strings.HasPrefix(n, "/") {
		return "", "absolute name; tools that honour it write outside the image's root"
	}
	c := path.Clean(strings.TrimPrefix(n, "./"))
	if c == "." {
		return ".", ""
	}
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", "name climbs out of the image's root with .."
	}
	if !zipper.ValidName(c) {
		return "", "name with a NUL or backslash"
	}
	return c, ""
}

// readLayer reads one layer's tar once: every entry as an op, each regular
// file's content handed to inspect as it passes.
func readLayer[T any](ctx context.Context, lr *layerReader, info *Layer, counts *counters, inspect func(context.Context, Content) (T, error)) (*layerOps[T], error) {
	s, err := lr.open()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	info.Compression = s.compression
	res := &layerOps[T]{}
	s.tar = &cappedReader{r: s.tar, total: &counts.bytes} // finish drains through it too
	tr := tar.NewReader(s.tar)
	problem := func(name, detail string) {
		res.ops = append(res.ops, op[T]{kind: opProblem, entry: fstree.Entry{Path: name}, detail: detail})
	}
	for ordinal := 0; ; ordinal++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the tar: %w", err)
		}
		if counts.entries.Add(1) > maxEntries {
			return nil, fmt.Errorf("%w: the layers hold more than %d tar entries together", ErrTooManyEntries, maxEntries)
		}
		name, why := cleanName(h.Name)
		if why != "" {
			problem(h.Name, why)
			continue
		}
		if name == "." {
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if wh, ok := strings.CutPrefix(base, ".wh."); ok {
			switch {
			case wh == ".wh..opq":
				res.ops = append(res.ops, op[T]{kind: opOpaque, target: dir})
			case strings.HasPrefix(wh, ".wh."):
				// other AUFS metadata (.wh..wh.plnk): no file of the image
			case wh == "" || wh == "." || wh == ".." || strings.ContainsAny(wh, "/\x00"):
				problem(h.Name, fmt.Sprintf("whiteout of %q leaves its folder", wh))
			default:
				res.ops = append(res.ops, op[T]{kind: opWhiteout, target: path.Join(dir, wh)})
			}
			continue
		}
		e := fstree.Entry{Path: name, Exec: h.Mode&0o111 != 0}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Type, e.Size = fstree.TypeDir, 0
			res.ops = append(res.ops, op[T]{kind: opAdd, entry: e})
		case tar.TypeSymlink:
			e.Type, e.Link, e.Size = fstree.TypeSymlink, h.Linkname, int64(len(h.Linkname))
			if h.Linkname == "" || strings.ContainsRune(h.Linkname, 0) {
				problem(h.Name, "symlink with an empty target or a NUL in it")
				continue
			}
			res.ops = append(res.ops, op[T]{kind: opAdd, entry: e})
		case tar.TypeLink:
			target, why := cleanName(h.Linkname)
			if why != "" || target == "." {
				problem(h.Name, fmt.Sprintf("hard link to %q: %s", h.Linkname, cmp.Or(why, "the root")))
				continue
			}
			e.Type = fstree.TypeFile
			res.ops = append(res.ops, op[T]{kind: opHardlink, entry: e, target: target})
		case tar.TypeReg, tar.TypeRegA:
			if h.Size < 0 {
				problem(h.Name, fmt.Sprintf("negative size %d", h.Size))
				continue
			}
			e.Type, e.Size = fstree.TypeFile, h.Size
			info.FileBytes += h.Size
			var v T
			if h.Size > 0 {
				f := &entryFile{r: tr, size: h.Size, exec: e.Exec}
				v, err = inspect(ctx, Content{Entry: e, Layer: lr.index, File: f, Reopen: lr.reopener(ordinal, h.Size)})
				if err != nil {
					return nil, err
				}
			}
			res.ops = append(res.ops, op[T]{kind: opAdd, entry: e, value: v})
		default:
			// devices, FIFOs: Lambda's sandbox gives a function none of its
			// image's; nothing for the rules to read
		}
	}
	if err := s.finish(lr); err != nil {
		return nil, err
	}
	info.TarBytes = s.uncompr.n
	return res, nil
}

// entryFile is a tar entry's content as an fstree.File.
type entryFile struct {
	r    io.Reader
	size int64
	exec bool
}

func (f *entryFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *entryFile) Close() error               { return nil }
func (f *entryFile) Stat() (int64, bool, error) { return f.size, f.exec, nil }

// reopener returns a function that reads the layer again up to its
// ordinal-th entry and yields that entry's content.
func (lr *layerReader) reopener(ordinal int, size int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		s, err := lr.open()
		if err != nil {
			return nil, err
		}
		tr := tar.NewReader(s.tar)
		for i := 0; i <= ordinal; i++ {
			if _, err := tr.Next(); err != nil {
				s.Close()
				return nil, fmt.Errorf("reading the layer again: %w", err)
			}
		}
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(tr, size), s}, nil
	}
}
