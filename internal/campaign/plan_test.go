package campaign_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/internal/testutil"
	"github.com/layerkit/layerkit/layers"
)

// fleet publishes the example's layers to eu-west-1 in moto and creates
// functions on python3.9/x86_64 attaching the python3.9 layer, plus one
// with a layer layerkit did not make and one already on python3.12.
func fleet(t *testing.T) (cfg aws.Config, account string, published []publish.Result, dist string) {
	ep, account, cfg := awstest.Moto(t)
	dist, m := testutil.BuildExample(t)
	cl, err := publish.NewClients(t.Context(), publish.ClientOptions{EndpointURL: ep})
	if err != nil {
		t.Fatal(err)
	}
	published, err = publish.Publish(t.Context(), cl, publish.Options{Dist: dist, Manifest: m, Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = "eu-west-1" })
	other, err := lc.PublishLayerVersion(t.Context(), &lambda.PublishLayerVersionInput{LayerName: aws.String("vendor-tools"),
		Content: &ltypes.LayerVersionContentInput{ZipFile: zipOf(t, "python/other.py")}, CompatibleRuntimes: []ltypes.Runtime{ltypes.RuntimePython39}})
	if err != nil {
		t.Fatal(err)
	}
	role := awstest.LambdaRole(t, cfg)
	code, _ := os.ReadFile(dist + "/main.zip")
	old := published[0].VersionARN // deps for python3.9-x86_64
	mk := func(name string, rt ltypes.Runtime, tags map[string]string, layers ...string) {
		awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role, Runtime: rt,
			Handler: aws.String("handler.handler"), Code: &ltypes.FunctionCode{ZipFile: code}, Layers: layers, Tags: tags})
	}
	mk("orders-api", ltypes.RuntimePython39, map[string]string{"team": "orders"}, old)
	mk("orders-worker", ltypes.RuntimePython39, map[string]string{"team": "orders"}, old)
	mk("billing", ltypes.RuntimePython39, map[string]string{"team": "billing"}, old, aws.ToString(other.LayerVersionArn))
	mk("modern", ltypes.RuntimePython312, nil, published[1].VersionARN)
	// orders-api serves through an alias on a published version;
	// orders-worker's alias follows $LATEST.
	v, err := lc.PublishVersion(t.Context(), &lambda.PublishVersionInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	for fn, version := range map[string]string{"orders-api": aws.ToString(v.Version), "orders-worker": "$LATEST"} {
		if _, err := lc.CreateAlias(t.Context(), &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod"),
			FunctionVersion: aws.String(version)}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, account, published, dist
}

func TestPlanAgainstMoto(t *testing.T) {
	cfg, _, published, _ := fleet(t)
	client := func(r string) campaign.LambdaAPI {
		return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = r })
	}
	p, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Arch: "arm64",
		Regions: []string{"eu-west-1"}, Published: published})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 3 {
		t.Fatalf("planned %d functions: %+v", len(p.Functions), p.Functions)
	}
	byName := map[string]campaign.Step{}
	for _, s := range p.Functions {
		byName[s.Name] = s
	}
	api := byName["orders-api"]
	if api.Blocked() || api.Target.Runtime != "python3.12" || api.Target.Arch != "arm64" || len(api.Target.Layers) != 1 ||
		api.Target.Layers[0] != published[1].VersionARN || api.Layers[0].How != "published.json" || api.LayerBytes == 0 || len(api.Notes) != 2 {
		t.Errorf("orders-api = %+v", api)
	}
	if len(api.Aliases) != 1 || api.Aliases[0].Name != "prod" || api.Aliases[0].Version != "1" || api.Aliases[0].Weights != nil ||
		!strings.Contains(api.Notes[1], "alias prod routes to version 1, which keeps python3.9") {
		t.Errorf("orders-api aliases %+v, notes %q", api.Aliases, api.Notes)
	}
	if w := byName["orders-worker"]; len(w.Aliases) != 0 {
		t.Errorf("orders-worker's alias follows $LATEST, listed as %+v", w.Aliases)
	}
	billing := byName["billing"]
	if !billing.Blocked() || !strings.Contains(billing.Blockers[0], "no replacement for layer") || !strings.Contains(billing.Blockers[0], "--map vendor-tools=LAYER") {
		t.Errorf("billing = %+v", billing)
	}
	// --map places the vendor layer on the build's deps, and tags select.
	p, err = campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Arch: "arm64",
		Regions: []string{"eu-west-1"}, Published: published, Map: map[string]string{"vendor-tools": "deps"}, Tags: map[string]string{"team": "billing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 1 || p.Functions[0].Blocked() || p.Functions[0].Layers[1].How != "--map" {
		t.Errorf("mapped plan = %+v", p.Functions)
	}
	p, err = campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Regions: []string{"eu-west-1"},
		Published: published, Select: "orders-*"})
	if err != nil || len(p.Functions) != 2 {
		t.Fatalf("select: %+v, %v", p, err)
	}
	if s := p.Functions[0]; !s.Blocked() || s.Target.Arch != "x86_64" {
		t.Errorf("no x86_64 python3.12 layer was published, so keeping x86_64 must block: %+v", s)
	}
}

// noAliases is a Lambda client whose credentials lack lambda:ListAliases.
type noAliases struct{ *lambda.Client }

func (noAliases) ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: lambda:ListAliases"}
}

// TestPlanWithoutListAliases: a role that may not list aliases still
// plans, with a note on each function that its aliases were not checked.
func TestPlanWithoutListAliases(t *testing.T) {
	cfg, _, published, _ := fleet(t)
	client := func(r string) campaign.LambdaAPI {
		return noAliases{lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = r })}
	}
	p, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Arch: "arm64",
		Regions: []string{"eu-west-1"}, Published: published, Select: "orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 1 || p.Functions[0].Blocked() || len(p.Functions[0].Aliases) != 0 ||
		!strings.Contains(strings.Join(p.Functions[0].Notes, "\n"), "aliases not checked") {
		t.Errorf("plan = %+v", p.Functions)
	}
}

// bigCode is a Lambda client that reports every function's code as 60 MB
// zipped (moto would need that much uploaded through S3 to say so).
type bigCode struct{ *lambda.Client }

func (c bigCode) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	out, err := c.Client.ListFunctions(ctx, in, o...)
	if out != nil {
		for i := range out.Functions {
			out.Functions[i].CodeSize = 60 << 20
		}
	}
	return out, err
}

// TestPlanBigCodeArchChange: moving code over the 50 MB direct upload to
// another architecture is planned with a note that apply needs a staging
// bucket; keeping the architecture needs none.
func TestPlanBigCodeArchChange(t *testing.T) {
	cfg, _, published, _ := fleet(t)
	client := func(r string) campaign.LambdaAPI {
		return bigCode{lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = r })}
	}
	for _, arch := range []layers.Arch{"arm64", ""} {
		p, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Arch: arch,
			Regions: []string{"eu-west-1"}, Published: published, Select: "orders-api"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Functions) != 1 {
			t.Fatalf("arch %q: %d functions", arch, len(p.Functions))
		}
		noted := strings.Contains(strings.Join(p.Functions[0].Notes, "\n"), "--stage-bucket")
		if noted != (arch == "arm64") {
			t.Errorf("arch %q: notes %q", arch, p.Functions[0].Notes)
		}
	}
}
