package campaign_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

// fakeLambda is an in-memory Lambda with the states a campaign meets:
// updates stay InProgress for some GetFunction polls and then succeed or
// fail (a failed update leaves the previous configuration, as Lambda
// does); a second update during one is a ResourceConflictException; a
// Pending function refuses changes until it turns Active; an Inactive one
// refuses the first call and then returns to Active through Pending;
// throttling is injected by count. Code is served over HTTP on loopback
// at the address GetFunction gives. Time is counted in polls, so tests
// run fast and the same way every time.
type fakeLambda struct {
	mu  sync.Mutex
	fns map[string]*fakeFn // by ARN
	srv *httptest.Server
	// UpdatePolls is how many GetFunction polls an update stays
	// InProgress; ActivatePolls, how many a Pending function stays so.
	UpdatePolls, ActivatePolls int
	// ThrottleEvery makes every n-th call a TooManyRequestsException.
	ThrottleEvery int
	// After, when set, runs after a successful call of op on arn, outside
	// the lock (tests cancel a run there).
	After func(op, arn string)

	calls    int
	Calls    map[string]int            // by operation
	FnCalls  map[string]map[string]int // by ARN, then operation
	inFlight int                       // functions with an update InProgress
	// MaxInFlight is the most functions that were updating at once.
	MaxInFlight int
	// S3 holds staged code UpdateFunctionCode reads.
	S3 *fakeS3
	// Downloads counts requests for functions' code.
	Downloads int
}

// fakeS3 is buckets in regions holding objects. It keeps objects by
// content: a put must carry code the fake Lambda served (which is all a
// campaign stages), so that storing it hashes the stream and copies
// nothing, and a test measures only what apply itself allocates.
type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string]string   // name -> region
	objects map[string][]byte   // bucket/key
	served  map[[32]byte][]byte // code by SHA-256
	Puts    int
}

// serve notes that code, whose SHA-256 is sum, was handed out.
func (s *fakeS3) serve(sum [32]byte, code []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served[sum] = code
}

func (s *fakeS3) get(bucket, key, region string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objects[bucket+"/"+key]
	return b, ok && s.buckets[bucket] == region
}

func (s *fakeS3) client(region string) campaign.StageAPI { return s3Client{s, region} }

type s3Client struct {
	s      *fakeS3
	region string
}

func (c s3Client) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	h := sha256.New()
	n, err := io.Copy(h, in.Body)
	if err != nil {
		return nil, err
	}
	var sum [32]byte
	h.Sum(sum[:0])
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != aws.ToString(in.ChecksumSHA256) {
		return nil, fmt.Errorf("BadDigest: checksum %s, body %s", aws.ToString(in.ChecksumSHA256), got)
	}
	if in.ContentLength != nil && *in.ContentLength != n {
		return nil, fmt.Errorf("IncompleteBody: Content-Length %d, body %d bytes", *in.ContentLength, n)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	bucket := aws.ToString(in.Bucket)
	if r, ok := c.s.buckets[bucket]; !ok || r != c.region {
		return nil, fmt.Errorf("NoSuchBucket: %s in %s", bucket, c.region)
	}
	b, ok := c.s.served[sum]
	if !ok {
		return nil, fmt.Errorf("fake S3 keeps only code the fake Lambda served; got %d bytes of something else", n)
	}
	c.s.objects[bucket+"/"+aws.ToString(in.Key)] = b
	c.s.Puts++
	return &s3.PutObjectOutput{}, nil
}

func (c s3Client) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	delete(c.s.objects, aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

type fakeFn struct {
	region, name, arn string
	runtime           string
	arch              string
	layers            []string
	code              []byte
	state             ltypes.State
	last              ltypes.LastUpdateStatus
	reason            string
	polls             int // left until the running transition ends
	prev              *fakeFn
	failing           bool // the running update will fail
	// FailUpdateTo makes updates to this runtime fail in Lambda.
	FailUpdateTo string
	// SmokeFailsOn makes invocations fail on this runtime.
	SmokeFailsOn string
	// Damaged, when set, is served at the code's address instead of the
	// code.
	Damaged []byte
	// image is an image function's ImageUri; "" for a zip function.
	image string
	// stateCode and stateReason explain a Failed or Inactive state.
	stateCode   ltypes.StateReasonCode
	stateReason string
	// failCode is the LastUpdateStatusReasonCode of the running update
	// that will fail.
	failCode ltypes.LastUpdateStatusReasonCode
	// FailImage makes updates to this image fail in Lambda with
	// ImageAccessDenied.
	FailImage string
	// InvokeErr, when set, is what every invocation answers.
	InvokeErr error
	// orig is the code the function was made with; the campaign must
	// never change it.
	orig []byte
	// sum is the code's SHA-256, computed once per code (polls of a
	// function with 50 MB of code would otherwise hash it every time).
	sum [32]byte
}

// putCode replaces fn's code.
func (fn *fakeFn) putCode(code []byte) { fn.code, fn.sum = code, sha256.Sum256(code) }

// setCode gives fn code to start with.
func (fn *fakeFn) setCode(code []byte) { fn.putCode(code); fn.orig = code }

func newFakeLambda(t *testing.T) *fakeLambda {
	f := &fakeLambda{fns: map[string]*fakeFn{}, UpdatePolls: 2, ActivatePolls: 3, Calls: map[string]int{}, FnCalls: map[string]map[string]int{},
		S3: &fakeS3{buckets: map[string]string{}, objects: map[string][]byte{}, served: map[[32]byte][]byte{}}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.Downloads++
		fn := f.fns[strings.TrimPrefix(r.URL.Path, "/code/")]
		var code []byte
		if fn != nil {
			code = fn.code
			f.S3.serve(fn.sum, code)
			if fn.Damaged != nil {
				code = fn.Damaged
			}
		}
		f.mu.Unlock()
		if fn == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(code)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// add creates an Active function and returns it for tuning.
func (f *fakeLambda) add(region, name, runtime, arch string, layers ...string) *fakeFn {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", region, name)
	fn := &fakeFn{region: region, name: name, arn: arn, runtime: runtime, arch: arch, layers: layers,
		state: ltypes.StateActive, last: ltypes.LastUpdateStatusSuccessful}
	fn.setCode([]byte("zip of " + name))
	f.fns[arn] = fn
	return fn
}

// busy starts someone else's update of fn that lasts polls polls.
func (f *fakeLambda) busy(fn *fakeFn, polls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startUpdate(fn)
	fn.polls = polls
}

// config returns a function's live configuration.
func (f *fakeLambda) config(fn *fakeFn) campaign.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	return campaign.Config{Runtime: fn.runtime, Arch: layers.Arch(fn.arch), Layers: append([]string{}, fn.layers...)}
}

func (f *fakeLambda) client(region string) campaign.ApplyAPI { return regionClient{f, region} }

type regionClient struct {
	f      *fakeLambda
	region string
}

// enter counts a call and injects throttling; it returns with f.mu held
// when err is nil.
func (f *fakeLambda) enter(op, arn string) (*fakeFn, error) {
	f.mu.Lock()
	f.calls++
	f.Calls[op]++
	if f.FnCalls[arn] == nil {
		f.FnCalls[arn] = map[string]int{}
	}
	f.FnCalls[arn][op]++
	if f.ThrottleEvery > 0 && f.calls%f.ThrottleEvery == 0 {
		f.mu.Unlock()
		return nil, &ltypes.TooManyRequestsException{Message: aws.String("Rate exceeded")}
	}
	fn := f.fns[arn]
	if fn == nil {
		f.mu.Unlock()
		return nil, &ltypes.ResourceNotFoundException{Message: aws.String("Function not found: " + arn)}
	}
	return fn, nil
}

func (f *fakeLambda) leave(op, arn string) {
	f.mu.Unlock()
	if f.After != nil {
		f.After(op, arn)
	}
}

// tick advances fn's running transition by one poll.
func (f *fakeLambda) tick(fn *fakeFn) {
	if fn.polls > 0 {
		fn.polls--
		return
	}
	switch {
	case fn.state == ltypes.StatePending:
		fn.state, fn.stateCode, fn.stateReason = ltypes.StateActive, "", ""
	case fn.last == ltypes.LastUpdateStatusInProgress:
		f.inFlight--
		if fn.failing {
			p := fn.prev
			fn.runtime, fn.arch, fn.layers, fn.image = p.runtime, p.arch, p.layers, p.image
			fn.last, fn.failing = ltypes.LastUpdateStatusFailed, false
			fn.reason = "InternalError: the runtime could not be set up"
			if fn.failCode != "" {
				fn.reason = string(fn.failCode) + ": Lambda was unable to pull the image"
			}
		} else {
			fn.last = ltypes.LastUpdateStatusSuccessful
		}
	}
}

// refuse answers what Lambda answers to a change fn cannot take now.
func (f *fakeLambda) refuse(fn *fakeFn) error {
	switch {
	case fn.state == ltypes.StateInactive:
		fn.state, fn.polls = ltypes.StatePending, f.ActivatePolls
		return &ltypes.ResourceConflictException{Message: aws.String("The function is inactive; it is being restored")}
	case fn.state == ltypes.StatePending:
		return &ltypes.ResourceConflictException{Message: aws.String("The operation cannot be performed at this time. The function is currently in the following state: Pending")}
	case fn.last == ltypes.LastUpdateStatusInProgress:
		return &ltypes.ResourceConflictException{Message: aws.String("The operation cannot be performed at this time. An update is in progress for resource: " + fn.arn)}
	}
	return nil
}

func (f *fakeLambda) startUpdate(fn *fakeFn) {
	p := *fn
	p.layers = slices.Clone(fn.layers)
	fn.prev = &p
	fn.last, fn.polls, fn.reason = ltypes.LastUpdateStatusInProgress, f.UpdatePolls, ""
	f.inFlight++
	f.MaxInFlight = max(f.MaxInFlight, f.inFlight)
}

func (c regionClient) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	arn := aws.ToString(in.FunctionName)
	fn, err := c.f.enter("GetFunction", arn)
	if err != nil {
		return nil, err
	}
	defer c.f.leave("GetFunction", arn)
	c.f.tick(fn)
	sum := fn.sum
	cfg := &ltypes.FunctionConfiguration{FunctionName: aws.String(fn.name), FunctionArn: aws.String(fn.arn),
		Runtime: ltypes.Runtime(fn.runtime), Architectures: []ltypes.Architecture{ltypes.Architecture(fn.arch)},
		CodeSha256: aws.String(base64.StdEncoding.EncodeToString(sum[:])), CodeSize: int64(len(fn.code)), State: fn.state, LastUpdateStatus: fn.last,
		PackageType: ltypes.PackageTypeZip}
	if fn.reason != "" {
		cfg.LastUpdateStatusReason = aws.String(fn.reason)
		cfg.LastUpdateStatusReasonCode = ltypes.LastUpdateStatusReasonCodeInternalError
		if fn.failCode != "" {
			cfg.LastUpdateStatusReasonCode = fn.failCode
		}
	}
	if fn.stateCode != "" {
		cfg.StateReasonCode, cfg.StateReason = fn.stateCode, aws.String(fn.stateReason)
	}
	for _, l := range fn.layers {
		cfg.Layers = append(cfg.Layers, ltypes.Layer{Arn: aws.String(l)})
	}
	if fn.image != "" {
		// An image function has no runtime and no code to download;
		// CodeSha256 is the image's digest.
		cfg.PackageType, cfg.Runtime, cfg.CodeSha256 = ltypes.PackageTypeImage, "", aws.String(fmt.Sprintf("%x", sha256.Sum256([]byte(fn.image))))
		return &lambda.GetFunctionOutput{Configuration: cfg, Code: &ltypes.FunctionCodeLocation{RepositoryType: aws.String("ECR"),
			ImageUri: aws.String(fn.image), ResolvedImageUri: aws.String(fn.image)}}, nil
	}
	return &lambda.GetFunctionOutput{Configuration: cfg,
		Code: &ltypes.FunctionCodeLocation{Location: aws.String(c.f.srv.URL + "/code/" + fn.arn), RepositoryType: aws.String("S3")}}, nil
}

func (c regionClient) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	arn := aws.ToString(in.FunctionName)
	fn, err := c.f.enter("UpdateFunctionCode", arn)
	if err != nil {
		return nil, err
	}
	if err := c.f.refuse(fn); err != nil {
		c.f.mu.Unlock()
		return nil, err
	}
	if fn.image != "" || in.ImageUri != nil {
		return c.f.updateImage(fn, in)
	}
	code := slices.Clone(in.ZipFile)
	if in.S3Bucket != nil {
		var ok bool
		if code, ok = c.f.S3.get(aws.ToString(in.S3Bucket), aws.ToString(in.S3Key), c.region); !ok {
			c.f.mu.Unlock()
			return nil, &ltypes.InvalidParameterValueException{Message: aws.String("Error occurred while GetObject. S3 Error Code: NoSuchKey")}
		}
	} else if len(code) >= 52_428_800 {
		// Lambda's answer (413) to a ZipFile of 50 MB or more: it takes
		// only zips strictly smaller in the request.
		c.f.mu.Unlock()
		return nil, &smithy.GenericAPIError{Code: "RequestEntityTooLargeException", Message: "Zipped size must be smaller than 52428800 bytes"}
	}
	defer c.f.leave("UpdateFunctionCode", arn)
	fn.putCode(code)
	c.f.startUpdate(fn)
	if len(in.Architectures) > 0 {
		fn.arch = string(in.Architectures[0])
	}
	return &lambda.UpdateFunctionCodeOutput{FunctionArn: aws.String(arn), LastUpdateStatus: fn.last}, nil
}

func (c regionClient) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	arn := aws.ToString(in.FunctionName)
	fn, err := c.f.enter("UpdateFunctionConfiguration", arn)
	if err != nil {
		return nil, err
	}
	if err := c.f.refuse(fn); err != nil {
		c.f.mu.Unlock()
		return nil, err
	}
	defer c.f.leave("UpdateFunctionConfiguration", arn)
	c.f.startUpdate(fn)
	if in.Runtime != "" {
		fn.runtime = string(in.Runtime)
		fn.failing = fn.FailUpdateTo == fn.runtime
	}
	if in.Layers != nil {
		fn.layers = slices.Clone(in.Layers)
	}
	return &lambda.UpdateFunctionConfigurationOutput{FunctionArn: aws.String(arn), LastUpdateStatus: fn.last}, nil
}

func (c regionClient) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	arn := aws.ToString(in.FunctionName)
	fn, err := c.f.enter("Invoke", arn)
	if err != nil {
		return nil, err
	}
	defer c.f.leave("Invoke", arn)
	if fn.InvokeErr != nil {
		return nil, fn.InvokeErr
	}
	// Lambda restores an idle function's code on its first call, and
	// refuses calls to an image function until it is done.
	if fn.state == ltypes.StateInactive || (fn.image != "" && fn.state == ltypes.StatePending) {
		if fn.state == ltypes.StateInactive {
			fn.state, fn.polls, fn.stateCode, fn.stateReason = ltypes.StatePending, c.f.ActivatePolls, ltypes.StateReasonCodeRestoring, "The function is being restored"
		}
		return nil, &ltypes.CodeArtifactUserPendingException{Message: aws.String("The function is being restored: retry after a minute or two")}
	}
	if fn.state != ltypes.StateActive {
		return nil, &ltypes.ResourceNotReadyException{Message: aws.String("The function is not active")}
	}
	if fn.SmokeFailsOn != "" && fn.SmokeFailsOn == fn.runtime {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
			Payload: []byte(`{"errorMessage": "No module named 'imp'", "errorType": "ModuleNotFoundError"}`)}, nil
	}
	return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`"ok"`)}, nil
}
