package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/aws/orgs"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
)

// AccountOptions are the flags that take a command across the accounts of
// an organization.
type AccountOptions struct {
	// Accounts is "org" or a comma-separated list of account IDs; empty
	// works in the credentials' own account.
	Accounts   string
	Role       string
	OU         string
	ExternalID string
}

func addAccountFlags(cmd *cobra.Command, o *AccountOptions) {
	cmd.Flags().StringVar(&o.Accounts, "accounts", "", "work in these accounts: org (the organization's active accounts) or ID,ID,… (needs --role)")
	cmd.Flags().StringVar(&o.Role, "role", "", "`NAME` of the role to assume in each account (arn:aws:iam::ACCOUNT:role/NAME)")
	cmd.Flags().StringVar(&o.OU, "ou", "", "with --accounts org: only the accounts under this organizational unit `ID` and its children")
	cmd.Flags().StringVar(&o.ExternalID, "external-id", "", "external ID to pass when assuming --role")
}

// check validates the account flags as usage errors.
func (o *AccountOptions) check() error {
	switch {
	case o.Accounts == "" && (o.Role != "" || o.OU != "" || o.ExternalID != ""):
		return usageErrorf("--role, --ou and --external-id go with --accounts")
	case o.Accounts == "":
		return nil
	case o.Role == "":
		return usageErrorf("--accounts needs --role: the role layerkit assumes in each account")
	case o.OU != "" && o.Accounts != "org":
		return usageErrorf("--ou goes with --accounts org")
	}
	if o.Accounts != "org" {
		for _, id := range strings.Split(o.Accounts, ",") {
			if !orgs.ValidAccount(id) {
				return usageErrorf("--accounts: %q is not a 12-digit account ID (or give org)", id)
			}
		}
	}
	return nil
}

// fleet resolves the accounts the flags name and returns them with a
// Connect that assumes the role in each. The caller's own credentials
// (base) list the organization and assume the roles.
func (o *AccountOptions) fleet(ctx context.Context, base publish.SDKClients) ([]campaign.Account, campaign.Connect, error) {
	var ids []string
	if o.Accounts == "org" {
		cfg := base.Config()
		api := organizations.NewFromConfig(cfg, func(oo *organizations.Options) {
			if oo.Region == "" {
				oo.Region = "us-east-1" // Organizations' endpoint is there
			}
		})
		var err error
		if ids, err = orgs.Accounts(ctx, api, o.OU); err != nil {
			return nil, nil, err
		}
		if len(ids) == 0 {
			return nil, nil, errors.New("the organization has no active accounts there")
		}
	} else {
		ids = strings.Split(o.Accounts, ",")
	}
	role := orgs.Role{Name: o.Role, ExternalID: o.ExternalID}
	accts := make([]campaign.Account, len(ids))
	for i, id := range ids {
		accts[i] = campaign.Account{ID: id, Role: role.ARN(id)}
	}
	return accts, assumeConnect(base, role), nil
}

// assumeConnect is a campaign.Connect that assumes each account's
// recorded role from base's credentials; an account with no role is
// reached with base's own.
func assumeConnect(base publish.SDKClients, role orgs.Role) campaign.Connect {
	return func(ctx context.Context, a campaign.Account) (func(string) campaign.FleetAPI, error) {
		cl := base
		if a.Role != "" {
			cfg, err := orgs.Assume(ctx, base.Config(), a.ID, a.Role, role)
			if err != nil {
				return nil, err
			}
			cl = publish.ClientsFromConfig(cfg)
		}
		return func(r string) campaign.FleetAPI { return cl.LambdaClient(r) }, nil
	}
}

// connectRoles reaches each account that roles names (account → role ARN;
// "" for the credentials' own) with its role, all before any change is
// made, and returns what ApplyAccounts takes. An account whose role cannot
// be assumed is reported on errOut, and every call to it answers that
// error, so its functions fail with it and the other accounts go on.
func connectRoles(ctx context.Context, base publish.SDKClients, roles map[string]string, r orgs.Role, errOut io.Writer) func(account, region string) campaign.ApplyAPI {
	conns := map[string]publish.SDKClients{}
	failed := map[string]error{}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(16)
	for account, arn := range roles {
		if arn == "" {
			mu.Lock()
			conns[account] = base
			mu.Unlock()
			continue
		}
		g.Go(func() error {
			cfg, err := orgs.Assume(ctx, base.Config(), account, arn, r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[account] = err
				return nil
			}
			conns[account] = publish.ClientsFromConfig(cfg)
			return nil
		})
	}
	g.Wait()
	for _, account := range slices.Sorted(maps.Keys(failed)) {
		fmt.Fprintf(errOut, "error: account %s: %v\n", account, failed[account])
	}
	return func(account, region string) campaign.ApplyAPI {
		if err := failed[account]; err != nil {
			return unreachable{fmt.Errorf("account %s: %w", account, err)}
		}
		cl := conns[account]
		if cl == nil {
			cl = base // not named by the plan or journal: the credentials' own
		}
		return cl.LambdaClient(region)
	}
}

// roleFor is the role to assume in account: --role's when given, else
// what the plan or journal recorded.
func (o *AccountOptions) roleFor(account, recorded string) string {
	if o.Role != "" {
		return orgs.Role{Name: o.Role}.ARN(account)
	}
	return recorded
}

// unreachable is the client of an account that could not be reached:
// every call answers why.
type unreachable struct{ err error }

func (u unreachable) GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return nil, u.err
}

func (u unreachable) UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	return nil, u.err
}

func (u unreachable) UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return nil, u.err
}

func (u unreachable) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return nil, u.err
}
