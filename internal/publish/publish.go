package publish

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/layers"
)

// Options say what to publish where.
type Options struct {
	// Dist is the build output folder; Manifest its manifest.
	Dist     string
	Manifest *layers.Manifest
	Regions  []string
	// Bucket stages zips in S3; "{region}" is replaced by the region, since
	// Lambda reads layer content only from a bucket in its own region.
	// Empty sends zips under the direct-upload limit in the request.
	Bucket string
	// CodeBucket is where UploadCode puts function code instead of
	// Bucket: with "{region}", one bucket per region; without, one central
	// bucket in any region (for S3 replication or other accounts' reads).
	CodeBucket string
	// Prefix starts every S3 key.
	Prefix string
	// Names maps an artifact name ("deps-python3.12-arm64") to the layer
	// name to publish it under; the default is LayerName's.
	Names       map[string]string
	Description string
	License     string
	Share       []Principal
	// DryRun plans without calling AWS.
	DryRun bool
	// Concurrency bounds the regions worked on at once; 0 means 4.
	Concurrency int
	// Progress, when set, hears about each step; it is called from many
	// goroutines.
	Progress func(Event)
}

// Event is one step of a publish, for progress output.
type Event struct {
	Region, Layer, Step string
	// Done and Total count uploaded bytes for Step "upload".
	Done, Total int64
}

// Result is one layer target in one region: the document published.json
// holds and `campaign` reads.
type Result struct {
	Name       string      `json:"name"`
	Artifact   string      `json:"artifact"`
	Runtime    string      `json:"runtime"`
	Arch       layers.Arch `json:"arch"`
	Region     string      `json:"region"`
	LayerARN   string      `json:"layer_arn"`
	Version    int64       `json:"version"`
	VersionARN string      `json:"version_arn"`
	CodeSHA256 string      `json:"code_sha256"`
	// UnzippedBytes lets a campaign budget the 250 MB limit.
	UnzippedBytes int64 `json:"unzipped_bytes"`
	// Published is false when an existing version already held this zip
	// and metadata.
	Published bool `json:"published"`
	// Content says where the zip came from: an s3:// URI, or "request".
	Content string   `json:"content"`
	Shared  []string `json:"shared,omitempty"`
	// Planned says what a dry run would do: "publish" or "unknown" (a dry
	// run cannot see existing versions).
	Planned string `json:"planned,omitempty"`
}

// Published is the published.json document: the layer versions, and
// where the function's code is in S3.
type Published struct {
	Layers    []Result `json:"layers"`
	Functions []Code   `json:"functions,omitempty"`
}

// PublishedFile is the name of the results file in the build output.
const PublishedFile = "published.json"

var layerNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// LayerName derives a Lambda layer name from a layer and its target:
// "deps-python3_12-arm64". Lambda allows letters, digits, '-' and '_' (up
// to 140 characters), so other characters become '_'.
func LayerName(layer string, t layers.Target) string {
	n := layerNameRE.ReplaceAllString(layer+"-"+t.Runtime+"-"+string(t.Arch), "_")
	return n[:min(len(n), 140)]
}

// ArtifactID names a layer artifact as publish.names and Result.Artifact
// do: "deps-python3.12-arm64".
func ArtifactID(a layers.Artifact) string { return a.Name + "-" + a.Runtime + "-" + string(a.Arch) }

// NameFor is the Lambda layer name an artifact is published under: its
// entry in names (publish.names), else LayerName.
func NameFor(names map[string]string, a layers.Artifact) string {
	if n := names[ArtifactID(a)]; n != "" {
		return n
	}
	return LayerName(a.Name, a.Target())
}

// Principal is who a layer version is shared with.
type Principal struct {
	Account string // a 12-digit account ID
	Org     string // an organization ID, o-…
	Public  bool
}

// ParsePrincipal reads "account:123456789012", "org:o-abc123" or "public".
func ParsePrincipal(s string) (Principal, error) {
	switch k, v, _ := strings.Cut(s, ":"); {
	case s == "public":
		return Principal{Public: true}, nil
	case k == "account" && regexp.MustCompile(`^\d{12}$`).MatchString(v):
		return Principal{Account: v}, nil
	case k == "org" && regexp.MustCompile(`^o-[a-z0-9]{10,32}$`).MatchString(v):
		return Principal{Org: v}, nil
	}
	return Principal{}, fmt.Errorf("share %q: want account:<12-digit ID>, org:o-<id> or public", s)
}

func (p Principal) String() string {
	switch {
	case p.Public:
		return "public"
	case p.Org != "":
		return "org:" + p.Org
	}
	return "account:" + p.Account
}

// statementID is the permission's statement ID: derived from the principal,
// so a rerun finds its own statement.
func (p Principal) statementID() string {
	return "layerkit-" + strings.NewReplacer(":", "-").Replace(p.String())
}

// descriptionMark starts the part of a layer version's description that
// layerkit writes: "layerkit sha256:HEX LAYER RUNTIME ARCH".
const descriptionMark = "layerkit sha256:"

// description carries the zip's SHA-256, so an unchanged layer is
// recognised from ListLayerVersions alone, and the build layer's name, so a
// campaign can find its replacement. Lambda allows 256 characters.
func description(user string, a layers.Artifact) string {
	d := fmt.Sprintf("%s%s %s %s %s", descriptionMark, a.SHA256, a.Name, a.Runtime, a.Arch)
	if user != "" {
		d = user + " | " + d
	}
	return d[:min(len(d), 256)]
}

// BuildLayer reads the build layer's name ("deps") from a layer version
// description Publish wrote, and "" from any other description.
func BuildLayer(description string) string {
	i := strings.Index(description, descriptionMark)
	if i < 0 {
		return ""
	}
	f := strings.Fields(description[i+len(descriptionMark):])
	if len(f) < 4 {
		return ""
	}
	return f[1]
}

// Publish publishes every layer of the manifest to every region and
// returns one Result per layer and region, in manifest then region order.
// Regions run in parallel; a failure in one region cancels the others and
// is returned. Results of work done before a failure are returned too, so
// the caller can save them.
func Publish(ctx context.Context, cl Clients, o Options) ([]Result, error) {
	var arts []layers.Artifact
	for _, a := range o.Manifest.Artifacts {
		if a.Kind == layers.KindLayer {
			arts = append(arts, a)
		}
	}
	if len(arts) == 0 {
		return nil, errors.New("the build has no layers to publish")
	}
	for _, a := range arts {
		if o.Bucket == "" && !layers.FitsDirectUpload(a.ZippedBytes) {
			return nil, fmt.Errorf("%s is %d bytes, over the %d-byte direct upload limit: give --bucket to publish through S3", a.Path, a.ZippedBytes, layers.MaxDirectUploadBytes)
		}
	}
	results := make([][]Result, len(o.Regions))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(o.Concurrency, 4))
	for i, region := range o.Regions {
		g.Go(func() error {
			for _, a := range arts {
				r, err := publishOne(gctx, cl, o, region, a)
				mu.Lock()
				if r != nil {
					results[i] = append(results[i], *r)
				}
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := g.Wait()
	var out []Result
	for _, a := range arts {
		for i := range o.Regions {
			for _, r := range results[i] {
				if r.Artifact == ArtifactID(a) {
					out = append(out, r)
				}
			}
		}
	}
	return out, err
}

func (o *Options) progress(e Event) {
	if o.Progress != nil {
		o.Progress(e)
	}
}

func publishOne(ctx context.Context, cl Clients, o Options, region string, a layers.Artifact) (*Result, error) {
	artifact, name := ArtifactID(a), NameFor(o.Names, a)
	r := &Result{Name: name, Artifact: artifact, Runtime: a.Runtime, Arch: a.Arch, Region: region, CodeSHA256: a.CodeSHA256, UnzippedBytes: a.UnzippedBytes, Content: "request"}
	desc := description(o.Description, a)
	bucket := strings.ReplaceAll(o.Bucket, "{region}", region)
	key := ""
	if bucket != "" {
		key = strings.TrimPrefix(o.Prefix+"/", "/") + "layers/" + name + "/" + a.SHA256 + ".zip"
		r.Content = "s3://" + bucket + "/" + key
	}
	if o.DryRun {
		r.Planned = "publish"
		return r, nil
	}
	lc := cl.Lambda(region)
	o.progress(Event{Region: region, Layer: name, Step: "look"})
	latest, err := latestMatching(ctx, lc, name, desc)
	if err != nil {
		return nil, inRegion(region, "listing versions of layer "+name, err)
	}
	if latest != nil && sameVersion(latest, a, desc, o.License) {
		r.LayerARN, r.Version, r.VersionARN = aws.ToString(latest.LayerArn), latest.Version, aws.ToString(latest.LayerVersionArn)
	} else {
		content := &ltypes.LayerVersionContentInput{}
		zipPath := filepath.Join(o.Dist, filepath.FromSlash(a.Path))
		if bucket != "" {
			if err := upload(ctx, cl.S3(region), o, region, bucket, key, zipPath, a, name); err != nil {
				return nil, err
			}
			content.S3Bucket, content.S3Key = aws.String(bucket), aws.String(key)
		} else {
			b, err := os.ReadFile(zipPath) // under the 50 MB direct-upload limit, checked above
			if err != nil {
				return nil, err
			}
			if err := verifyZip(b, a, zipPath); err != nil {
				return nil, err
			}
			content.ZipFile = b
		}
		o.progress(Event{Region: region, Layer: name, Step: "publish"})
		out, found, err := publishVersion(ctx, lc, &lambda.PublishLayerVersionInput{
			LayerName: aws.String(name), Content: content, Description: aws.String(desc),
			CompatibleRuntimes:      []ltypes.Runtime{ltypes.Runtime(a.Runtime)},
			CompatibleArchitectures: []ltypes.Architecture{ltypes.Architecture(a.Arch)},
			LicenseInfo:             optional(o.License),
		}, func(v *lambda.GetLayerVersionOutput) bool { return sameVersion(v, a, desc, o.License) })
		switch {
		case err != nil:
			return nil, inRegion(region, "publishing layer "+name, err)
		case found != nil:
			// An answer was lost after Lambda made the version.
			r.LayerARN, r.Version, r.VersionARN, r.Published = aws.ToString(found.LayerArn), found.Version, aws.ToString(found.LayerVersionArn), true
		default:
			if got := aws.ToString(out.Content.CodeSha256); got != a.CodeSHA256 {
				return nil, fmt.Errorf("publishing layer %s in %s: Lambda computed CodeSha256 %s, the build %s: the zip changed since it was built, or the S3 object is not the zip", name, region, got, a.CodeSHA256)
			}
			r.LayerARN, r.Version, r.VersionARN, r.Published = aws.ToString(out.LayerArn), out.Version, aws.ToString(out.LayerVersionArn), true
		}
	}
	for _, p := range o.Share {
		o.progress(Event{Region: region, Layer: name, Step: "share"})
		if err := share(ctx, lc, name, r.Version, p); err != nil {
			return r, inRegion(region, fmt.Sprintf("sharing %s version %d with %s", name, r.Version, p), err)
		}
		r.Shared = append(r.Shared, p.String())
	}
	return r, nil
}

// publishVersion publishes a layer version, retrying as the client's
// retryer says, but never blindly: PublishLayerVersion is not idempotent,
// and an answer lost after Lambda acted (a dropped connection, a timeout, a
// 5xx from a proxy) would make a blind retry publish the same zip twice.
// Before each new try the newest version is read back; when same says it
// is the one asked for, it is returned as found and nothing is published
// again.
func publishVersion(ctx context.Context, lc LambdaAPI, in *lambda.PublishLayerVersionInput, same func(*lambda.GetLayerVersionOutput) bool) (out *lambda.PublishLayerVersionOutput, found *lambda.GetLayerVersionOutput, err error) {
	var retryer aws.Retryer
	switch c := lc.(type) {
	case *lambda.Client:
		retryer = c.Options().Retryer
	case interface{ Retryer() aws.Retryer }: // fakes
		retryer = c.Retryer()
	default:
		retryer = retry.NewStandard()
	}
	once := func(o *lambda.Options) { o.RetryMaxAttempts = 1 }
	for attempt := 1; ; attempt++ {
		out, err = lc.PublishLayerVersion(ctx, in, once)
		if err == nil || attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) {
			return out, nil, err
		}
		delay, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, err
		case <-time.After(delay):
		}
		latest, lerr := latestMatching(ctx, lc, aws.ToString(in.LayerName), aws.ToString(in.Description))
		switch {
		case lerr != nil:
			// Unable to look, a new try could publish twice: stop here;
			// a rerun looks first.
			return nil, nil, err
		case latest != nil && same(latest):
			return nil, latest, nil
		}
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// latestMatching returns the newest version of the layer, with its
// CodeSha256 (which ListLayerVersions does not give), or nil when the layer
// has no versions.
func latestMatching(ctx context.Context, lc LambdaAPI, name, desc string) (*lambda.GetLayerVersionOutput, error) {
	var newest *ltypes.LayerVersionsListItem
	p := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var nf *ltypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				return nil, nil
			}
			return nil, err
		}
		for i := range page.LayerVersions {
			if v := &page.LayerVersions[i]; newest == nil || v.Version > newest.Version {
				newest = v
			}
		}
	}
	if newest == nil || aws.ToString(newest.Description) != desc {
		return nil, nil // the newest version holds other content
	}
	out, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(newest.Version)})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sameVersion reports whether an existing version holds exactly what would
// be published: the same zip and the same metadata.
func sameVersion(v *lambda.GetLayerVersionOutput, a layers.Artifact, desc, license string) bool {
	return v.Content != nil && aws.ToString(v.Content.CodeSha256) == a.CodeSHA256 &&
		aws.ToString(v.Description) == desc && aws.ToString(v.LicenseInfo) == license &&
		slices.Equal(v.CompatibleRuntimes, []ltypes.Runtime{ltypes.Runtime(a.Runtime)}) &&
		slices.Equal(v.CompatibleArchitectures, []ltypes.Architecture{ltypes.Architecture(a.Arch)})
}

// upload puts the zip at s3://bucket/key unless an object with the same
// SHA-256 is there already. The bucket must be in the region.
func upload(ctx context.Context, sc S3API, o Options, region, bucket, key, zipPath string, a layers.Artifact, name string) error {
	br, err := bucketRegion(ctx, sc, bucket)
	if err != nil {
		return inRegion(region, "reading the region of bucket "+bucket, err)
	}
	if br != region {
		return fmt.Errorf("bucket %s is in %s, but Lambda in %s reads layer content only from a bucket in its own region: use a bucket per region, such as --bucket 'artifacts-{region}'", bucket, br, region)
	}
	head, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: s3types.ChecksumModeEnabled})
	if err == nil && aws.ToString(head.ChecksumSHA256) == a.CodeSHA256 {
		return nil // content-addressed and verified: already there
	}
	var nf *s3types.NotFound
	if err != nil && !errors.As(err, &nf) {
		return inRegion(region, fmt.Sprintf("looking for s3://%s/%s", bucket, key), err)
	}
	f, size, err := openBuilt(zipPath, a)
	if err != nil {
		return err
	}
	defer f.Close()
	o.progress(Event{Region: region, Layer: name, Step: "upload", Total: size})
	body := &progressReader{f: f, total: size, report: func(done int64) {
		o.progress(Event{Region: region, Layer: name, Step: "upload", Done: done, Total: size})
	}}
	_, err = sc.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: body, ContentLength: aws.Int64(size),
		ContentType:       aws.String("application/zip"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256,
		// S3 verifies the upload against the build's hash and keeps it,
		// so a later run recognises the object without downloading it.
		ChecksumSHA256: aws.String(a.CodeSHA256),
	})
	if err != nil {
		return inRegion(region, fmt.Sprintf("uploading %s to s3://%s/%s", zipPath, bucket, key), err)
	}
	return nil
}

// verifyZip checks the bytes about to be sent are the ones built.
func verifyZip(b []byte, a layers.Artifact, p string) error {
	sum := sha256Sum(b)
	if hex.EncodeToString(sum) != a.SHA256 {
		return fmt.Errorf("%s changed since it was built (SHA-256 %x, the manifest says %s): build again", p, sum, a.SHA256)
	}
	return nil
}

// share grants p use of the version unless a statement layerkit made for p
// is already in its policy.
func share(ctx context.Context, lc LambdaAPI, name string, version int64, p Principal) error {
	sid := p.statementID()
	pol, err := lc.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(name), VersionNumber: aws.Int64(version)})
	var nf *ltypes.ResourceNotFoundException
	switch {
	case err == nil:
		var doc struct {
			Statement []struct {
				Sid string `json:"Sid"`
			} `json:"Statement"`
		}
		if json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc) == nil {
			for _, s := range doc.Statement {
				if s.Sid == sid {
					return nil
				}
			}
		}
	case !errors.As(err, &nf):
		return err
	}
	in := &lambda.AddLayerVersionPermissionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(version),
		StatementId: aws.String(sid), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")}
	switch {
	case p.Account != "":
		in.Principal = aws.String(p.Account)
	case p.Org != "":
		in.OrganizationId = aws.String(p.Org)
	}
	_, err = lc.AddLayerVersionPermission(ctx, in)
	var conflict *ltypes.ResourceConflictException
	if errors.As(err, &conflict) {
		return nil // added by a run that was cut off before it could see the answer
	}
	return err
}

// openBuilt opens a zip a build wrote and checks it still has the size the
// manifest records: a zip changed since the build is not uploaded.
func openBuilt(zipPath string, a layers.Artifact) (*os.File, int64, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if fi.Size() != a.ZippedBytes {
		f.Close()
		return nil, 0, fmt.Errorf("%s is %d bytes, the manifest says %d: build again", zipPath, fi.Size(), a.ZippedBytes)
	}
	return f, fi.Size(), nil
}
