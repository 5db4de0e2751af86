package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/testutil"
)

func TestInstallUsage(t *testing.T) {
	r := runCLI(t, nil, "install", "--target", "python3.12-sparc")
	if r.code != ExitUsage || !strings.HasPrefix(r.stderr, `layerkit: --target: target "python3.12-sparc": unknown architecture`) {
		t.Errorf("%+v", r)
	}
	r = runCLI(t, nil, "install", "a", "b")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "at most 1 folder before --") {
		t.Errorf("%+v", r)
	}
	r = runCLI(t, nil, "install", "--cc", "aarch64-linux-gnu-gcc")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--cc and --cxx go together") {
		t.Errorf("%+v", r)
	}
	r = runCLI(t, nil, "install", "--cc", "aarch64-linux-gnu-gcc", "--cxx", "aarch64-linux-gnu-g++")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "need --nodedir") {
		t.Errorf("%+v", r)
	}
	r = runCLI(t, nil, "install", t.TempDir())
	if r.code != ExitError || !strings.Contains(r.stderr, "nothing to install") {
		t.Errorf("%+v", r)
	}
}

// TestInstallThenCheck fills the example's two layer folders from a local
// wheel folder (arguments after -- go to pip), then checks them: the arm64
// folder gets the aarch64 wheel, and the report says so.
func TestInstallThenCheck(t *testing.T) {
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		t.Skip("python3 -m pip is not available")
	}
	dir := example(t)
	wheels := t.TempDir()
	testutil.MakeWheel(t, wheels, "fastpkg", "cp312-cp312-manylinux_2_17_aarch64", map[string][]byte{
		"fastpkg/_speed.cpython-312-aarch64-linux-gnu.so": testutil.Fixture(t, "libanswer-arm64.so")})
	testutil.MakeWheel(t, wheels, "fastpkg", "cp39-cp39-manylinux2014_x86_64", map[string][]byte{
		"fastpkg/_speed.cpython-39-x86_64-linux-gnu.so": testutil.Fixture(t, "libanswer-x86_64.so")})
	req := filepath.Join(dir, "requirements.txt")
	os.WriteFile(req, []byte("fastpkg\n"), 0o644)
	cfgText, _ := os.ReadFile(filepath.Join(dir, "layerkit.yaml"))
	cfgNew := strings.Replace(string(cfgText), "  deps:\n", "  deps:\n    install: {python: requirements.txt}\n", 1)
	if cfgNew == string(cfgText) {
		t.Fatal("the example's layerkit.yaml has no deps layer to extend")
	}
	os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(cfgNew), 0o644)
	r := runCLI(t, nil, "install", dir, "--", "--no-index", "--find-links", wheels)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "no findings in 2 artifacts") || !strings.Contains(r.stderr, "installing "+req+" for python3.12-arm64") {
		t.Errorf("stdout %q\nstderr %q", r.stdout, r.stderr)
	}
	so := filepath.Join(dir, "layers", "python3.12-arm64", "python", "fastpkg", "_speed.cpython-312-aarch64-linux-gnu.so")
	if _, err := os.Stat(so); err != nil {
		t.Error(err)
	}
}

// TestInstallToolchainFlags shows --nodedir reaching the install: headers
// of another Node major than the target's are refused before npm runs.
func TestInstallToolchainFlags(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "layers", "nodejs22.x-arm64"), 0o755)
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"app","version":"1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "index.mjs"), []byte("export const handler = async () => 1\n"), 0o644)
	headers := t.TempDir()
	h := filepath.Join(headers, "include", "node", "node_version.h")
	os.MkdirAll(filepath.Dir(h), 0o755)
	os.WriteFile(h, []byte("#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 19\n#define NODE_PATCH_VERSION 0\n"), 0o644)
	r := runCLI(t, nil, "install", dir, "--cc", "aarch64-linux-gnu-gcc", "--cxx", "aarch64-linux-gnu-g++", "--nodedir", headers)
	want := "layerkit: nodejs22.x-arm64: --nodedir " + headers + " holds the headers of Node 20.19.0; nodejs22.x runs Node 22\n"
	if r.code != ExitError || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d\nstderr %q\nwant it to contain %q", r.code, r.stderr, want)
	}
}
