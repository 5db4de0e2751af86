package campaign_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// addImage creates an Active image function running image on arch.
func (f *fakeLambda) addImage(region, name, image, arch string) *fakeFn {
	fn := f.add(region, name, "", arch)
	f.mu.Lock()
	defer f.mu.Unlock()
	fn.image = image
	return fn
}

// setState puts fn in state with a reason code, as Lambda does to an idle
// image function (Inactive, Idle) or one whose image is gone (Failed,
// ImageDeleted).
func (f *fakeLambda) setState(fn *fakeFn, state ltypes.State, code ltypes.StateReasonCode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn.state, fn.stateCode, fn.stateReason = state, code, fmt.Sprintf("The function is %s (%s)", state, code)
}

// imageOf returns fn's live ImageUri.
func (f *fakeLambda) imageOf(fn *fakeFn) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn.image
}

// updateImage is UpdateFunctionCode of an image function, called with
// f.mu held by enter; it releases it. Lambda refuses an ImageUri for a
// zip function and code without one for an image function.
func (f *fakeLambda) updateImage(fn *fakeFn, in *lambda.UpdateFunctionCodeInput) (*lambda.UpdateFunctionCodeOutput, error) {
	arn := fn.arn
	if fn.image == "" || in.ImageUri == nil {
		f.mu.Unlock()
		return nil, &ltypes.InvalidParameterValueException{Message: aws.String("Please provide ImageUri when updating a function with packageType Image, and only then")}
	}
	if err := f.refuse(fn); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	if fn.state == ltypes.StateFailed {
		fn.state, fn.stateCode, fn.stateReason = ltypes.StateActive, "", ""
	}
	defer f.leave("UpdateFunctionCode", arn)
	f.startUpdate(fn)
	fn.image = aws.ToString(in.ImageUri)
	fn.failing = fn.image == fn.FailImage
	fn.failCode = ""
	if fn.failing {
		fn.failCode = ltypes.LastUpdateStatusReasonCodeImageAccessDenied
	}
	if len(in.Architectures) > 0 {
		fn.arch = string(in.Architectures[0])
	}
	return &lambda.UpdateFunctionCodeOutput{FunctionArn: aws.String(arn), LastUpdateStatus: fn.last}, nil
}
