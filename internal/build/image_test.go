package build_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/ociwrite"
	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
	"github.com/layerkit/layerkit/layers"
)

// imageProject copies the example and writes a two-platform OCI layout
// base outside it; it returns the project and "oci:<base>".
func imageProject(t *testing.T) (dir, base string) {
	dir = example(t)
	b := filepath.Join(t.TempDir(), "base")
	ocitest.WriteLayout(t, b, ocitest.Index(false, "amd64", "arm64"))
	return dir, ociwrite.OCIPrefix + b
}

func runImage(t *testing.T, dir, out string, im build.ImageOptions) (*build.Result, error) {
	t.Helper()
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return build.Run(t.Context(), build.Options{Config: c, Out: out, Level: -1, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Image: &im})
}

func readImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests, want 1", err, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// layerFiles returns the names and contents in a layer's tar.
func layerFiles(t *testing.T, l v1.Layer) map[string]string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
}

// TestImageBuild builds the example's images twice into two folders: the
// digests are equal; each image is the base's layers, then /opt with the
// target's layer, then /var/task with the code, CMD the handler, the base's
// ENTRYPOINT kept, for the target's platform; the manifest records it.
func TestImageBuild(t *testing.T) {
	dir, base := imageProject(t)
	out1, out2 := filepath.Join(t.TempDir(), "one"), filepath.Join(t.TempDir(), "two")
	before := snapshot(t, dir, "")
	r1, err := runImage(t, dir, out1, build.ImageOptions{Base: base, Handler: "handler.handler"})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := runImage(t, dir, out2, build.ImageOptions{Base: base, Handler: "handler.handler"})
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, dir, ""); after != before {
		t.Fatalf("the build changed the project")
	}
	if len(r1.Manifest.Artifacts) != 2 {
		t.Fatalf("artifacts %+v, want two images", r1.Manifest.Artifacts)
	}
	for i, a := range r1.Manifest.Artifacts {
		if a.Digest != r2.Manifest.Artifacts[i].Digest {
			t.Errorf("%s: digest %s then %s: not deterministic", a.Name, a.Digest, r2.Manifest.Artifacts[i].Digest)
		}
		if a.Kind != layers.KindImage || a.Path != "images/"+a.Target().String() || a.UnzippedBytes <= 0 || a.Ref != "" {
			t.Errorf("artifact %+v", a)
		}
		img := readImage(t, filepath.Join(out1, a.Path))
		if d, _ := img.Digest(); d.String() != a.Digest {
			t.Errorf("%s: layout holds %s, manifest says %s", a.Name, d, a.Digest)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if want := ociwrite.Platform(a.Arch).Architecture; cf.Architecture != want {
			t.Errorf("%s: architecture %s, want %s", a.Name, cf.Architecture, want)
		}
		if !slices.Equal(cf.Config.Cmd, []string{"handler.handler"}) || !slices.Equal(cf.Config.Entrypoint, []string{"/lambda-entrypoint.sh"}) {
			t.Errorf("%s: cmd %q entrypoint %q", a.Name, cf.Config.Cmd, cf.Config.Entrypoint)
		}
		ls, err := img.Layers()
		if err != nil || len(ls) != 3 {
			t.Fatalf("%s: %d layers (%v), want the base's one + 2", a.Name, len(ls), err)
		}
		for _, l := range ls[1:] {
			if mt, _ := l.MediaType(); mt != types.OCILayer {
				t.Errorf("%s: layer media type %s, want %s (the base's family)", a.Name, mt, types.OCILayer)
			}
		}
		opt, code := layerFiles(t, ls[1]), layerFiles(t, ls[2])
		so := "opt/lib/libfastmath.so"
		want, _ := os.ReadFile(filepath.Join(dir, "layers", a.Target().String(), "lib/libfastmath.so"))
		if opt[so] != string(want) {
			t.Errorf("%s: /opt layer lacks %s (has %v)", a.Name, so, keys(opt))
		}
		want, _ = os.ReadFile(filepath.Join(dir, "handler.py"))
		if code["var/task/handler.py"] != string(want) {
			t.Errorf("%s: /var/task layer lacks handler.py (has %v)", a.Name, keys(code))
		}
		if _, ok := code["var/task/tests/test_core.py"]; ok {
			t.Errorf("%s: an excluded file is in the image", a.Name)
		}
	}
	// The code layer is the same in both images, and compressed once: the
	// second image's blob is the first's, linked.
	var codeBlobs []os.FileInfo
	for _, a := range r1.Manifest.Artifacts {
		ls, _ := readImage(t, filepath.Join(out1, a.Path)).Layers()
		d, _ := ls[2].Digest()
		fi, err := os.Stat(filepath.Join(out1, a.Path, "blobs", "sha256", d.Hex))
		if err != nil {
			t.Fatal(err)
		}
		codeBlobs = append(codeBlobs, fi)
	}
	if !os.SameFile(codeBlobs[0], codeBlobs[1]) {
		t.Error("the code layer was written twice, not shared")
	}
	m, err := os.ReadFile(filepath.Join(out1, layers.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := layers.ReadManifest(strings.NewReader(string(m)))
	if err != nil || len(got.Images()) != 2 {
		t.Fatalf("manifest.json: %v, %+v", err, got)
	}
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// TestImageBuildFailures: no handler, a base without the target's
// platform, an unreachable base, a hostile base: each a clear error, and
// the output folder holds nothing half-written (no image folder, no
// temporary folder, no manifest).
func TestImageBuildFailures(t *testing.T) {
	dir, base := imageProject(t)
	amdOnly := filepath.Join(t.TempDir(), "amd")
	ocitest.WriteLayout(t, amdOnly, ocitest.Index(false, "amd64"))
	hostile := filepath.Join(t.TempDir(), "hostile")
	evil := ocitest.Layer(types.OCILayer, ocitest.Entry{Name: "var/task/../../../../etc/cron.d/x", Body: "pwned"})
	ocitest.WriteLayout(t, hostile, ocitestIndexOf(ocitest.Image("amd64", false, evil), ocitest.Image("arm64", false, evil)))
	whiteout := filepath.Join(t.TempDir(), "whiteout")
	wo := ocitest.Layer(types.OCILayer, ocitest.Entry{Name: "opt/.wh..."})
	ocitest.WriteLayout(t, whiteout, ocitestIndexOf(ocitest.Image("amd64", false, wo), ocitest.Image("arm64", false, wo)))

	for _, tc := range []struct {
		name string
		im   build.ImageOptions
		want error
		says string
	}{
		{"no handler", build.ImageOptions{Base: base}, build.ErrNoHandler, "give --handler"},
		{"no platform", build.ImageOptions{Base: ociwrite.OCIPrefix + amdOnly, Handler: "h.h"}, ociwrite.ErrNoPlatform, "no linux/arm64 (it has linux/amd64)"},
		{"unreachable", build.ImageOptions{Base: "127.0.0.1:1/lambda/python:3.12", Handler: "h.h"}, nil, "reading the base image 127.0.0.1:1/lambda/python:3.12"},
		{"hostile", build.ImageOptions{Base: ociwrite.OCIPrefix + hostile, Handler: "h.h"}, ociwrite.ErrHostileLayer, "etc/cron.d/x"},
		{"whiteout", build.ImageOptions{Base: ociwrite.OCIPrefix + whiteout, Handler: "h.h"}, ociwrite.ErrHostileLayer, "whiteout"},
		{"two words", build.ImageOptions{Base: base, Handler: "python app.py"}, nil, "holds a space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "dist")
			_, err := runImage(t, dir, out, tc.im)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
			ents, _ := os.ReadDir(filepath.Join(out, "images"))
			if len(ents) != 0 {
				t.Errorf("images/ holds %v after a failed build", ents)
			}
			if _, err := os.Stat(filepath.Join(out, layers.ManifestFile)); err == nil {
				t.Error("a failed build wrote a manifest")
			}
			if _, err := os.Stat("/etc/cron.d/x"); err == nil {
				t.Error("the hostile base wrote outside the output folder")
			}
		})
	}
}

func ocitestIndexOf(amd, arm v1.Image) v1.ImageIndex {
	idx := ocitest.Index(false)
	return appendPlatforms(idx, amd, arm)
}

// TestImageBuildKeepsPreviousOnFailure: a failing rebuild leaves the
// previous images and manifest as they were; a successful one replaces
// them, and a zip build afterwards removes the image folders it no longer
// makes.
func TestImageBuildKeepsPreviousOnFailure(t *testing.T) {
	dir, base := imageProject(t)
	out := filepath.Join(t.TempDir(), "dist")
	first, err := runImage(t, dir, out, build.ImageOptions{Base: base, Handler: "handler.handler"})
	if err != nil {
		t.Fatal(err)
	}
	manifest, _ := os.ReadFile(filepath.Join(out, layers.ManifestFile))
	if _, err := runImage(t, dir, out, build.ImageOptions{Base: ociwrite.OCIPrefix + "/nowhere", Handler: "handler.handler"}); err == nil {
		t.Fatal("a missing base was accepted")
	}
	if m, _ := os.ReadFile(filepath.Join(out, layers.ManifestFile)); string(m) != string(manifest) {
		t.Fatal("a failed build changed the manifest")
	}
	for _, a := range first.Manifest.Artifacts {
		readImage(t, filepath.Join(out, a.Path))
	}
	second, err := runImage(t, dir, out, build.ImageOptions{Base: base, Handler: "app.core.handler"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range second.Manifest.Artifacts {
		cf, _ := readImage(t, filepath.Join(out, a.Path)).ConfigFile()
		if !slices.Equal(cf.Config.Cmd, []string{"app.core.handler"}) {
			t.Errorf("%s: cmd %q after the rebuild", a.Name, cf.Config.Cmd)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(out, "images"))
	if len(ents) != 2 {
		t.Errorf("images/ holds %v, want the two image folders only", ents)
	}
	zips := run(t, dir, func(o *build.Options) { o.Out = out })
	if !slices.Contains(zips.Removed, "images/python3.12-arm64") {
		t.Errorf("Removed = %v, want the image folders", zips.Removed)
	}
	if ents, _ := os.ReadDir(filepath.Join(out, "images")); len(ents) != 0 {
		t.Errorf("images/ holds %v after a zip build", ents)
	}
}

// TestImagePush: images pushed to a registry on loopback are single
// manifests tagged <runtime>-<arch>, recorded with their ref; a second push
// of the same images starts no blob upload. The base comes from the same
// registry, in Docker media types, and the layers follow it.
func TestImagePush(t *testing.T) {
	dir := example(t)
	reg := ocitest.NewRegistry(t)
	baseRef := reg.Host + "/lambda/python:3.12"
	ref, _ := name.ParseReference(baseRef)
	if err := remote.WriteIndex(ref, ocitest.Index(true, "amd64", "arm64")); err != nil {
		t.Fatal(err)
	}
	repo := reg.Host + "/app"
	im := build.ImageOptions{Base: baseRef, Handler: "handler.handler", Push: repo}
	res, err := runImage(t, dir, filepath.Join(t.TempDir(), "dist"), im)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Manifest.Artifacts {
		if a.Ref != repo+"@"+a.Digest {
			t.Errorf("%s: ref %q, want %s@%s", a.Name, a.Ref, repo, a.Digest)
		}
		tag, _ := name.ParseReference(repo + ":" + a.Target().String())
		desc, err := remote.Get(tag, remote.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		if desc.MediaType != types.DockerManifestSchema2 || desc.Digest.String() != a.Digest {
			t.Errorf("%s: the tag holds %s %s, want a Docker manifest %s", a.Name, desc.MediaType, desc.Digest, a.Digest)
		}
		img, _ := desc.Image()
		ls, _ := img.Layers()
		for _, l := range ls {
			if mt, _ := l.MediaType(); mt != types.DockerLayer {
				t.Errorf("%s: layer media type %s", a.Name, mt)
			}
		}
	}
	before := reg.BlobUploads()
	if before == 0 {
		t.Fatal("the first push started no blob upload: the count sees nothing")
	}
	again, err := runImage(t, dir, filepath.Join(t.TempDir(), "dist"), im)
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.BlobUploads() - before; n != 0 {
		t.Errorf("the second push started %d blob uploads, want 0", n)
	}
	for i, a := range again.Manifest.Artifacts {
		if a.Ref != res.Manifest.Artifacts[i].Ref {
			t.Errorf("%s: ref %s then %s", a.Name, res.Manifest.Artifacts[i].Ref, a.Ref)
		}
	}
}

// checker records the images it is asked to check and fails those named
// in fail.
type checker struct {
	seen []string
	fail string
}

func (c *checker) CheckImage(_ context.Context, dir string, a layers.Artifact) error {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return err
	}
	c.seen = append(c.seen, a.Name)
	if a.Name == c.fail {
		return errors.New("findings failed the policy")
	}
	return nil
}

// TestImageCheckHook: every image is checked before it is put in place; a
// failed check fails the build with nothing written.
func TestImageCheckHook(t *testing.T) {
	dir, base := imageProject(t)
	c := &checker{}
	if _, err := runImage(t, dir, filepath.Join(t.TempDir(), "dist"), build.ImageOptions{Base: base, Handler: "h.h", Check: c}); err != nil {
		t.Fatal(err)
	}
	if len(c.seen) != 2 {
		t.Errorf("checked %v, want both images", c.seen)
	}
	out := filepath.Join(t.TempDir(), "dist")
	_, err := runImage(t, dir, out, build.ImageOptions{Base: base, Handler: "h.h", Check: &checker{fail: "python3.12-arm64"}})
	if err == nil || !strings.Contains(err.Error(), "findings failed the policy") {
		t.Fatalf("err = %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(out, "images")); len(ents) != 0 {
		t.Errorf("images/ holds %v", ents)
	}
}

func appendPlatforms(idx v1.ImageIndex, imgs ...v1.Image) v1.ImageIndex {
	for _, img := range imgs {
		cf, _ := img.ConfigFile()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: cf.Architecture}}})
	}
	return idx
}

// cancelling cancels the build's context when asked to check the first
// image, as Ctrl-C would mid-build.
type cancelling struct{ cancel context.CancelFunc }

func (c cancelling) CheckImage(context.Context, string, layers.Artifact) error {
	c.cancel()
	return nil
}

// TestImageBuildCancelled: a build cancelled after its first image leaves
// no image folder, no temporary folder and no manifest; a temporary folder
// left by an interrupted build is swept by the next one.
func TestImageBuildCancelled(t *testing.T) {
	dir, base := imageProject(t)
	out := filepath.Join(t.TempDir(), "dist")
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err = build.Run(ctx, build.Options{Config: c, Out: out, Level: -1, Modified: time.Unix(0, 0),
		Image: &build.ImageOptions{Base: base, Handler: "h.h", Check: cancelling{cancel}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(out, "images")); len(ents) != 0 {
		t.Errorf("images/ holds %v after a cancelled build", ents)
	}
	if _, err := os.Stat(filepath.Join(out, layers.ManifestFile)); err == nil {
		t.Error("a cancelled build wrote a manifest")
	}

	left := filepath.Join(out, "images", ".python3.12-arm64.layerkit-tmp-42")
	if err := os.MkdirAll(filepath.Join(left, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := runImage(t, dir, out, build.ImageOptions{Base: base, Handler: "h.h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); err == nil {
		t.Error("the interrupted build's folder is still there")
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "left by an interrupted build") }) {
		t.Errorf("notes %q do not say what was swept", res.Notes)
	}
}

// TestImageConfigSection: the config's image: section gives the base (an
// OCI layout inside the project) and the handler; the options override it.
func TestImageConfigSection(t *testing.T) {
	dir := example(t)
	ocitest.WriteLayout(t, filepath.Join(dir, "bases", "python"), ocitest.Index(false, "amd64", "arm64"))
	cfg, err := os.ReadFile(filepath.Join(dir, "layerkit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, "image:\n  base: oci:bases/python\n  handler: handler.handler\n"...)
	cfg = []byte(strings.Replace(string(cfg), "    - README.md\n", "    - README.md\n    - bases/**\n", 1))
	if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := runImage(t, dir, "", build.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Manifest.Artifacts[0]
	cf, _ := readImage(t, filepath.Join(dir, "dist", a.Path)).ConfigFile()
	if !slices.Equal(cf.Config.Cmd, []string{"handler.handler"}) {
		t.Errorf("cmd %q, want the config's handler", cf.Config.Cmd)
	}
	res, err = runImage(t, dir, "", build.ImageOptions{Handler: "app.core.handler"})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ = readImage(t, filepath.Join(dir, "dist", res.Manifest.Artifacts[0].Path)).ConfigFile()
	if !slices.Equal(cf.Config.Cmd, []string{"app.core.handler"}) {
		t.Errorf("cmd %q, want the option's handler", cf.Config.Cmd)
	}
}
