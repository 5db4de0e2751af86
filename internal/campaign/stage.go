package campaign

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// StageAPI is the part of S3 staging uses; *s3.Client implements it.
type StageAPI interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Stager passes a function's code through S3 when an architecture change
// must upload it again and it is over Lambda's direct-upload limit
// (UpdateFunctionCode takes at most 50 MB in the request, 250 MB
// unzipped from S3).
type Stager struct {
	// Bucket is the bucket's name; "{region}" in it becomes the function's
	// region, since Lambda reads code only from a bucket in the function's
	// own region.
	Bucket string
	// S3 gives the S3 client for a region.
	S3 func(region string) StageAPI
}

// stagePrefix is where staged code is kept, under the function's name and
// the code's SHA-256.
const stagePrefix = "layerkit-staging/"

// put stores code, size bytes read from its start with SHA-256 sum, for the
// function and returns where. The code is streamed, not held in memory; a
// retried upload seeks back to the start.
func (s *Stager) put(ctx context.Context, region, function string, code io.ReadSeeker, size int64, sum [32]byte) (bucket, key string, err error) {
	bucket = strings.ReplaceAll(s.Bucket, "{region}", region)
	key = stagePrefix + function + "/" + hex.EncodeToString(sum[:]) + ".zip"
	// S3 checks the checksum on arrival: a damaged upload is refused, not
	// deployed.
	_, err = s.S3(region).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: code, ContentLength: aws.Int64(size),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256, ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if err != nil {
		return "", "", fmt.Errorf("staging the code in s3://%s/%s: %w", bucket, key, err)
	}
	return bucket, key, nil
}

// remove deletes staged code once Lambda has taken it.
func (s *Stager) remove(ctx context.Context, region, bucket, key string) error {
	_, err := s.S3(region).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("removing the staged code s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
