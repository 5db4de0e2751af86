package publish_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/internal/publish/fake"
	"github.com/layerkit/layerkit/internal/testutil"
	"github.com/layerkit/layerkit/layers"
)

var regions = []string{"us-east-1", "eu-west-1"}

func options(t *testing.T) publish.Options {
	dist, m := testutil.BuildExample(t)
	return publish.Options{Dist: dist, Manifest: m, Regions: regions, Bucket: "artifacts-{region}", Prefix: "team"}
}

func cloud() *fake.Cloud {
	c := fake.New()
	for _, r := range regions {
		c.CreateBucket("artifacts-"+r, r)
	}
	return c
}

func TestPublishTwiceIsIdempotent(t *testing.T) {
	c, o := cloud(), options(t)
	first, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 {
		t.Fatalf("results = %+v", first)
	}
	for _, r := range first {
		if !r.Published || r.Version != 1 || !strings.HasPrefix(r.VersionARN, "arn:aws:lambda:"+r.Region+":") ||
			!strings.HasPrefix(r.Content, "s3://artifacts-"+r.Region+"/team/layers/"+r.Name+"/") {
			t.Errorf("first run: %+v", r)
		}
	}
	if c.Objects() != 4 {
		t.Errorf("%d objects, want 4 (2 layers x 2 regions)", c.Objects())
	}
	puts := c.Calls["PutObject"]
	second, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range second {
		if r.Published || r.VersionARN != first[i].VersionARN {
			t.Errorf("second run published again: %+v", r)
		}
	}
	for _, r := range regions {
		for _, n := range []string{"deps-python3_9-x86_64", "deps-python3_12-arm64"} {
			if v := c.Versions(r, n); !slices.Equal(v, []int64{1}) {
				t.Errorf("%s %s versions %v, want [1]", r, n, v)
			}
		}
	}
	if c.Calls["PutObject"] != puts {
		t.Errorf("second run uploaded again")
	}
}

// TestPublishLostAnswer: the connection drops after Lambda made the
// version. The retry looks first, finds the version, and publishes nothing
// twice.
func TestPublishLostAnswer(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"eu-west-1"}
	lost := 0
	c.After = func(region, op string) error {
		if op == "PublishLayerVersion" && lost == 0 {
			lost++
			return errors.New("read tcp 127.0.0.1:50000->127.0.0.1:443: read: connection reset by peer")
		}
		return nil
	}
	rs, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	if lost != 1 {
		t.Fatalf("%d answers lost, want 1", lost)
	}
	for _, r := range rs {
		if v := c.Versions("eu-west-1", r.Name); !slices.Equal(v, []int64{1}) || !r.Published || r.Version != 1 {
			t.Errorf("%s versions %v, result %+v; want [1], published", r.Name, v, r)
		}
	}
	if n := c.Calls["PublishLayerVersion"]; n != 2 {
		t.Errorf("PublishLayerVersion called %d times, want 2 (one per layer)", n)
	}
}

// TestPublishResumesAfterCut: an error that is not retried ends the run
// after Lambda made the version; the rerun finds it and publishes nothing
// twice.
func TestPublishResumesAfterCut(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"eu-west-1"}
	n := 0
	c.After = func(region, op string) error {
		if op == "PublishLayerVersion" {
			if n++; n == 2 {
				return errors.New("injected: answer lost")
			}
		}
		return nil
	}
	if _, err := publish.Publish(t.Context(), c.Clients(), o); err == nil || !strings.Contains(err.Error(), "answer lost") {
		t.Fatalf("cut run: %v", err)
	}
	c.After = nil
	rs, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if v := c.Versions("eu-west-1", r.Name); !slices.Equal(v, []int64{1}) {
			t.Errorf("%s versions %v after resume, want [1]", r.Name, v)
		}
	}
}

func TestPublishChangedZipMakesNewVersion(t *testing.T) {
	c, o := cloud(), options(t)
	if _, err := publish.Publish(t.Context(), c.Clients(), o); err != nil {
		t.Fatal(err)
	}
	o.License = "MIT" // metadata changed: a new version carries it
	rs, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !r.Published || r.Version != 2 {
			t.Errorf("%+v", r)
		}
	}
}

func TestShareIdempotent(t *testing.T) {
	c, o := cloud(), options(t)
	for _, s := range []string{"account:210987654321", "org:o-abcdefghij", "public"} {
		p, err := publish.ParsePrincipal(s)
		if err != nil {
			t.Fatal(err)
		}
		o.Share = append(o.Share, p)
	}
	for range 2 {
		if _, err := publish.Publish(t.Context(), c.Clients(), o); err != nil {
			t.Fatal(err)
		}
	}
	got := c.Policy("us-east-1", "deps-python3_12-arm64", 1)
	want := []string{"layerkit-account-210987654321", "layerkit-org-o-abcdefghij", "layerkit-public"}
	if !slices.Equal(got, want) {
		t.Errorf("policy = %q, want %q", got, want)
	}
	for _, bad := range []string{"account:12", "org:acme", "everyone", ""} {
		if _, err := publish.ParsePrincipal(bad); err == nil {
			t.Errorf("ParsePrincipal(%q) accepted", bad)
		}
	}
}

func TestBucketInWrongRegion(t *testing.T) {
	c, o := fake.New(), options(t)
	c.CreateBucket("shared", "us-east-1")
	o.Bucket, o.Regions = "shared", []string{"eu-west-1"}
	_, err := publish.Publish(t.Context(), c.Clients(), o)
	if err == nil || !strings.Contains(err.Error(), "bucket shared is in us-east-1, but Lambda in eu-west-1 reads layer content only from a bucket in its own region") {
		t.Errorf("err = %v", err)
	}
}

func TestDirectUploadAndDryRun(t *testing.T) {
	c, o := fake.New(), options(t)
	o.Bucket = ""
	o.DryRun = true
	rs, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil || len(rs) != 4 || rs[0].Planned != "publish" || rs[0].Content != "request" {
		t.Fatalf("dry run: %+v, %v", rs, err)
	}
	if len(c.Calls) != 0 {
		t.Errorf("dry run called AWS: %v", c.Calls)
	}
	o.DryRun = false
	rs, err = publish.Publish(t.Context(), c.Clients(), o)
	if err != nil || !rs[0].Published || c.Objects() != 0 {
		t.Fatalf("direct upload: %+v, %v", rs, err)
	}
}

// TestAccessDeniedKeepsAPIError checks a denied call comes back as the
// SDK's API error, wrapped with what was being done and where, so the cli
// package can map its code to exit code 4.
func TestAccessDeniedKeepsAPIError(t *testing.T) {
	c, o := cloud(), options(t)
	c.Before = func(region, op string) error {
		return &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User is not authorized to perform: lambda:ListLayerVersions"}
	}
	_, err := publish.Publish(t.Context(), c.Clients(), o)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(err.Error(), "listing versions of layer deps-") {
		t.Errorf("err = %v", err)
	}
}

func TestPruneSparesVersionsInUse(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"us-east-1"}
	for _, lic := range []string{"a", "b", "c", "d"} {
		o.License = lic
		if _, err := publish.Publish(t.Context(), c.Clients(), o); err != nil {
			t.Fatal(err)
		}
	}
	name := "deps-python3_12-arm64"
	c.AttachFunction("us-east-1", "orders", "arn:aws:lambda:us-east-1:"+fake.Account+":layer:"+name+":1")
	pr, err := publish.Prune(t.Context(), c.Clients(), publish.PruneOptions{Names: []string{name}, Regions: o.Regions, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Versions("us-east-1", name); !slices.Equal(v, []int64{1, 3, 4}) {
		t.Errorf("versions after prune %v, want [1 3 4] (1 is in use)", v)
	}
	if len(pr) != 2 || pr[0].Version != 2 || !pr[0].Deleted || pr[1].Version != 1 || pr[1].Deleted || !slices.Equal(pr[1].UsedBy, []string{"orders"}) {
		t.Errorf("pruned = %+v", pr)
	}
	if _, err := publish.Prune(t.Context(), c.Clients(), publish.PruneOptions{Names: []string{name}, Regions: o.Regions, Keep: 2, Force: true}); err != nil {
		t.Fatal(err)
	}
	if v := c.Versions("us-east-1", name); !slices.Equal(v, []int64{3, 4}) {
		t.Errorf("versions after forced prune %v", v)
	}
}

func TestBuildLayerRoundTrip(t *testing.T) {
	c, o := cloud(), options(t)
	o.Description = "orders deps"
	rs, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if got := publish.BuildLayer(c.Description(r.Region, r.Name, r.Version)); got != "deps" {
			t.Errorf("BuildLayer of %s's description = %q, want deps", r.Name, got)
		}
	}
	if got := publish.BuildLayer("numpy 1.26 for python"); got != "" {
		t.Errorf("BuildLayer of a foreign description = %q", got)
	}
}

func TestLayerName(t *testing.T) {
	if got := publish.LayerName("deps", layers.Target{Runtime: "python3.12", Arch: layers.ARM64}); got != "deps-python3_12-arm64" {
		t.Errorf("LayerName = %q", got)
	}
}

// TestPruneSparesVersionsOfPublishedFunctions: a layer version that only a
// published function version attaches (one an alias may route to) is in
// use: ListFunctions must be asked for every version to see it.
func TestPruneSparesVersionsOfPublishedFunctions(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"us-east-1"}
	for _, lic := range []string{"a", "b", "c"} {
		o.License = lic
		if _, err := publish.Publish(t.Context(), c.Clients(), o); err != nil {
			t.Fatal(err)
		}
	}
	name := "deps-python3_12-arm64"
	arn := "arn:aws:lambda:us-east-1:" + fake.Account + ":layer:" + name + ":"
	c.AttachFunction("us-east-1", "orders:4", arn+"1")
	c.AttachFunction("us-east-1", "orders", arn+"3")
	pr, err := publish.Prune(t.Context(), c.Clients(), publish.PruneOptions{Names: []string{name}, Regions: o.Regions, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Versions("us-east-1", name); !slices.Equal(v, []int64{1, 3}) {
		t.Errorf("versions after prune %v, want [1 3] (1 is used by orders:4)", v)
	}
	for _, p := range pr {
		if p.Version == 1 && (p.Deleted || !slices.Equal(p.UsedBy, []string{"orders:4"})) {
			t.Errorf("version 1: %+v", p)
		}
	}
}

// TestPublishLostAnswerUnreadable: the answer is lost and the read-back
// fails too; publish stops rather than try again blindly, and a rerun
// finds the version.
func TestPublishLostAnswerUnreadable(t *testing.T) {
	c, o := cloud(), options(t)
	o.Regions = []string{"eu-west-1"}
	lost := false
	c.After = func(region, op string) error {
		if op == "PublishLayerVersion" && !lost {
			lost = true
			return errors.New("read tcp 127.0.0.1:50000->127.0.0.1:443: read: connection reset by peer")
		}
		return nil
	}
	c.Before = func(region, op string) error {
		if op == "ListLayerVersions" && lost {
			return errors.New("injected: listing refused")
		}
		return nil
	}
	if _, err := publish.Publish(t.Context(), c.Clients(), o); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("run with a lost answer and no read-back: %v", err)
	}
	c.After, c.Before = nil, nil
	if _, err := publish.Publish(t.Context(), c.Clients(), o); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"deps-python3_9-x86_64", "deps-python3_12-arm64"} {
		if v := c.Versions("eu-west-1", n); len(v) > 1 {
			t.Errorf("%s versions %v: published twice", n, v)
		}
	}
}
