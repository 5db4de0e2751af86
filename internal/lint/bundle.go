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

// Where Lambda extracts a function's code and its layers.
const (
	TaskRoot  = "/var/task"
	LayerRoot = "/opt"
)

// Mount is an artifact laid out at an absolute path: /var/task for the
// function's code, /opt for each layer, any other path (such as /mnt/deps)
// for content the function reaches another way, such as an EFS mount.
type Mount struct {
	Path     string
	Artifact *Artifact
	// BuildArch is the architecture a deployment framework says it built
	// the artifact for (SAM's Metadata.BuildArchitecture); empty when it
	// does not say.
	BuildArch layers.Arch
	// PythonPath says the mount's root is on Python's sys.path though no
	// PYTHONPATH names it: serverless-python-requirements' unzip_requirements
	// inserts the folder it unpacks .requirements.zip into.
	PythonPath bool
}

// Environment is what the function's configuration says beyond its
// target: its environment variables, handler and package type.
type Environment struct {
	// Variables are the function's environment variables; LD_LIBRARY_PATH
	// among them replaces the runtime's library search path.
	Variables map[string]string
	Handler   string
	// PackageType is "Zip" or "Image"; empty means Zip.
	PackageType string
	// EphemeralStorageMB is the size of the function's /tmp in MB
	// (1,048,576 bytes); 0 means Lambda's default, 512.
	EphemeralStorageMB int
}

// Bundle is what one function sees on Lambda: its target, its environment,
// and its artifacts mounted in the order Lambda lays them out (a later
// artifact at the same path overwrites an earlier one's files, as layers in
// /opt do).
type Bundle struct {
	// Name labels findings about the bundle as a whole (sizes, layer
	// count): the manifest or the function's zip.
	Name string
	// Target is what the bundle is checked against. Either part may be
	// empty when it is unknown; Infer fills in what the files tell.
	Target layers.Target
	Env    Environment
	Mounts []Mount
	// Function names the function a deployment framework declares, such as
	// "Stack/Fn (my-fn)"; findings carry it. Empty for a bare folder or zip.
	Function string
	// Unchecked lists layers the function attaches whose content was not
	// read (given only as ARNs): they count toward the layer limit only.
	Unchecked []string
	// Image holds what a container image says of itself, for a bundle that
	// is one: its flattened file tree is the one mount, at "/".
	Image *ImageFacts
}

// ImageRoot is where a container image's flattened file tree is mounted.
const ImageRoot = "/"

// ImageFacts is what a container image declares and carries that the rules
// use instead of the runtime catalog's assumptions.
type ImageFacts struct {
	// Index lists the platforms ("linux/arm64") of the multi-platform index
	// the reference named, nil for a single image; Picked is the one read.
	Index  []string
	Picked string
	// ManifestMediaType is the manifest's media type.
	ManifestMediaType string
	// OS and Arch are the config's platform, in OCI names (linux, amd64,
	// arm64).
	OS, Arch string
	// Entrypoint, Cmd, WorkingDir and Env are the config's; Env also
	// fills Environment.Variables.
	Entrypoint, Cmd []string
	WorkingDir      string
	// Layers are the image's layers, bottom first.
	Layers []ImageLayer
	// MediaTypesDeclared says the layers' media types are what a registry
	// receives (false for a docker save tarball, stored uncompressed).
	MediaTypesDeclared bool
	// Glibc is the version of the glibc the image carries (from its
	// libc.so.6), "" when it carries none that could be read.
	Glibc string
	// GLIBCXX is the newest GLIBCXX_3.4.N its libstdc++.so.6 provides, ""
	// when it carries none.
	GLIBCXX string
	// Python is the X.Y of the Python in /var/lang/bin (or /usr/local/bin,
	// /usr/bin), "" when it has none.
	Python string
	// LibraryPath is the folders the image's loader searches after
	// LD_LIBRARY_PATH: its ld.so.conf's and the default ones.
	LibraryPath []string
	// TaskRoot is LAMBDA_TASK_ROOT, else the WorkingDir, else /var/task.
	TaskRoot string
}

// ImageLayer is one layer of an image.
type ImageLayer struct {
	Digest    string
	MediaType string
	// Compression is what the bytes are: gzip, zstd or none.
	Compression string
	// TarBytes is the uncompressed size; FileBytes its files' sizes.
	TarBytes, FileBytes int64
}

// AddFunction mounts a as the function's code at /var/task.
func (b *Bundle) AddFunction(a *Artifact) {
	b.Mounts = append(b.Mounts, Mount{Path: TaskRoot, Artifact: a})
}

// AddLayer mounts a as the next layer at /opt.
func (b *Bundle) AddLayer(a *Artifact) {
	b.Mounts = append(b.Mounts, Mount{Path: LayerRoot, Artifact: a})
}

// Artifacts returns every mounted artifact, in mount order.
func (b *Bundle) Artifacts() []*Artifact {
	as := make([]*Artifact, len(b.Mounts))
	for i, m := range b.Mounts {
		as[i] = m.Artifact
	}
	return as
}

// Layers returns the artifacts mounted at /opt, in order.
func (b *Bundle) Layers() []*Artifact {
	var as []*Artifact
	for _, m := range b.Mounts {
		if m.Path == LayerRoot {
			as = append(as, m.Artifact)
		}
	}
	return as
}

// Package returns the artifacts that make up the deployment package, whose
// unzipped sizes count against Lambda's limit: the code at /var/task and
// the layers at /opt, not content mounted elsewhere.
func (b *Bundle) Package() []*Artifact {
	var as []*Artifact
	for _, m := range b.Mounts {
		if m.Path == TaskRoot || m.Path == LayerRoot {
			as = append(as, m.Artifact)
		}
	}
	return as
}

// defaultLibraryPath is LD_LIBRARY_PATH on Lambda's managed runtimes
// (FACTS: "LD_LIBRARY_PATH on managed runtimes"); provided.al2 lacks
// /var/lang/lib, which holds nothing a function bundles either way.
var defaultLibraryPath = []string{"/var/lang/lib", "/lib64", "/usr/lib64", "/var/runtime", "/var/runtime/lib", "/var/task", "/var/task/lib", "/opt/lib"}

// SearchPath returns the folders the dynamic loader searches after an
// object's own RUNPATH: the function's LD_LIBRARY_PATH when it sets one,
// else the runtime's.
func (b *Bundle) SearchPath() []string {
	if b.Image != nil {
		var dirs []string
		for d := range strings.SplitSeq(b.Env.Variables["LD_LIBRARY_PATH"], ":") {
			if d != "" && !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
		for _, d := range b.Image.LibraryPath {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
		return dirs
	}
	if v, ok := b.Env.Variables["LD_LIBRARY_PATH"]; ok {
		var dirs []string
		for d := range strings.SplitSeq(v, ":") {
			if d != "" && !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
		return dirs
	}
	return defaultLibraryPath
}

// GuessKind tells a layer from function code by its top-level folders: a
// layer holds python/, nodejs/, java/, ruby/ or extensions/ at its root, or
// wraps them in a single folder (which Check then reports).
func GuessKind(a *Artifact) layers.Kind {
	tops := topLevel(a)
	for _, d := range []string{"python", "nodejs", "java", "ruby", "extensions"} {
		if _, ok := tops[d]; ok {
			return layers.KindLayer
		}
	}
	if l := layers.CheckLayout(nil, tops); l.Wrapper != "" && len(tops) == 1 {
		return layers.KindLayer
	}
	return layers.KindFunction
}

// topLevel maps the names at the root of the artifact to the names directly
// inside each (nil for a file), as layers.CheckLayout takes them.
func topLevel(a *Artifact) map[string][]string {
	tops := map[string][]string{}
	seen := map[string]bool{} // "first/inner" pairs listed
	for _, f := range a.Files {
		if !zipper.ValidName(f.Path) {
			continue // reported as unsafe
		}
		first, rest, deeper := strings.Cut(f.Path, "/")
		inner, _, _ := strings.Cut(rest, "/")
		switch {
		case deeper && !seen[first+"/"+inner]:
			seen[first+"/"+inner] = true
			tops[first] = append(tops[first], inner)
		case !deeper:
			if _, ok := tops[first]; !ok {
				tops[first] = nil
			}
		}
	}
	return tops
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
	if b.Image != nil {
		notes = inferImage(b)
	}
	if b.Target.Arch == "" {
		counts := map[layers.Arch]int{}
		total := 0
		for _, a := range b.Artifacts() {
			for _, f := range a.Files {
				if !f.HasHeader || f.Header.Class != 2 || platformNamed(f.Path) {
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
		case best == "":
			notes = append(notes, fmt.Sprintf("no architecture given and none of the %d 64-bit ELF objects is built for x86_64 or arm64: machine checks skipped; set --arch", total))
		default:
			notes = append(notes, fmt.Sprintf("no architecture given and the %d 64-bit ELF objects disagree (%d for %s): machine checks skipped; set --arch", total, counts[best], best))
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

// vfs is the bundle's files as Lambda lays them out, by absolute path
// (/var/task/..., /opt/..., later mounts winning), folders included: those
// a tree lists and those implied by the paths of their files. Each mount
// looks its paths up in its artifact's own index, built once however many
// bundles mount the artifact.
type vfs struct {
	mounts []vfsMount // the last mount first
}

type vfsMount struct {
	root  string // "" for an artifact looked at on its own
	index map[string]vfsEntry
}

type vfsEntry struct {
	a *Artifact
	f *File // nil for a folder only implied by its files
}

func (e vfsEntry) isDir() bool  { return e.f == nil || e.f.Type == zipper.TypeDir }
func (e vfsEntry) isLink() bool { return e.f != nil && e.f.Type == zipper.TypeSymlink }
func (e vfsEntry) isFile() bool { return e.f != nil && e.f.Type == zipper.TypeFile }

func newVFS(b *Bundle) vfs {
	v := vfs{mounts: make([]vfsMount, 0, len(b.Mounts))}
	for i := len(b.Mounts) - 1; i >= 0; i-- {
		v.mounts = append(v.mounts, vfsMount{mountRoot(b.Mounts[i].Path), indexOf(b.Mounts[i].Artifact)})
	}
	return v
}

// mountRoot is a mount's path as the vfs prefixes it: "" for the root,
// so that "/var/task" is "var/task" inside the artifact.
func mountRoot(p string) string {
	if p == ImageRoot {
		return ""
	}
	return p
}

// ownVFS lays an artifact out on its own, at the root.
func ownVFS(a *Artifact) vfs { return vfs{mounts: []vfsMount{{"", indexOf(a)}}} }

// indexOf returns a's files by path, with the folders their paths imply;
// names that are not safe are left out (reported as unsafe, never
// extracted where they say).
func indexOf(a *Artifact) map[string]vfsEntry {
	a.indexOnce.Do(func() {
		idx := make(map[string]vfsEntry, len(a.Files)+len(a.Files)/4)
		for i := range a.Files {
			f := &a.Files[i]
			if !zipper.ValidName(f.Path) {
				continue
			}
			idx[f.Path] = vfsEntry{a, f}
			for d := path.Dir(f.Path); d != "." && d != "/"; d = path.Dir(d) {
				if _, ok := idx[d]; ok {
					break
				}
				idx[d] = vfsEntry{a: a}
			}
		}
		a.index = idx
	})
	return a.index
}

// get finds an absolute path without following links: the last mount that
// has it wins; mount points and the folders above them exist.
func (v vfs) get(p string) (vfsEntry, bool) {
	for _, m := range v.mounts {
		rel, ok := strings.CutPrefix(p, m.root)
		switch {
		case !ok:
			continue
		case rel == "":
			return vfsEntry{}, true
		case rel[0] != '/':
			continue
		}
		if e, ok := m.index[rel[1:]]; ok {
			return e, true
		}
	}
	for _, m := range v.mounts {
		if strings.HasPrefix(m.root, p+"/") {
			return vfsEntry{}, true
		}
	}
	return vfsEntry{}, false
}

// maxLinkHops is how many symlinks one lookup follows before giving up, as
// Linux does (ELOOP after 40).
const maxLinkHops = 40

// lookup finds what an absolute path names, resolving it one component at a
// time as the kernel does: any component may be a symlink (to a file or a
// folder), and ".." applies to the folder reached so far, after links. It
// fails on a missing component, a file used as a folder, or a link loop.
func (v vfs) lookup(p string) (vfsEntry, bool) {
	cur, _, ok := v.resolve(p, false) // "/.." is "/" on an absolute path
	if !ok {
		return vfsEntry{}, false
	}
	return v.get(cur)
}

// resolve walks p (absolute) through v and returns the path it reaches.
// With lexical, a missing component is taken as a folder and the walk goes
// on, as an extraction that later creates it could; escaped then reports
// whether any step went above the root, which is how a symlink leaves the
// tree it was extracted into.
func (v vfs) resolve(p string, lexical bool) (cur string, escaped, ok bool) {
	rest := strings.Split(p, "/")
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == "" {
				escaped = true
				continue
			}
			cur = path.Dir(cur)
			if cur == "/" {
				cur = ""
			}
			continue
		}
		if strings.ContainsRune(c, 0) {
			return "", true, false // the kernel stops at the NUL: nothing to trust
		}
		next := cur + "/" + c
		e, found := v.get(next)
		switch {
		case !found && lexical:
			cur = next
			continue
		case !found:
			return "", escaped, false
		case e.isLink():
			hops++
			if hops > maxLinkHops {
				return "", escaped, false
			}
			t := e.f.Link
			if strings.HasPrefix(t, "/") {
				if lexical {
					return "", true, true
				}
				cur = ""
			}
			rest = append(strings.Split(t, "/"), rest...)
			continue
		case len(rest) > 0 && !e.isDir() && slices.ContainsFunc(rest, func(s string) bool { return s != "" && s != "." }):
			return "", escaped, false
		}
		cur = next
	}
	if cur == "" {
		cur = "/"
	}
	return cur, escaped, true
}
