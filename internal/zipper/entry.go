package zipper

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Type is what kind of thing an Entry is.
type Type uint8

// The entry types a zip holds.
const (
	TypeFile Type = iota
	TypeDir
	TypeSymlink
)

// Entry is one item to write into a zip.
type Entry struct {
	// Name is the path inside the zip: '/'-separated, relative, without
	// "." or ".." elements; no trailing '/' (folders get one when written).
	Name string
	Type Type
	// Exec marks a file as executable: stored with mode 0755, else 0644.
	// Folders are always 0755 and symlinks 0777.
	Exec bool
	// Size is the file's size in bytes when it was planned. A file whose
	// size differs when it is read fails the write with ErrChanged.
	Size int64
	// Source is the file's path relative to the Source root the zip is
	// written from. Only files are read.
	Source string
	// Link is a symlink's target, stored as the entry's content.
	Link string
	// ID identifies the file's content on disk, for the cache
	// (Options.CacheDir). The zero ID
	// never matches, so the file is always compressed.
	ID FileID
	// Content, when set, gives a file's bytes instead of Source: Size bytes
	// read through the ReaderAt it returns, for content made at build time
	// (an ELF object without its debug sections). The writer calls it
	// once per 1 MiB chunk, possibly from several goroutines at once, and
	// closes what it returns. An ID set with it must identify that content,
	// not only the file it is made from.
	Content func() (io.ReaderAt, io.Closer, error)
}

// FileID is what identifies a file's content on disk without reading it,
// as git's index and ccache do: a file whose size, modification time, change
// time and inode are all unchanged is taken to hold the same bytes.
type FileID struct {
	Size  int64  `json:"s"`
	MTime int64  `json:"m"`
	CTime int64  `json:"c"`
	Inode uint64 `json:"i"`
	Dev   uint64 `json:"d"`
}

// IDOf returns the identity of the file fi describes. Where the platform's
// stat has no change time (not Linux or macOS), size and modification time
// alone identify it.
func IDOf(fi fs.FileInfo) FileID {
	id := FileID{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	addStatID(&id, fi)
	return id
}

// Source opens the files entries name. *os.Root implements it, and refuses
// any path that would leave the root, even through a symlink swapped in
// after planning.
type Source interface {
	Open(name string) (*os.File, error)
}

// ErrUnsafePath reports an entry name that is absolute, holds "..", "." or
// empty elements, a backslash or a NUL byte.
var ErrUnsafePath = errors.New("unsafe path")

// ErrChanged reports a source file that changed between planning and
// writing.
var ErrChanged = errors.New("file changed during the build")

// ErrUnsorted reports entries that are not sorted by name or repeat a name.
var ErrUnsorted = errors.New("entries not sorted by name, or a name repeated")

// PathError records an error about one entry: the entry's name in the zip,
// what was being done, and the cause.
type PathError struct {
	Name string
	Op   string
	Err  error
}

func (e *PathError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Name, e.Err) }
func (e *PathError) Unwrap() error { return e.Err }

// ValidName reports whether name is a clean, relative, '/'-separated path
// that cannot leave an extraction root.
func ValidName(name string) bool {
	// fs.ValidPath refuses leading and trailing slashes and empty, "." and
	// ".." elements, but takes "." itself as the root.
	return name != "." && fs.ValidPath(name) && !strings.ContainsAny(name, "\\\x00")
}

// mode returns the Unix mode bits stored for the entry.
func (e *Entry) mode() uint32 {
	switch e.Type {
	case TypeDir:
		return 0o040755
	case TypeSymlink:
		return 0o120777
	}
	if e.Exec {
		return 0o100755
	}
	return 0o100644
}

// zipName returns the name written in the zip: folders end in '/'.
func (e *Entry) zipName() string {
	if e.Type == TypeDir {
		return e.Name + "/"
	}
	return e.Name
}

// CheckEntries verifies that every name is safe and that entries are sorted
// by the names they are written under, with no name repeated.
func CheckEntries(entries []Entry) error {
	prev := ""
	for i := range entries {
		e := &entries[i]
		if !ValidName(e.Name) {
			return &PathError{Name: e.Name, Op: "adding", Err: ErrUnsafePath}
		}
		if e.Type == TypeSymlink && e.Link == "" {
			return &PathError{Name: e.Name, Op: "adding", Err: errors.New("symlink with an empty target")}
		}
		n := e.zipName()
		if i > 0 && n <= prev {
			return &PathError{Name: e.Name, Op: "adding", Err: ErrUnsorted}
		}
		prev = n
	}
	return nil
}
