package cli

import (
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
