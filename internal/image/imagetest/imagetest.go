// Package imagetest makes small synthetic container images for tests: layers
// from a list of tar entries, a Lambda-like image, a two-platform index, and
// the ways to store them (an OCI layout folder, an OCI archive, a `docker
// save` tarball). Everything is built in memory from the arguments; nothing
// is fetched.
package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one tar entry of a layer. Type defaults to a regular file
// (tar.TypeReg); Mode to 0644 (0755 for folders).
type Entry struct {
	Name     string
	Type     byte
	Body     []byte
	Linkname string
	Mode     int64
	// Size, when set, is the size the header declares instead of
	// len(Body): a lie.
	Size int64
}

// Tar returns the tar stream of the entries, in order.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	lied := false
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode, Size: int64(len(e.Body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if e.Size != 0 {
			h.Size, lied = e.Size, true
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.Body); err != nil && !lied {
			t.Fatal(err)
		}
	}
	if lied {
		return buf.Bytes() // the writer writes through: the stream ends short
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer returns a gzip layer (OCI media type) of the entries.
func Layer(t testing.TB, entries ...Entry) v1.Layer {
	t.Helper()
	return LayerOf(t, Tar(t, entries...), types.OCILayer)
}

// LayerOf returns a layer of a tar stream, of the given media type
// (compressed with gzip unless the type is an uncompressed one).
func LayerOf(t testing.TB, tarBytes []byte, mt types.MediaType) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(mt))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Config is what an image's config says, beyond its layers.
type Config struct {
	Arch       string // OCI name: amd64, arm64
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
}

// Image returns an OCI image of the layers, bottom first.
func Image(t testing.TB, c Config, ls ...v1.Layer) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, ls...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", c.Arch
	cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.Env, cf.Config.WorkingDir = c.Entrypoint, c.Cmd, c.Env, c.WorkingDir
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Index returns a multi-platform OCI index of the images, each with its
// config's platform.
func Index(t testing.TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}}})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
}

// ELF returns the first 64 bytes of a little-endian 64-bit ELF shared
// object for the machine (62 x86_64, 183 arm64), enough for the header to
// be read; the rest of the object is missing, so it reads as broken past
// its header.
func ELF(machine uint16) []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	b[16] = 3 // ET_DYN
	b[18], b[19] = byte(machine), byte(machine>>8)
	b[20] = 1 // EV_CURRENT
	b[52] = 64
	return b
}

// Lambda is AWS's base image for python3.12 as the file rules see it, on
// arch (an OCI name), with the handler app.handler in /var/task/app.py and
// the extra layers on top: its entrypoint, environment and working folder,
// a glibc 2.34 (libc.so.6 -> libc-2.34.so), and /var/lang/bin/python3.12.
func Lambda(t testing.TB, arch string, extra ...v1.Layer) v1.Image {
	t.Helper()
	machine := uint16(62)
	if arch == "arm64" {
		machine = 183
	}
	base := Layer(t,
		Entry{Name: "lambda-entrypoint.sh", Body: []byte("#!/bin/sh\nexec /usr/local/bin/aws-lambda-rie \"$@\"\n"), Mode: 0o755},
		Entry{Name: "lib64", Type: tar.TypeDir},
		Entry{Name: "lib64/libc-2.34.so", Body: append(ELF(machine), []byte("GLIBC_2.2.5\x00GLIBC_2.34\x00GLIBC_PRIVATE\x00")...), Mode: 0o755},
		Entry{Name: "lib64/libc.so.6", Type: tar.TypeSymlink, Linkname: "libc-2.34.so"},
		Entry{Name: "var/lang/bin/python3.12", Body: ELF(machine), Mode: 0o755},
		Entry{Name: "var/lang/bin/python3", Type: tar.TypeSymlink, Linkname: "python3.12"},
		Entry{Name: "var/task", Type: tar.TypeDir},
	)
	code := Layer(t, Entry{Name: "var/task/app.py", Body: []byte("def handler(event, context):\n    return 1\n")})
	return Image(t, Config{Arch: arch, Entrypoint: []string{"/lambda-entrypoint.sh"}, Cmd: []string{"app.handler"},
		Env:        []string{"LAMBDA_TASK_ROOT=/var/task", "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"},
		WorkingDir: "/var/task"}, append([]v1.Layer{base, code}, extra...)...)
}

// WriteLayout writes the image (a v1.Image or a v1.ImageIndex) as an OCI
// layout in dir, and returns dir.
func WriteLayout(t testing.TB, dir string, x any) string {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	switch x := x.(type) {
	case v1.Image:
		err = p.AppendImage(x)
	case v1.ImageIndex:
		err = p.AppendIndex(x)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// WriteOCIArchive writes the image as an OCI layout stored in one tar file
// (as `skopeo copy ... oci-archive:FILE` does) and returns the file.
func WriteOCIArchive(t testing.TB, file string, x any) string {
	t.Helper()
	dir := WriteLayout(t, t.TempDir(), x)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel) + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = os.WriteFile(file, buf.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// WriteDockerSave writes the image as `docker save` does and returns the
// file.
func WriteDockerSave(t testing.TB, file string, img v1.Image) string {
	t.Helper()
	tag, err := name.NewTag("example.com/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatal(err)
	}
	return file
}
