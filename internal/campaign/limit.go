package campaign

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/time/rate"
)

// client returns the account-region's client behind its rate limits
// (Lambda's quotas are per account and region).
func (a *applier) client(account, region string) ApplyAPI {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := account + "/" + region
	if c, ok := a.limited[k]; ok {
		return c
	}
	c := &limitedAPI{ApplyAPI: a.clients(account, region),
		ctl: rate.NewLimiter(rate.Limit(a.o.Rate), 1), get: rate.NewLimiter(rate.Limit(getPerRate*a.o.Rate), 10)}
	a.limited[k] = c
	return c
}

// getPerRate is GetFunction's rate as a multiple of the control-plane
// rate: Lambda's GetFunction quota is 100 a second beside the 15 of the
// control plane, and 6.5 times the default 15 keeps a little under it.
// The waits poll with it: at 5 times (75 a second), 50 functions settling
// and polling at once queued behind it and BenchmarkFleet took 1.52x its
// minimum; at 6.5 times, 1.42-1.45x with nothing throttled.
const getPerRate = 6.5

// limitedAPI holds calls to an account-region's rate: updates to ctl, GetFunction
// to get. Invoke passes through: invocations are not control-plane calls
// and do not count against that quota.
type limitedAPI struct {
	ApplyAPI
	ctl, get *rate.Limiter
}

func (l *limitedAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, fns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	if err := l.get.Wait(ctx); err != nil {
		return nil, err
	}
	return l.ApplyAPI.GetFunction(ctx, in, fns...)
}

func (l *limitedAPI) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, fns ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	if err := l.ctl.Wait(ctx); err != nil {
		return nil, err
	}
	return l.ApplyAPI.UpdateFunctionCode(ctx, in, fns...)
}

func (l *limitedAPI) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, fns ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	if err := l.ctl.Wait(ctx); err != nil {
		return nil, err
	}
	return l.ApplyAPI.UpdateFunctionConfiguration(ctx, in, fns...)
}
