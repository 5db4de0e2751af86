package image

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/zipper"
)

// state is the file tree as the layers applied so far leave it.
type state[T any] struct {
	nodes    map[string]*Node[T]
	kids     map[string]map[string]struct{} // by folder, "" for the root
	problems []zipper.Problem
}

func newState[T any]() *state[T] {
	return &state[T]{nodes: map[string]*Node[T]{}, kids: map[string]map[string]struct{}{}}
}

func parentOf(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// apply applies one layer: its whiteouts and opaque markers first, since
// they act on the layers below only, then its entries in tar order.
func (s *state[T]) apply(layer int, digest string, l *layerOps[T]) {
	where := fmt.Sprintf("layer %d (%s)", layer+1, digest)
	problem := func(kind zipper.ProblemKind, name, detail string) {
		s.problems = append(s.problems, zipper.Problem{Kind: kind, Name: name, Detail: where + ": " + detail})
	}
	for _, o := range l.ops {
		switch o.kind {
		case opWhiteout:
			p, why := s.resolveParent(o.target)
			if why != "" {
				problem(zipper.ProblemUnsafePath, o.target, "whiteout: "+why)
				continue
			}
			s.remove(p)
		case opOpaque:
			d := ""
			if o.target != "" {
				p, why := s.resolveParent(o.target)
				if why != "" {
					problem(zipper.ProblemUnsafePath, o.target+"/", "opaque marker: "+why)
					continue
				}
				if n := s.nodes[p]; n == nil || n.Entry.Type != fstree.TypeDir {
					continue // nothing below to hide
				}
				d = p
			}
			for k := range s.kids[d] {
				s.remove(k)
			}
		}
	}
	for _, o := range l.ops {
		switch o.kind {
		case opProblem:
			problem(zipper.ProblemUnsafePath, o.entry.Path, o.detail)
		case opAdd:
			p, why := s.resolveParent(o.entry.Path)
			if why == "" {
				why = s.put(p, Node[T]{Entry: o.entry, Layer: layer, Value: o.value})
			}
			if why != "" {
				problem(zipper.ProblemUnsafePath, o.entry.Path, why)
			}
		case opHardlink:
			t, why := s.resolveParent(o.target)
			n := s.nodes[t]
			switch {
			case why != "":
			case n == nil:
				why = fmt.Sprintf("hard link to %s, which no layer so far holds", o.target)
			case n.Entry.Type == fstree.TypeDir:
				why = fmt.Sprintf("hard link to the folder %s", o.target)
			}
			if why != "" {
				problem(zipper.ProblemUnsafePath, o.entry.Path, why)
				continue
			}
			p, why := s.resolveParent(o.entry.Path)
			if why == "" {
				e := n.Entry
				why = s.put(p, Node[T]{Entry: e, Layer: layer, Value: n.Value})
			}
			if why != "" {
				problem(zipper.ProblemUnsafePath, o.entry.Path, why)
			}
		}
	}
}

// resolveParent returns where p lands once the symlinks in its folder are
// followed inside the image, as containerd's extraction follows them: ".."
// stops at the root, an absolute link starts over from it. The last
// component is not followed. why says why p lands nowhere: a symlink loop,
// or a file used as a folder.
func (s *state[T]) resolveParent(p string) (string, string) {
	dir, base := parentOf(p), path.Base(p)
	cur := ""
	rest := strings.Split(dir, "/")
	if dir == "" {
		rest = nil
	}
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = parentOf(cur)
			continue
		}
		next := path.Join(cur, c)
		n := s.nodes[next]
		switch {
		case n == nil || n.Entry.Type == fstree.TypeDir:
			cur = next
		case n.Entry.Type == fstree.TypeSymlink:
			hops++
			if hops > maxLinkHops {
				return "", fmt.Sprintf("%s goes through more than %d symlinks (a loop)", p, maxLinkHops)
			}
			if strings.HasPrefix(n.Entry.Link, "/") {
				cur = ""
			}
			rest = append(strings.Split(n.Entry.Link, "/"), rest...)
		default:
			return "", fmt.Sprintf("%s is a file, used as a folder by %s", next, p)
		}
	}
	return path.Join(cur, base), ""
}

// put places n at p (its folder already resolved), creating the folders
// its path implies, and replacing what was there: a folder over a folder
// keeps what the lower one holds, anything else replaces the entry with
// all it held.
func (s *state[T]) put(p string, n Node[T]) string {
	if p == "" || p == "." {
		return "" // the root itself
	}
	var missing []string
	for d := parentOf(p); d != ""; d = parentOf(d) {
		e := s.nodes[d]
		if e == nil {
			missing = append(missing, d)
			continue
		}
		if e.Entry.Type != fstree.TypeDir {
			return fmt.Sprintf("%s is not a folder", d)
		}
		break
	}
	for _, d := range slices.Backward(missing) {
		s.insert(d, &Node[T]{Entry: fstree.Entry{Path: d, Type: fstree.TypeDir}, Layer: n.Layer})
	}
	n.Entry.Path = p
	if old := s.nodes[p]; old != nil {
		if old.Entry.Type == fstree.TypeDir && n.Entry.Type == fstree.TypeDir {
			*old = n
			return ""
		}
		s.remove(p)
	}
	s.insert(p, &n)
	return ""
}

func (s *state[T]) insert(p string, n *Node[T]) {
	s.nodes[p] = n
	d := parentOf(p)
	if s.kids[d] == nil {
		s.kids[d] = map[string]struct{}{}
	}
	s.kids[d][p] = struct{}{}
}

// remove deletes p and everything under it.
func (s *state[T]) remove(p string) {
	if p == "" {
		return
	}
	for k := range s.kids[p] {
		s.remove(k)
	}
	delete(s.kids, p)
	delete(s.nodes, p)
	if ks := s.kids[parentOf(p)]; ks != nil {
		delete(ks, p)
	}
}

// sorted returns the nodes by path.
func (s *state[T]) sorted() []Node[T] {
	out := make([]Node[T], 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b Node[T]) int { return strings.Compare(a.Entry.Path, b.Entry.Path) })
	return out
}
