package split

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/internal/zipper"
)

// ErrLinkTargetLeftOut reports a symlink kept in a zip whose target is not:
// a secret, an excluded file, or a folder packaged elsewhere. Extracted on
// Lambda, the link would dangle.
var ErrLinkTargetLeftOut = errors.New("symlink target is left out of the zip")

// maxLinkHops bounds the links followed to resolve one, as Linux's
// MAXSYMLINKS (40) does.
const maxLinkHops = 40

// checkLinkTargets returns a problem for each symlink in entries whose
// target, followed through the zip's own links, is not in entries. A link
// to something left out is an error rather than left out with its target:
// the link is in the tree on purpose, a dangling link is an error wherever
// else it comes from, and dropping it silently would change what the code
// finds at run time without a word. The error names the link, its target,
// and why the target is left out. excluded holds the paths left out of the
// same walk, relative to root; root is the folder on disk the entries come
// from, for the paths in the errors.
func checkLinkTargets(root string, entries []zipper.Entry, excluded []Excluded) ScanErrors {
	byName := make(map[string]*zipper.Entry, len(entries))
	for i := range entries {
		byName[entries[i].Name] = &entries[i]
	}
	var problems ScanErrors
	for i := range entries {
		e := &entries[i]
		if e.Type != zipper.TypeSymlink {
			continue
		}
		missing, ok := resolveInZip(byName, e.Name)
		if ok {
			continue
		}
		problems = append(problems, &FileError{
			Path: filepath.Join(root, filepath.FromSlash(e.Source)),
			Err: fmt.Errorf("%w: %s -> %s, and %s is left out (%s), so the link would dangle on Lambda; leave the link out too, or keep its target",
				ErrLinkTargetLeftOut, e.Name, e.Link, missing, whyLeftOut(missing, excluded)),
		})
	}
	return problems
}

// resolveInZip follows the symlink name through the entries, one path
// element at a time. It reports ok when the link resolves to an entry (or
// the zip's root); otherwise it returns the path the link leads to, from
// the first element that is not an entry on.
func resolveInZip(byName map[string]*zipper.Entry, name string) (missing string, ok bool) {
	todo := strings.Split(byName[name].Link, "/")
	cur := path.Dir(name)
	if cur == "." {
		cur = ""
	}
	for hops := 0; len(todo) > 0; {
		elem := todo[0]
		todo = todo[1:]
		switch elem {
		case "", ".":
			continue
		case "..":
			if cur = path.Dir(cur); cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, elem)
		e, found := byName[next]
		if !found {
			return path.Join(append([]string{next}, todo...)...), false
		}
		if e.Type == zipper.TypeSymlink {
			if hops++; hops > maxLinkHops {
				return next, false
			}
			// The link's target is relative to the folder holding it,
			// which is cur.
			todo = append(strings.Split(e.Link, "/"), todo...)
			continue
		}
		cur = next
	}
	return cur, true
}

// whyLeftOut says why p, or the folder it lies in, was left out.
func whyLeftOut(p string, excluded []Excluded) string {
	for _, ex := range excluded {
		ep := strings.TrimSuffix(ex.Path, "/")
		if ep == p || strings.HasPrefix(p, ep+"/") {
			if ex.Secret {
				return ex.Reason + ", a secret"
			}
			return ex.Reason
		}
	}
	return "it is not part of this zip: a layer's folder, the output folder, or a folder whose every file is left out"
}
