package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/internal/config"
)

// ErrOutputHoldsSource reports an output folder that is, or holds, a folder
// the build packages: the build would package its own output.
var ErrOutputHoldsSource = errors.New("the output folder is or holds a folder the build packages")

// ErrOutsideProject reports a config whose out: leaves the project folder
// while Options.OutOutsideProject is not set.
var ErrOutsideProject = config.ErrOutsideProject

// outputFolder returns the build's output folder as the user spelled it
// (Options.Out, or the config's out: under the project folder, or as is
// when absolute) and as a path with no symlinks in it. It refuses an output
// folder that is or holds the project folder, main.root or a layer's
// folder, and a config's out: that resolves outside the project folder
// unless opts.OutOutsideProject is set. An Out given in Options is the
// user's own choice and may be anywhere else.
func outputFolder(c *config.Config, opts Options) (shown, real string, err error) {
	shown = opts.Out
	fromConfig := shown == ""
	if fromConfig {
		shown = filepath.FromSlash(c.Out)
		if !filepath.IsAbs(shown) {
			shown = filepath.Join(c.Dir, shown)
		}
	}
	if real, err = realPath(shown); err != nil {
		return "", "", fmt.Errorf("resolving the output folder %s: %w", shown, err)
	}
	project, err := realPath(c.Dir)
	if err != nil {
		return "", "", fmt.Errorf("resolving the project folder %s: %w", c.Dir, err)
	}

	type source struct{ what, dir string }
	sources := []source{{"the project folder", c.Dir}, {"main.root", filepath.Join(c.Dir, filepath.FromSlash(c.Main.Root))}}
	for _, name := range c.LayerNames() {
		for _, ts := range c.Layers[name].Targets {
			sources = append(sources, source{fmt.Sprintf("the folder of layer %s for %s", name, ts.Target()), filepath.Join(c.Dir, filepath.FromSlash(ts.From))})
		}
	}
	for _, s := range sources {
		r, err := realPath(s.dir)
		if err != nil || !within(r, real) {
			continue // a source that cannot be resolved is the planner's to report
		}
		rel := "is"
		if r != real {
			rel = "holds"
		}
		return "", "", fmt.Errorf("output folder %s %s %s (%s): %w; build into a folder inside the project, such as %s, or outside it",
			shown, rel, s.what, s.dir, ErrOutputHoldsSource, config.DefaultOut)
	}
	if fromConfig && !within(real, project) && !opts.OutOutsideProject {
		return "", "", fmt.Errorf("out: %s resolves to %s, %w %s; pass --out to write there, or --out-outside-project to accept the config's out:",
			c.Out, real, ErrOutsideProject, project)
	}
	return shown, real, nil
}

// realPath returns p, absolute, with every symlink in the part of it that
// exists resolved; the rest, not created yet, is joined as it is. A
// dangling symlink on the way is an error, so that nothing is created
// where it points.
func realPath(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for q := p; ; {
		_, err := os.Lstat(q)
		if err == nil {
			r, err := filepath.EvalSymlinks(q)
			if err != nil {
				return "", err
			}
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(q)
		if parent == q {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(q), rest)
		q = parent
	}
}

// within reports whether path is dir or inside it; both are clean and
// absolute.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
