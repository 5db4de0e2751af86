//go:build unix

package install_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/install"
)

// fakeUV writes a shell script that stands in for uv: it finds the folder
// after --target, then runs body with it in $dest.
func fakeUV(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "uv")
	script := "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --target ] && dest=$2; shift; done\n" + body + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestStagedOutsideLayerFolder lists the layer folder while the installer
// runs: it holds only what it held before (the previous python/ and lib/),
// never a staging folder, since an interrupt at that moment would leave it
// for the next build to package. After the swap python/ is the new one and
// neither the layer folder nor the project keeps anything of the install.
func TestStagedOutsideLayerFolder(t *testing.T) {
	cfg := project(t, "anything\n", "python3.12-arm64")
	layer := filepath.Join(cfg.Dir, "layers", "python3.12-arm64")
	for _, d := range []string{"python", "lib"} {
		if err := os.MkdirAll(filepath.Join(layer, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(layer, "python", "stale.py"), []byte("old"), 0o644)
	during := filepath.Join(t.TempDir(), "during")
	uv := fakeUV(t, `ls -A "`+layer+`" > "`+during+`"
case "$dest" in "`+layer+`"/*) echo "staged inside the layer folder: $dest" >&2; exit 1;; esac
mkdir -p "$dest/pkg" && echo 'X = 1' > "$dest/pkg/__init__.py"`)
	jobs, err := install.Plan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := install.Run(t.Context(), jobs, install.Options{UV: uv})[0]
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Output)
	}
	b, err := os.ReadFile(during)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); !slices.Equal(got, []string{"lib", "python"}) {
		t.Errorf("layer folder during the install: %q, want [lib python]", got)
	}
	if got := names(t, layer); !slices.Equal(got, []string{"lib", "python"}) {
		t.Errorf("layer folder after the install: %q, want [lib python]", got)
	}
	if got := names(t, filepath.Join(layer, "python")); !slices.Equal(got, []string{"pkg"}) {
		t.Errorf("python/ after the install: %q, want [pkg]", got)
	}
	if _, err := os.Lstat(filepath.Join(cfg.Dir, install.StateDir)); !os.IsNotExist(err) {
		t.Errorf("%s left in the project: %v", install.StateDir, err)
	}
}
