package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// File is one entry of an artifact, with what loading learned from its
// bytes.
type File struct {
	Path string
	Type zipper.Type
	Exec bool
	Size int64
	Link string
	// Special names what a folder entry is when it is no file, folder or
	// link ("a named pipe (FIFO)", as fstree.KindOf says); it is never
	// opened.
	Special string
	// ID is the file's format, read from its first bytes.
	ID elfcheck.Identification
	// Header is the ELF identification, set when ID.Format is ELF and the
	// head was long enough.
	Header    elfcheck.Header
	HasHeader bool
	// ELF is what a loadable ELF object needs; ELFErr says why it could
	// not be read.
	ELF    *elfcheck.ELFInfo
	ELFErr error
	// Text is the content of small metadata files the rules read
	// (*.dist-info/WHEEL).
	Text []byte
	// ReadErr records content that could not be read back: for an
	// archive, content that contradicts what the archive declares.
	ReadErr error
}

// Artifact is one tree (a folder, a zip), loaded, with the facts the rules
// use about it.
type Artifact struct {
	// Name is the folder or file as the user named it.
	Name string
	// Kind is function code or a layer; set by the caller or guessed by
	// GuessKind.
	Kind layers.Kind
	// ArchiveBytes is the size of the archive the files come from (a zip's
	// compressed size); 0 when they do not come from one.
	ArchiveBytes int64
	// InRequest says the archive goes to Lambda in the API request itself
	// (ZipFile), where the direct-upload limit applies.
	InRequest bool
	// UnzippedBytes is the sum of the entries' sizes, as Lambda counts its
	// limit (a symlink counts its target's length).
	UnzippedBytes int64
	// Files are in the order the tree was walked.
	Files []File
	// Problems are the hostile or broken entries found while reading.
	Problems []zipper.Problem
	// Changed says how the archive differs from what the build that made
	// it recorded (size or SHA-256); "" when it matches or nothing was
	// recorded.
	Changed string

	// parts holds what the per-artifact rules found, by mount and target
	// (guarded by partsMu); index is the artifact's files by path, with
	// the folders they imply (built once by indexOf).
	parts     map[string]*artifactPart
	indexOnce sync.Once
	index     map[string]vfsEntry
}

// maxTextBytes bounds a metadata file read whole.
const maxTextBytes = 1 << 20

// maxBytesInFlight bounds the bytes held at once by ELF objects being read
// as streams. Each is charged, before it starts, the least of its declared
// size (which may lie) and maxStreamHeld; buffers then grow with the data
// actually read.
const maxBytesInFlight = 64 << 20

// maxStreamHeld is about the most one object read as a stream holds:
// elfcheck.InspectStream keeps an 8 MiB window and a 1 MiB tail, grown with
// the bytes that arrive, plus the few sections it needs.
const maxStreamHeld = 16 << 20

// needsText reports whether the rules read a file's whole content: wheel
// metadata, and .pem files, to tell a CA bundle from a key.
func needsText(p string) bool { return wheelMetadata(p) || layers.PEMName(p) }

// wheelMetadata reports whether p is an installed wheel's WHEEL file.
func wheelMetadata(p string) bool {
	return path.Base(p) == "WHEEL" && strings.HasSuffix(path.Dir(p), ".dist-info")
}

// LoadOptions says how much of a tree Load reads.
type LoadOptions struct {
	// Verify reads every entry of an archive to its end, so that its size
	// and CRC-32 are checked against what the archive declares, as
	// `unzip -t` does. Without it only the entries the rules read whole
	// (ELF objects, wheel metadata) are verified; the others are read for
	// their first bytes.
	Verify bool
}

// Load reads the tree t as one artifact: every entry, and for each regular
// file its first bytes and, for ELF objects and wheel metadata, the little
// more the rules need, in parallel, each file opened once. Entries with
// unsafe names are listed but never opened. Content an archive cannot give
// back as declared is recorded in File.ReadErr; an error is returned only
// for I/O on a folder, or when ctx is done.
func Load(ctx context.Context, t fstree.Tree, opts LoadOptions) (*Artifact, error) {
	a := &Artifact{Name: t.Name()}
	workers := 2 * runtime.GOMAXPROCS(0) // a folder's reads wait on the disk
	ar, archive := t.(fstree.Archive)
	if archive {
		a.ArchiveBytes = ar.ArchiveBytes()
		a.Problems = append(a.Problems, ar.Problems()...)
		workers = runtime.GOMAXPROCS(0) // an archive's inflate is CPU work
	}
	// The walk hands each regular file to the readers as soon as it sees
	// it, so reading overlaps walking.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(4, workers))
	inFlight := semaphore.NewWeighted(maxBytesInFlight)
	var files []*File
	err := t.Walk(gctx, func(e fstree.Entry) error {
		f := &File{Path: e.Path, Type: e.Type, Exec: e.Exec, Size: e.Size, Link: e.Link, Special: e.Special}
		files = append(files, f)
		if e.Type != zipper.TypeFile || e.Special != "" || e.Size == 0 || !zipper.ValidName(e.Path) {
			return nil
		}
		g.Go(func() error {
			err := loadFile(gctx, t, f, inFlight, opts)
			switch {
			case err == nil:
				return nil
			case gctx.Err() != nil:
				return gctx.Err()
			case archive:
				f.ReadErr = err
				return nil
			}
			return fmt.Errorf("reading %s: %w", path.Join(t.Name(), f.Path), unwrapPathError(err))
		})
		return nil
	})
	if werr := g.Wait(); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.Files = make([]File, len(files))
	for i, f := range files {
		if f.Size < 0 {
			f.Size = 0
		}
		a.Files[i] = *f
		a.UnzippedBytes += f.Size
	}
	return a, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadFile reads what the rules need of one regular file.
func loadFile(ctx context.Context, t fstree.Tree, f *File, inFlight *semaphore.Weighted, opts LoadOptions) error {
	fh, err := t.Open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	return inspectFile(ctx, f, fh, func() (io.ReadCloser, error) { return t.Open(f.Path) }, inFlight, opts)
}

// LoadContent reads what the rules need of one regular file from its
// content as it streams by, as Load does for each file of a tree: its
// first bytes, and for ELF objects and metadata the little more the rules
// need. f.Path, f.Type and f.Size must be set. reopen reads the content
// again from its start for the rare ELF object whose dynamic sections lie
// beyond the first pass's window; nil makes such an object an ELFErr. r
// need not be read to its end. Content that r cannot give back as declared
// is recorded in f.ReadErr; an error is returned only when ctx is done.
func LoadContent(ctx context.Context, f *File, r fstree.File, reopen func() (io.ReadCloser, error)) error {
	err := inspectFile(ctx, f, r, reopen, nil, LoadOptions{})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		f.ReadErr = err
	}
	return nil
}

// inspectFile reads what the rules need of one regular file from fh;
// inFlight, when set, bounds the bytes ELF streams hold together.
func inspectFile(ctx context.Context, f *File, fh fstree.File, reopen func() (io.ReadCloser, error), inFlight *semaphore.Weighted, opts LoadOptions) error {
	size, exec, err := fh.Stat()
	if err != nil {
		return err
	}
	if f.Size < 0 {
		f.Size, f.Exec = size, exec
	}
	if f.Size == 0 {
		return nil
	}
	var buf [elfcheck.HeadSize]byte
	n, err := io.ReadFull(fh, buf[:min(int64(len(buf)), f.Size)])
	head := buf[:n]
	identify(f, head) // what was read is inspected, even when the rest is missing
	if err != nil {
		return err
	}
	rest := io.MultiReader(bytes.NewReader(head), fh)
	ra, canSeek := fh.(io.ReaderAt)
	switch {
	case f.ID.Format == elfcheck.ELF && canSeek:
		f.ELF, f.ELFErr = elfcheck.InspectELF(ra, f.Size, elfOptions(f.Path))
	case f.ID.Format == elfcheck.ELF:
		// A stream (a zip entry being inflated) is inspected as it goes by:
		// only the ranges the inspection uses are kept, a few MiB whatever
		// the object's size. Each is charged what it may hold, so big
		// objects still run side by side.
		if inFlight != nil {
			weight := min(f.Size, maxStreamHeld)
			if err := inFlight.Acquire(ctx, weight); err != nil {
				return err
			}
			defer inFlight.Release(weight)
		}
		opts := elfOptions(f.Path)
		opts.Reopen = reopen
		info, err := elfcheck.InspectStream(rest, f.Size, opts)
		if readFailure(err) {
			return err // File.ReadErr: LK193 for a lie, LK196 for corrupt data
		}
		f.ELF, f.ELFErr = info, err
	case needsText(f.Path) && f.Size <= maxTextBytes:
		if f.Text, err = readAll(rest, maxTextBytes); err != nil {
			f.Text = nil
			return err
		}
	case opts.Verify && !canSeek:
		// Read to the end, the stream checks its size and CRC-32.
		if _, err := io.Copy(io.Discard, fh); err != nil {
			return err
		}
	}
	// Without Verify, an archive's other entries are not read past their
	// heads: inflating every entry costs up to a tenth more time, for what
	// Lambda's own extraction reports at deploy.
	return nil
}

// readFailure reports whether err from inspecting a stream is the
// archive's failing to give the content back (a lie about it, or corrupt
// data) rather than something about the object itself.
func readFailure(err error) bool { return contentLie(err) || errors.Is(err, zipper.ErrCorrupt) }

// contentLie reports whether err says an archive's content contradicts
// what the archive declares about it.
func contentLie(err error) bool {
	return errors.Is(err, zipper.ErrSizeMismatch) || errors.Is(err, zipper.ErrChecksum) || errors.Is(err, errTooLong)
}

// errTooLong reports content longer than the loader reads of one file.
var errTooLong = errors.New("content longer than the limit")

// readAll reads r to its end into a buffer that grows with the data
// actually read, never with a size somebody declared; more than limit bytes
// is an error.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLong, limit)
	}
	return b.Bytes(), nil
}

func identify(f *File, head []byte) {
	f.ID = elfcheck.Identify(head, path.Base(f.Path))
	if f.ID.Format == elfcheck.ELF {
		f.Header, f.HasHeader = elfcheck.ParseHeader(head)
	}
}

func elfOptions(p string) elfcheck.Options {
	return elfcheck.Options{Symbols: strings.HasSuffix(p, ".node")}
}
