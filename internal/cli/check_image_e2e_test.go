package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	it "github.com/layerkit/layerkit/internal/image/imagetest"
)

// dockerRegistry starts Debian's docker-registry (the CNCF distribution
// registry) on a free loopback port with its storage in a temporary folder,
// and returns its host:port. It skips the test when the program is absent
// (scripts/test.sh installs it).
func dockerRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed (apt-get install docker-registry; scripts/test.sh does)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "storage"), addr), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfg)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	client := &http.Client{Timeout: time.Second}
	for range 100 {
		resp, err := client.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not answer on %s:\n%s", addr, logs.String())
	return ""
}

// skopeo runs skopeo with a policy that accepts unsigned images and an
// auth file of its own.
func skopeo(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Skip("skopeo not installed (apt-get install skopeo; scripts/test.sh does)")
	}
	cmd := exec.Command("skopeo", append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = append(os.Environ(), "REGISTRY_AUTH_FILE="+filepath.Join(t.TempDir(), "auth.json"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestCheckImageE2E pushes a synthetic Lambda-like image to a real
// registry server with skopeo and checks it with `layerkit check --image`,
// then checks the same image as skopeo writes it to an OCI archive and a
// docker archive.
func TestCheckImageE2E(t *testing.T) {
	addr := dockerRegistry(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	dir := t.TempDir()
	layout := it.WriteLayout(t, filepath.Join(dir, "layout"), it.Lambda(t, "arm64"))
	ref := addr + "/x:tag"
	skopeo(t, "copy", "--dest-tls-verify=false", "oci:"+layout, "docker://"+ref)

	res := runCLI(t, nil, "check", "--image", ref, "--format", "json")
	if res.code != ExitOK || !strings.Contains(res.stdout, `"targets": [`) || !strings.Contains(res.stdout, "python3.12-arm64") {
		t.Errorf("pushed image: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, nil, "check", "--image", ref, "--arch", "x86_64")
	if res.code != ExitFindings || !strings.Contains(res.stdout, ref) || !strings.Contains(res.stdout, "LK165") {
		t.Errorf("pushed image on x86_64: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}

	ociArchive := filepath.Join(dir, "oci.tar")
	dockerArchive := filepath.Join(dir, "docker.tar")
	skopeo(t, "copy", "--src-tls-verify=false", "docker://"+ref, "oci-archive:"+ociArchive)
	skopeo(t, "copy", "--src-tls-verify=false", "docker://"+ref, "docker-archive:"+dockerArchive+":x:tag")
	for _, p := range []string{ociArchive, dockerArchive} {
		res := runCLI(t, nil, "check", p, "--arch", "arm64")
		if res.code != ExitOK || !strings.Contains(res.stdout, "6 files for python3.12-arm64") {
			t.Errorf("%s: exit %d\nstdout %s\nstderr %s", filepath.Base(p), res.code, res.stdout, res.stderr)
		}
	}
}
