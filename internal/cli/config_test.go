package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/config"
)

func TestConfigSchema(t *testing.T) {
	want, err := config.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "config", "schema"); r.code != 0 || r.stdout != string(want) || r.stderr != "" {
		t.Errorf("exit %d, stderr %q, stdout equal to config.Schema: %v", r.code, r.stderr, r.stdout == string(want))
	}
}

func TestConfigValidate(t *testing.T) {
	dir := example(t)
	t.Chdir(dir)
	if r := runCLI(t, nil, "config", "validate"); r.code != 0 || r.stdout != "layerkit.yaml: valid: 1 layer, 2 targets\n" || r.stderr != "" {
		t.Errorf("valid config: %+v", r)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 2\nmain: {root: nowhere}\nlayers:\n  deps:\n    targets:\n      - {runtime: python3.12, arch: sparc, from: layers/none}\n"), 0o644)
	r := runCLI(t, nil, "config", "validate", "bad.yaml")
	want := "layerkit: bad.yaml: 4 problems:\n" +
		"  version 2 is not supported: this layerkit reads version 1\n" +
		"  main.root: folder \"nowhere\" does not exist\n" +
		"  layers.deps.targets[0]: unknown architecture \"sparc\": want x86_64 or arm64 (amd64 and aarch64 are accepted as aliases)\n" +
		"  layers.deps.targets[0].from: folder \"layers/none\" does not exist\n"
	if r.code != ExitError || r.stdout != "" || r.stderr != want {
		t.Errorf("exit %d, stdout %q\nstderr\n%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
	}
	os.Remove("layerkit.yaml")
	if r := runCLI(t, nil, "config", "validate"); r.code != ExitUsage {
		t.Errorf("no config: %+v", r)
	}
}
