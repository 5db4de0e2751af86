package install_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/install"
	"github.com/layerkit/layerkit/layers"
)

func needNpm(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
}

// foreignArch is the CPU that is not the host's, so that an install for it
// is a cross install on any host.
func foreignArch() layers.Arch {
	if runtime.GOARCH == "arm64" {
		return layers.X86_64
	}
	return layers.ARM64
}

// addonFixture returns an ELF shared object for arch, which stands for a
// compiled .node addon.
func addonFixture(t *testing.T, arch layers.Arch) []byte {
	if arch == layers.ARM64 {
		return fixture(t, "libanswer-arm64.so")
	}
	return fixture(t, "libanswer-x86_64.so")
}

// npmPack writes a package from files (package.json among them) into a
// folder of dir and packs it there with npm pack; it returns the tarball.
func npmPack(t *testing.T, dir, name string, files map[string][]byte) string {
	t.Helper()
	src := filepath.Join(dir, "src-"+name)
	for p, b := range files {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm pack: %v\n%s", err, out)
	}
	return filepath.Join(dir, strings.TrimSpace(string(out)))
}

// nodeProject makes a project whose package.json depends on the tarballs
// and one layers/<target> folder, and plans its install.
func nodeProject(t *testing.T, target layers.Target, deps map[string]string) install.Job {
	t.Helper()
	proj := filepath.Join(t.TempDir(), "app")
	if err := os.MkdirAll(filepath.Join(proj, "layers", target.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	d := map[string]string{}
	for name, tgz := range deps {
		d[name] = "file:" + tgz
	}
	b, _ := json.Marshal(map[string]any{"name": "app", "version": "1.0.0", "dependencies": d})
	os.WriteFile(filepath.Join(proj, "package.json"), b, 0o644)
	os.WriteFile(filepath.Join(proj, "index.mjs"), []byte("export const handler = async () => 1\n"), 0o644)
	cfg, err := config.Load(proj, "")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := install.Plan(cfg, nil)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("plan: %+v, %v", jobs, err)
	}
	return jobs[0]
}

func pkgJSON(name string, scripts map[string]string) []byte {
	doc := map[string]any{"name": name, "version": "1.0.0"}
	if scripts != nil {
		doc["scripts"] = scripts
	}
	b, _ := json.Marshal(doc)
	return b
}

// writeEnv is an install script that writes the environment it sees to
// $LAYERKIT_TEST_ENV_DIR/<package>.json.
const writeEnv = `node -e "require('fs').writeFileSync(require('path').join(process.env.LAYERKIT_TEST_ENV_DIR, process.env.npm_package_name + '.json'), JSON.stringify(process.env))"`

func readEnv(t *testing.T, dir, pkg string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, pkg+".json"))
	if err != nil {
		t.Fatalf("the install script of %s did not run: %v", pkg, err)
	}
	var env map[string]string
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestInstallNodeTargetEnv checks what an install script sees when the
// target is not the host: the target's CPU, platform, libc, runtime and
// Node version in the npm_config_* the downloaders of prebuilt binaries
// read, and node-gyp replaced by layerkit's stand-in.
func TestInstallNodeTargetEnv(t *testing.T) {
	needNpm(t)
	envDir := t.TempDir()
	t.Setenv("LAYERKIT_TEST_ENV_DIR", envDir)
	dir := t.TempDir()
	tgz := npmPack(t, dir, "envpkg", map[string][]byte{
		"package.json": pkgJSON("envpkg", map[string]string{"install": writeEnv}),
		"index.js":     []byte("module.exports = 1\n"),
	})
	arch := foreignArch()
	j := nodeProject(t, layers.Target{Runtime: "nodejs22.x", Arch: arch}, map[string]string{"envpkg": tgz})
	r := install.Run(t.Context(), []install.Job{j}, install.Options{Extra: []string{"--offline"}})[0]
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Output)
	}
	env := readEnv(t, envDir, "envpkg")
	cpu := arch.NodeCPU()
	for k, want := range map[string]string{
		"npm_config_arch": cpu, "npm_config_target_arch": cpu,
		"npm_config_platform": "linux", "npm_config_target_platform": "linux",
		"npm_config_libc": "glibc", "npm_config_target_libc": "glibc",
		"npm_config_runtime": "node", "npm_config_target": "22.0.0",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	if opts := env["NODE_OPTIONS"]; !strings.Contains(opts, `--require "`+install.StagingDir(j.Project)) {
		t.Errorf("NODE_OPTIONS = %q, want it to load layerkit's node-gyp stand-in from the staging folder", opts)
	}
	if _, ok := env["CC"]; ok && env["CC"] != os.Getenv("CC") {
		t.Errorf("CC = %q without a toolchain", env["CC"])
	}
	if _, err := os.Stat(filepath.Join(j.Dir, "nodejs", "node_modules", "envpkg", "index.js")); err != nil {
		t.Error(err)
	}
}

// TestInstallNodeRefusesSourceBuild installs, for the CPU that is not the
// host's, a package with a binding.gyp and no prebuilt binary: npm's
// implicit `node-gyp rebuild` reaches layerkit's stand-in, and the install
// is refused, naming the package; the previous nodejs/ stays.
func TestInstallNodeRefusesSourceBuild(t *testing.T) {
	needNpm(t)
	dir := t.TempDir()
	gyp := []byte(`{"targets":[{"target_name":"native","sources":["native.c"]}]}`)
	tgz := npmPack(t, dir, "gyppkg", map[string][]byte{
		"package.json": pkgJSON("gyppkg", nil),
		"binding.gyp":  gyp,
		"native.c":     []byte("int answer(void) { return 42; }\n"),
	})
	explicit := npmPack(t, dir, "rebuildpkg", map[string][]byte{
		"package.json": pkgJSON("rebuildpkg", map[string]string{"install": "prebuild-install-absent || node-gyp rebuild"}),
		"binding.gyp":  gyp,
		"native.c":     []byte("int answer(void) { return 42; }\n"),
	})
	j := nodeProject(t, layers.Target{Runtime: "nodejs22.x", Arch: foreignArch()}, map[string]string{"gyppkg": tgz, "rebuildpkg": explicit})
	marker := filepath.Join(j.Dir, "nodejs", "previous.js")
	os.MkdirAll(filepath.Dir(marker), 0o755)
	os.WriteFile(marker, []byte("x"), 0o644)
	r := install.Run(t.Context(), []install.Job{j}, install.Options{Extra: []string{"--offline"}})[0]
	var sb *install.SourceBuildError
	if !errors.As(r.Err, &sb) {
		t.Fatalf("err = %v\n%s", r.Err, r.Output)
	}
	var names []string
	for _, p := range sb.Packages {
		names = append(names, p.Package)
		if !strings.Contains(p.Reason, "node-gyp rebuild") || !strings.Contains(p.Reason, "linux-"+foreignArch().NodeCPU()) {
			t.Errorf("%s: reason %q", p.Package, p.Reason)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"gyppkg", "rebuildpkg"}) {
		t.Errorf("refused %v, want gyppkg and rebuildpkg", names)
	}
	msg := r.Err.Error()
	if !strings.Contains(msg, "--cc, --cxx and --nodedir") || !strings.Contains(msg, "\n  gyppkg: its install script runs node-gyp rebuild") {
		t.Errorf("message:\n%s", msg)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the previous nodejs/ was replaced: %v", err)
	}
}

// TestInstallNodePrebuiltAndCleanup installs, for the CPU that is not the
// host's, a package with a binding.gyp that ships a prebuilt binary for
// the target and node-gyp's leftovers in build/: it is accepted, and the
// leftovers are gone from the layer.
func TestInstallNodePrebuiltAndCleanup(t *testing.T) {
	needNpm(t)
	arch := foreignArch()
	dir := t.TempDir()
	tgz := npmPack(t, dir, "prebuiltpkg", map[string][]byte{
		"package.json": pkgJSON("prebuiltpkg", nil),
		"binding.gyp":  []byte(`{"targets":[{"target_name":"fast","sources":["fast.c"]}]}`),
		"prebuilds/linux-" + arch.NodeCPU() + "/node.napi.node": addonFixture(t, arch),
		"build/Release/fast.node":                               addonFixture(t, arch),
		"build/Release/test_extension.node":                     addonFixture(t, arch),
		"build/Release/obj.target/fast/fast.o":                  []byte("obj"),
		"build/Release/.deps/Release/fast.node.d":               []byte("deps"),
		"build/Release/libfast.a":                               []byte("!<arch>\n"),
		"build/Makefile":                                        []byte("all:\n"),
		"build/fast.target.mk":                                  []byte("\n"),
		"build/config.gypi":                                     []byte("{}\n"),
		"build/Release/obj/gen/x.o":                             []byte("obj"),
		"build/node_gyp_bins/python3":                           []byte(""),
		"lib/index.js":                                          []byte("module.exports = require('node-gyp-build')(__dirname)\n"),
	})
	j := nodeProject(t, layers.Target{Runtime: "nodejs22.x", Arch: arch}, map[string]string{"prebuiltpkg": tgz})
	r := install.Run(t.Context(), []install.Job{j}, install.Options{Extra: []string{"--offline"}})[0]
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Output)
	}
	pkg := filepath.Join(j.Dir, "nodejs", "node_modules", "prebuiltpkg")
	var got []string
	filepath.WalkDir(pkg, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != pkg {
			rel, _ := filepath.Rel(pkg, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{"binding.gyp", "build", "build/Release", "build/Release/fast.node", "lib", "lib/index.js", "package.json",
		"prebuilds", "prebuilds/linux-" + arch.NodeCPU(), "prebuilds/linux-" + arch.NodeCPU() + "/node.napi.node"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("left in the layer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// fakeNodeDir makes a folder of Node headers of the given version, as
// node-gyp's --nodedir wants it.
func fakeNodeDir(t *testing.T, major, minor, patch string) string {
	dir := t.TempDir()
	h := filepath.Join(dir, "include", "node", "node_version.h")
	os.MkdirAll(filepath.Dir(h), 0o755)
	os.WriteFile(h, []byte("#define NODE_MAJOR_VERSION "+major+"\n#define NODE_MINOR_VERSION "+minor+"\n#define NODE_PATCH_VERSION "+patch+"\n"), 0o644)
	return dir
}

// TestInstallNodeCrossToolchain gives a toolchain for the CPU that is not
// the host's: the install script sees CC, CXX, npm_config_nodedir and the
// headers' Node version, no stand-in, and what it "compiles" (a prebuilt
// object copied into build/Release, standing for the compiler's output)
// is checked: the target's CPU passes, the host's is refused.
func TestInstallNodeCrossToolchain(t *testing.T) {
	needNpm(t)
	arch := foreignArch()
	host := layers.X86_64
	if arch == layers.X86_64 {
		host = layers.ARM64
	}
	envDir := t.TempDir()
	t.Setenv("LAYERKIT_TEST_ENV_DIR", envDir)
	tc := install.Toolchain{CC: "/opt/cross/bin/aarch64-linux-gnu-gcc", CXX: "/opt/cross/bin/aarch64-linux-gnu-g++", NodeDir: fakeNodeDir(t, "22", "11", "0")}
	for _, c := range []struct {
		name  string
		built layers.Arch
		ok    bool
	}{{"target", arch, true}, {"host", host, false}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			obj := filepath.Join(dir, "compiled.node")
			os.WriteFile(obj, addonFixture(t, c.built), 0o644)
			compile := writeEnv + ` && node -e "const fs = require('fs'); fs.mkdirSync('build/Release/obj.target', {recursive: true}); fs.writeFileSync('build/Release/obj.target/cross.o', ''); fs.copyFileSync('` + obj + `', 'build/Release/cross.node')"`
			tgz := npmPack(t, dir, "crosspkg", map[string][]byte{
				"package.json": pkgJSON("crosspkg", map[string]string{"install": compile}),
				"binding.gyp":  []byte(`{"targets":[{"target_name":"cross","sources":["cross.c"]}]}`),
				"cross.c":      []byte("int answer(void) { return 42; }\n"),
			})
			j := nodeProject(t, layers.Target{Runtime: "nodejs22.x", Arch: arch}, map[string]string{"crosspkg": tgz})
			r := install.Run(t.Context(), []install.Job{j}, install.Options{Extra: []string{"--offline"}, Toolchain: tc})[0]
			env := readEnv(t, envDir, "crosspkg")
			for k, want := range map[string]string{"CC": tc.CC, "CXX": tc.CXX, "npm_config_nodedir": tc.NodeDir,
				"npm_config_target": "22.11.0", "npm_config_arch": arch.NodeCPU()} {
				if env[k] != want {
					t.Errorf("%s = %q, want %q", k, env[k], want)
				}
			}
			if strings.Contains(env["NODE_OPTIONS"], install.StagingDir(j.Project)) {
				t.Error("node-gyp was replaced by the stand-in though a toolchain was given")
			}
			if c.ok {
				if r.Err != nil {
					t.Fatalf("%v\n%s", r.Err, r.Output)
				}
				pkg := filepath.Join(j.Dir, "nodejs", "node_modules", "crosspkg")
				if _, err := os.Stat(filepath.Join(pkg, "build", "Release", "cross.node")); err != nil {
					t.Error(err)
				}
				if _, err := os.Stat(filepath.Join(pkg, "build", "Release", "obj.target")); err == nil {
					t.Error("obj.target/ was left in the layer")
				}
				return
			}
			var sb *install.SourceBuildError
			if !errors.As(r.Err, &sb) || len(sb.Packages) != 1 || sb.Packages[0].Package != "crosspkg" ||
				!strings.Contains(sb.Packages[0].Reason, "build/Release/cross.node is for "+string(host)) ||
				!sb.Cross || !strings.Contains(r.Err.Error(), "compiled with the given toolchain do not fit the target") {
				t.Fatalf("err = %v\n%s", r.Err, r.Output)
			}
			if _, err := os.Stat(filepath.Join(j.Dir, "nodejs")); err == nil {
				t.Error("a refused install left nodejs/ in the layer folder")
			}
		})
	}
}

// TestInstallNodeHeadersMustMatch refuses a --nodedir whose headers are
// of another Node major than the runtime's, before running npm.
func TestInstallNodeHeadersMustMatch(t *testing.T) {
	j := install.Job{Layer: "deps", Target: layers.Target{Runtime: "nodejs22.x", Arch: foreignArch()}, Dir: filepath.Join(t.TempDir(), "layer"), Project: t.TempDir(), PackageJSON: filepath.Join(t.TempDir(), "package.json")}
	os.WriteFile(j.PackageJSON, []byte(`{"name":"app"}`), 0o644)
	r := install.Run(t.Context(), []install.Job{j}, install.Options{Toolchain: install.Toolchain{NodeDir: fakeNodeDir(t, "20", "19", "0")}})[0]
	if r.Err == nil || !strings.Contains(r.Err.Error(), "holds the headers of Node 20.19.0; nodejs22.x runs Node 22") || r.Command != nil {
		t.Errorf("err = %v, command %v", r.Err, r.Command)
	}
}

func TestNodeVersion(t *testing.T) {
	for rt, want := range map[string]string{"nodejs18.x": "18.0.0", "nodejs20.x": "20.0.0", "nodejs22.x": "22.0.0", "nodejs24.x": "24.0.0"} {
		if got := install.NodeVersion(layers.Target{Runtime: rt, Arch: layers.ARM64}); got != want {
			t.Errorf("%s: %s, want %s", rt, got, want)
		}
	}
}
