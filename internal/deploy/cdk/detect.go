package cdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/layerkit/layerkit/internal/deploy"
)

// manifestFile is the name of a cloud assembly's manifest.
const manifestFile = "manifest.json"

// Detect reports whether p, a folder or file the user named, holds a CDK
// cloud assembly, recognised by its manifest's content: a manifest.json
// whose "version" is a string and whose "artifacts" is an object (layerkit's
// own build manifest has a number and a list; a web app's has no
// artifacts). p may be the assembly folder, its manifest.json, a project
// folder holding cdk.out/ (or the folder its cdk.json's "output" names,
// inside the project), or a Stage's nested assembly. root is the top
// assembly folder: a Stage's assets live there, so a nested assembly's root
// is the folder whose manifest names it. err is only for unreadable input;
// "not mine" is ok == false, err == nil.
func Detect(p string) (root string, ok bool, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", false, err
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return "", false, nil
		}
		data, err := deploy.ReadFile(p)
		if err != nil {
			return "", false, err
		}
		if !isManifest(data) {
			return "", false, nil
		}
		return top(filepath.Dir(p)), true, nil
	}
	for _, dir := range candidates(p) {
		ok, err := hasManifest(dir)
		if err != nil {
			return "", false, err
		}
		if ok {
			return top(dir), true, nil
		}
	}
	return "", false, nil
}

// candidates lists the folders of p that may be an assembly: p itself,
// p/cdk.out, and the output folder p/cdk.json names when it stays inside p.
func candidates(p string) []string {
	out := []string{p, filepath.Join(p, "cdk.out")}
	data, err := deploy.ReadFile(filepath.Join(p, "cdk.json"))
	if err != nil {
		return out
	}
	var cfg struct {
		Output string `json:"output"`
	}
	if json.Unmarshal(data, &cfg) != nil || cfg.Output == "" || filepath.IsAbs(cfg.Output) {
		return out
	}
	o := filepath.Join(p, filepath.FromSlash(cfg.Output))
	if deploy.Within(filepath.Clean(p), o) && o != filepath.Clean(p) {
		out = append(out, o)
	}
	return out
}

// hasManifest reports whether dir holds a cloud assembly manifest. A
// missing manifest or one that is not a regular file is "no"; one that
// cannot be read is an error.
func hasManifest(dir string) (bool, error) {
	p := filepath.Join(dir, manifestFile)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, nil
	}
	data, err := deploy.ReadFile(p)
	if err != nil {
		return false, err
	}
	return isManifest(data), nil
}

// isManifest reports whether data is a cloud assembly manifest: a JSON
// object whose "version" is a string and whose "artifacts" is an object.
func isManifest(data []byte) bool {
	var m struct {
		Version   json.RawMessage `json:"version"`
		Artifacts json.RawMessage `json:"artifacts"`
	}
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	var v string
	if json.Unmarshal(m.Version, &v) != nil {
		return false
	}
	a := bytes.TrimSpace(m.Artifacts)
	return len(a) > 0 && a[0] == '{'
}

// top climbs from dir, an assembly folder, to the outermost assembly whose
// manifest names it as a nested assembly (a Stage's), at most maxNesting
// levels.
func top(dir string) string {
	dir = filepath.Clean(dir)
	for range maxNesting {
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		m, err := readManifest(filepath.Join(parent, manifestFile))
		if err != nil || !names(m, parent, dir) {
			return dir
		}
		dir = parent
	}
	return dir
}

// names reports whether m, the manifest in dir, lists child as a nested
// assembly.
func names(m *manifest, dir, child string) bool {
	for _, a := range m.Artifacts {
		if a.Type != typeAssembly {
			continue
		}
		var p assemblyProps
		if json.Unmarshal(a.Properties, &p) != nil || p.DirectoryName == "" {
			continue
		}
		if filepath.Join(dir, filepath.FromSlash(p.DirectoryName)) == child {
			return true
		}
	}
	return false
}
