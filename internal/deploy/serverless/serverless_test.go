package serverless

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
	"github.com/layerkit/layerkit/layers"
)

const fixture = "testdata/sls3"

var fixtureOut = filepath.Join(fixture, outputDir)

// copyOutput copies the fixture's .serverless folder into a temp folder and
// returns the copy's path.
func copyOutput(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), outputDir)
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(fixtureOut)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(fixtureOut, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// editJSON decodes dir/name, lets edit change it and writes it back.
func editJSON(t *testing.T, dir, name string, edit func(doc map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// props returns the Properties of a resource of a decoded template.
func props(doc map[string]any, id string) map[string]any {
	return doc["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
}

// relative rewrites a project's paths relative to root, for comparison.
func relative(t *testing.T, p *deploy.Project, root string) {
	t.Helper()
	rel := func(s string) string {
		if s == "" {
			return ""
		}
		r, err := filepath.Rel(root, s)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	p.Root = rel(p.Root)
	for _, f := range p.Functions {
		f.Template = rel(f.Template)
		f.Code.Path = rel(f.Code.Path)
		for _, l := range f.Layers {
			l.Code.Path = rel(l.Code.Path)
		}
	}
}

const sharedTools = "arn:aws:lambda:us-east-1:123456789012:layer:shared-tools:3"

func arnLayer(arn string) *deploy.Layer {
	return &deploy.Layer{ID: arn, ARN: arn, Code: deploy.Code{Missing: "given only as an ARN: its content is not in the output"}}
}

// wantFixture is what the fixture declares. The provider lists
// NativeLambdaLayer and the shared-tools ARN; abiFn, okFn and noHandlerFn
// list their own layers, which replace the provider's: they must not get
// NativeLambdaLayer.
func wantFixture() *deploy.Project {
	const tmpl = templateFile
	env := map[string]string{"LOG_LEVEL": "info"}
	native := &deploy.Layer{ID: "NativeLambdaLayer", Code: deploy.Code{Path: "native.zip"},
		CompatibleRuntimes: []string{"python3.12"}, CompatibleArchitectures: []layers.Arch{layers.X86_64}}
	abi := &deploy.Layer{ID: "AbiLambdaLayer", Code: deploy.Code{Path: "abi.zip"},
		CompatibleRuntimes: []string{"python3.12"}, CompatibleArchitectures: []layers.Arch{layers.X86_64}}
	clean := &deploy.Layer{ID: "CleanLambdaLayer", Code: deploy.Code{Path: "clean.zip"},
		CompatibleRuntimes: []string{"python3.12"}}
	return &deploy.Project{
		Framework: deploy.Serverless,
		Root:      ".",
		Functions: []*deploy.Function{
			{ID: "lkfix-dev/AbiFnLambdaFunction", Name: "lkfix-dev-abiFn", Template: tmpl, Runtime: "python3.12",
				Arch: layers.X86_64, Handler: "app.handler", PackageType: "Zip", Env: env,
				Code: deploy.Code{Path: "lkfix.zip"}, Layers: []*deploy.Layer{abi}},
			{ID: "lkfix-dev/ArmFnLambdaFunction", Name: "lkfix-dev-armFn", Template: tmpl, Runtime: "python3.12",
				Arch: layers.ARM64, Handler: "app.handler", PackageType: "Zip", Env: env,
				Code: deploy.Code{Path: "lkfix.zip"}, Layers: []*deploy.Layer{native, arnLayer(sharedTools)}},
			{ID: "lkfix-dev/NoHandlerFnLambdaFunction", Name: "lkfix-dev-noHandlerFn", Template: tmpl, Runtime: "python3.12",
				Arch: layers.X86_64, Handler: "missing.handler", PackageType: "Zip", Env: env,
				Code: deploy.Code{Path: "noHandlerFn.zip"}, Layers: []*deploy.Layer{arnLayer(sharedTools)}},
			{ID: "lkfix-dev/OkFnLambdaFunction", Name: "lkfix-dev-okFn", Template: tmpl, Runtime: "python3.12",
				Arch: layers.X86_64, Handler: "app.handler", PackageType: "Zip", Env: env,
				Code: deploy.Code{Path: "lkfix.zip"}, Layers: []*deploy.Layer{clean},
				Notes: []string{"environment variable SHARED_BUCKET is not resolved offline"}},
		},
	}
}

func diffProject(t *testing.T, got, want *deploy.Project) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("Read:\ngot  %s\nwant %s", g, w)
}

func TestReadFixture(t *testing.T) {
	for _, root := range []string{fixtureOut, fixture} { // the output folder, and the project around it
		t.Run(root, func(t *testing.T) {
			got, err := Read(root, deploy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			relative(t, got, fixtureOut)
			diffProject(t, got, wantFixture())
		})
	}
}

func TestReadWithoutState(t *testing.T) {
	dir := copyOutput(t)
	if err := os.Remove(filepath.Join(dir, stateFile)); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	relative(t, got, dir)
	want := wantFixture()
	want.Notes = []string{stateFile + " is absent: the stack name is taken from the S3 keys"}
	diffProject(t, got, want)
}

func TestReadStateOnly(t *testing.T) {
	dir := copyOutput(t)
	if err := os.Remove(filepath.Join(dir, templateFile)); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	relative(t, got, dir)
	want := wantFixture()
	want.Notes = []string{templateFile + " is absent: functions read from the compiled template in " + stateFile}
	for _, f := range want.Functions {
		f.Template = stateFile
	}
	diffProject(t, got, want)
}

// TestReadState covers what serverless-state.json supplies: a custom stack
// name, the region for Fn::Sub, and a function name the template leaves
// unresolved.
func TestReadState(t *testing.T) {
	dir := copyOutput(t)
	editJSON(t, dir, stateFile, func(doc map[string]any) {
		provider := doc["service"].(map[string]any)["provider"].(map[string]any)
		provider["stackName"] = "custom-stack"
		provider["region"] = "eu-west-1"
	})
	editJSON(t, dir, templateFile, func(doc map[string]any) {
		p := props(doc, "OkFnLambdaFunction")
		p["FunctionName"] = map[string]any{"Fn::ImportValue": "x"}
		p["Layers"] = []any{
			map[string]any{"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:123456789012:layer:regional:1"},
			map[string]any{"Fn::Sub": "arn:aws:lambda:us-east-1:${AWS::AccountId}:layer:mine:1"},
			map[string]any{"Ref": "IamRoleLambdaExecution"},
			"not-an-arn",
		}
	})
	got, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ok *deploy.Function
	for _, f := range got.Functions {
		if !strings.HasPrefix(f.ID, "custom-stack/") {
			t.Errorf("ID %s: want the state's stackName custom-stack", f.ID)
		}
		if f.ID == "custom-stack/OkFnLambdaFunction" {
			ok = f
		}
	}
	if ok == nil {
		t.Fatal("no custom-stack/OkFnLambdaFunction")
	}
	if ok.Name != "lkfix-dev-okFn" {
		t.Errorf("Name = %q, want the state's lkfix-dev-okFn", ok.Name)
	}
	regional := "arn:aws:lambda:eu-west-1:123456789012:layer:regional:1"
	if len(ok.Layers) != 1 || ok.Layers[0].ARN != regional {
		t.Errorf("Layers = %+v, want only %s", ok.Layers, regional)
	}
	wantNotes := []string{
		"environment variable SHARED_BUCKET is not resolved offline",
		`layer 2 is not resolved offline: {"Fn::Sub":"arn:aws:lambda:us-east-1:${AWS::AccountId}:layer:mine:1"}`,
		"layer 3 refers to IamRoleLambdaExecution, a AWS::IAM::Role, not a layer version",
		`layer 4, "not-an-arn", is neither a layer of the template nor an ARN`,
	}
	if !reflect.DeepEqual(ok.Notes, wantNotes) {
		t.Errorf("Notes:\ngot  %q\nwant %q", ok.Notes, wantNotes)
	}
}

// TestReadOddFunctions covers an image function, a zip not in the folder,
// a layer whose zip is missing, an unknown architecture, inline code, a
// missing handler and a condition.
func TestReadOddFunctions(t *testing.T) {
	dir := copyOutput(t)
	if err := os.Remove(filepath.Join(dir, "clean.zip")); err != nil {
		t.Fatal(err)
	}
	editJSON(t, dir, templateFile, func(doc map[string]any) {
		p := props(doc, "AbiFnLambdaFunction")
		p["PackageType"] = "Image"
		p["Code"] = map[string]any{"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1"}
		delete(p, "Runtime")
		delete(p, "Handler")
		delete(p, "Layers")
		props(doc, "ArmFnLambdaFunction")["Code"].(map[string]any)["S3Key"] = "serverless/lkfix/dev/1/gone.zip"
		props(doc, "ArmFnLambdaFunction")["Architectures"] = []any{"mips"}
		props(doc, "NoHandlerFnLambdaFunction")["Code"] = map[string]any{"ZipFile": "def handler(e, c): pass"}
		delete(props(doc, "OkFnLambdaFunction"), "Handler")
		doc["Resources"].(map[string]any)["OkFnLambdaFunction"].(map[string]any)["Condition"] = "IsProd"
	})
	got, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*deploy.Function{}
	for _, f := range got.Functions {
		byID[strings.TrimPrefix(f.ID, "lkfix-dev/")] = f
	}
	tests := []struct {
		id          string
		packageType string
		arch        layers.Arch
		path        bool
		notes       []string
	}{
		{"AbiFnLambdaFunction", "Image", layers.X86_64, false, []string{
			"image function: its code is the image 123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1, not in the output"}},
		{"ArmFnLambdaFunction", "Zip", layers.X86_64, false, []string{
			`architecture "mips" is not one Lambda runs: x86_64 assumed`,
			"code: gone.zip (S3Key serverless/lkfix/dev/1/gone.zip) is not in the output folder"}},
		{"NoHandlerFnLambdaFunction", "Zip", layers.X86_64, false, []string{
			"code: inline code (Code.ZipFile) is not read"}},
		{"OkFnLambdaFunction", "Zip", layers.X86_64, true, []string{
			"no Handler",
			"deployed only when condition IsProd holds",
			"environment variable SHARED_BUCKET is not resolved offline",
			"layer CleanLambdaLayer: clean.zip (S3Key " + cleanKey(t, dir) + ") is not in the output folder"}},
	}
	for _, tt := range tests {
		f := byID[tt.id]
		if f == nil {
			t.Errorf("%s: not read", tt.id)
			continue
		}
		if f.PackageType != tt.packageType || f.Arch != tt.arch || (f.Code.Path != "") != tt.path {
			t.Errorf("%s: PackageType %q Arch %q Code.Path %q; want %q %q path set %v", tt.id, f.PackageType, f.Arch, f.Code.Path, tt.packageType, tt.arch, tt.path)
		}
		if !tt.path && f.Code.Missing == "" {
			t.Errorf("%s: Code.Missing is empty with no Code.Path", tt.id)
		}
		if !reflect.DeepEqual(f.Notes, tt.notes) {
			t.Errorf("%s: Notes\ngot  %q\nwant %q", tt.id, f.Notes, tt.notes)
		}
	}
}

// cleanKey is the fixture's S3 key of clean.zip.
func cleanKey(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, templateFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return props(doc, "CleanLambdaLayer")["Content"].(map[string]any)["S3Key"].(string)
}

func TestReadHostile(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.zip")
	if err := os.WriteFile(secret, []byte("not yours"), 0o644); err != nil {
		t.Fatal(err)
	}
	setKey := func(id, prop, key string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			editJSON(t, dir, templateFile, func(doc map[string]any) {
				props(doc, id)[prop].(map[string]any)["S3Key"] = key
			})
		}
	}
	write := func(name, content string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	replaceWith := func(name string, make func(p string) error) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, name)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := make(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	editState := func(edit func(doc map[string]any)) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { editJSON(t, dir, stateFile, edit) }
	}
	tests := []struct {
		name    string
		mutate  func(t *testing.T, dir string)
		wantErr error  // errors.Is, when set
		wantMsg string // in the message
	}{
		{"code key climbing out", setKey("OkFnLambdaFunction", "Code", "../../etc"), deploy.ErrOutsideRoot, "../../etc"},
		{"code key climbing out mid-way", setKey("OkFnLambdaFunction", "Code", "serverless/../../../x.zip"), deploy.ErrOutsideRoot, "x.zip"},
		{"absolute code key", setKey("OkFnLambdaFunction", "Code", "/etc/passwd"), deploy.ErrOutsideRoot, "/etc/passwd"},
		{"layer key climbing out", setKey("NativeLambdaLayer", "Content", "a/../../native.zip"), deploy.ErrOutsideRoot, "NativeLambdaLayer"},
		{"zip a symlink leaving the root", replaceWith("lkfix.zip", func(p string) error { return os.Symlink(secret, p) }), deploy.ErrOutsideRoot, "lkfix.zip"},
		{"layer zip a symlink leaving the root", replaceWith("native.zip", func(p string) error { return os.Symlink(secret, p) }), deploy.ErrOutsideRoot, "native.zip"},
		{"template a symlink leaving the root", replaceWith(templateFile, func(p string) error { return os.Symlink(secret, p) }), deploy.ErrOutsideRoot, templateFile},
		{"template a list", write(templateFile, `[1, 2]`), nil, "not a mapping"},
		{"template a scalar", write(templateFile, `"Resources"`), nil, "not a mapping"},
		{"template not JSON", write(templateFile, `{"Resources": `), nil, templateFile},
		{"template without resources", write(templateFile, `{"AWSTemplateFormatVersion": "2010-09-09"}`), nil, "no Resources"},
		{"template nested deeply", write(templateFile, `{"Resources": {"A": {"Type": "AWS::Lambda::Function", "Properties": {"Code": `+
			strings.Repeat(`{"a":`, 200)+`1`+strings.Repeat(`}`, 200)+`}}}}`), cfn.ErrTooDeep, templateFile},
		{"template larger than any", replaceWith(templateFile, func(p string) error {
			if err := os.WriteFile(p, []byte("{"), 0o644); err != nil {
				return err
			}
			return os.Truncate(p, deploy.MaxTemplateBytes+1)
		}), nil, "larger than"},
		{"template a FIFO", replaceWith(templateFile, func(p string) error { return syscall.Mkfifo(p, 0o644) }), nil, "not a regular file"},
		{"state not JSON", write(stateFile, `{"service":`), nil, stateFile},
		{"state $ref cycle", editState(func(doc map[string]any) {
			doc["service"].(map[string]any)["provider"] = map[string]any{"$ref": `$["service"]["provider"]`}
		}), ErrRefCycle, stateFile},
		{"state $ref cycle through two", editState(func(doc map[string]any) {
			doc["service"].(map[string]any)["provider"] = map[string]any{"$ref": "#/a"}
			doc["a"] = map[string]any{"$ref": "#/service/provider"}
		}), ErrRefCycle, "#/a"},
		{"state $ref chain", editState(func(doc map[string]any) {
			doc["service"].(map[string]any)["provider"] = map[string]any{"$ref": "#/c/0"}
			var chain []any
			for i := range 100 {
				chain = append(chain, map[string]any{"$ref": "#/c/" + strconv.Itoa(i+1)})
			}
			doc["c"] = chain
		}), ErrRefChain, stateFile},
		{"state $ref to nothing", editState(func(doc map[string]any) {
			doc["service"].(map[string]any)["provider"] = map[string]any{"$ref": "#/nowhere"}
		}), ErrRefTarget, "#/nowhere"},
		{"state $ref malformed", editState(func(doc map[string]any) {
			doc["service"].(map[string]any)["provider"] = map[string]any{"$ref": `$["service"`}
		}), nil, stateFile},
		{"state a symlink leaving the root", replaceWith(stateFile, func(p string) error { return os.Symlink(secret, p) }), deploy.ErrOutsideRoot, stateFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyOutput(t)
			tt.mutate(t, dir)
			_, err := Read(dir, deploy.Options{})
			if err == nil {
				t.Fatal("Read: no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Read: %v; want errors.Is %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Read: %v; want it to name %q", err, tt.wantMsg)
			}
		})
	}
}

func TestReadNothing(t *testing.T) {
	_, err := Read(t.TempDir(), deploy.Options{})
	if !errors.Is(err, deploy.ErrNotRecognised) {
		t.Errorf("Read of an empty folder: %v; want %v", err, deploy.ErrNotRecognised)
	}
}

func TestDetect(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	stateOnly := copyOutput(t)
	if err := os.Remove(filepath.Join(stateOnly, templateFile)); err != nil {
		t.Fatal(err)
	}
	templateOnly := copyOutput(t)
	if err := os.Remove(filepath.Join(templateOnly, stateFile)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		wantRoot string
	}{
		{"output folder", fixtureOut, fixtureOut},
		{"project folder", fixture, fixtureOut},
		{"the template", filepath.Join(fixtureOut, templateFile), fixtureOut},
		{"the state", filepath.Join(fixtureOut, stateFile), fixtureOut},
		{"absolute", abs(fixture), abs(fixtureOut)},
		{"state only", stateOnly, stateOnly},
		{"template only", templateOnly, templateOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, ok, err := Detect(tt.path)
			if err != nil || !ok || root != tt.wantRoot {
				t.Errorf("Detect(%s) = %q, %v, %v; want %q, true, nil", tt.path, root, ok, err, tt.wantRoot)
			}
		})
	}
}

func TestDetectRefuses(t *testing.T) {
	files := func(m map[string]string) string {
		dir := t.TempDir()
		for name, content := range m {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	lambdaTemplate := func(key string) string {
		return `{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "app.handler",
			"Code": {"S3Bucket": "b", "S3Key": "` + key + `"}}}}}`
	}
	tests := []struct {
		name string
		path string
	}{
		{"empty folder", t.TempDir()},
		{"plain layer folder", files(map[string]string{"python/mod.py": "x = 1\n", "lib/libx.so": "\x7fELF"})},
		{"layerkit build output", files(map[string]string{"manifest.json": `{"version": 1, "artifacts": [{"name": "main.zip"}]}`, "main.zip": "PK"})},
		{"SAM build", files(map[string]string{".aws-sam/build/template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: Fn\n      Handler: app.handler\n      Runtime: python3.12\n",
			".aws-sam/build/Fn/app.py": "def handler(e, c): pass\n"})},
		{"CDK cloud assembly", files(map[string]string{"cdk.out/manifest.json": `{"version": "36.0.0", "artifacts": {"Stack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Stack.template.json"}}}}`,
			"cdk.out/Stack.template.json": lambdaTemplate("0123abcd.zip")})},
		{"CDK template under the framework's file name", files(map[string]string{".serverless/" + templateFile: lambdaTemplate("0123abcd.zip")})},
		{"template with a key that is no zip", files(map[string]string{templateFile: lambdaTemplate("serverless/s/dev/1/code.jar")})},
		{"Terraform plan", files(map[string]string{"plan.json": `{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"type": "aws_lambda_function"}]}}}`})},
		{"state of another shape", files(map[string]string{stateFile: `{"service": "x"}`})},
		{"state a list", files(map[string]string{stateFile: `[{"service": 1, "package": 2}]`})},
		{"template not JSON", files(map[string]string{templateFile: `Resources: [`})},
		{"another file of the output", filepath.Join(fixtureOut, "lkfix.zip")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, ok, err := Detect(tt.path)
			if err != nil || ok {
				t.Errorf("Detect = %q, %v, %v; want not recognised, no error", root, ok, err)
			}
		})
	}
}

func TestDetectErrors(t *testing.T) {
	fifo := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifo, templateFile), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "t.json")
	if err := os.WriteFile(outside, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	escape := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(escape, templateFile)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
	}{
		{"no such path", filepath.Join(t.TempDir(), "nothing")},
		{"template a FIFO", fifo},
		{"template a symlink leaving the folder", escape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok, err := Detect(tt.path); err == nil || ok {
				t.Errorf("Detect = %v, %v; want an error", ok, err)
			}
		})
	}
}
