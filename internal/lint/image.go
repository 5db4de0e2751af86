package lint

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// Layer media types Lambda reads (gzip), and those it refuses.
const (
	ociLayerGzip    = "application/vnd.oci.image.layer.v1.tar+gzip"
	dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	ociLayerTar     = "application/vnd.oci.image.layer.v1.tar"
	dockerLayerTar  = "application/vnd.docker.image.rootfs.diff.tar"
	ociLayerZstd    = "application/vnd.oci.image.layer.v1.tar+zstd"
	dockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd"
	ociManifest     = "application/vnd.oci.image.manifest.v1+json"
	dockerManifest  = "application/vnd.docker.distribution.manifest.v2+json"
)

// awsEntrypoint is the entrypoint script of AWS's base images.
const awsEntrypoint = "/lambda-entrypoint.sh"

// ImageArch is the Lambda architecture of an image's OCI architecture
// name, or "" for one Lambda does not run.
func ImageArch(oci string) layers.Arch {
	switch oci {
	case "amd64":
		return layers.X86_64
	case "arm64":
		return layers.ARM64
	}
	return ""
}

// imageRules reports what is wrong with the image as a whole: an index,
// a platform Lambda cannot run or another than the target's, and layer
// media types Lambda refuses. When the image's own CPU differs from the
// target's, the file rules then check the files against the image's own.
func (c *checker) imageRules() {
	im := c.img
	if len(im.Index) > 0 {
		c.add(RuleImageIndex, nil, "", 0,
			fmt.Sprintf("a multi-platform index of %d images (%s): Lambda takes one platform's manifest", len(im.Index), strings.Join(im.Index, ", ")),
			fmt.Sprintf("checked its %s image (--arch picks another)", cmp.Or(im.Picked, "first")))
	}
	if mt := im.ManifestMediaType; im.MediaTypesDeclared && mt != "" && mt != ociManifest && mt != dockerManifest {
		c.add(RuleImageLayerType, nil, "", 0, fmt.Sprintf("manifest of media type %s; Lambda takes an OCI or Docker v2 schema 2 manifest", mt), "manifest mediaType "+mt)
	}
	own := ImageArch(im.Arch)
	switch {
	case im.OS != "" && im.OS != "linux":
		c.add(RuleImageArch, nil, "", 0, fmt.Sprintf("image built for %s/%s; Lambda runs Linux images", im.OS, im.Arch), "config os "+im.OS)
	case own == "" && im.Arch != "":
		c.add(RuleImageArch, nil, "", 0, fmt.Sprintf("image built for %s; Lambda runs amd64 (x86_64) or arm64", im.Arch), "config architecture "+im.Arch)
	case own != "" && c.arch != "" && own != c.arch:
		c.add(RuleImageArch, nil, "", 0,
			fmt.Sprintf("image built for %s (%s); the function runs on %s; its files are checked against %s", own, im.Arch, c.arch, own),
			fmt.Sprintf("config architecture %s, target %s", im.Arch, c.arch))
		c.arch = own
	}
	if !im.MediaTypesDeclared {
		return
	}
	families := map[string]bool{}
	for i, l := range im.Layers {
		where := fmt.Sprintf("layer %d (%s)", i+1, l.Digest)
		switch l.MediaType {
		case ociLayerGzip, dockerLayerGzip:
			if l.Compression != "" && l.Compression != "gzip" {
				c.add(RuleImageLayerType, nil, "", 0, fmt.Sprintf("%s says gzip but its bytes are %s", where, l.Compression), "mediaType "+l.MediaType)
			}
		case ociLayerTar, dockerLayerTar:
			c.add(RuleImageLayerType, nil, "", 0, fmt.Sprintf("%s is uncompressed; Lambda reads gzip layers only", where), "mediaType "+l.MediaType)
		case ociLayerZstd, dockerLayerZstd:
			c.add(RuleImageLayerType, nil, "", 0, fmt.Sprintf("%s is zstd; Lambda reads gzip layers only", where), "mediaType "+l.MediaType)
		default:
			c.add(RuleImageLayerType, nil, "", 0, fmt.Sprintf("%s has media type %q, not a gzip layer", where, l.MediaType), "mediaType "+l.MediaType)
		}
		switch {
		case strings.HasPrefix(l.MediaType, "application/vnd.oci."):
			families["OCI"] = true
		case strings.HasPrefix(l.MediaType, "application/vnd.docker."):
			families["Docker"] = true
		}
	}
	if len(families) > 1 {
		c.add(RuleImageLayerType, nil, "", Warning, "layers of both OCI and Docker media types in one manifest",
			"keep one family, as ko and buildx do: some registries and Lambda's optimiser are strict about it")
	}
}

// imageEntrypoint reports an ENTRYPOINT/CMD that cannot start the
// function.
func (c *checker) imageEntrypoint() {
	im := c.img
	ev := fmt.Sprintf("ENTRYPOINT %q, CMD %q", im.Entrypoint, im.Cmd)
	if len(im.Entrypoint) == 0 && len(im.Cmd) == 0 {
		c.add(RuleImageEntrypoint, nil, "", 0, "the image sets neither ENTRYPOINT nor CMD: Lambda has nothing to run", ev)
		return
	}
	exe := ""
	if len(im.Entrypoint) > 0 {
		exe = im.Entrypoint[0]
	} else {
		exe = im.Cmd[0]
	}
	switch {
	case !strings.HasPrefix(exe, "/"):
		c.add(RuleImageEntrypoint, nil, "", 0, fmt.Sprintf("entrypoint %q is not an absolute path", exe), ev)
	default:
		if e, ok := c.vfs.lookup(path.Clean(exe)); !ok || !e.isFile() {
			c.add(RuleImageEntrypoint, nil, exe, 0, fmt.Sprintf("entrypoint %s is not a file in the image", exe), ev)
		}
	}
	if len(im.Entrypoint) > 0 && path.Clean(im.Entrypoint[0]) == awsEntrypoint && len(im.Entrypoint)+len(im.Cmd) != 2 {
		c.add(RuleImageEntrypoint, nil, "", 0,
			fmt.Sprintf("AWS's %s needs exactly one argument, the handler; the image gives it %d", awsEntrypoint, len(im.Entrypoint)+len(im.Cmd)-1), ev)
	}
}

// imageSize reports an image over Lambda's 10 GiB, or near it, with the
// biggest layers and folders.
func (c *checker) imageSize() {
	var total int64
	for _, l := range c.img.Layers {
		total += l.TarBytes
	}
	limit := int64(layers.MaxImageBytes)
	sev := Severity(0)
	switch {
	case total > limit:
	case total*10 >= limit*9:
		sev = Warning
	default:
		return
	}
	order := make([]int, len(c.img.Layers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(c.img.Layers[b].TarBytes, c.img.Layers[a].TarBytes) })
	var big []string
	for _, i := range order[:min(3, len(order))] {
		big = append(big, fmt.Sprintf("layer %d (%s) %s", i+1, c.img.Layers[i].Digest, gib(c.img.Layers[i].TarBytes)))
	}
	by := map[string]int64{}
	for _, m := range c.b.Mounts {
		for k, n := range c.part(m.Artifact).contrib {
			by["/"+k] += n
		}
	}
	msg := fmt.Sprintf("image unpacks to %s (%d bytes), over the 10 GiB limit by %s", gib(total), total, gib(total-limit))
	if sev == Warning {
		msg = fmt.Sprintf("image unpacks to %s (%d bytes), %d %% of the 10 GiB limit", gib(total), total, total*100/limit)
	}
	c.add(RuleSizeImage, nil, "", sev, msg,
		fmt.Sprintf("limit %d bytes; biggest layers: %s; biggest folders: %s", limit, strings.Join(big, ", "), topContributors(by, 5)))
}

func gib(n int64) string { return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30)) }

// imageLinks reports the symlinks of the function's own code (under the
// task root and /opt) that resolve to nothing in the image. An image's
// other links are its OS's: absolute targets are normal, and ".." stops at
// the root.
func (c *checker) imageLinks(a *Artifact) {
	roots := []string{strings.TrimPrefix(c.taskRoot(), "/") + "/", strings.TrimPrefix(LayerRoot, "/") + "/"}
	for i := range a.Files {
		f := &a.Files[i]
		if f.Type != zipper.TypeSymlink || !slices.ContainsFunc(roots, func(r string) bool { return strings.HasPrefix(f.Path, r) }) {
			continue
		}
		if _, ok := c.vfs.lookup("/" + f.Path); !ok {
			c.add(RuleSymlinkDangling, a, "/"+f.Path, 0, fmt.Sprintf("symlink to %q resolves to nothing", f.Link),
				fmt.Sprintf("/%s -> %s: missing, a loop, or a file used as a folder", f.Path, f.Link))
		}
	}
}

// taskRoot is where the function's code is: the image's task root, or
// /var/task.
func (c *checker) taskRoot() string {
	if c.img != nil && c.img.TaskRoot != "" {
		return c.img.TaskRoot
	}
	return TaskRoot
}

// otherPython reports whether p lies in the library folder of another
// Python than the runtime's (an image's system Python): its extensions are
// that interpreter's, not the function's.
func (c *checker) otherPython(p string) bool {
	if c.img == nil || c.runtime == nil {
		return false
	}
	for part := range strings.SplitSeq(p, "/") {
		if v, ok := strings.CutPrefix(part, "python"); ok && strings.HasPrefix(v, "3.") && v != c.runtime.LanguageVersion() {
			return true
		}
	}
	return false
}

// inferImage fills in the target from what the image says of itself: its
// platform and its Python.
func inferImage(b *Bundle) []string {
	var notes []string
	im := b.Image
	if b.Target.Arch == "" {
		if a := ImageArch(im.Arch); a != "" {
			b.Target.Arch = a
			notes = append(notes, fmt.Sprintf("architecture %s from the image's config (%s/%s); set --arch to check against the function's", a, im.OS, im.Arch))
		}
	}
	if b.Target.Runtime == "" && im.Python != "" {
		if r, ok := layers.LookupRuntime("python" + im.Python); ok {
			b.Target.Runtime = r.ID
			notes = append(notes, fmt.Sprintf("runtime %s from the image's Python %s; set --runtime to check against another", r.ID, im.Python))
		}
	}
	if im.Glibc != "" {
		notes = append(notes, fmt.Sprintf("glibc needs checked against the image's own glibc %s", im.Glibc))
	}
	return notes
}
