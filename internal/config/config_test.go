package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func project(t *testing.T, cfg string, dirs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if cfg != "" {
		if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadValid(t *testing.T) {
	dir := project(t, `version: 1
main:
  root: src
  exclude: ["tests/**", "*.md"]
layers:
  deps:
    targets:
      - {runtime: python3.12, arch: aarch64, from: deps/py312-arm}
      - {runtime: python3.9, arch: x86_64, from: deps/py39-x86}
`, "src", "deps/py312-arm", "deps/py39-x86")
	c, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Out != "dist" || c.Main.Root != "src" || len(c.Layers["deps"].Targets) != 2 {
		t.Fatalf("config = %+v", c)
	}
	if got := c.Layers["deps"].Targets[0].Target().String(); got != "python3.12-arm64" {
		t.Errorf("target = %s", got)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], `"aarch64" read as arm64`) {
		t.Errorf("notes = %q", c.Notes)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	dir := project(t, `version: 1
main:
  root: nowhere
  exclude: ["[unclosed"]
layers:
  "bad name":
    targets: []
  deps:
    targets:
      - {runtime: python3.99, arch: arm64, from: deps/a}
      - {runtime: python3.7, arch: arm64, from: deps/a}
      - {runtime: python3.12, arch: sparc, from: deps/a}
      - {runtime: python3.12, arch: arm64, from: ../outside}
      - {runtime: python3.12, arch: aarch64, from: deps/missing}
      - {runtime: dotnet9, arch: arm64, from: deps/a}
`, "deps/a")
	_, err := Load(dir, "")
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("Load = %v, want *Problems", err)
	}
	want := []string{
		`main.root: folder "nowhere" does not exist`,
		`main.exclude: "[unclosed" is not a valid glob`,
		`layers.bad name: a layer name is`,
		`layers.bad name: no targets`,
		`layers.deps.targets[0]: unknown runtime "python3.99"`,
		`layers.deps.targets[1]: python3.7 does not run on arm64 (it runs on x86_64)`,
		`layers.deps.targets[2]: unknown architecture "sparc"`,
		`layers.deps.targets[3].from: "../outside" is outside the project folder`,
		`layers.deps.targets[4].from: folder "deps/missing" does not exist`,
		`layers.deps.targets[4]: python3.12-arm64 is listed twice`,
		`layers.deps.targets[5]: dotnet9 is offered only as a container image`,
	}
	all := strings.Join(p.List, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing problem %q in:\n%s", w, all)
		}
	}
	if len(p.List) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(p.List), len(want), all)
	}
	if !strings.HasPrefix(err.Error(), filepath.Join(dir, "layerkit.yaml")+": 11 problems:") {
		t.Errorf("error does not start with the file and count: %v", err)
	}
}

func TestUnknownKeysAllReported(t *testing.T) {
	dir := project(t, "version: 1\nmian:\n  root: .\nlayers:\n  deps:\n    targtes: []\n    targets:\n      - {runtime: python3.12, arch: arm64, form: x}\n")
	_, err := Load(dir, "")
	if err == nil {
		t.Fatal("accepted unknown keys")
	}
	for _, w := range []string{`line 2: unknown key "mian" in the top level`, `line 6: unknown key "targtes" in a layer`, `line 8: unknown key "form" in a target`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in %v", w, err)
		}
	}
}

func TestBadYAMLAndVersion(t *testing.T) {
	for cfg, want := range map[string]string{
		"":             "the file is empty",
		"version: [":   "did not find expected node content",
		"version: 2\n": "version 2 is not supported",
		"out: x\n":     "missing `version: 1`",
		// The decoder's messages name Go types; the user sees the config's
		// terms.
		"version: one\n":                    `line 1: expected a whole number, found the text "one"`,
		"version: 1\nmain:\n  exclude: x\n": `line 3: expected a list of text values ([a, b]), found the text "x"`,
		"version: 1\nlayers: [a]\n":         "line 2: expected a mapping of layer names to layers, found a list",
		"version: 1\nmain: 3\n":             "line 2: expected a mapping for main (keys: root, include, exclude, slim, slim_keep, slim_typing), found the number 3",
		"version:\n":                        "missing `version: 1`",
		// The decoder reads a float into an int by truncating it.
		"version: 1.5\n":             "line 1: version must be the whole number 1, not 1.5",
		"out: x\nversion: 2.9":       "line 2: version must be the whole number 1, not 2.9",
		"out: &v 1.0\nversion: *v\n": "version must be the whole number 1, not 1.0",
		// A second document is never read: refuse it rather than ignore it.
		"version: 1\n---\nversion: 2\nlayers: {evil: 1}\n": "line 2: a second YAML document starts here",
		"version: 1\n---\n":      "a second YAML document",
		"version: 1\n---\n: :\n": "a second YAML document follows the first (line 2: did not find expected key)",
	} {
		_, err := Load(project(t, "x"), writeCfg(t, cfg))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v, want %q", cfg, err, want)
		}
	}
}

func writeCfg(t *testing.T, cfg string) string {
	p := filepath.Join(t.TempDir(), "layerkit.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConvention(t *testing.T) {
	dir := project(t, "", "layers/python3.9-x86_64", "layers/python3.12-aarch64", "src")
	c, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ts := range c.Layers["deps"].Targets {
		got = append(got, ts.Target().String()+"<"+ts.From)
	}
	if strings.Join(got, " ") != "python3.12-arm64<layers/python3.12-aarch64 python3.9-x86_64<layers/python3.9-x86_64" {
		t.Errorf("targets = %v", got)
	}
	if len(c.Notes) != 1 {
		t.Errorf("notes = %v", c.Notes)
	}

	_, err = Load(project(t, "", "layers/python3.12-arm64", "layers/shared", "layers/python3.6-arm64"), "")
	if err == nil || !strings.Contains(err.Error(), "folder shared/") || !strings.Contains(err.Error(), "folder python3.6-arm64/: runtime python3.6 does not run on arm64") {
		t.Errorf("bad convention folders: %v", err)
	}

	c, err = Load(project(t, "", "src"), "")
	if err != nil || len(c.Layers) != 0 {
		t.Errorf("no layers folder: %v, %v", c, err)
	}
}

func TestPublishSection(t *testing.T) {
	load := func(yml string) (*Config, error) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		return Load(dir, "")
	}
	c, err := load("version: 1\npublish:\n  regions: [eu-west-1, us-east-1]\n  bucket: artifacts-{region}\n  share: [public]\n  names: {deps-python3.12-arm64: my-deps}\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Publish.Bucket != "artifacts-{region}" || len(c.Publish.Regions) != 2 || c.Publish.Names["deps-python3.12-arm64"] != "my-deps" {
		t.Errorf("publish = %+v", c.Publish)
	}
	_, err = load("version: 1\npublish:\n  regions: [Europe]\n  names: {x: 'bad name'}\n")
	if err == nil || !strings.Contains(err.Error(), `"Europe" is not an AWS region`) || !strings.Contains(err.Error(), `"bad name"`) {
		t.Errorf("err = %v", err)
	}
	if _, err = load("version: 1\npublish:\n  bucket_name: x\n"); err == nil || !strings.Contains(err.Error(), `unknown key "bucket_name"`) {
		t.Errorf("err = %v", err)
	}
	// The keys a section takes come from its type, publish and install
	// included.
	if _, err = load("version: 1\npublish:\n  bucket_name: x\n"); err == nil ||
		!strings.Contains(err.Error(), `in publish (keys: regions, bucket, prefix, description, license, share, names)`) {
		t.Errorf("err = %v", err)
	}
	if _, err = load("version: 1\npublsh: {}\n"); err == nil || !strings.Contains(err.Error(), `(keys: version, out, main, layers, publish, image)`) {
		t.Errorf("err = %v", err)
	}
}

// slim and slim_keep are read for main and per layer; their globs are
// checked like exclude's, and a slim that is not a boolean is named, every
// problem at once.
func TestLoadSlim(t *testing.T) {
	dir := project(t, `version: 1
main:
  slim: true
  slim_keep: ["pkg/tests/fixtures/**"]
layers:
  deps:
    slim: true
    slim_keep: ["*.debug.so"]
    targets:
      - {runtime: python3.12, arch: arm64, from: deps}
`, "deps")
	c, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Main.Slim || len(c.Main.SlimKeep) != 1 || !c.Layers["deps"].Slim || c.Layers["deps"].SlimKeep[0] != "*.debug.so" {
		t.Fatalf("config = %+v", c)
	}

	dir = project(t, `version: 1
main:
  slim_keep: ["[unclosed"]
layers:
  deps:
    slim_keep: ["{a,b"]
    targets:
      - {runtime: python3.12, arch: arm64, from: deps}
`, "deps")
	_, err = Load(dir, "")
	var p *Problems
	if !errors.As(err, &p) || len(p.List) != 2 ||
		!strings.HasPrefix(p.List[0], `main.slim_keep: "[unclosed"`) || !strings.HasPrefix(p.List[1], `layers.deps.slim_keep: "{a,b"`) {
		t.Fatalf("Load = %v; want both slim_keep globs named", err)
	}

	dir = project(t, "version: 1\nmain:\n  slim: sometimes\n")
	_, err = Load(dir, "")
	if !errors.As(err, &p) || len(p.List) != 1 || p.List[0] != `line 3: expected true or false, found the text "sometimes"` {
		t.Fatalf("Load = %v", err)
	}
}
