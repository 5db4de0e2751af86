package layerkit_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the architecture: the public layers package uses
// only the standard library; lint knows neither split nor the sources that
// make its bundles; the packaging and checking packages know
// neither cobra nor the AWS SDK; only the cli package imports cobra.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	const mod = "github.com/layerkit/layerkit/"
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		name := strings.TrimPrefix(p.ImportPath, mod)
		for _, d := range p.Deps {
			thirdParty := strings.Contains(strings.SplitN(d, "/", 2)[0], ".")
			switch {
			case name == "layers" && thirdParty:
				t.Errorf("layers imports %s; it may use only the standard library", d)
			case name == "internal/lint" && (d == mod+"internal/split" || d == mod+"internal/source"):
				t.Errorf("lint imports %s; it checks bundles and shares predicates only through layers", d)
			case strings.HasPrefix(d, "github.com/spf13/cobra") && name != "internal/cli" && name != "cmd/layerkit":
				t.Errorf("%s imports cobra; only internal/cli may", name)
			case strings.HasPrefix(d, "github.com/aws/") && !strings.HasPrefix(name, "internal/publish") && !strings.HasPrefix(name, "internal/campaign") && !strings.HasPrefix(name, "internal/aws") && name != "internal/cli" && name != "cmd/layerkit":
				t.Errorf("%s imports the AWS SDK (%s)", name, d)
			}
		}
	}
	if seen < 7 {
		t.Fatalf("go list saw only %d packages", seen)
	}
}
