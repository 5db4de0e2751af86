package campaign_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

const repo = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/"

// imageStep plans fn from its image on x86_64 to image on arm64.
func imageStep(fn *fakeFn, image string) campaign.Step {
	return campaign.Step{Region: fn.region, Name: fn.name, ARN: fn.arn,
		Current: campaign.Config{Arch: "x86_64", Layers: []string{}, ImageURI: fn.image},
		Target:  campaign.Config{Arch: "arm64", Layers: []string{}, ImageURI: image}}
}

// TestApplyImageFunctions moves three image functions to arm64 images:
// one Active, one idle for weeks (Inactive: the update's first try is
// refused and wakes it; apply waits through Pending and tries again), and one
// whose new image Lambda cannot pull (the update fails with
// ImageAccessDenied; it is restored and the error says what to do). The
// plan goes through a file and ReadPlan; rollback puts the moved ones back
// on their old image and architecture.
func TestApplyImageFunctions(t *testing.T) {
	f := newFakeLambda(t)
	api := f.addImage("eu-west-1", "api", repo+"api:v1", "x86_64")
	idle := f.addImage("eu-west-1", "monthly", repo+"monthly:v1", "x86_64")
	f.setState(idle, ltypes.StateInactive, ltypes.StateReasonCodeIdle)
	denied := f.addImage("eu-west-1", "report", repo+"report:v1", "x86_64")
	denied.FailImage = repo + "report@sha256:cc"
	p := &campaign.Plan{Version: campaign.PlanVersion, From: "python3.9", To: "python3.12", Arch: "arm64", Regions: []string{"eu-west-1"},
		Functions: []campaign.Step{imageStep(api, repo+"api@sha256:aa"), imageStep(idle, repo+"monthly@sha256:bb"), imageStep(denied, repo+"report@sha256:cc")}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(planFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err = campaign.ReadPlan(planFile); err != nil {
		t.Fatal(err)
	}
	j := openJournal(t, filepath.Join(t.TempDir(), "j"))
	o := fastOptions()
	o.Smoke, o.MaxFailures = []byte(`{}`), 10
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []campaign.Outcome{campaign.Applied, campaign.Applied, campaign.Failed} {
		if r := sum.Results[i]; r.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", r.Name, r.Outcome, r.Error, want)
		}
	}
	if e := sum.Results[2].Error; !strings.Contains(e, "(ImageAccessDenied); Lambda cannot read its image: give lambda.amazonaws.com ecr:BatchGetImage") {
		t.Errorf("report's error says nothing to do: %s", e)
	}
	check := func(fn *fakeFn, image, arch string) {
		t.Helper()
		if got := f.imageOf(fn); got != image || f.config(fn).Arch != layers.Arch(arch) {
			t.Errorf("%s runs %s on %s, want %s on %s", fn.name, got, f.config(fn).Arch, image, arch)
		}
	}
	check(api, repo+"api@sha256:aa", "arm64")
	check(idle, repo+"monthly@sha256:bb", "arm64")
	check(denied, repo+"report:v1", "x86_64")
	if idle.state != ltypes.StateActive {
		t.Errorf("monthly is %s, want Active", idle.state)
	}
	if st := j.State(api.arn); st.Recorded == nil || st.Recorded.ImageURI != repo+"api:v1" || st.Recorded.Arch != "x86_64" {
		t.Errorf("journal records %+v", st)
	}
	rb, err := campaign.Rollback(t.Context(), j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rb.Results {
		if r.Outcome != campaign.RolledBack {
			t.Errorf("rollback of %s: %s (%s)", r.Name, r.Outcome, r.Error)
		}
	}
	check(api, repo+"api:v1", "x86_64")
	check(idle, repo+"monthly:v1", "x86_64")
	if n := f.FnCalls[api.arn]["UpdateFunctionConfiguration"]; n != 0 {
		t.Errorf("an image function's configuration was updated %d times", n)
	}
}

func TestReadPlanImageStep(t *testing.T) {
	good := campaign.Step{Region: "eu-west-1", Name: "api", ARN: "arn:aws:lambda:eu-west-1:123456789012:function:api",
		Current: campaign.Config{Arch: "x86_64", Layers: []string{}, ImageURI: repo + "api:v1"},
		Target:  campaign.Config{Arch: "arm64", Layers: []string{}, ImageURI: repo + "api@sha256:aa"}}
	tests := []struct {
		name string
		edit func(*campaign.Step)
		want string
	}{
		{"good", func(*campaign.Step) {}, ""},
		{"no tag", func(s *campaign.Step) { s.Target.ImageURI = repo + "api" }, "neither a tag nor a digest"},
		{"runtime", func(s *campaign.Step) { s.Target.Runtime = "python3.12" }, "no runtime and no layers"},
		{"arch", func(s *campaign.Step) { s.Target.Arch = "sparc" }, `architecture "sparc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			b, _ := json.Marshal(campaign.Plan{Version: campaign.PlanVersion, Functions: []campaign.Step{s}})
			path := filepath.Join(t.TempDir(), "plan.json")
			os.WriteFile(path, b, 0o644)
			_, err := campaign.ReadPlan(path)
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("ReadPlan: %v, want %q", err, tt.want)
			}
		})
	}
}
