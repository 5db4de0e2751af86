package split

import (
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/layerkit/layerkit/layers"
)

// defaultExcludedDirs are folders never packaged, wherever they are: version
// control, caches and editor state, which Lambda never reads.
var defaultExcludedDirs = map[string]string{
	".git": "version control", ".hg": "version control", ".svn": "version control", ".bzr": "version control",
	"__pycache__": "Python bytecode cache", ".pytest_cache": "test cache", ".mypy_cache": "type-checker cache",
	".ruff_cache": "linter cache", ".tox": "test environments", ".nox": "test environments",
	".venv": "virtualenv", "venv": "virtualenv", ".idea": "editor files", ".vscode": "editor files",
	".layerkit": "layerkit's own state",
}

// defaultExcludedFiles are file names (globs on the base name) never
// packaged.
var defaultExcludedFiles = []nameRule{
	nameGlob("*.pyc", "Python bytecode"), nameGlob("*.pyo", "Python bytecode"),
	nameGlob(".DS_Store", "editor files"), nameGlob("Thumbs.db", "editor files"),
	nameGlob("*.swp", "editor files"), nameGlob("*.swo", "editor files"), nameGlob("*~", "editor files"), nameGlob(".#*", "editor files"),
	nameGlob(".gitignore", "version control"), nameGlob(".gitattributes", "version control"), nameGlob(".gitmodules", "version control"),
}

// classify returns why a name is left out by default, and whether it is a
// secret; a zero Verdict keeps it. diskPath is the path on disk, to
// recognise virtualenvs by their pyvenv.cfg.
func classify(name, diskPath string, isDir bool) Verdict {
	if isDir {
		if r, ok := layers.SecretName(name + "/"); ok {
			return Verdict{Reason: r, Secret: true}
		}
		if r, ok := defaultExcludedDirs[name]; ok {
			return Verdict{Reason: r}
		}
		if _, err := os.Stat(filepath.Join(diskPath, "pyvenv.cfg")); err == nil {
			return Verdict{Reason: "virtualenv"}
		}
		return Verdict{}
	}
	if r, ok := layers.SecretName(name); ok && !publicPEM(name, diskPath) {
		return Verdict{Reason: r, Secret: true}
	}
	for _, d := range defaultExcludedFiles {
		if d.match(name) {
			return Verdict{Reason: d.reason}
		}
	}
	return Verdict{}
}

// maxPEMBytes bounds how much of a .pem file is read to tell a CA bundle
// from a key: certifi's cacert.pem is under 300 KB.
const maxPEMBytes = 4 << 20

// publicPEM reports whether the .pem file at diskPath holds only
// certificates (layers.PublicCertificates): a CA bundle is packaged like
// any other file. Anything that cannot be read as one stays a secret.
func publicPEM(name, diskPath string) bool {
	if !layers.PEMName(name) {
		return false
	}
	if fi, err := os.Lstat(diskPath); err != nil || !fi.Mode().IsRegular() {
		return false // a link is judged by what it points at, which is walked too
	}
	f, err := os.OpenFile(diskPath, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPEMBytes))
	return err == nil && layers.PublicCertificates(data)
}

// nameRule is a glob on base names and the reason a name it matches is
// left out. The globs above are plain names, "*suffix" or "prefix*", and a
// tree of thousands of files meets each of them once per file: those shapes
// are told apart once, here, and tested with string functions; any other
// goes to path.Match.
type nameRule struct {
	glob, reason string
	shape        byte   // '=' a plain name, '*' "*suffix", '^' "prefix*", 0 other
	lit          string // the name, suffix or prefix
}

func nameGlob(glob, reason string) nameRule {
	const meta = `*?[\`
	r := nameRule{glob: glob, reason: reason}
	switch {
	case glob == "":
	case !strings.ContainsAny(glob, meta):
		r.shape, r.lit = '=', glob
	case glob[0] == '*' && !strings.ContainsAny(glob[1:], meta):
		r.shape, r.lit = '*', glob[1:]
	case glob[len(glob)-1] == '*' && !strings.ContainsAny(glob[:len(glob)-1], meta):
		r.shape, r.lit = '^', glob[:len(glob)-1]
	}
	return r
}

// match reports whether name matches the glob as path.Match says.
func (r *nameRule) match(name string) bool {
	var rest string
	var ok bool
	switch r.shape {
	case '=':
		return name == r.lit
	case '*':
		rest, ok = strings.CutSuffix(name, r.lit)
	case '^':
		rest, ok = strings.CutPrefix(name, r.lit)
	default:
		m, _ := path.Match(r.glob, name)
		return m
	}
	// '*' matches any run of characters but '/'.
	return ok && !strings.Contains(rest, "/")
}

// matchGlob reports whether rel matches a user glob: one with a '/' is
// anchored at the root; one without matches the base name at any depth. A
// glob matching a folder matches everything in it.
func matchGlob(glob, rel string) bool {
	if !strings.Contains(glob, "/") {
		glob = "**/" + glob
	}
	if ok, _ := doublestar.Match(glob, rel); ok {
		return true
	}
	return false
}

func firstMatch(globs []string, rel string) string {
	for _, g := range globs {
		if matchGlob(g, rel) {
			return g
		}
	}
	return ""
}
