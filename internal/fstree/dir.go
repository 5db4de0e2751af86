package fstree

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// skippedDirs are never walked in a folder: version control state is never
// packaged by any tool.
var skippedDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, ".bzr": true}

// Dir is a folder read as a Tree. Version-control folders (.git, .hg, .svn,
// .bzr) are left out.
type Dir struct {
	name string
	root string // the folder, its own symlinks resolved
}

// OpenDir returns the folder at name as a Tree. A symlink naming the folder
// itself is followed, as the user pointed at it; links inside it never are.
func OpenDir(name string) (*Dir, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", name)
	}
	root, err := filepath.EvalSymlinks(name)
	if err != nil {
		return nil, err
	}
	return &Dir{name: name, root: root}, nil
}

// Name implements Tree.
func (d *Dir) Name() string { return d.name }

// Walk implements Tree: entries come in lexical order, folders before their
// content. A regular file's Size is -1: its File says it.
func (d *Dir) Walk(ctx context.Context, fn func(Entry) error) error {
	return filepath.WalkDir(d.root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == d.root {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		t := de.Type()
		if t.IsDir() && skippedDirs[de.Name()] {
			return filepath.SkipDir
		}
		e, err := entryOf(p, rel, t)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

func entryOf(p, rel string, t fs.FileMode) (Entry, error) {
	switch {
	case t.IsDir():
		return Entry{Path: rel, Type: TypeDir}, nil
	case t&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return Entry{}, err
		}
		return Entry{Path: rel, Type: TypeSymlink, Link: target, Size: int64(len(target))}, nil
	case t.IsRegular():
		return Entry{Path: rel, Type: TypeFile, Size: -1}, nil
	}
	return Entry{Path: rel, Type: TypeFile, Special: KindOf(t)}, nil
}

// KindOf names the type of file a mode describes, as messages show it to a
// person: "a named pipe (FIFO)", "a socket", "a folder", "a regular file".
func KindOf(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t&fs.ModeDir != 0:
		return "a folder"
	case t&fs.ModeSymlink != 0:
		return "a symlink"
	case t == 0:
		return "a regular file"
	default:
		return "a special file (" + t.String() + ")"
	}
}

func (d *Dir) path(name string) (string, error) {
	if !fs.ValidPath(name) || strings.Contains(name, "\\") {
		return "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

// Stat implements Tree.
func (d *Dir) Stat(name string) (Entry, error) {
	p, err := d.path(name)
	if err != nil {
		return Entry{}, err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return Entry{}, err
	}
	e, err := entryOf(p, name, fi.Mode().Type())
	if e.Type == TypeFile && e.Special == "" {
		e.Size, e.Exec = fi.Size(), fi.Mode()&0o111 != 0
	}
	return e, err
}

// Open implements Tree. It never follows a symlink in the file's own name
// and never blocks on a named pipe swapped in since the walk: anything but a
// regular file is an error wrapping ErrNotRegular. The File implements
// io.ReaderAt.
func (d *Dir) Open(name string) (File, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := openNoFollow(p)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(d.name, filepath.FromSlash(name)), Err: err}
	}
	return f, nil
}

// ReadLink implements Tree.
func (d *Dir) ReadLink(name string) (string, error) {
	p, err := d.path(name)
	if err != nil {
		return "", err
	}
	return os.Readlink(p)
}
