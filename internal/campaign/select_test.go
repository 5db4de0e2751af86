package campaign_test

import (
	"errors"
	"path"
	"testing"

	"github.com/layerkit/layerkit/internal/campaign"
)

// TestMakePlanRefusesBadSelect checks a malformed Select is an error
// before any call to AWS, not a glob that matches nothing.
func TestMakePlanRefusesBadSelect(t *testing.T) {
	for _, glob := range []string{"[", "svc-[", `orders-\`} {
		client := func(region string) campaign.LambdaAPI {
			t.Fatalf("--select %q: MakePlan called AWS in %s", glob, region)
			return nil
		}
		_, err := campaign.MakePlan(t.Context(), client, campaign.PlanOptions{From: "python3.9", To: "python3.12", Regions: []string{"eu-west-1"}, Select: glob})
		if !errors.Is(err, path.ErrBadPattern) {
			t.Errorf("Select %q: err = %v, want path.ErrBadPattern", glob, err)
		}
	}
	for _, glob := range []string{"", "orders-*", "svc-[a-z]?"} {
		if err := campaign.CheckSelect(glob); err != nil {
			t.Errorf("CheckSelect(%q) = %v", glob, err)
		}
	}
}
