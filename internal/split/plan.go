package split

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// Artifact is one zip a build will write.
type Artifact struct {
	Kind   layers.Kind
	Name   string
	Target layers.Target // zero for the function's code
	// Path is the zip's path in the output folder, with '/'.
	Path string
	// Root is the folder on disk the entries' Source paths are relative to.
	Root    string
	Entries []zipper.Entry
}

// Plan is what a build will write, what it leaves out, and what the user
// should hear about.
type Plan struct {
	Artifacts []Artifact
	// Excluded lists what was left out, with paths relative to the project
	// folder.
	Excluded []Excluded
	Warnings []string
}

// LayerZipPath returns where a layer's zip goes in the output folder.
func LayerZipPath(layer string, t layers.Target) string {
	return "layers/" + layer + "-" + t.String() + ".zip"
}

// PlanBuild plans the zips of the project c describes, given the output
// folder (absolute, or relative to the working folder). The output folder
// is left out of every zip wherever the walk meets it, whatever path or
// link spells it: a folder is the output folder when it is the same file
// (device and inode). Every problem found in the tree is returned at once.
// A cancelled ctx stops the walk, and its error is returned.
//
// Globs are checked with config.CheckGlob before any is matched, so a glob
// whose braces would take exponential time is refused even in a config
// that was never validated.
//
// Nothing outside the project folder is packaged, whatever links say: the
// main root and each layer's folder are resolved with config.Resolve, which
// follows a symlink that stays inside the project and refuses one that
// leads out. The tree is then read through the real paths.
func PlanBuild(ctx context.Context, c *config.Config, outDir string) (*Plan, error) {
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolving the project folder: %w", err)
	}
	out, err := filepath.Abs(outDir)
	if err != nil {
		return nil, err
	}
	out = realPath(out)
	if err := checkGlobs(c); err != nil {
		return nil, err
	}
	plan := &Plan{}
	var problems ScanErrors
	collect := func(err error) error {
		if se, ok := err.(ScanErrors); ok {
			problems = append(problems, se...)
			return nil
		}
		return err
	}
	// resolve returns the real path of a configured folder, or "" after
	// noting the problem (a missing folder, a link out of the project, or
	// a file that is not a folder).
	resolve := func(rel string) string {
		real, err := config.Resolve(dir, rel)
		if err == nil {
			// Lstat, not open: opening a FIFO blocks until a writer comes.
			var fi os.FileInfo
			if fi, err = os.Lstat(real); err == nil && !fi.IsDir() {
				err = fmt.Errorf("%s, not a folder", fstree.KindOf(fi.Mode()))
			}
		}
		if err != nil {
			problems = append(problems, &FileError{Path: filepath.Join(abs, filepath.FromSlash(rel)), Err: err})
			return ""
		}
		return real
	}

	// Folders that belong to layers, the config and the output folder are
	// not the function's code: by the path the walk meets (which may be a
	// link) and by the folder it leads to.
	notMain := map[string]bool{}
	if c.File == "" {
		notMain[filepath.Join(dir, config.ConventionDir)] = true
		if real, err := config.Resolve(dir, config.ConventionDir); err == nil {
			notMain[real] = true
		}
	}
	layerRoots := map[string]string{} // a target's from: -> its real path
	for _, name := range c.LayerNames() {
		for _, ts := range c.Layers[name].Targets {
			notMain[filepath.Join(dir, filepath.FromSlash(ts.From))] = true
			if real := resolve(ts.From); real != "" {
				notMain[real] = true
				layerRoots[ts.From] = real
			}
		}
	}
	if c.File != "" {
		configFile, _ := filepath.Abs(c.File)
		notMain[realPath(configFile)] = true // not a layer, but never main code either
	}
	notMain[out] = true
	var outInfo os.FileInfo // nil when missing: nothing to leave out
	if real, err := filepath.EvalSymlinks(out); err == nil {
		outInfo, _ = os.Stat(real) // named as the walk meets it
	}

	mainRoot := resolve(c.Main.Root)
	if mainRoot == "" {
		return nil, problems
	}
	prefix := relTo(dir, filepath.Join(dir, filepath.FromSlash(c.Main.Root)))
	main := Artifact{Kind: layers.KindFunction, Name: "main", Path: "main.zip", Root: mainRoot}
	entries, excluded, err := Scan(ctx, mainRoot, excludeFilter(mainRoot, notMain, outInfo, c.Main.Exclude, "main.exclude"))
	if err := collect(err); err != nil {
		return nil, err
	}
	if len(c.Main.Include) > 0 {
		entries, err = applyInclude(ctx, entries, c.Main.Include, func(rel string) {
			excluded = append(excluded, Excluded{Path: rel, Reason: "not matched by main.include"})
		})
		if err != nil {
			return nil, err
		}
	}
	main.Entries = entries
	problems = append(problems, checkLinkTargets(mainRoot, entries, excluded)...)
	plan.Excluded = append(plan.Excluded, prefixed(prefix, excluded)...)
	plan.Artifacts = append(plan.Artifacts, main)

	for _, name := range c.LayerNames() {
		l := c.Layers[name]
		for _, ts := range l.Targets {
			t := ts.Target()
			root, ok := layerRoots[ts.From]
			if !ok {
				continue // its problem is noted
			}
			var rt *layers.Runtime
			if r, ok := layers.LookupRuntime(t.Runtime); ok {
				rt = &r
			}
			warnings, err := checkLayout(root, ts.From, rt)
			if err != nil {
				problems = append(problems, &FileError{Path: root, Err: err})
				continue
			}
			plan.Warnings = append(plan.Warnings, warnings...)
			entries, excluded, err := Scan(ctx, root, excludeFilter(root, map[string]bool{out: true}, outInfo, l.Exclude, "layers."+name+".exclude"))
			if err := collect(err); err != nil {
				return nil, err
			}
			problems = append(problems, checkLinkTargets(root, entries, excluded)...)
			plan.Excluded = append(plan.Excluded, prefixed(relTo(dir, filepath.Join(dir, filepath.FromSlash(ts.From))), excluded)...)
			plan.Artifacts = append(plan.Artifacts, Artifact{
				Kind: layers.KindLayer, Name: name, Target: t,
				Path: LayerZipPath(name, t), Root: root, Entries: entries,
			})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return plan, nil
}

// excludeFilter leaves out, under root: the paths on disk in silent, and the
// folder out describes (nil for none), without a word; then the default
// excludes and secrets, then what matches one of the user's globs (named by
// setting in the reason). Only a folder with out's name costs an Lstat.
func excludeFilter(root string, silent map[string]bool, out os.FileInfo, globs []string, setting string) Filter {
	return func(rel string, isDir bool) Verdict {
		disk := filepath.Join(root, filepath.FromSlash(rel))
		if silent[disk] {
			return Verdict{Silent: true}
		}
		if isDir && out != nil && path.Base(rel) == out.Name() {
			if fi, err := os.Lstat(disk); err == nil && os.SameFile(fi, out) {
				return Verdict{Silent: true}
			}
		}
		if v := classify(filepath.Base(disk), disk, isDir); v.Reason != "" {
			return v
		}
		if g := firstMatch(globs, rel); g != "" {
			return Verdict{Reason: fmt.Sprintf("%s %q", setting, g)}
		}
		return Verdict{}
	}
}

// applyInclude keeps the files and symlinks that match an include glob, and
// the folders that lead to them.
func applyInclude(ctx context.Context, entries []zipper.Entry, include []string, dropped func(string)) ([]zipper.Entry, error) {
	keepDir := map[string]bool{}
	var kept []zipper.Entry
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.Type == zipper.TypeDir {
			continue
		}
		if firstMatch(include, e.Name) == "" {
			dropped(e.Name)
			continue
		}
		for d := filepath.ToSlash(filepath.Dir(e.Name)); d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
			keepDir[d] = true
		}
		kept = append(kept, e)
	}
	for _, e := range entries {
		if e.Type == zipper.TypeDir && keepDir[e.Name] {
			kept = append(kept, e)
		}
	}
	SortEntries(kept)
	return kept, nil
}

// checkGlobs refuses the config's globs that config.CheckGlob refuses, and
// sets of them that config.CheckGlobSet refuses.
func checkGlobs(c *config.Config) error {
	sets := map[string][]string{"main.include": c.Main.Include, "main.exclude": c.Main.Exclude, "main.slim_keep": c.Main.SlimKeep}
	for _, name := range c.LayerNames() {
		sets["layers."+name+".exclude"] = c.Layers[name].Exclude
		sets["layers."+name+".slim_keep"] = c.Layers[name].SlimKeep
	}
	var errs []error
	for _, setting := range slices.Sorted(maps.Keys(sets)) {
		for _, g := range sets[setting] {
			if err := config.CheckGlob(g); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", setting, err))
			}
		}
	}
	if len(errs) == 0 {
		if err := config.CheckGlobSet(append(slices.Clone(c.Main.Include), c.Main.Exclude...)); err != nil {
			errs = append(errs, fmt.Errorf("main.include and main.exclude: %w", err))
		}
		if err := config.CheckGlobSet(c.Main.SlimKeep); err != nil {
			errs = append(errs, fmt.Errorf("main.slim_keep: %w", err))
		}
		for _, name := range c.LayerNames() {
			if err := config.CheckGlobSet(c.Layers[name].Exclude); err != nil {
				errs = append(errs, fmt.Errorf("layers.%s.exclude: %w", name, err))
			}
			if err := config.CheckGlobSet(c.Layers[name].SlimKeep); err != nil {
				errs = append(errs, fmt.Errorf("layers.%s.slim_keep: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// checkLayout checks, with layers.CheckLayout, that a layer folder holds
// folders the runtime reads at its top level. A folder that wraps them one
// level too deep is an error, since Lambda would extract it to
// /opt/<folder>/python, where no runtime looks; so is a folder with nothing
// the runtime reads. Top-level items the runtime does not read are
// warnings. Folders left out by default (.git, __pycache__) are not looked
// at.
func checkLayout(root, from string, r *layers.Runtime) (warnings []string, err error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	dirs := layers.AllLayerDirs()
	runtime, layer := "the runtime", "a layer"
	if r != nil {
		dirs, runtime, layer = r.LayerDirs(), r.ID, "a "+r.ID+" layer"
	}
	// tops holds, for each top-level folder, the runtime's folders found in
	// it: all that CheckLayout looks for inside.
	tops := map[string][]string{}
	shown := map[string]string{} // name as shown: folders end in '/'
	for _, e := range ents {
		name := e.Name()
		if _, ok := defaultExcludedDirs[name]; ok {
			continue
		}
		fi, err := os.Stat(filepath.Join(root, name)) // a link to a folder shows as one
		if err != nil || !fi.IsDir() {
			tops[name], shown[name] = nil, name
			continue
		}
		inner := []string{}
		for _, d := range dirs {
			if fi, err := os.Stat(filepath.Join(root, name, d)); err == nil && fi.IsDir() {
				inner = append(inner, d)
			}
		}
		tops[name], shown[name] = inner, name+"/"
	}
	l := layers.CheckLayout(r, tops)
	want := strings.Join(dirs, "/, ") + "/"
	if r != nil && r.Family() == "provided" {
		want += " or a bootstrap file"
	}
	if len(l.Read) == 0 {
		switch {
		case l.Wrapper != "":
			inner := l.Wrapper + "/" + l.Inner + "/"
			return nil, fmt.Errorf("layer folder %s wraps its content one level too deep: %s would land in /opt/%s, where %s never looks; move the contents of %s/ up into %s",
				from, inner, inner, runtime, l.Wrapper, from)
		case len(l.Unread) == 0:
			return nil, fmt.Errorf("layer folder %s is empty: %s needs %s at its top level", from, layer, want)
		default:
			held := make([]string, 0, len(l.Unread))
			for _, u := range l.Unread {
				held = append(held, shown[u])
			}
			const maxShown = 5
			if len(held) > maxShown {
				held = append(held[:maxShown], fmt.Sprintf("and %d more", len(l.Unread)-maxShown))
			}
			return nil, fmt.Errorf("layer folder %s holds none of the folders %s reads at a layer's top level (%s); it holds %s, which would land in /opt/ where %s does not look",
				from, runtime, want, strings.Join(held, ", "), runtime)
		}
	}
	for _, u := range l.Unread {
		warnings = append(warnings, fmt.Sprintf("%s/%s lands in /opt/%s, which %s does not read (it reads %s)", from, shown[u], shown[u], runtime, want))
	}
	return warnings, nil
}

// realPath resolves the symlinks in the longest leading part of p that
// exists, and keeps the rest as written: the output folder may not exist
// yet.
func realPath(p string) string {
	rest := ""
	for cur := p; ; {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func relTo(base, p string) string {
	r, err := filepath.Rel(base, p)
	if err != nil || r == "." {
		return ""
	}
	return filepath.ToSlash(r) + "/"
}

func prefixed(prefix string, ex []Excluded) []Excluded {
	for i := range ex {
		ex[i].Path = prefix + ex[i].Path
	}
	return ex
}
