package zipper

import (
	"errors"
	"os"
	"path"
	"sync"
	"syscall"
)

// ErrNotRegular reports a path that was planned, or expected, as a regular
// file and is something else: a folder, a FIFO, a device or a socket.
var ErrNotRegular = errors.New("not a regular file")

// openFlags open a source file without waiting: a FIFO swapped in for a
// planned file opens at once (and is then refused by its type) instead of
// blocking until a writer comes. On a regular file O_NONBLOCK does nothing.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// RootSource is a Source that opens files under an *os.Root through handles
// on their folders. os.Root resolves a path one element at a time, opening
// and closing every folder on the way, so that for a tree of thousands of
// small files the opens cost more system calls than the reads. Entries are
// written in name order, so the files of one folder come together: keeping
// the last few folders open turns each open into a single openat. The
// folder handles are themselves os.Roots, so a path still cannot leave the
// root, even through a symlink swapped in after planning. Files are opened
// with O_NONBLOCK, so a FIFO swapped in never blocks the open.
type RootSource struct {
	root *os.Root

	mu   sync.Mutex
	dirs []openDir // most recently used first
}

type openDir struct {
	name string
	root *os.Root
}

// keptDirs is how many folder handles a RootSource keeps open. The workers
// read files close to each other in name order; a few handles cover them.
const keptDirs = 8

// NewRootSource returns a Source reading from root. Close releases the
// folder handles it keeps; root itself stays open.
func NewRootSource(root *os.Root) *RootSource { return &RootSource{root: root} }

// Open opens name, a slash-separated path relative to the root.
func (s *RootSource) Open(name string) (*os.File, error) {
	dir, base := path.Split(name)
	if dir == "" {
		return s.root.OpenFile(name, openFlags, 0)
	}
	dir = dir[:len(dir)-1]
	// The lock is held across the open: a handle evicted by another
	// goroutine is closed, and must not be in use.
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.dir(dir)
	if err != nil {
		return nil, err
	}
	f, err := d.OpenFile(base, openFlags, 0)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			pe.Path = name
		}
		return nil, err
	}
	return f, nil
}

func (s *RootSource) dir(name string) (*os.Root, error) {
	for i, d := range s.dirs {
		if d.name == name {
			copy(s.dirs[1:i+1], s.dirs[:i])
			s.dirs[0] = d
			return d.root, nil
		}
	}
	r, err := s.root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	if len(s.dirs) == keptDirs {
		s.dirs[keptDirs-1].root.Close()
		s.dirs = s.dirs[:keptDirs-1]
	}
	s.dirs = append(s.dirs, openDir{})
	copy(s.dirs[1:], s.dirs)
	s.dirs[0] = openDir{name: name, root: r}
	return r, nil
}

// Close closes the folder handles.
func (s *RootSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dirs {
		d.root.Close()
	}
	s.dirs = nil
	return nil
}
