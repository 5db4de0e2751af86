package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrOutsideProject reports a configured path that leads outside the
// project folder, spelled with ".." or through a symlink.
var ErrOutsideProject = errors.New("outside the project folder")

// LinkError reports a symlink on a configured path that leads outside the
// project folder. Nothing outside the project is packaged, whatever links
// say: a repository's links must not pull in the files of whoever builds it.
type LinkError struct {
	// Link is the symlink, relative to the project folder, with '/'.
	Link string
	// Target is the link's target as written.
	Target string
	// Resolved is where the target leads, following every link; "" when it
	// does not resolve.
	Resolved string
	// Err is ErrOutsideProject, or why the target does not resolve.
	Err error
}

func (e *LinkError) Error() string {
	if e.Resolved == "" {
		return fmt.Sprintf("%s is a symlink to %s, which does not resolve (%v)", e.Link, e.Target, e.Err)
	}
	return fmt.Sprintf("%s is a symlink to %s, which resolves to %s, %v", e.Link, e.Target, e.Resolved, e.Err)
}

func (e *LinkError) Unwrap() error { return e.Err }

// Resolve returns the real path of rel, a path relative to the project
// folder dir, following symlinks one path element at a time. A link whose
// target stays inside the project is followed: the folder it points to is
// the one read. The first link that leads outside is a *LinkError naming
// it and where it points (wrapping ErrOutsideProject), as is a link that
// does not resolve; a path that is absolute or climbs out with ".." wraps
// ErrOutsideProject. A missing element gives an error wrapping
// fs.ErrNotExist.
func Resolve(dir, rel string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("resolving the project folder: %w", err)
	}
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(rel)))
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%q: %w", rel, ErrOutsideProject)
	}
	cur, spelled := root, ""
	for elem := range strings.SplitSeq(clean, "/") {
		if elem == "." || elem == "" {
			continue
		}
		spelled = path.Join(spelled, elem)
		next := filepath.Join(cur, elem)
		fi, err := os.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(next)
			if err != nil {
				return "", err
			}
			resolved, err := filepath.EvalSymlinks(next)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return "", &LinkError{Link: spelled, Target: target, Err: err}
			}
			if !within(root, resolved) {
				return "", &LinkError{Link: spelled, Target: target, Resolved: resolved, Err: ErrOutsideProject}
			}
			next = resolved
		}
		cur = next
	}
	return cur, nil
}

// within reports whether the path p is root or lies under it, comparing
// them as written: give both as real paths.
func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}
