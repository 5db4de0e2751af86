package cli

import (
	"bytes"
	"os"
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

func TestCampaignPlanImageUsage(t *testing.T) {
	for _, bad := range []string{"repo", "=x/y:1", "a.example/repo=", "a.example/repo=b.example/repo", "a.example/repo=b.example/repo@md5:00"} {
		r := runCLI(t, nil, "campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1", "--out", "p.json", "--image-map", bad)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "--image-map") {
			t.Errorf("--image-map %q: %+v", bad, r)
		}
	}
}

// TestCampaignPlanImagesMoto plans two image functions in moto_server, one
// through --image-map and one through a build's manifest (--images), and
// one the build has no image for (blocked); applies the plan and rolls it
// back, reading each function's ImageUri back after each.
func TestCampaignPlanImagesMoto(t *testing.T) {
	ep, account, cfg := awstest.Moto(t)
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = "eu-west-1" })
	role := awstest.LambdaRole(t, cfg)
	reg := account + ".dkr.ecr.eu-west-1.amazonaws.com/"
	for _, name := range []string{"api", "worker", "legacy"} {
		awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role, PackageType: ltypes.PackageTypeImage,
			Code: &ltypes.FunctionCode{ImageUri: aws.String(reg + name + ":v1")}, Architectures: []ltypes.Architecture{"arm64"}})
	}
	dir := t.TempDir()
	digest := "sha256:" + strings.Repeat("b", 64)
	var buf bytes.Buffer
	if err := layers.WriteManifest(&buf, &layers.Manifest{Version: layers.ManifestVersion, Artifacts: []layers.Artifact{
		{Kind: layers.KindImage, Name: "python3.12-arm64", Runtime: "python3.12", Arch: "arm64", Path: "images/python3.12-arm64", Digest: digest, Ref: reg + "worker@" + digest},
		{Kind: layers.KindImage, Name: "python3.12-x86_64", Runtime: "python3.12", Arch: "x86_64", Path: "images/python3.12-x86_64", Digest: digest},
	}}); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(manifest, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(dir, "plan.json")
	r := runCLI(t, map[string]string{"AWS_ENDPOINT_URL": ep}, "campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1",
		"--image-map", reg+"api:v1="+reg+"api:v2", "--images", manifest, "--out", plan)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	p, err := campaign.ReadPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range p.Functions {
		got[s.Name] = s.Target.ImageURI
		if s.Blocked() {
			got[s.Name] = "blocked"
		}
	}
	want := map[string]string{"api": reg + "api:v2", "worker": reg + "worker@" + digest, "legacy": "blocked"}
	if len(got) != 3 || got["api"] != want["api"] || got["worker"] != want["worker"] || got["legacy"] != want["legacy"] {
		t.Errorf("targets %v, want %v", got, want)
	}
	if !strings.Contains(r.stdout, "image -> image") || !strings.Contains(r.stdout, "BLOCKED: no image for "+reg+"legacy") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	image := func(name string) string {
		out, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Code.ImageUri)
	}
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	if r := runCLI(t, env, "campaign", "apply", plan, "--activate-wait", "10s"); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for name, want := range map[string]string{"api": want["api"], "worker": want["worker"], "legacy": reg + "legacy:v1"} {
		if got := image(name); got != want {
			t.Errorf("after apply %s runs %s, want %s", name, got, want)
		}
	}
	if r := runCLI(t, env, "campaign", "rollback", "--journal", strings.TrimSuffix(plan, ".json")+".journal"); r.code != 0 {
		t.Fatalf("rollback: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, name := range []string{"api", "worker", "legacy"} {
		if got := image(name); got != reg+name+":v1" {
			t.Errorf("after rollback %s runs %s", name, got)
		}
	}
}
