package sam

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// copyTree copies the folder src (regular files and folders) to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzRead writes a mutated template over a copy of the fixture's built
// template and reads it: no panic, and every path Read returns stays in
// the build folder (or, for a layer sam build does not build, in the
// project folder around it). A folder beside the project holds a template
// and code that a path leaving the project would reach.
func FuzzRead(f *testing.F) {
	for _, p := range []string{
		filepath.Join(fixtureBuild, "template.yaml"),
		filepath.Join(fixtureBuild, "Child", "template.yaml"),
		filepath.Join(fixture, "template.yaml"),
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		fn("../../../outside"),
		fn("/etc"),
		head + "Resources:\n  K:\n    Type: AWS::Serverless::Application\n    Properties: {Location: ../../../outside/template.yaml}\n",
		head + "Resources:\n  K:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: template.yaml}\n",
		head + "Resources:\n  L:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: ../../../outside}\n" +
			"  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: ArmFn, Layers: [!Ref L, !Ref F, !Sub 'arn:${AWS::Region}']}\n",
		`{"Transform": "AWS::Serverless-2016-10-31", "Globals": {"Function": {"Layers": {"Ref": "X"}}}, "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "OkFn", "Layers": ["arn:x"]}}}}`,
	} {
		f.Add([]byte(s))
	}

	dir := f.TempDir()
	project := filepath.Join(dir, "app")
	copyTree(f, fixture, project)
	outside := filepath.Join(dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "template.yaml"), []byte(fn(".")), 0o644); err != nil {
		f.Fatal(err)
	}
	root := filepath.Join(project, ".aws-sam", "build")
	tmpl := filepath.Join(root, "template.yaml")

	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(tmpl, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Read(root, deploy.Options{})
		if err != nil {
			return
		}
		inside := func(what, path, within string) {
			if path == "" {
				return
			}
			real, err := filepath.EvalSymlinks(path)
			if err != nil {
				t.Fatalf("%s %s: %v", what, path, err)
			}
			if !deploy.Within(within, real) {
				t.Fatalf("%s %s is outside %s", what, real, within)
			}
		}
		for _, g := range p.Functions {
			inside(g.ID+" template", g.Template, root)
			inside(g.ID+" code", g.Code.Path, root)
			for _, l := range g.Layers {
				inside(g.ID+" layer "+l.ID, l.Code.Path, project)
			}
		}
	})
}
