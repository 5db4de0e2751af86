package lint

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

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
}

var osNames = map[string]string{
	"linux": "linux", "darwin": "darwin", "macos": "darwin", "mac": "darwin", "osx": "darwin",
	"win32": "windows", "windows": "windows", "win": "windows", "android": "android", "ios": "ios",
	"freebsd": "freebsd", "openbsd": "openbsd", "netbsd": "netbsd", "sunos": "sunos", "aix": "aix",
}

// cpuNames maps the CPU names of npm (process.arch), Python (platform tags)
// and Go to one spelling; x86_64 and arm64 as layers.Arch spells them.
var cpuNames = map[string]string{
	"x64": "x86_64", "x86_64": "x86_64", "amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64",
	"arm": "arm", "armv6": "arm", "armv7": "arm", "armv7l": "arm", "armhf": "arm", "ia32": "i386", "x86": "i386",
	"i386": "i386", "i686": "i386", "ppc64": "ppc64", "ppc64le": "ppc64", "s390x": "s390x", "riscv64": "riscv64",
	"loong64": "loong64", "mips64el": "mips", "universal": "darwin-universal",
}

// tagOf reads a platform from one path component ("darwin-x64",
// "node-v115-linux-arm64", "linux", "attach_linux_amd64.so"); ok is false
// when it names none.
func tagOf(component string) (t platformTag, ok bool) {
	for tok := range strings.FieldsFuncSeq(strings.ToLower(component), func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == '+' }) {
		switch {
		case osNames[tok] != "":
			t.os, ok = osNames[tok], true
		case cpuNames[tok] != "":
			t.arch, ok = cpuNames[tok], true
		case tok == "musl" || tok == "glibc" || tok == "gnu":
			t.libc = strings.Replace(tok, "gnu", "glibc", 1)
		}
	}
	return t, ok
}

// fits reports whether a binary tagged t can be what Lambda's loader picks
// for the target: Linux, glibc, and the target's CPU when it is known.
func (c *checker) fits(t platformTag) bool {
	if t.os != "" && t.os != "linux" {
		return false
	}
	if t.libc == "musl" {
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
	// Each folder's sub-folders that name a platform fitting the target: a
	// folder for another platform beside one of these is never opened.
	fitting := map[string]bool{} // parent folder -> has a fitting sibling
	seen := map[string]bool{}
	addDir := func(d string) bool {
		if seen[d] {
			return false
		}
		seen[d] = true
		if t, ok := tagOf(path.Base(d)); ok && c.fits(t) {
			fitting[path.Dir(d)] = true
		}
		return true
	}
	for _, f := range a.Files {
		if f.Type == zipper.TypeDir {
			addDir(f.Path)
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
		parts := strings.Split(f.Path, "/")
		if j := slices.Index(parts, "prebuilds"); j >= 0 && j+2 < len(parts) {
			pkg := strings.Join(parts[:j], "/")
			if _, seen := prebuilds[pkg]; !seen {
				prebuilds[pkg] = false
			}
			if !c.prebuildFits(parts[j+1], path.Base(f.Path)) {
				c.away[f] = awayPlatform
			} else if strings.HasSuffix(f.Path, ".node") {
				prebuilds[pkg] = true
			}
			continue
		}
		for k, d := range parts[:len(parts)-1] {
			t, ok := tagOf(d)
			if !ok || c.fits(t) {
				continue
			}
			// A folder for another platform counts as never opened when
			// a loader has one for the target to choose instead, or when
			// it is node-pre-gyp's binding/ folder, which holds nothing
			// else.
			parent := strings.Join(parts[:k], "/")
			if parent == "" {
				parent = "."
			}
			if (k > 0 && parts[k-1] == "binding") || fitting[parent] {
				c.away[f] = awayPlatform
				break
			}
		}
	}
	if !slices.Contains(slices.Collect(maps.Values(prebuilds)), false) {
		return
	}
	// What each package without a fitting prebuild has instead: a compiled
	// build/Release/*.node, a JavaScript fallback, prebuilds for others.
	alt := map[string]*prebuildAlternatives{}
	for pkg, ok := range prebuilds {
		if !ok {
			alt[pkg] = &prebuildAlternatives{}
		}
	}
	for _, f := range a.Files {
		p := "/" + f.Path // so that a package at the root has the prefix ""
		if i := strings.LastIndex(p, "/build/Release/"); i >= 0 && strings.HasSuffix(p, ".node") {
			if x := alt[strings.TrimPrefix(p[:i], "/")]; x != nil {
				x.built = true
			}
		}
		if path.Base(p) == "fallback.js" {
			if x := alt[strings.TrimPrefix(path.Dir(p), "/")]; x != nil {
				x.fallback = true
			}
		}
		if i := strings.LastIndex(p, "/prebuilds/"); i >= 0 {
			if x := alt[strings.TrimPrefix(p[:i], "/")]; x != nil {
				if d, _, ok := strings.Cut(p[i+len("/prebuilds/"):], "/"); ok && !slices.Contains(x.have, d) {
					x.have = append(x.have, d)
				}
			}
		}
	}
	for _, pkg := range sortedKeys(alt) {
		c.missingPrebuild(a, pkg, alt[pkg])
	}
}

// prebuildAlternatives is what a node-gyp-build package holds besides a
// prebuild for the target.
type prebuildAlternatives struct {
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

// missingPrebuild reports a node-gyp-build package with no prebuilt binary
// for the target: an error unless a compiled build/Release/*.node can serve,
// or the package falls back to JavaScript (fallback.js), when it is a
// warning that the package runs without its native speed.
func (c *checker) missingPrebuild(a *Artifact, pkg string, x *prebuildAlternatives) {
	prefix := pkg + "/"
	if pkg == "" {
		prefix = ""
	}
	built, fallback, have := x.built, x.fallback, x.have
	if built {
		return // build/Release is judged by the usual rules
	}
	sev := Error
	msg := fmt.Sprintf("no prebuilt binary for linux-%s among %sprebuilds/", nodeArch(c.arch), prefix)
	if fallback {
		sev = Warning
		msg += "; the package falls back to JavaScript, without its native speed"
	}
	ev := "prebuilds for: " + strings.Join(have, ", ")
	if len(have) == 0 {
		ev = "prebuilds/ holds no folder for any platform"
	}
	c.add(RuleNodePrebuild, a, prefix+"prebuilds/", sev, msg, ev)
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
