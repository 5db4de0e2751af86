package ociwrite_test

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/internal/ociwrite"
	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
	"github.com/layerkit/layerkit/layers"
)

func TestDefaultBase(t *testing.T) {
	for id, want := range map[string]string{
		"python3.12":      "public.ecr.aws/lambda/python:3.12",
		"nodejs22.x":      "public.ecr.aws/lambda/nodejs:22",
		"provided.al2023": "public.ecr.aws/lambda/provided:al2023",
		"provided.al2":    "public.ecr.aws/lambda/provided:al2",
		"java21":          "public.ecr.aws/lambda/java:21",
		"ruby3.3":         "public.ecr.aws/lambda/ruby:3.3",
		"dotnet8":         "public.ecr.aws/lambda/dotnet:8",
		"dotnet9":         "public.ecr.aws/lambda/dotnet:9", // offered only as an image
	} {
		r, ok := layers.LookupRuntime(id)
		if !ok {
			t.Fatalf("%s: not in the catalog", id)
		}
		got, err := ociwrite.DefaultBase(r)
		if err != nil || got != want {
			t.Errorf("DefaultBase(%s) = %q, %v; want %q", id, got, err, want)
		}
	}
}

func arm(t *testing.T) v1.Platform { return ociwrite.Platform(layers.ARM64) }

// TestLoadBaseLayout: from a two-platform OCI layout the target's image is
// picked; a platform the base lacks is ErrNoPlatform, naming what it has;
// a single-image layout must be for the platform too.
func TestLoadBaseLayout(t *testing.T) {
	dir := t.TempDir()
	ocitest.WriteLayout(t, filepath.Join(dir, "two"), ocitest.Index(false, "amd64", "arm64"))
	img, err := ociwrite.LoadBase(t.Context(), "oci:two", dir, arm(t), ociwrite.Registry{})
	if err != nil {
		t.Fatal(err)
	}
	if cf, _ := img.ConfigFile(); cf.Architecture != "arm64" {
		t.Fatalf("picked %s", cf.Architecture)
	}
	ocitest.WriteLayout(t, filepath.Join(dir, "amd"), ocitest.Index(false, "amd64"))
	_, err = ociwrite.LoadBase(t.Context(), "oci:amd", dir, arm(t), ociwrite.Registry{})
	if !errors.Is(err, ociwrite.ErrNoPlatform) || !strings.Contains(err.Error(), "it has linux/amd64") {
		t.Fatalf("err = %v, want ErrNoPlatform naming linux/amd64", err)
	}
	single := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: ocitest.Image("amd64", false)})
	ocitest.WriteLayout(t, filepath.Join(dir, "single"), single)
	if _, err = ociwrite.LoadBase(t.Context(), "oci:single", dir, arm(t), ociwrite.Registry{}); !errors.Is(err, ociwrite.ErrNoPlatform) {
		t.Fatalf("single amd64 image for arm64: err = %v, want ErrNoPlatform", err)
	}
	if _, err = ociwrite.LoadBase(t.Context(), "oci:nowhere", dir, arm(t), ociwrite.Registry{}); err == nil {
		t.Fatal("a missing layout folder was accepted")
	}
}

// TestLoadBaseRegistry: the same from a registry on loopback (plain HTTP);
// an unreachable registry is an error naming the base.
func TestLoadBaseRegistry(t *testing.T) {
	reg := ocitest.NewRegistry(t)
	ref, _ := name.ParseReference(reg.Host + "/lambda/python:3.12")
	if err := remote.WriteIndex(ref, ocitest.Index(true, "amd64", "arm64")); err != nil {
		t.Fatal(err)
	}
	img, err := ociwrite.LoadBase(t.Context(), ref.String(), "", arm(t), ociwrite.Registry{})
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
		t.Errorf("media type %s", mt)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	_, err = ociwrite.LoadBase(t.Context(), closed+"/lambda/python:3.12", "", arm(t), ociwrite.Registry{})
	if err == nil || !strings.Contains(err.Error(), "reading the base image "+closed) {
		t.Fatalf("unreachable: err = %v", err)
	}
}

// TestPlainHTTPOnlyToLoopback: a registry that go-containerregistry would
// reach over plain HTTP (a private address) is refused before any request
// leaves; loopback is allowed.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	var schemes []string
	fake := roundTripper(func(r *http.Request) (*http.Response, error) {
		schemes = append(schemes, r.URL.Scheme)
		return nil, errors.New("no network in tests")
	})
	_, err := ociwrite.LoadBase(t.Context(), "10.11.12.13:5000/app:1", "", arm(t), ociwrite.Registry{Transport: fake})
	if !errors.Is(err, ociwrite.ErrPlainHTTP) {
		t.Fatalf("err = %v, want ErrPlainHTTP", err)
	}
	for _, s := range schemes {
		if s != "https" {
			t.Errorf("a %s request reached the transport", s)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestInspectHostileBase: a base layer with a name leaving the root, a
// whiteout of "..", a hard link through "..", or bytes that do not match
// its digest is a clear error; a sound base gives its sizes.
func TestInspectHostileBase(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []ocitest.Entry
		want    error
	}{
		{"dotdot", []ocitest.Entry{{Name: "var/../../etc/passwd", Body: "x"}}, ociwrite.ErrHostileLayer},
		{"whiteout", []ocitest.Entry{{Name: "var/task/.wh..."}}, ociwrite.ErrHostileLayer},
		{"hardlink", []ocitest.Entry{{Name: "x", Type: tar.TypeLink, Link: "../../etc/shadow"}}, ociwrite.ErrHostileLayer},
		{"sound", []ocitest.Entry{{Name: "opt/ok", Body: "fine"}, {Name: "var/task/.wh.old"}, {Name: "etc/.wh..wh..opq"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img := ocitest.Image("arm64", false, ocitest.Layer(types.OCILayer, tc.entries...))
			got, err := ociwrite.WriteLayout(dir, img)
			if err != nil {
				t.Fatal(err)
			}
			s, err := ociwrite.Inspect(t.Context(), got, nil)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && (s.Uncompressed == 0 || s.Compressed == 0) {
				t.Fatalf("sizes %+v", s)
			}
		})
	}
	t.Run("digest", func(t *testing.T) {
		dir := t.TempDir()
		img := ocitest.Image("arm64", false, ocitest.Layer(types.OCILayer, ocitest.Entry{Name: "opt/a", Body: "a"}))
		got, err := ociwrite.WriteLayout(dir, img)
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := got.Layers()
		d, _ := ls[1].Digest()
		blob := filepath.Join(dir, "blobs", "sha256", d.Hex)
		other, _ := ls[0].Digest()
		b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", other.Hex))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blob, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ociwrite.Inspect(t.Context(), got, nil); !errors.Is(err, ociwrite.ErrLayerMismatch) {
			t.Fatalf("err = %v, want ErrLayerMismatch", err)
		}
	})
}

// TestHugeDeclaredSize: a base whose manifest declares a layer far bigger
// than its blob is refused when the image is written, without reading or
// allocating what it declares.
func TestHugeDeclaredSize(t *testing.T) {
	base := t.TempDir()
	ocitest.WriteLayout(t, base, ocitest.Index(false, "arm64"))
	var index map[string]any
	readJSON(t, filepath.Join(base, "index.json"), &index)
	desc := index["manifests"].([]any)[0].(map[string]any)
	var manifest map[string]any
	readJSON(t, blobPath(base, desc["digest"].(string)), &manifest)
	manifest["layers"].([]any)[0].(map[string]any)["size"] = int64(1) << 40
	b, _ := json.Marshal(manifest)
	sum := sha256.Sum256(b)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if err := os.WriteFile(blobPath(base, digest), b, 0o644); err != nil {
		t.Fatal(err)
	}
	desc["digest"], desc["size"] = digest, len(b)
	ib, _ := json.Marshal(index)
	if err := os.WriteFile(filepath.Join(base, "index.json"), ib, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := ociwrite.LoadBase(t.Context(), ociwrite.OCIPrefix+base, "", arm(t), ociwrite.Registry{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err = ociwrite.WriteLayout(out, img)
	if err == nil || !strings.Contains(err.Error(), "expected blob size 1099511627776") {
		t.Fatalf("err = %v, want the size refused", err)
	}
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func blobPath(dir, digest string) string {
	return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}
