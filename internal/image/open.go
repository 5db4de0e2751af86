package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/layerkit/layerkit/layers"
)

// Source says where an image was read from.
type Source string

// The sources Open reads.
const (
	SourceLayout   Source = "oci-layout"  // an OCI image layout folder
	SourceOCITar   Source = "oci-archive" // an OCI image layout as one tar file
	SourceDocker   Source = "docker-save" // what `docker save` writes
	SourceRegistry Source = "registry"    // a registry reference
)

// Options says how Open reaches an image.
type Options struct {
	// Arch picks a platform's image from a multi-platform index; empty
	// picks linux/amd64, else linux/arm64, else the first entry.
	Arch layers.Arch
	// Keychain gives registry credentials; nil uses the Docker config's
	// (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Transport is the registry's HTTP transport; nil uses remote's
	// default.
	Transport http.RoundTripper
}

// Platform is one entry of a multi-platform index.
type Platform struct {
	OS, Architecture, Variant string
	Digest                    string
}

// String is "linux/arm64/v8" or "linux/amd64", or for an entry that names
// no platform its digest.
func (p Platform) String() string {
	if p.OS == "" && p.Architecture == "" {
		return "no platform (" + p.Digest + ")"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Image is an image opened for checking: the one platform's image it
// reads, and what the reference pointed at when that was an index.
type Image struct {
	// Name is the reference or path as the user gave it.
	Name   string
	Source Source
	// Index lists the platforms of the multi-platform index the reference
	// names; nil when it names one image. Picked is the entry read then.
	Index  []Platform
	Picked *Platform
	// Image is the image read. Its manifest, config and layers are read
	// lazily (from disk, or the registry).
	Image v1.Image
	// Declared says the manifest's media types are the image's own (a
	// registry's, a layout's); false for a `docker save` tarball, whose
	// layers are stored uncompressed whatever a push would send.
	Declared bool

	closer io.Closer
}

// Close releases the file an archive was read from.
func (im *Image) Close() error {
	if im.closer != nil {
		return im.closer.Close()
	}
	return nil
}

// ErrNotImage reports a path that holds no image layout or image tarball.
var ErrNotImage = errors.New("not an OCI image layout or image tarball")

// ErrNoPlatform reports an index with no entry for the requested
// platform.
var ErrNoPlatform = errors.New("no image for the platform")

// Detect reports whether the path p is a container image Open reads: a
// folder holding an oci-layout file, or an OCI index.json beside a blobs
// folder (a web app's index.json is not one); or a tar file whose entries
// include oci-layout, index.json with blobs/, or a `docker save`
// manifest.json. It reads at most the tar's headers and a folder's
// index.json.
func Detect(p string) (Source, bool) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", false
	}
	if fi.IsDir() {
		if regular(filepath.Join(p, "oci-layout")) || layoutIndex(p) {
			return SourceLayout, true
		}
		return "", false
	}
	if !fi.Mode().IsRegular() {
		return "", false
	}
	f, err := os.Open(p)
	if err != nil {
		return "", false
	}
	defer f.Close()
	src, err := tarKind(f)
	return src, err == nil && src != ""
}

func regular(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode().IsRegular()
}

// layoutIndex reports whether the folder holds an OCI image index as
// index.json (schemaVersion 2, a manifests list) and a blobs folder.
func layoutIndex(dir string) bool {
	if st, err := os.Lstat(filepath.Join(dir, "blobs")); err != nil || !st.IsDir() {
		return false
	}
	ip := filepath.Join(dir, "index.json")
	if !regular(ip) {
		return false
	}
	f, err := os.Open(ip)
	if err != nil {
		return false
	}
	defer f.Close()
	var idx struct {
		SchemaVersion int               `json:"schemaVersion"`
		Manifests     []json.RawMessage `json:"manifests"`
	}
	err = json.NewDecoder(io.LimitReader(f, maxMetadataBytes)).Decode(&idx)
	return err == nil && idx.SchemaVersion == 2 && idx.Manifests != nil
}

// maxTarEntriesProbed bounds how many entries tarKind reads before it
// decides: a layout's and a docker save's metadata come first or among a
// few hundred blobs.
const maxTarEntriesProbed = 100_000

// tarKind reads a tar's headers and says which image archive it is.
func tarKind(r io.Reader) (Source, error) {
	tr := tar.NewReader(r)
	var layout, index, blobs, docker bool
	for range maxTarEntriesProbed {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		switch n := strings.TrimPrefix(h.Name, "./"); {
		case n == "oci-layout":
			layout = true
		case n == "index.json":
			index = true
		case strings.HasPrefix(n, "blobs/"):
			blobs = true
		case n == "manifest.json":
			docker = true
		}
	}
	switch {
	case layout || index && blobs:
		return SourceOCITar, nil
	case docker:
		return SourceDocker, nil
	}
	return "", nil
}

// Open opens the image ref names: a path that Detect recognises, or else a
// registry reference (127.0.0.1:5000/app:tag, ECR's, Docker Hub's). A
// registry on a loopback address is spoken to over plain HTTP. When ref
// names a multi-platform index, the entry for opts.Arch is read and the
// index's platforms are listed; an index without it is ErrNoPlatform. The
// caller closes the Image.
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	if _, err := os.Stat(ref); err == nil {
		return OpenPath(ref, opts)
	}
	return OpenRemote(ctx, ref, opts)
}

// OpenPath opens an image layout folder or an image tarball.
func OpenPath(p string, opts Options) (*Image, error) {
	src, ok := Detect(p)
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, ErrNotImage)
	}
	im := &Image{Name: p, Source: src, Declared: src != SourceDocker}
	switch src {
	case SourceLayout:
		idx, err := layout.ImageIndexFromPath(p)
		if err != nil {
			return nil, fmt.Errorf("reading image layout %s: %w", p, err)
		}
		if err := im.fromRoot(idx, opts); err != nil {
			return nil, fmt.Errorf("reading image layout %s: %w", p, err)
		}
	case SourceOCITar:
		ta, err := openTarArchive(p)
		if err != nil {
			return nil, fmt.Errorf("reading OCI archive %s: %w", p, err)
		}
		im.closer = ta
		idx, err := ta.rootIndex()
		if err == nil {
			err = im.fromRoot(idx, opts)
		}
		if err != nil {
			ta.Close()
			return nil, fmt.Errorf("reading OCI archive %s: %w", p, err)
		}
	case SourceDocker:
		img, err := tarball.ImageFromPath(p, nil)
		if err != nil {
			return nil, fmt.Errorf("reading docker save tarball %s: %w", p, err)
		}
		im.Image = img
	}
	return im, nil
}

// fromRoot reads a layout's root index (index.json): one image, or one
// multi-platform index, or several platforms' images listed at the root.
func (im *Image) fromRoot(root v1.ImageIndex, opts Options) error {
	m, err := root.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) == 1 {
		d := m.Manifests[0]
		switch {
		case d.MediaType.IsIndex():
			child, err := root.ImageIndex(d.Digest)
			if err != nil {
				return err
			}
			return im.fromIndex(child, opts)
		case d.MediaType.IsImage():
			img, err := root.Image(d.Digest)
			if err != nil {
				return err
			}
			im.Image = img
			return nil
		}
		return fmt.Errorf("index.json lists a %q, neither an image nor an index", d.MediaType)
	}
	if len(m.Manifests) == 0 {
		return errors.New("index.json lists no image")
	}
	return im.fromIndex(root, opts)
}

// fromIndex lists an index's platforms and reads the one opts asks for.
func (im *Image) fromIndex(idx v1.ImageIndex, opts Options) error {
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range m.Manifests {
		p := Platform{Digest: d.Digest.String()}
		if d.Platform != nil {
			p.OS, p.Architecture, p.Variant = d.Platform.OS, d.Platform.Architecture, d.Platform.Variant
		}
		im.Index = append(im.Index, p)
	}
	i := pick(m.Manifests, opts.Arch)
	if i < 0 {
		return fmt.Errorf("%w: the index has %s, not linux/%s", ErrNoPlatform, platformList(im.Index), goArch(opts.Arch))
	}
	im.Picked = &im.Index[i]
	d := m.Manifests[i]
	if !d.MediaType.IsImage() {
		return fmt.Errorf("index entry %s is a %q, not an image", d.Digest, d.MediaType)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return err
	}
	im.Image = img
	return nil
}

func platformList(ps []Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// goArch is the OCI architecture name of a Lambda architecture.
func goArch(a layers.Arch) string {
	switch a {
	case layers.X86_64:
		return "amd64"
	case layers.ARM64:
		return "arm64"
	}
	return string(a)
}

// ArchOf is the Lambda architecture of an OCI architecture name, or ""
// for one Lambda does not run.
func ArchOf(ociArch string) layers.Arch {
	switch ociArch {
	case "amd64":
		return layers.X86_64
	case "arm64":
		return layers.ARM64
	}
	return ""
}

// pick returns the index entry for arch on Linux, or without arch the
// first of linux/amd64, linux/arm64, any entry; -1 when arch has none.
func pick(ds []v1.Descriptor, arch layers.Arch) int {
	find := func(a string) int {
		for i, d := range ds {
			if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == a && d.MediaType.IsImage() {
				return i
			}
		}
		return -1
	}
	if arch != "" {
		return find(goArch(arch))
	}
	for _, a := range []string{"amd64", "arm64"} {
		if i := find(a); i >= 0 {
			return i
		}
	}
	for i, d := range ds {
		if d.MediaType.IsImage() {
			return i
		}
	}
	return -1
}

// OpenRemote opens an image in a registry. Credentials come from
// opts.Keychain; a registry on a loopback address may be plain HTTP.
func OpenRemote(ctx context.Context, ref string, opts Options) (*Image, error) {
	var nopts []name.Option
	if loopbackRegistry(ref) {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%s: neither a path nor an image reference: %w", ref, err)
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if opts.Transport != nil {
		ropts = append(ropts, remote.WithTransport(opts.Transport))
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s from its registry: %w", ref, err)
	}
	im := &Image{Name: ref, Source: SourceRegistry, Declared: true}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err == nil {
			err = im.fromIndex(idx, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ref, err)
		}
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ref, err)
		}
		im.Image = img
	default:
		return nil, fmt.Errorf("%s: a %q, neither an image nor an index", ref, desc.MediaType)
	}
	return im, nil
}

// loopbackRegistry reports whether ref's registry is on a loopback address
// (localhost, 127.0.0.0/8, ::1), where plain HTTP stays on the machine.
func loopbackRegistry(ref string) bool {
	host, _, _ := strings.Cut(ref, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
