package fstree

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/layerkit/layerkit/internal/zipper"
)

// Type is what kind of thing an Entry is: a file, a folder or a symlink.
type Type = zipper.Type

// The entry types.
const (
	TypeFile    = zipper.TypeFile
	TypeDir     = zipper.TypeDir
	TypeSymlink = zipper.TypeSymlink
)

// Entry is one thing in a Tree.
type Entry struct {
	// Path is '/'-separated and relative to the tree's root, as stored:
	// for a zip it may be unsafe ("../x"), which the checker reports.
	Path string
	Type Type
	Exec bool
	// Size is a file's content length (as declared, for an archive), a
	// symlink's target length, or -1 when the tree learns it only when the
	// file is opened (a folder: see File.Stat).
	Size int64
	// Link is a symlink's target.
	Link string
	// Special names what a folder entry is when it is none of the three
	// types, as KindOf does ("a named pipe (FIFO)"): such an entry is never
	// opened, and no zip can hold it.
	Special string
}

// File is an opened file's content. Reads yield at most the size the tree
// records and fail when the content contradicts it.
type File interface {
	io.Reader
	io.Closer
	// Stat returns the content's length and whether an execute bit is
	// set, as the open file says.
	Stat() (size int64, exec bool, err error)
}

// Tree is a read-only file tree. Its methods are safe for concurrent use.
type Tree interface {
	// Name is the folder or file as the user named it.
	Name() string
	// Walk calls fn for every entry, folders before what they hold, in an
	// order that is the same on every call. An error from fn stops the
	// walk and is returned; so is ctx's error once it is done.
	Walk(ctx context.Context, fn func(Entry) error) error
	// Stat returns the entry at a path Walk gave, without following a
	// final symlink.
	Stat(name string) (Entry, error)
	// Open opens a regular file's content; the caller closes it. A File
	// that also implements io.ReaderAt can be read at any offset; others
	// are streams (ReadRange reads a range of either).
	Open(name string) (File, error)
	// ReadLink returns a symlink's target.
	ReadLink(name string) (string, error)
}

// Archive is implemented by a Tree read from one archive file, such as a
// zip: its size on disk, and what is wrong with its structure.
type Archive interface {
	// ArchiveBytes is the archive file's size.
	ArchiveBytes() int64
	// Problems are the hostile or broken entries found when it was opened.
	Problems() []zipper.Problem
}

// ErrNotRegular reports an Open of something that is not a regular file.
var ErrNotRegular = zipper.ErrNotRegular

// ReadRange returns up to n bytes of a file's content from offset off:
// through ReadAt where the file has it, else by reading and discarding the
// bytes before off. Fewer bytes come back only at the end of the content.
func ReadRange(t Tree, name string, off int64, n int) ([]byte, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	var k int
	if ra, ok := f.(io.ReaderAt); ok {
		k, err = ra.ReadAt(b, off)
	} else {
		if _, err = io.CopyN(io.Discard, f, off); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		k, err = io.ReadFull(f, b)
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return b[:k], nil
}
