package campaign_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

// codeSize is a Lambda client that reports every function's code as n
// bytes zipped.
type codeSize struct {
	*lambda.Client
	n int64
}

func (c codeSize) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	out, err := c.Client.ListFunctions(ctx, in, o...)
	if out != nil {
		for i := range out.Functions {
			out.Functions[i].CodeSize = c.n
		}
	}
	return out, err
}

// TestPlanDirectUploadLimit: an architecture change of code of exactly
// 52,428,800 bytes (Lambda takes only smaller zips in the request) is
// planned with the note that apply needs a staging bucket; a byte less
// needs none.
func TestPlanDirectUploadLimit(t *testing.T) {
	cfg, _, published, _ := fleet(t)
	for n, want := range map[int64]bool{layers.MaxDirectUploadBytes - 1: false, layers.MaxDirectUploadBytes: true} {
		client := func(r string) campaign.LambdaAPI {
			return codeSize{lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = r }), n}
		}
		p, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Arch: "arm64",
			Regions: []string{"eu-west-1"}, Published: published, Select: "orders-api"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Functions) != 1 {
			t.Fatalf("%d bytes: %d functions", n, len(p.Functions))
		}
		if noted := strings.Contains(strings.Join(p.Functions[0].Notes, "\n"), "--stage-bucket"); noted != want {
			t.Errorf("%d bytes: notes %q", n, p.Functions[0].Notes)
		}
	}
}
