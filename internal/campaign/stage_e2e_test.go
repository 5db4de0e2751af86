package campaign

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
)

// TestStagerAgainstMoto stages code in a bucket of the function's region
// through moto_server's S3, streamed from a file as apply does, reads it
// back (the SDK checks it against the
// SHA-256 it was stored with, which the upload carried), and removes it.
func TestStagerAgainstMoto(t *testing.T) {
	_, account, cfg := awstest.Moto(t)
	const region = "eu-west-1"
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.Region, o.UsePathStyle = region, true })
	bucket := "stage-" + account + "-" + region
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: region}}); err != nil {
		t.Fatal(err)
	}
	st := &Stager{Bucket: "stage-" + account + "-{region}", S3: func(string) StageAPI { return c }}
	code := bytes.Repeat([]byte("PK\x03\x04 code "), 100_000)
	path := filepath.Join(t.TempDir(), "code.zip")
	if err := os.WriteFile(path, code, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, key, err := st.put(t.Context(), region, "orders", io.NewSectionReader(f, 0, int64(len(code))), int64(len(code)), sha256.Sum256(code))
	if err != nil {
		t.Fatal(err)
	}
	if b != bucket {
		t.Errorf("staged in %s, want %s", b, bucket)
	}
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, code) {
		t.Fatalf("read back %d bytes (%v), staged %d", len(got), err, len(code))
	}
	if err := st.remove(t.Context(), region, b, key); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	var nf *s3types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("after remove: %v, want NotFound", err)
	}
}
