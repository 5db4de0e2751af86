package sam

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/layers"
)

// fixture is the project `sam build` built (see testdata/app/README.md).
const fixture = "testdata/app"

var fixtureBuild = filepath.Join(fixture, ".aws-sam", "build")

// relative rewrites a project's paths relative to root, for comparison.
func relative(t *testing.T, p *deploy.Project, root string) *deploy.Project {
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
	return p
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// sharedTools is the ARN layer every top-level function gets from Globals.
func sharedTools() *deploy.Layer {
	const arn = "arn:aws:lambda:us-east-1:123456789012:layer:shared-tools:3"
	return &deploy.Layer{ID: arn, ARN: arn}
}

// wantFixture is what Read of the fixture gives, paths relative to the
// build folder.
func wantFixture() *deploy.Project {
	env := func(logLevel string) map[string]string {
		return map[string]string{"STAGE": "dev", "LOG_LEVEL": logLevel}
	}
	py := []string{"python3.12"}
	return &deploy.Project{
		Framework: deploy.SAM,
		Root:      ".",
		Notes:     []string{"a build names no stack: function IDs start with app, the folder that holds .aws-sam"},
		Functions: []*deploy.Function{
			{
				ID: "app/AbiFn", Template: "template.yaml", Runtime: "python3.12", Arch: layers.X86_64,
				Handler: "app.handler", PackageType: "Zip", Env: env("info"), Code: deploy.Code{Path: "AbiFn"},
				Layers: []*deploy.Layer{
					sharedTools(),
					{ID: "app/AbiLayer", Code: deploy.Code{Path: "AbiLayer"}, BuildArch: layers.X86_64, CompatibleRuntimes: py},
				},
			},
			{
				ID: "app/ArmFn", Template: "template.yaml", Runtime: "python3.12", Arch: layers.ARM64,
				Handler: "app.handler", PackageType: "Zip", Env: env("debug"), Code: deploy.Code{Path: "ArmFn"},
				Layers: []*deploy.Layer{
					sharedTools(),
					// No BuildMethod: sam build leaves it in the sources.
					{ID: "app/NativeLayer", Code: deploy.Code{Path: "../../layers/native"}, CompatibleRuntimes: py,
						CompatibleArchitectures: []layers.Arch{layers.ARM64}},
					// BuildMethod without BuildArchitecture: built for x86_64.
					{ID: "app/DepsLayer", Code: deploy.Code{Path: "DepsLayer"}, BuildArch: layers.X86_64, CompatibleRuntimes: py,
						CompatibleArchitectures: []layers.Arch{layers.ARM64}},
				},
			},
			{
				ID: "app/Child/ChildFn", Template: "Child/template.yaml", Runtime: "python3.12", Arch: layers.X86_64,
				Handler: "app.handler", PackageType: "Zip", Code: deploy.Code{Path: "Child/ChildFn"},
			},
			{
				ID: "app/NoHandlerFn", Name: "layerkit-nohandler-dev", Template: "template.yaml", Runtime: "python3.12",
				Arch: layers.X86_64, Handler: "missing.handler", PackageType: "Zip", Env: env("info"),
				Code:   deploy.Code{Path: "NoHandlerFn"},
				Layers: []*deploy.Layer{sharedTools()},
				Notes: []string{
					`environment variable TABLE {"Ref":"AbiLayer"} is not known offline`,
					`layer {"Fn::Sub":"arn:aws:lambda:${AWS::Region}:123456789012:layer:regional:1"} is not known offline: not read`,
				},
			},
			{
				ID: "app/OkFn", Name: "layerkit-ok", Template: "template.yaml", Runtime: "python3.12", Arch: layers.X86_64,
				Handler: "app.handler", PackageType: "Zip", Env: env("info"), Code: deploy.Code{Path: "OkFn"},
				Layers: []*deploy.Layer{
					sharedTools(),
					{ID: "arn:aws:lambda:us-east-1:123456789012:layer:regional-tools:1",
						ARN: "arn:aws:lambda:us-east-1:123456789012:layer:regional-tools:1"},
				},
			},
		},
	}
}

func TestReadFixture(t *testing.T) {
	root, err := filepath.Abs(fixtureBuild)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(root, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := relative(t, got, root), wantFixture(); !reflect.DeepEqual(got, want) {
		t.Errorf("Read(fixture):\n%s\nwant:\n%s", dump(got), dump(want))
	}
}

// TestReadFixtureFromTemplate reads the fixture through its built template
// and through a relative path: the same project.
func TestReadFixtureFromTemplate(t *testing.T) {
	root, err := filepath.Abs(fixtureBuild)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(fixtureBuild, "template.yaml"), fixtureBuild} {
		got, err := Read(p, deploy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := relative(t, got, root), wantFixture(); !reflect.DeepEqual(got, want) {
			t.Errorf("Read(%s):\n%s\nwant:\n%s", p, dump(got), dump(want))
		}
	}
}

func TestReadParams(t *testing.T) {
	p, err := Read(fixtureBuild, deploy.Options{Params: map[string]string{"Stage": "prod", "AWS::Region": "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	fn := find(t, p, "app/NoHandlerFn")
	if fn.Name != "layerkit-nohandler-prod" || fn.Env["STAGE"] != "prod" {
		t.Errorf("Stage=prod: Name %q, STAGE %q", fn.Name, fn.Env["STAGE"])
	}
	var arns []string
	for _, l := range fn.Layers {
		arns = append(arns, l.ARN)
	}
	want := []string{"arn:aws:lambda:us-east-1:123456789012:layer:shared-tools:3", "arn:aws:lambda:eu-west-1:123456789012:layer:regional:1"}
	if !reflect.DeepEqual(arns, want) {
		t.Errorf("with AWS::Region: layers %q, want %q", arns, want)
	}
	// The nested application's parameters come from its parent, not the
	// user's overrides.
	if got := find(t, p, "app/Child/ChildFn"); got.Env != nil {
		t.Errorf("ChildFn Env = %v", got.Env)
	}
}

func find(t *testing.T, p *deploy.Project, id string) *deploy.Function {
	t.Helper()
	for _, f := range p.Functions {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no function %s in %s", id, dump(p))
	return nil
}

// build writes a build folder <tmp>/proj/.aws-sam/build with the given
// files (a name ending in / is a folder) and returns it.
func build(t *testing.T, files map[string]string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "proj", ".aws-sam", "build")
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const head = "Transform: AWS::Serverless-2016-10-31\n"

func TestReadCases(t *testing.T) {
	tests := []struct {
		name     string
		template string
		files    map[string]string
		check    func(t *testing.T, p *deploy.Project)
	}{
		{
			name: "globals merged as SAM merges them",
			template: head + `
Globals:
  Function:
    Runtime: nodejs20.x
    Handler: index.handler
    Architectures: [x86_64]
    Layers: [arn:aws:lambda:us-east-1:1:layer:a:1]
    Environment: {Variables: {A: g, B: g}}
    FunctionName: !Ref Missing
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: Fn
      Runtime: nodejs22.x
      Architectures: [arm64]
      Layers: [arn:aws:lambda:us-east-1:1:layer:b:1]
      Environment: {Variables: {B: f, C: f}}
      FunctionName: own
`,
			files: map[string]string{"Fn/": ""},
			check: func(t *testing.T, p *deploy.Project) {
				f := p.Functions[0]
				var arns []string
				for _, l := range f.Layers {
					arns = append(arns, l.ARN)
				}
				got := []any{f.Runtime, f.Handler, f.Arch, arns, f.Env, f.Name}
				want := []any{"nodejs22.x", "index.handler", layers.ARM64,
					[]string{"arn:aws:lambda:us-east-1:1:layer:a:1", "arn:aws:lambda:us-east-1:1:layer:b:1"},
					map[string]string{"A": "g", "B": "f", "C": "f"}, "own"}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			},
		},
		{
			name: "plain Lambda resources, S3 and inline code, image functions",
			template: head + `
Resources:
  Plain:
    Type: AWS::Lambda::Function
    Properties: {Code: Plain, Runtime: python3.13, Handler: h.h, Architectures: [arm64], Layers: [!Ref PlainLayer]}
  PlainLayer:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: PlainLayer, CompatibleArchitectures: [arm64, x86_64]}
  InS3:
    Type: AWS::Lambda::Function
    Properties: {Code: {S3Bucket: b, S3Key: k}, Runtime: python3.13, Handler: h.h}
  Inline:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: "def h(e, c): pass", Runtime: python3.13, Handler: index.h}
  S3Uri:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://b/k.zip, Runtime: python3.13, Handler: h.h}
  Image:
    Type: AWS::Serverless::Function
    Properties: {PackageType: Image, ImageUri: "image:latest"}
  PlainImage:
    Type: AWS::Lambda::Function
    Properties: {PackageType: Image, Code: {ImageUri: "1.dkr.ecr.us-east-1.amazonaws.com/r:t"}}
`,
			files: map[string]string{"Plain/": "", "PlainLayer/": ""},
			check: func(t *testing.T, p *deploy.Project) {
				got := map[string]string{}
				for _, f := range p.Functions {
					got[f.ID] = f.PackageType + " " + filepath.Base(f.Code.Path) + " " + f.Code.Missing
				}
				want := map[string]string{
					"proj/Image":      "Image . an image function: its code is in the image image:latest",
					"proj/InS3":       `Zip . Code {"S3Bucket":"b","S3Key":"k"} is in S3, not on disk`,
					"proj/Inline":     "Zip . inline code (InlineCode)",
					"proj/Plain":      "Zip Plain ",
					"proj/PlainImage": "Image . an image function: its code is in the image 1.dkr.ecr.us-east-1.amazonaws.com/r:t",
					"proj/S3Uri":      "Zip . CodeUri s3://b/k.zip is not on disk",
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %s, want %s", dump(got), dump(want))
				}
				plain := find(t, p, "proj/Plain")
				if len(plain.Layers) != 1 || filepath.Base(plain.Layers[0].Code.Path) != "PlainLayer" ||
					!reflect.DeepEqual(plain.Layers[0].CompatibleArchitectures, []layers.Arch{layers.ARM64, layers.X86_64}) {
					t.Errorf("Plain's layers: %s", dump(plain.Layers))
				}
				if img := find(t, p, "proj/Image"); len(img.Notes) != 1 || img.Runtime != "" {
					t.Errorf("Image: %s", dump(img))
				}
			},
		},
		{
			name: "what is not known offline becomes notes",
			template: head + `
Conditions:
  Prod: !Equals [!Ref AWS::AccountId, "1"]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Condition: Prod
    Properties:
      CodeUri: Gone
      Runtime: !GetAtt Something.Runtime
      Handler: !ImportValue handler
      Architectures: [sparc]
      FunctionName: !GetAtt X.Name
      Layers:
        - !Ref Fn2
        - !ImportValue shared-layer
        - not-an-arn
  Fn2:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: Fn2, Runtime: python3.12, Handler: a.b, Architectures: !Ref Arch}
`,
			files: map[string]string{"Fn2/": ""},
			check: func(t *testing.T, p *deploy.Project) {
				f := find(t, p, "proj/Fn")
				want := []string{
					"deployed only when condition Prod holds",
					"FunctionName is not known offline",
					"Runtime is not known offline",
					"Handler is not known offline",
					`Architectures "sparc" is not an architecture Lambda runs: x86_64 assumed`,
					"layer Fn2 is of type AWS::Serverless::Function, not a layer: not read",
					`layer {"Fn::ImportValue":"shared-layer"} is not known offline: not read`,
					`layer "not-an-arn" is neither a layer of the template nor an ARN: not read`,
				}
				if !reflect.DeepEqual(f.Notes, want) {
					t.Errorf("notes:\n%s\nwant:\n%s", dump(f.Notes), dump(want))
				}
				if f.Code.Path != "" || f.Code.Missing != "CodeUri Gone does not exist" || f.Arch != layers.X86_64 || len(f.Layers) != 0 {
					t.Errorf("Fn: %s", dump(f))
				}
				f2 := find(t, p, "proj/Fn2")
				if want := []string{`Architectures {"Ref":"Arch"} is not one architecture known offline: x86_64 assumed`}; !reflect.DeepEqual(f2.Notes, want) {
					t.Errorf("Fn2 notes %q, want %q", f2.Notes, want)
				}
			},
		},
		{
			name: "layers: BuildArchitecture, unbuilt layers in the project",
			template: head + `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: Fn
      Runtime: python3.12
      Handler: a.b
      Architectures: [arm64]
      Layers: [!Ref Arm, !Ref Default, !Ref Source, !Ref Unknown]
  Arm:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: Arm, CompatibleRuntimes: [python3.12]}
    Metadata: {BuildMethod: python3.12, BuildArchitecture: arm64}
  Default:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: Default, CompatibleRuntimes: [python3.13]}
    Metadata: {BuildMethod: makefile}
  Source:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: ../../src/layer, CompatibleRuntimes: [python3.12]}
  Unknown:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: Unknown, CompatibleRuntimes: [python3.12, !Ref R]}
    Metadata: {BuildMethod: python3.12, BuildArchitecture: !Ref Arch}
`,
			files: map[string]string{"Fn/": "", "Arm/": "", "Default/": "", "Unknown/": "", "../../src/layer/": ""},
			check: func(t *testing.T, p *deploy.Project) {
				f := p.Functions[0]
				var got []string
				for _, l := range f.Layers {
					got = append(got, l.ID+" "+string(l.BuildArch)+" "+strings.Join(l.CompatibleRuntimes, ",")+" "+
						filepath.Base(filepath.Dir(l.Code.Path))+"/"+filepath.Base(l.Code.Path))
				}
				want := []string{
					"proj/Arm arm64 python3.12 build/Arm",
					"proj/Default x86_64 python3.13 build/Default",
					"proj/Source  python3.12 src/layer",
					"proj/Unknown  python3.12 build/Unknown",
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("layers:\n%s\nwant:\n%s", dump(got), dump(want))
				}
				want = []string{
					`layer Unknown: Metadata.BuildArchitecture {"Ref":"Arch"} is not an architecture known offline`,
					`layer Unknown: CompatibleRuntimes [{"Ref":"R"}] is not all known offline`,
				}
				if !reflect.DeepEqual(f.Notes, want) {
					t.Errorf("notes %q, want %q", f.Notes, want)
				}
			},
		},
		{
			name: "nested applications: parameters from the parent, SAR and remote ones noted",
			template: head + `
Parameters:
  Env: {Type: String, Default: top}
Resources:
  Kid:
    Type: AWS::Serverless::Application
    Properties:
      Location: Kid/template.yaml
      Parameters: {Name: !Sub "kid-${Env}", Other: !GetAtt X.Y}
  Stack:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: Stack/template.json}
  Sar:
    Type: AWS::Serverless::Application
    Properties:
      Location: {ApplicationId: arn:aws:serverlessrepo:us-east-1:1:applications/x, SemanticVersion: 1.0.0}
  Remote:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: https://example.invalid/t.yaml}
`,
			files: map[string]string{
				"Kid/template.yaml": head + `
Parameters:
  Name: {Type: String, Default: kid-default}
  Other: {Type: String, Default: other-default}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: Fn
      Runtime: python3.12
      Handler: a.b
      FunctionName: !Ref Name
      Environment: {Variables: {OTHER: !Ref Other}}
`,
				"Kid/Fn/": "",
				"Stack/template.json": `{"Resources": {"Fn": {"Type": "AWS::Lambda::Function",
					"Properties": {"Code": "Fn", "Runtime": "nodejs22.x", "Handler": "index.h"}}}}`,
				"Stack/Fn/": "",
			},
			check: func(t *testing.T, p *deploy.Project) {
				kid := find(t, p, "proj/Kid/Fn")
				if kid.Name != "kid-top" || kid.Env != nil || !reflect.DeepEqual(kid.Notes, []string{`environment variable OTHER {"Ref":"Other"} is not known offline`}) {
					t.Errorf("Kid/Fn: %s", dump(kid))
				}
				if st := find(t, p, "proj/Stack/Fn"); st.Runtime != "nodejs22.x" || filepath.Base(st.Code.Path) != "Fn" {
					t.Errorf("Stack/Fn: %s", dump(st))
				}
				want := []string{
					"a build names no stack: function IDs start with proj, the folder that holds .aws-sam",
					"proj/Remote: TemplateURL https://example.invalid/t.yaml is not on disk: not read",
					"proj/Sar: a Serverless Application Repository application, not read",
				}
				notes := slices.DeleteFunc(p.Notes, func(n string) bool { return strings.Contains(n, "is not sam build's output") })
				if !reflect.DeepEqual(notes, want) {
					t.Errorf("project notes:\n%s\nwant:\n%s", dump(notes), dump(want))
				}
			},
		},
		{
			name: "functions sam build does not build: code in the project folder",
			template: head + `
Resources:
  Skip:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ../../prebuilt, Runtime: python3.12, Handler: a.b}
    Metadata: {SkipBuild: True}
  Zip:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ../../dist/fn.zip, Runtime: python3.12, Handler: a.b}
  PlainZip:
    Type: AWS::Lambda::Function
    Properties: {Code: ../../dist/fn.zip, Runtime: python3.12, Handler: a.b}
`,
			files: map[string]string{"../../prebuilt/": "", "../../dist/fn.zip": "PK"},
			check: func(t *testing.T, p *deploy.Project) {
				var got []string
				for _, f := range p.Functions {
					got = append(got, filepath.Base(filepath.Dir(f.Code.Path))+"/"+filepath.Base(f.Code.Path))
				}
				if want := []string{"dist/fn.zip", "proj/prebuilt", "dist/fn.zip"}; !reflect.DeepEqual(got, want) {
					t.Errorf("code paths %q, want %q", got, want)
				}
			},
		},
		{
			name: "a source template, not built",
			template: head + `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Runtime: python3.12, Handler: a.b}
`,
			files: map[string]string{"src/": ""},
			check: func(t *testing.T, p *deploy.Project) {
				if len(p.Notes) != 2 || !strings.Contains(p.Notes[1], "is not sam build's output") {
					t.Errorf("notes %q", p.Notes)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["template.yaml"] = tt.template
			root := build(t, tt.files)
			p, err := Read(root, deploy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestMergeGlobals(t *testing.T) {
	tests := []struct {
		name          string
		global, local map[string]any
		want          map[string]any
	}{
		{"no globals", nil, map[string]any{"A": "x"}, map[string]any{"A": "x"}},
		{"no properties", map[string]any{"A": "g"}, nil, map[string]any{"A": "g"}},
		{"scalar: the function's", map[string]any{"A": "g", "B": "g"}, map[string]any{"A": "l"}, map[string]any{"A": "l", "B": "g"}},
		{"lists: globals' first", map[string]any{"L": []any{"g"}}, map[string]any{"L": []any{"l1", "l2"}}, map[string]any{"L": []any{"g", "l1", "l2"}}},
		{"maps key by key", map[string]any{"E": map[string]any{"V": map[string]any{"A": "g", "B": "g"}}},
			map[string]any{"E": map[string]any{"V": map[string]any{"B": "l"}}},
			map[string]any{"E": map[string]any{"V": map[string]any{"A": "g", "B": "l"}}}},
		{"an intrinsic is a scalar", map[string]any{"E": map[string]any{"A": "g"}}, map[string]any{"E": map[string]any{"Ref": "P"}},
			map[string]any{"E": map[string]any{"Ref": "P"}}},
		{"Architectures: the function's", map[string]any{"Architectures": []any{"arm64"}}, map[string]any{"Architectures": []any{"x86_64"}},
			map[string]any{"Architectures": []any{"x86_64"}}},
		{"Architectures: the global one when the function has none", map[string]any{"Architectures": []any{"arm64"}}, map[string]any{},
			map[string]any{"Architectures": []any{"arm64"}}},
		{"other lists deep down: concatenated", map[string]any{"V": map[string]any{"Architectures": []any{"g"}}},
			map[string]any{"V": map[string]any{"Architectures": []any{"l"}}}, map[string]any{"V": map[string]any{"Architectures": []any{"g", "l"}}}},
		{"kinds differ: the function's", map[string]any{"L": []any{"g"}}, map[string]any{"L": map[string]any{"Fn::If": []any{"c", "a", "b"}}},
			map[string]any{"L": map[string]any{"Fn::If": []any{"c", "a", "b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeGlobals(tt.global, tt.local); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
