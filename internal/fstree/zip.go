package fstree

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/layerkit/layerkit/internal/zipper"
)

// Zip is a zip file read in place as a Tree: nothing is extracted.
type Zip struct {
	name   string
	r      *zipper.Reader
	byName map[string]int // the last entry of each name, as an extraction leaves it
}

// OpenZip opens the zip at name. Anything but a regular file (a named pipe,
// a device) is refused before it is opened, so it cannot block; a file that
// is not a zip is an error naming it. The caller closes the Zip.
func OpenZip(name string) (*Zip, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrNotRegular, KindOf(fi.Mode()))
	}
	r, err := zipper.OpenReader(name)
	if err != nil {
		return nil, err
	}
	z := &Zip{name: name, r: r, byName: make(map[string]int, len(r.Entries))}
	for i, e := range r.Entries {
		z.byName[e.Name] = i
	}
	return z, nil
}

// Close closes the zip file.
func (z *Zip) Close() error { return z.r.Close() }

// Name implements Tree.
func (z *Zip) Name() string { return z.name }

// ArchiveBytes implements Archive.
func (z *Zip) ArchiveBytes() int64 { return z.r.Size }

// Problems implements Archive.
func (z *Zip) Problems() []zipper.Problem { return z.r.Problems }

// Walk implements Tree: entries in the order the central directory lists
// them, each name as stored (possibly unsafe), sizes as declared.
func (z *Zip) Walk(ctx context.Context, fn func(Entry) error) error {
	for i := range z.r.Entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(entryOfZip(&z.r.Entries[i])); err != nil {
			return err
		}
	}
	return nil
}

func entryOfZip(e *zipper.ReadEntry) Entry {
	return Entry{Path: e.Name, Type: e.Type, Exec: e.Exec, Size: e.Size, Link: e.Link}
}

func (z *Zip) entry(op, name string) (*zipper.ReadEntry, error) {
	i, ok := z.byName[name]
	if !ok {
		return nil, &fs.PathError{Op: op, Path: z.name + ":" + name, Err: fs.ErrNotExist}
	}
	return &z.r.Entries[i], nil
}

// Stat implements Tree.
func (z *Zip) Stat(name string) (Entry, error) {
	e, err := z.entry("stat", name)
	if err != nil {
		return Entry{}, err
	}
	return entryOfZip(e), nil
}

// Open implements Tree. The content is inflated as it is read and yields
// at most the declared size; content longer or shorter than declared, or
// with a bad CRC-32, is a read error.
func (z *Zip) Open(name string) (File, error) {
	e, err := z.entry("open", name)
	if err != nil {
		return nil, err
	}
	if e.Type != TypeFile {
		return nil, &fs.PathError{Op: "open", Path: z.name + ":" + name, Err: ErrNotRegular}
	}
	rc, err := z.r.Open(e)
	if err != nil {
		return nil, err
	}
	return &zipFile{ReadCloser: rc, e: e}, nil
}

type zipFile struct {
	io.ReadCloser
	e *zipper.ReadEntry
}

func (f *zipFile) Stat() (int64, bool, error) { return f.e.Size, f.e.Exec, nil }

// ReadLink implements Tree.
func (z *Zip) ReadLink(name string) (string, error) {
	e, err := z.entry("readlink", name)
	if err != nil {
		return "", err
	}
	if e.Type != TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: z.name + ":" + name, Err: fs.ErrInvalid}
	}
	return e.Link, nil
}
