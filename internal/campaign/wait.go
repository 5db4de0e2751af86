package campaign

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// settle waits until the function can be changed: Active, with no update
// running. An Inactive function is returned as it is: the first call to
// it fails and starts its return to Active, which call then waits for.
func (a *applier) settle(ctx context.Context, api ApplyAPI, arn string) (*lambda.GetFunctionOutput, error) {
	for range 50 {
		fc, err := a.get(ctx, api, arn)
		if err != nil {
			return nil, err
		}
		c := fc.Configuration
		switch {
		case c.State == ltypes.StatePending:
			w := lambda.NewFunctionActiveV2Waiter(api, func(o *lambda.FunctionActiveV2WaiterOptions) {
				o.MinDelay, o.MaxDelay = a.o.PollMin, a.o.PollMax
				o.Retryable = throttleTolerant(o.Retryable)
			})
			if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)}, a.o.MaxWait); err != nil {
				if fc, gerr := a.get(ctx, api, arn); gerr == nil && fc.Configuration.State == ltypes.StateFailed {
					return nil, failedState(fc.Configuration)
				}
				return nil, fmt.Errorf("waiting for the function to become Active: %w", err)
			}
		case c.State == ltypes.StateFailed:
			return nil, failedState(c)
		case c.LastUpdateStatus == ltypes.LastUpdateStatusInProgress:
			// Another update is running; whether it succeeds is its
			// owner's concern.
			if err := a.waitUpdated(ctx, api, arn); err != nil && ctx.Err() != nil {
				return nil, ctx.Err()
			}
		default:
			return fc, nil
		}
	}
	return nil, errors.New("the function did not settle: it kept changing state")
}

// waitUpdated waits for the running update with the FunctionUpdatedV2
// waiter and turns a failed update into an error with Lambda's reason.
func (a *applier) waitUpdated(ctx context.Context, api ApplyAPI, arn string) error {
	w := lambda.NewFunctionUpdatedV2Waiter(api, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = a.o.PollMin, a.o.PollMax
		o.Retryable = throttleTolerant(o.Retryable)
	})
	err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)}, a.o.MaxWait)
	if err == nil || ctx.Err() != nil {
		return err
	}
	fc, gerr := a.get(ctx, api, arn)
	if gerr == nil && fc.Configuration.LastUpdateStatus == ltypes.LastUpdateStatusFailed {
		return &StateError{State: UpdateFailed, Code: string(fc.Configuration.LastUpdateStatusReasonCode), Reason: aws.ToString(fc.Configuration.LastUpdateStatusReason)}
	}
	return fmt.Errorf("waiting for the update: %w", err)
}

// throttleTolerant keeps a waiter polling through throttled GetFunction
// calls instead of giving up.
func throttleTolerant[In, Out any](next func(context.Context, In, Out, error) (bool, error)) func(context.Context, In, Out, error) (bool, error) {
	return func(ctx context.Context, in In, out Out, err error) (bool, error) {
		if err != nil && isThrottle(err) {
			return true, nil
		}
		return next(ctx, in, out, err)
	}
}

// get reads the function through call, so through conflicts and
// throttling; a configuration is always present when err is nil.
func (a *applier) get(ctx context.Context, api ApplyAPI, arn string) (*lambda.GetFunctionOutput, error) {
	var fc *lambda.GetFunctionOutput
	err := a.call(ctx, api, arn, func() (err error) {
		fc, err = api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)})
		return err
	})
	if err == nil && fc.Configuration == nil {
		err = errors.New("GetFunction returned no configuration")
	}
	return fc, err
}

// maxTries bounds the tries of one call through conflicts and throttling.
const maxTries = 12

// call runs f, and on ResourceConflictException (an update is running, or
// the function is not Active yet) waits for the function to settle and
// tries again; on throttling backs off and tries again; on
// CodeArtifactUserPendingException (an idle image function being
// restored) waits for it to settle and tries again, backing off from
// PollMin to PollMax, for up to ActivateWait. The SDK's retryer has
// already retried throttling by then; this outer loop carries a campaign
// through throttling that lasts longer. Answers no retry cures come back
// as a *StateError that says what to do.
func (a *applier) call(ctx context.Context, api ApplyAPI, arn string, f func() error) error {
	delay := a.o.Backoff
	var pending pendingRetry
	for try := 1; ; try++ {
		err := f()
		if err == nil || try == maxTries || ctx.Err() != nil {
			if err != nil && try == maxTries {
				err = fmt.Errorf("gave up after %d tries: %w", try, err)
			}
			return err
		}
		switch {
		case isConflict(err):
			if _, serr := a.settle(ctx, api, arn); serr != nil {
				return serr
			}
			// The conflict may have been an update that has just
			// finished; a short pause spares a busy loop.
			if err := sleep(ctx, a.o.PollMin); err != nil {
				return err
			}
		case isArtifactPending(err):
			if err := a.awaitRestore(ctx, api, arn, &pending, err); err != nil {
				return err
			}
			try-- // bounded by ActivateWait instead
		case isThrottle(err):
			if err := sleep(ctx, delay/2+rand.N(delay/2+1)); err != nil {
				return err
			}
			delay = min(2*delay, 30*time.Second)
		default:
			return explain(err)
		}
	}
}

// isConflict reports whether err says the function cannot take a change
// now (an update is running, or it is not Active): waiting helps.
func isConflict(err error) bool {
	var rc *ltypes.ResourceConflictException
	var nr *ltypes.ResourceNotReadyException
	return errors.As(err, &rc) || errors.As(err, &nr)
}

// isThrottle reports whether err says the call was throttled, under any of
// the codes AWS uses for it: backing off helps.
func isThrottle(err error) bool {
	var tm *ltypes.TooManyRequestsException
	if errors.As(err, &tm) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded":
			return true
		}
	}
	return false
}

// sleep waits d, or less if ctx ends first (then it returns ctx.Err()).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
