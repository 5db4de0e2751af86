package cli

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/campaign"
)

func TestScanUsage(t *testing.T) {
	if r := runCLI(t, nil, "scan"); r.code != ExitUsage || r.stderr != "layerkit: no regions: give --regions\nRun 'layerkit --help' for usage.\n" {
		t.Errorf("%+v", r)
	}
	if r := runCLI(t, nil, "scan", "--regions", "eu-west-1", "--format", "xml"); r.code != ExitUsage {
		t.Errorf("%+v", r)
	}
}

// TestScanMoto creates functions on old and new runtimes in two regions
// in moto_server and scans them.
func TestScanMoto(t *testing.T) {
	ep, _, cfg := awstest.Moto(t)
	role := awstest.LambdaRole(t, cfg)
	zip, err := os.ReadFile(builtExample(t) + "/main.zip")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(region, name string, rt ltypes.Runtime, arch ltypes.Architecture) {
		lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region })
		awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role, Runtime: rt,
			Handler: aws.String("handler.handler"), Code: &ltypes.FunctionCode{ZipFile: zip}, Architectures: []ltypes.Architecture{arch}})
	}
	mk("eu-west-1", "orders", ltypes.RuntimePython39, ltypes.ArchitectureX8664)
	mk("eu-west-1", "billing", ltypes.RuntimePython312, ltypes.ArchitectureArm64)
	mk("us-east-1", "legacy", ltypes.RuntimePython38, ltypes.ArchitectureX8664)
	r := runCLI(t, map[string]string{"AWS_ENDPOINT_URL": ep}, "scan", "--regions", "eu-west-1,us-east-1", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct{ Functions []campaign.Function }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Functions) != 3 || doc.Functions[0].Name != "legacy" || doc.Functions[1].Name != "orders" || doc.Functions[2].Name != "billing" ||
		doc.Functions[1].Successor == "" || doc.Functions[2].Arch != "arm64" {
		t.Errorf("functions = %+v", doc.Functions)
	}
}
