package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	it "github.com/layerkit/layerkit/internal/image/imagetest"
)

// TestCheckImageRegistry checks an image in go-containerregistry's
// in-memory registry on loopback, over plain HTTP, as `check --image` does
// with a real one: an amd64 image for an arm64 function fails on invoke.
func TestCheckImageRegistry(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the machine
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/app:v1"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, it.Lambda(t, "amd64")); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "check", "--image", ref)
	if res.code != ExitOK || !strings.Contains(res.stderr, "layerkit: note: "+ref+": architecture x86_64 from the image's config") {
		t.Errorf("own platform: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, nil, "check", "--image", ref, "--arch", "arm64")
	if res.code != ExitFindings || !strings.Contains(res.stdout, "LK165") || !strings.Contains(res.stdout, ref) {
		t.Errorf("arm64: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, nil, "check", "--image", strings.TrimPrefix(srv.URL, "http://")+"/missing:v1")
	if res.code != ExitError || !strings.Contains(res.stderr, "missing:v1") {
		t.Errorf("missing image: exit %d\nstderr %s", res.code, res.stderr)
	}
	res = runCLI(t, nil, "check", "--image", ref, "--function", "main.zip")
	if res.code != ExitUsage {
		t.Errorf("--image with --function: exit %d", res.code)
	}
}
