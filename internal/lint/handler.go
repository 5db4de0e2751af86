package lint

import (
	"fmt"
	"path"
	"strings"
)

// handler reports a handler whose file is nowhere the runtime looks, as
// each runtime's bootstrap resolves it (LK155). It needs the runtime and
// the handler; an image function's handler is its CMD with AWS's
// entrypoint, and is looked for only when the image itself was read.
func (c *checker) handler() {
	h := c.b.Env.Handler
	if c.runtime == nil || c.b.Env.PackageType == "Image" && c.img == nil || !c.hasCode() || h == "" && c.b.Function == "" && c.img == nil {
		return // a bare folder or zip says nothing of its handler
	}
	if c.img != nil && c.runtime.Family() == "provided" {
		return // the image's bootstrap is its entrypoint (LK167)
	}
	taskRoot := c.taskRoot()
	var looked []string
	switch c.runtime.Family() {
	case "python":
		if h == "" {
			return
		}
		mod, _, ok := cutLast(h, ".")
		if !ok || mod == "" {
			c.add(RuleHandlerMissing, nil, "", 0, fmt.Sprintf("handler %q names no module: Python handlers are module.function", h),
				"Runtime.MalformedHandlerName: Bad handler '"+h+"': not enough values to unpack")
			return
		}
		mod = strings.ReplaceAll(mod, "/", ".")
		for _, root := range c.pythonPath() {
			if c.pythonModule(root, strings.Split(mod, ".")) {
				return
			}
			looked = append(looked, root)
		}
		first := strings.Split(mod, ".")[0]
		c.add(RuleHandlerMissing, nil, "", 0, fmt.Sprintf("handler %s: module %s is not in the code or on Python's path", h, mod),
			fmt.Sprintf("no %s.py, %s/ or %s extension in %s; on Lambda: Runtime.ImportModuleError: Unable to import module '%s': No module named '%s'",
				strings.ReplaceAll(mod, ".", "/"), first, first, strings.Join(looked, ", "), mod, first))
	case "nodejs":
		if h == "" {
			return
		}
		mod, _, ok := cutLast(h, ".")
		if !ok || mod == "" {
			c.add(RuleHandlerMissing, nil, "", 0, fmt.Sprintf("handler %q names no module: Node.js handlers are file.function", h), "Runtime.MalformedHandlerName")
			return
		}
		base := path.Join(taskRoot, mod)
		for _, ext := range []string{"", ".js", ".mjs", ".cjs"} {
			if _, ok := c.vfs.lookup(base + ext); ok {
				return
			}
		}
		for _, nm := range []string{taskRoot + "/node_modules", LayerRoot + "/nodejs/node_modules"} {
			if _, ok := c.vfs.lookup(path.Join(nm, mod)); ok {
				return
			}
		}
		c.add(RuleHandlerMissing, nil, "", 0, fmt.Sprintf("handler %s: %s.js, .mjs or .cjs is not in the code", h, strings.TrimPrefix(base, taskRoot+"/")),
			fmt.Sprintf("no %s(.js|.mjs|.cjs) and no package %s in node_modules; on Lambda: Runtime.ImportModuleError: Error: Cannot find module '%s'", base, mod, path.Base(mod)))
	case "ruby":
		if h == "" {
			return
		}
		file, _, ok := strings.Cut(h, ".")
		if !ok || file == "" {
			return
		}
		if _, ok := c.vfs.lookup(path.Join(taskRoot, file+".rb")); ok {
			return
		}
		c.add(RuleHandlerMissing, nil, "", 0, fmt.Sprintf("handler %s: %s.rb is not in the code", h, file),
			fmt.Sprintf("no %s; on Lambda: Init error when loading handler %s", path.Join(taskRoot, file+".rb"), h))
	case "provided":
		for _, p := range []string{TaskRoot + "/bootstrap", LayerRoot + "/bootstrap"} {
			if e, ok := c.vfs.lookup(p); ok && e.isFile() {
				return
			}
		}
		c.add(RuleHandlerMissing, nil, "", 0, "custom runtime without a bootstrap in /var/task or /opt",
			"on Lambda: Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
	}
}

// hasCode reports whether the bundle mounts the function's code: a bundle
// of layers alone has no handler to look for.
func (c *checker) hasCode() bool {
	if c.img != nil {
		return true
	}
	for _, m := range c.b.Mounts {
		if m.Path == TaskRoot {
			return true
		}
	}
	return false
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// pythonPath is sys.path's folders that a bundle can fill, in order: the
// task root, PYTHONPATH when the function sets it, then the runtime's
// layer folders.
func (c *checker) pythonPath() []string {
	dirs := []string{c.taskRoot()}
	if v, ok := c.b.Env.Variables["PYTHONPATH"]; ok {
		for d := range strings.SplitSeq(v, ":") {
			if strings.HasPrefix(d, "/") {
				dirs = append(dirs, path.Clean(d))
			}
		}
	}
	if v := c.runtime.LanguageVersion(); v != "" {
		dirs = append(dirs, LayerRoot+"/python/lib/python"+v+"/site-packages")
	}
	dirs = append(dirs, LayerRoot+"/python")
	if v := c.runtime.LanguageVersion(); c.img != nil && v != "" {
		// AWS's Python images: the runtime's folder and the interpreter's own
		dirs = append(dirs, "/var/runtime", "/var/lang/lib/python"+v+"/site-packages")
	}
	return dirs
}

// pythonModule reports whether the dotted module parts import from root:
// each part but the last a package folder, the last a source file, a
// bytecode file, an extension, or a folder (a package, or a namespace
// package without __init__.py).
func (c *checker) pythonModule(root string, parts []string) bool {
	dir := root
	for i, p := range parts {
		if p == "" {
			return false
		}
		d := dir + "/" + p
		if e, ok := c.vfs.lookup(d); ok && e.isDir() {
			if i == len(parts)-1 {
				return true
			}
			dir = d
			continue
		}
		if i < len(parts)-1 {
			return false
		}
		for _, suffix := range c.pythonSuffixes() {
			if e, ok := c.vfs.lookup(d + suffix); ok && !e.isDir() {
				return true
			}
		}
	}
	return false
}

// pythonSuffixes are the file names an importable module may have, as
// importlib's finders look for them on Linux.
func (c *checker) pythonSuffixes() []string {
	s := []string{".py", ".pyc", ".so", ".abi3.so"}
	if v := c.runtime.LanguageVersion(); v != "" && c.arch != "" {
		cp := strings.ReplaceAll(v, ".", "")
		s = append(s, ".cpython-"+cp+"-"+c.arch.GNUTriplet()+".so")
	}
	return s
}

// layerBuildArch reports a layer a framework built for another
// architecture than the function's (LK108).
func (c *checker) layerBuildArch() {
	if c.arch == "" {
		return
	}
	for _, m := range c.b.Mounts {
		if m.BuildArch != "" && m.BuildArch != c.arch {
			c.add(RuleLayerBuildArch, m.Artifact, "", 0, fmt.Sprintf("layer built for %s, attached to a function on %s", m.BuildArch, c.arch),
				fmt.Sprintf("the framework built it for %s (SAM: Metadata.BuildArchitecture, x86_64 when absent)", m.BuildArch))
		}
	}
}
