package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
	"github.com/layerkit/layerkit/layers"
)

// TestBuildImage: `build --image` on an OCI layout base prints one line per
// image and writes their layouts; check of that output folder says it holds
// images only, without breaking.
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
	c := runCLI(t, nil, "check", filepath.Join(dir, "dist"))
	if c.code != 1 || !strings.Contains(c.stderr, "the build made container images only") {
		t.Fatalf("check: exit %d, stderr %q", c.code, c.stderr)
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
