package install

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/layers"
)

// Toolchain is what compiles Node addons for a target other than the host:
// a C and a C++ compiler that emit code for the target's CPU, and the Node
// headers of the target's Node version (a folder holding
// include/node/node_version.h, as node-gyp's --nodedir wants). Without it,
// an npm package that would be compiled from source for another CPU or
// another Node version is refused.
type Toolchain struct {
	CC, CXX string
	NodeDir string
}

func (tc Toolchain) set() bool { return tc.CC != "" || tc.CXX != "" || tc.NodeDir != "" }

// SourceBuild is one npm package that would have been compiled from
// source for a target other than the host, or was compiled for the wrong
// one.
type SourceBuild struct {
	Package string
	// Dir is the package's folder, relative to the installed nodejs/.
	Dir    string
	Reason string
}

// SourceBuildError reports the npm packages of an install that would be
// compiled from source for a target other than the host (another CPU or
// another Node major), when no Toolchain was given, or whose compiled
// addon does not fit the target when one was. The layer folder is left as
// it was.
type SourceBuildError struct {
	Target   layers.Target
	Packages []SourceBuild
	// Cross is set when a toolchain was given and what it built does not
	// fit the target.
	Cross bool
}

func (e *SourceBuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Target, plural(len(e.Packages), "package"))
	if e.Cross {
		b.WriteString(" compiled with the given toolchain do not fit the target:")
	} else {
		b.WriteString(" would be compiled from source for another CPU or Node version, which layerkit does not do without a cross toolchain (--cc, --cxx and --nodedir with the target's Node headers); use a version that ships a prebuilt binary for the target, or give the toolchain:")
	}
	for _, p := range e.Packages {
		fmt.Fprintf(&b, "\n  %s: %s", p.Package, p.Reason)
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// NodeVersion returns the Node version npm_config_target names for a
// Node.js runtime: the major version of the runtime with .0.0. Lambda moves
// its runtimes along patch and minor releases, so no later version is
// certain; what the downloaders of prebuilt binaries need from it is the
// ABI (NODE_MODULE_VERSION), the same for every release of a major:
// prebuild-install maps it through node-abi, node-pre-gyp looks it up in
// its abi_crosswalk.json (which has every x.0.0 of a major it knows, and
// refuses a version it does not list), node-gyp fetches or finds headers
// for it. node-gyp-build reads only npm_config_arch and
// npm_config_platform at install time.
func NodeVersion(t layers.Target) string {
	r, _ := layers.LookupRuntime(t.Runtime)
	return r.LanguageVersion() + ".0.0"
}

// nodeHeadersVersion reads the Node version of the headers in dir
// (include/node/node_version.h, as node-gyp's --nodedir wants).
func nodeHeadersVersion(dir string) (major, version string, err error) {
	p := filepath.Join(dir, "include", "node", "node_version.h")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", "", fmt.Errorf("reading the Node headers' version: %w", err)
	}
	parts := map[string]string{}
	for _, m := range nodeVersionDefine.FindAllSubmatch(b, -1) {
		parts[string(m[1])] = string(m[2])
	}
	if parts["MAJOR"] == "" || parts["MINOR"] == "" || parts["PATCH"] == "" {
		return "", "", fmt.Errorf("%s defines no NODE_MAJOR_VERSION, NODE_MINOR_VERSION and NODE_PATCH_VERSION", p)
	}
	return parts["MAJOR"], parts["MAJOR"] + "." + parts["MINOR"] + "." + parts["PATCH"], nil
}

var nodeVersionDefine = regexp.MustCompile(`(?m)^#define NODE_(MAJOR|MINOR|PATCH)_VERSION (\d+)`)

// hostNode is the major version of the Node on PATH, which runs npm and
// the install scripts, or "" when it cannot be run.
var hostNode = sync.OnceValue(func() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _, _ := strings.Cut(v, ".")
	return major
})

// hostArch is the host's CPU as Lambda names it, or "" for one Lambda does
// not run.
func hostArch() layers.Arch {
	a, _ := layers.ParseArch(runtime.GOARCH)
	return a
}

// nodeBuild is how an npm install treats compiling from source.
type nodeBuild int

const (
	// buildNative: the target's CPU and Node major are the host's; a
	// compile from source makes what the target runs.
	buildNative nodeBuild = iota
	// buildRefused: the target is foreign and no toolchain was given;
	// node-gyp is stood in for by nodeGypGuard, which compiles nothing.
	buildRefused
	// buildCross: the target is foreign and the toolchain compiles for it.
	buildCross
)

// nodeSetup decides how job j treats compiling from source, and returns
// the environment npm runs with, besides the host's: the target's CPU,
// platform, libc, runtime and Node version for npm, node-gyp and the
// downloaders of prebuilt binaries (prebuild-install, node-pre-gyp,
// node-gyp-build), and the toolchain or the node-gyp stand-in
// (nodeGypGuard). stage is
// the staging folder, where the stand-in and its log are written.
func nodeSetup(j Job, o Options, stage string) (mode nodeBuild, env []string, err error) {
	cpu := j.Target.Arch.NodeCPU()
	r, _ := layers.LookupRuntime(j.Target.Runtime)
	major := r.LanguageVersion()
	version := NodeVersion(j.Target)
	tc := o.Toolchain
	if tc.NodeDir != "" {
		hmajor, hversion, err := nodeHeadersVersion(tc.NodeDir)
		if err != nil {
			return 0, nil, fmt.Errorf("--nodedir %s: %w", tc.NodeDir, err)
		}
		if hmajor != major {
			return 0, nil, fmt.Errorf("--nodedir %s holds the headers of Node %s; %s runs Node %s", tc.NodeDir, hversion, j.Target.Runtime, major)
		}
		version = hversion
	}
	env = []string{
		"npm_config_arch=" + cpu, "npm_config_target_arch=" + cpu,
		"npm_config_platform=linux", "npm_config_target_platform=linux",
		"npm_config_libc=glibc", "npm_config_target_libc=glibc",
		"npm_config_runtime=node", "npm_config_target=" + version,
	}
	if tc.CC != "" {
		env = append(env, "CC="+tc.CC)
	}
	if tc.CXX != "" {
		env = append(env, "CXX="+tc.CXX)
	}
	if tc.NodeDir != "" {
		env = append(env, "npm_config_nodedir="+tc.NodeDir)
	}
	sameCPU := j.Target.Arch == hostArch()
	switch {
	case sameCPU && hostNode() == major:
		return buildNative, env, nil
	case tc.NodeDir != "" && (sameCPU || tc.CC != "" && tc.CXX != ""):
		return buildCross, env, nil
	}
	guard := filepath.Join(stage, "node-gyp-refused.js")
	if err := os.WriteFile(guard, []byte(nodeGypGuard), 0o644); err != nil {
		return 0, nil, fmt.Errorf("writing the node-gyp stand-in: %w", err)
	}
	opts := strings.TrimSpace(os.Getenv("NODE_OPTIONS") + ` --require "` + guard + `"`)
	env = append(env, "NODE_OPTIONS="+opts, guardLogEnv+"="+filepath.Join(stage, "node-gyp-refused.log"))
	return buildRefused, env, nil
}

// guardLogEnv names the file the node-gyp stand-in appends to.
const guardLogEnv = "LAYERKIT_NODE_GYP_LOG"

// nodeGypGuard is loaded into every Node process of the install
// (NODE_OPTIONS=--require) and stands in for node-gyp: a process whose
// script is node-gyp's bin/node-gyp.js (npm's own, which npm runs for
// every `node-gyp` in an install script and for the implicit
// `node-gyp rebuild` of a package with a binding.gyp, or a package's)
// compiles nothing. It notes the package and succeeds, so that scripts
// such as `prebuild-install || node-gyp rebuild` end and the install goes
// on; checkNodeBuilds then decides from what is on disk. npm's
// npm_config_node_gyp cannot serve: npm 11 passes its bundled node-gyp to
// install scripts whatever the setting. Every other process runs as it
// would.
const nodeGypGuard = `'use strict'
// layerkit: the install's target is not the host, so node-gyp compiles nothing here.
const fs = require('fs')
let script = process.argv[1] || ''
try { script = fs.realpathSync(script) } catch (e) {}
if (/[\\/]node-gyp[\\/]bin[\\/]node-gyp\.js$/.test(script)) {
  const entry = {
    name: process.env.npm_package_name || '',
    dir: process.cwd(),
    command: 'node-gyp ' + process.argv.slice(2).join(' ')
  }
  fs.appendFileSync(process.env.` + guardLogEnv + `, JSON.stringify(entry) + '\n')
  console.error('layerkit: not compiling ' + entry.name + ' for another CPU or Node version (' + entry.command + ')')
  process.exit(0)
}
`

type guardEntry struct {
	Name    string `json:"name"`
	Dir     string `json:"dir"`
	Command string `json:"command"`
}

// readGuardLog returns the stand-in's entries by package folder.
func readGuardLog(path string) map[string]guardEntry {
	m := map[string]guardEntry{}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e guardEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			m[realPath(e.Dir)] = e
		}
	}
	return m
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// npmPackage is one installed package folder.
type npmPackage struct {
	dir  string // absolute
	name string
}

// npmPackages lists the package folders under nodejs/node_modules, nested
// ones too. Symbolic links (file: folders npm links) are not followed:
// they are not in the layer.
func npmPackages(root string) ([]npmPackage, error) {
	var pkgs []npmPackage
	nm := filepath.Join(root, "node_modules")
	err := filepath.WalkDir(nm, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == nm {
				return fs.SkipAll
			}
			return err
		}
		if !d.IsDir() || p == nm {
			return nil
		}
		parent := filepath.Base(filepath.Dir(p))
		scoped := strings.HasPrefix(parent, "@") && filepath.Base(filepath.Dir(filepath.Dir(p))) == "node_modules"
		if parent != "node_modules" && !scoped {
			return nil
		}
		if strings.HasPrefix(d.Name(), "@") || d.Name() == ".bin" || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if _, err := os.Stat(filepath.Join(p, "package.json")); err == nil {
			name := d.Name()
			if scoped {
				name = parent + "/" + name
			}
			pkgs = append(pkgs, npmPackage{dir: p, name: name})
		}
		return nil
	})
	return pkgs, err
}

// addon is a .node file of a package and the ELF machine it is for (0
// when it is not an ELF object).
type addon struct {
	rel     string
	machine uint16
}

// addons lists a package's .node files, outside its nested node_modules.
func addons(pkg string) ([]addon, error) {
	var out []addon
	err := filepath.WalkDir(pkg, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" && p != pkg {
			return fs.SkipDir
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".node") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		head := make([]byte, 20)
		n, _ := f.Read(head)
		f.Close()
		rel, _ := filepath.Rel(pkg, p)
		a := addon{rel: filepath.ToSlash(rel)}
		if h, ok := elfcheck.ParseHeader(head[:n]); ok {
			a.machine = uint16(h.Machine)
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// Build intermediates node-gyp leaves in a package's build/ folder: object
// files, dependency files, the generated makefiles, and the test
// extensions some packages build beside their addon (better-sqlite3's
// build/Release/test_extension.node). None is loaded at run time.
var (
	intermediateDirs  = map[string]bool{"obj.target": true, "obj": true, ".deps": true, "node_gyp_bins": true}
	intermediateFiles = regexp.MustCompile(`(\.o|\.a|\.d|\.mk|\.Makefile|^Makefile|^config\.gypi|^gyp-mac-tool|^test_.*\.node)$`)
)

// removeIntermediates removes node-gyp's intermediates from a package's
// build/ folder and the folders that are empty after that, and returns
// what it removed (relative to the package, slash-separated).
func removeIntermediates(pkg string) ([]string, error) {
	build := filepath.Join(pkg, "build")
	if fi, err := os.Lstat(build); err != nil || !fi.IsDir() {
		return nil, nil
	}
	var removed []string
	var dirs []string
	err := filepath.WalkDir(build, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pkg, p)
		switch {
		case d.IsDir() && intermediateDirs[d.Name()]:
			removed = append(removed, filepath.ToSlash(rel)+"/")
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return fs.SkipDir
		case d.IsDir():
			dirs = append(dirs, p)
		case intermediateFiles.MatchString(d.Name()):
			removed = append(removed, filepath.ToSlash(rel))
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("removing build intermediates from %s: %w", pkg, err)
	}
	// Deepest first, so a folder emptied by its emptied children goes too.
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		os.Remove(d) // fails, as it should, when the folder is not empty
	}
	return removed, nil
}

// checkNodeBuilds removes build intermediates from every package with a
// binding.gyp under root (the installed nodejs/) and decides, by mode,
// whether each fits the target: refused, a package that compiled or would
// compile from source (a binding.gyp, or a node-gyp call the stand-in
// logged) and has no addon for the target's CPU; cross-compiled, one with
// no addon for the target's CPU or a compiled addon (under build/) for
// another.
func checkNodeBuilds(root string, t layers.Target, mode nodeBuild, guardLog string) error {
	pkgs, err := npmPackages(root)
	if err != nil {
		return fmt.Errorf("listing installed packages: %w", err)
	}
	called := readGuardLog(guardLog)
	want := t.Arch.ELFMachine()
	platform := "linux-" + t.Arch.NodeCPU()
	r, _ := layers.LookupRuntime(t.Runtime)
	why := "another CPU"
	if t.Arch == hostArch() {
		why = fmt.Sprintf("another Node version (the host runs Node %s, %s Node %s)", hostNode(), t.Runtime, r.LanguageVersion())
	}
	var bad []SourceBuild
	for _, p := range pkgs {
		_, gypErr := os.Stat(filepath.Join(p.dir, "binding.gyp"))
		hasGyp := gypErr == nil
		call, gypCalled := called[realPath(p.dir)]
		if !hasGyp && !gypCalled {
			continue
		}
		if hasGyp {
			if _, err := removeIntermediates(p.dir); err != nil {
				return err
			}
		}
		if mode == buildNative {
			continue
		}
		as, err := addons(p.dir)
		if err != nil {
			return fmt.Errorf("listing the addons of %s: %w", p.name, err)
		}
		fits := false
		var wrong []string
		for _, a := range as {
			switch {
			case a.machine == want:
				fits = true
			case strings.HasPrefix(a.rel, "build/"):
				wrong = append(wrong, fmt.Sprintf("%s is for %s", a.rel, machineName(a.machine)))
			}
		}
		rel, _ := filepath.Rel(root, p.dir)
		sb := SourceBuild{Package: p.name, Dir: filepath.ToSlash(rel)}
		switch {
		case mode == buildCross && len(wrong) > 0:
			sb.Reason = fmt.Sprintf("compiled for the wrong CPU: %s, not %s (do --cc and --cxx compile for %s?)", strings.Join(wrong, ", "), t.Arch, t.Arch)
		case fits:
			continue
		case mode == buildCross:
			sb.Reason = fmt.Sprintf("no addon for %s after compiling", platform)
		case gypCalled:
			sb.Reason = fmt.Sprintf("its install script runs %s and no prebuilt binary for %s was found; it would be compiled from source for %s", call.Command, platform, why)
		default:
			sb.Reason = fmt.Sprintf("it has a binding.gyp and no prebuilt binary for %s after install; it would be compiled from source for %s", platform, why)
		}
		bad = append(bad, sb)
	}
	if len(bad) > 0 {
		return &SourceBuildError{Target: t, Packages: bad, Cross: mode == buildCross}
	}
	return nil
}

func machineName(m uint16) string {
	if m == 0 {
		return "no CPU (not an ELF object)"
	}
	return elfcheck.MachineName(elf.Machine(m))
}
