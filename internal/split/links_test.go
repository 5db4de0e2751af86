package split

import (
	"path"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/zipper"
)

// FuzzResolveInZip: links among entries, in any shape (loops, "..",
// chains), resolve or not without a panic, and a link is found to resolve
// only to an entry or the zip's root. Each line of the input is an entry:
// "name" a file, "name/" a folder, "name@target" a link.
func FuzzResolveInZip(f *testing.F) {
	f.Add("a@b\nb@a")
	f.Add("settings@.env\napp.py")
	f.Add("d/\nd/x\nl@d\nm@l/x\nn@l/../app\napp")
	f.Add("l@.\nm@l/l/l/l/missing")
	f.Fuzz(func(t *testing.T, spec string) {
		byName := map[string]*zipper.Entry{}
		var links []string
		for line := range strings.SplitSeq(spec, "\n") {
			e := &zipper.Entry{Name: line, Type: zipper.TypeFile}
			if n, target, ok := strings.Cut(line, "@"); ok {
				e.Name, e.Type, e.Link = n, zipper.TypeSymlink, target
			} else if n, ok := strings.CutSuffix(line, "/"); ok {
				e.Name, e.Type = n, zipper.TypeDir
			}
			// As Scan gives them: valid names, relative links that stay
			// in the zip, and every entry's folders listed.
			if !zipper.ValidName(e.Name) || strings.HasPrefix(e.Link, "/") || zipper.LinkEscapes(e.Name, e.Link) {
				continue
			}
			byName[e.Name] = e
			if e.Type == zipper.TypeSymlink {
				links = append(links, e.Name)
			}
		}
		// Nothing lies under a file or a link.
		for name := range byName {
			for d := path.Dir(name); d != "."; d = path.Dir(d) {
				if e, ok := byName[d]; ok && e.Type != zipper.TypeDir {
					delete(byName, name)
					break
				}
			}
		}
		for name := range byName {
			for d := path.Dir(name); d != "."; d = path.Dir(d) {
				if _, ok := byName[d]; !ok {
					byName[d] = &zipper.Entry{Name: d, Type: zipper.TypeDir}
				}
			}
		}
		for _, l := range links {
			if _, kept := byName[l]; !kept {
				continue
			}
			got, ok := resolveInZip(byName, l)
			if !ok {
				continue
			}
			if e, found := byName[got]; got != "" && (!found || e.Type == zipper.TypeSymlink) {
				t.Fatalf("link %s resolved to %q, which is not an entry", l, got)
			}
		}
	})
}
