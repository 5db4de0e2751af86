package lint

import (
	"cmp"
	"debug/elf"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// checker holds what every rule needs while one bundle is checked.
type checker struct {
	b       *Bundle
	runtime *layers.Runtime // nil when unknown
	arch    layers.Arch     // "" when unknown
	target  string
	glibc   string // the runtime OS's glibc, or the newest OS's
	os      layers.OS
	// img is what a container image says of itself; nil for zips and
	// folders.
	img   *ImageFacts
	vfs   vfs
	mount map[*Artifact]string // where each artifact is laid out
	away  map[*File]string     // files Lambda never opens, and why
	// loads maps each object (by its path on Lambda) to the libraries it
	// loads and the files they resolve to; loadedBy lists the objects that
	// load each file.
	loads    map[string]map[string]string
	loadedBy map[string][]string
	// rpath holds the DT_RPATH folders of objects that have them (no
	// DT_RUNPATH), expanded; runPath marks objects with DT_RUNPATH.
	rpath      map[string][]string
	runPath    map[string]bool
	unresolved []unresolved
	findings   []Finding
	// resolve lists the ELF objects whose libraries the bundle resolves,
	// once the per-artifact rules have run.
	resolve []*File
}

// artifactPart is what the rules find in one artifact that depends only on
// the artifact, where it is mounted and the target, not on the rest of the
// bundle: computed once, however many functions attach the artifact.
type artifactPart struct {
	findings []Finding // Function empty
	away     map[*File]string
	resolve  []*File
	contrib  map[string]int64 // bytes per contributor, for sizes
}

// partsMu guards every Artifact's parts.
var partsMu sync.Mutex

// part runs the rules that look at one artifact on its own, or returns
// what an earlier bundle with the same mount and target found.
func (c *checker) part(a *Artifact) *artifactPart {
	key := c.mount[a] + "\x00" + c.b.Target.Runtime + "\x00" + string(c.arch)
	if !inPackage(c.mount[a]) {
		key += "\x00" + strings.Join(c.pythonRoots(), ":") // what a mount's modules are imported from
	}
	partsMu.Lock()
	p := a.parts[key]
	partsMu.Unlock()
	if p != nil {
		return p
	}
	s := &checker{b: &Bundle{Name: a.Name, Target: c.b.Target, Image: c.img, Env: c.b.Env, Mounts: c.b.Mounts}, runtime: c.runtime, arch: c.arch, target: c.target,
		glibc: c.glibc, os: c.os, img: c.img, mount: c.mount, away: map[*File]string{}}
	s.artifactProblems(a)
	s.selectAway(a)
	for i := range a.Files {
		s.file(a, &a.Files[i])
	}
	if a.Kind == layers.KindLayer {
		s.layout(a)
		s.pythonDirs(a)
	}
	s.deadWeight(a)
	p = &artifactPart{findings: s.findings, away: s.away, resolve: s.resolve, contrib: map[string]int64{}}
	for _, f := range a.Files {
		if f.Type != zipper.TypeDir {
			p.contrib[contributor(f.Path)] += f.Size
		}
	}
	partsMu.Lock()
	if a.parts == nil {
		a.parts = map[string]*artifactPart{}
	}
	a.parts[key] = p
	partsMu.Unlock()
	return p
}

// Check runs every rule over the bundle and returns the findings, sorted.
// Parts of the target left empty skip the rules that need them; call Infer
// first to fill in what the files tell.
func Check(b *Bundle) []Finding {
	c := &checker{b: b, arch: b.Target.Arch, os: layers.AmazonLinux2023, glibc: "2.34"}
	if r, ok := layers.LookupRuntime(b.Target.Runtime); ok {
		c.runtime = &r
		c.os, c.glibc = r.OS, r.Glibc
	}
	c.target = TargetLabel(b.Target)
	if b.Image != nil {
		c.img = b.Image
		if b.Image.Glibc != "" {
			c.glibc = b.Image.Glibc
		}
		c.imageRules() // may check the files against the image's own CPU
	}
	c.vfs = newVFS(b)
	c.mount = map[*Artifact]string{}
	c.away = map[*File]string{}
	c.loads, c.loadedBy = map[string]map[string]string{}, map[string][]string{}
	c.rpath, c.runPath = map[string][]string{}, map[string]bool{}
	for _, m := range b.Mounts {
		if _, ok := c.mount[m.Artifact]; !ok {
			c.mount[m.Artifact] = mountRoot(m.Path)
		}
	}
	for _, a := range b.Artifacts() {
		p := c.part(a)
		maps.Copy(c.away, p.away)
		for _, f := range p.findings {
			f.Function = b.Function
			c.findings = append(c.findings, f)
		}
		if c.img != nil {
			c.imageLinks(a)
		} else {
			c.linkEscapes(a)
		}
		for _, f := range p.resolve {
			c.needed(a, f)
		}
	}
	c.settleMissing()
	c.handler()
	c.mountPythonDirs()
	c.ephemeral()
	c.layerBuildArch()
	if c.img != nil {
		c.imageEntrypoint()
		c.imageSize()
	} else {
		c.sizes()
	}
	Sort(c.findings)
	return c.findings
}

func (c *checker) add(rule string, a *Artifact, p string, sev Severity, msg, evidence string) *Finding {
	r := mustRule(rule)
	if sev == 0 {
		sev = r.Severity
	}
	name := c.b.Name
	if a != nil {
		name = a.Name
	}
	if c.img != nil && a != nil && zipper.ValidName(p) {
		p = "/" + p // a path in the image's flattened tree
	}
	c.findings = append(c.findings, Finding{Function: c.b.Function, Rule: r.ID, Name: r.Name, Severity: sev, Artifact: name, Path: p,
		Target: c.target, Message: msg, Evidence: evidence, Symptom: r.Symptom, Fix: r.Fix})
	return &c.findings[len(c.findings)-1]
}

var zipRules = map[zipper.ProblemKind]string{
	zipper.ProblemUnsafePath:    RuleZipUnsafePath,
	zipper.ProblemDuplicate:     RuleZipDuplicate,
	zipper.ProblemSymlinkEscape: RuleSymlinkEscape,
	zipper.ProblemSizeLie:       RuleZipSizeLie,
	zipper.ProblemOverlap:       RuleZipOverlap,
	zipper.ProblemUnsupported:   RuleZipUnsupported,
}

// artifactProblems reports what is wrong with the artifact as a container:
// a build zip changed since its manifest, hostile or broken entries,
// content that cannot be read back, special files.
func (c *checker) artifactProblems(a *Artifact) {
	if a.Changed != "" {
		c.add(RuleBuildChanged, a, "", 0, "zip changed since its build wrote the manifest", a.Changed)
	}
	for _, p := range a.Problems {
		rule := zipRules[p.Kind]
		if c.img != nil && p.Kind == zipper.ProblemUnsafePath {
			rule = RuleImageEntry
		}
		r := mustRule(rule)
		c.add(rule, a, p.Name, 0, r.Summary, p.Detail)
	}
	for _, f := range a.Files {
		switch {
		case f.ReadErr == nil:
		case contentLie(f.ReadErr):
			c.add(RuleZipSizeLie, a, f.Path, 0, "entry's content contradicts what the zip declares", f.ReadErr.Error())
		default:
			c.add(RuleZipCorrupt, a, f.Path, 0, "entry cannot be read back", f.ReadErr.Error())
		}
		if f.Special != "" {
			fd := c.add(RuleZipUnsupported, a, f.Path, 0, f.Special+": no zip can hold it, so Lambda never receives it",
				"file type: "+f.Special)
			fd.Symptom = "the file is missing on Lambda, or the packaging tool fails on it"
			fd.Fix = "remove it from the folder, or exclude it from the build"
		}
	}
}

// linkEscapes reports the artifact's symlinks that leave its root once
// resolved against its other links, as an extraction would create them:
// through another symlink, or past a NUL that ends the target early (links
// whose own text already escapes were reported when the tree was read);
// and those that stay inside but resolve to nothing in the bundle.
func (c *checker) linkEscapes(a *Artifact) {
	var own *vfs
	reported := map[string]bool{}
	for _, p := range a.Problems {
		if p.Kind == zipper.ProblemSymlinkEscape {
			reported[strings.TrimSuffix(p.Name, "/")] = true
		}
	}
	for i := range a.Files {
		f := &a.Files[i]
		if f.Type != zipper.TypeSymlink || reported[f.Path] || !zipper.ValidName(f.Path) {
			continue
		}
		if zipper.LinkEscapes(f.Path, f.Link) { // also a NUL or control character in the target
			c.add(RuleSymlinkEscape, a, f.Path, 0, mustRule(RuleSymlinkEscape).Summary, fmt.Sprintf("symlink to %q points outside %s", f.Link, a.Name))
			continue
		}
		if own == nil {
			v := ownVFS(a)
			own = &v
		}
		if _, escaped, _ := own.resolve("/"+f.Path, true); escaped {
			c.add(RuleSymlinkEscape, a, f.Path, 0, mustRule(RuleSymlinkEscape).Summary,
				fmt.Sprintf("symlink to %q leaves %s once the links it passes through are followed", f.Link, a.Name))
			continue
		}
		if _, ok := c.vfs.lookup(c.mount[a] + "/" + f.Path); !ok {
			c.add(RuleSymlinkDangling, a, f.Path, 0, fmt.Sprintf("symlink to %q resolves to nothing", f.Link),
				fmt.Sprintf("%s/%s -> %s: missing, a loop, or a file used as a folder", c.mount[a], f.Path, f.Link))
		}
	}
}

// nativeName reports whether p is a file name a loader or import system
// opens as native code.
func nativeName(p string) bool {
	switch path.Ext(p) {
	case ".so", ".dylib", ".node", ".bundle", ".pyd", ".dll":
		return true
	}
	return strings.Contains(path.Base(p), ".so.") || path.Base(p) == "bootstrap"
}

func (c *checker) file(a *Artifact, f *File) {
	if f.Type == zipper.TypeDir {
		return
	}
	if reason, ok := layers.SecretName(f.Path); ok && !(layers.PEMName(f.Path) && layers.PublicCertificates(f.Text)) {
		c.add(RuleSecret, a, f.Path, 0, "secret packaged: "+reason, "file name "+path.Base(f.Path))
	}
	if _, away := c.away[f]; f.Type != zipper.TypeFile || away {
		return // never opened on Lambda: counted as dead weight
	}
	switch f.ID.Format {
	case elfcheck.ELF:
		c.elfFile(a, f)
	case elfcheck.MachO, elfcheck.MachOUniversal:
		sev := Warning
		if nativeName(f.Path) {
			sev = Error
		}
		c.add(RuleMachO, a, f.Path, sev, "macOS binary: Lambda loads only Linux ELF objects", f.ID.Detail)
	case elfcheck.PE:
		sev := Warning
		if nativeName(f.Path) {
			sev = Error
		}
		c.add(RulePE, a, f.Path, sev, "Windows binary: Lambda loads only Linux ELF objects", f.ID.Detail)
	}
	if c.importable(a, f) {
		c.pythonExtension(a, f)
	}
	if wheelMetadata(f.Path) && f.Text != nil {
		c.wheel(a, f)
	}
}

func (c *checker) elfFile(a *Artifact, f *File) {
	if !f.HasHeader {
		c.add(RuleELFBroken, a, f.Path, 0, "ELF object too short to hold its header", fmt.Sprintf("%d bytes", f.Size))
		return
	}
	h := f.Header
	if h.Class != elf.ELFCLASS64 {
		c.add(RuleELFClass, a, f.Path, 0, fmt.Sprintf("32-bit ELF object for %s", elfcheck.MachineName(h.Machine)),
			fmt.Sprintf("EI_CLASS=%v, e_machine=%v", h.Class, h.Machine))
		return
	}
	if h.Data != elf.ELFDATA2LSB {
		c.add(RuleELFByteOrder, a, f.Path, 0, fmt.Sprintf("big-endian ELF object for %s", elfcheck.MachineName(h.Machine)),
			fmt.Sprintf("EI_DATA=%v, e_machine=%v", h.Data, h.Machine))
		return
	}
	if c.arch != "" && uint16(h.Machine) != c.arch.ELFMachine() {
		msg := fmt.Sprintf("ELF object for %s; the target runs on %s", elfcheck.MachineName(h.Machine), c.arch)
		fd := c.add(RuleELFMachine, a, f.Path, 0, msg, fmt.Sprintf("e_machine=%v", h.Machine))
		if f.ELF != nil && (f.ELF.Type == elf.ET_EXEC || f.ELF.Interp != "") && !strings.Contains(path.Base(f.Path), ".so") {
			fd.Symptom = "'exec format error'"
			if path.Base(f.Path) == "bootstrap" {
				fd.Symptom += "; Lambda reports Runtime.InvalidEntrypoint"
			}
		}
		return
	}
	if f.ELFErr != nil {
		c.add(RuleELFBroken, a, f.Path, 0, "ELF object cannot be read", f.ELFErr.Error())
		return
	}
	info := f.ELF
	if info == nil {
		return // unreadable content, reported as zip-corrupt
	}
	if info.Type != elf.ET_DYN && info.Type != elf.ET_EXEC {
		return // object files and core dumps are never loaded
	}
	if info.Musl() {
		ev := "interpreter " + info.Interp
		if info.Interp == "" || !strings.Contains(info.Interp, "musl") {
			ev = "needs " + strings.Join(info.Needed, ", ")
		}
		c.add(RuleMusl, a, f.Path, 0, "linked against musl libc, which Lambda's Amazon Linux does not have", ev)
		return
	}
	osName := c.os.Name()
	switch {
	case c.img != nil && c.img.Glibc != "":
		osName = "the image's own glibc"
	case c.runtime == nil:
		osName += ", the newest Lambda OS"
	}
	if v := info.MaxVersion("GLIBC_"); v != "" && elfcheck.CompareVersions(v, c.glibc) > 0 {
		c.add(RuleGlibc, a, f.Path, 0, fmt.Sprintf("needs glibc %s; %s has %s", v, osName, c.glibc),
			fmt.Sprintf("needs GLIBC_%s > %s (%s)", v, c.glibc, c.os.Name()))
	}
	limit := c.os.MaxGLIBCXX()
	if c.img != nil {
		limit = c.img.GLIBCXX // an image without libstdc++ fails on the library itself (LK120)
	}
	if limit != "" {
		if v := info.MaxVersion("GLIBCXX_"); v != "" && elfcheck.CompareVersions(v, limit) > 0 {
			sev := Error
			if c.os == layers.AmazonLinux2023 && c.img == nil {
				sev = Warning
			}
			c.add(RuleLibstdcxx, a, f.Path, sev, fmt.Sprintf("needs libstdc++ GLIBCXX_%s; %s has up to %s", v, osName, limit),
				fmt.Sprintf("needs GLIBCXX_%s > %s (%s)", v, limit, c.os.Name()))
		}
	}
	c.resolve = append(c.resolve, f)
	if strings.HasSuffix(f.Path, ".node") {
		c.nodeAddon(a, f)
	}
}

// maxEvidenceBytes bounds the list of searched folders quoted in one
// finding: an object may name thousands of RUNPATH folders.
const maxEvidenceBytes = 2048

// osLibraries are the libraries every Lambda OS provides: glibc's own, the
// GCC runtime, and zlib, which every managed runtime's interpreter links.
// Amazon Linux 2023 images are minimal: nothing else is assumed.
var osLibraries = map[string]bool{
	"libc.so.6": true, "libm.so.6": true, "libdl.so.2": true, "libpthread.so.0": true, "librt.so.1": true,
	"libutil.so.1": true, "libresolv.so.2": true, "libnsl.so.1": true, "libanl.so.1": true,
	"ld-linux-x86-64.so.2": true, "ld-linux-aarch64.so.1": true, "libcrypt.so.1": true, "libcrypt.so.2": true,
	"libstdc++.so.6": true, "libgcc_s.so.1": true, "libz.so.1": true,
}

// needed resolves each DT_NEEDED library as Lambda's loader would, from
// the object's own RUNPATH and the search path. What resolves is recorded
// as an edge; what does not waits for settleMissing, since the loader also
// takes a library that is already loaded when the object is.
func (c *checker) needed(a *Artifact, f *File) {
	self := c.mount[a] + "/" + f.Path
	origin := path.Dir(self)
	var runPath []string
	for _, d := range f.ELF.RunPath {
		d = path.Clean(strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(d))
		if !slices.Contains(runPath, d) {
			runPath = append(runPath, d)
		}
	}
	if f.ELF.RPath {
		c.rpath[self] = runPath
	}
	if len(runPath) > 0 && !f.ELF.RPath {
		c.runPath[self] = true
	}
	dirs := append(runPath, c.b.SearchPath()...)
	searched := strings.Join(dirs, ":")
	if len(searched) > maxEvidenceBytes {
		searched = searched[:maxEvidenceBytes] + fmt.Sprintf("… (%d folders)", len(dirs))
	}
	seen := map[string]bool{}
	for _, lib := range f.ELF.Needed {
		if strings.Contains(lib, "/") || osLibraries[lib] && c.img == nil || seen[lib] {
			continue // an image carries its own OS: nothing is assumed of it
		}
		seen[lib] = true
		if c.img == nil && c.runtime != nil && c.runtime.Family() == "python" && strings.HasPrefix(lib, "libpython"+c.runtime.LanguageVersion()) {
			continue // in /var/lang/lib
		}
		found, wrong := c.search(dirs, lib)
		switch {
		case found != "":
			c.link(self, lib, found)
		case wrong != "":
			c.add(RuleLibWrongMachine, a, f.Path, 0, fmt.Sprintf("needs %s, which resolves only to a file for another CPU", lib),
				"found "+wrong+"; searched "+searched)
		default:
			c.unresolved = append(c.unresolved, unresolved{a: a, f: f, self: self, lib: lib, searched: searched})
		}
	}
}

// search looks for lib in dirs as the loader does: the first file of that
// name that is a 64-bit object for the target's CPU. found is its path;
// wrong describes the first file of that name for another CPU.
func (c *checker) search(dirs []string, lib string) (found, wrong string) {
	for _, d := range dirs {
		e, ok := c.vfs.lookup(d + "/" + lib)
		if !ok || !e.isFile() {
			continue // the loader skips a folder of that name
		}
		if e.f.HasHeader && e.f.Header.Class == elf.ELFCLASS64 && (c.arch == "" || uint16(e.f.Header.Machine) == c.arch.ELFMachine()) {
			return d + "/" + lib, ""
		}
		if wrong == "" {
			wrong = fmt.Sprintf("%s (%s in %s)", d+"/"+lib, e.f.Path, e.a.Name)
			if e.f.HasHeader {
				wrong += ": e_machine=" + e.f.Header.Machine.String()
			}
		}
	}
	return "", wrong
}

// unresolved is a DT_NEEDED library no folder the object searches holds.
type unresolved struct {
	a         *Artifact
	f         *File
	self, lib string
	searched  string
}

// maxLoaders bounds how many objects that load an object, directly or
// through others, settleMissing looks at for one library.
const maxLoaders = 256

// link records that the object self loads lib from the file found.
func (c *checker) link(self, lib, found string) {
	if c.loads[self] == nil {
		c.loads[self] = map[string]string{}
	}
	c.loads[self][lib] = found
	c.loadedBy[found] = append(c.loadedBy[found], self)
}

// maxSettlePasses bounds the passes of settleMissing: each resolves the
// libraries of objects one more step down a chain of loaders.
const maxSettlePasses = 32

// settleMissing reports the libraries that resolve nowhere once the
// loader's two other ways are counted: a library already loaded (by an
// object that loads this one, directly or through others) is taken by its
// name, and an object without DT_RUNPATH is also served by the DT_RPATH of
// every object on the chain that loaded it. psycopg-binary's bundled
// libraries rely on both. What resolves so adds to the chains, so the
// passes repeat until nothing more resolves.
func (c *checker) settleMissing() {
	settled := make([]bool, len(c.unresolved))
	for range maxSettlePasses {
		changed := false
		for i, u := range c.unresolved {
			if settled[i] {
				continue
			}
			found := c.loadedAlongside(u.self, u.lib)
			if found == "" && !c.runPath[u.self] {
				found = c.inheritedRPath(u.self, u.lib)
			}
			if found != "" {
				c.link(u.self, u.lib, found)
				settled[i], changed = true, true
			}
		}
		if !changed {
			break
		}
	}
	missing := map[*File][]string{}
	var last []unresolved // one per object with missing libraries, for the sum
	for i, u := range c.unresolved {
		if settled[i] {
			continue
		}
		if missing[u.f] == nil {
			last = append(last, u)
		}
		missing[u.f] = append(missing[u.f], u.lib)
		if n := len(missing[u.f]); n <= maxMissingPerObject {
			c.add(RuleLibMissing, u.a, u.f.Path, 0, fmt.Sprintf("needs %s, which is not in %s", u.lib, c.providers()),
				"DT_NEEDED "+u.lib+"; searched "+u.searched)
		}
	}
	for _, u := range last {
		more := missing[u.f][min(len(missing[u.f]), maxMissingPerObject):]
		if len(more) == 0 {
			continue
		}
		shown := strings.Join(more[:min(len(more), 8)], ", ")
		if len(more) > 8 {
			shown += ", …"
		}
		c.add(RuleLibMissing, u.a, u.f.Path, 0, fmt.Sprintf("needs %d more libraries that are not in %s", len(more), c.providers()),
			"DT_NEEDED "+shown+"; searched "+u.searched)
	}
}

// inheritedRPath returns where lib is found in the DT_RPATH of an object
// that loads self, directly or through others: for an object without
// DT_RUNPATH the loader searches the DT_RPATH of every object on the chain
// that loaded it (psycopg-binary's libgssapi_krb5 finds libkrb5 through
// libpq's RPATH $ORIGIN).
func (c *checker) inheritedRPath(self, lib string) (found string) {
	c.anyLoader(self, func(loader string) bool {
		if dirs := c.rpath[loader]; len(dirs) > 0 {
			found, _ = c.search(dirs, lib)
		}
		return found != ""
	})
	return found
}

// anyLoader reports whether ok holds for an object that loads self,
// directly or through others, looking at most at maxLoaders of them.
func (c *checker) anyLoader(self string, ok func(loader string) bool) bool {
	seen := map[string]bool{self: true}
	queue := []string{self}
	for len(queue) > 0 && len(seen) <= maxLoaders {
		o := queue[0]
		queue = queue[1:]
		for _, parent := range c.loadedBy[o] {
			if seen[parent] {
				continue
			}
			if ok(parent) {
				return true
			}
			seen[parent] = true
			queue = append(queue, parent)
		}
	}
	return false
}

// loadedAlongside returns the file an object that loads self, directly or
// through others, itself loads as lib, or "": by the time self's needs are
// resolved the loader has it, and takes it by name.
func (c *checker) loadedAlongside(self, lib string) (found string) {
	c.anyLoader(self, func(loader string) bool {
		found = c.loads[loader][lib]
		return found != ""
	})
	return found
}

// providers names where a library may come from, for messages.
func (c *checker) providers() string {
	if c.img != nil {
		return "the image"
	}
	return "the package, its layers or " + c.os.Name()
}

// maxMissingPerObject is how many missing libraries of one object get a
// finding each; the rest are summed up in one, so that an object naming
// thousands cannot flood the report.
const maxMissingPerObject = 16

func (c *checker) nodeAddon(a *Artifact, f *File) {
	if c.runtime == nil || c.runtime.Family() != "nodejs" || c.runtime.NodeModuleVersion() == 0 {
		return
	}
	want := c.runtime.NodeModuleVersion()
	for _, s := range f.ELF.Symbols {
		v, ok := strings.CutPrefix(s, "node_register_module_v")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil && n != want {
			fd := c.add(RuleNodeABI, a, f.Path, 0, fmt.Sprintf("addon built for NODE_MODULE_VERSION %d; %s needs %d", n, c.runtime.ID, want),
				"exports "+s)
			fd.Symptom = fmt.Sprintf("'was compiled against a different Node.js version using NODE_MODULE_VERSION %d. This version of Node.js requires NODE_MODULE_VERSION %d.'", n, want)
		}
		return
	}
}

func (c *checker) pythonExtension(a *Artifact, f *File) {
	base := path.Base(f.Path)
	if strings.HasSuffix(base, ".pyd") {
		if f.ID.Format != elfcheck.PE {
			c.add(RulePythonPlatform, a, f.Path, 0, "Windows Python extension (.pyd)", "file name "+base)
		}
		return
	}
	m := extTagRE.FindStringSubmatch(base)
	if m == nil || c.otherPython(f.Path) {
		return
	}
	plat := m[4]
	switch {
	case strings.Contains(plat, "darwin") || strings.HasPrefix(plat, "win"):
		if f.ID.Format != elfcheck.MachO && f.ID.Format != elfcheck.MachOUniversal && f.ID.Format != elfcheck.PE {
			c.add(RulePythonPlatform, a, f.Path, 0, "Python extension for "+plat, "ABI tag cpython-"+m[1]+m[2]+m[3]+"-"+plat)
		}
		return
	case strings.Contains(plat, "musl"):
		c.add(RulePythonPlatform, a, f.Path, 0, "Python extension for musl libc", "ABI tag cpython-"+m[1]+m[2]+m[3]+"-"+plat)
		return
	}
	if c.runtime == nil || c.runtime.Family() != "python" {
		return
	}
	tag := "cpython-" + m[1] + m[2] + m[3]
	if plat != "" {
		tag += "-" + plat
	}
	ver := m[1] + "." + m[2]
	if ver != c.runtime.LanguageVersion() {
		c.add(RulePythonABI, a, f.Path, 0, fmt.Sprintf("extension module for Python %s; %s never imports it", ver, c.runtime.ID), "ABI tag "+tag)
		return
	}
	if c.arch != "" && plat != "" && plat != c.arch.GNUTriplet() {
		c.add(RulePythonABI, a, f.Path, 0, fmt.Sprintf("extension module tagged for %s; %s on %s imports only .cpython-%s%s-%s.so, .abi3.so and .so", plat, c.runtime.ID, c.arch, m[1], m[2], c.arch.GNUTriplet()), "ABI tag "+tag)
	}
}

// pythonDirs reports python/lib/python3.X folders for another X than the
// runtime's.
func (c *checker) pythonDirs(a *Artifact) {
	if c.runtime == nil || c.runtime.Family() != "python" {
		return
	}
	seen := map[string]bool{}
	for _, f := range a.Files {
		m := pythonDirRE.FindStringSubmatch(f.Path)
		if m == nil || m[1] == c.runtime.LanguageVersion() || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		c.add(RulePythonDir, a, "python/lib/python"+m[1]+"/", 0,
			fmt.Sprintf("packages installed for Python %s; %s reads python/ and python/lib/python%s/site-packages", m[1], c.runtime.ID, c.runtime.LanguageVersion()),
			"folder python/lib/python"+m[1]+"/")
	}
}

func (c *checker) layout(a *Artifact) {
	l := layers.CheckLayout(c.runtime, topLevel(a))
	dirs := layers.AllLayerDirs()
	if c.runtime != nil {
		dirs = c.runtime.LayerDirs()
	}
	if l.Wrapper != "" {
		c.add(RuleLayoutWrapped, a, l.Wrapper+"/", 0,
			fmt.Sprintf("layer content wrapped in %s/: it lands in /opt/%s/%s, where no runtime looks", l.Wrapper, l.Wrapper, l.Inner),
			fmt.Sprintf("top-level folders: %s", strings.Join(l.Unread, ", ")))
		return
	}
	linked := linkedTops(a, l.Read)
	for _, t := range l.Unread {
		if linked[t] {
			continue
		}
		c.add(RuleLayoutUnread, a, t, 0, fmt.Sprintf("%s lands in /opt/%s, which the runtime does not read", t, t),
			"the runtime reads "+strings.Join(dirs, "/, ")+"/")
	}
}

// linkedTops returns the top-level folders that a top-level symlink the
// runtime reads (lib -> lib64) points into: they are read through the link.
func linkedTops(a *Artifact, read []string) map[string]bool {
	linked := map[string]bool{}
	for _, f := range a.Files {
		if f.Type == zipper.TypeSymlink && slices.Contains(read, f.Path) {
			first, _, _ := strings.Cut(path.Clean(f.Link), "/")
			linked[first] = true
		}
	}
	return linked
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// deadWeight counts files Lambda never uses, per kind, with the folders
// that cost most.
func (c *checker) deadWeight(a *Artifact) {
	type tally struct {
		files int
		bytes int64
		dirs  map[string]int64
	}
	kinds := map[string]*tally{}
	count := func(kind, dir string, f *File) {
		t := kinds[kind]
		if t == nil {
			t = &tally{dirs: map[string]int64{}}
			kinds[kind] = t
		}
		t.files++
		t.bytes += f.Size
		t.dirs[dir] += f.Size
	}
	ownTag := ""
	if c.runtime != nil && c.runtime.Family() == "python" {
		ownTag = ".cpython-" + strings.ReplaceAll(c.runtime.LanguageVersion(), ".", "") + "."
	}
	for i := range a.Files {
		f := &a.Files[i]
		if f.Type != zipper.TypeFile {
			continue
		}
		parts := strings.Split(f.Path, "/")
		dirs := parts[:len(parts)-1]
		if why, ok := c.away[f]; ok {
			count(why, path.Dir(f.Path), f)
			continue
		}
		switch ext := path.Ext(f.Path); {
		case ext == ".pyc" || ext == ".pyo" || slices.Contains(dirs, "__pycache__"):
			if ownTag == "" || !strings.Contains(path.Base(f.Path), ownTag) {
				count("stale Python bytecode", path.Dir(f.Path), f)
			}
		case containsAny(dirs, "tests", "test"):
			i := slices.IndexFunc(dirs, func(d string) bool { return d == "tests" || d == "test" })
			count("test suites", strings.Join(dirs[:i+1], "/"), f)
		case containsAny(dirs, "docs", "doc", "examples"):
			i := slices.IndexFunc(dirs, func(d string) bool { return d == "docs" || d == "doc" || d == "examples" })
			count("docs and examples", strings.Join(dirs[:i+1], "/"), f)
		}
	}
	for _, kind := range sortedKeys(kinds) {
		t := kinds[kind]
		c.add(RuleDeadWeight, a, "", 0, fmt.Sprintf("%s: %d files, %s", kind, t.files, formatBytes(t.bytes)),
			"largest: "+topContributors(t.dirs, 3))
	}
}

func containsAny(s []string, vs ...string) bool {
	for _, v := range vs {
		if slices.Contains(s, v) {
			return true
		}
	}
	return false
}

func topContributors(m map[string]int64, n int) string {
	keys := sortedKeys(m)
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %s", k, formatBytes(m[k])))
	}
	return strings.Join(parts, ", ")
}

// formatBytes prints a size in Lambda's binary units with the exact count.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// contributor names the unit a file's bytes are charged to in size reports:
// a Python or Node package, or a top-level folder's child.
func contributor(p string) string {
	parts := strings.Split(p, "/")
	if i := slices.Index(parts, "site-packages"); i >= 0 && i+2 < len(parts) {
		return strings.Join(parts[:i+2], "/")
	}
	if i := slices.Index(parts, "node_modules"); i >= 0 && i+2 < len(parts) {
		if strings.HasPrefix(parts[i+1], "@") && i+3 < len(parts) {
			return strings.Join(parts[:i+3], "/")
		}
		return strings.Join(parts[:i+2], "/")
	}
	if len(parts) > 2 {
		return parts[0] + "/" + parts[1]
	}
	return p
}

func (c *checker) sizes() {
	var total int64
	by := map[string]int64{}
	for _, a := range c.b.Package() {
		total += a.UnzippedBytes
		for k, n := range c.part(a).contrib {
			by[a.Name+": "+k] += n
		}
		if a.InRequest && !layers.FitsDirectUpload(a.ArchiveBytes) {
			c.add(RuleSizeDirect, a, "", 0, fmt.Sprintf("zip of %s (%d bytes) cannot be sent directly; upload it through S3", formatBytes(a.ArchiveBytes), a.ArchiveBytes),
				fmt.Sprintf("%d >= %d bytes", a.ArchiveBytes, layers.MaxDirectUploadBytes))
		}
	}
	what := "function code plus layers unzip"
	if len(c.b.Package()) == 1 {
		what = "this package alone unzips"
	}
	if total >= layers.MaxUnzippedBytes {
		c.add(RuleSizeUnzipped, nil, "", 0, fmt.Sprintf("%s to %s (%d bytes), over Lambda's limit by %s", what, formatBytes(total), total, formatBytes(total-layers.MaxUnzippedBytes+1)),
			fmt.Sprintf("%d >= %d bytes; largest: %s", total, layers.MaxUnzippedBytes, topContributors(by, 5)))
	}
	if total > layers.MaxImageBytes {
		c.add(RuleSizeImage, nil, "", 0, fmt.Sprintf("%s to %s, over the 10 GB container image limit", what, formatBytes(total)),
			fmt.Sprintf("%d > %d bytes", total, int64(layers.MaxImageBytes)))
	}
	if n := len(c.b.Layers()) + len(c.b.Unchecked); n > layers.MaxLayers {
		ev := fmt.Sprintf("%d > %d", n, layers.MaxLayers)
		if len(c.b.Unchecked) > 0 {
			ev += fmt.Sprintf(", %d of them given only as ARNs", len(c.b.Unchecked))
		}
		c.add(RuleLayerCount, nil, "", 0, fmt.Sprintf("%d layers; a function attaches at most %d", n, layers.MaxLayers), ev)
	}
}

// TargetLabel names a target, or the part of it that is known, as findings
// and reports show it: "python3.12/arm64", "python3.12", "arm64" or "".
func TargetLabel(t layers.Target) string {
	switch {
	case t.Runtime != "" && t.Arch != "":
		return t.String()
	case t.Runtime != "":
		return t.Runtime
	}
	return string(t.Arch)
}
