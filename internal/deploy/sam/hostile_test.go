package sam

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
)

func fn(codeUri string) string {
	return head + fmt.Sprintf(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: %q, Runtime: python3.12, Handler: a.b}
`, codeUri)
}

func TestReadHostile(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "template.yaml"), []byte(fn(".")), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := head + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: " +
		strings.Repeat("[", 500) + strings.Repeat("]", 500) + "\n"
	tests := []struct {
		name     string
		files    map[string]string
		symlinks map[string]string // name in the build folder → target
		is       error             // errors.Is the error, when set
		says     string            // the error names this
	}{
		{name: "a function's code up two folders", files: map[string]string{"template.yaml": fn("../../etc")},
			is: deploy.ErrOutsideRoot, says: `"../../etc"`},
		{name: "a function's code at an absolute path", files: map[string]string{"template.yaml": fn(outside)},
			is: deploy.ErrOutsideRoot, says: outside},
		{name: "a function's code through a symlink", files: map[string]string{"template.yaml": fn("Fn")},
			symlinks: map[string]string{"Fn": outside}, is: deploy.ErrOutsideRoot, says: `"Fn"`},
		{name: "a function's code in the project but outside the build", files: map[string]string{
			"template.yaml": fn("../../src"), "../../src/": ""}, is: deploy.ErrOutsideRoot, says: `"../../src"`},
		{name: "a function sam build skips, outside the project", files: map[string]string{"template.yaml": head + `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ../../../fn.zip, Runtime: python3.12, Handler: a.b}
`, "../../../fn.zip": "PK"}, is: deploy.ErrOutsideRoot, says: "Fn CodeUri"},
		{name: "an unbuilt layer outside the project", files: map[string]string{"template.yaml": head + `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Runtime: python3.12, Handler: a.b, Layers: [!Ref L]}
  L:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: ../../../..}
`}, is: deploy.ErrOutsideRoot, says: "L ContentUri"},
		{name: "a built layer outside the build", files: map[string]string{"template.yaml": head + `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Runtime: python3.12, Handler: a.b, Layers: [!Ref L]}
  L:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: ../../src}
    Metadata: {BuildMethod: nodejs22.x}
`, "../../src/": ""}, is: deploy.ErrOutsideRoot, says: "L Content"},
		{name: "a nested template outside", files: map[string]string{"template.yaml": head + fmt.Sprintf(`
Resources:
  Kid:
    Type: AWS::Serverless::Application
    Properties: {Location: %q}
`, filepath.Join(outside, "template.yaml"))}, is: deploy.ErrOutsideRoot, says: "Kid Location"},
		{name: "a nested template that is itself", files: map[string]string{"template.yaml": head + `
Resources:
  Kid:
    Type: AWS::Serverless::Application
    Properties: {Location: template.yaml}
`}, is: ErrTooManyStacks, says: "contains itself"},
		{name: "nested templates that name each other", files: map[string]string{
			"template.yaml":   head + "Resources:\n  A:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: a/t.yaml}\n",
			"a/t.yaml":        head + "Resources:\n  B:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: ../template.yaml}\n",
			"unused/t.yaml/":  "",
			"unused/other.md": "",
		}, is: ErrTooManyStacks, says: "contains itself"},
		{name: "a template that is a list", files: map[string]string{"template.yaml": "- a\n- b\n"}, says: "not a mapping"},
		{name: "a template that is a string", files: map[string]string{"template.yaml": "Transform"}, says: "not a mapping"},
		{name: "a template without Resources", files: map[string]string{"template.yaml": head}, says: "no Resources"},
		{name: "a resource that is a list", files: map[string]string{"template.yaml": head + "Resources:\n  Fn: [1]\n"}, says: "resource Fn"},
		{name: "a template nested too deeply", files: map[string]string{"template.yaml": deep}, is: cfn.ErrTooDeep},
		{name: "YAML aliases", files: map[string]string{"template.yaml": head + "x: &a [1]\ny: *a\nResources: {}\n"}, says: "aliases"},
		{name: "no template", files: map[string]string{"other.yaml": fn(".")}, is: deploy.ErrNotRecognised},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := build(t, tt.files)
			for name, target := range tt.symlinks {
				if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
					t.Fatal(err)
				}
			}
			p, err := Read(root, deploy.Options{})
			if err == nil {
				t.Fatalf("no error; read %s", dump(p))
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if errors.Is(err, deploy.ErrOutsideRoot) && !strings.Contains(err.Error(), "template.yaml") {
				t.Errorf("error %q does not name the template", err)
			}
		})
	}
}

// TestReadFanOut: nested applications that name one child many times at
// every level stop at maxStacks templates instead of reading 4^6.
func TestReadFanOut(t *testing.T) {
	files := map[string]string{}
	const levels, fan = 6, 4
	for i := range levels {
		var b strings.Builder
		b.WriteString(head + "Resources:\n")
		for j := range fan {
			fmt.Fprintf(&b, "  App%d:\n    Type: AWS::Serverless::Application\n    Properties: {Location: ../l%d/template.yaml}\n", j, i+1)
		}
		files[fmt.Sprintf("l%d/template.yaml", i)] = b.String()
	}
	files[fmt.Sprintf("l%d/template.yaml", levels)] = fn(".")
	files["template.yaml"] = head + "Resources:\n  Top:\n    Type: AWS::Serverless::Application\n    Properties: {Location: l0/template.yaml}\n"
	_, err := Read(build(t, files), deploy.Options{})
	if !errors.Is(err, ErrTooManyStacks) {
		t.Errorf("error %v, want ErrTooManyStacks", err)
	}
}

// TestReadNestedDeep: a chain of nested applications deeper than
// maxNesting is refused.
func TestReadNestedDeep(t *testing.T) {
	files := map[string]string{}
	for i := range maxNesting + 2 {
		files[fmt.Sprintf("l%d/template.yaml", i)] = head + fmt.Sprintf("Resources:\n  App:\n    Type: AWS::Serverless::Application\n    Properties: {Location: ../l%d/template.yaml}\n", i+1)
	}
	files[fmt.Sprintf("l%d/template.yaml", maxNesting+2)] = fn(".")
	files["template.yaml"] = head + "Resources:\n  Top:\n    Type: AWS::Serverless::Application\n    Properties: {Location: l0/template.yaml}\n"
	_, err := Read(build(t, files), deploy.Options{})
	if !errors.Is(err, ErrTooManyStacks) || !strings.Contains(err.Error(), "deep") {
		t.Errorf("error %v, want ErrTooManyStacks for depth", err)
	}
}

func TestReadRefusesSpecialTemplates(t *testing.T) {
	t.Run("a named pipe", func(t *testing.T) {
		root := build(t, map[string]string{"Fn/": ""})
		if err := syscall.Mkfifo(filepath.Join(root, "template.yaml"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(root, deploy.Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error %v, want a refusal", err)
		}
	})
	t.Run("a nested named pipe", func(t *testing.T) {
		root := build(t, map[string]string{"template.yaml": head +
			"Resources:\n  Kid:\n    Type: AWS::Serverless::Application\n    Properties: {Location: Kid/template.yaml}\n", "Kid/": ""})
		if err := syscall.Mkfifo(filepath.Join(root, "Kid", "template.yaml"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(root, deploy.Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error %v, want a refusal", err)
		}
	})
	t.Run("a huge template", func(t *testing.T) {
		root := build(t, map[string]string{"template.yaml": ""})
		// Sparse: larger than deploy.MaxTemplateBytes without writing it.
		if err := os.Truncate(filepath.Join(root, "template.yaml"), deploy.MaxTemplateBytes+1); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(root, deploy.Options{}); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("error %v, want a refusal", err)
		}
		// Too large to be a template: not SAM's, and no error.
		if _, ok, err := Detect(root); ok || err != nil {
			t.Errorf("Detect = %v, %v; want not recognised", ok, err)
		}
	})
}
