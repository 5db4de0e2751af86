package lint

import (
	"slices"
	"testing"

	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// files makes an in-memory artifact of regular files and folders (names
// ending in "/").
func files(name string, kind layers.Kind, paths ...string) *Artifact {
	a := &Artifact{Name: name, Kind: kind}
	for _, p := range paths {
		if p[len(p)-1] == '/' {
			a.Files = append(a.Files, File{Path: p[:len(p)-1], Type: zipper.TypeDir})
			continue
		}
		a.Files = append(a.Files, File{Path: p, Type: zipper.TypeFile, Size: 1})
	}
	return a
}

func TestHandlerMissing(t *testing.T) {
	tests := []struct {
		name, target, handler string
		env                   map[string]string
		code, layer           []string
		want                  bool // LK155 reported
	}{
		{"python file", "python3.12-x86_64", "app.handler", nil, []string{"app.py"}, nil, false},
		{"python missing", "python3.12-x86_64", "app.handler", nil, []string{"main.py"}, nil, true},
		{"python package", "python3.12-x86_64", "svc.api.handler", nil, []string{"svc/__init__.py", "svc/api.py"}, nil, false},
		{"python slash form", "python3.12-x86_64", "svc/api.handler", nil, []string{"svc/api.py"}, nil, false},
		{"python package missing module", "python3.12-x86_64", "svc.api.handler", nil, []string{"svc/__init__.py"}, nil, true},
		{"python namespace folder", "python3.12-x86_64", "svc.handler", nil, []string{"svc/x.py"}, nil, false},
		{"python in layer site-packages", "python3.12-x86_64", "shared.handler", nil, []string{"x.py"}, []string{"python/lib/python3.12/site-packages/shared.py"}, false},
		{"python in layer other version", "python3.12-x86_64", "shared.handler", nil, []string{"x.py"}, []string{"python/lib/python3.11/site-packages/shared.py"}, true},
		{"python in /opt/python", "python3.12-x86_64", "shared.handler", nil, []string{"x.py"}, []string{"python/shared/__init__.py"}, false},
		{"python extension", "python3.12-arm64", "fast.handler", nil, []string{"fast.cpython-312-aarch64-linux-gnu.so"}, nil, false},
		{"python extension other arch", "python3.12-arm64", "fast.handler", nil, []string{"fast.cpython-312-x86_64-linux-gnu.so"}, nil, true},
		{"python PYTHONPATH", "python3.12-x86_64", "app.handler", map[string]string{"PYTHONPATH": "/var/task/src"}, []string{"src/app.py"}, nil, false},
		{"python no module", "python3.12-x86_64", "handler", nil, []string{"handler.py"}, nil, true},
		{"node js", "nodejs22.x-x86_64", "index.handler", nil, []string{"index.js"}, nil, false},
		{"node mjs in folder", "nodejs22.x-x86_64", "src/index.handler", nil, []string{"src/index.mjs"}, nil, false},
		{"node cjs", "nodejs22.x-x86_64", "index.handler", nil, []string{"index.cjs"}, nil, false},
		{"node ts only", "nodejs22.x-x86_64", "index.handler", nil, []string{"index.ts"}, nil, true},
		{"node package", "nodejs22.x-x86_64", "lib.handler", nil, []string{"node_modules/lib/index.js"}, nil, false},
		{"ruby", "ruby3.3-x86_64", "function.handler", nil, []string{"function.rb"}, nil, false},
		{"ruby missing", "ruby3.3-x86_64", "lambda_function.lambda_handler", nil, []string{"function.rb"}, nil, true},
		{"provided bootstrap", "provided.al2023-arm64", "", nil, []string{"bootstrap"}, nil, false},
		{"provided bootstrap in layer", "provided.al2023-arm64", "", nil, []string{"main"}, []string{"bootstrap"}, false},
		{"provided none", "provided.al2023-arm64", "whatever", nil, []string{"main"}, nil, true},
		{"java not checked", "java21-x86_64", "example.Handler::handleRequest", nil, []string{"lib/x.jar"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Bundle{Name: "template.yaml", Function: "Stack/Fn", Target: target(t, tt.target),
				Env: Environment{Handler: tt.handler, Variables: tt.env}}
			b.AddFunction(files("code", layers.KindFunction, tt.code...))
			if tt.layer != nil {
				b.AddLayer(files("layer", layers.KindLayer, tt.layer...))
			}
			fs := Check(b)
			got := slices.ContainsFunc(fs, func(f Finding) bool { return f.Rule == RuleHandlerMissing })
			if got != tt.want {
				t.Errorf("LK155 reported = %v, want %v; findings %v", got, tt.want, ruleSet(fs))
			}
			for _, f := range fs {
				if f.Function != "Stack/Fn" {
					t.Errorf("finding %s carries function %q, want Stack/Fn", f.Rule, f.Function)
				}
				if f.Rule == RuleHandlerMissing && f.Artifact != "template.yaml" {
					t.Errorf("LK155 names %q, want the template", f.Artifact)
				}
			}
		})
	}
}

// A bare folder or zip says nothing of its handler: no LK155 for a custom
// runtime's code without bootstrap unless a framework declared the function.
func TestHandlerNotGuessedForBareCode(t *testing.T) {
	b := &Bundle{Name: "main.zip", Target: target(t, "provided.al2023-arm64")}
	b.AddFunction(files("main.zip", layers.KindFunction, "main"))
	if rs := ruleSet(Check(b)); slices.Contains(rs, "LK155 ") {
		t.Errorf("LK155 on bare code: %v", rs)
	}
}

func TestLayerBuildArch(t *testing.T) {
	b := &Bundle{Name: "template.yaml", Function: "S/Fn", Target: target(t, "python3.12-arm64"), Env: Environment{Handler: "app.handler"}}
	b.AddFunction(files("code", layers.KindFunction, "app.py"))
	b.Mounts = append(b.Mounts, Mount{Path: LayerRoot, Artifact: files("DepsLayer", layers.KindLayer, "python/x.py"), BuildArch: layers.X86_64},
		Mount{Path: LayerRoot, Artifact: files("ArmLayer", layers.KindLayer, "python/y.py"), BuildArch: layers.ARM64})
	var got []string
	for _, f := range Check(b) {
		if f.Rule == RuleLayerBuildArch {
			got = append(got, f.Artifact)
		}
	}
	if !slices.Equal(got, []string{"DepsLayer"}) {
		t.Errorf("LK108 on %v, want [DepsLayer]", got)
	}
}

func TestUncheckedLayersCount(t *testing.T) {
	b := &Bundle{Name: "t", Function: "S/Fn", Target: target(t, "python3.12-arm64"), Env: Environment{Handler: "app.handler"},
		Unchecked: []string{"arn:1", "arn:2", "arn:3"}}
	b.AddFunction(files("code", layers.KindFunction, "app.py"))
	b.AddLayer(files("l1", layers.KindLayer, "python/a.py"))
	b.AddLayer(files("l2", layers.KindLayer, "python/b.py"))
	if rs := ruleSet(Check(b)); slices.Contains(rs, "LK162 ") {
		t.Fatalf("5 layers (3 unchecked) reported over the limit: %v", rs)
	}
	b.Unchecked = append(b.Unchecked, "arn:4")
	if rs := ruleSet(Check(b)); !slices.Contains(rs, "LK162 ") {
		t.Fatalf("6 layers (4 unchecked) not reported: %v", rs)
	}
}
