package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/campaign"
)

// TestScanStatesMoto scans a zip and an image function in moto_server:
// every row carries PackageType, State and LastUpdateStatus (GetFunction's)
// and the image's URI. moto keeps every function Active, so --inactive
// lists none here; the campaign package's fake covers Inactive and Failed.
func TestScanStatesMoto(t *testing.T) {
	ep, account, cfg := awstest.Moto(t)
	role := awstest.LambdaRole(t, cfg)
	zip, err := os.ReadFile(builtExample(t) + "/main.zip")
	if err != nil {
		t.Fatal(err)
	}
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = "eu-west-1" })
	awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: role, Runtime: ltypes.RuntimePython39,
		Handler: aws.String("handler.handler"), Code: &ltypes.FunctionCode{ZipFile: zip}})
	image := account + ".dkr.ecr.eu-west-1.amazonaws.com/batch:v1"
	awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String("batch"), Role: role, PackageType: ltypes.PackageTypeImage,
		Code: &ltypes.FunctionCode{ImageUri: aws.String(image)}})
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	r := runCLI(t, env, "scan", "--regions", "eu-west-1", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct{ Functions []campaign.Function }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	type row struct{ name, pkg, state, update, image string }
	var got []row
	for _, f := range doc.Functions {
		got = append(got, row{f.Name, f.PackageType, f.State, f.LastUpdateStatus, f.ImageURI})
	}
	want := []row{{"orders", "Zip", "Active", "Successful", ""}, {"batch", "Image", "Active", "Successful", image}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("scan rows\n got %v\nwant %v", got, want)
	}
	r = runCLI(t, env, "scan", "--regions", "eu-west-1", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || r.code != 0 || len(recs) != 3 {
		t.Fatalf("csv: %v %+v", err, r)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if b := recs[2]; b[col["name"]] != "batch" || b[col["package_type"]] != "Image" || b[col["state"]] != "Active" ||
		b[col["last_update_status"]] != "Successful" || b[col["image_uri"]] != image {
		t.Errorf("csv row %v (header %v)", b, recs[0])
	}
	r = runCLI(t, env, "scan", "--regions", "eu-west-1")
	if r.code != 0 || !strings.Contains(r.stdout, "STATE") || !strings.Contains(r.stdout, "Image") {
		t.Errorf("text: %+v", r)
	}
	r = runCLI(t, env, "scan", "--regions", "eu-west-1", "--inactive")
	if r.code != 0 || r.stdout != "REGION  FUNCTION  TYPE  STATE  REASON  WHAT TO DO\n" || r.stderr != "0 functions Inactive or Failed in eu-west-1\n" {
		t.Errorf("--inactive: %+v", r)
	}
}
