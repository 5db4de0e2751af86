package cdk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/layers"
)

// fixture is the cloud assembly regenerate.sh made with the real CDK.
const fixture = "testdata/app/cdk.out"

// The fixture's asset folders, by what they hold (see testdata/app).
const (
	armCode   = "asset.1203d6dfe168cf73428088f6e9e8bd95ebc0044b30b34012ff8eac45bb0913a2" // src/arm
	abiCode   = "asset.f53229438030936033e1e807b8d2b4a93f3a29390719bf1b20497eaaa827691f" // src/abi
	okCode    = "asset.6461562fab04c48f6928e8adb23d360e4b41b7880814c13ce0a1dcc5e41e5d8f" // src/ok
	noHandler = "asset.fdfedb2f9d2c4c8154d5a738ca86236a3fa9a440af8bfd7f7776a147ee0bfebe" // src/nohandler
	native    = "asset.9cf33f98c2866361843fd7db9e4982b7dfa65ab570e8168f30c05ba2bda57f6a" // layers/native
	abiLayer  = "asset.b01f5e2de0b4e8820de79cb896ab7708db7021da0d6b82ab55a73e6b64ab48ec" // layers/abi
)

// relative rewrites a project's paths relative to root, so that the
// expected values do not depend on where the tests run.
func relative(t *testing.T, root string, fns []*deploy.Function) []*deploy.Function {
	t.Helper()
	rel := func(p string) string {
		if p == "" {
			return ""
		}
		r, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	var out []*deploy.Function
	for _, f := range fns {
		g := *f
		g.Template = rel(f.Template)
		g.Code.Path = rel(f.Code.Path)
		g.Layers = nil
		for _, l := range f.Layers {
			m := *l
			m.Code.Path = rel(l.Code.Path)
			g.Layers = append(g.Layers, &m)
		}
		out = append(out, &g)
	}
	return out
}

func TestReadFixture(t *testing.T) {
	p, err := Read(fixture, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Framework != deploy.CDK || p.Root != fixture || len(p.Notes) != 0 {
		t.Errorf("project: framework %q, root %q, notes %q", p.Framework, p.Root, p.Notes)
	}
	py := []string{"python3.12"}
	nativeLayer := &deploy.Layer{ID: "Fixture/NativeLayer", Code: deploy.Code{Path: native}, CompatibleRuntimes: py}
	fn := func(id, tmpl, handler, code string, arch layers.Arch, ls ...*deploy.Layer) *deploy.Function {
		return &deploy.Function{ID: id, Template: tmpl, Runtime: "python3.12", Arch: arch, Handler: handler,
			PackageType: "Zip", Code: deploy.Code{Path: code}, Layers: ls}
	}
	abi := fn("Fixture/AbiFn", "Fixture.template.json", "app.handler", abiCode, layers.X86_64,
		&deploy.Layer{ID: "Fixture/AbiLayer", Code: deploy.Code{Path: abiLayer}, CompatibleRuntimes: py})
	abi.Env = map[string]string{"MODE": "abi", "TABLE": "Fixture"}
	ok := fn("Fixture/OkFn", "Fixture.template.json", "app.handler", okCode, layers.X86_64)
	ok.Name = "layerkit-fixture-ok"
	arn := "arn:aws:lambda:us-east-1:123456789012:layer:shared:3"
	want := []*deploy.Function{
		abi,
		fn("Fixture/ArmFn", "Fixture.template.json", "app.handler", armCode, layers.ARM64, nativeLayer),
		// The nested stack's layer is the parent's, passed in as a parameter.
		fn("Fixture/InnerNestedStackInnerNestedStackResource745E041B/NestedFn2B60CC45",
			"FixtureInnerA10D5FBD.nested.template.json", "app.handler", okCode, layers.X86_64, nativeLayer),
		fn("Fixture/NoHandlerFn", "Fixture.template.json", "missing.handler", noHandler, layers.X86_64),
		ok,
		// The Stage's stack: its template is in assembly-Prod/, its assets
		// (../asset.<hash>) in the top folder, the same ones as Fixture's.
		fn("Prod/Service/ServiceFn17DECB47", "assembly-Prod/ProdServiceC810982D.template.json", "app.handler",
			okCode, layers.X86_64,
			&deploy.Layer{ID: "Prod/Service/SharedNative3BB825AF", Code: deploy.Code{Path: native}, CompatibleRuntimes: py},
			&deploy.Layer{ID: arn, ARN: arn}),
	}
	got := relative(t, fixture, p.Functions)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("functions:\ngot  %s\nwant %s", g, w)
	}
}

func TestDetect(t *testing.T) {
	abs, err := filepath.Abs(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, root string }{
		{fixture, fixture},
		{fixture + "/manifest.json", fixture},
		{"testdata/app", fixture},
		{fixture + "/assembly-Prod", fixture},
		{fixture + "/assembly-Prod/manifest.json", fixture},
		{abs + "/assembly-Prod", abs},
	} {
		root, ok, err := Detect(tc.in)
		if err != nil || !ok || root != tc.root {
			t.Errorf("Detect(%s) = %q, %v, %v; want %q, true, nil", tc.in, root, ok, err, tc.root)
		}
	}
}

// writeTree writes files (path → content) under dir; a content of
// "->target" makes a symlink instead.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, p)
		} else if strings.HasSuffix(name, "/") {
			err = os.MkdirAll(p, 0o755)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetectRefuses(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"empty folder": {},
		"plain layer":  {"python/pkg/__init__.py": "", "lib/libx.so": "\x7fELF"},
		"layerkit build output": {"manifest.json": `{"version":1,"artifacts":[{"kind":"layer","name":"deps","path":"deps.zip"}]}`,
			"deps.zip": "PK"},
		"layerkit build with no artifacts": {"manifest.json": `{"version":1,"artifacts":null}`},
		"web app manifest":                 {"manifest.json": `{"name":"app","version":"1.0.0","icons":[]}`},
		"manifest not JSON":                {"manifest.json": "version: 1\nartifacts: {}\n"},
		"manifest a list":                  {"manifest.json": `[{"version":"1","artifacts":{}}]`},
		"artifacts a list":                 {"manifest.json": `{"version":"55.0.0","artifacts":[]}`},
		"SAM build": {".aws-sam/build/template.yaml": "Resources: {}\n", ".aws-sam/build.toml": "",
			"template.yaml": "Transform: AWS::Serverless-2016-10-31\n"},
		"SAM build folder": {"template.yaml": "Resources: {}\n", "Fn/app.py": ""},
		"Serverless package": {".serverless/cloudformation-template-update-stack.json": `{"Resources":{}}`,
			".serverless/serverless-state.json": `{"service":{"service":"svc"}}`, "serverless.yml": "service: svc\n"},
		"Terraform plan":          {"plan.json": `{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{}}`},
		"cdk.out that is a file":  {"cdk.out": `{"version":"55.0.0"}`, "cdk.json": `{"app":"node bin/app.js"}`},
		"cdk.json output leaving": {"cdk.json": `{"output":"../elsewhere"}`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, files)
			root, ok, err := Detect(dir)
			if err != nil || ok {
				t.Errorf("Detect = %q, %v, %v; want not recognised", root, ok, err)
			}
			for f := range files {
				p := filepath.Join(dir, f)
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
					if root, ok, err := Detect(p); err != nil || ok {
						t.Errorf("Detect(%s) = %q, %v, %v; want not recognised", f, root, ok, err)
					}
				}
			}
		})
	}
}

func TestDetectCdkJSONOutput(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"cdk.json":                     `{"app":"node bin/app.js","output":"build/assembly"}`,
		"build/assembly/manifest.json": `{"version":"55.0.0","artifacts":{}}`,
	})
	root, ok, err := Detect(dir)
	if want := filepath.Join(dir, "build", "assembly"); err != nil || !ok || root != want {
		t.Errorf("Detect = %q, %v, %v; want %q", root, ok, err, want)
	}
}

func TestDetectFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "manifest.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, ok, err := Detect(dir)
	if err != nil || ok {
		t.Errorf("Detect = %q, %v, %v; want not recognised", root, ok, err)
	}
	if _, _, err := Detect(filepath.Join(dir, "missing")); err == nil {
		t.Error("Detect of a path that does not exist: no error")
	}
}
