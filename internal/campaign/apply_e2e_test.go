package campaign_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/internal/testutil"
)

// TestCampaignAgainstMoto runs a whole campaign against moto_server: 30
// functions on python3.9 in two regions attaching the example's python3.9
// layer; plan; apply with a canary wave, cut off part way; resume; every
// function read back through the SDK; roll back; read back again. moto
// reports every update finished at once, ignores a new architecture in
// UpdateFunctionCode and runs Invoke only in Docker (its Docker-less
// Lambda loses the layers functions attach), so the architecture stays and
// no smoke event is sent here; the in-process fake covers those.
func TestCampaignAgainstMoto(t *testing.T) {
	ep, _, cfg := awstest.Moto(t)
	regions := []string{"eu-west-1", "us-east-1"}
	dist, m := testutil.BuildExample(t)
	cl, err := publish.NewClients(t.Context(), publish.ClientOptions{EndpointURL: ep})
	if err != nil {
		t.Fatal(err)
	}
	published, err := publish.Publish(t.Context(), cl, publish.Options{Dist: dist, Manifest: m, Regions: regions})
	if err != nil {
		t.Fatal(err)
	}
	// The team also publishes deps for python3.12 on x86_64 (the
	// example builds it for arm64 only, and moto cannot change a
	// function's architecture).
	for _, r := range regions {
		lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = r })
		out, err := lc.PublishLayerVersion(t.Context(), &lambda.PublishLayerVersionInput{LayerName: aws.String("deps-python3_12-x86_64"),
			Content: &ltypes.LayerVersionContentInput{ZipFile: zipOf(t, "python/deps.py")}, CompatibleRuntimes: []ltypes.Runtime{ltypes.RuntimePython312}})
		if err != nil {
			t.Fatal(err)
		}
		published = append(published, publish.Result{Name: "deps-python3_12-x86_64", Artifact: "deps-python3.12-x86_64", Runtime: "python3.12",
			Arch: "x86_64", Region: r, VersionARN: aws.ToString(out.LayerVersionArn), Version: out.Version})
	}
	layerFor := func(region, runtime string) string {
		for _, r := range published {
			if r.Region == region && r.Runtime == runtime && r.Arch == "x86_64" {
				return r.VersionARN
			}
		}
		t.Fatalf("no published layer for %s in %s", runtime, region)
		return ""
	}
	lambdas := map[string]*lambda.Client{}
	for _, r := range regions {
		lambdas[r] = lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = r })
	}
	role := awstest.LambdaRole(t, cfg)
	code, err := os.ReadFile(filepath.Join(dist, "main.zip"))
	if err != nil {
		t.Fatal(err)
	}
	const perRegion = 15
	for _, r := range regions {
		for i := range perRegion {
			awstest.CreateFunction(t, lambdas[r], &lambda.CreateFunctionInput{FunctionName: aws.String(fmt.Sprintf("svc-%02d", i)),
				Role: role, Runtime: ltypes.RuntimePython39, Handler: aws.String("handler.handler"),
				Code: &ltypes.FunctionCode{ZipFile: code}, Layers: []string{layerFor(r, "python3.9")}})
		}
	}

	client := func(r string) campaign.LambdaAPI { return lambdas[r] }
	p, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12",
		Regions: regions, Published: published})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 2*perRegion {
		t.Fatalf("planned %d functions", len(p.Functions))
	}
	path := filepath.Join(t.TempDir(), "campaign.journal")
	apply := func(ctx context.Context, stopAfter int) (*campaign.Summary, error) {
		j, err := campaign.OpenJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var mu sync.Mutex
		done := 0
		o := campaign.ApplyOptions{Concurrency: 4, Canary: 3, PollMin: 10 * time.Millisecond,
			PollMax: 50 * time.Millisecond, Progress: func(campaign.Result) {
				mu.Lock()
				defer mu.Unlock()
				if done++; done == stopAfter {
					cancel()
				}
			}}
		return campaign.Apply(ctx, p, j, func(r string) campaign.ApplyAPI { return lambdas[r] }, o)
	}
	sum, err := apply(t.Context(), 10)
	if err == nil {
		t.Fatalf("the cut-off run finished: %+v", sum)
	}
	first := sum.Count(campaign.Applied)
	if first < 10 || first == len(p.Functions) {
		t.Fatalf("cut-off run applied %d", first)
	}
	sum, err = apply(t.Context(), -1)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count(campaign.Finished) < first || sum.Count(campaign.Finished)+sum.Count(campaign.Applied) != len(p.Functions) {
		t.Fatalf("resumed run: %+v", sum.Results)
	}
	check := func(runtime ltypes.Runtime) {
		t.Helper()
		for _, r := range regions {
			for i := range perRegion {
				fc, err := lambdas[r].GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fmt.Sprintf("svc-%02d", i))})
				if err != nil {
					t.Fatal(err)
				}
				var arns []string
				for _, l := range fc.Layers {
					arns = append(arns, aws.ToString(l.Arn))
				}
				if want := layerFor(r, string(runtime)); fc.Runtime != runtime || len(arns) != 1 || arns[0] != want {
					t.Errorf("%s svc-%02d: %s with %v, want %s with %s", r, i, fc.Runtime, arns, runtime, want)
				}
			}
		}
	}
	check(ltypes.RuntimePython312)

	j, err := campaign.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	sum, err = campaign.Rollback(t.Context(), j, func(r string) campaign.ApplyAPI { return lambdas[r] }, campaign.ApplyOptions{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n := sum.Count(campaign.RolledBack); n != len(p.Functions) {
		t.Fatalf("rolled back %d: %+v", n, sum.Results)
	}
	check(ltypes.RuntimePython39)
}

// zipOf returns a zip holding the named files, each with a line of Python.
func zipOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "# %s\n", n)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
