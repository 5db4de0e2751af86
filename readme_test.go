package layerkit_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsCIFiles keeps README's "Use in CI" examples identical to
// the files the tests run (scripts/test-action.sh, TestPreCommitHooks).
func TestREADMEShowsCIFiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scripts/ci/github-workflow.yml", "scripts/ci/gitlab-ci.yml", "scripts/ci/pre-commit-config.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```yaml\n"+string(b)+"```\n") {
			t.Errorf("README.md does not show %s as it is", f)
		}
	}
}
