package campaign_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/time/rate"

	"github.com/layerkit/layerkit/internal/campaign"
)

// orgFake is an in-memory Lambda across many accounts and regions, each
// account-region with quotas of its own as Lambda has them: Quota
// control-plane calls a second shared by every call but GetFunction, and
// GetQuota GetFunction calls a second (FACTS: 15 and 100); a call beyond
// is a TooManyRequestsException. An update stays InProgress for Latency
// (spread from 0.5× to 1.5× by function) and a second update meanwhile is
// a ResourceConflictException. Durations and rates are divided by Scale,
// so that a fleet runs in a fraction of its real time with every ratio
// kept. Safe for concurrent use.
type orgFake struct {
	Scale           float64
	Quota, GetQuota float64
	Latency         time.Duration
	// Denied are accounts whose connection fails (a role that cannot be
	// assumed).
	Denied map[string]bool

	mu  sync.Mutex
	ars map[string]*fakeAR // by account/region
}

// fakeAR is one account-region: its functions and quotas, and the calls
// made to it.
type fakeAR struct {
	account, region string
	mu              sync.Mutex
	ctl, get        *rate.Limiter
	fns             []*orgFn
	byARN           map[string]*orgFn
	calls           map[string]int
	throttled       atomic.Int64
}

type orgFn struct {
	name, arn, runtime, arch string
	layers                   []string
	done                     time.Time // when the running update finishes
	latency                  time.Duration
}

func newOrgFake(scale float64) *orgFake {
	return &orgFake{Scale: scale, Quota: 15, GetQuota: 100, Latency: 2 * time.Second, Denied: map[string]bool{}, ars: map[string]*fakeAR{}}
}

// scaled is d in the fake's time.
func (f *orgFake) scaled(d time.Duration) time.Duration { return time.Duration(float64(d) / f.Scale) }

// ar returns an account-region, made on first use.
func (f *orgFake) ar(account, region string) *fakeAR {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := account + "/" + region
	if a := f.ars[k]; a != nil {
		return a
	}
	a := &fakeAR{account: account, region: region, byARN: map[string]*orgFn{}, calls: map[string]int{},
		ctl: rate.NewLimiter(rate.Limit(f.Quota*f.Scale), int(f.Quota)), get: rate.NewLimiter(rate.Limit(f.GetQuota*f.Scale), int(f.GetQuota))}
	f.ars[k] = a
	return a
}

// add makes n functions named fn-NNN in an account-region on runtime with
// one layer, deps:1, that python3.9 and python3.12 both accept.
func (f *orgFake) add(account, region, runtime string, n int) {
	a := f.ar(account, region)
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range n {
		name := fmt.Sprintf("fn-%03d", i)
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name)
		h := fnv.New32a()
		h.Write([]byte(arn))
		lat := time.Duration(float64(f.Latency) * (0.5 + float64(h.Sum32()%1000)/1000))
		fn := &orgFn{name: name, arn: arn, runtime: runtime, arch: "x86_64", latency: lat,
			layers: []string{fmt.Sprintf("arn:aws:lambda:%s:%s:layer:deps:1", region, account)}}
		a.fns = append(a.fns, fn)
		a.byARN[arn] = fn
	}
}

// connect is a campaign.Connect over the fake.
func (f *orgFake) connect(_ context.Context, acct campaign.Account) (func(string) campaign.FleetAPI, error) {
	if f.Denied[acct.ID] {
		return nil, fmt.Errorf("assuming %s: AccessDenied", acct.Role)
	}
	return func(region string) campaign.FleetAPI { return orgClient{f.ar(acct.ID, region), f} }, nil
}

// clients is what ApplyAccounts takes.
func (f *orgFake) clients(account, region string) campaign.ApplyAPI {
	return orgClient{f.ar(account, region), f}
}

// fn returns a function's live configuration.
func (f *orgFake) config(account, region, name string) campaign.Config {
	a := f.ar(account, region)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, fn := range a.fns {
		if fn.name == name {
			return campaign.Config{Runtime: fn.runtime, Arch: "x86_64", Layers: append([]string{}, fn.layers...)}
		}
	}
	return campaign.Config{}
}

type orgClient struct {
	a *fakeAR
	f *orgFake
}

var errThrottled = &ltypes.TooManyRequestsException{Message: aws.String("Rate exceeded")}

// enter counts a call and holds it to the account-region's quota.
func (c orgClient) enter(op string) error {
	lim := c.a.ctl
	if op == "GetFunction" {
		lim = c.a.get
	}
	if op != "Invoke" && !lim.Allow() {
		c.a.throttled.Add(1)
		return errThrottled
	}
	c.a.mu.Lock()
	c.a.calls[op]++
	c.a.mu.Unlock()
	return nil
}

func (c orgClient) ListFunctions(_ context.Context, in *lambda.ListFunctionsInput, _ ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	if err := c.enter("ListFunctions"); err != nil {
		return nil, err
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	start, _ := strconv.Atoi(aws.ToString(in.Marker))
	out := &lambda.ListFunctionsOutput{}
	for i := start; i < len(c.a.fns) && i < start+50; i++ {
		out.Functions = append(out.Functions, *c.a.fns[i].conf(time.Now()))
	}
	if start+50 < len(c.a.fns) {
		out.NextMarker = aws.String(strconv.Itoa(start + 50))
	}
	return out, nil
}

func (fn *orgFn) conf(now time.Time) *ltypes.FunctionConfiguration {
	c := &ltypes.FunctionConfiguration{FunctionName: aws.String(fn.name), FunctionArn: aws.String(fn.arn), Runtime: ltypes.Runtime(fn.runtime),
		Architectures: []ltypes.Architecture{ltypes.Architecture(fn.arch)}, PackageType: ltypes.PackageTypeZip, CodeSha256: aws.String("c29tZS1jb2Rl"),
		State: ltypes.StateActive, LastUpdateStatus: ltypes.LastUpdateStatusSuccessful}
	for _, l := range fn.layers {
		c.Layers = append(c.Layers, ltypes.Layer{Arn: aws.String(l)})
	}
	if now.Before(fn.done) {
		c.LastUpdateStatus = ltypes.LastUpdateStatusInProgress
	}
	return c
}

func (c orgClient) GetLayerVersion(_ context.Context, in *lambda.GetLayerVersionInput, _ ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	if err := c.enter("GetLayerVersion"); err != nil {
		return nil, err
	}
	return &lambda.GetLayerVersionOutput{LayerVersionArn: aws.String(fmt.Sprintf("%s:%d", aws.ToString(in.LayerName), aws.ToInt64(in.VersionNumber))),
		CompatibleRuntimes: []ltypes.Runtime{"python3.9", "python3.12"}, CompatibleArchitectures: []ltypes.Architecture{"x86_64"}}, nil
}

func (c orgClient) ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	if err := c.enter("ListLayerVersions"); err != nil {
		return nil, err
	}
	return &lambda.ListLayerVersionsOutput{}, nil
}

func (c orgClient) ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	if err := c.enter("ListTags"); err != nil {
		return nil, err
	}
	return &lambda.ListTagsOutput{}, nil
}

func (c orgClient) ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	if err := c.enter("ListAliases"); err != nil {
		return nil, err
	}
	return &lambda.ListAliasesOutput{}, nil
}

func (c orgClient) lookup(arn string) (*orgFn, error) {
	if fn := c.a.byARN[arn]; fn != nil {
		return fn, nil
	}
	return nil, &ltypes.ResourceNotFoundException{Message: aws.String("Function not found: " + arn)}
}

func (c orgClient) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	if err := c.enter("GetFunction"); err != nil {
		return nil, err
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	fn, err := c.lookup(aws.ToString(in.FunctionName))
	if err != nil {
		return nil, err
	}
	return &lambda.GetFunctionOutput{Configuration: fn.conf(time.Now())}, nil
}

// update starts an update of fn, or refuses it while one runs.
func (c orgClient) update(arn string, change func(*orgFn)) (*orgFn, error) {
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	fn, err := c.lookup(arn)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if now.Before(fn.done) {
		return nil, &ltypes.ResourceConflictException{Message: aws.String("An update is in progress for resource: " + arn)}
	}
	change(fn)
	fn.done = now.Add(c.f.scaled(fn.latency))
	return fn, nil
}

func (c orgClient) UpdateFunctionConfiguration(_ context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	if err := c.enter("UpdateFunctionConfiguration"); err != nil {
		return nil, err
	}
	_, err := c.update(aws.ToString(in.FunctionName), func(fn *orgFn) {
		fn.runtime, fn.layers = string(in.Runtime), append([]string{}, in.Layers...)
	})
	if err != nil {
		return nil, err
	}
	return &lambda.UpdateFunctionConfigurationOutput{}, nil
}

func (c orgClient) UpdateFunctionCode(_ context.Context, in *lambda.UpdateFunctionCodeInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	if err := c.enter("UpdateFunctionCode"); err != nil {
		return nil, err
	}
	_, err := c.update(aws.ToString(in.FunctionName), func(fn *orgFn) {
		if len(in.Architectures) > 0 {
			fn.arch = string(in.Architectures[0])
		}
	})
	if err != nil {
		return nil, err
	}
	return &lambda.UpdateFunctionCodeOutput{}, nil
}

func (c orgClient) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if err := c.enter("Invoke"); err != nil {
		return nil, err
	}
	return &lambda.InvokeOutput{StatusCode: 200}, nil
}

// callsIn returns the calls an account-region answered, by operation, and
// how many it throttled.
func (f *orgFake) callsIn(account, region string) (map[string]int, int64) {
	a := f.ar(account, region)
	a.mu.Lock()
	defer a.mu.Unlock()
	c := map[string]int{}
	for k, v := range a.calls {
		c[k] = v
	}
	return c, a.throttled.Load()
}
