package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCampaignPlanUsage(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"campaign", "plan", "--to", "python3.12", "--regions", "eu-west-1", "--out", "p.json"}, "--from and --to are required"},
		{[]string{"campaign", "plan", "--from", "python3.9", "--to", "python9", "--regions", "eu-west-1", "--out", "p.json"}, "--to: unknown runtime"},
		{[]string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--out", "p.json"}, "no regions"},
		{[]string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1"}, "--out is required"},
		{[]string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1", "--out", "p.json", "--tag", "team"}, `--tag "team": want KEY=VALUE`},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
	}
}

// TestCampaignPlanBadSelect checks a malformed --select glob is a usage
// error naming it; it used to match no function, and the plan came out
// empty with exit 0.
func TestCampaignPlanBadSelect(t *testing.T) {
	env := fakeAWS(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"Functions":[]}`)
	})
	out := filepath.Join(t.TempDir(), "plan.json")
	for _, glob := range []string{"[", "svc-["} {
		r := runCLI(t, env, "campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1", "--out", out, "--select", glob)
		want := fmt.Sprintf("layerkit: --select: glob %q: syntax error in pattern (a glob on function names: * ? [a-z], \\ escapes)\nRun 'layerkit --help' for usage.\n", glob)
		if r.code != ExitUsage || r.stderr != want || r.stdout != "" {
			t.Errorf("--select %q: exit %d, stdout %q, stderr %q; want exit 2, stderr %q", glob, r.code, r.stdout, r.stderr, want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a plan was written")
	}
}
