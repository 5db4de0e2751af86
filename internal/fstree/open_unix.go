//go:build unix

package fstree

import (
	"fmt"
	"io"
	"syscall"
)

// rawFile is a folder's file read through its descriptor alone. os.File
// would also try to register every descriptor with the network poller (one
// failed epoll_ctl per regular file) and attach a cleanup: a fifth of a
// check's time on a 5,000-file layer.
type rawFile struct {
	fd   int
	size int64
	exec bool
}

// openNoFollow opens a regular file for reading. It refuses a symlink
// swapped in since the walk saw a regular file there (O_NOFOLLOW), and
// never blocks on a named pipe or device (O_NONBLOCK, then the type is
// checked before any read).
func openNoFollow(p string) (*rawFile, error) {
	for {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			syscall.Close(fd)
			return nil, err
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			syscall.Close(fd)
			return nil, fmt.Errorf("%w (mode %o)", ErrNotRegular, st.Mode&syscall.S_IFMT)
		}
		return &rawFile{fd: fd, size: st.Size, exec: st.Mode&0o111 != 0}, nil
	}
}

func (f *rawFile) Close() error { return syscall.Close(f.fd) }

// Stat returns the file's size and whether any execute bit is set, as they
// were when it was opened.
func (f *rawFile) Stat() (size int64, exec bool, err error) { return f.size, f.exec, nil }

// Read reads from the file's current offset.
func (f *rawFile) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(b) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// ReadAt implements io.ReaderAt with pread.
func (f *rawFile) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		k, err := syscall.Pread(f.fd, b[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, io.EOF
		}
		n += k
	}
	return n, nil
}
