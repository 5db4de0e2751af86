//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package install

import (
	"errors"
	"os"
	"syscall"
)

// stageLock is a flock(2) on a project's staging folder: shared while an
// install runs, exclusive while leftovers are swept or the empty folder is
// removed. The kernel drops it when the process dies, however it dies, so
// what is in the folder while nobody else holds the lock belongs to no
// running install.
type stageLock struct{ f *os.File }

// lockStage opens the staging folder root, making it when missing, and
// holds a shared lock on it. When no other install holds it, sweep runs
// first under an exclusive lock. A folder removed by another install in
// between is made and opened again. Where flock is not supported (some
// network file systems) the lock holds nothing and sweep is not run.
func lockStage(root string, sweep func()) (*stageLock, error) {
	for {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
		f, err := os.Open(root)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			if same(f, root) {
				sweep()
			}
			// flock converts by unlocking first: the folder may go in
			// between, which the check below sees.
			err = flock(f, syscall.LOCK_SH)
		case errors.Is(err, syscall.EWOULDBLOCK):
			err = flock(f, syscall.LOCK_SH)
		}
		if err != nil {
			return &stageLock{f}, nil
		}
		if same(f, root) {
			return &stageLock{f}, nil
		}
		f.Close()
	}
}

// same reports whether f is still the folder at path.
func same(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// tryExclusive turns the shared lock into an exclusive one if no other
// install holds the folder. When it cannot, the lock is lost (flock
// unlocks before converting), so only unlock may follow.
func (l *stageLock) tryExclusive() bool {
	return flock(l.f, syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// unlock releases the lock.
func (l *stageLock) unlock() { l.f.Close() }

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
