package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
)

func TestCampaignApplyUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version": 1, "functions": [{"region": "eu-west-1", "name": "f", "arn": "arn:aws:lambda:us-east-1:1:function:f"}]}`), 0o644)
	notJSON := filepath.Join(dir, "event.txt")
	os.WriteFile(notJSON, []byte("ping"), 0o644)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"campaign", "apply"}, ExitUsage, "give the plan file"},
		{[]string{"campaign", "apply", "p.json", "--concurrency", "0"}, ExitUsage, "--concurrency 0: at least 1"},
		{[]string{"campaign", "apply", "p.json", "--rate", "20"}, ExitUsage, "--rate 20: between 0 and Lambda's quota"},
		{[]string{"campaign", "apply", filepath.Join(dir, "missing.json")}, ExitError, "missing.json: no such file"},
		{[]string{"campaign", "apply", bad}, ExitError, `bad.json: function 1 (f): "arn:aws:lambda:us-east-1:1:function:f" is not a function ARN in region "eu-west-1"`},
		{[]string{"campaign", "apply", bad, "--smoke", notJSON}, ExitError, "event.txt: the smoke event is not JSON"},
		{[]string{"campaign", "rollback"}, ExitUsage, "--journal is required"},
		{[]string{"campaign", "rollback", "--journal", filepath.Join(dir, "none.journal")}, ExitError, "none.journal: no such file"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.journal")); err == nil {
		t.Error("a plan that does not parse left a journal")
	}
}

// TestCampaignApplyMoto: publish, plan, apply with a canary, apply again,
// a function that drifted after planning, rollback, each through the CLI
// against moto_server and read back with the SDK. The functions run on
// arm64, so the plan keeps the architecture: moto cannot change one.
func TestCampaignApplyMoto(t *testing.T) {
	ep, _, cfg := awstest.Moto(t)
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	dist := builtExample(t)
	if r := runCLI(t, env, "publish", dist, "--regions", "eu-west-1"); r.code != 0 {
		t.Fatalf("publish: exit %d: %s", r.code, r.stderr)
	}
	pub, err := publish.ReadResults(filepath.Join(dist, publish.PublishedFile))
	if err != nil {
		t.Fatal(err)
	}
	old, new := pub.Layers[0].VersionARN, pub.Layers[1].VersionARN
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = "eu-west-1" })
	role := awstest.LambdaRole(t, cfg)
	code, _ := os.ReadFile(filepath.Join(dist, "main.zip"))
	for i := range 6 {
		awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String(fmt.Sprintf("api-%d", i)), Role: role,
			Runtime: ltypes.RuntimePython39, Architectures: []ltypes.Architecture{ltypes.ArchitectureArm64}, Handler: aws.String("handler.handler"),
			Code: &ltypes.FunctionCode{ZipFile: code}, Layers: []string{old}})
	}
	// api-0 serves through an alias on a published version, which the
	// plan points out.
	v, err := lc.PublishVersion(t.Context(), &lambda.PublishVersionInput{FunctionName: aws.String("api-0")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.CreateAlias(t.Context(), &lambda.CreateAliasInput{FunctionName: aws.String("api-0"), Name: aws.String("prod"), FunctionVersion: v.Version}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	r := runCLI(t, env, "campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1",
		"--layers", filepath.Join(dist, publish.PublishedFile), "--out", plan)
	if r.code != 0 {
		t.Fatalf("plan: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "ready (aliases on old versions: prod->1)") || !strings.Contains(r.stderr, "note: 1 function has an alias on a published version") {
		t.Errorf("plan does not point out api-0's alias:\n%s\n%s", r.stdout, r.stderr)
	}
	md := runCLI(t, env, "campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1",
		"--layers", filepath.Join(dist, publish.PublishedFile), "--out", filepath.Join(t.TempDir(), "p.json"), "--format", "markdown")
	if md.code != 0 || !strings.Contains(md.stdout, "| api-0 |") || !strings.Contains(md.stdout, "ready<br>alias prod routes to version 1, which keeps python3.9") {
		t.Errorf("markdown plan: exit %d:\n%s", md.code, md.stdout)
	}
	// api-5 is moved by hand after planning: apply must leave it alone.
	if _, err := lc.UpdateFunctionConfiguration(t.Context(), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("api-5"),
		Runtime: ltypes.RuntimePython311}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, env, "campaign", "apply", plan, "--canary", "2", "--max-failures", "1", "--format", "json")
	if r.code != ExitError || !strings.Contains(r.stderr, "failed: 1 function, each restored") || !strings.Contains(r.stderr, "api-5: failed") {
		t.Fatalf("apply: exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Journal   string
		Functions []campaign.Result
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Journal != filepath.Join(dir, "plan.journal") || len(doc.Functions) != 6 || doc.Functions[0].Wave != "canary" {
		t.Fatalf("summary: %s", r.stdout)
	}
	for i := range 6 {
		fc, err := lc.GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fmt.Sprintf("api-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		want, layer := ltypes.RuntimePython312, new
		if i == 5 {
			want, layer = ltypes.RuntimePython311, old
		}
		if fc.Runtime != want || len(fc.Layers) != 1 || aws.ToString(fc.Layers[0].Arn) != layer {
			t.Errorf("api-%d after apply: %s %v", i, fc.Runtime, fc.Layers)
		}
	}
	// Again: nothing left to do but the drifted one, skipped, which
	// keeps the campaign from counting as done.
	r = runCLI(t, env, "campaign", "apply", plan)
	if r.code != ExitError || !strings.Contains(r.stderr, "apply: 5 finished, 1 skipped") || !strings.Contains(r.stderr, "not done: 1 function") {
		t.Fatalf("second apply: exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	r = runCLI(t, env, "campaign", "rollback", "--journal", doc.Journal)
	if r.code != 0 || !strings.Contains(r.stderr, "rollback: 5 rolled-back") {
		t.Fatalf("rollback: exit %d: %s", r.code, r.stderr)
	}
	for i := range 5 {
		fc, err := lc.GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fmt.Sprintf("api-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		if fc.Runtime != ltypes.RuntimePython39 || aws.ToString(fc.Layers[0].Arn) != old {
			t.Errorf("api-%d after rollback: %s %v", i, fc.Runtime, fc.Layers)
		}
	}
}
