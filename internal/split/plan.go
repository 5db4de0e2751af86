package split

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/config"
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
func PlanBuild(c *config.Config, outDir string) (*Plan, error) {
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, err
	}
	out, err := filepath.Abs(outDir)
	if err != nil {
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

	// Folders that belong to layers, the config and the output folder are
	// not the function's code.
	notMain := map[string]bool{}
	if c.File == "" {
		notMain[filepath.Join(dir, config.ConventionDir)] = true
	}
	for _, name := range c.LayerNames() {
		for _, ts := range c.Layers[name].Targets {
			notMain[filepath.Join(dir, filepath.FromSlash(ts.From))] = true
		}
	}
	if c.File != "" {
		configFile, _ := filepath.Abs(c.File)
		notMain[configFile] = true // not a layer, but never main code either
	}
	notMain[out] = true
	var outInfo os.FileInfo // nil when missing: nothing to leave out
	if real, err := filepath.EvalSymlinks(out); err == nil {
		outInfo, _ = os.Stat(real) // named as the walk meets it
	}

	mainRoot := filepath.Join(dir, filepath.FromSlash(c.Main.Root))
	prefix := relTo(dir, mainRoot)
	main := Artifact{Kind: layers.KindFunction, Name: "main", Path: "main.zip", Root: mainRoot}
	entries, excluded, err := Scan(mainRoot, excludeFilter(mainRoot, notMain, outInfo, c.Main.Exclude, "main.exclude"))
	if err := collect(err); err != nil {
		return nil, err
	}
	if len(c.Main.Include) > 0 {
		entries = applyInclude(entries, c.Main.Include, func(rel string) {
			excluded = append(excluded, Excluded{Path: rel, Reason: "not matched by main.include"})
		})
	}
	main.Entries = entries
	plan.Excluded = append(plan.Excluded, prefixed(prefix, excluded)...)
	plan.Artifacts = append(plan.Artifacts, main)

	for _, name := range c.LayerNames() {
		l := c.Layers[name]
		for _, ts := range l.Targets {
			t := ts.Target()
			root := filepath.Join(dir, filepath.FromSlash(ts.From))
			r, _ := layers.LookupRuntime(t.Runtime)
			warnings, err := checkLayout(root, ts.From, r)
			if err != nil {
				problems = append(problems, &FileError{Path: root, Err: err})
				continue
			}
			plan.Warnings = append(plan.Warnings, warnings...)
			entries, excluded, err := Scan(root, excludeFilter(root, map[string]bool{out: true}, outInfo, l.Exclude, "layers."+name+".exclude"))
			if err := collect(err); err != nil {
				return nil, err
			}
			plan.Excluded = append(plan.Excluded, prefixed(relTo(dir, root), excluded)...)
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
func applyInclude(entries []zipper.Entry, include []string, dropped func(string)) []zipper.Entry {
	keepDir := map[string]bool{}
	var kept []zipper.Entry
	for _, e := range entries {
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
	return kept
}

// checkLayout checks that a layer folder holds folders the runtime reads at
// its top level. A folder that wraps them one level too deep is an error,
// since Lambda would extract it to /opt/<folder>/python, where no runtime
// looks. Top-level items the runtime does not read are warnings.
func checkLayout(root, from string, r layers.Runtime) (warnings []string, err error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	known := r.LayerDirs()
	found := false
	var unknown, wrappers []string
	for _, e := range ents {
		name := e.Name()
		if _, ok := defaultExcludedDirs[name]; ok {
			continue
		}
		switch {
		case slices.Contains(known, name):
			found = true
		case r.Family() == "provided" && name == "bootstrap":
			found = true
		case e.IsDir():
			unknown = append(unknown, name+"/")
			for _, k := range known {
				if fi, err := os.Stat(filepath.Join(root, name, k)); err == nil && fi.IsDir() {
					wrappers = append(wrappers, name+"/"+k+"/")
				}
			}
		default:
			unknown = append(unknown, name)
		}
	}
	want := strings.Join(known, "/, ") + "/"
	if !found {
		if len(wrappers) > 0 {
			return nil, fmt.Errorf("layer folder %s wraps its content one level too deep: %s would land in /opt/%s, where %s never looks; move the contents of %s up into %s",
				from, wrappers[0], wrappers[0], r.ID, strings.SplitN(wrappers[0], "/", 2)[0]+"/", from)
		}
		return nil, fmt.Errorf("layer folder %s holds none of the folders %s reads at a layer's top level (%s)", from, r.ID, want)
	}
	for _, u := range unknown {
		warnings = append(warnings, fmt.Sprintf("%s/%s lands in /opt/%s, which %s does not read (it reads %s)", from, u, u, r.ID, want))
	}
	return warnings, nil
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
