package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/publish"
)

func builtExample(t *testing.T) string {
	dir := example(t)
	if r := runCLI(t, nil, "build", dir); r.code != 0 {
		t.Fatalf("build: %+v", r)
	}
	return filepath.Join(dir, "dist")
}

func TestPublishDryRunNeedsNoCredentials(t *testing.T) {
	dist := builtExample(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	r := runCLI(t, nil, "publish", dist, "--regions", "eu-west-1", "--bucket", "artifacts-{region}", "--dry-run", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc publish.Published
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Layers) != 2 {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if l := doc.Layers[1]; l.Name != "deps-python3_12-arm64" || l.Planned != "publish" || !strings.HasPrefix(l.Content, "s3://artifacts-eu-west-1/layers/deps-python3_12-arm64/") {
		t.Errorf("layer = %+v", l)
	}
	if _, err := os.Stat(filepath.Join(dist, publish.PublishedFile)); err == nil {
		t.Error("a dry run wrote published.json")
	}
}

func TestPublishUsage(t *testing.T) {
	dist := builtExample(t)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"publish", dist}, ExitUsage, "no regions: give --regions or set publish.regions in layerkit.yaml"},
		{[]string{"publish", dist, "--regions", "eu-west-1", "--share", "everyone"}, ExitUsage, `share "everyone": want account:<12-digit ID>, org:o-<id> or public`},
		{[]string{"publish", t.TempDir(), "--regions", "eu-west-1"}, ExitError, "has no manifest.json: run 'layerkit build' first"},
		{[]string{"prune", dist, "--regions", "eu-west-1", "--keep", "0"}, ExitUsage, "--keep 0: keep at least the newest version"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
	}
}

// TestPublishMoto runs publish and prune through the CLI against
// moto_server: two regions, then again with nothing new, then without
// credentials (exit 4).
func TestPublishMoto(t *testing.T) {
	ep, _, _ := awstest.Moto(t)
	dist := builtExample(t)
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	args := []string{"publish", dist, "--regions", "us-east-1,eu-west-1", "--format", "json"}
	var runs [2]publish.Published
	for i := range runs {
		r := runCLI(t, env, args...)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &runs[i]); err != nil || len(runs[i].Layers) != 4 {
			t.Fatalf("run %d: %v %s", i, err, r.stdout)
		}
	}
	for i, l := range runs[1].Layers {
		if !runs[0].Layers[i].Published || l.Published || l.VersionARN != runs[0].Layers[i].VersionARN {
			t.Errorf("layer %d: first %+v, second %+v", i, runs[0].Layers[i], l)
		}
	}
	saved, err := publish.ReadResults(filepath.Join(dist, publish.PublishedFile))
	if err != nil || len(saved.Layers) != 4 || saved.Layers[0].VersionARN != runs[0].Layers[0].VersionARN {
		t.Errorf("published.json: %+v, %v", saved, err)
	}
	r := runCLI(t, env, "prune", dist, "--regions", "eu-west-1", "--keep", "1")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "LAYER") {
		t.Errorf("prune: %+v", r)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	r = runCLI(t, env, args...)
	if r.code != ExitAWS || !strings.Contains(r.stderr, "no usable AWS credentials") {
		t.Errorf("without credentials: exit %d, stderr %q", r.code, r.stderr)
	}
}
