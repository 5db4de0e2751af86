// Package fake is an in-memory Lambda and S3 that behave like the services
// for what layerkit uses: layer versions numbered per region and never
// reused, CodeSha256 computed from the content, layer policies, functions
// that attach layers, buckets with a region and objects with their SHA-256
// checksum. Faults can be injected before an operation (it fails and
// nothing changes) or after it (the change is made but the caller sees an
// error, as when a connection drops after the service acted).
package fake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/layerkit/layerkit/internal/publish"
)

// Account is the fake's account ID.
const Account = "123456789012"

// Cloud holds every region's state. The zero value is not usable; call New.
type Cloud struct {
	mu      sync.Mutex
	layers  map[string]map[string][]*version // region -> name -> versions
	funcs   map[string]map[string][]string   // region -> function -> layer version ARNs
	buckets map[string]string                // bucket -> region
	objects map[string][]byte                // bucket/key -> content
	sums    map[string]string                // bucket/key -> base64 SHA-256 stored with it
	// versioned buckets number their objects' versions.
	versioned map[string]bool
	versions  map[string]int // bucket/key -> versions stored
	// Before, when set, is called before each operation with the region
	// and the operation's name ("PublishLayerVersion"); an error fails
	// the call with no change made.
	Before func(region, op string) error
	// After is called after an operation changed state; an error is
	// returned to the caller though the change stays.
	After func(region, op string) error
	// Calls counts operations by name.
	Calls map[string]int
}

type version struct {
	n        int64
	desc     string
	sha      string
	size     int64
	runtimes []ltypes.Runtime
	arches   []ltypes.Architecture
	license  string
	policy   []map[string]any
	deleted  bool
}

// New returns an empty cloud.
func New() *Cloud {
	return &Cloud{layers: map[string]map[string][]*version{}, funcs: map[string]map[string][]string{},
		buckets: map[string]string{}, objects: map[string][]byte{}, sums: map[string]string{},
		versioned: map[string]bool{}, versions: map[string]int{}, Calls: map[string]int{}}
}

// CreateBucket makes a bucket in a region.
func (c *Cloud) CreateBucket(name, region string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buckets[name] = region
}

// EnableVersioning turns versioning on for a bucket: each PutObject
// stores a new version, "v1", "v2", … per key, which PutObject and
// HeadObject report.
func (c *Cloud) EnableVersioning(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.versioned[bucket] = true
}

// PutObject stores an object as another tool would: no SHA-256 checksum
// kept with it, so HeadObject reports none.
func (c *Cloud) PutObject(bucket, key string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := bucket + "/" + key
	c.objects[k] = bytes.Clone(body)
	delete(c.sums, k)
}

// AttachFunction records a function in region that attaches layer version
// ARNs, as ListFunctions reports it. A name NAME:N is version N of NAME,
// listed only when ListFunctions asks for every version.
func (c *Cloud) AttachFunction(region, name string, arns ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.funcs[region] == nil {
		c.funcs[region] = map[string][]string{}
	}
	c.funcs[region][name] = arns
}

// Versions returns the live version numbers of a layer in a region.
func (c *Cloud) Versions(region, name string) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int64
	for _, v := range c.layers[region][name] {
		if !v.deleted {
			out = append(out, v.n)
		}
	}
	return out
}

// Policy returns the statement IDs of a layer version's policy.
func (c *Cloud) Policy(region, name string, n int64) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, v := range c.layers[region][name] {
		if v.n == n {
			for _, s := range v.policy {
				out = append(out, s["Sid"].(string))
			}
		}
	}
	return out
}

// Description returns a layer version's description.
func (c *Cloud) Description(region, name string, n int64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.layers[region][name] {
		if v.n == n {
			return v.desc
		}
	}
	return ""
}

// Objects returns the number of objects stored.
func (c *Cloud) Objects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.objects)
}

// Clients returns publish.Clients backed by the cloud.
func (c *Cloud) Clients() publish.Clients { return clients{c} }

type clients struct{ c *Cloud }

func (cl clients) Lambda(region string) publish.LambdaAPI { return &Lambda{c: cl.c, region: region} }
func (cl clients) S3(region string) publish.S3API         { return &S3{c: cl.c, region: region} }

// before runs the Before hook and counts the call; callers hold c.mu.
func (c *Cloud) before(region, op string) error {
	c.Calls[op]++
	if c.Before != nil {
		return c.Before(region, op)
	}
	return nil
}

func (c *Cloud) after(region, op string) error {
	if c.After != nil {
		return c.After(region, op)
	}
	return nil
}

// Lambda is one region's fake Lambda.
type Lambda struct {
	c      *Cloud
	region string
}

// Retryer is the retry policy publishing applies to the calls it retries
// itself: the SDK's standard one, with waits of at most a millisecond.
func (l *Lambda) Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = time.Millisecond })
}

func (l *Lambda) arn(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s", l.region, Account, name)
}

func notFound(msg string) error {
	return &ltypes.ResourceNotFoundException{Message: aws.String(msg)}
}

func (l *Lambda) find(name string, n int64) (*version, error) {
	for _, v := range l.c.layers[l.region][name] {
		if v.n == n && !v.deleted {
			return v, nil
		}
	}
	return nil, notFound("Cannot find layer " + name + " version " + strconv.FormatInt(n, 10))
}

func (l *Lambda) PublishLayerVersion(ctx context.Context, in *lambda.PublishLayerVersionInput, _ ...func(*lambda.Options)) (*lambda.PublishLayerVersionOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "PublishLayerVersion"); err != nil {
		return nil, err
	}
	var content []byte
	switch {
	case in.Content == nil:
		return nil, &ltypes.InvalidParameterValueException{Message: aws.String("Missing Content")}
	case in.Content.ZipFile != nil:
		content = in.Content.ZipFile
	default:
		b, k := aws.ToString(in.Content.S3Bucket), aws.ToString(in.Content.S3Key)
		if c.buckets[b] != l.region {
			return nil, &ltypes.InvalidParameterValueException{Message: aws.String("bucket " + b + " is not in " + l.region)}
		}
		obj, ok := c.objects[b+"/"+k]
		if !ok {
			return nil, &ltypes.InvalidParameterValueException{Message: aws.String("S3 Error Code: NoSuchKey")}
		}
		content = obj
	}
	name := aws.ToString(in.LayerName)
	if c.layers[l.region] == nil {
		c.layers[l.region] = map[string][]*version{}
	}
	vs := c.layers[l.region][name]
	sum := sha256.Sum256(content)
	v := &version{n: int64(len(vs) + 1), desc: aws.ToString(in.Description), sha: base64.StdEncoding.EncodeToString(sum[:]),
		size: int64(len(content)), runtimes: in.CompatibleRuntimes, arches: in.CompatibleArchitectures, license: aws.ToString(in.LicenseInfo)}
	c.layers[l.region][name] = append(vs, v)
	if err := c.after(l.region, "PublishLayerVersion"); err != nil {
		return nil, err
	}
	return &lambda.PublishLayerVersionOutput{LayerArn: aws.String(l.arn(name)), LayerVersionArn: aws.String(l.arn(name) + ":" + strconv.FormatInt(v.n, 10)),
		Version: v.n, Description: in.Description, Content: &ltypes.LayerVersionContentOutput{CodeSha256: aws.String(v.sha), CodeSize: v.size},
		CompatibleRuntimes: v.runtimes, CompatibleArchitectures: v.arches, LicenseInfo: in.LicenseInfo}, nil
}

func (l *Lambda) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, _ ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "ListLayerVersions"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.LayerName)
	var items []ltypes.LayerVersionsListItem
	vs := c.layers[l.region][name]
	// Newest first, two a page, to exercise pagination.
	for i := len(vs) - 1; i >= 0; i-- {
		if v := vs[i]; !v.deleted {
			items = append(items, ltypes.LayerVersionsListItem{Version: v.n, LayerVersionArn: aws.String(l.arn(name) + ":" + strconv.FormatInt(v.n, 10)),
				Description: aws.String(v.desc), CompatibleRuntimes: v.runtimes, CompatibleArchitectures: v.arches, LicenseInfo: optional(v.license)})
		}
	}
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		start, _ = strconv.Atoi(m)
	}
	end := min(start+2, len(items))
	out := &lambda.ListLayerVersionsOutput{LayerVersions: items[start:end]}
	if end < len(items) {
		out.NextMarker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (l *Lambda) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, _ ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "GetLayerVersion"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.LayerName)
	v, err := l.find(name, aws.ToInt64(in.VersionNumber))
	if err != nil {
		return nil, err
	}
	return &lambda.GetLayerVersionOutput{LayerArn: aws.String(l.arn(name)), LayerVersionArn: aws.String(l.arn(name) + ":" + strconv.FormatInt(v.n, 10)),
		Version: v.n, Description: aws.String(v.desc), Content: &ltypes.LayerVersionContentOutput{CodeSha256: aws.String(v.sha), CodeSize: v.size},
		CompatibleRuntimes: v.runtimes, CompatibleArchitectures: v.arches, LicenseInfo: optional(v.license)}, nil
}

func (l *Lambda) AddLayerVersionPermission(ctx context.Context, in *lambda.AddLayerVersionPermissionInput, _ ...func(*lambda.Options)) (*lambda.AddLayerVersionPermissionOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "AddLayerVersionPermission"); err != nil {
		return nil, err
	}
	v, err := l.find(aws.ToString(in.LayerName), aws.ToInt64(in.VersionNumber))
	if err != nil {
		return nil, err
	}
	sid := aws.ToString(in.StatementId)
	for _, s := range v.policy {
		if s["Sid"] == sid {
			return nil, &ltypes.ResourceConflictException{Message: aws.String("The statement id (" + sid + ") provided already exists.")}
		}
	}
	st := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": aws.ToString(in.Principal), "Action": aws.ToString(in.Action)}
	if in.OrganizationId != nil {
		st["Condition"] = map[string]any{"StringEquals": map[string]string{"aws:PrincipalOrgID": *in.OrganizationId}}
	}
	v.policy = append(v.policy, st)
	if err := c.after(l.region, "AddLayerVersionPermission"); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(st)
	return &lambda.AddLayerVersionPermissionOutput{Statement: aws.String(string(b))}, nil
}

func (l *Lambda) GetLayerVersionPolicy(ctx context.Context, in *lambda.GetLayerVersionPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "GetLayerVersionPolicy"); err != nil {
		return nil, err
	}
	v, err := l.find(aws.ToString(in.LayerName), aws.ToInt64(in.VersionNumber))
	if err != nil {
		return nil, err
	}
	if len(v.policy) == 0 {
		return nil, notFound("No policy is associated with the given resource.")
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": v.policy})
	return &lambda.GetLayerVersionPolicyOutput{Policy: aws.String(string(b))}, nil
}

func (l *Lambda) DeleteLayerVersion(ctx context.Context, in *lambda.DeleteLayerVersionInput, _ ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "DeleteLayerVersion"); err != nil {
		return nil, err
	}
	if v, err := l.find(aws.ToString(in.LayerName), aws.ToInt64(in.VersionNumber)); err == nil {
		v.deleted = true
	}
	return &lambda.DeleteLayerVersionOutput{}, nil
}

func (l *Lambda) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, _ ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(l.region, "ListFunctions"); err != nil {
		return nil, err
	}
	var names []string
	for n := range c.funcs[l.region] {
		// Published versions are listed only when asked for.
		if !strings.Contains(n, ":") || in.FunctionVersion == ltypes.FunctionVersionAll {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := &lambda.ListFunctionsOutput{}
	for _, n := range names {
		name, version, published := strings.Cut(n, ":")
		if !published {
			version = "$LATEST"
		}
		fc := ltypes.FunctionConfiguration{FunctionName: aws.String(name), Version: aws.String(version)}
		for _, arn := range c.funcs[l.region][n] {
			fc.Layers = append(fc.Layers, ltypes.Layer{Arn: aws.String(arn)})
		}
		out.Functions = append(out.Functions, fc)
	}
	return out, nil
}

// S3 is one region's fake S3 client.
type S3 struct {
	c      *Cloud
	region string
}

func (s *S3) GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, _ ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(s.region, "GetBucketLocation"); err != nil {
		return nil, err
	}
	r, ok := c.buckets[aws.ToString(in.Bucket)]
	if !ok {
		return nil, &s3types.NoSuchBucket{Message: aws.String("The specified bucket does not exist")}
	}
	if r == "us-east-1" {
		r = ""
	}
	return &s3.GetBucketLocationOutput{LocationConstraint: s3types.BucketLocationConstraint(r)}, nil
}

func (s *S3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(s.region, "HeadObject"); err != nil {
		return nil, err
	}
	k := aws.ToString(in.Bucket) + "/" + aws.ToString(in.Key)
	obj, ok := c.objects[k]
	if !ok {
		return nil, &s3types.NotFound{}
	}
	out := &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(obj)))}
	if n := c.versions[k]; n > 0 {
		out.VersionId = aws.String("v" + strconv.Itoa(n))
	}
	if in.ChecksumMode == s3types.ChecksumModeEnabled && c.sums[k] != "" {
		out.ChecksumSHA256 = aws.String(c.sums[k])
	}
	return out, nil
}

func (s *S3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c := s.c
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.before(s.region, "PutObject"); err != nil {
		return nil, err
	}
	b := aws.ToString(in.Bucket)
	if _, ok := c.buckets[b]; !ok {
		return nil, &s3types.NoSuchBucket{}
	}
	sum := sha256.Sum256(body)
	got := base64.StdEncoding.EncodeToString(sum[:])
	if in.ChecksumSHA256 != nil && *in.ChecksumSHA256 != got {
		return nil, fmt.Errorf("BadDigest: the SHA-256 you specified did not match the calculated checksum")
	}
	k := b + "/" + aws.ToString(in.Key)
	c.objects[k] = bytes.Clone(body)
	delete(c.sums, k)
	if in.ChecksumAlgorithm == s3types.ChecksumAlgorithmSha256 {
		c.sums[k] = got
	}
	out := &s3.PutObjectOutput{ChecksumSHA256: aws.String(got)}
	if c.versioned[b] {
		c.versions[k]++
		out.VersionId = aws.String("v" + strconv.Itoa(c.versions[k]))
	}
	if err := c.after(s.region, "PutObject"); err != nil {
		return nil, err
	}
	return out, nil
}
