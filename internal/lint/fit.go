package lint

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// Fit is a fit report: how far a bundle's deployment package is from
// Lambda's unzipped limit, what could be removed from it by kind, and the
// ways to deploy it, each with the size that results and whether it fits.
// FitOf makes one for each bundle over the limit or within a tenth of it.
type Fit struct {
	// Function and Bundle name the bundle as its findings do (Function
	// empty for a bare folder or zip); Target is TargetLabel's.
	Function string `json:"function,omitempty"`
	Bundle   string `json:"bundle"`
	Target   string `json:"target,omitempty"`
	// Limit is layers.MaxUnzippedBytes; Total the package's unzipped
	// bytes (code plus layers, mounts elsewhere not counted); Over the
	// bytes to remove before it fits (Total-Limit+1, since the total must
	// stay below the limit), 0 when it fits already.
	Limit int64 `json:"limit"`
	Total int64 `json:"total"`
	Over  int64 `json:"over"`
	// Savings are the removable bytes by kind (SavingTests, ...). Kinds
	// may overlap (a test folder's bytecode is both); Counted is false for
	// a saving that is only a note (SavingProvided).
	Savings []Saving `json:"savings"`
	// Options are the ways out, in the order FitSlim, FitImage, FitEFS,
	// FitSplit.
	Options []FitOption `json:"options"`
}

// Saving is what one kind of removable content adds up to.
type Saving struct {
	Kind  string `json:"kind"`
	Bytes int64  `json:"bytes"`
	Files int    `json:"files"`
	// Largest are the folders (or, for duplicates, the files) that hold
	// most of it, at most three, largest first.
	Largest []Place `json:"largest"`
	// Counted says the saving is one to take; false for a note.
	Counted bool `json:"counted"`
}

// Place is a folder or file of an artifact and the bytes it stands for.
type Place struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// FitOption is one way to deploy the bundle.
type FitOption struct {
	Kind       string `json:"kind"`
	BytesAfter int64  `json:"bytes_after"`
	Fits       bool   `json:"fits"`
	How        string `json:"how"`
}

// Kinds of savings beyond slim's (slim.Tests, slim.Docs, slim.Bytecode,
// slim.Debug).
const (
	SavingShadowed  = "shadowed files"
	SavingDuplicate = "identical files packaged twice"
	SavingProvided  = "packages the runtime provides"
)

// Kinds of options.
const (
	FitSlim  = "slim"
	FitImage = "image"
	FitEFS   = "efs"
	FitSplit = "split"
)

// EFSMountPath is where a fit report's efs option mounts the moved
// packages.
const EFSMountPath = "/mnt/deps"

// FitOptions says how FitOf compares files.
type FitOptions struct {
	// Open returns the content of the file at p (a path inside a), for
	// telling identical files apart from files of the same size. Nil
	// skips the duplicate count. FitOf closes what it returns.
	Open func(a *Artifact, p string) (io.ReadCloser, error)
	// MaxHashBytes bounds the bytes read to compare files; 0 means
	// DefaultMaxHashBytes.
	MaxHashBytes int64
}

// DefaultMaxHashBytes is how many bytes FitOf reads at most to find
// identical files: groups of files of the same size are compared largest
// first, skipping a group that would pass it.
const DefaultMaxHashBytes = 512 << 20

// maxHashFiles bounds how many files FitOf opens to find identical ones:
// thousands of small files of colliding sizes cost an open each (an inflate
// from a zip) for a few bytes of saving.
const maxHashFiles = 20_000

// NearLimit reports whether a package of total unzipped bytes is over
// Lambda's limit or within a tenth of it: when check makes a fit report.
func NearLimit(total int64) bool { return total*10 >= int64(layers.MaxUnzippedBytes)*9 }

// PackageBytes returns the unzipped bytes of the bundle's deployment
// package: its code and layers, not content mounted elsewhere.
func (b *Bundle) PackageBytes() int64 {
	var n int64
	for _, a := range b.Package() {
		n += a.UnzippedBytes
	}
	return n
}

// fitFile is one regular file of the package, where Lambda puts it.
type fitFile struct {
	a    *Artifact
	f    *File
	abs  string
	away bool // shadowed: never read
}

// FitOf returns the bundle's fit report, or nil when its package is not
// near the limit (NearLimit). Its only error is from opts.Open or reading
// what it returns.
func FitOf(b *Bundle, opts FitOptions) (*Fit, error) {
	total := b.PackageBytes()
	if !NearLimit(total) {
		return nil, nil
	}
	limit := int64(layers.MaxUnzippedBytes)
	fit := &Fit{Function: b.Function, Bundle: b.Name, Target: TargetLabel(b.Target), Limit: limit, Total: total, Over: max(0, total-limit+1)}
	var rt *layers.Runtime
	if r, ok := layers.LookupRuntime(b.Target.Runtime); ok {
		rt = &r
	}
	files := packageFiles(b)
	tally := newTallies()
	shadowed(b, rt, files, tally)
	pyTag := ""
	if rt != nil && rt.Family() == "python" {
		pyTag = "cpython-" + strings.ReplaceAll(rt.LanguageVersion(), ".", "")
	}
	for _, ff := range files {
		if ff.away {
			continue
		}
		if kind, ok := slim.Classify(ff.f.Path, pyTag); ok {
			tally.add(kind, ff.a.Name+": "+savingDir(kind, ff.f.Path), ff.f.Size)
		}
		if ff.f.ELF != nil && ff.f.ELF.DebugBytes > 0 {
			tally.add(slim.Debug, ff.a.Name+": "+contributor(ff.f.Path), ff.f.ELF.DebugBytes)
		}
		if provided(rt, ff.f.Path) {
			tally.add(SavingProvided, ff.a.Name+": "+contributor(ff.f.Path), ff.f.Size)
		}
	}
	if opts.Open != nil {
		if err := duplicates(files, opts, tally); err != nil {
			return nil, err
		}
	}
	for _, kind := range []string{slim.Tests, slim.Docs, slim.Bytecode, slim.Debug, SavingShadowed, SavingDuplicate, SavingProvided} {
		if t := tally[kind]; t != nil {
			fit.Savings = append(fit.Savings, Saving{Kind: kind, Bytes: t.bytes, Files: t.files, Largest: largest(t.places, 3), Counted: kind != SavingProvided})
		}
	}
	if fit.Savings == nil {
		fit.Savings = []Saving{}
	}
	fit.Options = fitOptions(b, rt, files, tally, total)
	return fit, nil
}

// packageFiles lists the package's regular files in mount order, marking
// those a later layer overwrites (same path in /opt).
func packageFiles(b *Bundle) []fitFile {
	var files []fitFile
	last := map[string]int{}
	for _, m := range b.Mounts {
		if m.Path != TaskRoot && m.Path != LayerRoot {
			continue
		}
		for i := range m.Artifact.Files {
			f := &m.Artifact.Files[i]
			if f.Type != zipper.TypeFile || !zipper.ValidName(f.Path) {
				continue
			}
			abs := m.Path + "/" + f.Path
			if j, ok := last[abs]; ok {
				files[j].away = true
			}
			last[abs] = len(files)
			files = append(files, fitFile{a: m.Artifact, f: f, abs: abs})
		}
	}
	return files
}

// shadowed counts the files never read because something else is found
// first: a file a later layer overwrites, and a Python module or regular
// package in /opt/python (or the runtime's site-packages there) when
// /var/task holds one of the same name, since /var/task comes first on
// sys.path. Namespace packages (no __init__.py) merge across folders and
// are not counted.
func shadowed(b *Bundle, rt *layers.Runtime, files []fitFile, tally tallies) {
	var task map[string]bool // top-level module names in /var/task
	if rt != nil && rt.Family() == "python" {
		task = map[string]bool{}
		for _, ff := range files {
			rel, ok := strings.CutPrefix(ff.abs, TaskRoot+"/")
			if !ok {
				continue
			}
			first, rest, deeper := strings.Cut(rel, "/")
			switch {
			case deeper && rest == "__init__.py":
				task[first] = true
			case !deeper:
				if name := moduleName(first); name != "" {
					task[name] = true
				}
			}
		}
	}
	var roots []string
	if rt != nil && rt.Family() == "python" {
		roots = []string{LayerRoot + "/python/lib/python" + rt.LanguageVersion() + "/site-packages/", LayerRoot + "/python/"}
	}
	for i := range files {
		ff := &files[i]
		if !ff.away && len(task) > 0 {
			for _, r := range roots {
				rel, ok := strings.CutPrefix(ff.abs, r)
				if !ok {
					continue
				}
				first, _, deeper := strings.Cut(rel, "/")
				name := first
				if !deeper {
					name = moduleName(first)
				}
				if name != "" && task[name] && !strings.HasPrefix(rel, "lib/") {
					ff.away = true
				}
				break
			}
		}
		if ff.away {
			tally.add(SavingShadowed, ff.a.Name+": "+contributor(ff.f.Path), ff.f.Size)
		}
	}
}

// moduleName returns the module a top-level file name defines (x.py,
// x.cpython-312-x86_64-linux-gnu.so, x.abi3.so, x.so), or "".
func moduleName(base string) string {
	switch {
	case strings.HasSuffix(base, ".py"):
		return strings.TrimSuffix(base, ".py")
	case strings.HasSuffix(base, ".so"):
		name, _, _ := strings.Cut(base, ".")
		return name
	}
	return ""
}

// provided reports whether the file at p belongs to a package the runtime
// already has: boto3, botocore, s3transfer and jmespath on Python; the AWS
// SDK for JavaScript v3 (@aws-sdk/*) on Node.js 18 and later.
func provided(rt *layers.Runtime, p string) bool {
	if rt == nil {
		return false
	}
	switch rt.Family() {
	case "python":
		name := pythonPackageOf(p)
		if d, _, ok := strings.Cut(name, "-"); ok && strings.HasSuffix(name, ".dist-info") {
			name = d
		}
		switch name {
		case "boto3", "botocore", "s3transfer", "jmespath":
			return true
		}
	case "nodejs":
		if v, err := strconv.Atoi(rt.LanguageVersion()); err != nil || v < 18 {
			return false
		}
		return strings.HasPrefix(p, "node_modules/@aws-sdk/") || strings.Contains(p, "/node_modules/@aws-sdk/")
	}
	return false
}

// pythonPackageOf returns the first folder (or module file) below the
// folder packages are installed in: site-packages, a layer's python/, or
// the function's own root.
func pythonPackageOf(p string) string {
	rel := p
	if i := strings.LastIndex(p, "/site-packages/"); i >= 0 {
		rel = p[i+len("/site-packages/"):]
	} else if r, ok := strings.CutPrefix(p, "python/"); ok {
		rel = r
	}
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// savingDir names the folder a removable file is charged to: the test or
// docs folder, or the __pycache__ folder.
func savingDir(kind, p string) string {
	dirs := strings.Split(path.Dir(p), "/")
	var names []string
	switch kind {
	case slim.Tests:
		names = []string{"tests", "test"}
	case slim.Docs:
		names = []string{"docs", "doc", "examples"}
	default:
		return path.Dir(p)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if slices.Contains(names, dirs[i]) {
			return strings.Join(dirs[:i+1], "/")
		}
	}
	return path.Dir(p)
}

type tally struct {
	files  int
	bytes  int64
	places map[string]int64
}

type tallies map[string]*tally

func newTallies() tallies { return tallies{} }

func (ts tallies) add(kind, place string, n int64) {
	t := ts[kind]
	if t == nil {
		t = &tally{places: map[string]int64{}}
		ts[kind] = t
	}
	t.files++
	t.bytes += n
	t.places[place] += n
}

func (ts tallies) bytes(kinds ...string) int64 {
	var n int64
	for _, k := range kinds {
		if t := ts[k]; t != nil {
			n += t.bytes
		}
	}
	return n
}

func largest(m map[string]int64, n int) []Place {
	keys := sortedKeys(m)
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	out := []Place{}
	for _, k := range keys[:min(n, len(keys))] {
		out = append(out, Place{Path: k, Bytes: m[k]})
	}
	return out
}

// duplicates counts files packaged more than once with the same content:
// only files whose sizes collide are read, largest sizes first, at most
// opts.MaxHashBytes and maxHashFiles of them. Each group of n identical files can
// lose n-1 of them.
func duplicates(files []fitFile, opts FitOptions, ts tallies) error {
	budget := cmp.Or(opts.MaxHashBytes, DefaultMaxHashBytes)
	bySize := map[int64][]int{}
	for i, ff := range files {
		if !ff.away && ff.f.Size > 0 && ff.f.ReadErr == nil {
			bySize[ff.f.Size] = append(bySize[ff.f.Size], i)
		}
	}
	var sizes []int64
	for s, idx := range bySize {
		if len(idx) > 1 {
			sizes = append(sizes, s)
		}
	}
	slices.SortFunc(sizes, func(a, b int64) int { return cmp.Compare(b, a) })
	opened := 0
	for _, s := range sizes {
		idx := bySize[s]
		cost := s * int64(len(idx))
		if opened+len(idx) > maxHashFiles {
			break // smaller groups save less
		}
		if cost > budget {
			continue // a smaller group may still fit in what is left
		}
		budget -= cost
		opened += len(idx)
		seen := map[[sha256.Size]byte]bool{}
		for _, i := range idx {
			sum, err := hashFile(files[i], opts)
			if err != nil {
				return err
			}
			if seen[sum] {
				ff := files[i]
				ts.add(SavingDuplicate, ff.a.Name+": "+ff.f.Path, s)
			}
			seen[sum] = true
		}
	}
	return nil
}

func hashFile(ff fitFile, opts FitOptions) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	rc, err := opts.Open(ff.a, ff.f.Path)
	if err != nil {
		return sum, fmt.Errorf("opening %s in %s: %w", ff.f.Path, ff.a.Name, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(rc, ff.f.Size+1)); err != nil {
		return sum, fmt.Errorf("reading %s in %s: %w", ff.f.Path, ff.a.Name, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// fitOptions works out each way out and what it leaves.
func fitOptions(b *Bundle, rt *layers.Runtime, files []fitFile, ts tallies, total int64) []FitOption {
	limit := int64(layers.MaxUnzippedBytes)
	slimmed := total - ts.bytes(slim.Tests, slim.Docs, slim.Bytecode, slim.Debug)
	opts := []FitOption{
		{Kind: FitSlim, BytesAfter: slimmed, Fits: slimmed < limit,
			How: fmt.Sprintf("layerkit build --slim: removes test suites, docs and examples and stale bytecode, strips debug sections (%s)", formatBytes(total-slimmed))},
		{Kind: FitImage, BytesAfter: total, Fits: total <= layers.MaxImageBytes,
			How: "layerkit build --image: a container image holds up to 10 GiB, layers' content copied under /opt (a new function: PackageType Image)"},
	}
	pkgs := movable(files)
	var moved []Place
	after := total
	for _, p := range pkgs {
		if after < limit {
			break
		}
		moved = append(moved, p)
		after -= p.Bytes
	}
	names := make([]string, len(moved))
	for i, p := range moved {
		names[i] = fmt.Sprintf("%s (%s)", p.Path, formatBytes(p.Bytes))
	}
	list := strings.Join(names, ", ")
	if total < limit {
		return append(opts,
			FitOption{Kind: FitEFS, BytesAfter: total, Fits: true, How: "not needed: the package fits as it is"},
			FitOption{Kind: FitSplit, BytesAfter: total, Fits: true, How: "not needed: the package fits as it is"})
	}
	if list == "" {
		list = "no package folders to move"
	}
	opts = append(opts,
		FitOption{Kind: FitEFS, BytesAfter: after, Fits: after < limit,
			How: fmt.Sprintf("move %s to an EFS file system mounted at %s (the function needs a VPC; cold starts read from EFS); %s", list, EFSMountPath, efsEnv(b, rt, moved))},
		FitOption{Kind: FitSplit, BytesAfter: after, Fits: after < limit,
			How: fmt.Sprintf("split the code that needs %s into functions of its own, so that each function attaches only what it imports", list)})
	return opts
}

// movable returns the package's installed packages (site-packages,
// node_modules, python/ entries, lib/) by size, largest first, each by the
// absolute path it has on Lambda ("/opt/python/scipy"), what every layer
// holding it puts there counted together: what an EFS mount or a split can
// take away.
func movable(files []fitFile) []Place {
	by := map[string]int64{}
	for _, ff := range files {
		if ff.away {
			continue // better deleted than moved
		}
		c := contributor(ff.f.Path)
		if c == ff.f.Path && !strings.Contains(c, "/") {
			continue // a top-level file of the code: the function itself
		}
		root := strings.TrimSuffix(ff.abs, "/"+ff.f.Path)
		by[root+"/"+c] += ff.f.Size
	}
	return largest(by, len(by))
}

// efsEnv says which environment variables reach packages moved to the
// EFS mount, each copied to the same path below EFSMountPath: the folders
// that held them go on PYTHONPATH (Python) or NODE_PATH (Node.js), and a
// moved lib/ on LD_LIBRARY_PATH after the function's search path.
func efsEnv(b *Bundle, rt *layers.Runtime, moved []Place) string {
	family := ""
	if rt != nil {
		family = rt.Family()
	}
	var pyPath, nodePath, libPath []string
	addTo := func(list *[]string, dir string) {
		if d := EFSMountPath + "/" + dir; !slices.Contains(*list, d) {
			*list = append(*list, d)
		}
	}
	for _, p := range moved {
		rel, ok := strings.CutPrefix(p.Path, LayerRoot+"/")
		if !ok {
			rel = strings.TrimPrefix(p.Path, TaskRoot+"/")
		}
		dir := path.Dir(rel)
		switch {
		case rel == "lib" || strings.HasPrefix(rel, "lib/"):
			addTo(&libPath, "lib")
		case family == "nodejs" && path.Base(dir) == "node_modules":
			addTo(&nodePath, dir)
		case family == "nodejs" && strings.HasPrefix(path.Base(dir), "@"):
			addTo(&nodePath, path.Dir(dir))
		case family == "python" && dir != ".":
			addTo(&pyPath, dir)
		}
	}
	var env []string
	if len(pyPath) > 0 {
		env = append(env, "PYTHONPATH="+strings.Join(pyPath, ":"))
	}
	if len(nodePath) > 0 {
		env = append(env, "NODE_PATH="+strings.Join(nodePath, ":"))
	}
	if len(libPath) > 0 {
		env = append(env, "LD_LIBRARY_PATH="+strings.Join(append(slices.Clone(b.SearchPath()), libPath...), ":"))
	}
	if len(env) == 0 {
		return "point the runtime at " + EFSMountPath
	}
	example := moved[0].Path
	rel, ok := strings.CutPrefix(example, LayerRoot+"/")
	if !ok {
		rel = strings.TrimPrefix(example, TaskRoot+"/")
	}
	return fmt.Sprintf("copy each below %s as it sits below /opt or /var/task (%s to %s/%s) and set %s", EFSMountPath, example, EFSMountPath, rel, strings.Join(env, " and "))
}
