package orgs

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	otypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// API is what Accounts reads from Organizations; *organizations.Client
// implements it.
type API interface {
	organizations.ListAccountsAPIClient
	organizations.ListAccountsForParentAPIClient
	organizations.ListOrganizationalUnitsForParentAPIClient
}

// Accounts returns the IDs of the organization's ACTIVE accounts, sorted
// and without repeats. With ou ("ou-…" or a root "r-…") it returns those
// under it: its own accounts and, recursively, its child units'. Accounts
// suspended, closed or still being created are left out: no role can be
// assumed in them.
func Accounts(ctx context.Context, api API, ou string) ([]string, error) {
	var ids []string
	if ou == "" {
		p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing the organization's accounts: %w", err)
			}
			ids = appendActive(ids, page.Accounts)
		}
	} else {
		var err error
		if ids, err = under(ctx, api, ou, ids); err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// under appends the active accounts of parent and of its units, depth first.
func under(ctx context.Context, api API, parent string, ids []string) ([]string, error) {
	p := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the accounts of %s: %w", parent, err)
		}
		ids = appendActive(ids, page.Accounts)
	}
	u := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
	for u.HasMorePages() {
		page, err := u.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the organizational units of %s: %w", parent, err)
		}
		for _, ch := range page.OrganizationalUnits {
			if ids, err = under(ctx, api, aws.ToString(ch.Id), ids); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// appendActive appends the IDs of the active accounts. State replaces
// Status (retired by Organizations in September 2026); an answer with
// only Status is read by it.
func appendActive(ids []string, as []otypes.Account) []string {
	for _, a := range as {
		active := a.State == otypes.AccountStateActive
		if a.State == "" {
			active = a.Status == otypes.AccountStatusActive
		}
		if active {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids
}
