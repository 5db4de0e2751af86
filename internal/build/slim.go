package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// slimKinds is the order kinds are listed in the manifest.
var slimKinds = []string{slim.Tests, slim.Docs, slim.Bytecode, slim.Stubs, slim.Debug}

// minELF is the smallest file worth looking at for debug sections: an ELF
// header and a section header table alone take more.
const minELF = 1024

// slimSettings returns whether an artifact is slimmed, its slim_keep
// globs, and whether its type stubs go too (slim_typing).
func slimSettings(c *config.Config, a *split.Artifact, all bool) (on bool, keep []string, typing bool) {
	if a.Kind == layers.KindFunction {
		return all || c.Main.Slim, c.Main.SlimKeep, c.Main.SlimTyping
	}
	l := c.Layers[a.Name]
	return all || l.Slim, l.SlimKeep, l.SlimTyping
}

// slimmed is an artifact's entries after slimming, and what went.
type slimmed struct {
	record   *layers.Slimmed
	warnings []string
	// root is the artifact's folder, which stripped entries read their
	// original objects from while the zip is written; Close releases it.
	root *os.Root
	src  *zipper.RootSource
}

func (s *slimmed) Close() {
	if s.src != nil {
		s.src.Close()
	}
	if s.root != nil {
		s.root.Close()
	}
}

// slimArtifact removes from a's entries what split.SlimEntries removes,
// and replaces each ELF object with debug sections past its segments by
// its stripped form (elfcheck.PlanStrip), checked with
// elfcheck.VerifyStrip before it is used: an object that fails the check,
// or cannot be read as ELF, is kept as it is, with a warning naming it.
// Files matching keep stay exactly as they are. Objects are examined in
// parallel; the outcome does not depend on their order. The zip reads a
// stripped object's bytes from the original file through the returned
// root, checking it is still the file that was planned (ErrChanged
// otherwise).
func slimArtifact(ctx context.Context, a *split.Artifact, keep []string, typing bool) (*slimmed, error) {
	entries, removed := split.SlimEntries(a.Entries, keep, slim.PyTag(a.Target.Runtime), typing)
	type total struct {
		bytes int64
		files int
	}
	byKind := map[string]*total{}
	for _, k := range slimKinds {
		byKind[k] = &total{}
	}
	for _, r := range removed {
		byKind[r.Kind].bytes += r.Bytes
		if !r.Folder {
			byKind[r.Kind].files++
		}
	}

	root, err := os.OpenRoot(a.Root)
	if err != nil {
		return nil, err
	}
	s := &slimmed{root: root, src: zipper.NewRootSource(root)}
	type outcome struct {
		plan *elfcheck.Stripped
		warn string
	}
	outcomes := make([]outcome, len(entries))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range entries {
		e := &entries[i]
		if e.Type != zipper.TypeFile || e.Size < minELF || !mayBeELF(e.Name) || split.KeepMatch(keep, e.Name) != "" {
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			plan, err := planStrip(s.src, e)
			switch {
			case errors.Is(err, errNotELF):
			case err != nil:
				outcomes[i].warn = fmt.Sprintf("%s: kept %s unstripped: %v", a.Path, e.Name, err)
			default:
				outcomes[i].plan = plan
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		s.Close()
		return nil, err
	}
	for i := range entries {
		o := outcomes[i]
		if o.warn != "" {
			s.warnings = append(s.warnings, o.warn)
		}
		if o.plan == nil {
			continue
		}
		e := &entries[i]
		byKind[slim.Debug].bytes += o.plan.Saved()
		byKind[slim.Debug].files++
		orig := *e
		plan := o.plan
		e.Size = plan.Size
		if e.ID != (zipper.FileID{}) {
			// The stripped bytes follow from the original's (PlanStrip is
			// deterministic), and the size tells them from the original's
			// in a cache written by a build that did not strip it.
			e.ID.Size = plan.Size
		}
		e.Content = func() (io.ReaderAt, io.Closer, error) {
			f, err := s.src.Open(orig.Source)
			if err != nil {
				return nil, nil, err
			}
			if err := sameFile(f, &orig); err != nil {
				f.Close()
				return nil, nil, err
			}
			return plan.Reader(f), f, nil
		}
	}
	a.Entries = entries
	rec := &layers.Slimmed{Removed: []layers.SlimRemoved{}}
	for _, k := range slimKinds {
		if t := byKind[k]; t.files > 0 || t.bytes > 0 {
			rec.Removed = append(rec.Removed, layers.SlimRemoved{Kind: k, Bytes: t.bytes, Files: t.files})
			rec.Bytes += t.bytes
		}
	}
	s.record = rec
	return s, nil
}

// verifyStrip checks a stripped object before it is used; a variable so
// that a test can make the check fail.
var verifyStrip = elfcheck.VerifyStrip

// errNotELF says a file is not an ELF object: nothing to strip.
var errNotELF = errors.New("not an ELF object")

// planStrip plans and verifies the strip of e's file, or returns nil when
// there is nothing to strip.
func planStrip(src *zipper.RootSource, e *zipper.Entry) (*elfcheck.Stripped, error) {
	f, err := src.Open(e.Source)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := sameFile(f, e); err != nil {
		return nil, err
	}
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != "\x7fELF" {
		return nil, errNotELF
	}
	plan, err := elfcheck.PlanStrip(f, e.Size)
	if err != nil || plan == nil {
		return nil, err
	}
	if err := verifyStrip(f, e.Size, plan.Reader(f), plan.Size); err != nil {
		return nil, err
	}
	return plan, nil
}

// sameFile checks that f is still the regular file e planned.
func sameFile(f *os.File, e *zipper.Entry) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w (%s)", zipper.ErrNotRegular, fi.Mode().Type())
	}
	if fi.Size() != e.Size || e.ID != (zipper.FileID{}) && zipper.IDOf(fi) != e.ID {
		return fmt.Errorf("%w: %s", zipper.ErrChanged, filepath.FromSlash(e.Name))
	}
	return nil
}

// mayBeELF reports whether a file's name leaves it possibly an ELF object:
// names of source, text and data formats that never are one are skipped
// without being opened.
func mayBeELF(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".py", ".pyi", ".pyx", ".pxd", ".pyc", ".txt", ".md", ".rst", ".json", ".js", ".mjs", ".cjs", ".ts", ".map",
		".h", ".hpp", ".c", ".cc", ".cpp", ".f", ".f90", ".html", ".css", ".csv", ".xml", ".svg", ".yaml", ".yml",
		".toml", ".cfg", ".ini", ".png", ".jpg", ".jpeg", ".gif", ".npy", ".npz", ".pem", ".typed", ".gz", ".zip", ".whl":
		return false
	}
	return true
}
