package split

import (
	"path"
	"strings"

	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/internal/zipper"
)

// SlimRemoved is one entry slimming takes out of an artifact.
type SlimRemoved struct {
	// Path is the entry's path in the zip.
	Path string
	// Kind is how package slim names what it is (slim.Tests, ...).
	Kind string
	// Bytes is what it would have unzipped to: a file's size, a symlink's
	// target length, 0 for a folder.
	Bytes int64
	// Folder says the entry is a folder (not counted as a file).
	Folder bool
}

// SlimEntries returns entries without what slim.Classify removes, given
// the runtime's bytecode tag (slim.PyTag): test suites, docs and examples
// inside packages, bytecode for another Python. A file matching one of the
// keep globs (with the same rules as exclude's) stays. So does anything a
// kept symlink points at inside the artifact, so that no link is left
// dangling. A folder goes when it is itself inside such a test or docs
// folder, or when everything it held went; a folder that was empty to
// begin with stays. The order of entries is kept; removed lists what went,
// in entry order. With typing, type stubs (py.typed, .pyi) go too.
// SlimEntries reads nothing from disk.
func SlimEntries(entries []zipper.Entry, keep []string, pyTag string, typing bool) (kept []zipper.Entry, removed []SlimRemoved) {
	kinds := make([]string, len(entries)) // "" for an entry that stays
	index := make(map[string]int, len(entries))
	for i, e := range entries {
		index[e.Name] = i
		name := e.Name
		if e.Type == zipper.TypeDir {
			name += "/_" // a file inside it
		}
		if k, ok := slim.Classify(name, pyTag); ok && firstMatch(keep, e.Name) == "" {
			kinds[i] = k
		} else if typing && e.Type != zipper.TypeDir && slim.Stub(e.Name) && firstMatch(keep, e.Name) == "" {
			kinds[i] = slim.Stubs
		}
	}
	// Keep what kept links point at, and what those point at in turn.
	for again := true; again; {
		again = false
		for i, e := range entries {
			if e.Type != zipper.TypeSymlink || kinds[i] != "" || path.IsAbs(e.Link) {
				continue
			}
			target := path.Join(path.Dir(e.Name), e.Link)
			if j, ok := index[target]; ok && kinds[j] != "" {
				kinds[j], again = "", true
			}
			// A link to a folder keeps everything in it.
			for j, f := range entries {
				if kinds[j] != "" && strings.HasPrefix(f.Name, target+"/") {
					kinds[j], again = "", true
				}
			}
		}
	}
	// The folders above what stays, stay.
	for i, e := range entries {
		if kinds[i] != "" {
			continue
		}
		for d := path.Dir(e.Name); d != "."; d = path.Dir(d) {
			if j, ok := index[d]; ok {
				kinds[j] = ""
			}
		}
	}
	// A folder whose whole content goes, goes too, and is counted with
	// the kind of what it held.
	heldKept := map[string]bool{}
	heldKind := map[string]string{}
	for i, e := range entries {
		for d := path.Dir(e.Name); d != "."; d = path.Dir(d) {
			switch {
			case kinds[i] != "":
				if heldKind[d] == "" {
					heldKind[d] = kinds[i]
				}
			case e.Type != zipper.TypeDir:
				heldKept[d] = true
			}
		}
	}
	// A folder that stays and lost nothing (one empty from the start)
	// keeps the folders above it.
	for i, e := range entries {
		if e.Type == zipper.TypeDir && kinds[i] == "" && heldKind[e.Name] == "" {
			for d := path.Dir(e.Name); d != "."; d = path.Dir(d) {
				heldKept[d] = true
			}
		}
	}
	for i, e := range entries {
		if e.Type == zipper.TypeDir && kinds[i] == "" && heldKind[e.Name] != "" && !heldKept[e.Name] {
			kinds[i] = heldKind[e.Name]
		}
	}
	kept = make([]zipper.Entry, 0, len(entries))
	for i, e := range entries {
		if kinds[i] == "" {
			kept = append(kept, e)
			continue
		}
		r := SlimRemoved{Path: e.Name, Kind: kinds[i], Folder: e.Type == zipper.TypeDir}
		switch e.Type {
		case zipper.TypeFile:
			r.Bytes = e.Size
		case zipper.TypeSymlink:
			r.Bytes = int64(len(e.Link))
		}
		removed = append(removed, r)
	}
	return kept, removed
}

// KeepMatch returns the first of the globs that matches rel, a path in an
// artifact, with the rules of the config's exclude globs (one without a
// '/' matches a name at any depth); "" when none does.
func KeepMatch(globs []string, rel string) string { return firstMatch(globs, rel) }
