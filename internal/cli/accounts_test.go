package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/aws/orgs"
	"github.com/layerkit/layerkit/internal/campaign"
)

func TestAccountFlagsUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--regions", "eu-west-1", "--accounts", "org"}, "--accounts needs --role"},
		{[]string{"scan", "--regions", "eu-west-1", "--role", "deployer"}, "--role, --ou and --external-id go with --accounts"},
		{[]string{"scan", "--regions", "eu-west-1", "--accounts", "1234,111111111111", "--role", "r"}, `"1234" is not a 12-digit account ID`},
		{[]string{"scan", "--regions", "eu-west-1", "--accounts", "111111111111", "--role", "r", "--ou", "ou-x"}, "--ou goes with --accounts org"},
		{[]string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1", "--out", "p.json",
			"--split-by", "team"}, `--split-by "team": want account, region or account-region`},
		{[]string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1", "--out", "p.json",
			"--accounts", "org"}, "--accounts needs --role"},
		{[]string{"campaign", "apply", "plan.json", "--accounts", "org"}, `--accounts: "org" is not a 12-digit account ID (the plan names its accounts`},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want usage error %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestAccountErrorsExit: accounts left out because AWS refused their role
// exit 4, as any refused credentials do; other account failures exit 1.
func TestAccountErrorsExit(t *testing.T) {
	refused := campaign.AccountErrors{
		{Account: "111111111111", Err: &orgs.AssumeError{Account: "111111111111", Role: "arn:aws:iam::111111111111:role/r",
			Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform sts:AssumeRole"}}},
	}
	if code, _ := outcome(t.Context(), refused); code != ExitAWS {
		t.Errorf("refused role: exit %d, want %d", code, ExitAWS)
	}
	other := campaign.AccountErrors{{Account: "222222222222", Err: errors.New("listing functions in eu-west-1: connection reset")}}
	if code, _ := outcome(t.Context(), other); code != ExitError {
		t.Errorf("other failure: exit %d, want %d", code, ExitError)
	}
}
