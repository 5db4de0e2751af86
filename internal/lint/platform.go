package lint

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/zipper"
)

// Packages often ship one binary per platform and let a loader pick the one
// for the machine it runs on: node-gyp-build opens only
// prebuilds/<platform>-<arch>/ (glibc, N-API or the runtime's ABI),
// node-pre-gyp only lib/binding/<abi>-<platform>-<arch>/, and a Python
// package such as selenium picks linux/ over macos/ and windows/. The
// others are never opened on Lambda: judging them as if they were loaded
// gives dozens of false errors on the most installed packages. They are
// dead weight instead, as are a compile's intermediates (object files,
// static archives), which no loader opens either.

// Why a file is never opened on Lambda.
const (
	awayPlatform     = "binaries for other platforms"
	awayIntermediate = "build intermediates"
)

// platformTag is what a path component says about the platform it is for.
type platformTag struct {
	os, arch, libc string
	// abi is a NODE_MODULE_VERSION the name carries ("node.abi115",
	// "node-v115", "glibc-115-Release"); 0 for none or N-API.
	abi int
}

var osNames = map[string]string{
	"linux": "linux", "darwin": "darwin", "macos": "darwin", "mac": "darwin", "osx": "darwin",
	"win32": "windows", "windows": "windows", "win": "windows", "win10": "windows", "win11": "windows", "android": "android", "ios": "ios",
	"freebsd": "freebsd", "openbsd": "openbsd", "netbsd": "netbsd", "sunos": "sunos", "aix": "aix",
}

// cpuNames maps the CPU names of npm (process.arch), Python (platform tags)
// and Go to one spelling; x86_64 and arm64 as layers.Arch spells them.
// "x86_64" itself is read before the name is cut at '_' (see tagOf).
var cpuNames = map[string]string{
	"x64": "x86_64", "amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64",
	"arm": "arm", "armv6": "arm", "armv7": "arm", "armv7l": "arm", "armhf": "arm", "ia32": "i386", "x86": "i386",
	"i386": "i386", "i686": "i386", "ppc64": "ppc64", "ppc64le": "ppc64", "s390x": "s390x", "riscv64": "riscv64",
	"loong64": "loong64", "mips64el": "mips", "universal": "darwin-universal",
}

// x86Spellings joins "x86_64" and "x86-64" into one word before a name is
// cut at '_' and '-'.
var x86Spellings = strings.NewReplacer("x86_64", "x64", "x86-64", "x64")

// minNodeABI is the lowest NODE_MODULE_VERSION (Node 4): a bare number
// below it in a name is a version, not an ABI.
const minNodeABI = 46

// tagOf reads a platform from one path component ("darwin-x64",
// "node-v115-linux-arm64", "linux", "attach_linux_x86_64.so",
// "glibc-127-Release", "node.abi115.musl.node"); ok is false when it names
// none.
func tagOf(component string) (t platformTag, ok bool) {
	name := x86Spellings.Replace(strings.ToLower(component))
	var numbers []int
	for tok := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == '+' }) {
		switch {
		case osNames[tok] != "":
			t.os, ok = osNames[tok], true
		case cpuNames[tok] != "":
			t.arch, ok = cpuNames[tok], true
		case tok == "musl" || tok == "glibc" || tok == "gnu":
			t.libc, ok = strings.Replace(tok, "gnu", "glibc", 1), true
		case strings.HasPrefix(tok, "abi") || strings.HasPrefix(tok, "v"):
			if n, err := strconv.Atoi(strings.TrimLeft(tok, "abiv")); err == nil && n >= minNodeABI {
				t.abi, ok = n, true
			}
		default:
			if n, err := strconv.Atoi(tok); err == nil && n >= minNodeABI && n < 1000 {
				numbers = append(numbers, n)
			}
		}
	}
	// A bare number is an ABI only beside a platform word: "glibc-115".
	if ok && t.abi == 0 && len(numbers) == 1 {
		t.abi = numbers[0]
	}
	return t, ok
}

// dirMark is what a folder's name says of its platform.
type dirMark struct {
	t  platformTag
	ok bool
}

// dirTag reads the platform of the folder d: as tagOf does, and a bare ABI
// number as a folder of node/ (zeromq's build/linux/x64/node/108/).
func dirTag(d string) (platformTag, bool) {
	base := path.Base(d)
	t, ok := tagOf(base)
	if !ok && path.Base(path.Dir(d)) == "node" {
		if n, err := strconv.Atoi(base); err == nil && n >= minNodeABI {
			return platformTag{abi: n}, true
		}
	}
	return t, ok
}

// fits reports whether a binary tagged t can be what Lambda's loader picks
// for the target: Linux, glibc, the target's CPU and the runtime's Node ABI
// when they are known.
func (c *checker) fits(t platformTag) bool {
	if t.os != "" && t.os != "linux" {
		return false
	}
	if t.libc == "musl" {
		return false
	}
	if t.abi != 0 && c.runtime != nil && c.runtime.NodeModuleVersion() != 0 && t.abi != c.runtime.NodeModuleVersion() {
		return false
	}
	return t.arch == "" || c.arch == "" || t.arch == string(c.arch)
}

// intermediate reports whether p is a compile's leftover that no loader
// opens: an object file, a static archive, or anything under node-gyp's
// obj.target/ or .deps/.
func intermediate(p string) bool {
	switch path.Ext(p) {
	case ".o", ".a", ".obj", ".lib":
		return true
	}
	for d := range strings.SplitSeq(path.Dir(p), "/") {
		if d == "obj.target" || d == ".deps" {
			return true
		}
	}
	return false
}

// selectAway marks the artifact's files that Lambda never opens because a
// loader picks another platform's copy, or because they are a compile's
// intermediates, and reports a node-gyp-build package left with no binary
// for the target. The marks go to c.away.
func (c *checker) selectAway(a *Artifact) {
	// Each folder's entries that name a platform fitting the target: a
	// sibling folder, or a sibling binary, for another platform is never
	// opened when one of these is there to be chosen instead.
	fittingDir := map[string]bool{}  // parent folder -> a fitting sub-folder
	fittingFile := map[string]bool{} // folder -> a fitting binary
	tags := map[string]dirMark{}     // every folder, read once
	addDir := func(d string) bool {
		if _, seen := tags[d]; seen {
			return false
		}
		t, ok := dirTag(d)
		tags[d] = dirMark{t, ok}
		if ok && c.fits(t) {
			fittingDir[path.Dir(d)] = true
		}
		return true
	}
	for _, f := range a.Files {
		switch {
		case f.Type == zipper.TypeDir:
			addDir(f.Path)
		case (nativeName(f.Path) || path.Ext(f.Path) == ".exe"):
			if t, ok := tagOf(path.Base(f.Path)); ok && c.fits(t) {
				fittingFile[path.Dir(f.Path)] = true
			}
		}
		for d := path.Dir(f.Path); d != "." && d != "/" && addDir(d); d = path.Dir(d) { // folders a zip implies
		}
	}
	prebuilds := map[string]bool{} // package folder -> a prebuild fits the target
	for i := range a.Files {
		f := &a.Files[i]
		if f.Type != zipper.TypeFile || !zipper.ValidName(f.Path) {
			continue
		}
		if intermediate(f.Path) {
			c.away[f] = awayIntermediate
			continue
		}
		var parts []string
		if strings.Contains(f.Path, "prebuilds/") {
			parts = strings.Split(f.Path, "/")
		}
		if j := slices.Index(parts, "prebuilds"); j >= 0 && j+1 < len(parts) {
			// prebuilds/<platform>-<arch>/<name>.node, or a flat
			// prebuilds/<platform>-<arch>.node as better-sqlite3 has.
			pkg := strings.Join(parts[:j], "/")
			dir := strings.TrimSuffix(parts[j+1], ".node")
			fits := c.prebuildFits(dir, path.Base(f.Path))
			if !fits {
				c.away[f] = awayPlatform
			}
			if strings.HasSuffix(f.Path, ".node") { // Bare's .bare addons are no Node prebuilds
				prebuilds[pkg] = prebuilds[pkg] || fits
			}
			continue
		}
		if (nativeName(f.Path) || path.Ext(f.Path) == ".exe") && fittingFile[path.Dir(f.Path)] {
			if t, ok := tagOf(path.Base(f.Path)); ok && !c.fits(t) {
				c.away[f] = awayPlatform
				continue
			}
		}
		for d := path.Dir(f.Path); d != "." && d != "/"; d = path.Dir(d) {
			m := tags[d]
			if !m.ok || c.fits(m.t) {
				continue
			}
			// A Windows or macOS binary in a folder named for its own OS
			// is that OS's: Linux never loads it, whatever is beside it.
			if (m.t.os == "windows" && f.ID.Format == elfcheck.PE) || (m.t.os == "darwin" && (f.ID.Format == elfcheck.MachO || f.ID.Format == elfcheck.MachOUniversal)) {
				c.away[f] = awayPlatform
				break
			}
			// A folder for another platform counts as never opened when
			// a loader has one for the target to choose instead, or when
			// it is node-pre-gyp's binding/ folder, which holds nothing
			// else.
			if parent := path.Dir(d); path.Base(parent) == "binding" || fittingDir[parent] {
				c.away[f] = awayPlatform
				break
			}
		}
	}
	c.noBinary(a, prebuilds)
}

// noBinary reports the Node packages that hold no binary the target can
// load: a node-gyp-build package none of whose prebuilds fits, and a
// package that builds or downloads its addon at install time (binding.gyp)
// with no addon at all, as an install with --ignore-scripts or on another
// machine leaves it. prebuilds maps each node-gyp-build package to whether
// a prebuild fits.
func (c *checker) noBinary(a *Artifact, prebuilds map[string]bool) {
	alt := map[string]*prebuildAlternatives{}
	for pkg, ok := range prebuilds {
		if !ok {
			alt[pkg] = &prebuildAlternatives{prebuilds: true}
		}
	}
	for _, f := range a.Files {
		if path.Base(f.Path) == "binding.gyp" {
			if _, ok := prebuilds[path.Dir(f.Path)]; !ok {
				alt[strings.TrimPrefix(path.Dir(f.Path), ".")] = &prebuildAlternatives{}
			}
		}
	}
	if len(alt) == 0 {
		return
	}
	for i := range a.Files {
		f := &a.Files[i]
		p := "/" + f.Path // so that a package at the root has the prefix ""
		if path.Base(p) == "fallback.js" {
			if x := alt[strings.TrimPrefix(path.Dir(p), "/")]; x != nil {
				x.fallback = true
			}
		}
		if i := strings.LastIndex(p, "/prebuilds/"); i >= 0 {
			if x := alt[strings.TrimPrefix(p[:i], "/")]; x != nil {
				d, _, _ := strings.Cut(p[i+len("/prebuilds/"):], "/")
				if d = strings.TrimSuffix(d, ".node"); !slices.Contains(x.have, d) {
					x.have = append(x.have, d)
				}
			}
			continue
		}
		if _, away := c.away[f]; away || !strings.HasSuffix(p, ".node") {
			continue
		}
		// The addon serves the package whose folder holds it, short of a
		// nested node_modules/.
		for d := path.Dir(p); d != "/" && path.Base(d) != "node_modules"; d = path.Dir(d) {
			if x := alt[strings.TrimPrefix(d, "/")]; x != nil {
				x.built = true
				break
			}
		}
	}
	for _, pkg := range sortedKeys(alt) {
		if x := alt[pkg]; !x.prebuilds && !x.built {
			x.built = c.platformPackage(a, pkg)
		}
		c.missingPrebuild(a, pkg, alt[pkg])
	}
}

// platformPackage reports whether the addon of the package at pkg comes in
// a package of its own per platform, installed beside it as an optional
// dependency (sharp's @img/sharp-linux-arm64, @parcel/watcher's
// @parcel/watcher-linux-arm64-glibc): an addon the target can load whose
// path names a package that starts with pkg's name and a '-'.
func (c *checker) platformPackage(a *Artifact, pkg string) bool {
	parts := strings.Split(pkg, "/")
	i := -1 // the last node_modules/ on the path
	for j, p := range parts {
		if p == "node_modules" {
			i = j
		}
	}
	name := path.Base(pkg)
	if i >= 0 && i+1 < len(parts) {
		name = parts[i+1]
		if strings.HasPrefix(name, "@") && i+2 < len(parts) {
			name = parts[i+2] // @parcel/watcher: watcher
		}
	}
	marker := "/" + name + "-"
	for i := range a.Files {
		f := &a.Files[i]
		if _, away := c.away[f]; !away && strings.HasSuffix(f.Path, ".node") && strings.Contains("/"+f.Path, marker) {
			return true
		}
	}
	return false
}

// prebuildAlternatives is what a node-gyp-build package holds besides a
// prebuild for the target.
type prebuildAlternatives struct {
	prebuilds       bool // node-gyp-build's prebuilds/, else only binding.gyp
	built, fallback bool
	have            []string // the platforms prebuilds/ has
}

// prebuildFits reports whether node-gyp-build could load the file name in
// prebuilds/dir/ on the target: dir is <platform>-<arch>, and tags in the
// name (musl, electron, abiNNN) must fit Linux, glibc and the runtime's
// Node.
func (c *checker) prebuildFits(dir, name string) bool {
	t, _ := tagOf(dir)
	if t.os != "linux" || !c.fits(t) {
		return false
	}
	for tok := range strings.SplitSeq(strings.ToLower(name), ".") {
		switch {
		case tok == "musl" || tok == "electron" || tok == "armv6" || tok == "armv7":
			return false
		case strings.HasPrefix(tok, "abi"):
			if n, err := strconv.Atoi(tok[3:]); err == nil && c.runtime != nil && c.runtime.NodeModuleVersion() != 0 && n != c.runtime.NodeModuleVersion() {
				return false
			}
		}
	}
	return true
}

// missingPrebuild reports a Node package with no binary for the target (see
// noBinary): an error unless an addon in the package can serve, or the
// package falls back to JavaScript (fallback.js), when it is a warning that
// the package runs without its native speed.
func (c *checker) missingPrebuild(a *Artifact, pkg string, x *prebuildAlternatives) {
	prefix := pkg + "/"
	if pkg == "" {
		prefix = ""
	}
	built, fallback, have := x.built, x.fallback, x.have
	if built {
		return // a compiled addon is judged by the usual rules
	}
	sev := Error
	msg := fmt.Sprintf("no prebuilt binary for linux-%s among %sprebuilds/", nodeArch(c.arch), prefix)
	ev := "prebuilds for: " + strings.Join(have, ", ")
	where := prefix + "prebuilds/"
	if !x.prebuilds {
		msg = fmt.Sprintf("no native addon in %s: the package builds or downloads it when installed (binding.gyp), and none is here", strings.TrimSuffix(prefix, "/"))
		ev = "binding.gyp and no .node file"
		where = prefix + "binding.gyp"
	} else if len(have) == 0 {
		ev = "prebuilds/ holds no addon for any platform"
	}
	if fallback {
		sev = Warning
		msg += "; the package falls back to JavaScript, without its native speed"
	}
	c.add(RuleNodePrebuild, a, where, sev, msg, ev)
}

// nodeArch spells a target architecture as Node's process.arch does.
func nodeArch(a interface{ String() string }) string {
	switch s := a.String(); s {
	case "x86_64":
		return "x64"
	case "":
		return "<arch>"
	default:
		return s
	}
}

// platformNamed reports whether p is a build intermediate or sits in a
// folder named for a platform: such files say nothing about the machine
// the package is for, since packages ship them for every platform.
func platformNamed(p string) bool {
	if intermediate(p) {
		return true
	}
	for d := range strings.SplitSeq(path.Dir(p), "/") {
		if _, ok := tagOf(d); ok || d == "prebuilds" {
			return true
		}
	}
	return false
}
