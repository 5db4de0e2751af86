package campaign_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/internal/campaign"
)

// TestApplyWaitsForRestoredCode: a function idle for weeks (Inactive)
// answers its smoke invocation with CodeArtifactUserPendingException and
// goes through Pending; apply waits for it to be Active and invokes again,
// and the function is applied.
func TestApplyWaitsForRestoredCode(t *testing.T) {
	f, p, fns := fakeFleet(t, 1, "eu-west-1")
	p.Functions[0].Target = p.Functions[0].Current // already there: only the smoke call
	f.setState(fns[0], ltypes.StateInactive, ltypes.StateReasonCodeIdle)
	o := fastOptions()
	o.Smoke = []byte(`{}`)
	sum, err := campaign.Apply(t.Context(), p, openJournal(t, filepath.Join(t.TempDir(), "j")), f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Unchanged {
		t.Fatalf("result %+v, want unchanged after the restore", r)
	}
	if n := f.FnCalls[fns[0].arn]["Invoke"]; n != 2 {
		t.Errorf("%d invocations, want 2 (refused while restoring, then answered)", n)
	}
}

// TestApplyGivesUpOnRestore: with ActivateWait spent, a function still
// being restored fails with an error that says so.
func TestApplyGivesUpOnRestore(t *testing.T) {
	f, p, fns := fakeFleet(t, 1, "eu-west-1")
	p.Functions[0].Target = p.Functions[0].Current
	f.setState(fns[0], ltypes.StateInactive, ltypes.StateReasonCodeIdle)
	o := fastOptions()
	o.Smoke, o.ActivateWait = []byte(`{}`), 1 // 1 ns: spent at the first refusal
	sum, err := campaign.Apply(t.Context(), p, openJournal(t, filepath.Join(t.TempDir(), "j")), f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Failed || !strings.Contains(r.Error, "still restoring") ||
		!strings.Contains(r.Error, "CodeArtifactUserPendingException") {
		t.Errorf("result %+v", r)
	}
}

// TestApplyStateFailures: answers no retry cures fail the function with
// what to do, and nothing is changed.
func TestApplyStateFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeLambda, *fakeFn)
		want  string
	}{
		{"image deleted", func(f *fakeLambda, fn *fakeFn) {
			f.setState(fn, ltypes.StateFailed, ltypes.StateReasonCodeImageDeleted)
		},
			"(ImageDeleted); its image was deleted from ECR: push the image again"},
		{"image access denied", func(f *fakeLambda, fn *fakeFn) {
			f.setState(fn, ltypes.StateFailed, ltypes.StateReasonCodeImageAccessDenied)
		}, "(ImageAccessDenied); Lambda cannot read its image: give lambda.amazonaws.com ecr:BatchGetImage"},
		{"role", func(f *fakeLambda, fn *fakeFn) {
			f.setState(fn, ltypes.StateFailed, ltypes.StateReasonCodeInsufficientRolePermissions)
		}, "(InsufficientRolePermissions); the execution role cannot be assumed by Lambda"},
		{"code not restored", func(f *fakeLambda, fn *fakeFn) {
			fn.InvokeErr = &ltypes.CodeArtifactUserFailedException{Message: aws.String("Lambda was unable to restore the code")}
		}, "Lambda refused the call: Lambda was unable to restore the code (CodeArtifactUserFailedException); Lambda could not restore its code after it was idle: update the function's code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p, fns := fakeFleet(t, 1, "eu-west-1")
			tt.setup(f, fns[0])
			o := fastOptions()
			o.Smoke = []byte(`{}`)
			sum, err := campaign.Apply(t.Context(), p, openJournal(t, filepath.Join(t.TempDir(), "j")), f.client, o)
			if err != nil {
				t.Fatal(err)
			}
			if r := sum.Results[0]; r.Outcome != campaign.Failed || !strings.Contains(r.Error, tt.want) {
				t.Errorf("result %+v\nwant an error containing %q", r, tt.want)
			}
			wantConfig(t, f, fns[0], "python3.9", "x86_64", oldLayer)
		})
	}
}
