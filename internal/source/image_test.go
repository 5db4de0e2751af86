package source

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	it "github.com/layerkit/layerkit/internal/image/imagetest"
	"github.com/layerkit/layerkit/layers"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "elfcheck", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkImage writes x as an OCI layout, checks it through Run and returns
// the findings as "RULE path" lines and the notes.
func checkImage(t *testing.T, x any, req Request) ([]string, []string) {
	t.Helper()
	dir := it.WriteLayout(t, filepath.Join(t.TempDir(), "img"), x)
	req.Paths = []string{dir}
	res, err := Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.Artifact != dir {
			t.Errorf("finding %s names %q, not the image %q", f.Rule, f.Artifact, dir)
		}
		got = append(got, strings.TrimSpace(f.Rule+" "+f.Path))
	}
	slices.Sort(got)
	return got, res.Notes
}

func TestImageLambdaLike(t *testing.T) {
	extra := it.Layer(t,
		it.Entry{Name: "var/task/lib/libfoo.so", Body: fixture(t, "libanswer-arm64.so")},
		it.Entry{Name: "var/task/hello", Body: fixture(t, "hello-x86_64"), Mode: 0o755},
	)
	got, notes := checkImage(t, it.Lambda(t, "amd64", extra), Request{})
	want := []string{"LK101 /var/task/lib/libfoo.so"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	joined := strings.Join(notes, "\n")
	for _, s := range []string{"architecture x86_64 from the image's config", "runtime python3.12 from the image's Python 3.12", "glibc 2.34"} {
		if !strings.Contains(joined, s) {
			t.Errorf("notes lack %q:\n%s", s, joined)
		}
	}
}

func TestImageRules(t *testing.T) {
	old := it.Layer(t,
		it.Entry{Name: "lib64/libc-2.26.so", Body: fixture(t, "libanswer-x86_64.so")},
		it.Entry{Name: "lib64/libc.so.6", Type: tar.TypeSymlink, Linkname: "libc-2.26.so"},
		it.Entry{Name: "usr/lib64/libstdc++.so.6.0.29", Body: fixture(t, "libanswer-x86_64.so")},
		it.Entry{Name: "usr/lib64/libstdc++.so.6", Type: tar.TypeSymlink, Linkname: "libstdc++.so.6.0.29"},
		it.Entry{Name: "var/lang/bin/python3.11", Body: fixture(t, "hello-x86_64"), Mode: 0o755},
		it.Entry{Name: "var/task/hello", Body: fixture(t, "hello-x86_64"), Mode: 0o755},
		it.Entry{Name: "var/task/libcxx.so", Body: fixture(t, "libcxx-x86_64.so")},
		it.Entry{Name: "var/task/app.py", Body: []byte("def handler(e, c): pass\n")},
		it.Entry{Name: "lambda-entrypoint.sh", Body: []byte("#!/bin/sh\n"), Mode: 0o755},
	)
	aws := []string{"/lambda-entrypoint.sh"}
	img := func(c it.Config, ls ...any) any {
		if c.Arch == "" {
			c.Arch = "amd64"
		}
		return it.Image(t, c, old)
	}
	for _, tc := range []struct {
		name string
		x    any
		req  Request
		want []string
	}{
		{"glibc, libstdc++ and libraries from the image itself", img(it.Config{Entrypoint: aws, Cmd: []string{"app.handler"}}), Request{},
			// hello needs GLIBC_2.34 > the image's 2.26 (and python3.11 too); libcxx needs
			// GLIBCXX_3.4.30 > 3.4.29 and libgcc_s.so.1, which the image lacks
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so"}},
		{"handler missing", img(it.Config{Entrypoint: aws, Cmd: []string{"nothere.handler"}}), Request{},
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so", "LK155"}},
		{"two CMD elements for AWS's entrypoint", img(it.Config{Entrypoint: aws, Cmd: []string{"app.handler", "x"}}), Request{},
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so", "LK167"}},
		{"neither ENTRYPOINT nor CMD", img(it.Config{}), Request{},
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so", "LK167"}},
		{"relative ENTRYPOINT", img(it.Config{Entrypoint: []string{"python3"}}), Request{},
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so", "LK167"}},
		{"ENTRYPOINT the image lacks", img(it.Config{Entrypoint: []string{"/usr/bin/missing"}}), Request{},
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so", "LK167 /usr/bin/missing"}},
		{"image for amd64, function on arm64", img(it.Config{Entrypoint: aws, Cmd: []string{"app.handler"}}), Request{Arch: layers.ARM64},
			[]string{"LK110 /var/lang/bin/python3.11", "LK110 /var/task/hello", "LK111 /var/task/libcxx.so", "LK120 /var/task/libcxx.so", "LK165"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := checkImage(t, tc.x, tc.req)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestImageIndexAndLayerTypes(t *testing.T) {
	idx := it.Index(t, it.Lambda(t, "amd64"), it.Lambda(t, "arm64"))
	got, _ := checkImage(t, idx, Request{Arch: layers.ARM64})
	if !slices.Equal(got, []string{"LK164"}) {
		t.Errorf("index: %q", got)
	}
	tarBytes := it.Tar(t, it.Entry{Name: "var/task/x.txt", Body: []byte("x")})
	for _, mt := range []types.MediaType{types.OCIUncompressedLayer, types.OCILayerZStd} {
		img := it.Lambda(t, "amd64", it.LayerOf(t, tarBytes, mt))
		got, _ := checkImage(t, img, Request{})
		if !slices.Equal(got, []string{"LK166"}) {
			t.Errorf("%s: %q", mt, got)
		}
	}
}

func TestImageHostile(t *testing.T) {
	bad := it.Layer(t,
		it.Entry{Name: "/abs", Body: []byte("x")},
		it.Entry{Name: "../up", Body: []byte("x")},
		it.Entry{Name: "var/task/.wh...", Body: nil},
		it.Entry{Name: "var/task/loop", Type: tar.TypeSymlink, Linkname: "loop"},
	)
	got, _ := checkImage(t, it.Lambda(t, "amd64", bad), Request{})
	want := []string{"LK168 ../up", "LK168 /abs", "LK168 /var/task/.wh...", "LK197 /var/task/loop"}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
}

func TestImageTarballs(t *testing.T) {
	img := it.Lambda(t, "arm64")
	dir := t.TempDir()
	for _, p := range []string{
		it.WriteOCIArchive(t, filepath.Join(dir, "oci.tar"), img),
		it.WriteDockerSave(t, filepath.Join(dir, "docker.tar"), img),
	} {
		res, err := Run(t.Context(), Request{Paths: []string{p}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 0 || res.Files != 6 || !slices.Equal(res.Targets, []string{"python3.12-arm64"}) {
			t.Errorf("%s: findings %v, %d files, targets %v", p, res.Findings, res.Files, res.Targets)
		}
	}
}
