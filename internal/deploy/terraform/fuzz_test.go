package terraform

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// FuzzRead writes mutated plans and states into a copy of the fixture,
// beside a symlink that leaves it, and reads them: Read must not panic,
// hang, or return a code path outside the copy.
func FuzzRead(f *testing.F) {
	for _, p := range []string{fixture, filepath.Join("testdata", "applied", "state.json")} {
		seed, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
	}
	f.Add([]byte(`{"format_version":"1.2","terraform_version":"1.11.4","values":{"root_module":{"resources":[` +
		`{"address":"aws_lambda_function.f","mode":"managed","type":"aws_lambda_function","name":"f","values":{"filename":"escape.zip","layers":["arn:l"]}},` +
		`{"address":"aws_lambda_layer_version.l","mode":"managed","type":"aws_lambda_layer_version","name":"l","values":{"arn":"arn:l","filename":"../l.zip"}}]}}}`))
	f.Add([]byte(`{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{"root_module":{"child_modules":[{"address":"module.m","resources":[` +
		`{"address":"module.m.aws_lambda_function.f","mode":"managed","type":"aws_lambda_function","name":"f","values":{"filename":"build/ok.zip","layers":[null]}}]}]}},` +
		`"resource_changes":[{"address":"module.m.aws_lambda_function.f","change":{"actions":["create"],"after_unknown":{"layers":[true]}}}],` +
		`"configuration":{"root_module":{"module_calls":{"m":{"expressions":{"layers":{"references":["module.m.arn","var.x"]}},"module":{"outputs":{"arn":{"expression":{"references":["module.m.arn"]}}},` +
		`"resources":[{"address":"aws_lambda_function.f","mode":"managed","type":"aws_lambda_function","name":"f","expressions":{"layers":{"references":["var.layers","module.x[\"a.b\"].arn"]}}}]}}}}}}`))

	src := filepath.Dir(fixture)
	dir := f.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(p, ".json") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "escape.zip")); err != nil {
		f.Fatal(err)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		f.Fatal(err)
	}
	plan := filepath.Join(dir, "plan.json")

	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(plan, data, 0o644); err != nil {
			t.Fatal(err)
		}
		proj, err := Read(plan, deploy.Options{})
		if err != nil {
			return
		}
		inside := func(what, p string) {
			if p == "" {
				return
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return // not on disk: nothing is read there
			}
			if !deploy.Within(realDir, real) {
				t.Fatalf("%s: code path %s resolves to %s, outside %s", what, p, real, realDir)
			}
		}
		for _, fn := range proj.Functions {
			inside(fn.ID, fn.Code.Path)
			for _, l := range fn.Layers {
				inside(fn.ID+" layer "+l.ID, l.Code.Path)
			}
		}
	})
}
