package ocitest

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one tar entry of a synthetic layer. Type is a tar type flag
// (tar.TypeReg when zero).
type Entry struct {
	Name string
	Type byte
	Body string
	Link string
	Mode int64
}

// Tar returns entries as an uncompressed tar, exactly as given (names are
// not checked: hostile names are the point of some tests).
func Tar(entries ...Entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: e.Mode, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err)
		}
		io.WriteString(tw, e.Body)
	}
	tw.Close()
	return b.Bytes()
}

// Layer returns a gzip layer of media type mt holding entries.
func Layer(mt types.MediaType, entries ...Entry) v1.Layer {
	data := Tar(entries...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, tarball.WithMediaType(mt))
	if err != nil {
		panic(err)
	}
	return l
}

// Entrypoint is the entrypoint script of the synthetic base, standing in
// for AWS's /lambda-entrypoint.sh.
const Entrypoint = "#!/bin/sh\n[ $# -eq 1 ] || exit 142\nexec /var/runtime/bootstrap \"$1\"\n"

// Image returns a Lambda-like image for linux/arch: a layer with
// /lambda-entrypoint.sh and /var/lang/bin/python3.12 (a stand-in),
// ENTRYPOINT /lambda-entrypoint.sh, no CMD, AWS's environment and working
// folder, then extra layers. docker picks Docker schema 2 media types,
// else OCI.
func Image(arch string, docker bool, extra ...v1.Layer) v1.Image {
	mt, lt := types.OCIManifestSchema1, types.OCILayer
	if docker {
		mt, lt = types.DockerManifestSchema2, types.DockerLayer
	}
	img := mutate.MediaType(empty.Image, mt)
	if docker {
		img = mutate.ConfigMediaType(img, types.DockerConfigJSON)
	} else {
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	base := Layer(lt,
		Entry{Name: "lambda-entrypoint.sh", Body: Entrypoint, Mode: 0o755},
		Entry{Name: "var/", Type: tar.TypeDir, Mode: 0o755},
		Entry{Name: "var/lang/bin/python3.12", Body: "not really python, " + arch, Mode: 0o755},
		Entry{Name: "var/task/", Type: tar.TypeDir, Mode: 0o755})
	img, err := mutate.AppendLayers(img, append([]v1.Layer{base}, extra...)...)
	if err != nil {
		panic(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Entrypoint = []string{"/lambda-entrypoint.sh"}
	cf.Config.WorkingDir = "/var/task"
	cf.Config.Env = []string{"LAMBDA_TASK_ROOT=/var/task", "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		panic(err)
	}
	return img
}

// Index returns a multi-platform index of Image for each of archs.
func Index(docker bool, archs ...string) v1.ImageIndex {
	idx := v1.ImageIndex(empty.Index)
	if docker {
		idx = mutate.IndexMediaType(idx, types.DockerManifestList)
	}
	for _, a := range archs {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: Image(a, docker), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: a}}})
	}
	return idx
}

// WriteLayout writes idx as an OCI image layout folder at dir.
func WriteLayout(t testing.TB, dir string, idx v1.ImageIndex) {
	t.Helper()
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
}

// Registry is go-containerregistry's in-memory registry on a loopback port,
// counting the blob uploads it is asked to start.
type Registry struct {
	// Host is "127.0.0.1:PORT".
	Host    string
	uploads atomic.Int64
	Server  *httptest.Server
}

// NewRegistry starts a registry, stopped when the test ends.
func NewRegistry(t testing.TB) *Registry {
	r := &Registry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/blobs/uploads/") {
			r.uploads.Add(1)
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Server.Close)
	r.Host = strings.TrimPrefix(r.Server.URL, "http://")
	return r
}

// BlobUploads returns how many blob uploads were started (POST
// /v2/…/blobs/uploads/) since the registry started.
func (r *Registry) BlobUploads() int64 { return r.uploads.Load() }
