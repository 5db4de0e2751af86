package campaign_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerkit/layerkit/internal/campaign"
)

// threeAccounts is a fleet of three accounts × two regions × n functions
// on python3.9; the second account's role cannot be assumed.
func threeAccounts(n int) (*orgFake, []campaign.Account) {
	f := newOrgFake(1000)
	var accts []campaign.Account
	for _, id := range []string{"111111111111", "222222222222", "333333333333"} {
		accts = append(accts, campaign.Account{ID: id, Role: "arn:aws:iam::" + id + ":role/deployer"})
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			f.add(id, r, "python3.9", n)
		}
	}
	f.Denied["222222222222"] = true
	return f, accts
}

func TestScanAccounts(t *testing.T) {
	f, accts := threeAccounts(2)
	fs, err := campaign.ScanAccounts(t.Context(), accts, f.connect, []string{"eu-west-1", "us-east-1"}, campaign.FleetOptions{Rate: 1e6}, time.Now())
	var ae *campaign.AccountError
	if !errors.As(err, &ae) || ae.Account != "222222222222" {
		t.Fatalf("err = %v, want the AccountError of 222222222222", err)
	}
	var got []string
	for _, fn := range fs {
		got = append(got, fn.Account+" "+fn.Region+" "+fn.Name)
	}
	want := []string{
		"111111111111 eu-west-1 fn-000", "111111111111 eu-west-1 fn-001", "111111111111 us-east-1 fn-000", "111111111111 us-east-1 fn-001",
		"333333333333 eu-west-1 fn-000", "333333333333 eu-west-1 fn-001", "333333333333 us-east-1 fn-000", "333333333333 us-east-1 fn-001",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%q\nwant\n%q", got, want)
	}
}

func TestPlanAccountsSplitApplyRollback(t *testing.T) {
	f, accts := threeAccounts(3)
	regions := []string{"eu-west-1", "us-east-1"}
	p, err := campaign.PlanAccounts(t.Context(), accts, f.connect, campaign.PlanOptions{From: "python3.9", To: "python3.12", Regions: regions},
		campaign.FleetOptions{Rate: 1e6})
	var aes campaign.AccountErrors
	if !errors.As(err, &aes) || len(aes) != 1 || aes[0].Account != "222222222222" {
		t.Fatalf("err = %v, want one AccountError, for 222222222222", err)
	}
	if len(p.Functions) != 12 {
		t.Fatalf("planned %d functions, want 12 (two accounts × two regions × three)", len(p.Functions))
	}
	for _, s := range p.Functions {
		if s.Account == "222222222222" || s.Role != "arn:aws:iam::"+s.Account+":role/deployer" || s.Blocked() {
			t.Errorf("step %s: account %q, role %q, blockers %v", s.ARN, s.Account, s.Role, s.Blockers)
		}
	}

	pieces, err := campaign.Split(p, campaign.ByAccountRegion)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pieces")
	if err := campaign.WriteSplit(dir, pieces); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, campaign.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	var index []map[string]any
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"111111111111-eu-west-1", "111111111111-us-east-1", "333333333333-eu-west-1", "333333333333-us-east-1"}
	if len(index) != len(wantNames) {
		t.Fatalf("index: %s", b)
	}
	for i, e := range index {
		if e["piece"] != wantNames[i] || e["plan"] != filepath.Join(dir, wantNames[i]+".json") || e["functions"] != 3.0 ||
			e["account"] != wantNames[i][:12] || e["region"] != wantNames[i][13:] {
			t.Errorf("index[%d] = %v", i, e)
		}
	}

	// One piece, read back as apply reads it, applied on its own and
	// rolled back from its own journal; the others are untouched.
	piece, err := campaign.ReadPlan(filepath.Join(dir, "333333333333-us-east-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	j := openJournal(t, filepath.Join(dir, "333333333333-us-east-1.journal"))
	o := fastOptions()
	sum, err := campaign.ApplyAccounts(t.Context(), piece, j, f.clients, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := sum.Count(campaign.Applied); n != 3 {
		t.Fatalf("applied %d, want 3: %+v", n, sum.Results)
	}
	for _, st := range j.Functions() {
		if st.Role != "arn:aws:iam::333333333333:role/deployer" {
			t.Errorf("journal: %s recorded with role %q", st.Name, st.Role)
		}
	}
	for _, acct := range []string{"111111111111", "333333333333"} {
		for _, r := range regions {
			want := "python3.9"
			if acct == "333333333333" && r == "us-east-1" {
				want = "python3.12"
			}
			if got := f.config(acct, r, "fn-001").Runtime; got != want {
				t.Errorf("%s %s fn-001 runs %s, want %s", acct, r, got, want)
			}
		}
	}
	if _, err := campaign.RollbackAccounts(t.Context(), j, f.clients, o); err != nil {
		t.Fatal(err)
	}
	if got := f.config("333333333333", "us-east-1", "fn-002").Runtime; got != "python3.9" {
		t.Errorf("after rollback it runs %s, want python3.9", got)
	}
}

func TestSplitBy(t *testing.T) {
	f, accts := threeAccounts(1)
	delete(f.Denied, "222222222222")
	p, err := campaign.PlanAccounts(t.Context(), accts, f.connect, campaign.PlanOptions{From: "python3.9", To: "python3.12",
		Regions: []string{"us-east-1", "eu-west-1"}}, campaign.FleetOptions{Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		by    string
		names []string
	}{
		{campaign.ByAccount, []string{"111111111111", "222222222222", "333333333333"}},
		{campaign.ByRegion, []string{"us-east-1", "eu-west-1"}},
		{campaign.ByAccountRegion, []string{"111111111111-us-east-1", "111111111111-eu-west-1", "222222222222-us-east-1",
			"222222222222-eu-west-1", "333333333333-us-east-1", "333333333333-eu-west-1"}},
	}
	for _, tt := range tests {
		pieces, err := campaign.Split(p, tt.by)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		total := 0
		for _, pc := range pieces {
			names = append(names, pc.Name)
			total += pc.Functions
			if pc.Functions != len(pc.Part.Functions) {
				t.Errorf("%s: %d functions counted, %d in its plan", pc.Name, pc.Functions, len(pc.Part.Functions))
			}
		}
		if !slices.Equal(names, tt.names) || total != len(p.Functions) {
			t.Errorf("split by %s: %v (%d functions), want %v (%d)", tt.by, names, total, tt.names, len(p.Functions))
		}
	}
	if _, err := campaign.Split(p, "team"); err == nil {
		t.Error("split by team: no error")
	}
}

// gatedClient holds every GetFunction of its account-region until open is
// closed.
type gatedClient struct {
	campaign.ApplyAPI
	open <-chan struct{}
}

func (g gatedClient) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, fns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.ApplyAPI.GetFunction(ctx, in, fns...)
}

// TestApplyAccountRegionsSideBySide: with concurrency 1, a function held up
// in one account-region does not keep another account-region's functions
// from starting; the held one goes on once the others were reached.
func TestApplyAccountRegionsSideBySide(t *testing.T) {
	f := newOrgFake(1000)
	f.add("111111111111", "eu-west-1", "python3.9", 2)
	f.add("222222222222", "eu-west-1", "python3.9", 2)
	p, err := campaign.PlanAccounts(t.Context(), []campaign.Account{{ID: "111111111111"}, {ID: "222222222222"}}, f.connect,
		campaign.PlanOptions{From: "python3.9", To: "python3.12", Regions: []string{"eu-west-1"}}, campaign.FleetOptions{Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	var once sync.Once
	clients := func(account, region string) campaign.ApplyAPI {
		if account == "111111111111" {
			return gatedClient{f.clients(account, region), open}
		}
		once.Do(func() { close(open) }) // the second account was reached
		return f.clients(account, region)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	o := fastOptions()
	o.Concurrency = 1
	sum, err := campaign.ApplyAccounts(ctx, p, openJournal(t, filepath.Join(t.TempDir(), "j")), clients, o)
	if err != nil {
		t.Fatalf("%v: the held account-region kept the other from starting", err)
	}
	if n := sum.Count(campaign.Applied); n != 4 {
		t.Errorf("applied %d of 4: %+v", n, sum.Results)
	}
	for _, r := range sum.Results {
		if r.Account != campaign.AccountOf(r.ARN) || r.Account == "" {
			t.Errorf("result %s: account %q", r.ARN, r.Account)
		}
	}
}

func TestReadPlanAccount(t *testing.T) {
	f, accts := threeAccounts(1)
	p, _ := campaign.PlanAccounts(t.Context(), accts[:1], f.connect, campaign.PlanOptions{From: "python3.9", To: "python3.12",
		Regions: []string{"eu-west-1"}}, campaign.FleetOptions{Rate: 1e6})
	p.Functions[0].Account = "999999999999"
	b, _ := json.Marshal(p)
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := campaign.ReadPlan(path); err == nil || !strings.Contains(err.Error(), `account "999999999999", but its ARN is in account "111111111111"`) {
		t.Errorf("err = %v, want the account mismatch named", err)
	}
}

// TestApplyAccountsOnly: Accounts limits a run to some accounts of the
// plan; the same journal then takes the rest, and rollback too can be
// limited.
func TestApplyAccountsOnly(t *testing.T) {
	f, accts := threeAccounts(2)
	delete(f.Denied, "222222222222")
	p, err := campaign.PlanAccounts(t.Context(), accts, f.connect, campaign.PlanOptions{From: "python3.9", To: "python3.12",
		Regions: []string{"eu-west-1"}}, campaign.FleetOptions{Rate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	j := openJournal(t, filepath.Join(t.TempDir(), "j"))
	o := fastOptions()
	o.Accounts = []string{"222222222222"}
	sum, err := campaign.ApplyAccounts(t.Context(), p, j, f.clients, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count(campaign.Applied) != 2 || sum.Count(campaign.NotStarted) != 4 {
		t.Fatalf("limited to 222222222222: %+v", sum.Results)
	}
	if got := f.config("111111111111", "eu-west-1", "fn-000").Runtime; got != "python3.9" {
		t.Errorf("an account left out runs %s", got)
	}
	o.Accounts = nil
	if sum, err = campaign.ApplyAccounts(t.Context(), p, j, f.clients, o); err != nil {
		t.Fatal(err)
	}
	if sum.Count(campaign.Applied) != 4 || sum.Count(campaign.Finished) != 2 {
		t.Fatalf("the rest: %+v", sum.Results)
	}
	o.Accounts = []string{"333333333333"}
	if _, err := campaign.RollbackAccounts(t.Context(), j, f.clients, o); err != nil {
		t.Fatal(err)
	}
	for acct, want := range map[string]string{"111111111111": "python3.12", "222222222222": "python3.12", "333333333333": "python3.9"} {
		if got := f.config(acct, "eu-west-1", "fn-001").Runtime; got != want {
			t.Errorf("after rolling back 333333333333 alone, %s runs %s, want %s", acct, got, want)
		}
	}
}
