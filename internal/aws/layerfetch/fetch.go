package layerfetch

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// MaxZipSize is the largest layer zip a Fetcher downloads: 262,144,000
// bytes, Lambda's limit on a function's code and layers unzipped (FACTS),
// which a layer's zip of them does not exceed.
const MaxZipSize = 262_144_000

var (
	// ErrNotFound reports a layer version Lambda does not have (or
	// no longer has: deleted versions are not served). The SDK's
	// *types.ResourceNotFoundException is wrapped with it.
	ErrNotFound = errors.New("layer version not found")
	// ErrTooLarge reports a layer version whose CodeSize is over
	// MaxZipSize; nothing is downloaded.
	ErrTooLarge = errors.New("layer zip larger than Lambda's limit")
)

// DigestError reports a download whose SHA-256 is not the CodeSha256
// Lambda gave for the layer version. Both are standard base64, as Lambda
// writes them. Nothing is kept.
type DigestError struct {
	Want, Got string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("downloaded zip has SHA-256 %s, Lambda gave CodeSha256 %s", e.Got, e.Want)
}

// SizeError reports a download that is longer or shorter than the
// CodeSize Lambda gave. Got is what was received, or what the server
// announced it would send; a body longer than Declared is read no further
// than Declared+1 bytes. Nothing is kept.
type SizeError struct {
	Declared, Got int64
}

func (e *SizeError) Error() string {
	if e.Got > e.Declared {
		return fmt.Sprintf("download is longer than the %d bytes of Lambda's CodeSize", e.Declared)
	}
	return fmt.Sprintf("download has %d bytes, Lambda's CodeSize is %d", e.Got, e.Declared)
}

// A Fetcher downloads layer versions by ARN into a cache folder, where
// each zip is named by its SHA-256. It is safe for concurrent use; each
// ARN is read from Lambda and downloaded at most once per Fetcher, and
// each zip is downloaded at most once however many ARNs name it.
// Processes sharing a cache folder never see a partly written zip.
type Fetcher struct {
	cfg  aws.Config
	dir  string // <cacheDir>/layers
	http aws.HTTPClient

	mu      sync.Mutex
	lambdas map[string]*lambda.Client // by region

	arns  flight    // layer version ARN → cached zip
	zips  flight    // hex SHA-256 → cached zip
	sweep sync.Once // removal of temporary files killed processes left
}

// New returns a Fetcher that calls Lambda with cfg, in each layer's own
// region (cfg.Region is not used), and keeps zips in cacheDir/layers,
// made when first needed. Downloads use cfg.HTTPClient whatever its type
// (config.LoadDefaultConfig sets an *awshttp.BuildableClient there when
// AWS_CA_BUNDLE or ca_bundle asks for other root certificates) or, when
// it is nil, http.DefaultClient (which honours HTTPS_PROXY, as the SDK's
// own client does).
//
// New takes no options: none is needed yet, and an options parameter can
// be added later without breaking callers.
func New(cfg aws.Config, cacheDir string) *Fetcher {
	var hc aws.HTTPClient = http.DefaultClient
	if cfg.HTTPClient != nil {
		hc = cfg.HTTPClient
	}
	return &Fetcher{cfg: cfg, dir: filepath.Join(cacheDir, "layers"), http: hc, lambdas: map[string]*lambda.Client{}}
}

// Fetch returns the path of the zip of the layer version arn, in the
// cache folder, downloading it when the cache lacks it. A malformed ARN is
// an *ARNError, returned before any call. Other errors name the ARN and
// wrap what went wrong: ErrNotFound, ErrTooLarge, a *SizeError or
// *DigestError for a download that is not what Lambda declared, the SDK's
// errors as they are (a denied permission is its AccessDeniedException,
// throttling that outlasts the SDK's retries its TooManyRequestsException),
// or ctx's error. A download that fails or is cancelled leaves nothing in
// the cache folder.
//
// The zip is checked against Lambda's CodeSha256 and CodeSize when it is
// downloaded and again when it is first found in the cache by this
// Fetcher: a cached zip of another size or SHA-256 (cut short, edited,
// or not a regular file) is downloaded again and replaced.
func (f *Fetcher) Fetch(ctx context.Context, arn string) (path string, err error) {
	a, err := ParseARN(arn)
	if err != nil {
		return "", err
	}
	path, err = f.arns.do(ctx, a.String(), func(ctx context.Context) (string, error) { return f.fetch(ctx, a) })
	if err != nil {
		return "", fmt.Errorf("fetching layer %s: %w", arn, err)
	}
	return path, nil
}

// fetch asks Lambda where the layer version's zip is and what it is, then
// gets it from the cache or downloads it.
func (f *Fetcher) fetch(ctx context.Context, a ARN) (string, error) {
	// GetLayerVersion with the layer's ARN is GetLayerVersionByArn under
	// another name: the same answer, authorized by the same
	// lambda:GetLayerVersion permission, for a layer of any account. It is
	// used because moto_server (5.2.1), which the end-to-end tests run
	// against, answers GetLayerVersionByArn with ListLayers' body, which
	// the SDK decodes into an empty answer without an error.
	out, err := f.client(a.Region).GetLayerVersion(ctx, &lambda.GetLayerVersionInput{
		LayerName: aws.String(a.LayerARN()), VersionNumber: aws.Int64(a.Version)})
	var nf *ltypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", fmt.Errorf("%w: %w", ErrNotFound, err)
	} else if err != nil {
		return "", err
	}
	c := out.Content
	if c == nil || aws.ToString(c.Location) == "" || aws.ToString(c.CodeSha256) == "" {
		return "", errors.New("the answer to GetLayerVersion has no Content.Location or Content.CodeSha256")
	}
	sum, err := base64.StdEncoding.DecodeString(*c.CodeSha256)
	if err != nil || len(sum) != 32 {
		return "", fmt.Errorf("the CodeSha256 Lambda gave, %q, is not a base64 SHA-256", *c.CodeSha256)
	}
	switch {
	case c.CodeSize <= 0:
		return "", fmt.Errorf("the CodeSize Lambda gave is %d", c.CodeSize)
	case c.CodeSize > MaxZipSize:
		return "", fmt.Errorf("%w: CodeSize %d bytes, limit %d", ErrTooLarge, c.CodeSize, MaxZipSize)
	}
	want := declared{sum: sum, hex: hex.EncodeToString(sum), size: c.CodeSize}
	return f.zips.do(ctx, want.hex, func(ctx context.Context) (string, error) {
		return f.cached(ctx, want, *c.Location)
	})
}

// client returns the region's Lambda client, made on first use.
func (f *Fetcher) client(region string) *lambda.Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.lambdas[region]
	if !ok {
		c = lambda.NewFromConfig(f.cfg, func(o *lambda.Options) { o.Region = region })
		f.lambdas[region] = c
	}
	return c
}
