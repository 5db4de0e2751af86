package split

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/zipper"
)

// ErrSymlinkEscapes reports a symlink whose target lies outside the root
// being packaged, or is absolute.
var ErrSymlinkEscapes = errors.New("symlink points outside the packaged folder")

// ErrSymlinkBroken reports a symlink that resolves to nothing or loops.
var ErrSymlinkBroken = errors.New("symlink does not resolve")

// ErrSpecialFile reports a FIFO, socket or device, which a zip cannot hold.
var ErrSpecialFile = errors.New("not a regular file, folder or symlink")

// FileError is a problem with one file of the tree, by its path on disk.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ScanErrors collects every problem found in one walk, so the user sees all
// of them at once.
type ScanErrors []*FileError

func (s ScanErrors) Error() string {
	var b strings.Builder
	for i, e := range s {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.Is and errors.As look at
// each.
func (s ScanErrors) Unwrap() []error {
	errs := make([]error, len(s))
	for i, e := range s {
		errs[i] = e
	}
	return errs
}

// Excluded is a path left out of a zip, and why.
type Excluded struct {
	Path   string `json:"path"` // relative to the scanned root, with '/'
	Reason string `json:"reason"`
	Secret bool   `json:"secret"`
	Bytes  int64  `json:"bytes"`
}

// Verdict is a Filter's decision on one path.
type Verdict struct {
	// Reason says why the path is left out; "" keeps it.
	Reason string
	// Secret marks a path left out because it looks like a credential.
	Secret bool
	// Silent leaves the path out without listing it in Excluded: for what
	// is packaged elsewhere (a layer's folder) or is the build's own output.
	Silent bool
}

// Filter decides what a walk leaves out, given a path relative to the root
// and whether it is a folder. Scan calls it from several goroutines at once.
type Filter func(rel string, isDir bool) Verdict

// Scan walks the folder root and returns the zip entries for everything the
// filter keeps, sorted as zipper.CheckEntries wants, with Source relative to
// root. Symlinks are kept as symlinks when they resolve inside root; one that
// points outside, is absolute, dangles or loops is an error, as are FIFOs,
// sockets and devices. Every such problem is returned at once, as
// ScanErrors, sorted by path; excluded paths come in the order of a walk.
// A cancelled ctx stops the walk at the next file, and Scan returns its
// error.
//
// Folders are read on every core: for a tree of thousands of files the
// walk is a stat per file, and would otherwise keep one core busy while
// the others wait for the zip writer to start.
func Scan(ctx context.Context, root string, keep Filter) (entries []zipper.Entry, excluded []Excluded, err error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, nil, err
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return nil, nil, err
	}
	s := &scanner{realRoot: realRoot, keep: keep, hadExcluded: map[string]bool{}}
	s.g.SetLimit(runtime.GOMAXPROCS(0))
	s.folder(ctx, absRoot, "")
	s.g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if len(s.problems) > 0 {
		sort.Slice(s.problems, func(i, j int) bool { return s.problems[i].Path < s.problems[j].Path })
		return nil, nil, s.problems
	}
	sort.Slice(s.excluded, func(i, j int) bool { return walkOrder(s.excluded[i].Path, s.excluded[j].Path) })
	SortEntries(s.entries)
	return dropEmptied(s.entries, s.hadExcluded), s.excluded, nil
}

// scanner holds a walk's results, which the goroutines reading folders add
// to.
type scanner struct {
	realRoot string
	keep     Filter
	g        errgroup.Group

	mu       sync.Mutex
	entries  []zipper.Entry
	excluded []Excluded
	problems ScanErrors
	// hadExcluded marks folders something was left out of: such a folder
	// is dropped when nothing else in it is kept.
	hadExcluded map[string]bool
}

// folder reads the folder at p (rel to the root, "" for the root itself),
// adds what it holds, and walks its subfolders: in a new goroutine while
// fewer than GOMAXPROCS run, else in this one.
func (s *scanner) folder(ctx context.Context, p, rel string) {
	if ctx.Err() != nil {
		return
	}
	list, err := os.ReadDir(p)
	if err != nil {
		s.mu.Lock()
		s.problems = append(s.problems, &FileError{Path: p, Err: unwrapPathError(err)})
		s.mu.Unlock()
		return
	}
	var (
		entries     []zipper.Entry
		excluded    []Excluded
		problems    ScanErrors
		hadExcluded bool
		subs        [][2]string // the folders to walk: path on disk, rel
	)
	for _, d := range list {
		if ctx.Err() != nil {
			return
		}
		cp := filepath.Join(p, d.Name())
		crel := d.Name()
		if rel != "" {
			crel = rel + "/" + crel
		}
		if v := s.keep(crel, d.IsDir()); v.Reason != "" || v.Silent {
			hadExcluded = true
			if v.Silent {
				continue
			}
			ex := Excluded{Path: crel, Reason: v.Reason, Secret: v.Secret}
			if d.IsDir() {
				ex.Path += "/"
				ex.Bytes = duBytes(ctx, cp)
			} else if fi, err := d.Info(); err == nil {
				ex.Bytes = fi.Size()
			}
			excluded = append(excluded, ex)
			continue
		}
		fi, err := d.Info()
		if err != nil {
			problems = append(problems, &FileError{Path: cp, Err: unwrapPathError(err)})
			continue
		}
		e := zipper.Entry{Name: crel, Source: crel}
		switch mode := fi.Mode(); {
		case mode.IsDir():
			e.Type = zipper.TypeDir
		case mode.IsRegular():
			e.Type = zipper.TypeFile
			e.Size = fi.Size()
			e.Exec = mode&0o111 != 0
			e.ID = zipper.IDOf(fi)
		case mode&fs.ModeSymlink != 0:
			e.Type = zipper.TypeSymlink
			e.Link, err = checkSymlink(s.realRoot, cp, crel)
			if err != nil {
				problems = append(problems, &FileError{Path: cp, Err: err})
				continue
			}
		default:
			problems = append(problems, &FileError{Path: cp, Err: fmt.Errorf("%w: %s, which a zip cannot hold; remove it, or exclude it", ErrSpecialFile, fstree.KindOf(mode))})
			continue
		}
		if !zipper.ValidName(crel) {
			problems = append(problems, &FileError{Path: cp, Err: zipper.ErrUnsafePath})
			continue
		}
		if e.Type == zipper.TypeDir {
			subs = append(subs, [2]string{cp, crel})
		}
		entries = append(entries, e)
	}
	s.mu.Lock()
	s.entries = append(s.entries, entries...)
	s.excluded = append(s.excluded, excluded...)
	s.problems = append(s.problems, problems...)
	if hadExcluded {
		key := rel
		if key == "" {
			key = "." // as path.Dir names the root
		}
		s.hadExcluded[key] = true
	}
	s.mu.Unlock()
	for _, sub := range subs {
		if !s.g.TryGo(func() error { s.folder(ctx, sub[0], sub[1]); return nil }) {
			s.folder(ctx, sub[0], sub[1])
		}
	}
}

// walkOrder reports whether a comes before b in a depth-first walk that
// lists each folder by name, as filepath.WalkDir does: "a/b" before "a.txt".
func walkOrder(a, b string) bool {
	a, b = strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/")
	for {
		ah, at, aok := strings.Cut(a, "/")
		bh, bt, bok := strings.Cut(b, "/")
		if ah != bh {
			return ah < bh
		}
		if !aok || !bok {
			return !aok && bok
		}
		a, b = at, bt
	}
}

// dropEmptied removes folders that hold nothing once excludes are applied
// but were not empty on disk, so that leaving out tests/ does not leave an
// empty tests/ behind. Folders empty on disk are kept: the zip gives back
// the tree.
func dropEmptied(entries []zipper.Entry, hadExcluded map[string]bool) []zipper.Entry {
	if len(hadExcluded) == 0 {
		return entries
	}
	kids := map[string]int{}
	for _, e := range entries {
		kids[path.Dir(e.Name)]++
	}
	drop := map[string]bool{}
	// Deepest first, so that a folder emptied by dropping its only child
	// folder is dropped too.
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Type == zipper.TypeDir && kids[e.Name] == 0 && hadExcluded[e.Name] {
			drop[e.Name] = true
			kids[path.Dir(e.Name)]--
			hadExcluded[path.Dir(e.Name)] = true
		}
	}
	if len(drop) == 0 {
		return entries
	}
	kept := entries[:0]
	for _, e := range entries {
		if !(e.Type == zipper.TypeDir && drop[e.Name]) {
			kept = append(kept, e)
		}
	}
	return kept
}

// SortEntries sorts entries by the names they are written under in a zip
// (folders with a trailing '/').
func SortEntries(entries []zipper.Entry) {
	key := func(e *zipper.Entry) string {
		if e.Type == zipper.TypeDir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(&entries[i]) < key(&entries[j]) })
}

// checkSymlink returns the symlink's target when it is relative, stays
// inside the root as written, and resolves (through any further links) to
// something inside the root.
func checkSymlink(realRoot, p, rel string) (string, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(target) || strings.HasPrefix(target, "/") {
		return "", fmt.Errorf("%w: %q is absolute (it would point elsewhere once extracted); make it relative", ErrSymlinkEscapes, target)
	}
	if zipper.LinkEscapes(filepath.ToSlash(rel), filepath.ToSlash(target)) {
		return "", fmt.Errorf("%w: %q leaves the folder", ErrSymlinkEscapes, target)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrSymlinkBroken, target, unwrapPathError(err))
	}
	if r, err := filepath.Rel(realRoot, resolved); err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", fmt.Errorf("%w: %q resolves to %s", ErrSymlinkEscapes, target, resolved)
	}
	return filepath.ToSlash(target), nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// duBytes sums the sizes of the regular files under dir, for reporting
// what an exclude saved.
func duBytes(ctx context.Context, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return filepath.SkipAll
		}
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
