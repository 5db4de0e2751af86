package campaign_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

// TestImageCampaignAgainstMoto plans, applies and rolls back image
// functions in moto_server: one mapped with --image-map, one matched to a
// build's image by repository and target, one the build has an image for
// only on another architecture (a blocker that says so), and one in
// another region's repository (a blocker). moto 5.2 keeps image functions
// Active, takes any ImageUri (its ECR check is off by default), reports
// it back in GetFunction, and ignores Architectures in UpdateFunctionCode,
// so the architecture stays here; states, refusals and the architecture
// change are the fake's (TestApplyImageFunctions).
func TestImageCampaignAgainstMoto(t *testing.T) {
	_, account, cfg := awstest.Moto(t)
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = "eu-west-1" })
	role := awstest.LambdaRole(t, cfg)
	reg := account + ".dkr.ecr.eu-west-1.amazonaws.com/"
	digest := func(c string) string { return "@sha256:" + strings.Repeat(c, 64) }
	for name, arch := range map[string]ltypes.Architecture{"api": "x86_64", "worker": "arm64", "legacy": "x86_64", "far": "x86_64"} {
		awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role, PackageType: ltypes.PackageTypeImage,
			Code: &ltypes.FunctionCode{ImageUri: aws.String(reg + name + ":v1")}, Architectures: []ltypes.Architecture{arch}})
	}
	client := func(string) campaign.LambdaAPI { return lc }
	p, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Regions: []string{"eu-west-1"},
		ImageMap: map[string]string{reg + "api": reg + "api" + digest("a"), reg + "far": strings.Replace(reg, "eu-west-1", "us-east-1", 1) + "far:v2"},
		Images: []layers.Artifact{
			{Kind: layers.KindImage, Runtime: "python3.12", Arch: "arm64", Ref: reg + "worker" + digest("b")},
			{Kind: layers.KindImage, Runtime: "python3.12", Arch: "x86_64", Ref: reg + "worker" + digest("c")},
			{Kind: layers.KindImage, Runtime: "python3.12", Arch: "arm64", Ref: reg + "legacy" + digest("d")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]campaign.Step{}
	for _, s := range p.Functions {
		steps[s.Name] = s
	}
	if len(steps) != 4 {
		t.Fatalf("planned %d functions: %+v", len(p.Functions), p.Functions)
	}
	for name, want := range map[string]string{"api": reg + "api" + digest("a"), "worker": reg + "worker" + digest("b")} {
		s := steps[name]
		if s.Blocked() || s.Current.ImageURI != reg+name+":v1" || s.Target.ImageURI != want || s.Target.Arch != s.Current.Arch || s.Target.Runtime != "" {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if n := strings.Join(steps["api"].Notes, "\n"); !strings.Contains(n, "the function names its image by tag ("+reg+"api:v1, now "+reg+"api@sha256:") {
		t.Errorf("api's notes do not give the digest its tag names now:\n%s", n)
	}
	if b := steps["legacy"].Blockers; len(b) != 1 || !strings.Contains(b[0], "--image-map "+reg+"legacy=IMAGE") || !strings.Contains(b[0], "python3.12/arm64 only") {
		t.Errorf("legacy's blockers: %q", b)
	}
	if b := steps["far"].Blockers; len(b) != 1 || !strings.Contains(b[0], "Lambda takes images only from ECR in the function's region") {
		t.Errorf("far's blockers: %q", b)
	}
	j := openJournal(t, filepath.Join(t.TempDir(), "j"))
	o := fastOptions()
	sum, err := campaign.Apply(t.Context(), p, j, func(string) campaign.ApplyAPI { return lc }, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count(campaign.Applied) != 2 || sum.Count(campaign.Blocked) != 2 {
		t.Fatalf("apply: %+v", sum.Results)
	}
	image := func(name string) string {
		out, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Code.ImageUri)
	}
	for _, name := range []string{"api", "worker"} {
		if got := image(name); got != steps[name].Target.ImageURI {
			t.Errorf("%s runs %s after apply, want %s", name, got, steps[name].Target.ImageURI)
		}
	}
	if _, err := campaign.Rollback(t.Context(), j, func(string) campaign.ApplyAPI { return lc }, o); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"api", "worker", "legacy", "far"} {
		if got := image(name); got != reg+name+":v1" {
			t.Errorf("%s runs %s after rollback, want %s", name, got, reg+name+":v1")
		}
	}
}
