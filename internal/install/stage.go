package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// StateDir is the folder, in the project folder, where layerkit keeps its
// own state. The build never packages a folder of this name (see
// split.defaultExcludedDirs), and it is outside every layer folder.
const StateDir = ".layerkit"

// stageDir is where installs are staged, under StateDir: each job gets a
// fresh <python|nodejs>-NNN folder there, renamed into the layer folder only
// when the installer succeeded. It is in the project folder, so on the same
// filesystem as the layer folders (which are inside the project), and each
// rename is atomic.
const stageDir = "install"

// StagingDir returns the folder in which installs of the project in dir
// are staged.
func StagingDir(project string) string {
	return filepath.Join(project, StateDir, stageDir)
}

// newStage makes a fresh staging folder for sub (python or nodejs) under
// root. Another install that finished may remove root between MkdirAll and
// MkdirTemp, so that is tried again.
func newStage(root, sub string) (string, error) {
	for i := 0; ; i++ {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return "", fmt.Errorf("making the staging folder: %w", err)
		}
		tmp, err := os.MkdirTemp(root, sub+"-")
		if err == nil || !errors.Is(err, fs.ErrNotExist) || i == 3 {
			if err != nil {
				return "", fmt.Errorf("making the staging folder: %w", err)
			}
			return tmp, nil
		}
	}
}

// removeIfEmpty removes the staging folder and the state folder above it
// when nothing else is in them, and only when no other install holds the
// staging folder; then it releases the lock.
func removeIfEmpty(project string, l *stageLock) {
	if l.tryExclusive() && os.Remove(StagingDir(project)) == nil {
		os.Remove(filepath.Join(project, StateDir))
	}
	l.unlock()
}

// Names of what an interrupted install leaves behind: a staging folder of
// newStage in the staging folder; and, from layerkit before installs were
// staged outside the layer folder, os.MkdirTemp's .layerkit-install-NNN and
// the previous folder moved aside as python.layerkit-old or
// nodejs.layerkit-old in the layer folder.
var (
	stageName    = regexp.MustCompile(`^(python|nodejs)-[0-9]+$`)
	oldStageName = regexp.MustCompile(`^(\.layerkit-install-[0-9]+|python\.layerkit-old|nodejs\.layerkit-old)$`)
)

// sweep removes the folders (or symlinks) in dir whose names match, and
// tells swept about each; a dir that does not exist holds nothing.
func sweep(dir string, match *regexp.Regexp, swept func(string, error)) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			swept(dir, fmt.Errorf("listing leftovers of interrupted installs: %w", err))
		}
		return
	}
	for _, e := range ents {
		if !match.MatchString(e.Name()) || e.Type()&(fs.ModeDir|fs.ModeSymlink) == 0 {
			continue
		}
		p := filepath.Join(dir, e.Name())
		swept(p, os.RemoveAll(p))
	}
}

// swap replaces dir/sub with stage/sub: the previous dir/sub is first
// renamed to stage/old, so nothing but dir/sub itself ever appears in the
// layer folder. On failure the previous folder is put back. The caller
// removes stage, and with it the previous folder.
func swap(dir, sub, stage string) error {
	final := filepath.Join(dir, sub)
	dest := filepath.Join(stage, sub)
	old := ""
	if _, err := os.Lstat(final); err == nil {
		old = filepath.Join(stage, "old")
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("moving the previous %s aside: %w", final, err)
		}
	}
	if err := os.Rename(dest, final); err != nil {
		if old != "" {
			os.Rename(old, final)
		}
		return fmt.Errorf("moving the new %s into place: %w", final, err)
	}
	return nil
}
