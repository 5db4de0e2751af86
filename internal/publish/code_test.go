package publish_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/internal/publish/fake"
)

func mainArtifactSHA(t *testing.T, o publish.Options) (hex, b64 string) {
	t.Helper()
	a, ok := o.Manifest.Function()
	if !ok {
		t.Fatal("the example build has no function artifact")
	}
	return a.SHA256, a.CodeSHA256
}

// TestUploadCodeTwiceUploadsOnce: the function's zip goes to each region's
// bucket under its content-addressed key; a second run finds it there with
// the same checksum and uploads nothing.
func TestUploadCodeTwiceUploadsOnce(t *testing.T) {
	c, o := cloud(), options(t)
	c.EnableVersioning("artifacts-eu-west-1")
	hex, b64 := mainArtifactSHA(t, o)
	first, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Fatalf("results = %+v", first)
	}
	for i, region := range regions {
		got := first[i]
		want := publish.Code{Name: "main", Region: region, Bucket: "artifacts-" + region, Key: "team/functions/main/" + hex + ".zip",
			CodeSHA256: b64, ZippedBytes: got.ZippedBytes, UnzippedBytes: got.UnzippedBytes, Uploaded: true}
		if region == "eu-west-1" {
			want.VersionID = "v1"
		}
		if got != want || got.ZippedBytes == 0 {
			t.Errorf("first run in %s:\n got %+v\nwant %+v", region, got, want)
		}
	}
	puts := c.Calls["PutObject"]
	if puts != 2 {
		t.Errorf("first run: %d PutObject calls, want 2", puts)
	}
	second, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Calls["PutObject"] - puts; n != 0 {
		t.Errorf("second run: %d PutObject calls, want 0", n)
	}
	for i, got := range second {
		want := first[i]
		want.Uploaded = false
		if got != want {
			t.Errorf("second run:\n got %+v\nwant %+v (the version the object already has)", got, want)
		}
	}
}

// TestUploadCodeCentralBucket: one bucket in a region of its own gets the
// zip once, whatever the regions asked.
func TestUploadCodeCentralBucket(t *testing.T) {
	c, o := cloud(), options(t)
	c.CreateBucket("shared-code", "eu-central-1")
	o.CodeBucket = "shared-code"
	rs, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Region != "eu-central-1" || rs[0].Bucket != "shared-code" || !rs[0].Uploaded {
		t.Fatalf("results = %+v", rs)
	}
	if c.Calls["PutObject"] != 1 {
		t.Errorf("%d PutObject calls, want 1", c.Calls["PutObject"])
	}
}

// TestUploadCodeLostAnswer: S3 stored the zip but its answer was lost; the
// run fails, and the rerun finds the object by its checksum and uploads
// nothing again. A retry that did upload again would store the same bytes
// under the same key: the key names the content.
func TestUploadCodeLostAnswer(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"eu-west-1"}
	c.After = func(region, op string) error {
		if op == "PutObject" {
			return errors.New("read tcp 127.0.0.1:50000->127.0.0.1:443: read: connection reset by peer")
		}
		return nil
	}
	if _, err := publish.UploadCode(t.Context(), c.Clients(), o); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("run with a lost answer: %v", err)
	}
	c.After = nil
	rs, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Calls["PutObject"]; n != 1 || len(rs) != 1 || rs[0].Uploaded {
		t.Errorf("%d PutObject calls, want 1; results %+v", n, rs)
	}
}

// TestUploadCodeObjectWithoutChecksum: an object under the key that S3
// holds no SHA-256 checksum for (put there by another tool) is not trusted:
// the zip is uploaded again, which stores the checksum.
func TestUploadCodeObjectWithoutChecksum(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"eu-west-1"}
	hex, _ := mainArtifactSHA(t, o)
	c.PutObject("artifacts-eu-west-1", "team/functions/main/"+hex+".zip", []byte("not the zip"))
	rs, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !rs[0].Uploaded {
		t.Errorf("results = %+v, want uploaded", rs)
	}
}

func TestUploadCodeRefusals(t *testing.T) {
	c, o := fake.New(), options(t)
	c.CreateBucket("shared", "us-east-1")
	tests := []struct {
		name               string
		bucket, codeBucket string
		want               string
	}{
		{"no bucket", "", "", "no bucket for the function's code"},
		{"bucket of another region", "shared", "", "bucket shared is in us-east-1, but Lambda in eu-west-1 reads code only from a bucket in its own region"},
		{"per-region code bucket missing", "", "code-{region}", "reading the region of bucket code-eu-west-1 in eu-west-1"},
	}
	for _, tt := range tests {
		o.Bucket, o.CodeBucket, o.Regions = tt.bucket, tt.codeBucket, []string{"eu-west-1"}
		_, err := publish.UploadCode(t.Context(), c.Clients(), o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	o.Bucket, o.CodeBucket = "", ""
	if _, err := publish.UploadCode(t.Context(), c.Clients(), o); !errors.Is(err, publish.ErrNoCodeBucket) {
		t.Errorf("no bucket: err = %v, want ErrNoCodeBucket", err)
	}
}

func TestUploadCodeDryRun(t *testing.T) {
	c, o := fake.New(), options(t)
	o.DryRun, o.CodeBucket = true, "shared-code"
	rs, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil || len(rs) != 1 || rs[0].Planned != "upload" || rs[0].Bucket != "shared-code" || rs[0].Uploaded {
		t.Fatalf("dry run: %+v, %v", rs, err)
	}
	if len(c.Calls) != 0 {
		t.Errorf("dry run called AWS: %v", c.Calls)
	}
}

// TestUploadCodeLegacyEUBucket: S3 answers "EU" for the location of old
// eu-west-1 buckets; that is eu-west-1.
func TestUploadCodeLegacyEUBucket(t *testing.T) {
	c, o := fake.New(), options(t)
	c.CreateBucket("old-code", "EU")
	o.CodeBucket, o.Regions = "old-code", []string{"us-east-1"}
	rs, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil || len(rs) != 1 || rs[0].Region != "eu-west-1" {
		t.Errorf("results %+v, %v; want the code in eu-west-1", rs, err)
	}
}
