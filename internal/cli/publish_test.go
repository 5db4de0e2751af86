package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/publish"
)

func builtExample(t *testing.T) string {
	dir := example(t)
	if r := runCLI(t, nil, "build", dir); r.code != 0 {
		t.Fatalf("build: %+v", r)
	}
	return filepath.Join(dir, "dist")
}

func TestPublishDryRunNeedsNoCredentials(t *testing.T) {
	dist := builtExample(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	r := runCLI(t, nil, "publish", dist, "--regions", "eu-west-1", "--bucket", "artifacts-{region}", "--dry-run", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc publish.Published
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Layers) != 2 {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if l := doc.Layers[1]; l.Name != "deps-python3_12-arm64" || l.Planned != "publish" || !strings.HasPrefix(l.Content, "s3://artifacts-eu-west-1/layers/deps-python3_12-arm64/") {
		t.Errorf("layer = %+v", l)
	}
	if _, err := os.Stat(filepath.Join(dist, publish.PublishedFile)); err == nil {
		t.Error("a dry run wrote published.json")
	}
}

func TestPublishUsage(t *testing.T) {
	dist := builtExample(t)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"publish", dist}, ExitUsage, "no regions: give --regions or set publish.regions in layerkit.yaml"},
		{[]string{"publish", dist, "--regions", "eu-west-1", "--share", "everyone"}, ExitUsage, `share "everyone": want account:<12-digit ID>, org:o-<id> or public`},
		{[]string{"publish", t.TempDir(), "--regions", "eu-west-1"}, ExitError, "has no manifest.json: run 'layerkit build' first"},
		{[]string{"prune", dist, "--regions", "eu-west-1", "--keep", "0"}, ExitUsage, "--keep 0: keep at least the newest version"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
	}
}

// TestPublishMoto runs publish and prune through the CLI against
// moto_server: two regions, then again with nothing new, then without
// credentials (exit 4).
func TestPublishMoto(t *testing.T) {
	ep, _, _ := awstest.Moto(t)
	dist := builtExample(t)
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	args := []string{"publish", dist, "--regions", "us-east-1,eu-west-1", "--format", "json"}
	var runs [2]publish.Published
	for i := range runs {
		r := runCLI(t, env, args...)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &runs[i]); err != nil || len(runs[i].Layers) != 4 {
			t.Fatalf("run %d: %v %s", i, err, r.stdout)
		}
	}
	for i, l := range runs[1].Layers {
		if !runs[0].Layers[i].Published || l.Published || l.VersionARN != runs[0].Layers[i].VersionARN {
			t.Errorf("layer %d: first %+v, second %+v", i, runs[0].Layers[i], l)
		}
	}
	saved, err := publish.ReadResults(filepath.Join(dist, publish.PublishedFile))
	if err != nil || len(saved.Layers) != 4 || saved.Layers[0].VersionARN != runs[0].Layers[0].VersionARN {
		t.Errorf("published.json: %+v, %v", saved, err)
	}
	r := runCLI(t, env, "prune", dist, "--regions", "eu-west-1", "--keep", "1")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "LAYER") {
		t.Errorf("prune: %+v", r)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	r = runCLI(t, env, args...)
	if r.code != ExitAWS || !strings.Contains(r.stderr, "no usable AWS credentials") {
		t.Errorf("without credentials: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestPublishDryRunSaysWhatItWouldUploadAndWrite(t *testing.T) {
	dist := builtExample(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	out := t.TempDir()
	tfvars := filepath.Join(out, "layerkit.auto.tfvars.json")
	args := []string{"publish", dist, "--regions", "eu-west-1,us-east-1", "--bucket", "artifacts-{region}", "--code-bucket", "shared-code", "--prefix", "orders",
		"--emit", "tfvars=" + tfvars, "--emit", "sam=" + filepath.Join(out, "sam-{region}.params"), "--dry-run"}
	r := runCLI(t, nil, append(args, "--format", "json")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		publish.Published
		Emitted []struct {
			Format, File string
			Written      bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if fn := doc.Functions; len(fn) != 1 || fn[0].Planned != "upload" || fn[0].Bucket != "shared-code" || !strings.HasPrefix(fn[0].Key, "orders/functions/main/") || fn[0].Uploaded {
		t.Errorf("functions = %+v", fn)
	}
	if len(doc.Emitted) != 3 || doc.Emitted[0].File != tfvars || doc.Emitted[2].File != filepath.Join(out, "sam-us-east-1.params") || doc.Emitted[0].Written {
		t.Errorf("emitted = %+v", doc.Emitted)
	}
	r = runCLI(t, nil, args...)
	for _, want := range []string{"main  -       would upload (unless there)  s3://shared-code/orders/functions/main/", "tfvars  " + tfvars + "  would write"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("text dry run lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a dry run wrote %v", entries)
	}
}

func TestPublishEmitUsage(t *testing.T) {
	dist := builtExample(t)
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--emit", "pulumi=x.json"}, `bad --emit "pulumi=x.json": format "pulumi": want tfvars, sam or cdk`},
		{[]string{"--emit", "tfvars"}, `bad --emit "tfvars": want FORMAT=FILE`},
		{[]string{"--emit", "tfvars=layerkit.tfvars"}, "name it such as layerkit.auto.tfvars.json"},
		{[]string{"--regions", "eu-west-1,us-east-1", "--emit", "sam=sam.params"}, "put {region} in the file name"},
	}
	for _, tt := range tests {
		args := append([]string{"publish", dist, "--regions", "eu-west-1", "--dry-run"}, tt.args...)
		r := runCLI(t, nil, args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
	}
}

// TestPublishCodeAndEmitMoto publishes the example through the CLI to
// moto: the function's code into each region's versioned bucket, twice
// (the second run stores no new object version: nothing was uploaded),
// then into a central bucket of a third region; each run writes the
// tfvars, SAM and CDK files from what it published.
func TestPublishCodeAndEmitMoto(t *testing.T) {
	ep, account, cfg := awstest.Moto(t)
	dist := builtExample(t)
	regions := []string{"us-east-1", "eu-west-1"}
	s3in := func(region string) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) { o.Region, o.UsePathStyle = region, true })
	}
	mkBucket := func(name, region string) {
		in := &s3.CreateBucketInput{Bucket: aws.String(name)}
		if region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
		}
		if _, err := s3in(region).CreateBucket(t.Context(), in); err != nil {
			t.Fatal(err)
		}
		if _, err := s3in(region).PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range regions {
		mkBucket("art-"+account+"-"+r, r)
	}
	out := t.TempDir()
	tfvars, cdk := filepath.Join(out, "layerkit.auto.tfvars.json"), filepath.Join(out, "cdk.context.json")
	env := map[string]string{"AWS_ENDPOINT_URL": ep}
	args := []string{"publish", dist, "--regions", strings.Join(regions, ","), "--bucket", "art-" + account + "-{region}", "--format", "json",
		"--emit", "tfvars=" + tfvars, "--emit", "sam=" + filepath.Join(out, "{region}.params"), "--emit", "cdk=" + cdk}
	var runs [2]publish.Published
	for i := range runs {
		r := runCLI(t, env, args...)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &runs[i]); err != nil || len(runs[i].Functions) != 2 {
			t.Fatalf("run %d: %v %s", i, err, r.stdout)
		}
	}
	for i, c := range runs[1].Functions {
		first := runs[0].Functions[i]
		if !first.Uploaded || c.Uploaded || c.VersionID == "" || c.VersionID != first.VersionID || c.Region != regions[i] {
			t.Errorf("code in %s: first %+v, second %+v", regions[i], first, c)
		}
		vs, err := s3in(c.Region).ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(c.Bucket), Prefix: aws.String(c.Key)})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs.Versions) != 1 {
			t.Errorf("%s: %d versions, want 1 (the second run uploads nothing)", c.URI(), len(vs.Versions))
		}
	}
	saved, err := publish.ReadResults(filepath.Join(dist, publish.PublishedFile))
	if err != nil || len(saved.Functions) != 2 || saved.Functions[1] != runs[1].Functions[1] {
		t.Errorf("published.json functions: %+v, %v", saved, err)
	}
	var tf struct {
		Layers map[string]map[string][]string `json:"layerkit_layers"`
		Code   map[string]struct {
			S3Bucket, S3Key, SourceCodeHash string
			S3ObjectVersion                 *string `json:"s3_object_version"`
		} `json:"layerkit_code"`
	}
	b, _ := os.ReadFile(tfvars)
	if err := json.Unmarshal(b, &tf); err != nil {
		t.Fatal(err)
	}
	for _, l := range runs[1].Layers {
		if got := tf.Layers[l.Region][l.Runtime+"-"+string(l.Arch)]; len(got) != 1 || got[0] != l.VersionARN {
			t.Errorf("tfvars layers for %s %s-%s: %q, want %s", l.Region, l.Runtime, l.Arch, got, l.VersionARN)
		}
	}
	if c := tf.Code["eu-west-1"]; c.S3ObjectVersion == nil || *c.S3ObjectVersion != runs[1].Functions[1].VersionID {
		t.Errorf("tfvars code: %s", b)
	}
	sam, _ := os.ReadFile(filepath.Join(out, "eu-west-1.params"))
	if !strings.Contains(string(sam), "LayerkitCodeBucket=art-"+account+"-eu-west-1\n") || !strings.Contains(string(sam), "LayerkitLayersPython312Arm64=arn:aws:lambda:eu-west-1:") {
		t.Errorf("eu-west-1.params:\n%s", sam)
	}

	// One central bucket in a region no layer goes to.
	central := "code-" + account
	mkBucket(central, "eu-central-1")
	r := runCLI(t, env, append(args, "--code-bucket", central)...)
	var third publish.Published
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &third) != nil {
		t.Fatalf("central bucket: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if fn := third.Functions; len(fn) != 1 || fn[0].Region != "eu-central-1" || fn[0].Bucket != central || !fn[0].Uploaded || fn[0].CodeSHA256 != runs[0].Functions[0].CodeSHA256 {
		t.Errorf("central bucket: %+v", fn)
	}
	var ctx struct {
		Layerkit struct {
			Code map[string]struct{ Bucket string }
		}
	}
	b, _ = os.ReadFile(cdk)
	if err := json.Unmarshal(b, &ctx); err != nil || len(ctx.Layerkit.Code) != 1 || ctx.Layerkit.Code["eu-central-1"].Bucket != central {
		t.Errorf("cdk.context.json after the central run: %s", b)
	}
	saved, _ = publish.ReadResults(filepath.Join(dist, publish.PublishedFile))
	if len(saved.Functions) != 3 {
		t.Errorf("published.json keeps the per-region objects beside the central one: %+v", saved.Functions)
	}
}

// TestSaveResultsReplacesOlderCode: code rebuilt (a new key) in the same
// bucket replaces the entry for the old key; another bucket's entry stays.
func TestSaveResultsReplacesOlderCode(t *testing.T) {
	dist := builtExample(t)
	m, _, err := loadBuild(dist, "")
	if err != nil {
		t.Fatal(err)
	}
	old := []publish.Code{{Name: "main", Region: "eu-west-1", Bucket: "a-eu-west-1", Key: "functions/main/old.zip"},
		{Name: "main", Region: "eu-central-1", Bucket: "central", Key: "functions/main/old.zip"}}
	if err := saveResults(dist, m, nil, old); err != nil {
		t.Fatal(err)
	}
	fresh := []publish.Code{{Name: "main", Region: "eu-west-1", Bucket: "a-eu-west-1", Key: "functions/main/new.zip"}}
	if err := saveResults(dist, m, nil, fresh); err != nil {
		t.Fatal(err)
	}
	saved, err := publish.ReadResults(filepath.Join(dist, publish.PublishedFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Functions; len(got) != 2 || got[0].Bucket != "central" || got[1].Key != "functions/main/new.zip" {
		t.Errorf("functions = %+v", got)
	}
}
