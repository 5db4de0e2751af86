package split

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
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
var defaultExcludedFiles = []struct{ glob, reason string }{
	{"*.pyc", "Python bytecode"}, {"*.pyo", "Python bytecode"},
	{".DS_Store", "editor files"}, {"Thumbs.db", "editor files"},
	{"*.swp", "editor files"}, {"*.swo", "editor files"}, {"*~", "editor files"}, {".#*", "editor files"},
	{".gitignore", "version control"}, {".gitattributes", "version control"}, {".gitmodules", "version control"},
}

// secretDirs and secretFiles are kept out of every zip and reported: a
// packaged credential is readable by anyone who can download the function.
var secretDirs = map[string]string{".aws": "AWS credentials", ".ssh": "SSH keys", ".gnupg": "GnuPG keys"}

var secretFiles = []struct{ glob, reason string }{
	{".env", "environment file"}, {".env.*", "environment file"},
	{"*.pem", "private key or certificate"}, {"*.key", "private key"},
	{"*.p12", "key store"}, {"*.pfx", "key store"}, {"*.jks", "key store"},
	{"id_rsa", "SSH private key"}, {"id_dsa", "SSH private key"}, {"id_ecdsa", "SSH private key"}, {"id_ed25519", "SSH private key"},
	{".netrc", "credentials file"}, {".pypirc", "credentials file"}, {".npmrc", "npm config (may hold tokens)"},
	{".git-credentials", "credentials file"},
}

// harmlessEnv are .env.* files meant to be committed: templates with no
// values.
var harmlessEnv = map[string]bool{".env.example": true, ".env.sample": true, ".env.template": true, ".env.dist": true}

// classify returns why a name is left out by default, and whether it is a
// secret; a zero Verdict keeps it. diskPath is the path on disk, to
// recognise virtualenvs by their pyvenv.cfg.
func classify(name, diskPath string, isDir bool) Verdict {
	if isDir {
		if r, ok := secretDirs[name]; ok {
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
	if !harmlessEnv[name] {
		for _, s := range secretFiles {
			if matchName(s.glob, name) {
				return Verdict{Reason: s.reason, Secret: true}
			}
		}
	}
	for _, d := range defaultExcludedFiles {
		if matchName(d.glob, name) {
			return Verdict{Reason: d.reason}
		}
	}
	return Verdict{}
}

// matchName reports whether a base name matches a glob as path.Match does.
// The globs above are plain names, "*suffix" or "prefix*", and a tree of
// thousands of files meets each of them once per file: those shapes are
// tested directly, any other goes to path.Match.
func matchName(glob, name string) bool {
	const meta = `*?[\`
	switch {
	case !strings.ContainsAny(glob, meta):
		return glob == name
	case glob[0] == '*' && !strings.ContainsAny(glob[1:], meta):
		// '*' matches any run of characters but '/'.
		rest, ok := strings.CutSuffix(name, glob[1:])
		return ok && !strings.Contains(rest, "/")
	case glob[len(glob)-1] == '*' && !strings.ContainsAny(glob[:len(glob)-1], meta):
		rest, ok := strings.CutPrefix(name, glob[:len(glob)-1])
		return ok && !strings.Contains(rest, "/")
	}
	ok, _ := path.Match(glob, name)
	return ok
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

// Secret reports whether a '/'-separated path names a secret that a build
// keeps out of every zip (a credentials folder anywhere on the path, or a
// key, environment or credentials file), and what kind of secret it is.
func Secret(rel string) (reason string, ok bool) {
	dirs, base := path.Split(rel)
	for d := range strings.SplitSeq(strings.TrimSuffix(dirs, "/"), "/") {
		if r, found := secretDirs[d]; found {
			return r, true
		}
	}
	if harmlessEnv[base] || !maybeSecretName(base) {
		return "", false
	}
	for _, s := range secretFiles {
		if matchName(s.glob, base) {
			return s.reason, true
		}
	}
	return "", false
}

// maybeSecretName is a quick test that every secretFiles glob implies: a
// dot file, an id_* key, or a key-store extension. It spares the globs for
// the thousands of ordinary names in a layer.
func maybeSecretName(base string) bool {
	switch path.Ext(base) {
	case ".pem", ".key", ".p12", ".pfx", ".jks":
		return true
	}
	return strings.HasPrefix(base, ".") || strings.HasPrefix(base, "id_")
}
