package ociwrite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/layers"
)

// OCIPrefix marks a base that is an OCI image layout folder ("oci:DIR").
const OCIPrefix = "oci:"

// awsBaseRepo is where AWS publishes its Lambda base images.
const awsBaseRepo = "public.ecr.aws/lambda/"

// ErrNoPlatform reports a base image that has no image for the target's
// platform.
var ErrNoPlatform = errors.New("the base image has no image for this platform")

// ErrNoDefaultBase reports a runtime AWS publishes no base image for.
var ErrNoDefaultBase = errors.New("no AWS base image for this runtime")

// ErrPlainHTTP reports a registry reached over plain HTTP that is not on
// the loopback interface: credentials and images would cross the network
// unprotected.
var ErrPlainHTTP = errors.New("plain HTTP is allowed only to a registry on loopback")

// DefaultBase returns AWS's base image for runtime r:
// public.ecr.aws/lambda/<family>:<version> (python:3.12, nodejs:22,
// java:21, ruby:3.3, dotnet:8, provided:al2023), as AWS names them.
func DefaultBase(r layers.Runtime) (string, error) {
	f, v := r.Family(), r.LanguageVersion()
	switch f {
	case "provided":
		v = strings.TrimPrefix(r.ID, "provided.")
		if r.ID == "provided" {
			v = "alami"
		}
	case "go":
		v = "1"
	}
	if f == "" || v == "" {
		return "", fmt.Errorf("%s: %w; give one with --base or image.base", r.ID, ErrNoDefaultBase)
	}
	return awsBaseRepo + f + ":" + v, nil
}

// Platform returns the OCI platform of a Lambda architecture.
func Platform(a layers.Arch) v1.Platform {
	switch a {
	case layers.ARM64:
		return v1.Platform{OS: "linux", Architecture: "arm64"}
	default:
		return v1.Platform{OS: "linux", Architecture: "amd64"}
	}
}

// Registry says how to reach registries: whose credentials to use and
// through which transport.
type Registry struct {
	// Keychain finds credentials for a registry; nil means
	// authn.DefaultKeychain (the Docker config and its helpers).
	Keychain authn.Keychain
	// Transport carries the requests; nil means remote.DefaultTransport.
	// Whatever it is, a plain HTTP request to a host that is not loopback
	// is refused with ErrPlainHTTP.
	Transport http.RoundTripper
}

func (r Registry) options(ctx context.Context) []remote.Option {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	t := r.Transport
	if t == nil {
		t = remote.DefaultTransport
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(loopbackHTTPOnly{t})}
}

// loopbackHTTPOnly refuses plain HTTP requests except to loopback hosts.
// go-containerregistry falls back to HTTP for loopback, private (RFC 1918)
// and .local registries; layerkit allows it for loopback only.
type loopbackHTTPOnly struct{ next http.RoundTripper }

func (t loopbackHTTPOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && !isLoopback(r.URL.Hostname()) {
		return nil, fmt.Errorf("%s: %w", r.URL.Host, ErrPlainHTTP)
	}
	return t.next.RoundTrip(r)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadBase returns the image base names for platform p: from an OCI image
// layout folder when base is "oci:DIR" (DIR relative to dir), otherwise
// from a registry. A multi-platform base gives the image for p
// (ErrNoPlatform when it has none); a single image must be for p too. The
// image's layers are read lazily.
func LoadBase(ctx context.Context, base, dir string, p v1.Platform, reg Registry) (v1.Image, error) {
	var img v1.Image
	var err error
	if d, ok := strings.CutPrefix(base, OCIPrefix); ok {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, filepath.FromSlash(d))
		}
		img, err = fromLayout(d, p)
	} else {
		img, err = fromRegistry(ctx, base, p, reg)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the base image %s: %w", base, err)
	}
	if err := checkPlatform(img, p); err != nil {
		return nil, fmt.Errorf("reading the base image %s: %w", base, err)
	}
	return img, nil
}

func fromLayout(dir string, p v1.Platform) (v1.Image, error) {
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("not an OCI image layout folder: %w", err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, err
	}
	return pick(idx, p, 0)
}

func fromRegistry(ctx context.Context, ref string, p v1.Platform, reg Registry) (v1.Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, reg.options(ctx)...)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		return pick(idx, p, 0)
	}
	return desc.Image()
}

// maxNesting bounds how deep indexes nest inside an index: a real base is
// an index of images (one level); a hostile one could nest without end.
const maxNesting = 4

// pick returns the image for p in idx, looking into nested indexes. An
// index that holds exactly one image with no platform gives that image
// (an OCI layout of one image); its platform is then checked from its
// config.
func pick(idx v1.ImageIndex, p v1.Platform, depth int) (v1.Image, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("indexes nested more than %d deep", maxNesting)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var seen []string
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsImage() && d.Platform == nil && len(im.Manifests) == 1:
			return idx.Image(d.Digest)
		case d.MediaType.IsImage() && d.Platform != nil:
			if d.Platform.OS == p.OS && d.Platform.Architecture == p.Architecture {
				return idx.Image(d.Digest)
			}
			seen = append(seen, d.Platform.OS+"/"+d.Platform.Architecture)
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			img, err := pick(child, p, depth+1)
			if err == nil || !errors.Is(err, ErrNoPlatform) {
				return img, err
			}
		}
	}
	slices.Sort(seen)
	return nil, fmt.Errorf("%w: no %s/%s (it has %s)", ErrNoPlatform, p.OS, p.Architecture, orNone(seen))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(slices.Compact(s), ", ")
}

// checkPlatform checks that img's config is for p, and that its manifest is
// one Lambda takes (Docker schema 2 or OCI).
func checkPlatform(img v1.Image, p v1.Platform) error {
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	if mt != types.DockerManifestSchema2 && mt != types.OCIManifestSchema1 {
		return fmt.Errorf("manifest media type %s: want a Docker schema 2 or OCI image manifest", mt)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading its config: %w", err)
	}
	if cf.OS != p.OS || cf.Architecture != p.Architecture {
		return fmt.Errorf("%w: its config says %s/%s, the target needs %s/%s", ErrNoPlatform, cf.OS, cf.Architecture, p.OS, p.Architecture)
	}
	return nil
}
