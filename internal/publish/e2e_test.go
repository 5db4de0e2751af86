package publish_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/publish"
)

// makeBuckets makes one bucket per region, named after the account (bucket
// names are global, even in moto), and returns the --bucket template.
func makeBuckets(t *testing.T, cfg aws.Config, account string) string {
	for _, r := range regions {
		in := &s3.CreateBucketInput{Bucket: aws.String("artifacts-" + account + "-" + r)}
		if r != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r)}
		}
		c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.Region, o.UsePathStyle = r, true })
		if _, err := c.CreateBucket(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	return "artifacts-" + account + "-{region}"
}

// TestMotoEndToEnd builds the example, publishes it to two regions, again
// (nothing new), shares, prunes, and reads everything back through the SDK.
func TestMotoEndToEnd(t *testing.T) {
	ep, account, cfg := awstest.Moto(t)
	o := options(t)
	o.Bucket = makeBuckets(t, cfg, account)
	cl, err := publish.NewClients(t.Context(), publish.ClientOptions{EndpointURL: ep})
	if err != nil {
		t.Fatal(err)
	}
	first, err := publish.Publish(t.Context(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	share, _ := publish.ParsePrincipal("account:210987654321")
	o.Share = []publish.Principal{share}
	second, err := publish.Publish(t.Context(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if !first[i].Published || second[i].Published || second[i].VersionARN != first[i].VersionARN {
			t.Errorf("first %+v\nsecond %+v", first[i], second[i])
		}
	}
	for _, r := range first {
		lc := lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.Region = r.Region })
		got, err := lc.GetLayerVersion(t.Context(), &lambda.GetLayerVersionInput{LayerName: aws.String(r.Name), VersionNumber: aws.Int64(r.Version)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(got.Content.CodeSha256) != r.CodeSHA256 || !slices.Equal(got.CompatibleArchitectures, []ltypes.Architecture{ltypes.Architecture(r.Arch)}) ||
			!slices.Equal(got.CompatibleRuntimes, []ltypes.Runtime{ltypes.Runtime(r.Runtime)}) {
			t.Errorf("%s in %s: %+v", r.Name, r.Region, got)
		}
		vs, err := lc.ListLayerVersions(t.Context(), &lambda.ListLayerVersionsInput{LayerName: aws.String(r.Name)})
		if err != nil || len(vs.LayerVersions) != 1 {
			t.Errorf("%s in %s: versions %+v, %v", r.Name, r.Region, vs, err)
		}
		pol, err := lc.GetLayerVersionPolicy(t.Context(), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(r.Name), VersionNumber: aws.Int64(r.Version)})
		if err != nil || strings.Count(aws.ToString(pol.Policy), "layerkit-account-210987654321") != 1 {
			t.Errorf("policy: %v %v", pol, err)
		}
	}
	// A third run shares again: the statement is not added twice.
	if _, err := publish.Publish(t.Context(), cl, o); err != nil {
		t.Fatal(err)
	}
	lc := lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.Region = "eu-west-1" })
	pol, err := lc.GetLayerVersionPolicy(t.Context(), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps-python3_12-arm64"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(aws.ToString(pol.Policy), "layerkit-account"); n != 1 {
		t.Errorf("policy holds the statement %d times", n)
	}

	// New metadata: versions 2 and 3; a function uses version 1; prune
	// keeping 1 deletes version 2 only.
	o.Share = nil
	for _, lic := range []string{"MIT", "Apache-2.0"} {
		o.License = lic
		if _, err := publish.Publish(t.Context(), cl, o); err != nil {
			t.Fatal(err)
		}
	}
	zip, _ := os.ReadFile(o.Dist + "/main.zip")
	awstest.CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: awstest.LambdaRole(t, cfg), Runtime: ltypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Code: &ltypes.FunctionCode{ZipFile: zip}, Architectures: []ltypes.Architecture{ltypes.ArchitectureArm64},
		Layers: []string{"arn:aws:lambda:eu-west-1:" + account + ":layer:deps-python3_12-arm64:1"}})
	pr, err := publish.Prune(t.Context(), cl, publish.PruneOptions{Names: []string{"deps-python3_12-arm64"}, Regions: []string{"eu-west-1"}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := lc.ListLayerVersions(t.Context(), &lambda.ListLayerVersionsInput{LayerName: aws.String("deps-python3_12-arm64")})
	var live []int64
	for _, v := range vs.LayerVersions {
		live = append(live, v.Version)
	}
	slices.Sort(live)
	if !slices.Equal(live, []int64{1, 3}) || len(pr) != 2 {
		t.Errorf("after prune: versions %v, pruned %+v", live, pr)
	}
}

// faultyTransport fails requests on purpose before they reach moto: a 503,
// a throttling answer, or a dropped connection, for the first tries of each
// operation. The fourth try of PublishLayerVersion reaches moto and its
// answer is lost: the version exists, the caller sees a reset connection.
type faultyTransport struct {
	mu       sync.Mutex
	seen     map[string]int
	injected map[string]int
}

func (f *faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := req.Method + " " + req.URL.Path
	f.mu.Lock()
	f.seen[op]++
	n := f.seen[op]
	f.mu.Unlock()
	fault := ""
	switch n {
	case 1:
		fault = "throttle"
	case 2:
		fault = "5xx"
	case 3:
		fault = "drop"
	case 4:
		if req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/2018-10-31/layers/") ||
			req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/functions/") {
			fault = "lost"
		}
	}
	if fault == "lost" {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		f.mu.Lock()
		f.injected[fault]++
		f.injected[fault+" "+req.Method]++
		f.mu.Unlock()
		return nil, &netErr{syscall.ECONNRESET}
	}
	if fault == "" {
		return http.DefaultTransport.RoundTrip(req)
	}
	f.mu.Lock()
	f.injected[fault]++
	f.mu.Unlock()
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if strings.Contains(req.Header.Get("Authorization"), "/s3/aws4_request") {
		// S3 throttles with 503 SlowDown and fails with 500, in XML.
		code, status := "SlowDown", 503
		if fault == "5xx" {
			code, status = "InternalError", 500
		}
		if fault != "drop" {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/xml"}}, Request: req,
				Body: io.NopCloser(strings.NewReader("<Error><Code>" + code + "</Code><Message>injected</Message></Error>"))}, nil
		}
	}
	switch fault {
	case "throttle":
		h.Set("X-Amzn-Errortype", "TooManyRequestsException")
		return &http.Response{StatusCode: 429, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(`{"message":"Rate exceeded","Type":"User","Reason":"CallerRateLimitExceeded"}`))}, nil
	case "5xx":
		h.Set("X-Amzn-Errortype", "ServiceException")
		return &http.Response{StatusCode: 503, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(`{"message":"Service unavailable"}`))}, nil
	}
	return nil, &netErr{syscall.ECONNRESET}
}

type netErr struct{ error }

func (e *netErr) Timeout() bool   { return false }
func (e *netErr) Temporary() bool { return true }

// TestMotoRetriesFaults: every operation is first throttled, then answered
// 503, then cut off, and each layer's publication and each upload of the
// function's code is lost on its way back; publishing still completes, once
// per layer and region, and the code's upload, retried by the SDK, stores
// the same bytes under the same key.
func TestMotoRetriesFaults(t *testing.T) {
	ep, account, cfg := awstest.Moto(t)
	o := options(t)
	o.Bucket = makeBuckets(t, cfg, account)
	ft := &faultyTransport{seen: map[string]int{}, injected: map[string]int{}}
	cl, err := publish.NewClients(t.Context(), publish.ClientOptions{EndpointURL: ep, HTTPClient: &http.Client{Transport: ft}, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rs, err := publish.Publish(ctx, cl, o)
	if err != nil {
		t.Fatal(err)
	}
	code, err := publish.UploadCode(ctx, cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if ft.injected["throttle"] == 0 || ft.injected["5xx"] == 0 || ft.injected["drop"] == 0 || ft.injected["lost POST"] == 0 || ft.injected["lost PUT"] != len(code) {
		t.Errorf("faults injected: %v", ft.injected)
	}
	for _, c := range code {
		sc := s3.NewFromConfig(cfg, func(so *s3.Options) { so.Region, so.UsePathStyle = c.Region, true })
		head, err := sc.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(c.Key), ChecksumMode: s3types.ChecksumModeEnabled})
		if err != nil || aws.ToString(head.ChecksumSHA256) != c.CodeSHA256 {
			t.Errorf("%s: %v, %v", c.URI(), head, err)
		}
	}
	for _, r := range rs {
		lc := lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.Region = r.Region })
		vs, err := lc.ListLayerVersions(t.Context(), &lambda.ListLayerVersionsInput{LayerName: aws.String(r.Name)})
		if err != nil {
			t.Fatalf("%s in %s: %v", r.Name, r.Region, err)
		}
		if len(vs.LayerVersions) != 1 {
			t.Errorf("%s in %s: %d versions", r.Name, r.Region, len(vs.LayerVersions))
		}
	}
}

// countingTransport counts the S3 PutObject requests (PUTs of an object
// key) that pass through it to moto.
type countingTransport struct {
	mu   sync.Mutex
	puts int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, ".zip") {
		c.mu.Lock()
		c.puts++
		c.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts
}

// TestMotoUploadCode uploads the function's zip to each region's bucket,
// then again (no PutObject reaches moto), then to one versioned central
// bucket in a third region, and reads the objects back.
func TestMotoUploadCode(t *testing.T) {
	ep, account, cfg := awstest.Moto(t)
	o := options(t)
	o.Bucket = makeBuckets(t, cfg, account)
	ct := &countingTransport{}
	cl, err := publish.NewClients(t.Context(), publish.ClientOptions{EndpointURL: ep, HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatal(err)
	}
	main, _ := o.Manifest.Function()
	first, err := publish.UploadCode(t.Context(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || ct.count() != 2 {
		t.Fatalf("first run: %d PutObject requests, results %+v", ct.count(), first)
	}
	second, err := publish.UploadCode(t.Context(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := ct.count() - 2; n != 0 {
		t.Errorf("second run: %d PutObject requests, want 0", n)
	}
	for i, c := range second {
		if c.Uploaded || c.Key != first[i].Key || c.Key != "team/functions/main/"+main.SHA256+".zip" {
			t.Errorf("second run: %+v", c)
		}
	}

	// One central bucket, versioned, in a region no function is asked in.
	central := "code-" + account
	s3c := s3.NewFromConfig(cfg, func(so *s3.Options) { so.Region, so.UsePathStyle = "eu-central-1", true })
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(central),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-central-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(central),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	o.CodeBucket = central
	var runs [2][]publish.Code
	for i := range runs {
		if runs[i], err = publish.UploadCode(t.Context(), cl, o); err != nil {
			t.Fatal(err)
		}
	}
	if n := ct.count() - 2; n != 1 {
		t.Errorf("two runs to the central bucket: %d PutObject requests, want 1", n)
	}
	c := runs[0][0]
	if len(runs[0]) != 1 || c.Region != "eu-central-1" || c.Bucket != central || !c.Uploaded || c.VersionID == "" || c.CodeSHA256 != main.CodeSHA256 {
		t.Fatalf("central bucket: %+v", runs[0])
	}
	if again := runs[1][0]; again.Uploaded || again.VersionID != c.VersionID {
		t.Errorf("second run to the central bucket: %+v, want version %s, not uploaded", again, c.VersionID)
	}
	head, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(central), Key: aws.String(c.Key), ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ChecksumSHA256) != main.CodeSHA256 || aws.ToString(head.VersionId) != c.VersionID || aws.ToInt64(head.ContentLength) != main.ZippedBytes {
		t.Errorf("the object in moto: sha256 %s, version %s, %d bytes", aws.ToString(head.ChecksumSHA256), aws.ToString(head.VersionId), aws.ToInt64(head.ContentLength))
	}
}
