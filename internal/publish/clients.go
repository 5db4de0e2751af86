package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ClientOptions configure the AWS clients.
type ClientOptions struct {
	// Profile names a shared-config profile; empty uses the default chain
	// (environment, shared files, SSO, container and instance roles).
	Profile string
	// EndpointURL sends every request to one endpoint (moto_server,
	// LocalStack); AWS_ENDPOINT_URL does the same. S3 then uses path-style
	// addressing.
	EndpointURL string
	// MaxAttempts bounds tries per request; 0 means 10.
	MaxAttempts int
	// MaxBackoff bounds the wait between tries; 0 means MaxBackoff.
	MaxBackoff time.Duration
	// HTTPClient replaces the SDK's HTTP client (tests inject faults).
	HTTPClient aws.HTTPClient
}

// MaxBackoff is the longest wait between retries. The SDK's default retryer
// tries 3 times with at most 20 s between; bulk publishing across regions
// meets throttling that outlasts that (FACTS: Lambda's control plane is 15
// requests/s shared).
const MaxBackoff = 30 * time.Second

// NewClients loads the AWS configuration once and returns clients per
// region, made on first use. Retries of throttling, 5xx answers and
// dropped connections use the SDK's standard retryer with more attempts, a
// longer backoff and no client-side retry quota (which would stop retrying
// during a long throttling spell).
func NewClients(ctx context.Context, o ClientOptions) (SDKClients, error) {
	attempts := o.MaxAttempts
	if attempts == 0 {
		attempts = 10
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = attempts
				so.MaxBackoff = cmp.Or(o.MaxBackoff, MaxBackoff)
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if o.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(o.EndpointURL)
	}
	// Credentials are resolved once, now, so that their absence is one
	// clear error before any work starts (the SDK would otherwise report it
	// from inside the first call, as an untyped error).
	if cfg.Credentials == nil {
		return nil, &AuthError{Op: "finding AWS credentials", Err: errors.New("none configured")}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &AuthError{Op: "finding AWS credentials", Err: err}
	}
	return &sdkClients{cfg: cfg, pathStyle: cfg.BaseEndpoint != nil, lambdas: map[string]*lambda.Client{}, s3s: map[string]*s3.Client{}}, nil
}

type sdkClients struct {
	cfg       aws.Config
	pathStyle bool
	mu        sync.Mutex
	lambdas   map[string]*lambda.Client
	s3s       map[string]*s3.Client
}

func (c *sdkClients) Lambda(region string) LambdaAPI { return c.LambdaClient(region) }

func (c *sdkClients) Config() aws.Config { return c.cfg }

// LambdaClient returns the region's SDK client itself, for callers that
// need more of the Lambda API than publishing (campaign apply).
func (c *sdkClients) LambdaClient(region string) *lambda.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.lambdas[region]; ok {
		return cl
	}
	cl := lambda.NewFromConfig(c.cfg, func(o *lambda.Options) { o.Region = region })
	c.lambdas[region] = cl
	return cl
}

func (c *sdkClients) S3(region string) S3API { return c.S3Client(region) }

// S3Client returns the region's SDK client itself, for callers that need
// more of the S3 API than publishing (campaign apply's staging).
func (c *sdkClients) S3Client(region string) *s3.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.s3s[region]; ok {
		return cl
	}
	cl := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.Region = region
		o.UsePathStyle = c.pathStyle
	})
	c.s3s[region] = cl
	return cl
}

// AuthError reports that no usable credentials were found before any
// call was made. Errors AWS answers later (a denied permission, refused or
// expired credentials) are returned as the SDK's own errors, wrapped; the
// cli package maps both to its exit code and says how to fix them.
type AuthError struct {
	Region string
	Op     string
	Err    error
}

func (e *AuthError) Error() string {
	where := ""
	if e.Region != "" {
		where = " in " + e.Region
	}
	return fmt.Sprintf("%s%s: %v", e.Op, where, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// inRegion adds what was being done, and where, to an error from AWS.
func inRegion(region, op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s in %s: %w", op, region, err)
}
