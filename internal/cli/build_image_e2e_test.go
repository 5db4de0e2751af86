package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerkit/layerkit/internal/ociwrite/ocitest"
)

// startRegistry runs Debian's docker-registry (the Distribution registry)
// on a free loopback port with storage in a temporary folder, stopped when
// the test ends, and returns its host:port. The test is skipped where the
// server, skopeo or umoci is missing (scripts/test.sh installs them).
func startRegistry(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"docker-registry", "skopeo", "umoci"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install docker-registry skopeo umoci); skipping the end-to-end image test", tool)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "storage"), host)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command("docker-registry", "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 100 {
		if resp, err := http.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			return host
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not start: %s", logs.String())
	return ""
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %q: %v: %s", name, args, err, stderr)
	}
	return out
}

// TestBuildImageRegistryEndToEnd pushes the example's images to a real
// registry server, on a base pulled from it, then reads one back as other
// tools do: skopeo sees one manifest (not an index) for arm64 with CMD the
// handler, and umoci's unpacking of skopeo's copy holds, under /var/task
// and /opt, exactly the files of the main and layer zips, byte for byte,
// with their executable bits.
func TestBuildImageRegistryEndToEnd(t *testing.T) {
	host := startRegistry(t)
	baseRef := host + "/lambda/python:3.12"
	ref, err := name.ParseReference(baseRef)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, ocitest.Index(false, "amd64", "arm64")); err != nil {
		t.Fatal(err)
	}
	dir := example(t)
	// The zips, built first, say what /var/task and /opt must hold.
	zips := runCLI(t, nil, "build", dir, "--out", filepath.Join(t.TempDir(), "zips"), "--format", "json")
	if zips.code != 0 {
		t.Fatalf("zip build: %s", zips.stderr)
	}
	var rep buildReport
	if err := json.Unmarshal([]byte(zips.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	repo := host + "/app"
	r := runCLI(t, nil, "build", dir, "--image", "--base", baseRef, "--handler", "handler.handler", "--push", repo)
	if r.code != 0 {
		t.Fatalf("build: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "pushed "+repo+"@sha256:") {
		t.Errorf("stdout does not say where the images went:\n%s", r.stdout)
	}

	tag := "docker://" + repo + ":python3.12-arm64"
	raw := run(t, "skopeo", "inspect", "--tls-verify=false", "--raw", tag)
	var m struct {
		MediaType string            `json:"mediaType"`
		Layers    []json.RawMessage `json:"layers"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || len(m.Manifests) != 0 || len(m.Layers) != 3 {
		t.Errorf("pushed manifest: %s", raw)
	}
	var info struct{ Architecture, Os string }
	if err := json.Unmarshal(run(t, "skopeo", "inspect", "--tls-verify=false", tag), &info); err != nil {
		t.Fatal(err)
	}
	if info.Architecture != "arm64" || info.Os != "linux" {
		t.Errorf("skopeo inspect: %+v", info)
	}
	var cfg struct {
		Config struct{ Cmd, Entrypoint []string } `json:"config"`
	}
	if err := json.Unmarshal(run(t, "skopeo", "inspect", "--tls-verify=false", "--config", tag), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Config.Cmd, []string{"handler.handler"}) || !slices.Equal(cfg.Config.Entrypoint, []string{"/lambda-entrypoint.sh"}) {
		t.Errorf("config: cmd %q entrypoint %q", cfg.Config.Cmd, cfg.Config.Entrypoint)
	}

	work := t.TempDir()
	run(t, "skopeo", "copy", "--src-tls-verify=false", tag, "oci:"+filepath.Join(work, "oci")+":img")
	bundle := filepath.Join(work, "bundle")
	run(t, "umoci", "unpack", "--rootless", "--image", filepath.Join(work, "oci")+":img", bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	for _, a := range rep.Manifest.Artifacts {
		var under, srcDir string
		switch {
		case a.Kind == "function":
			under, srcDir = "var/task", dir
		case a.Target().String() == "python3.12-arm64":
			under, srcDir = "opt", filepath.Join(dir, "layers", "python3.12-arm64")
		default:
			continue
		}
		sameTree(t, filepath.Join(rep.Out, a.Path), srcDir, filepath.Join(rootfs, under))
	}
	if b, err := os.ReadFile(filepath.Join(rootfs, "lambda-entrypoint.sh")); err != nil || string(b) != ocitest.Entrypoint {
		t.Errorf("the base's entrypoint is not in the unpacked image: %v", err)
	}
}

// sameTree checks that the files under got are exactly the zip's entries,
// each with its source's bytes and executable bit (symlinks with their
// targets).
func sameTree(t *testing.T, zipPath, src, got string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]bool{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		want[f.Name] = true
		p, s := filepath.Join(got, f.Name), filepath.Join(src, f.Name)
		if f.Mode()&fs.ModeSymlink != 0 {
			gl, err1 := os.Readlink(p)
			wl, err2 := os.Readlink(s)
			if err1 != nil || err2 != nil || gl != wl {
				t.Errorf("%s: link %q (%v), want %q (%v)", p, gl, err1, wl, err2)
			}
			continue
		}
		gb, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		rc, _ := f.Open()
		wb, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s: %d bytes in the image, the source has %d, or they differ", p, len(gb), len(wb))
		}
		fi, _ := os.Stat(p)
		if fi.Mode()&0o111 != 0 != (f.Mode()&0o111 != 0) {
			t.Errorf("%s: mode %v in the image, %v in the zip", p, fi.Mode(), f.Mode())
		}
	}
	filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(got, p)
		if !want[filepath.ToSlash(rel)] {
			t.Errorf("%s: in the image, not in the zip", p)
		}
		return nil
	})
}
