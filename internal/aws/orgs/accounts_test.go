package orgs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	otypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/layerkit/layerkit/internal/aws/orgs"
)

// fakeOrg is an organization: accounts by parent and units by parent,
// answered one item a page so that paging is exercised.
type fakeOrg struct {
	accounts map[string][]otypes.Account // by parent
	units    map[string][]string         // child unit IDs by parent
}

func acct(id string, state otypes.AccountState) otypes.Account {
	return otypes.Account{Id: aws.String(id), State: state}
}

func page[T any](items []T, token *string) ([]T, *string) {
	i := 0
	if token != nil {
		for _, c := range *token {
			i = i*10 + int(c-'0')
		}
	}
	if i >= len(items) {
		return nil, nil
	}
	var next *string
	if i+1 < len(items) {
		next = aws.String(itoa(i + 1))
	}
	return items[i : i+1], next
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func (f *fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	var all []otypes.Account
	for _, p := range slices.Sorted(mapsKeys(f.accounts)) {
		all = append(all, f.accounts[p]...)
	}
	as, next := page(all, in.NextToken)
	return &organizations.ListAccountsOutput{Accounts: as, NextToken: next}, nil
}

func (f *fakeOrg) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	as, next := page(f.accounts[aws.ToString(in.ParentId)], in.NextToken)
	return &organizations.ListAccountsForParentOutput{Accounts: as, NextToken: next}, nil
}

func (f *fakeOrg) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	ids, next := page(f.units[aws.ToString(in.ParentId)], in.NextToken)
	var ous []otypes.OrganizationalUnit
	for _, id := range ids {
		ous = append(ous, otypes.OrganizationalUnit{Id: aws.String(id)})
	}
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: ous, NextToken: next}, nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestAccounts(t *testing.T) {
	org := &fakeOrg{
		accounts: map[string][]otypes.Account{
			"r-root":   {acct("111111111111", otypes.AccountStateActive), acct("999999999999", otypes.AccountStateSuspended)},
			"ou-a":     {acct("222222222222", otypes.AccountStateActive), acct("333333333333", otypes.AccountStateActive)},
			"ou-a-sub": {acct("444444444444", otypes.AccountStateActive), acct("888888888888", otypes.AccountStateClosed)},
			"ou-b": {acct("555555555555", otypes.AccountStatePendingActivation),
				// An answer from before State: only the retired Status.
				{Id: aws.String("666666666666"), Status: otypes.AccountStatusActive}},
		},
		units: map[string][]string{"r-root": {"ou-a", "ou-b"}, "ou-a": {"ou-a-sub"}},
	}
	tests := []struct {
		ou   string
		want []string
	}{
		{"", []string{"111111111111", "222222222222", "333333333333", "444444444444", "666666666666"}},
		{"ou-a", []string{"222222222222", "333333333333", "444444444444"}},
		{"ou-a-sub", []string{"444444444444"}},
		{"r-root", []string{"111111111111", "222222222222", "333333333333", "444444444444", "666666666666"}},
	}
	for _, tt := range tests {
		got, err := orgs.Accounts(t.Context(), org, tt.ou)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Accounts(%q) = %v, want %v", tt.ou, got, tt.want)
		}
	}
}

// stsServer answers AssumeRole: AccessDenied for roles in account
// 222222222222, credentials otherwise, expiring at expires; it keeps each
// request's form.
func stsServer(t *testing.T, expires time.Time) (*httptest.Server, *[]url.Values) {
	var mu sync.Mutex
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		mu.Lock()
		forms = append(forms, form)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		if strings.Contains(form.Get("RoleArn"), "::222222222222:") {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		io.WriteString(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>`+expires.UTC().Format(time.RFC3339)+`</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/deployer/x</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv, &forms
}

func TestAssume(t *testing.T) {
	srv, forms := stsServer(t, time.Now().Add(time.Hour))
	base := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "secret", "")}
	role := orgs.Role{Name: "layerkit-deployer", ExternalID: "ext-42"}
	cfg, err := orgs.Assume(t.Context(), base, "111111111111", role.ARN("111111111111"), role)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ASIAFAKE" {
		t.Errorf("access key %q, want the assumed role's ASIAFAKE", creds.AccessKeyID)
	}
	f := (*forms)[0]
	if got := f.Get("RoleArn"); got != "arn:aws:iam::111111111111:role/layerkit-deployer" {
		t.Errorf("RoleArn %q", got)
	}
	if got := f.Get("ExternalId"); got != "ext-42" {
		t.Errorf("ExternalId %q, want ext-42", got)
	}
	if got := f.Get("RoleSessionName"); !strings.HasPrefix(got, "layerkit-") {
		t.Errorf("RoleSessionName %q, want layerkit-…", got)
	}

	_, err = orgs.Assume(t.Context(), base, "222222222222", role.ARN("222222222222"), role)
	var ae *orgs.AssumeError
	if !errors.As(err, &ae) || ae.Account != "222222222222" {
		t.Fatalf("err = %v, want an *AssumeError for 222222222222", err)
	}
	if !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("err = %v, want AWS's AccessDenied in it", err)
	}
}

// TestAssumeRenews: credentials within ExpiryWindow of their expiry are
// assumed again before use; fresh ones are reused.
func TestAssumeRenews(t *testing.T) {
	for _, tt := range []struct {
		life  time.Duration
		calls int
	}{{time.Hour, 1}, {orgs.ExpiryWindow - time.Minute, 3}} {
		srv, forms := stsServer(t, time.Now().Add(tt.life))
		base := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "secret", "")}
		role := orgs.Role{Name: "deployer"}
		cfg, err := orgs.Assume(t.Context(), base, "111111111111", role.ARN("111111111111"), role)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := cfg.Credentials.Retrieve(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(*forms); got != tt.calls {
			t.Errorf("credentials living %v: AssumeRole called %d times for three uses, want %d", tt.life, got, tt.calls)
		}
	}
}
