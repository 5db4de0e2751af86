package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build --slim says per zip what it removed, on stdout under the table,
// and the JSON manifest carries the same record.
func TestBuildSlim(t *testing.T) {
	dir := example(t)
	tests := filepath.Join(dir, "layers", "python3.12-arm64", "python", "lib", "python3.12", "site-packages", "fastmath", "tests")
	if err := os.MkdirAll(tests, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tests, "test_fastmath.py"), []byte(strings.Repeat("assert 1\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "build", dir, "--slim")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, strings.ReplaceAll(r.stdout+"--- stderr\n"+r.stderr, dir, "$DIR"))

	r = runCLI(t, nil, "build", dir, "--slim", "--format", "json")
	var rep buildReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	for _, a := range rep.Manifest.Artifacts {
		if a.Slim == nil {
			t.Errorf("%s: no slim record in the JSON manifest", a.Path)
		}
	}
}
