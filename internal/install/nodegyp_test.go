package install_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/install"
	"github.com/layerkit/layerkit/layers"
)

// These tests run the real node-gyp that npm ships, offline: the Node
// headers come from the host's Node package (/usr/include/node, so
// --nodedir /usr), the compilers from the host.

// hostNodeHeaders returns the host's Node major and /usr when
// /usr/include/node holds the headers of the Node on PATH, and skips
// otherwise; it also skips without npm, make or python3.
func hostNodeHeaders(t *testing.T) (major, nodedir string) {
	t.Helper()
	needNpm(t)
	for _, tool := range []string{"make", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Skip("node does not run")
	}
	major, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
	h, err := os.ReadFile("/usr/include/node/node_version.h")
	if err != nil || !strings.Contains(string(h), "#define NODE_MAJOR_VERSION "+major+"\n") {
		t.Skipf("/usr/include/node does not hold the headers of Node %s", major)
	}
	if _, ok := layers.LookupRuntime("nodejs" + major + ".x"); !ok {
		t.Skipf("no Lambda runtime runs Node %s", major)
	}
	return major, "/usr"
}

// addonPackage packs a package whose binding.gyp builds an N-API addon,
// answer.node, and a test extension beside it, as better-sqlite3 does.
func addonPackage(t *testing.T) string {
	dir := t.TempDir()
	return npmPack(t, dir, "answer", map[string][]byte{
		"package.json": pkgJSON("answer", nil),
		"binding.gyp": []byte(`{"targets": [
  {"target_name": "answer", "sources": ["answer.c"]},
  {"target_name": "test_extension", "sources": ["ext.c"]}
]}`),
		"answer.c": []byte(`#include <node_api.h>
static napi_value Init(napi_env env, napi_value exports) { return exports; }
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
`),
		"ext.c":    []byte("int ext(void) { return 1; }\n"),
		"index.js": []byte("module.exports = require('./build/Release/answer.node')\n"),
	})
}

// builtTree lists what the installed package holds under build/, and the
// ELF machine of build/Release/answer.node.
func builtTree(t *testing.T, pkg string) ([]string, elf.Machine) {
	t.Helper()
	var got []string
	filepath.WalkDir(filepath.Join(pkg, "build"), func(p string, d os.DirEntry, err error) error {
		if err == nil {
			rel, _ := filepath.Rel(pkg, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(got)
	f, err := elf.Open(filepath.Join(pkg, "build", "Release", "answer.node"))
	if err != nil {
		t.Fatalf("the addon: %v (build/ holds %v)", err, got)
	}
	defer f.Close()
	return got, f.Machine
}

// TestInstallNodeGypNative compiles an addon for the host's own CPU and
// Node: allowed without a toolchain (--nodedir only keeps node-gyp
// offline), and only the addon stays in build/.
func TestInstallNodeGypNative(t *testing.T) {
	major, nodedir := hostNodeHeaders(t)
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("cc is not installed")
	}
	host, err := layers.ParseArch(runtime.GOARCH)
	if err != nil {
		t.Skip(err)
	}
	j := nodeProject(t, layers.Target{Runtime: "nodejs" + major + ".x", Arch: host}, map[string]string{"answer": addonPackage(t)})
	r := install.Run(t.Context(), []install.Job{j}, install.Options{Extra: []string{"--offline"}, Toolchain: install.Toolchain{NodeDir: nodedir}})[0]
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Output)
	}
	got, machine := builtTree(t, filepath.Join(j.Dir, "nodejs", "node_modules", "answer"))
	if want := []string{"build", "build/Release", "build/Release/answer.node"}; !slices.Equal(got, want) {
		t.Errorf("build/ holds %v, want %v", got, want)
	}
	if machine != elf.Machine(host.ELFMachine()) {
		t.Errorf("addon for %v", machine)
	}
}

// TestInstallNodeGypCross cross-compiles the addon for the CPU that is not
// the host's with a real cross compiler (Debian's gcc-aarch64-linux-gnu
// on x86_64, gcc-x86-64-linux-gnu on arm64), skipping without one.
func TestInstallNodeGypCross(t *testing.T) {
	major, nodedir := hostNodeHeaders(t)
	arch := foreignArch()
	prefix := "aarch64-linux-gnu-"
	if arch == layers.X86_64 {
		prefix = "x86_64-linux-gnu-"
	}
	cc, err1 := exec.LookPath(prefix + "gcc")
	cxx, err2 := exec.LookPath(prefix + "g++")
	if err1 != nil || err2 != nil {
		t.Skipf("no %sgcc and %sg++ (apt-get install g++-%s)", prefix, prefix, strings.TrimSuffix(prefix, "-"))
	}
	tc := install.Toolchain{CC: cc, CXX: cxx, NodeDir: nodedir}
	j := nodeProject(t, layers.Target{Runtime: "nodejs" + major + ".x", Arch: arch}, map[string]string{"answer": addonPackage(t)})
	r := install.Run(t.Context(), []install.Job{j}, install.Options{Extra: []string{"--offline"}, Toolchain: tc})[0]
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Output)
	}
	got, machine := builtTree(t, filepath.Join(j.Dir, "nodejs", "node_modules", "answer"))
	if want := []string{"build", "build/Release", "build/Release/answer.node"}; !slices.Equal(got, want) {
		t.Errorf("build/ holds %v, want %v", got, want)
	}
	if machine != elf.Machine(arch.ELFMachine()) {
		t.Errorf("addon for %v, want %s", machine, arch)
	}
}
