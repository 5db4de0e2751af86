package publish_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/publish"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const arn = "arn:aws:lambda:eu-west-1:123456789012:layer:"

// handoff is a publish to two regions: eu-west-1 with a versioned bucket,
// us-east-1 without versioning.
func handoff() publish.Handoff {
	key := "team/functions/main/0705a3486f11027fa360cb084ddb586f0685a2e974a60b955c6423d8b8973ec3.zip"
	sum := "BwWjSG8RAn+jYMsITdtYbwaFoul0pguVxkI9jbiXPsM="
	return publish.Handoff{
		Regions: []string{"eu-west-1", "us-east-1"},
		Layers: map[string]map[string][]string{
			"eu-west-1": {"python3.12-arm64": {arn + "deps-python3_12-arm64:3", arn + "tools-python3_12-arm64:1"}, "python3.9-x86_64": {arn + "deps-python3_9-x86_64:2"}},
			"us-east-1": {"python3.12-arm64": {strings.ReplaceAll(arn, "eu-west-1", "us-east-1") + "deps-python3_12-arm64:1"}},
		},
		Code: map[string]publish.Code{
			"eu-west-1": {Name: "main", Region: "eu-west-1", Bucket: "artifacts-eu-west-1", Key: key, VersionID: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", CodeSHA256: sum},
			"us-east-1": {Name: "main", Region: "us-east-1", Bucket: "artifacts-us-east-1", Key: key, CodeSHA256: sum},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, p, got)
	}
}

func TestEmitFormats(t *testing.T) {
	h := handoff()
	tf, err := h.TFVars()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "TestEmitFormats.tfvars.json", tf)
	for _, r := range h.Regions {
		sam, err := h.SAMParameters(r)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "TestEmitFormats.sam-"+r, sam)
	}
	cdk, err := h.CDKContext([]byte(`{"availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a"], "layerkit": {"old": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "TestEmitFormats.cdk.json", cdk)
}

// TestEmitSAMCentralBucket: with the code in one central bucket elsewhere,
// a region's parameters carry the key (the same in a replica) but no
// bucket, which the template must then get from elsewhere.
func TestEmitSAMCentralBucket(t *testing.T) {
	h := handoff()
	c := h.Code["eu-west-1"]
	c.Region, c.Bucket = "eu-central-1", "shared-code"
	h.Code = map[string]publish.Code{"eu-central-1": c}
	got, err := h.SAMParameters("us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	want := "LayerkitLayersPython312Arm64=arn:aws:lambda:us-east-1:123456789012:layer:deps-python3_12-arm64:1\nLayerkitCodeKey=" + c.Key + "\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	c.Key = "my team/functions/main/x.zip"
	h.Code = map[string]publish.Code{"us-east-1": c}
	if _, err := h.SAMParameters("us-east-1"); err == nil || !strings.Contains(err.Error(), "white space") {
		t.Errorf("a key with a space: %v", err)
	}
}

func TestParseEmit(t *testing.T) {
	tests := []struct {
		in   string
		want publish.Emit
		err  string
	}{
		{"tfvars=infra/layerkit.auto.tfvars.json", publish.Emit{Format: publish.EmitTFVars, File: "infra/layerkit.auto.tfvars.json"}, ""},
		{"sam=sam-{region}.params", publish.Emit{Format: publish.EmitSAM, File: "sam-{region}.params"}, ""},
		{"cdk=cdk.context.json", publish.Emit{Format: publish.EmitCDK, File: "cdk.context.json"}, ""},
		{"tfvars", publish.Emit{}, "want FORMAT=FILE"},
		{"pulumi=x.json", publish.Emit{}, `format "pulumi": want tfvars, sam or cdk`},
		{"tfvars=layerkit.tfvars", publish.Emit{}, "ends in .json"},
	}
	for _, tt := range tests {
		got, err := publish.ParseEmit(tt.in)
		switch {
		case tt.err != "" && (err == nil || !errors.Is(err, publish.ErrEmit) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseEmit(%q) err = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseEmit(%q) = %+v, %v", tt.in, got, err)
		}
	}
	e := publish.Emit{Format: publish.EmitSAM, File: "sam.params"}
	if err := e.Check([]string{"eu-west-1", "us-east-1"}); !errors.Is(err, publish.ErrEmit) {
		t.Errorf("a SAM file without {region} for two regions: %v", err)
	}
	if err := e.Check([]string{"eu-west-1"}); err != nil {
		t.Errorf("a SAM file for one region: %v", err)
	}
}

// TestEmitWrite writes every format into a folder: one SAM file per
// region, and a CDK context file whose other keys stay.
func TestEmitWrite(t *testing.T) {
	dir := t.TempDir()
	h := handoff()
	ctx := filepath.Join(dir, "cdk.context.json")
	if err := os.WriteFile(ctx, []byte(`{"hosted-zone:account=1:domainName=example.com": {"Id": "Z1"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, e := range []publish.Emit{{publish.EmitTFVars, filepath.Join(dir, "l.auto.tfvars.json")}, {publish.EmitSAM, filepath.Join(dir, "sam-{region}.params")}, {publish.EmitCDK, ctx}} {
		w, err := e.Write(h)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, w...)
	}
	want := []string{"l.auto.tfvars.json", "sam-eu-west-1.params", "sam-us-east-1.params", "cdk.context.json"}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	if !slices.Equal(all, want) {
		t.Errorf("written %q, want %q", all, want)
	}
	var doc map[string]json.RawMessage
	b, _ := os.ReadFile(ctx)
	if err := json.Unmarshal(b, &doc); err != nil || len(doc) != 2 || doc["layerkit"] == nil {
		t.Errorf("cdk.context.json = %s (%v)", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files in the folder, want 4 (no temporary file left)", len(entries))
	}
}

// TestEmitFromPublish: a publish's results, gathered into a handoff, name
// each target's layers in every region and the code where it was put.
func TestEmitFromPublish(t *testing.T) {
	c, o := cloud(), options(t)
	c.EnableVersioning("artifacts-eu-west-1")
	rs, err := publish.Publish(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	code, err := publish.UploadCode(t.Context(), c.Clients(), o)
	if err != nil {
		t.Fatal(err)
	}
	h := publish.NewHandoff(o.Manifest, o.Regions, rs, code)
	for _, r := range regions {
		for _, tgt := range []string{"python3.12-arm64", "python3.9-x86_64"} {
			name := "deps-" + strings.ReplaceAll(tgt, ".", "_")
			if got := h.Layers[r][tgt]; len(got) != 1 || !strings.HasSuffix(got[0], ":layer:"+name+":1") || !strings.Contains(got[0], ":"+r+":") {
				t.Errorf("%s %s: %q", r, tgt, got)
			}
		}
		if got := h.Code[r]; got.Bucket != "artifacts-"+r || got.CodeSHA256 == "" || (r == "eu-west-1") != (got.VersionID != "") {
			t.Errorf("code in %s: %+v", r, got)
		}
	}
}

var (
	tfVariableRE = regexp.MustCompile(`(?m)^variable "([a-z_]+)"`)
	tfVarUseRE   = regexp.MustCompile(`var\.(layerkit_[a-z_]+)`)
	tfAttrRE     = regexp.MustCompile(`(?m)^\s+([a-z0-9_]+)\s+= (?:optional\()?string`)
	tfCodeUseRE  = regexp.MustCompile(`local\.code\.([a-z0-9_]+)`)
)

// TestTerraformReadsTFVars checks the Terraform module README shows
// (testdata/terraform) against what TFVars writes. Without network,
// `terraform validate` of the whole module cannot run (terraform init
// must download the AWS provider), so: the variables the module declares
// are exactly the ones TFVars sets, every attribute the module reads from
// layerkit_code is in the file, and, when terraform is on PATH, Terraform
// itself loads the file into the module's variable declarations (a module
// of those declarations needs no provider) and hands the values back.
func TestTerraformReadsTFVars(t *testing.T) {
	vars, err := os.ReadFile("testdata/terraform/variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile("testdata/terraform/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, m := range tfVariableRE.FindAllSubmatch(vars, -1) {
		declared = append(declared, string(m[1]))
	}
	if !slices.Equal(declared, publish.TFVarsNames) {
		t.Errorf("variables.tf declares %q, TFVars sets %q", declared, publish.TFVarsNames)
	}
	tf, err := handoff().TFVars()
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]map[string]any
	if err := json.Unmarshal(tf, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := slices.Sorted(slices.Values(publish.TFVarsNames)); !slices.Equal(keys, want) {
		t.Errorf("the tfvars file sets %q, want %q", keys, want)
	}
	var attrs []string
	for _, m := range tfAttrRE.FindAllSubmatch(vars, -1) {
		attrs = append(attrs, string(m[1]))
	}
	code := raw["layerkit_code"]["eu-west-1"]
	var got []string
	for k := range code {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(attrs)
	if !slices.Equal(got, attrs) {
		t.Errorf("layerkit_code entries have %q, variables.tf declares %q", got, attrs)
	}
	for _, m := range tfVarUseRE.FindAllSubmatch(main, -1) {
		if !slices.Contains(declared, string(m[1])) {
			t.Errorf("main.tf reads var.%s, which variables.tf does not declare", m[1])
		}
	}
	for _, m := range tfCodeUseRE.FindAllSubmatch(main, -1) {
		if !slices.Contains(attrs, string(m[1])) {
			t.Errorf("main.tf reads local.code.%s, which layerkit_code does not have", m[1])
		}
	}

	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform is not on PATH: the file was checked against the declarations only")
	}
	dir := t.TempDir()
	outputs := `output "layers" { value = var.layerkit_layers["eu-west-1"]["python3.12-arm64"] }
output "code" { value = var.layerkit_code["us-east-1"] }
`
	for name, b := range map[string][]byte{"variables.tf": vars, "outputs.tf": []byte(outputs), "layerkit.auto.tfvars.json": tf} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tfrun := func(args ...string) []byte {
		cmd := exec.CommandContext(t.Context(), "terraform", args...)
		cmd.Dir = dir
		// No version check over the network; no user configuration.
		cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+os.DevNull, "TF_DATA_DIR="+filepath.Join(dir, ".terraform"))
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("terraform %s: %v\n%s%s", strings.Join(args, " "), err, out, ee.Stderr)
			}
			t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	tfrun("init", "-input=false", "-no-color")
	tfrun("validate", "-no-color")
	tfrun("apply", "-auto-approve", "-input=false", "-no-color")
	var out struct {
		Layers struct{ Value []string }           `json:"layers"`
		Code   struct{ Value map[string]*string } `json:"code"`
	}
	if err := json.Unmarshal(tfrun("output", "-json"), &out); err != nil {
		t.Fatal(err)
	}
	h := handoff()
	if !slices.Equal(out.Layers.Value, h.Layers["eu-west-1"]["python3.12-arm64"]) {
		t.Errorf("terraform read layers %q", out.Layers.Value)
	}
	c := out.Code.Value
	if c["s3_bucket"] == nil || *c["s3_bucket"] != "artifacts-us-east-1" || *c["source_code_hash"] != h.Code["us-east-1"].CodeSHA256 || c["s3_object_version"] != nil {
		t.Errorf("terraform read code %v", c)
	}
}

// TestREADMEShowsTheTerraformModule: README's Terraform snippets are the
// files TestTerraformReadsTFVars checks, verbatim.
func TestREADMEShowsTheTerraformModule(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"variables.tf", "main.tf"} {
		b, err := os.ReadFile(filepath.Join("testdata", "terraform", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(readme, append(append([]byte("```hcl\n"), b...), "```\n"...)) {
			t.Errorf("README does not show testdata/terraform/%s verbatim", f)
		}
	}
}
