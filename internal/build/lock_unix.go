//go:build unix

package build

import (
	"errors"
	"os"
	"syscall"
)

// nonblock opens a file without waiting for a FIFO's other end.
const nonblock = syscall.O_NONBLOCK

// lockFile takes an exclusive lock on f without waiting, and returns
// ErrBusy when another process holds it. The lock goes with the last
// descriptor of f, or with the process.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrBusy
	}
	return err
}
