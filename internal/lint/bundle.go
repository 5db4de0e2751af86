package lint

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// Bundle is what one function sees on Lambda: its code, extracted to
// /var/task, and its layers, extracted to /opt in order (a later layer
// overwrites an earlier one's files).
type Bundle struct {
	// Name labels findings about the bundle as a whole (sizes, layer
	// count): the manifest or the function's zip.
	Name string
	// Target is what the bundle is checked against. Either part may be
	// empty when it is unknown; Infer fills in what the files tell.
	Target   layers.Target
	Function *Artifact
	Layers   []*Artifact
}

// Artifacts returns the function's code (if any) and then the layers.
func (b *Bundle) Artifacts() []*Artifact {
	var as []*Artifact
	if b.Function != nil {
		as = append(as, b.Function)
	}
	return append(as, b.Layers...)
}

// languageDirs are every runtime's top-level layer folders.
var languageDirs = []string{"python", "nodejs", "java", "ruby", "bin", "lib", "extensions"}

// GuessKind tells a layer from function code by its top-level folders: a
// layer holds python/, nodejs/, java/, ruby/ or extensions/ at its root, or
// wraps them in a single folder (which Check then reports).
func GuessKind(a *Artifact) layers.Kind {
	tops := topLevel(a)
	for _, d := range []string{"python", "nodejs", "java", "ruby", "extensions"} {
		if tops[d] {
			return layers.KindLayer
		}
	}
	if w, _ := wrapped(a, languageDirs); w != "" && len(tops) == 1 {
		return layers.KindLayer
	}
	return layers.KindFunction
}

// topLevel returns the names at the root of the artifact, folders and files.
func topLevel(a *Artifact) map[string]bool {
	tops := map[string]bool{}
	for _, f := range a.Files {
		if !zipper.ValidName(f.Path) {
			continue // reported as unsafe
		}
		first, _, _ := strings.Cut(f.Path, "/")
		tops[first] = true
	}
	return tops
}

// wrapped returns a top-level folder that holds one of dirs directly
// ("mylayer" for mylayer/python/...), and the wrapped folder.
func wrapped(a *Artifact, dirs []string) (wrapper, inner string) {
	for _, f := range a.Files {
		parts := strings.SplitN(f.Path, "/", 3)
		if len(parts) >= 2 && slices.Contains(dirs, parts[1]) && !slices.Contains(dirs, parts[0]) && (len(parts) == 3 || f.Type == zipper.TypeDir) {
			return parts[0], parts[1]
		}
	}
	return "", ""
}

var (
	pythonDirRE = regexp.MustCompile(`^python/lib/python(3\.\d+)/`)
	extTagRE    = regexp.MustCompile(`\.cpython-(\d)(\d+)([a-z]*)(?:-([^.]+))?\.so$`)
)

// Infer fills in the parts of the bundle's target that were not given, from
// what its files show, and returns one line per assumption for the user: the
// architecture from the machine most 64-bit ELF objects are built for, the
// Python runtime from python/lib/python3.X folders and extension tags.
func Infer(b *Bundle) []string {
	var notes []string
	if b.Target.Arch == "" {
		counts := map[layers.Arch]int{}
		total := 0
		for _, a := range b.Artifacts() {
			for _, f := range a.Files {
				if !f.HasHeader || f.Header.Class != 2 {
					continue
				}
				total++
				for _, arch := range layers.Arches {
					if uint16(f.Header.Machine) == arch.ELFMachine() {
						counts[arch]++
					}
				}
			}
		}
		best := bestOf(counts)
		switch {
		case best != "" && counts[best]*2 > total:
			b.Target.Arch = best
			notes = append(notes, fmt.Sprintf("architecture %s assumed from %d of %d 64-bit ELF objects; set --arch to check against another", best, counts[best], total))
		case total == 0:
			notes = append(notes, "no architecture given and no ELF objects to infer one from: machine checks skipped")
		default:
			notes = append(notes, fmt.Sprintf("no architecture given and the %d ELF objects disagree: machine checks skipped; set --arch", total))
		}
	}
	if b.Target.Runtime == "" {
		counts := map[string]int{}
		for _, a := range b.Artifacts() {
			for _, f := range a.Files {
				if m := pythonDirRE.FindStringSubmatch(f.Path); m != nil && a.Kind == layers.KindLayer {
					counts["python"+m[1]]++
				} else if m := extTagRE.FindStringSubmatch(path.Base(f.Path)); m != nil && m[1] == "3" {
					counts["python3."+m[2]]++
				}
			}
		}
		if best := bestOf(counts); best != "" {
			if _, ok := layers.LookupRuntime(best); ok {
				b.Target.Runtime = best
				notes = append(notes, fmt.Sprintf("runtime %s assumed from the Python version its packages were installed for; set --runtime to check against another", best))
			}
		}
		if b.Target.Runtime == "" {
			notes = append(notes, "no runtime given or inferred: glibc needs checked against Amazon Linux 2023 (the newest Lambda OS), Python/Node ABI checks skipped; set --runtime")
		}
	}
	return notes
}

func bestOf[K cmp.Ordered](counts map[K]int) K {
	var best K
	keys := make([]K, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if counts[k] > counts[best] {
			best = k
		}
	}
	return best
}

// vfs is the bundle's files as Lambda lays them out: /var/task/... for the
// function, /opt/... for the layers, later layers winning.
type vfs map[string]vfsEntry

type vfsEntry struct {
	a *Artifact
	f *File
}

func newVFS(b *Bundle) vfs {
	v := vfs{}
	add := func(a *Artifact, root string) {
		for i := range a.Files {
			f := &a.Files[i]
			if f.Type != zipper.TypeDir { // folders are implied by their files
				v[root+"/"+f.Path] = vfsEntry{a, f}
			}
		}
	}
	if b.Function != nil {
		add(b.Function, "/var/task")
	}
	for _, l := range b.Layers {
		add(l, "/opt")
	}
	return v
}

// lookup finds the file at an absolute path, following symlinks (40 hops,
// as Linux does).
func (v vfs) lookup(p string) (vfsEntry, bool) {
	for range 40 {
		e, ok := v[p]
		if !ok {
			return vfsEntry{}, false
		}
		if e.f.Type != zipper.TypeSymlink {
			return e, true
		}
		if strings.HasPrefix(e.f.Link, "/") {
			p = path.Clean(e.f.Link)
		} else {
			p = path.Join(path.Dir(p), e.f.Link)
		}
	}
	return vfsEntry{}, false
}

// mountPoint is where an artifact's files land on Lambda.
func mountPoint(a *Artifact) string {
	if a.Kind == layers.KindLayer {
		return "/opt"
	}
	return "/var/task"
}
