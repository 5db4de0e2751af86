package terraform

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/layers"
)

// doc builds a plan or state document the way terraform show -json writes
// one, from plain values.
func doc(t *testing.T, v map[string]any) []byte {
	t.Helper()
	if _, ok := v["format_version"]; !ok {
		v["format_version"] = "1.2"
	}
	if _, ok := v["terraform_version"]; !ok {
		v["terraform_version"] = "1.11.4"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj is a JSON object.
type obj = map[string]any

// list is a JSON array.
type list = []any

// fn is an aws_lambda_function's planned values.
func fn(name, filename string, extra obj) obj {
	v := obj{"function_name": name, "runtime": "python3.12", "handler": "app.handler", "filename": filename,
		"package_type": "Zip", "architectures": list{"x86_64"}}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// res is one resource of planned_values or a state's values.
func res(addr string, values obj) obj {
	parts := parseTraversal(addr)
	typ, name := parts[len(parts)-2].name, parts[len(parts)-1].name
	return obj{"address": addr, "mode": "managed", "type": typ, "name": name, "values": values}
}

// project writes files (path → content) under a temp folder and the plan or
// state as plan.json; it returns the plan's path.
func project(t *testing.T, plan []byte, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(p, plan, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readOne(t *testing.T, plan string) *deploy.Project {
	t.Helper()
	proj, err := Read(plan, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return proj
}

func layerIDs(f *deploy.Function) []string {
	var ids []string
	for _, l := range f.Layers {
		ids = append(ids, l.ID)
	}
	return ids
}

func TestReadState(t *testing.T) {
	arn := "arn:aws:lambda:us-east-1:123456789012:layer:deps:4"
	state := doc(t, obj{"values": obj{"root_module": obj{
		"resources": list{
			res("aws_lambda_layer_version.deps", obj{"arn": arn, "filename": "deps.zip", "layer_name": "deps",
				"compatible_runtimes": list{"python3.12"}, "compatible_architectures": list{"arm64", "x86_64"}}),
			// A data source reads a function deployed elsewhere: not this one's.
			obj{"address": "data.aws_lambda_function.other", "mode": "data", "type": "aws_lambda_function", "name": "other",
				"values": obj{"function_name": "other"}},
		},
		"child_modules": list{obj{"address": "module.api", "child_modules": list{obj{
			"address": "module.api.module.inner",
			"resources": list{res("module.api.module.inner.aws_lambda_function.this", fn("Api", "api.zip", obj{
				"architectures": list{"arm64"},
				"layers":        list{arn, "arn:aws:lambda:us-east-1:999999999999:layer:ext:1"},
				"environment":   list{obj{"variables": obj{"A": "1"}}},
			}))},
		}}}},
	}}})
	p := project(t, state, map[string]string{"deps.zip": "z", "api.zip": "z"})
	proj := readOne(t, p)
	if len(proj.Functions) != 1 {
		t.Fatalf("got %d functions, want 1 (the data source is not one)", len(proj.Functions))
	}
	f := proj.Functions[0]
	dir := filepath.Dir(p)
	want := &deploy.Function{
		ID: "module.api.module.inner.aws_lambda_function.this", Name: "Api", Template: p, Runtime: "python3.12",
		Arch: layers.ARM64, Handler: "app.handler", PackageType: "Zip", Env: map[string]string{"A": "1"},
		Code: deploy.Code{Path: filepath.Join(dir, "api.zip"), InRequest: true},
		Layers: []*deploy.Layer{
			{ID: "aws_lambda_layer_version.deps", Code: deploy.Code{Path: filepath.Join(dir, "deps.zip"), InRequest: true},
				CompatibleRuntimes: []string{"python3.12"}, CompatibleArchitectures: []layers.Arch{layers.ARM64, layers.X86_64}},
			{ID: "arn:aws:lambda:us-east-1:999999999999:layer:ext:1", ARN: "arn:aws:lambda:us-east-1:999999999999:layer:ext:1"},
		},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(f), dump(want))
	}
	if !slicesContain(proj.Notes, "a state, not a plan") {
		t.Errorf("project notes %q do not say it is a state", proj.Notes)
	}
}

func slicesContain(notes []string, sub string) bool {
	for _, n := range notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestReadPlanReferences: layers the plan creates are null in the
// function's layers until apply; the configuration's references say which
// they are, through a module's output and a counted resource, and known
// ARNs keep their places between them.
func TestReadPlanReferences(t *testing.T) {
	ext := "arn:aws:lambda:us-east-1:999999999999:layer:ext:1"
	plan := doc(t, obj{
		"planned_values": obj{"root_module": obj{
			"resources": list{
				res("aws_lambda_function.f", fn("F", "f.zip", obj{"layers": list{nil, ext, "arn:kept:1", nil}})),
				res("aws_lambda_layer_version.counted[0]", obj{"filename": "counted.zip"}),
				// Already applied and unchanged: its ARN is known.
				res("aws_lambda_layer_version.kept", obj{"filename": "kept.zip", "arn": "arn:kept:1"}),
			},
			"child_modules": list{obj{"address": "module.deps", "resources": list{
				res("module.deps.aws_lambda_layer_version.this", obj{"filename": "deps.zip", "layer_name": "deps"}),
			}}},
		}},
		"resource_changes": list{
			obj{"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
				"change": obj{"actions": list{"create"}, "after_unknown": obj{"layers": list{true, false, false, true}, "arn": true}}},
		},
		"configuration": obj{"root_module": obj{
			"resources": list{obj{"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
				"expressions": obj{"layers": obj{"references": list{
					"module.deps.arn", "module.deps", "aws_lambda_layer_version.kept.arn", "aws_lambda_layer_version.kept", "aws_lambda_layer_version.counted[0].arn", "aws_lambda_layer_version.counted[0]", "aws_lambda_layer_version.counted",
				}}}}},
			"module_calls": obj{"deps": obj{"source": "./deps", "module": obj{
				"outputs":   obj{"arn": obj{"expression": obj{"references": list{"aws_lambda_layer_version.this.arn", "aws_lambda_layer_version.this"}}}},
				"resources": list{obj{"address": "aws_lambda_layer_version.this", "mode": "managed", "type": "aws_lambda_layer_version", "name": "this"}},
			}}},
		}},
	})
	p := project(t, plan, map[string]string{"f.zip": "z", "deps.zip": "z", "counted.zip": "z", "kept.zip": "z"})
	f := readOne(t, p).Functions[0]
	want := []string{"module.deps.aws_lambda_layer_version.this", ext, "aws_lambda_layer_version.kept", "aws_lambda_layer_version.counted[0]"}
	if got := layerIDs(f); !reflect.DeepEqual(got, want) {
		t.Errorf("layers = %q, want %q", got, want)
	}
	if got, want := f.Layers[0].Code.Path, filepath.Join(filepath.Dir(p), "deps.zip"); got != want {
		t.Errorf("module layer's code = %q, want %q", got, want)
	}
	if len(f.Notes) != 0 {
		t.Errorf("notes = %q, want none", f.Notes)
	}
}

// TestReadPlanVariable: inside a module, the layers come in through a
// variable; the module call's expression in the parent says which.
func TestReadPlanVariable(t *testing.T) {
	plan := doc(t, obj{
		"planned_values": obj{"root_module": obj{
			"resources": list{res("aws_lambda_layer_version.l", obj{"filename": "l.zip"})},
			"child_modules": list{obj{"address": `module.fn["a"]`, "resources": list{
				res(`module.fn["a"].aws_lambda_function.this`, fn("A", "a.zip", obj{"layers": list{nil}})),
			}}},
		}},
		"resource_changes": list{
			obj{"address": `module.fn["a"].aws_lambda_function.this`, "mode": "managed", "type": "aws_lambda_function", "name": "this",
				"change": obj{"actions": list{"create"}, "after_unknown": obj{"layers": list{true}}}},
		},
		"configuration": obj{"root_module": obj{
			"resources": list{obj{"address": "aws_lambda_layer_version.l", "mode": "managed", "type": "aws_lambda_layer_version", "name": "l"}},
			"module_calls": obj{"fn": obj{"source": "./fn",
				"expressions": obj{"layers": obj{"references": list{"aws_lambda_layer_version.l.arn", "aws_lambda_layer_version.l"}}},
				"module": obj{"resources": list{obj{"address": "aws_lambda_function.this", "mode": "managed", "type": "aws_lambda_function", "name": "this",
					"expressions": obj{"layers": obj{"references": list{"var.layers"}}}}}},
			}},
		}},
	})
	p := project(t, plan, map[string]string{"a.zip": "z", "l.zip": "z"})
	f := readOne(t, p).Functions[0]
	if got, want := layerIDs(f), []string{"aws_lambda_layer_version.l"}; !reflect.DeepEqual(got, want) {
		t.Errorf("layers = %q, want %q; notes %q", got, want, f.Notes)
	}
}

// TestReadPlanUnresolved: a layer known only at apply whose reference
// cannot be followed (a local) is a note, not a guess.
func TestReadPlanUnresolved(t *testing.T) {
	plan := doc(t, obj{
		"planned_values": obj{"root_module": obj{"resources": list{
			res("aws_lambda_function.f", fn("F", "f.zip", obj{"layers": list{nil}})),
			res("aws_lambda_layer_version.a", obj{"filename": "a.zip"}),
			res("aws_lambda_layer_version.b", obj{"filename": "b.zip"}),
		}}},
		"resource_changes": list{obj{"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
			"change": obj{"actions": list{"create"}, "after_unknown": obj{"layers": list{true}}}}},
		"configuration": obj{"root_module": obj{"resources": list{obj{"address": "aws_lambda_function.f", "mode": "managed",
			"type": "aws_lambda_function", "name": "f", "expressions": obj{"layers": obj{"references": list{"local.layers"}}}}}}},
	})
	f := readOne(t, project(t, plan, map[string]string{"f.zip": "z"})).Functions[0]
	if len(f.Layers) != 0 || !slicesContain(f.Notes, "layer 1 is known only at apply") {
		t.Errorf("layers %q, notes %q; want no layer and a note", layerIDs(f), f.Notes)
	}
}

// TestReadCode: where a function's code is, and what is noted when it is
// not on disk.
func TestReadCode(t *testing.T) {
	sum := "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" // base64 SHA-256 of "test"
	for _, tc := range []struct {
		name   string
		values obj
		unk    obj
		want   deploy.Code // Path relative to the plan's folder
		pkg    string
		note   string
	}{
		{"zip", obj{"filename": "f.zip", "source_code_hash": sum}, nil, deploy.Code{Path: "f.zip", InRequest: true}, "Zip", ""},
		{"zip rebuilt since the plan", obj{"filename": "other.zip", "source_code_hash": sum}, nil, deploy.Code{Path: "other.zip", InRequest: true}, "Zip", "is not the zip planned"},
		{"not built yet", obj{"filename": "builds/abc.zip"}, nil, deploy.Code{InRequest: true, Missing: "not built yet"}, "Zip", "builds/abc.zip is not on disk"},
		{"s3", obj{"filename": nil, "s3_bucket": "b", "s3_key": "k.zip"}, nil, deploy.Code{Missing: "code in S3, not checked"}, "Zip", "code in S3 (s3://b/k.zip), not checked"},
		{"image", obj{"filename": nil, "package_type": "Image", "image_uri": "123.dkr.ecr/x:1", "runtime": nil, "handler": nil}, nil, deploy.Code{Missing: "a container image, not checked"}, "Image", "container image 123.dkr.ecr/x:1"},
		{"known at apply", obj{"filename": nil}, obj{"filename": true}, deploy.Code{Missing: "code known only at apply, not checked"}, "Zip", "known only at apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := fn("F", "", tc.values)
			plan := doc(t, obj{
				"planned_values": obj{"root_module": obj{"resources": list{res("aws_lambda_function.f", v)}}},
				"resource_changes": list{obj{"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
					"change": obj{"actions": list{"create"}, "after_unknown": tc.unk}}},
			})
			p := project(t, plan, map[string]string{"f.zip": "test", "other.zip": "other"})
			f := readOne(t, p).Functions[0]
			got := f.Code
			if got.Path != "" {
				got.Path, _ = filepath.Rel(filepath.Dir(p), got.Path)
			}
			if got != tc.want || f.PackageType != tc.pkg {
				t.Errorf("code %+v, package type %s; want %+v, %s", got, f.PackageType, tc.want, tc.pkg)
			}
			if tc.note == "" && len(f.Notes) > 0 || tc.note != "" && !slicesContain(f.Notes, tc.note) {
				t.Errorf("notes %q, want one with %q", f.Notes, tc.note)
			}
		})
	}
}

// TestReadArch: architectures absent, empty, or left to Lambda (unknown
// in the plan because the configuration does not set them) is x86_64,
// silently; unknown although configured is x86_64 with a note.
func TestReadArch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		archs      any
		unknown    bool
		configured bool
		want       layers.Arch
		note       bool
	}{
		{"arm64", list{"arm64"}, false, true, layers.ARM64, false},
		{"absent", nil, false, false, layers.X86_64, false},
		{"empty", list{}, false, true, layers.X86_64, false},
		{"left to Lambda", nil, true, false, layers.X86_64, false},
		{"known only at apply", nil, true, true, layers.X86_64, true},
		{"not one Lambda runs", list{"riscv64"}, false, true, layers.X86_64, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exprs := obj{}
			if tc.configured {
				exprs["architectures"] = obj{"references": list{"var.arch"}}
			}
			plan := doc(t, obj{
				"planned_values": obj{"root_module": obj{"resources": list{res("aws_lambda_function.f", fn("F", "f.zip", obj{"architectures": tc.archs}))}}},
				"resource_changes": list{obj{"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
					"change": obj{"actions": list{"create"}, "after_unknown": obj{"architectures": tc.unknown}}}},
				"configuration": obj{"root_module": obj{"resources": list{obj{"address": "aws_lambda_function.f", "mode": "managed",
					"type": "aws_lambda_function", "name": "f", "expressions": exprs}}}},
			})
			f := readOne(t, project(t, plan, map[string]string{"f.zip": "z"})).Functions[0]
			if f.Arch != tc.want || (len(f.Notes) > 0) != tc.note {
				t.Errorf("arch %s, notes %q; want %s, a note: %v", f.Arch, f.Notes, tc.want, tc.note)
			}
		})
	}
}

// TestReadEnvUnknown: variables known only at apply are left out of Env
// and named in a note.
func TestReadEnvUnknown(t *testing.T) {
	plan := doc(t, obj{
		"planned_values": obj{"root_module": obj{"resources": list{res("aws_lambda_function.f", fn("F", "f.zip", obj{
			"environment": list{obj{"variables": obj{"KNOWN": "1"}}}}))}}},
		"resource_changes": list{obj{"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
			"change": obj{"actions": list{"create"}, "after_unknown": obj{"environment": list{obj{"variables": obj{"TABLE": true}}}}}}},
	})
	f := readOne(t, project(t, plan, map[string]string{"f.zip": "z"})).Functions[0]
	if !reflect.DeepEqual(f.Env, map[string]string{"KNOWN": "1"}) || !reflect.DeepEqual(f.Notes, []string{"environment variable TABLE is known only at apply"}) {
		t.Errorf("env %v, notes %q", f.Env, f.Notes)
	}
}

// TestReadResourceChangesOnly: a plan without planned_values is read from
// resource_changes' after values; what the plan deletes is not read.
func TestReadResourceChangesOnly(t *testing.T) {
	change := func(addr string, actions list, after obj) obj {
		parts := parseTraversal(addr)
		return obj{"address": addr, "mode": "managed", "type": "aws_lambda_function", "name": parts[len(parts)-1].name,
			"change": obj{"actions": actions, "before": nil, "after": after}}
	}
	plan := doc(t, obj{"resource_changes": list{
		change("aws_lambda_function.kept", list{"update"}, fn("Kept", "f.zip", nil)),
		change("aws_lambda_function.gone", list{"delete"}, nil),
	}})
	proj := readOne(t, project(t, plan, map[string]string{"f.zip": "z"}))
	if len(proj.Functions) != 1 || proj.Functions[0].ID != "aws_lambda_function.kept" {
		t.Errorf("functions %s, want aws_lambda_function.kept alone", dump(proj.Functions))
	}
}

// TestReadHostile: a plan is input like any other: code paths leaving the
// plan's folder, documents that are not plans, and nesting beyond any
// real plan are errors naming the file, never a panic.
func TestReadHostile(t *testing.T) {
	planWith := func(filename string) []byte {
		return doc(t, obj{"planned_values": obj{"root_module": obj{"resources": list{res("aws_lambda_function.f", fn("F", filename, nil))}}}})
	}
	deep := obj{"address": "module.m"}
	for range 150 {
		deep = obj{"address": "module.m", "child_modules": list{deep}}
	}
	for _, tc := range []struct {
		name    string
		plan    []byte
		setup   func(t *testing.T, dir string)
		outside bool
		msg     string
	}{
		{name: "dot-dot", plan: planWith("../../etc"), outside: true},
		{name: "dot-dot not on disk", plan: planWith("../../nowhere/x.zip"), outside: true},
		{name: "absolute", plan: planWith("/etc/passwd"), outside: true},
		{name: "symlink leaving", plan: planWith("build/f.zip"), outside: true, setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, "build"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "build/f.zip")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "symlinked folder leaving, zip not built", plan: planWith("out/f.zip"), outside: true, setup: func(t *testing.T, dir string) {
			if err := os.Symlink(t.TempDir(), filepath.Join(dir, "out")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "layer leaving", outside: true, plan: doc(t, obj{"planned_values": obj{"root_module": obj{"resources": list{
			res("aws_lambda_function.f", fn("F", "f.zip", obj{"layers": list{"arn:l"}})),
			res("aws_lambda_layer_version.l", obj{"arn": "arn:l", "filename": "../l.zip"}),
		}}}})},
		{name: "not a mapping", plan: []byte(`[{"format_version":"1.2"}]`), msg: "not a JSON object"},
		{name: "not terraform's", plan: []byte(`{"Resources":{}}`), msg: "no format_version"},
		{name: "format too new", plan: doc(t, obj{"format_version": "2.0", "planned_values": obj{}}), msg: "unsupported plan format version"},
		{name: "wrong types", plan: doc(t, obj{"planned_values": obj{"root_module": obj{"resources": "all"}}}), msg: "reading the plan"},
		{name: "modules nested too deep", plan: doc(t, obj{"planned_values": obj{"root_module": obj{"child_modules": list{deep}}}}), msg: "nested more than"},
		{name: "JSON nested too deep", plan: []byte(`{"format_version":"1.2","terraform_version":"1.11.4","planned_values":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`), msg: "exceeded max depth"},
		{name: "same address twice", plan: doc(t, obj{"planned_values": obj{"root_module": obj{"resources": list{
			res("aws_lambda_function.f", fn("F", "f.zip", nil)), res("aws_lambda_function.f", fn("F", "f.zip", nil))}}}}), msg: "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := project(t, tc.plan, map[string]string{"f.zip": "z"})
			if tc.setup != nil {
				tc.setup(t, filepath.Dir(p))
			}
			_, err := Read(p, deploy.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.outside && !errors.Is(err, deploy.ErrOutsideRoot) {
				t.Errorf("error %q does not wrap ErrOutsideRoot", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name %s", err, p)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// TestReadTooLarge: a file larger than any plan is refused before it is
// read whole.
func TestReadTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(p, []byte(`{"format_version":"1.2",`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, deploy.MaxTemplateBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p, deploy.Options{}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %v, want one saying it is larger than a plan", err)
	}
}

// TestDetectFIFO: a named pipe is refused, not opened (opening it would
// block).
func TestDetectFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "plan.json")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Detect(p); ok || err == nil {
		t.Errorf("Detect(fifo) = %v, %v; want an error", ok, err)
	}
	// In a folder, a pipe is passed over.
	if _, ok, err := Detect(filepath.Dir(p)); ok || err != nil {
		t.Errorf("Detect(folder with a fifo) = %v, %v; want not mine", ok, err)
	}
}

// TestReadLayersNotARNs: what is not an ARN in a function's layers is a
// note, never a layer without an ID.
func TestReadLayersNotARNs(t *testing.T) {
	plan := doc(t, obj{"values": obj{"root_module": obj{"resources": list{
		res("aws_lambda_function.f", fn("F", "f.zip", obj{"layers": list{"", 42.0, "arn:x:1"}})),
	}}}})
	f := readOne(t, project(t, plan, map[string]string{"f.zip": "z"})).Functions[0]
	want := []string{"layer 1 is an empty ARN: skipped", "layer 2 is not an ARN: skipped"}
	if got := layerIDs(f); !reflect.DeepEqual(got, []string{"arn:x:1"}) || !reflect.DeepEqual(f.Notes, want) {
		t.Errorf("layers %q, notes %q; want [arn:x:1], %q", got, f.Notes, want)
	}
}

// TestReadPlanFlags: a plan Terraform saved although it errored, or that
// defers changes, says so in the project's notes.
func TestReadPlanFlags(t *testing.T) {
	plan := doc(t, obj{"errored": true, "complete": false,
		"planned_values": obj{"root_module": obj{"resources": list{res("aws_lambda_function.f", fn("F", "f.zip", nil))}}}})
	proj := readOne(t, project(t, plan, map[string]string{"f.zip": "z"}))
	for _, want := range []string{"the plan errored", "the plan is incomplete"} {
		if !slicesContain(proj.Notes, want) {
			t.Errorf("project notes %q: none says %q", proj.Notes, want)
		}
	}
}
