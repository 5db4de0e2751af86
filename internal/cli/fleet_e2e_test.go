package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	otypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/layerkit/layerkit/internal/aws/awstest"
)

// TestFleetMoto runs a campaign across an organization in moto_server: a
// management account with three member accounts (CreateAccount), each
// with functions in two regions. Scan and plan reach every member by
// assuming OrganizationAccountAccessRole there; the plan is split by
// account and each piece applied on its own; every function is read back
// in its own account, and one piece rolled back alone.
//
// moto 5 keeps accounts apart by the access key a request is signed with:
// AssumeRole makes a temporary key in the IAM backend of the account in
// the role's ARN (the role need not exist), and a request signed with it is
// served as that account; any key moto did not make is its default
// account, 123456789012.
func TestFleetMoto(t *testing.T) {
	ep, mgmt, cfg := awstest.Moto(t)
	oc := organizations.NewFromConfig(cfg)
	if _, err := oc.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{FeatureSet: otypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, name := range []string{"orders", "billing", "search"} {
		out, err := oc.CreateAccount(t.Context(), &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		st, err := oc.DescribeCreateAccountStatus(t.Context(), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
		if err != nil || st.CreateAccountStatus.State != otypes.CreateAccountStateSucceeded {
			t.Fatalf("creating account %s: %v %+v", name, err, st)
		}
		members = append(members, aws.ToString(st.CreateAccountStatus.AccountId))
	}
	slices.Sort(members)
	zip, err := os.ReadFile(builtExample(t) + "/main.zip")
	if err != nil {
		t.Fatal(err)
	}
	// memberCfg is a member account's configuration, reached as layerkit
	// reaches it.
	memberCfg := func(id string) aws.Config {
		out, err := sts.NewFromConfig(cfg).AssumeRole(t.Context(), &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + id + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("layerkit-test")})
		if err != nil {
			t.Fatal(err)
		}
		c := cfg.Copy()
		c.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId),
			aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		return c
	}
	fns := map[string][]string{"eu-west-1": {"api", "worker"}, "us-east-1": {"cron"}}
	for _, id := range members {
		mc := memberCfg(id)
		role := awstest.LambdaRole(t, mc)
		for region, names := range fns {
			lc := lambda.NewFromConfig(mc, func(o *lambda.Options) { o.Region = region })
			for _, name := range names {
				awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role, Runtime: ltypes.RuntimePython39,
					Handler: aws.String("handler.handler"), Code: &ltypes.FunctionCode{ZipFile: zip}})
			}
		}
	}
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	fleet := []string{"--accounts", "org", "--role", "OrganizationAccountAccessRole", "--regions", "eu-west-1,us-east-1"}

	r := runCLI(t, env, append([]string{"scan", "--format", "csv"}, fleet...)...)
	if r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	state := slices.Index(rows[0], "state")
	var got []string
	for _, row := range rows[1:] {
		got = append(got, row[0]+" "+row[1]+" "+row[2])
		if state < 0 || row[state] != "Active" {
			t.Errorf("scan row %q: state not read in its account (want Active)", row)
		}
	}
	var want []string
	for _, id := range members {
		want = append(want, id+" eu-west-1 api", id+" eu-west-1 worker", id+" us-east-1 cron")
	}
	if rows[0][0] != "account" || !slices.Equal(got, want) {
		t.Errorf("scan rows:\n%q\nwant\n%q (the management account %s has none)", got, want, mgmt)
	}

	// One member moved into a unit; --ou scans only it, as text grouped
	// by account.
	roots, err := oc.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := roots.Roots[0].Id
	ou, err := oc.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{ParentId: root, Name: aws.String("payments")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oc.MoveAccount(t.Context(), &organizations.MoveAccountInput{AccountId: aws.String(members[2]), SourceParentId: root,
		DestinationParentId: ou.OrganizationalUnit.Id}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, env, append([]string{"scan", "--ou", aws.ToString(ou.OrganizationalUnit.Id)}, fleet...)...)
	if r.code != 0 {
		t.Fatalf("scan --ou: exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "account "+members[2]+": 3 functions\nREGION") || strings.Contains(r.stdout, members[0]) {
		t.Errorf("scan --ou, text:\n%s", r.stdout)
	}

	dir := filepath.Join(t.TempDir(), "pieces")
	r = runCLI(t, env, append([]string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--split-by", "account", "--out", dir}, fleet...)...)
	if r.code != 0 {
		t.Fatalf("plan: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index []struct {
		Piece, Plan, Account, Region string
		Functions                    int
	}
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	if len(index) != 3 {
		t.Fatalf("index.json: %s", b)
	}
	for i, pc := range index {
		if pc.Piece != members[i] || pc.Account != members[i] || pc.Functions != 3 || pc.Plan != filepath.Join(dir, members[i]+".json") {
			t.Errorf("index[%d] = %+v", i, pc)
		}
		r = runCLI(t, env, "campaign", "apply", pc.Plan)
		if r.code != 0 {
			t.Fatalf("apply %s: exit %d: %s", pc.Piece, r.code, r.stderr)
		}
	}
	runtimeOf := func(id, region, name string) string {
		lc := lambda.NewFromConfig(memberCfg(id), func(o *lambda.Options) { o.Region = region })
		out, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("reading %s in %s %s: %v", name, id, region, err)
		}
		if got := aws.ToString(out.Configuration.FunctionArn); !strings.Contains(got, ":"+id+":") {
			t.Errorf("%s read back from account %s has ARN %s", name, id, got)
		}
		return string(out.Configuration.Runtime)
	}
	for _, id := range members {
		for region, names := range fns {
			for _, name := range names {
				if got := runtimeOf(id, region, name); got != "python3.12" {
					t.Errorf("%s %s %s runs %s after apply, want python3.12", id, region, name, got)
				}
			}
		}
	}

	// The second account's piece alone, rolled back from its own journal.
	r = runCLI(t, env, "campaign", "rollback", "--journal", filepath.Join(dir, members[1]+".journal"))
	if r.code != 0 {
		t.Fatalf("rollback: exit %d: %s", r.code, r.stderr)
	}
	for i, id := range members {
		want := "python3.12"
		if i == 1 {
			want = "python3.9"
		}
		if got := runtimeOf(id, "eu-west-1", "worker"); got != want {
			t.Errorf("%s worker runs %s after rolling back %s, want %s", id, got, members[1], want)
		}
	}

	// A role one account refuses (a proxy in front of moto answers its
	// AssumeRole with AccessDenied): scan lists the others and exits 4;
	// applying that account's piece fails its functions, unchanged.
	denied := members[0]
	proxy := refusingProxy(t, ep, denied)
	penv := map[string]string{"AWS_ENDPOINT_URL": proxy}
	r = runCLI(t, penv, "scan", "--accounts", members[0]+","+members[2], "--role", "OrganizationAccountAccessRole", "--regions", "eu-west-1", "--format", "csv")
	if r.code != ExitAWS || !strings.Contains(r.stderr, "account "+denied+": assuming arn:aws:iam::"+denied+":role/OrganizationAccountAccessRole") ||
		!strings.Contains(r.stdout, members[2]+",eu-west-1,api") || strings.Contains(r.stdout, denied) ||
		strings.Contains(r.stderr, "failed to refresh cached credentials") {
		t.Errorf("scan with %s refusing: exit %d\nstdout:\n%s\nstderr:\n%s", denied, r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, penv, "campaign", "apply", filepath.Join(dir, denied+".json"), "--journal", filepath.Join(t.TempDir(), "denied.journal"), "--retry")
	if r.code != ExitError || !strings.Contains(r.stderr, "error: account "+denied+": assuming") {
		t.Errorf("apply with %s refusing: exit %d\nstderr:\n%s", denied, r.code, r.stderr)
	}
}

// refusingProxy forwards to moto_server at ep, but answers AssumeRole into
// account with AccessDenied, as STS does when the role's trust policy
// does not let the caller in.
func refusingProxy(t *testing.T, ep, account string) string {
	u, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, _ := url.ParseQuery(string(b))
		if form.Get("Action") == "AssumeRole" && strings.Contains(form.Get("RoleArn"), "::"+account+":") {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
