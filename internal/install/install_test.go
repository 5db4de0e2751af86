package install_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/install"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/source"
	"github.com/layerkit/layerkit/internal/testutil"
	"github.com/layerkit/layerkit/layers"
)

func makeWheel(t *testing.T, dir, name, tag string, files map[string][]byte) {
	testutil.MakeWheel(t, dir, name, tag, files)
}

func fixture(t *testing.T, name string) []byte { return testutil.Fixture(t, name) }

// wheels makes a local wheel folder: fastpkg for cp312 on both arches and
// cp39 on x86_64, a pure purepkg, and newpkg only for glibc 2.28.
func wheels(t *testing.T) string {
	dir := t.TempDir()
	init := []byte("from . import _speed\n")
	makeWheel(t, dir, "fastpkg", "cp312-cp312-manylinux_2_17_aarch64", map[string][]byte{
		"fastpkg/__init__.py": init, "fastpkg/_speed.cpython-312-aarch64-linux-gnu.so": fixture(t, "libanswer-arm64.so")})
	makeWheel(t, dir, "fastpkg", "cp312-cp312-manylinux_2_17_x86_64", map[string][]byte{
		"fastpkg/__init__.py": init, "fastpkg/_speed.cpython-312-x86_64-linux-gnu.so": fixture(t, "libanswer-x86_64.so")})
	makeWheel(t, dir, "fastpkg", "cp39-cp39-manylinux2014_x86_64", map[string][]byte{
		"fastpkg/__init__.py": init, "fastpkg/_speed.cpython-39-x86_64-linux-gnu.so": fixture(t, "libanswer-x86_64.so")})
	makeWheel(t, dir, "purepkg", "py3-none-any", map[string][]byte{"purepkg/__init__.py": []byte("X = 1\n")})
	makeWheel(t, dir, "newpkg", "cp39-cp39-manylinux_2_28_x86_64", map[string][]byte{
		"newpkg/__init__.py": []byte(""), "newpkg/_n.cpython-39-x86_64-linux-gnu.so": fixture(t, "libanswer-x86_64.so")})
	return dir
}

func project(t *testing.T, requirements string, targets ...string) *config.Config {
	dir := t.TempDir()
	for _, tg := range targets {
		os.MkdirAll(filepath.Join(dir, "layers", tg), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(requirements), 0o644)
	os.WriteFile(filepath.Join(dir, "handler.py"), []byte("def handler(e, c): pass\n"), 0o644)
	cfg, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func needPip(t *testing.T) {
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		t.Skip("python3 -m pip is not available")
	}
}

func TestInstallPythonForTwoTargets(t *testing.T) {
	needPip(t)
	cfg := project(t, "fastpkg\npurepkg\n", "python3.12-arm64", "python3.12-x86_64")
	keep := filepath.Join(cfg.Dir, "layers", "python3.12-arm64", "lib", "libkeep.so")
	os.MkdirAll(filepath.Dir(keep), 0o755)
	os.WriteFile(keep, fixture(t, "libanswer-arm64.so"), 0o755)
	stale := filepath.Join(cfg.Dir, "layers", "python3.12-arm64", "python", "stale.py")
	os.MkdirAll(filepath.Dir(stale), 0o755)
	os.WriteFile(stale, []byte("old"), 0o644)

	jobs, err := install.Plan(cfg, nil)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("plan: %+v, %v", jobs, err)
	}
	for _, r := range install.Run(t.Context(), jobs, install.Options{Extra: []string{"--no-index", "--find-links", wheels(t)}, UV: "-"}) {
		if r.Err != nil {
			t.Fatalf("%s: %v\n%s", r.Job.Target, r.Err, r.Output)
		}
		res, err := source.Run(t.Context(), source.Request{Paths: []string{r.Job.Dir}, Runtime: r.Job.Target.Runtime, Arch: r.Job.Target.Arch})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			if f.Severity == lint.Error {
				t.Errorf("%s: %s %s %s", r.Job.Target, f.Rule, f.Path, f.Message)
			}
		}
	}
	so := filepath.Join(cfg.Dir, "layers", "python3.12-arm64", "python", "fastpkg", "_speed.cpython-312-aarch64-linux-gnu.so")
	if _, err := os.Stat(so); err != nil {
		t.Errorf("arm64 extension missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "layers", "python3.12-x86_64", "python", "fastpkg", "_speed.cpython-312-x86_64-linux-gnu.so")); err != nil {
		t.Errorf("x86_64 extension missing: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("lib/ beside python/ was touched: %v", err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the previous python/ was not replaced")
	}
	ents, _ := os.ReadDir(filepath.Join(cfg.Dir, "layers", "python3.12-arm64"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".layerkit") || strings.Contains(e.Name(), "layerkit-old") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestInstallNoWheelKeepsPreviousFolder(t *testing.T) {
	needPip(t)
	cfg := project(t, "newpkg\n", "python3.9-x86_64")
	marker := filepath.Join(cfg.Dir, "layers", "python3.9-x86_64", "python", "previous.py")
	os.MkdirAll(filepath.Dir(marker), 0o755)
	os.WriteFile(marker, []byte("x"), 0o644)
	jobs, err := install.Plan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := install.Run(t.Context(), jobs, install.Options{Extra: []string{"--no-index", "--find-links", wheels(t)}, UV: "-"})[0]
	var nw *install.NoWheelError
	if !errors.As(r.Err, &nw) || nw.Package != "newpkg" || !strings.Contains(r.Err.Error(), "manylinux_2_26_x86_64") {
		t.Fatalf("err = %v\n%s", r.Err, r.Output)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("previous layer folder changed: %v", err)
	}
}

func TestPlatformTags(t *testing.T) {
	tags := install.PlatformTags(layers.Target{Runtime: "python3.9", Arch: layers.X86_64})
	if tags[0] != "manylinux_2_26_x86_64" || !contains(tags, "manylinux2014_x86_64") || !contains(tags, "manylinux1_x86_64") || contains(tags, "manylinux_2_28_x86_64") {
		t.Errorf("python3.9 x86_64: %v", tags)
	}
	tags = install.PlatformTags(layers.Target{Runtime: "python3.12", Arch: layers.ARM64})
	if tags[0] != "manylinux_2_34_aarch64" || !contains(tags, "manylinux2014_aarch64") {
		t.Errorf("python3.12 arm64: %v", tags)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestInstallNode packs a package with one optional dependency per CPU as
// local tarballs; npm must pick the target's, whatever the host.
func TestInstallNode(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	dir := t.TempDir()
	pkgs := filepath.Join(dir, "pkgs")
	for _, cpu := range []string{"arm64", "x64"} {
		p := filepath.Join(pkgs, "src-"+cpu)
		os.MkdirAll(p, 0o755)
		os.WriteFile(filepath.Join(p, "package.json"), []byte(fmt.Sprintf(`{"name":"fastmod-linux-%s","version":"1.0.0","os":["linux"],"cpu":["%s"],"libc":["glibc"]}`, cpu, cpu)), 0o644)
		os.WriteFile(filepath.Join(p, "index.js"), []byte("module.exports = '"+cpu+"'\n"), 0o644)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", pkgs)
		cmd.Dir = p
		cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm pack: %v\n%s", err, out)
		}
	}
	proj := filepath.Join(dir, "app")
	os.MkdirAll(filepath.Join(proj, "layers", "nodejs22.x-arm64"), 0o755)
	os.WriteFile(filepath.Join(proj, "package.json"), []byte(`{"name":"app","version":"1.0.0","optionalDependencies":{
"fastmod-linux-arm64":"file:../pkgs/fastmod-linux-arm64-1.0.0.tgz","fastmod-linux-x64":"file:../pkgs/fastmod-linux-x64-1.0.0.tgz"}}`), 0o644)
	os.WriteFile(filepath.Join(proj, "index.mjs"), []byte("export const handler = async () => 1\n"), 0o644)
	cfg, err := config.Load(proj, "")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := install.Plan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := install.Run(t.Context(), jobs, install.Options{Extra: []string{"--offline"}})[0]
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Output)
	}
	nm := filepath.Join(proj, "layers", "nodejs22.x-arm64", "nodejs", "node_modules")
	if _, err := os.Stat(filepath.Join(nm, "fastmod-linux-arm64", "index.js")); err != nil {
		t.Errorf("arm64 package missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(nm, "fastmod-linux-x64")); err == nil {
		t.Error("the x64 package was installed for an arm64 target")
	}
}
