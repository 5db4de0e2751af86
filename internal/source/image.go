package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/elfcheck"
	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/image"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// imageFile is what the image's inspection keeps of one file: what the
// rules read, and the version a libc or libstdc++ carries, or an
// ld.so.conf's text.
type imageFile struct {
	lint.File
	Version string
	Conf    []byte
}

var (
	libcName      = regexp.MustCompile(`^libc(\.so\.6|-2\.\d+\.so)$`)
	libstdcxxName = regexp.MustCompile(`^libstdc\+\+\.so\.6(\.0\.\d+)?$`)
	glibcVersion  = regexp.MustCompile(`GLIBC_(2\.\d+(?:\.\d+)?)\x00`)
	glibcxxVer    = regexp.MustCompile(`GLIBCXX_(3\.4(?:\.\d+)?)\x00`)
)

// maxVersionedBytes bounds a libc or libstdc++ read whole to find the
// versions it defines: glibc's libc.so.6 is about 2 MiB, libstdc++ 2.5.
const maxVersionedBytes = 16 << 20

// maxConfBytes bounds an ld.so.conf file read whole.
const maxConfBytes = 64 << 10

// ldConf reports whether p is ld.so.conf or one of the files it includes
// by convention (etc/ld.so.conf.d/*.conf).
func ldConf(p string) bool {
	return p == "etc/ld.so.conf" || path.Dir(p) == "etc/ld.so.conf.d" && strings.HasSuffix(p, ".conf")
}

// inspectImageFile reads what the rules need of one of the image's files
// as its layer streams by. A libc or libstdc++ is read whole (it is a
// few MiB) to find the newest symbol version it defines.
func inspectImageFile(ctx context.Context, c image.Content) (imageFile, error) {
	f := imageFile{File: lint.File{Path: c.Entry.Path, Type: c.Entry.Type, Exec: c.Entry.Exec, Size: c.Entry.Size}}
	base := path.Base(c.Entry.Path)
	var re *regexp.Regexp
	switch {
	case libcName.MatchString(base):
		re = glibcVersion
	case libstdcxxName.MatchString(base):
		re = glibcxxVer
	case ldConf(c.Entry.Path) && c.Entry.Size <= maxConfBytes:
		b, err := io.ReadAll(io.LimitReader(c.File, maxConfBytes))
		if err != nil {
			return f, nil // the layer's own read fails next, with its error
		}
		f.Conf = b
		return f, lint.LoadContent(ctx, &f.File, &memFile{Reader: bytes.NewReader(b), size: int64(len(b))}, c.Reopen)
	}
	if re == nil || c.Entry.Size > maxVersionedBytes {
		return f, lint.LoadContent(ctx, &f.File, c.File, c.Reopen)
	}
	b, err := io.ReadAll(io.LimitReader(c.File, maxVersionedBytes))
	if err != nil {
		return f, nil
	}
	for _, m := range re.FindAllSubmatch(b, -1) {
		if v := string(m[1]); f.Version == "" || elfcheck.CompareVersions(v, f.Version) > 0 {
			f.Version = v
		}
	}
	return f, lint.LoadContent(ctx, &f.File, &memFile{Reader: bytes.NewReader(b), size: int64(len(b)), exec: c.Entry.Exec}, c.Reopen)
}

// memFile is content already read, as an fstree.File.
type memFile struct {
	*bytes.Reader
	size int64
	exec bool
}

func (m *memFile) Close() error               { return nil }
func (m *memFile) Stat() (int64, bool, error) { return m.size, m.exec, nil }

// LoadImage opens the image ref names (a path Open recognises, or a
// registry reference), reads its flattened file tree and returns it as one
// bundle: the tree mounted at "/", the image's facts (platform, ENTRYPOINT
// and CMD, its glibc, libstdc++ and Python, its loader's folders) for the
// rules, and its environment. With AWS's entrypoint and one CMD element,
// that element is the handler.
func LoadImage(ctx context.Context, ref string, req Request) (*lint.Bundle, error) {
	im, err := image.Open(ctx, ref, image.Options{Arch: req.Arch, Keychain: req.Keychain})
	if err != nil {
		return nil, err
	}
	defer im.Close()
	cfg, err := im.Image.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading %s's config: %w", ref, err)
	}
	mt, err := im.Image.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading %s's manifest: %w", ref, err)
	}
	tree, err := image.Flatten(ctx, im, inspectImageFile)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	a := &lint.Artifact{Name: ref, Kind: layers.KindFunction, Problems: tree.Problems, Files: make([]lint.File, len(tree.Nodes))}
	byPath := make(map[string]*image.Node[imageFile], len(tree.Nodes))
	for i := range tree.Nodes {
		n := &tree.Nodes[i]
		byPath[n.Entry.Path] = n
		f := n.Value.File
		f.Path, f.Type, f.Exec, f.Size, f.Link = n.Entry.Path, n.Entry.Type, n.Entry.Exec, n.Entry.Size, n.Entry.Link
		a.Files[i] = f
		a.UnzippedBytes += f.Size
	}
	facts := &lint.ImageFacts{
		ManifestMediaType: string(mt), OS: cfg.OS, Arch: cfg.Architecture,
		Entrypoint: cfg.Config.Entrypoint, Cmd: cfg.Config.Cmd, WorkingDir: cfg.Config.WorkingDir,
		MediaTypesDeclared: im.Declared,
	}
	if len(im.Index) > 0 {
		for _, p := range im.Index {
			facts.Index = append(facts.Index, p.String())
		}
		facts.Picked = im.Picked.String()
	}
	for _, l := range tree.Layers {
		facts.Layers = append(facts.Layers, lint.ImageLayer{Digest: l.Digest, MediaType: string(l.MediaType),
			Compression: l.Compression, TarBytes: l.TarBytes, FileBytes: l.FileBytes})
	}
	env := map[string]string{}
	for _, kv := range cfg.Config.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	facts.TaskRoot = path.Clean("/" + env["LAMBDA_TASK_ROOT"])
	if facts.TaskRoot == "/" {
		facts.TaskRoot = path.Clean("/" + cfg.Config.WorkingDir)
	}
	if facts.TaskRoot == "/" {
		facts.TaskRoot = lint.TaskRoot
	}
	facts.LibraryPath = libraryPath(byPath, cfg.Architecture)
	facts.Glibc = versionOf(byPath, facts.LibraryPath, "libc.so.6", libcFileVersion)
	facts.GLIBCXX = versionOf(byPath, facts.LibraryPath, "libstdc++.so.6", libstdcxxFileVersion)
	facts.Python = pythonOf(byPath)
	b := &lint.Bundle{Name: ref, Target: layers.Target{Runtime: req.Runtime, Arch: req.Arch}, Image: facts,
		Env: lint.Environment{Variables: env, PackageType: "Image"}}
	if len(cfg.Config.Entrypoint) == 1 && path.Clean(cfg.Config.Entrypoint[0]) == "/lambda-entrypoint.sh" && len(cfg.Config.Cmd) == 1 {
		b.Env.Handler = cfg.Config.Cmd[0]
	}
	b.Mounts = []lint.Mount{{Path: lint.ImageRoot, Artifact: a}}
	return b, nil
}

// multiarch is the Debian-style library folder of an OCI architecture.
func multiarch(arch string) string {
	switch arch {
	case "arm64":
		return "aarch64-linux-gnu"
	}
	return "x86_64-linux-gnu"
}

// libraryPath is the folders the image's loader searches after
// LD_LIBRARY_PATH: those its ld.so.conf lists (through ld.so.cache), then
// the default ones.
func libraryPath(byPath map[string]*image.Node[imageFile], arch string) []string {
	var confs []string
	for p := range byPath {
		if ldConf(p) {
			confs = append(confs, p)
		}
	}
	slices.Sort(confs)
	var dirs []string
	for _, p := range confs {
		for line := range strings.SplitSeq(string(byPath[p].Value.Conf), "\n") {
			line, _, _ = strings.Cut(line, "#")
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "/") && !slices.Contains(dirs, path.Clean(line)) {
				dirs = append(dirs, path.Clean(line))
			}
		}
	}
	ma := multiarch(arch)
	for _, d := range []string{"/lib64", "/usr/lib64", "/lib/" + ma, "/usr/lib/" + ma, "/lib", "/usr/lib", "/usr/local/lib"} {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// follow resolves a symlink chain in the flattened tree, from p, at most
// 40 links; nil when it leads nowhere.
func follow(byPath map[string]*image.Node[imageFile], p string) *image.Node[imageFile] {
	for range 40 {
		n := byPath[p]
		if n == nil || n.Entry.Type != zipper.TypeSymlink {
			return n
		}
		if strings.HasPrefix(n.Entry.Link, "/") {
			p = strings.TrimPrefix(path.Clean(n.Entry.Link), "/")
		} else {
			p = path.Join(path.Dir(p), n.Entry.Link)
		}
	}
	return nil
}

var (
	libcFile      = regexp.MustCompile(`^libc-(2\.\d+)\.so$`)
	libstdcxxFile = regexp.MustCompile(`^libstdc\+\+\.so\.6\.0\.(\d+)$`)
)

func libcFileVersion(name string) string {
	if m := libcFile.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}

// libstdcxxFileVersion maps libstdc++.so.6.0.N to GLIBCXX_3.4.N, as GCC
// has numbered them together since GCC 4.8 (6.0.19).
func libstdcxxFileVersion(name string) string {
	if m := libstdcxxFile.FindStringSubmatch(name); m != nil {
		return "3.4." + m[1]
	}
	return ""
}

// versionOf finds lib in the first folder of dirs that has it and returns
// the version its content defines, else the one its file name tells.
func versionOf(byPath map[string]*image.Node[imageFile], dirs []string, lib string, fromName func(string) string) string {
	for _, d := range dirs {
		p := strings.TrimPrefix(d, "/") + "/" + lib
		n := follow(byPath, p)
		if n == nil || n.Entry.Type != zipper.TypeFile {
			continue
		}
		if n.Value.Version != "" {
			return n.Value.Version
		}
		return fromName(path.Base(n.Entry.Path))
	}
	return ""
}

var pythonBin = regexp.MustCompile(`^python(3\.\d+)$`)

// pythonOf returns the X.Y of the image's Python: the newest python3.X in
// the first of /var/lang/bin, /usr/local/bin, /usr/bin that has one.
func pythonOf(byPath map[string]*image.Node[imageFile]) string {
	for _, d := range []string{"var/lang/bin", "usr/local/bin", "usr/bin"} {
		best := ""
		for p, n := range byPath {
			if path.Dir(p) != d || n.Entry.Type == zipper.TypeDir {
				continue
			}
			if m := pythonBin.FindStringSubmatch(path.Base(p)); m != nil && (best == "" || elfcheck.CompareVersions(m[1], best) > 0) {
				best = m[1]
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}

var _ fstree.File = (*memFile)(nil)
