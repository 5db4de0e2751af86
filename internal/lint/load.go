package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/elfcheck"
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
	// ReadErr records content that could not be read back from a zip.
	ReadErr error
}

// Artifact is one folder or zip, loaded.
type Artifact struct {
	// Name is the folder or zip as the user named it.
	Name string
	// Kind is function code or a layer; set by the caller or guessed by
	// GuessKind.
	Kind layers.Kind
	Zip  bool
	// ZippedBytes is the zip's size; 0 for a folder.
	ZippedBytes int64
	// UnzippedBytes is the sum of the entries' sizes, as Lambda counts its
	// limit (a symlink counts its target's length).
	UnzippedBytes int64
	// Files are in the order the folder was walked or the zip lists them.
	Files []File
	// Problems are the hostile or broken entries found while reading.
	Problems []zipper.Problem
}

// maxELFBytes bounds how much of one ELF object inside a zip is held in
// memory to inspect it: a larger file cannot be deployed anyway.
const maxELFBytes = layers.MaxUnzippedBytes

// maxTextBytes bounds a metadata file read whole.
const maxTextBytes = 1 << 20

// skippedDirs are never walked in a folder: version control state is never
// packaged by any tool.
var skippedDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, ".bzr": true}

func loadWorkers() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// needsText reports whether the rules read a file's whole content.
func needsText(p string) bool {
	return path.Base(p) == "WHEEL" && strings.HasSuffix(path.Dir(p), ".dist-info")
}

// LoadDir loads the folder dir. It never follows a symlink: links are
// recorded with their targets, and one leaving the folder is a Problem.
// Version-control folders are skipped. Unreadable files are errors naming
// the file.
func LoadDir(ctx context.Context, dir string) (*Artifact, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	a := &Artifact{Name: dir}
	// The walk hands each regular file to the readers as soon as it sees
	// it, so reading overlaps walking.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loadWorkers())
	var files []*File
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := gctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch t := d.Type(); {
		case t.IsDir():
			if skippedDirs[d.Name()] {
				return filepath.SkipDir
			}
			files = append(files, &File{Path: rel, Type: zipper.TypeDir})
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			files = append(files, &File{Path: rel, Type: zipper.TypeSymlink, Link: target, Size: int64(len(target))})
			if zipper.LinkEscapes(rel, target) {
				a.Problems = append(a.Problems, zipper.Problem{Kind: zipper.ProblemSymlinkEscape, Name: rel,
					Detail: fmt.Sprintf("symlink to %q points outside %s", target, dir)})
			}
		case t.IsRegular():
			f := &File{Path: rel, Type: zipper.TypeFile}
			files = append(files, f)
			g.Go(func() error {
				if err := loadDirFile(p, f); err != nil {
					return fmt.Errorf("reading %s: %w", p, unwrapPathError(err))
				}
				return nil
			})
		default:
			a.Problems = append(a.Problems, zipper.Problem{Kind: zipper.ProblemUnsupported, Name: rel,
				Detail: fmt.Sprintf("special file (%v) that no zip can hold", t)})
		}
		return nil
	})
	if werr := g.Wait(); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	a.Files = make([]File, len(files))
	for i, f := range files {
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

// loadDirFile reads one regular file the walk found. It opens the path
// directly rather than through os.Root, which opens every folder on the way
// (a third of the run's system calls); the check only reads, and the walk
// never followed a link.
func loadDirFile(p string, f *File) error {
	fh, err := openNoFollow(p)
	if err != nil {
		return err
	}
	defer fh.Close()
	if f.Size, f.Exec, err = fh.Stat(); err != nil {
		return err
	}
	if f.Size == 0 {
		return nil
	}
	var buf [elfcheck.HeadSize]byte
	n, err := fh.ReadAt(buf[:min(int64(len(buf)), f.Size)], 0)
	if err != nil && err != io.EOF {
		return err
	}
	identify(f, buf[:n])
	if f.ID.Format == elfcheck.ELF {
		f.ELF, f.ELFErr = elfcheck.InspectELF(fh, f.Size, elfOptions(f.Path))
	}
	if needsText(f.Path) && f.Size <= maxTextBytes {
		if int64(n) == f.Size {
			f.Text = bytes.Clone(buf[:n])
		} else {
			f.Text = make([]byte, f.Size)
			if _, err := fh.ReadAt(f.Text, 0); err != nil {
				return err
			}
		}
	}
	return nil
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

// LoadZip loads the zip at name in place: nothing is extracted to disk. It
// reads the central directory, the first bytes of every file and the whole
// of each ELF object (up to the Lambda limit) and wheel metadata. Hostile
// entries become Problems; an error is returned only when the file cannot
// be read or is not a zip.
func LoadZip(ctx context.Context, name string) (*Artifact, error) {
	zr, err := zipper.OpenReader(name)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	a := &Artifact{Name: name, Zip: true, ZippedBytes: zr.Size, Problems: zr.Problems}
	a.Files = make([]File, len(zr.Entries))
	for i, e := range zr.Entries {
		a.Files[i] = File{Path: e.Name, Type: e.Type, Exec: e.Exec, Size: e.Size, Link: e.Link}
		a.UnzippedBytes += e.Size
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range zr.Entries {
		e, f := &zr.Entries[i], &a.Files[i]
		if f.Type != zipper.TypeFile || f.Size == 0 || !zipper.ValidName(e.Name) {
			continue
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			loadZipFile(zr, e, f)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return a, nil
}

// elfBuffers holds the buffers ELF objects of a zip are inflated into, one
// per reader at a time: InspectELF keeps nothing that points into them.
var elfBuffers = sync.Pool{New: func() any { return new([]byte) }}

func loadZipFile(zr *zipper.Reader, e *zipper.ReadEntry, f *File) {
	head, err := zr.ReadHead(e, elfcheck.HeadSize)
	if err != nil {
		f.ReadErr = err
		return
	}
	identify(f, head)
	switch {
	case f.ID.Format == elfcheck.ELF:
		if f.Size > maxELFBytes {
			f.ELFErr = fmt.Errorf("not inspected: %d bytes is over Lambda's unzipped limit", f.Size)
			return
		}
		bp := elfBuffers.Get().(*[]byte)
		defer elfBuffers.Put(bp)
		b, err := zr.ReadAllInto(e, *bp, maxELFBytes)
		*bp = b
		if err != nil {
			f.ReadErr = err
			return
		}
		f.ELF, f.ELFErr = elfcheck.InspectELF(bytes.NewReader(b), int64(len(b)), elfOptions(f.Path))
	case needsText(f.Path):
		if f.Text, err = zr.ReadAll(e, maxTextBytes); err != nil {
			f.ReadErr = err
		}
	}
}
