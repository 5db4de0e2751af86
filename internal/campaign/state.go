package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// GetFunctionAPI is what ReadStates needs from Lambda; *lambda.Client
// implements it.
type GetFunctionAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
}

// ReadStates fills in each function's State, StateReasonCode,
// StateReason, LastUpdateStatus and ImageURI with one GetFunction call
// each: ListFunctions does not return them. Calls run eight at a time,
// at most 5 × DefaultRate a second in each region (GetFunction's quota is
// its own, above the control plane's 15). A function deleted since it was
// listed keeps empty fields and gets a note; any other error stops the
// reading and is returned.
func ReadStates(ctx context.Context, client func(region string) GetFunctionAPI, fs []Function) error {
	var mu sync.Mutex
	limits := map[string]*rate.Limiter{}
	limit := func(region string) *rate.Limiter {
		mu.Lock()
		defer mu.Unlock()
		if l, ok := limits[region]; ok {
			return l
		}
		l := rate.NewLimiter(rate.Limit(getPerRate*DefaultRate), 10)
		limits[region] = l
		return l
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range fs {
		f := &fs[i]
		g.Go(func() error {
			if err := limit(f.Region).Wait(ctx); err != nil {
				return err
			}
			name := f.ARN
			if name == "" {
				name = f.Name
			}
			out, err := client(f.Region).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
			var nf *ltypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf):
				f.Note = join(f.Note, "deleted since it was listed")
				return nil
			case err != nil:
				return fmt.Errorf("reading the state of %s in %s: %w", f.Name, f.Region, err)
			case out.Configuration == nil:
				return fmt.Errorf("reading the state of %s in %s: GetFunction returned no configuration", f.Name, f.Region)
			}
			c := out.Configuration
			f.State, f.StateReasonCode, f.StateReason = string(c.State), string(c.StateReasonCode), aws.ToString(c.StateReason)
			f.LastUpdateStatus = string(c.LastUpdateStatus)
			if out.Code != nil {
				f.ImageURI = aws.ToString(out.Code.ImageUri)
			}
			return nil
		})
	}
	return g.Wait()
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Inactive returns the functions whose State is Inactive or Failed, in
// their order: an Inactive one fails its next call while Lambda restores
// it, a Failed one fails every call until its cause is fixed (Fix says
// how). fs must have been through ReadStates.
func Inactive(fs []Function) []Function {
	var out []Function
	for _, f := range fs {
		if f.State == string(ltypes.StateInactive) || f.State == string(ltypes.StateFailed) {
			out = append(out, f)
		}
	}
	return out
}

// Fix says what to do about a function that is Inactive, or Failed (or
// whose last update failed) with the reason code code; "" when layerkit
// has no advice beyond Lambda's own reason.
func Fix(state, code string) string {
	switch code {
	case string(ltypes.StateReasonCodeImageDeleted):
		return "its image was deleted from ECR: push the image again under the same digest, or point the function at an existing image (UpdateFunctionCode --image-uri, or campaign plan --image-map)"
	case string(ltypes.StateReasonCodeImageAccessDenied):
		return "Lambda cannot read its image: give lambda.amazonaws.com ecr:BatchGetImage and ecr:GetDownloadUrlForLayer in the repository's policy (and the repository's KMS key to the execution role), then update the function's code"
	case string(ltypes.StateReasonCodeInsufficientRolePermissions):
		return "the execution role cannot be assumed by Lambda or lacks permissions: fix its trust policy (lambda.amazonaws.com) and attached policies, then update the function"
	case codeArtifactFailed:
		return "Lambda could not restore its code after it was idle: update the function's code (UpdateFunctionCode, for an image function with its ImageUri) to restore it"
	case codeArtifactDeleted:
		return "its code is gone: deploy it again (UpdateFunctionCode)"
	case string(ltypes.StateReasonCodeInvalidImage):
		return "Lambda refused the image (a multi-platform index, uncompressed layers, or over 10 GiB unpacked): build a single-platform image with gzip layers (layerkit build --image) and update the function's code"
	}
	if state == string(ltypes.StateInactive) {
		return "idle for weeks: its next call fails with CodeArtifactUserPendingException while Lambda restores it (a minute or two); invoke it once and wait for Active before relying on it"
	}
	return ""
}
