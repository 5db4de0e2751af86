package split

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/config"
)

// TestOutputLeftOutWhateverSpelling plans a project whose output folder
// holds an earlier build, naming that folder through a symlink to the
// project, through a symlink to the folder itself, and with a relative
// path: its content must never be planned into the main zip.
func TestOutputLeftOutWhateverSpelling(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "p")
	for name, content := range map[string]string{
		"app.py":             "x = 1\n",
		"dist/main.zip":      "PK",
		"dist/manifest.json": "{}",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("p", filepath.Join(base, "plink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("p/dist", filepath.Join(base, "outlink")); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, out := range []string{
		filepath.Join(base, "plink", "dist"),
		filepath.Join(base, "outlink"),
		filepath.Join("..", "plink", "dist"),
		filepath.Join(dir, "dist"),
	} {
		plan, err := PlanBuild(t.Context(), c, out)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range plan.Artifacts[0].Entries {
			names = append(names, e.Name)
		}
		if got := strings.Join(names, " "); got != "app.py" {
			t.Errorf("--out %s: main zip plans %s, want app.py alone", out, got)
		}
	}
}
