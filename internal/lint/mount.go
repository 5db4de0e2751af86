package lint

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// inPackage reports whether a mount path is part of the deployment
// package (/var/task, /opt) rather than content reached another way.
func inPackage(mount string) bool { return mount == TaskRoot || mount == LayerRoot }

// pythonRoots returns the folders outside the package that Python imports
// from: the absolute entries of the function's PYTHONPATH, and the roots of
// mounts that put themselves on sys.path (Mount.PythonPath).
func (c *checker) pythonRoots() []string {
	var roots []string
	if v, ok := c.b.Env.Variables["PYTHONPATH"]; ok {
		for d := range strings.SplitSeq(v, ":") {
			if strings.HasPrefix(d, "/") {
				roots = append(roots, path.Clean(d))
			}
		}
	}
	for _, m := range c.b.Mounts {
		if m.PythonPath {
			roots = append(roots, m.Path)
		}
	}
	return roots
}

// importable reports whether Python may import the file as a module: any
// file in the package, and a file on another mount only below a folder on
// Python's path (pythonRoots). The extension checks (LK130, LK131) apply
// to those only: an extension on an EFS mount that no PYTHONPATH reaches
// is never imported.
func (c *checker) importable(a *Artifact, f *File) bool {
	m := c.mount[a]
	if inPackage(m) || m == "" {
		return true
	}
	abs := m + "/" + f.Path
	for _, r := range c.pythonRoots() {
		if strings.HasPrefix(abs, r+"/") {
			return true
		}
	}
	return false
}

var pythonVersionRE = regexp.MustCompile(`/python(3\.\d+)(/|$)`)

// mountPythonDirs reports a PYTHONPATH folder for another Python version
// than the runtime's (LK133): a folder named python3.X (such as
// /mnt/deps/lib/python3.9/site-packages) on python3.Y, or one that is
// missing while the same path for another version holds packages. The
// runtime imports what it finds there, but not extensions built for 3.X,
// and a missing folder serves nothing.
func (c *checker) mountPythonDirs() {
	if c.runtime == nil || c.runtime.Family() != "python" {
		return
	}
	want := c.runtime.LanguageVersion()
	v, ok := c.b.Env.Variables["PYTHONPATH"]
	if !ok {
		return
	}
	for d := range strings.SplitSeq(v, ":") {
		if !strings.HasPrefix(d, "/") {
			continue
		}
		d = path.Clean(d)
		m := pythonVersionRE.FindStringSubmatchIndex(d)
		if m == nil {
			continue
		}
		got := d[m[2]:m[3]]
		_, exists := c.vfs.lookup(d)
		switch {
		case got != want && exists:
			c.add(RulePythonDir, nil, "", 0,
				fmt.Sprintf("PYTHONPATH folder %s holds packages installed for Python %s; %s imports their extensions only if built for %s", d, got, c.runtime.ID, want),
				"PYTHONPATH="+v)
		case got == want && !exists:
			for _, other := range c.otherVersions(d, m[2], m[3]) {
				c.add(RulePythonDir, nil, "", 0,
					fmt.Sprintf("PYTHONPATH folder %s does not exist; %s holds packages installed for another Python", d, other),
					"PYTHONPATH="+v)
				break
			}
		}
	}
}

// otherVersions returns the paths d would have with another python3.X in
// place of d[i:j] that exist.
func (c *checker) otherVersions(d string, i, j int) []string {
	var found []string
	for minor := 6; minor <= 20; minor++ {
		ver := fmt.Sprintf("3.%d", minor)
		if ver == d[i:j] {
			continue
		}
		p := d[:i] + ver + d[j:]
		if _, ok := c.vfs.lookup(p); ok {
			found = append(found, p)
		}
	}
	return found
}

// TmpRoot is where a function may write; content mounted below it is
// unpacked there at start and takes ephemeral storage.
const TmpRoot = "/tmp"

// DefaultEphemeralMB is the /tmp a function has unless its
// EphemeralStorage says more (FACTS: "/tmp: 512 MB default, up to 10,240
// MB").
const DefaultEphemeralMB = 512

// ephemeral reports content unpacked into /tmp (a mount below TmpRoot)
// that is larger than the function's ephemeral storage (LK169).
func (c *checker) ephemeral() {
	var total int64
	var first *Artifact
	for _, m := range c.b.Mounts {
		if m.Path == TmpRoot || strings.HasPrefix(m.Path, TmpRoot+"/") {
			total += m.Artifact.UnzippedBytes
			if first == nil {
				first = m.Artifact
			}
		}
	}
	mb := c.b.Env.EphemeralStorageMB
	if mb <= 0 {
		mb = DefaultEphemeralMB
	}
	if limit := int64(mb) << 20; total > limit {
		c.add(RuleEphemeral, first, "", 0, fmt.Sprintf("unpacks %s (%d bytes) into /tmp, which holds %d MB (%d bytes)", formatBytes(total), total, mb, limit),
			fmt.Sprintf("%d > %d bytes of ephemeral storage", total, limit))
	}
}
