package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
	"github.com/layerkit/layerkit/layers"
)

// TestBuildImage: `build --image` on an OCI layout base prints one line per
// image and writes their layouts; check of that output folder checks each
// image for its target.
func TestBuildImage(t *testing.T) {
	dir := example(t)
	base := filepath.Join(t.TempDir(), "base")
	ocitest.WriteLayout(t, base, ocitest.Index(false, "amd64", "arm64"))
	r := runCLI(t, nil, "build", dir, "--image", "--base", "oci:"+base, "--handler", "handler.handler")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	digest := regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TARGET") || !digest.MatchString(lines[1]) || !strings.Contains(lines[1], filepath.Join(dir, "dist", "images")) ||
		lines[3] != "wrote 2 images and "+filepath.Join(dir, "dist", "manifest.json") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	j := runCLI(t, nil, "build", dir, "--image", "--base", "oci:"+base, "--handler", "handler.handler", "--format", "json")
	var rep buildReport
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil || j.code != 0 {
		t.Fatalf("--format json: exit %d, %v: %s", j.code, err, j.stdout)
	}
	for _, a := range rep.Manifest.Artifacts {
		if a.Kind != layers.KindImage || !digest.MatchString(a.Digest) || a.SHA256 != "" {
			t.Errorf("json artifact %+v", a)
		}
		if !strings.Contains(lines[1]+lines[2], a.Digest) {
			t.Errorf("%s: digest %s differs from the text run's: not deterministic", a.Name, a.Digest)
		}
	}
	// check of the output folder checks each image for its target.
	c := runCLI(t, nil, "check", filepath.Join(dir, "dist"), "--format", "json")
	var crep struct {
		Summary struct {
			Artifacts int
			Targets   []string
		}
	}
	if err := json.Unmarshal([]byte(c.stdout), &crep); err != nil || c.code == 1 || c.code == 2 {
		t.Fatalf("check: exit %d, %v, stderr %q", c.code, err, c.stderr)
	}
	if crep.Summary.Artifacts != 2 || len(crep.Summary.Targets) != 2 {
		t.Errorf("check of the images: %+v, want 2 images for 2 targets", crep.Summary)
	}

	r = runCLI(t, nil, "build", dir, "--image", "--base", "oci:"+base)
	if r.code != 1 || !strings.Contains(r.stderr, "give --handler or image.handler") {
		t.Fatalf("no handler: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBuildImageUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--handler", "a.b"}, "layerkit: --handler is for image builds: add --image\n"},
		{[]string{"build", "--image", "--handler", "a b"}, "layerkit: --handler: \"a b\" holds a space"},
		{[]string{"build", "--image", "--push", "UPPER::"}, "layerkit: --push \"UPPER::\": want a repository"},
		{[]string{"build", "--image", "--base", "oci:"}, "layerkit: --base: oci: names no folder"},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2, %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// An image whose check finds an error is not put in place: the build fails
// with the findings printed, and the output folder holds no image.
func TestBuildImageCheckFails(t *testing.T) {
	dir := example(t)
	so, err := os.ReadFile(filepath.Join("..", "elfcheck", "testdata", "libanswer-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "layers", "python3.12-arm64", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lib, "libanswer.so"), so, 0o755); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "base")
	ocitest.WriteLayout(t, base, ocitest.Index(false, "amd64", "arm64"))
	r := runCLI(t, nil, "build", dir, "--image", "--base", "oci:"+base, "--handler", "handler.handler")
	if r.code != 3 || !strings.Contains(r.stderr, "LK101 /opt/lib/libanswer.so") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "nothing was pushed or put in place") {
		t.Errorf("stderr does not say the image was held back:\n%s", r.stderr)
	}
	if es, _ := os.ReadDir(filepath.Join(dir, "dist", "images")); len(es) > 0 {
		t.Errorf("images/ holds %v after a failed check", es)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist", "manifest.json")); !os.IsNotExist(err) {
		t.Errorf("manifest.json after a failed check: %v", err)
	}
}
