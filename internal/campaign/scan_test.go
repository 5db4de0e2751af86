package campaign

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pagedFunctions serves a fixed list two functions a page, as Lambda pages
// (50 a page there).
type pagedFunctions []ltypes.FunctionConfiguration

func (p pagedFunctions) ListFunctions(_ context.Context, in *lambda.ListFunctionsInput, _ ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	start, _ := strconv.Atoi(aws.ToString(in.Marker))
	end := min(start+2, len(p))
	out := &lambda.ListFunctionsOutput{Functions: p[start:end]}
	if end < len(p) {
		out.NextMarker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func fn(name string, rt ltypes.Runtime, arch ltypes.Architecture, pkg ltypes.PackageType) ltypes.FunctionConfiguration {
	return ltypes.FunctionConfiguration{FunctionName: aws.String(name), Runtime: rt, Architectures: []ltypes.Architecture{arch}, PackageType: pkg,
		Layers: []ltypes.Layer{{Arn: aws.String("arn:aws:lambda:eu-west-1:1:layer:deps:3")}}}
}

func TestScanSortsByUrgency(t *testing.T) {
	regions := map[string]pagedFunctions{
		"eu-west-1": {fn("new", "python3.12", "arm64", "Zip"), fn("old", "python3.9", "x86_64", "Zip"), fn("img", "", "x86_64", "Image")},
		"us-east-1": {fn("older", "python3.8", "x86_64", "Zip"), fn("node", "nodejs24.x", "arm64", "Zip")},
	}
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	got, err := Scan(t.Context(), func(r string) ListFunctionsAPI { return regions[r] }, []string{"eu-west-1", "us-east-1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, f := range got {
		order = append(order, f.Name)
	}
	want := []string{"older", "old", "node", "new", "img"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v (days left ascending, images last)", order, want)
	}
	old := got[1]
	if old.Region != "eu-west-1" || old.Arch != "x86_64" || old.Successor == "" || old.DaysLeft == nil || *old.DaysLeft >= 0 || len(old.Layers) != 1 {
		t.Errorf("old = %+v", old)
	}
	if got[4].Note == "" {
		t.Errorf("image function has no note: %+v", got[4])
	}
}
