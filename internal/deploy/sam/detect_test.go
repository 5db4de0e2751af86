package sam

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// tree writes files (a name ending in / is a folder) under a new temporary
// folder and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
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
	return dir
}

func TestDetectFixture(t *testing.T) {
	tests := []struct{ p, root string }{
		{fixtureBuild, fixtureBuild},
		{fixture, fixtureBuild},                                      // the project folder
		{filepath.Join(fixture, ".aws-sam"), fixtureBuild},           // the .aws-sam folder
		{filepath.Join(fixtureBuild, "template.yaml"), fixtureBuild}, // the built template
		{filepath.Join(fixtureBuild, "Child"), filepath.Join(fixtureBuild, "Child")},
	}
	for _, tt := range tests {
		root, ok, err := Detect(tt.p)
		if err != nil || !ok || root != tt.root {
			t.Errorf("Detect(%s) = %q, %v, %v; want %q, true, nil", tt.p, root, ok, err, tt.root)
		}
	}
}

func TestDetectRefuses(t *testing.T) {
	cfnOnly := `{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Fn": {"Type": "AWS::Lambda::Function",
		"Properties": {"Code": "asset.abc", "Runtime": "python3.12", "Handler": "a.b"}}}}`
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"an empty folder", map[string]string{}},
		{"a plain layer folder", map[string]string{"python/pkg/__init__.py": "", "lib/": ""}},
		{"layerkit's build output", map[string]string{
			"manifest.json": `{"version": 1, "artifacts": [{"kind": "function", "path": "function.zip"}]}`, "function.zip": "PK"}},
		{"cdk.out", map[string]string{
			"manifest.json":           `{"version": "36.0.0", "artifacts": {"Stack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Stack.template.json"}}}}`,
			"Stack.template.json":     cfnOnly,
			"asset.abc/index.py":      "",
			"Stack.assets.json":       `{"version": "36.0.0", "files": {}}`,
			"tree.json":               `{}`,
			"cdk.out":                 `{"version": "36.0.0"}`,
			"template.yaml.unrelated": "",
		}},
		{".serverless", map[string]string{
			"cloudformation-template-update-stack.json": cfnOnly,
			"serverless-state.json":                     `{"service": {"service": "svc"}}`,
			"svc.zip":                                   "PK",
		}},
		{"a Terraform plan", map[string]string{
			"plan.json": `{"format_version": "1.2", "planned_values": {"root_module": {}}}`}},
		{"a CloudFormation template that is not SAM's", map[string]string{"template.yaml": "Resources:\n  B: {Type: AWS::S3::Bucket}\n"}},
		{"a template.yaml that is no template", map[string]string{"template.yaml": "name: my-app\nversion: 2\n"}},
		{"a template.json that is not JSON", map[string]string{"template.json": "{"}},
		{"template.yaml a folder", map[string]string{"template.yaml/": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t, tt.files)
			for _, p := range []string{dir, filepath.Join(dir, "template.yaml")} {
				if _, err := os.Stat(p); err != nil {
					continue
				}
				root, ok, err := Detect(p)
				if ok || err != nil {
					t.Errorf("Detect(%s) = %q, %v, %v; want not recognised", p, root, ok, err)
				}
			}
		})
	}
}

func TestDetectUnreadable(t *testing.T) {
	if _, _, err := Detect(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Error("Detect of a missing path: no error")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "template.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A named pipe is refused, not opened (opening one would block).
	for _, p := range []string{fifo, dir} {
		if _, ok, err := Detect(p); ok || err == nil {
			t.Errorf("Detect(%s) of a named pipe = %v, %v; want an error", p, ok, err)
		}
	}
}
