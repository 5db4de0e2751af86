package terraform

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf16"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/layers"
)

// fixture is the plan terraform show -json wrote for testdata/app (see its
// README.md and regenerate.sh).
var fixture = filepath.Join("testdata", "app", "plan.json")

// TestReadFixture: the four functions of the fixture's configuration and
// the one whose zip is built at apply, as the plan declares them.
func TestReadFixture(t *testing.T) {
	proj, err := Read(fixture, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(fixture)
	code := func(rel string) deploy.Code {
		return deploy.Code{Path: filepath.Join(dir, filepath.FromSlash(rel)), InRequest: true}
	}
	native := &deploy.Layer{ID: "aws_lambda_layer_version.native", Code: code("layers/native.zip"),
		CompatibleRuntimes: []string{"python3.12"}}
	abi := &deploy.Layer{ID: "aws_lambda_layer_version.abi", Code: code("layers/abi.zip"),
		CompatibleRuntimes: []string{"python3.12"}, CompatibleArchitectures: []layers.Arch{layers.X86_64}}
	fn := func(id, name, handler string, arch layers.Arch, zip string, env map[string]string, ls ...*deploy.Layer) *deploy.Function {
		return &deploy.Function{ID: id, Name: name, Template: fixture, Runtime: "python3.12", Arch: arch, Handler: handler,
			PackageType: "Zip", Env: env, Code: code(zip), Layers: ls}
	}
	const refsNote = "its layers are known only at apply: read from the configuration's references (an ARN written there as a string is not seen)"
	arm := fn("aws_lambda_function.arm", "ArmFn", "app.handler", layers.ARM64, "build/arm.zip", map[string]string{"STAGE": "dev"}, native)
	arm.Notes = []string{refsNote}
	abiFn := fn("module.abi.aws_lambda_function.this", "AbiFn", "app.handler", layers.X86_64, "build/abi.zip", map[string]string{"FUNCTION": "AbiFn"}, abi)
	abiFn.Notes = []string{refsNote}
	unbuilt := fn(`aws_lambda_function.unbuilt["main"]`, "UnbuiltFn-main", "app.handler", layers.X86_64, "", nil)
	unbuilt.Code = deploy.Code{InRequest: true, Missing: "not built yet"}
	unbuilt.Notes = []string{"builds/unbuilt-main.zip is not on disk: a zip built at apply, not checked"}
	want := &deploy.Project{
		Framework: deploy.Terraform,
		Root:      fixture,
		Functions: []*deploy.Function{
			arm,
			fn("aws_lambda_function.nohandler", "NoHandlerFn", "missing.handler", layers.X86_64, "build/nohandler.zip", nil,
				&deploy.Layer{ID: "arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:7", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:7"}),
			fn("aws_lambda_function.ok", "OkFn", "app.handler", layers.X86_64, "build/ok.zip", nil),
			unbuilt,
			abiFn,
		},
		Notes: []string{"filename paths are read from the folder the plan or state is in, taken as the folder terraform ran in"},
	}
	if !reflect.DeepEqual(proj, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(proj), dump(want))
	}
}

func TestDetect(t *testing.T) {
	app := filepath.Dir(fixture)
	for _, tc := range []struct {
		name string
		path string
		root string
	}{
		{"the plan", fixture, fixture},
		{"the folder terraform ran in", app, fixture},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, ok, err := Detect(tc.path)
			if err != nil || !ok || root != tc.root {
				t.Errorf("Detect(%s) = %q, %v, %v; want %q, true, nil", tc.path, root, ok, err, tc.root)
			}
		})
	}
}

// TestDetectRefuses: what other tools leave, and JSON Terraform writes
// that is neither a plan nor a state, is not Terraform's output.
func TestDetectRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		path  string // what Detect is given, in the folder; the folder when empty
	}{
		{"an empty folder", nil, ""},
		{"the folder around the project", map[string]string{"app/plan.json": mustRead(t, fixture)}, ""},
		{"a plain layer folder", map[string]string{"python/planted/__init__.py": "", "lib/libx.so": "\x7fELF"}, ""},
		{"layerkit's build output", map[string]string{"manifest.json": `{"version":1,"artifacts":[{"name":"main","path":"main.zip"}]}`, "main.zip": "PK"}, ""},
		{"SAM's build folder", map[string]string{"template.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n", "build.toml": ""}, ""},
		{"a CloudFormation template in JSON", map[string]string{"template.json": `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}`}, ""},
		{"CDK's cdk.out", map[string]string{
			"manifest.json":       `{"version":"36.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"}}}}`,
			"S.template.json":     `{"Resources":{}}`,
			"S.assets.json":       `{"version":"36.0.0","files":{}}`,
			"tree.json":           `{"version":"tree-0.1","tree":{}}`,
			"cdk.out":             `{"version":"36.0.0"}`,
			"asset.abc/index.py":  "",
			"asset.abc/extra.txt": ""}, ""},
		{"Serverless's .serverless", map[string]string{
			"cloudformation-template-update-stack.json": `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}`,
			"serverless-state.json":                     `{"service":{"service":"svc","provider":{"name":"aws"}},"package":{"artifactDirectoryName":"x"}}`,
			"svc.zip":                                   "PK"}, ""},
		{"Terraform's own state file", map[string]string{"terraform.tfstate": `{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"l","outputs":{},"resources":[]}`}, "terraform.tfstate"},
		{"Terraform's own state file named .json", map[string]string{"state.json": `{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"l","outputs":{},"resources":[]}`}, ""},
		{"show -json without a state", map[string]string{"empty.json": `{"format_version":"1.0"}`}, "empty.json"},
		{"providers schema -json", map[string]string{"schema.json": `{"format_version":"1.0","provider_schemas":{}}`}, "schema.json"},
		{"version -json", map[string]string{"version.json": `{"terraform_version":"1.11.4","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}`}, "version.json"},
		{"a plan's name on something else", map[string]string{"plan.json": `["format_version","terraform_version","planned_values"]`}, "plan.json"},
		{"not JSON", map[string]string{"plan.json": "Terraform will perform the following actions:\n"}, "plan.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, content := range tc.files {
				full := filepath.Join(dir, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			root, ok, err := Detect(filepath.Join(dir, tc.path))
			if ok || err != nil {
				t.Errorf("Detect = %q, %v, %v; want not mine, no error", root, ok, err)
			}
		})
	}
}

// TestDetectSeveral: a folder with a plan and a state is not guessed at.
func TestDetectSeveral(t *testing.T) {
	dir := t.TempDir()
	plan := mustRead(t, fixture)
	for _, n := range []string{"plan.json", "state.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(plan), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, ok, err := Detect(dir)
	if ok || !errors.Is(err, ErrSeveral) {
		t.Fatalf("Detect = %v, %v; want ErrSeveral", ok, err)
	}
	if _, err := Read(dir, deploy.Options{}); !errors.Is(err, ErrSeveral) {
		t.Errorf("Read = %v; want ErrSeveral", err)
	}
}

func TestDetectMissing(t *testing.T) {
	if _, ok, err := Detect(filepath.Join(t.TempDir(), "nothing")); ok || err == nil {
		t.Errorf("Detect(missing path) = %v, %v; want an error", ok, err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadFolder: Read given the folder terraform ran in reads the plan in
// it, as Detect finds it.
func TestReadFolder(t *testing.T) {
	proj, err := Read(filepath.Dir(fixture), deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if proj.Root != fixture || len(proj.Functions) != 5 {
		t.Errorf("Root %q with %d functions; want %q with 5", proj.Root, len(proj.Functions), fixture)
	}
}

// TestReadStateFixture: in a state the layers have their ARNs, which are
// those of the aws_lambda_layer_version resources beside the functions.
func TestReadStateFixture(t *testing.T) {
	state := filepath.Join("testdata", "applied", "state.json")
	root, ok, err := Detect(filepath.Dir(state))
	if err != nil || !ok || root != state {
		t.Fatalf("Detect = %q, %v, %v; want %q", root, ok, err, state)
	}
	proj, err := Read(state, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(state)
	want := map[string][]string{ // ID → code, then each layer's ID and code
		"aws_lambda_function.arm":             {"build/arm.zip", "aws_lambda_layer_version.native", "layers/native.zip"},
		"aws_lambda_function.nohandler":       {"build/nohandler.zip", "arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:7", ""},
		"aws_lambda_function.ok":              {"build/ok.zip"},
		"module.abi.aws_lambda_function.this": {"build/abi.zip", "aws_lambda_layer_version.abi", "layers/abi.zip"},
	}
	rel := func(p string) string {
		if p == "" {
			return ""
		}
		r, _ := filepath.Rel(dir, p)
		return filepath.ToSlash(r)
	}
	got := map[string][]string{}
	for _, f := range proj.Functions {
		g := []string{rel(f.Code.Path)}
		for _, l := range f.Layers {
			g = append(g, l.ID, rel(l.Code.Path))
		}
		got[f.ID] = g
		if len(f.Notes) > 0 {
			t.Errorf("%s: notes %q, want none", f.ID, f.Notes)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	arches := map[string]layers.Arch{}
	for _, f := range proj.Functions {
		arches[f.Name] = f.Arch
	}
	if want := (map[string]layers.Arch{"ArmFn": layers.ARM64, "AbiFn": layers.X86_64, "OkFn": layers.X86_64, "NoHandlerFn": layers.X86_64}); !reflect.DeepEqual(arches, want) {
		t.Errorf("arches %v, want %v", arches, want)
	}
}

// TestDetectUTF16: Windows PowerShell 5's `terraform show -json > plan.json`
// writes UTF-16 with a byte order mark.
func TestDetectUTF16(t *testing.T) {
	plan := mustRead(t, fixture)
	units := utf16.Encode([]rune(plan))
	b := []byte{0xff, 0xfe}
	for _, u := range units {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if root, ok, err := Detect(p); !ok || err != nil || root != p {
		t.Fatalf("Detect = %q, %v, %v; want %q", root, ok, err, p)
	}
	proj, err := Read(p, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(proj.Functions) != 5 {
		t.Errorf("%d functions, want 5", len(proj.Functions))
	}
}

// TestDetectLargeOther: a file larger than any plan that is not JSON (a
// zip given to check) is not Terraform's, and is not read whole to say so.
func TestDetectLargeOther(t *testing.T) {
	p := filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(p, []byte("PK\x03\x04"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, deploy.MaxTemplateBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Detect(p); ok || err != nil {
		t.Errorf("Detect = %v, %v; want not mine, no error", ok, err)
	}
}
