package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/layers"
)

// Code is one function artifact (main.zip) stored in S3 where Lambda can
// read it: the "functions" entries of published.json, and what the IaC
// values of Emit point functions at.
type Code struct {
	// Name is the artifact's name in the manifest ("main") and in the key.
	Name string `json:"name"`
	// Region is the bucket's region: functions there can read the object
	// (Lambda reads code only from a bucket in its own region).
	Region string `json:"region"`
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// VersionID is the object's version when the bucket has versioning on.
	VersionID string `json:"version_id,omitempty"`
	// CodeSHA256 is the base64 SHA-256 of the zip, as Lambda reports it
	// in CodeSha256 and Terraform takes it in source_code_hash.
	CodeSHA256    string `json:"code_sha256"`
	ZippedBytes   int64  `json:"zipped_bytes"`
	UnzippedBytes int64  `json:"unzipped_bytes"`
	// Uploaded is false when the object was there already with the same
	// SHA-256.
	Uploaded bool `json:"uploaded"`
	// Planned says what a dry run would do: "upload" (a dry run cannot see
	// whether the object is there).
	Planned string `json:"planned,omitempty"`
}

// URI returns the object's s3:// URI.
func (c Code) URI() string { return "s3://" + c.Bucket + "/" + c.Key }

// ErrNoCodeBucket is returned by UploadCode when the build has function
// code but neither Options.CodeBucket nor Options.Bucket says where to put
// it.
var ErrNoCodeBucket = errors.New("no bucket for the function's code: give --bucket or --code-bucket")

// CodeKey is the content-addressed key of a function artifact:
// "PREFIX/functions/NAME/SHA256.zip", SHA256 in hex. The same zip always
// lands under the same key, so uploading it again changes nothing.
func CodeKey(prefix string, a layers.Artifact) string {
	return strings.TrimPrefix(prefix+"/", "/") + "functions/" + a.Name + "/" + a.SHA256 + ".zip"
}

// codeBucket returns the bucket function code goes to and whether it is
// one central bucket (CodeBucket without "{region}") rather than one per
// region.
func (o *Options) codeBucket() (bucket string, central bool) {
	if o.CodeBucket != "" {
		return o.CodeBucket, !strings.Contains(o.CodeBucket, "{region}")
	}
	return o.Bucket, false
}

// UploadCode puts every function artifact of the manifest into S3 under
// CodeKey and returns one Code per artifact and bucket, in manifest then
// region order. With a central Options.CodeBucket the zip goes once, into
// that bucket in whatever region it is; otherwise into the bucket of each
// region (CodeBucket or Bucket with "{region}" replaced), which must be in
// that region.
//
// An object already under the key is kept when HeadObject (with
// ChecksumMode enabled) reports the same SHA-256 checksum: S3 computes and
// verifies that checksum itself when layerkit uploads, whereas user
// metadata is whatever the uploader claimed. An object with no checksum
// (put there by another tool) is uploaded again, which is harmless: the
// key names the content. For the same reason a retried PutObject whose
// first answer was lost stores the same bytes again and nothing else
// (on a versioned bucket, one more version of identical content).
//
// A build without function code returns nothing; one with code but no
// bucket returns ErrNoCodeBucket. Results of work done before a failure are
// returned with the error.
func UploadCode(ctx context.Context, cl Clients, o Options) ([]Code, error) {
	var arts []layers.Artifact
	for _, a := range o.Manifest.Artifacts {
		if a.Kind == layers.KindFunction {
			arts = append(arts, a)
		}
	}
	if len(arts) == 0 {
		return nil, nil
	}
	bucket, central := o.codeBucket()
	if bucket == "" {
		return nil, ErrNoCodeBucket
	}
	if central {
		return uploadCentral(ctx, cl, o, bucket, arts)
	}
	results := make([][]Code, len(o.Regions))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(o.Concurrency, 4))
	for i, region := range o.Regions {
		b := strings.ReplaceAll(bucket, "{region}", region)
		g.Go(func() error {
			if !o.DryRun {
				if err := checkBucketRegion(gctx, cl.S3(region), b, region); err != nil {
					return err
				}
			}
			for _, a := range arts {
				c := codeResult(o, region, b, a)
				if !o.DryRun {
					if err := uploadCode(gctx, cl.S3(region), o, &c, a); err != nil {
						return err
					}
				}
				mu.Lock()
				results[i] = append(results[i], c)
				mu.Unlock()
			}
			return nil
		})
	}
	err := g.Wait()
	var out []Code
	for _, a := range arts {
		for i := range o.Regions {
			for _, c := range results[i] {
				if c.Name == a.Name {
					out = append(out, c)
				}
			}
		}
	}
	return out, err
}

// uploadCentral puts the zips into one bucket, in its own region, asking
// for that region through the client of the first region named (S3 answers
// GetBucketLocation for a bucket of any region).
func uploadCentral(ctx context.Context, cl Clients, o Options, bucket string, arts []layers.Artifact) ([]Code, error) {
	var out []Code
	region := ""
	if !o.DryRun {
		if len(o.Regions) == 0 {
			return nil, errors.New("no region to reach S3 in: give at least one region")
		}
		var err error
		if region, err = bucketRegion(ctx, cl.S3(o.Regions[0]), bucket); err != nil {
			return nil, inRegion(o.Regions[0], "reading the region of bucket "+bucket, err)
		}
	}
	for _, a := range arts {
		c := codeResult(o, region, bucket, a)
		if !o.DryRun {
			if err := uploadCode(ctx, cl.S3(region), o, &c, a); err != nil {
				return out, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func codeResult(o Options, region, bucket string, a layers.Artifact) Code {
	c := Code{Name: a.Name, Region: region, Bucket: bucket, Key: CodeKey(o.Prefix, a), CodeSHA256: a.CodeSHA256,
		ZippedBytes: a.ZippedBytes, UnzippedBytes: a.UnzippedBytes}
	if o.DryRun {
		c.Planned = "upload"
	}
	return c
}

// bucketRegion returns the region a bucket is in.
func bucketRegion(ctx context.Context, sc S3API, bucket string) (string, error) {
	loc, err := sc.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", err
	}
	if loc.LocationConstraint == "" {
		return "us-east-1", nil // S3 answers no constraint for us-east-1
	}
	if loc.LocationConstraint == "EU" {
		return "eu-west-1", nil // the legacy name S3 still answers for old buckets
	}
	return string(loc.LocationConstraint), nil
}

// checkBucketRegion refuses a bucket outside region: Lambda there could
// not read what is staged in it.
func checkBucketRegion(ctx context.Context, sc S3API, bucket, region string) error {
	br, err := bucketRegion(ctx, sc, bucket)
	if err != nil {
		return inRegion(region, "reading the region of bucket "+bucket, err)
	}
	if br != region {
		return fmt.Errorf("bucket %s is in %s, but Lambda in %s reads code only from a bucket in its own region: use a bucket per region, such as 'artifacts-{region}', or one central bucket with --code-bucket", bucket, br, region)
	}
	return nil
}

// uploadCode puts a function zip at c's bucket and key unless an object
// with the same SHA-256 checksum is there, and records the object's
// version.
func uploadCode(ctx context.Context, sc S3API, o Options, c *Code, a layers.Artifact) error {
	head, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(c.Key), ChecksumMode: s3types.ChecksumModeEnabled})
	var nf *s3types.NotFound
	switch {
	case err == nil && aws.ToString(head.ChecksumSHA256) == a.CodeSHA256:
		c.VersionID = aws.ToString(head.VersionId)
		return nil
	case err != nil && !errors.As(err, &nf):
		return inRegion(c.Region, "looking for "+c.URI(), err)
	}
	zipPath := filepath.Join(o.Dist, filepath.FromSlash(a.Path))
	f, size, err := openBuilt(zipPath, a)
	if err != nil {
		return err
	}
	defer f.Close()
	o.progress(Event{Region: c.Region, Layer: a.Name, Step: "upload", Total: size})
	body := &progressReader{f: f, total: size, report: func(done int64) {
		o.progress(Event{Region: c.Region, Layer: a.Name, Step: "upload", Done: done, Total: size})
	}}
	out, err := sc.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(c.Bucket), Key: aws.String(c.Key), Body: body, ContentLength: aws.Int64(size),
		ContentType:       aws.String("application/zip"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256,
		// S3 refuses the upload unless the bytes have the build's hash
		// (so a zip changed since the build never lands under its key),
		// and keeps it for HeadObject to report to the next run.
		ChecksumSHA256: aws.String(a.CodeSHA256),
	})
	if err != nil {
		return inRegion(c.Region, fmt.Sprintf("uploading %s to %s", zipPath, c.URI()), err)
	}
	c.VersionID, c.Uploaded = aws.ToString(out.VersionId), true
	return nil
}
