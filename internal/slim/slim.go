// Package slim says which files of a Lambda package can go without
// changing what the function imports or loads: test suites, docs and
// examples inside installed packages, and bytecode the runtime never uses.
// `build --slim` removes them and check's fit report counts them. Debug
// sections of ELF objects are stripped, not removed; the .dist-info and
// .egg-info metadata importlib.metadata reads always stay, and so do
// py.typed and .pyi files.
package slim

import (
	"path"
	"strings"
)

// Kinds of removable content, as reports name them.
const (
	Tests    = "test suites"
	Docs     = "docs and examples"
	Bytecode = "stale Python bytecode"
	Debug    = "debug sections"
	// Stubs is type-checker input (py.typed markers and .pyi stubs),
	// removed only when asked (slim_typing): nothing imports it at run
	// time, but tools that check types against the layer read it.
	Stubs = "type stubs"
)

// packageRoots are the folders packages are installed in, relative to an
// artifact's root: a layer's python/ and its site-packages, Node's
// node_modules, and the function code's own root (pip install -t .).
var packageRoots = []string{"python/lib/python3.", "python/", "nodejs/node_modules/", "nodejs/node18/node_modules/",
	"nodejs/node20/node_modules/", "nodejs/node22/node_modules/", "node_modules/", ""}

// Classify reports whether build --slim removes the file at p, a
// '/'-separated path inside a zip or layer folder, and of which kind.
// pyTag is the runtime's bytecode tag ("cpython-312"), empty when the
// runtime is not Python: then no bytecode is removed. A test or docs folder
// counts only inside a package (below a package's own folder), never at a
// package root, where it may be the project's own code.
func Classify(p, pyTag string) (kind string, ok bool) {
	if isMetadata(p) {
		return "", false
	}
	base := path.Base(p)
	if pyTag != "" && strings.HasSuffix(base, ".pyc") && path.Base(path.Dir(p)) == "__pycache__" {
		// Only a cache entry names the interpreter it is for; a .pyc
		// beside its module may be all there is of it (a sourceless
		// import), and stays.
		if !strings.Contains(base, "."+pyTag+".") && !strings.Contains(base, "."+pyTag+"-") {
			return Bytecode, true
		}
		return "", false
	}
	inner := packagePath(p)
	dirs := strings.Split(inner, "/")
	if len(dirs) < 3 { // package/dir/file at the least
		return "", false
	}
	for _, d := range dirs[1 : len(dirs)-1] {
		switch d {
		case "tests", "test":
			return Tests, true
		case "docs", "doc", "examples":
			return Docs, true
		}
	}
	return "", false
}

// Stub reports whether p is type-checker input inside an installed
// package: a py.typed marker or a .pyi stub, outside package metadata.
func Stub(p string) bool {
	for d := range strings.SplitSeq(p, "/") {
		if strings.HasSuffix(d, ".dist-info") || strings.HasSuffix(d, ".egg-info") {
			return false
		}
	}
	base := path.Base(p)
	return base == "py.typed" || strings.HasSuffix(base, ".pyi")
}

// packagePath returns p from the package's own folder on: below
// site-packages or node_modules (and a scope), below python/, or p itself.
func packagePath(p string) string {
	if i := strings.LastIndex(p, "/site-packages/"); i >= 0 {
		return p[i+len("/site-packages/"):]
	}
	if i := strings.LastIndex(p, "node_modules/"); i >= 0 && (i == 0 || p[i-1] == '/') {
		rest := p[i+len("node_modules/"):]
		if strings.HasPrefix(rest, "@") { // a scope is not a package
			if _, after, ok := strings.Cut(rest, "/"); ok {
				return after
			}
		}
		return rest
	}
	if rest, ok := strings.CutPrefix(p, "python/"); ok {
		return rest
	}
	return p
}

// isMetadata reports package metadata that importlib.metadata, pip and
// type checkers read: it always stays.
func isMetadata(p string) bool {
	for d := range strings.SplitSeq(p, "/") {
		if strings.HasSuffix(d, ".dist-info") || strings.HasSuffix(d, ".egg-info") {
			return true
		}
	}
	base := path.Base(p)
	return base == "py.typed" || strings.HasSuffix(base, ".pyi")
}

// PyTag returns the bytecode tag of a Python runtime ("cpython-312" for
// python3.12), or "" for a runtime that is not Python.
func PyTag(runtime string) string {
	v, ok := strings.CutPrefix(runtime, "python")
	if !ok || v == "" {
		return ""
	}
	return "cpython-" + strings.ReplaceAll(v, ".", "")
}
