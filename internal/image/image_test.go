package image_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/image"
	it "github.com/layerkit/layerkit/internal/image/imagetest"
	"github.com/layerkit/layerkit/layers"
)

// headOf is an inspector that keeps a file's first bytes.
func headOf(_ context.Context, c image.Content) (string, error) {
	b := make([]byte, 16)
	n, err := io.ReadFull(c.File, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return string(b[:n]), nil
}

// flatten opens the image stored as a layout and flattens it, with TMPDIR
// pointed at an empty folder that must stay empty.
func flatten(t *testing.T, x any) (*image.Tree[string], error) {
	t.Helper()
	dir := it.WriteLayout(t, t.TempDir(), x)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	im, err := image.OpenPath(dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	tr, ferr := image.Flatten(t.Context(), im, headOf)
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf("Flatten wrote %d files to TMPDIR", len(ents))
	}
	return tr, ferr
}

// listing renders a tree as "path type [content|->link]" lines.
func listing(tr *image.Tree[string]) []string {
	var out []string
	for _, n := range tr.Nodes {
		s := n.Entry.Path
		switch n.Entry.Type {
		case fstree.TypeDir:
			s += "/"
		case fstree.TypeSymlink:
			s += " -> " + n.Entry.Link
		default:
			s += " = " + n.Value
		}
		out = append(out, s)
	}
	return out
}

func TestFlattenWhiteoutsAndLinks(t *testing.T) {
	l1 := it.Layer(t,
		it.Entry{Name: "a/", Type: tar.TypeDir},
		it.Entry{Name: "a/x", Body: []byte("x1")},
		it.Entry{Name: "a/y", Body: []byte("y1")},
		it.Entry{Name: "b/z", Body: []byte("z1")},
		it.Entry{Name: "b/sub/deep", Body: []byte("d1")},
		it.Entry{Name: "./c", Body: []byte("c1")},
		it.Entry{Name: "lib", Type: tar.TypeSymlink, Linkname: "usr/lib"},
		it.Entry{Name: "usr/lib/", Type: tar.TypeDir},
		it.Entry{Name: "gone/file", Body: []byte("g")},
	)
	l2 := it.Layer(t,
		it.Entry{Name: "a/.wh.x"},
		it.Entry{Name: "b/.wh..wh..opq"},
		it.Entry{Name: "b/new", Body: []byte("n2")},
		it.Entry{Name: "c", Body: []byte("c2")},
		it.Entry{Name: "lib/libfoo.so", Body: []byte("foo")}, // through the lower layer's link
		it.Entry{Name: "hard", Type: tar.TypeLink, Linkname: "a/y"},
		it.Entry{Name: ".wh.gone"},
		it.Entry{Name: "gone", Body: []byte("back")}, // the same layer's entry survives its whiteout
	)
	tr, err := flatten(t, it.Image(t, it.Config{Arch: "amd64"}, l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	got := listing(tr)
	want := []string{"a/", "a/y = y1", "b/", "b/new = n2", "c = c2", "gone = back", "hard = y1", "lib -> usr/lib", "usr/", "usr/lib/", "usr/lib/libfoo.so = foo"}
	if !slices.Equal(got, want) {
		t.Errorf("tree:\n got %q\nwant %q", got, want)
	}
	if len(tr.Problems) != 0 {
		t.Errorf("problems: %v", tr.Problems)
	}
	if len(tr.Layers) != 2 || tr.Layers[0].Compression != "gzip" || tr.Layers[0].TarBytes == 0 || tr.Layers[1].FileBytes != 2+2+3+4 {
		t.Errorf("layers: %+v", tr.Layers)
	}
}

func TestFlattenHostile(t *testing.T) {
	l1 := it.Layer(t,
		it.Entry{Name: "/etc/passwd", Body: []byte("abs")},
		it.Entry{Name: "../../escape", Body: []byte("up")},
		it.Entry{Name: "a/../../escape2", Body: []byte("up")},
		it.Entry{Name: "loop1", Type: tar.TypeSymlink, Linkname: "loop2"},
		it.Entry{Name: "loop2", Type: tar.TypeSymlink, Linkname: "loop1"},
		it.Entry{Name: "up", Type: tar.TypeSymlink, Linkname: "../../../../etc"},
		it.Entry{Name: "file", Body: []byte("f")},
		it.Entry{Name: "hard", Type: tar.TypeLink, Linkname: "../outside"},
	)
	l2 := it.Layer(t,
		it.Entry{Name: "loop1/x", Body: []byte("in a loop")},
		it.Entry{Name: "up/shadow", Body: []byte("lands in /etc")}, // ".." stops at the root
		it.Entry{Name: "file/under", Body: []byte("under a file")},
		it.Entry{Name: "x/.wh..."},
		it.Entry{Name: "../.wh.etc"},
		it.Entry{Name: "nothere", Type: tar.TypeLink, Linkname: "missing"},
	)
	tr, err := flatten(t, it.Image(t, it.Config{Arch: "amd64"}, l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	got := listing(tr)
	want := []string{"etc/", "etc/shadow = lands in /etc", "file = f", "loop1 -> loop2", "loop2 -> loop1", "up -> ../../../../etc"}
	if !slices.Equal(got, want) {
		t.Errorf("tree:\n got %q\nwant %q", got, want)
	}
	var names []string
	for _, p := range tr.Problems {
		names = append(names, p.Name)
		if !strings.HasPrefix(p.Detail, "layer ") {
			t.Errorf("problem %q does not name its layer: %s", p.Name, p.Detail)
		}
	}
	wantProblems := []string{"/etc/passwd", "../../escape", "a/../../escape2", "hard", "loop1/x", "file/under", "x/.wh...", "../.wh.etc", "nothere"}
	if !slices.Equal(names, wantProblems) {
		t.Errorf("problems:\n got %q\nwant %q", names, wantProblems)
	}
}

func TestFlattenHugeDeclaredSize(t *testing.T) {
	l := it.LayerOf(t, it.Tar(t, it.Entry{Name: "big", Body: []byte("short"), Size: 1 << 50}), types.OCILayer)
	_, err := flatten(t, it.Image(t, it.Config{Arch: "amd64"}, l))
	var le *image.LayerError
	if !errors.As(err, &le) || le.Index != 0 {
		t.Fatalf("err = %v, want a *LayerError for layer 1", err)
	}
}

func TestFlattenDigestMismatch(t *testing.T) {
	img := it.Image(t, it.Config{Arch: "amd64"}, it.Layer(t, it.Entry{Name: "f", Body: []byte("original")}))
	dir := it.WriteLayout(t, t.TempDir(), img)
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()
	blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	other := it.Layer(t, it.Entry{Name: "f", Body: []byte("tampered")})
	rc, _ := other.Compressed()
	b, _ := io.ReadAll(rc)
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := image.OpenPath(dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = image.Flatten(t.Context(), im, headOf)
	if !errors.Is(err, image.ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	if !strings.Contains(err.Error(), d.String()) {
		t.Errorf("error does not name the layer's digest: %v", err)
	}
}

func TestOpenIndex(t *testing.T) {
	idx := it.Index(t, it.Lambda(t, "amd64"), it.Lambda(t, "arm64"))
	dir := it.WriteLayout(t, t.TempDir(), idx)
	for _, tc := range []struct {
		arch layers.Arch
		want string
	}{{"", "amd64"}, {layers.ARM64, "arm64"}, {layers.X86_64, "amd64"}} {
		im, err := image.OpenPath(dir, image.Options{Arch: tc.arch})
		if err != nil {
			t.Fatal(err)
		}
		cf, err := im.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != tc.want || len(im.Index) != 2 || im.Picked == nil || im.Picked.Architecture != tc.want {
			t.Errorf("arch %q: read %s, index %v, picked %v", tc.arch, cf.Architecture, im.Index, im.Picked)
		}
	}
	one := it.Index(t, it.Lambda(t, "amd64"))
	_, err := image.OpenPath(it.WriteLayout(t, t.TempDir(), one), image.Options{Arch: layers.ARM64})
	if !errors.Is(err, image.ErrNoPlatform) {
		t.Errorf("err = %v, want ErrNoPlatform", err)
	}
}

// TestOpenSources reads the same image from every store Open knows and
// checks each gives the same files.
func TestOpenSources(t *testing.T) {
	img := it.Lambda(t, "arm64")
	dir := t.TempDir()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/app:v1"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		src  image.Source
		decl bool
	}{
		{it.WriteLayout(t, filepath.Join(dir, "layout"), img), image.SourceLayout, true},
		{it.WriteOCIArchive(t, filepath.Join(dir, "oci.tar"), img), image.SourceOCITar, true},
		{it.WriteDockerSave(t, filepath.Join(dir, "docker.tar"), img), image.SourceDocker, false},
		{ref, image.SourceRegistry, true},
	} {
		im, err := image.Open(t.Context(), tc.ref, image.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if im.Source != tc.src || im.Declared != tc.decl {
			t.Errorf("%s: source %s declared %v", tc.ref, im.Source, im.Declared)
		}
		tr, err := image.Flatten(t.Context(), im, headOf)
		im.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		got := listing(tr)
		if !slices.Contains(got, "var/task/app.py = def handler(even") || !slices.Contains(got, "lib64/libc.so.6 -> libc-2.34.so") {
			t.Errorf("%s: %q", tc.ref, got)
		}
	}
}

func TestOpenNotImage(t *testing.T) {
	dir := t.TempDir()
	if _, err := image.OpenPath(dir, image.Options{}); !errors.Is(err, image.ErrNotImage) {
		t.Errorf("empty folder: %v", err)
	}
	if _, ok := image.Detect(filepath.Join(dir, "missing")); ok {
		t.Error("Detect found an image in a missing path")
	}
}

func TestFlattenDiffIDMismatch(t *testing.T) {
	img := it.Image(t, it.Config{Arch: "amd64"}, it.Layer(t, it.Entry{Name: "f", Body: []byte("x")}))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs[0] = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	bad, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	_, err = flatten(t, bad)
	var le *image.LayerError
	if !errors.Is(err, image.ErrDigestMismatch) || !errors.As(err, &le) || !strings.Contains(err.Error(), "diff_id") {
		t.Fatalf("err = %v, want a diff_id mismatch in a *LayerError", err)
	}
}

// TestDetect tells image layouts and archives from folders and files that
// merely hold an index.json or manifest.json of their own.
func TestDetect(t *testing.T) {
	dir := t.TempDir()
	img := it.Lambda(t, "amd64")
	layout := it.WriteLayout(t, filepath.Join(dir, "layout"), img)
	noMarker := it.WriteLayout(t, filepath.Join(dir, "nomarker"), img)
	if err := os.Remove(filepath.Join(noMarker, "oci-layout")); err != nil {
		t.Fatal(err)
	}
	webApp := filepath.Join(dir, "webapp")
	os.MkdirAll(filepath.Join(webApp, "blobs"), 0o755)
	os.WriteFile(filepath.Join(webApp, "index.json"), []byte(`{"routes":["/"]}`), 0o644)
	plainTar := filepath.Join(dir, "plain.tar")
	os.WriteFile(plainTar, it.Tar(t, it.Entry{Name: "index.json", Body: []byte("{}")}), 0o644)
	for p, want := range map[string]image.Source{
		layout:   image.SourceLayout,
		noMarker: image.SourceLayout,
		webApp:   "",
		plainTar: "",
		it.WriteOCIArchive(t, filepath.Join(dir, "oci.tar"), img):    image.SourceOCITar,
		it.WriteDockerSave(t, filepath.Join(dir, "docker.tar"), img): image.SourceDocker,
		filepath.Join("..", "elfcheck", "testdata", "hello-x86_64"):  "",
	} {
		got, ok := image.Detect(p)
		if got != want || ok != (want != "") {
			t.Errorf("Detect(%s) = %q, %v; want %q", filepath.Base(p), got, ok, want)
		}
	}
}

// TestFlattenRandom flattens go-containerregistry's random images (each
// layer one file of random bytes, under a random name) from the in-memory
// registry: every layer verified and every file kept.
func TestFlattenRandom(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	img, err := random.Image(4096, 5)
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.TrimPrefix(srv.URL, "http://") + "/random:1"
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	im, err := image.Open(t.Context(), ref, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := image.Flatten(t.Context(), im, headOf)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, n := range tr.Nodes {
		if n.Entry.Type == fstree.TypeFile {
			files++
		}
	}
	if len(tr.Layers) != 5 || files != 5 {
		t.Errorf("%d layers, %d files; want 5 and 5", len(tr.Layers), files)
	}
}
