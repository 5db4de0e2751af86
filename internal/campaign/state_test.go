package campaign_test

import (
	"slices"
	"testing"

	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/campaign"
)

func TestReadStatesAndInactive(t *testing.T) {
	f := newFakeLambda(t)
	f.add("eu-west-1", "api", "python3.12", "arm64")
	batch := f.addImage("eu-west-1", "monthly-batch", "1.dkr.ecr.eu-west-1.amazonaws.com/batch@sha256:aa", "x86_64")
	f.setState(batch, ltypes.StateInactive, ltypes.StateReasonCodeIdle)
	gone := f.addImage("us-east-1", "report", "1.dkr.ecr.us-east-1.amazonaws.com/report:v3", "arm64")
	f.setState(gone, ltypes.StateFailed, ltypes.StateReasonCodeImageDeleted)
	fs := []campaign.Function{
		{Region: "eu-west-1", Name: "api", ARN: "arn:aws:lambda:eu-west-1:123456789012:function:api"},
		{Region: "eu-west-1", Name: "monthly-batch", ARN: batch.arn},
		{Region: "us-east-1", Name: "report", ARN: gone.arn},
		{Region: "us-east-1", Name: "deleted", ARN: "arn:aws:lambda:us-east-1:123456789012:function:deleted"},
	}
	if err := campaign.ReadStates(t.Context(), func(r string) campaign.GetFunctionAPI { return f.client(r) }, fs); err != nil {
		t.Fatal(err)
	}
	type row struct{ state, code, update, image string }
	var got []row
	for _, fn := range fs {
		got = append(got, row{fn.State, fn.StateReasonCode, fn.LastUpdateStatus, fn.ImageURI})
	}
	want := []row{
		{"Active", "", "Successful", ""},
		{"Inactive", "Idle", "Successful", "1.dkr.ecr.eu-west-1.amazonaws.com/batch@sha256:aa"},
		{"Failed", "ImageDeleted", "Successful", "1.dkr.ecr.us-east-1.amazonaws.com/report:v3"},
		{"", "", "", ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("states\n got %v\nwant %v", got, want)
	}
	if fs[3].Note == "" {
		t.Errorf("a function deleted since it was listed has no note: %+v", fs[3])
	}
	var names []string
	for _, fn := range campaign.Inactive(fs) {
		names = append(names, fn.Name)
		if campaign.Fix(fn.State, fn.StateReasonCode) == "" {
			t.Errorf("%s (%s, %s): no advice", fn.Name, fn.State, fn.StateReasonCode)
		}
	}
	if want := []string{"monthly-batch", "report"}; !slices.Equal(names, want) {
		t.Errorf("Inactive = %v, want %v", names, want)
	}
	// Reading a state does not wake the function: only a call does.
	if c := f.config(batch); c.Arch != "x86_64" || batch.state != ltypes.StateInactive {
		t.Errorf("monthly-batch changed by reading its state: %v %s", c, batch.state)
	}
}
