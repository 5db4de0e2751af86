//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package install

import "os"

// stageLock holds nothing on systems without flock(2): leftovers in the
// staging folder are swept at every start, and an install running at the
// same time from another process may lose its staging folder.
type stageLock struct{}

func lockStage(root string, sweep func()) (*stageLock, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	sweep()
	return &stageLock{}, nil
}

func (l *stageLock) tryExclusive() bool { return true }
func (l *stageLock) unlock()            {}
