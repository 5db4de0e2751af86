package serverless

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// FuzzRead writes a mutated template and state into a copy of the fixture's
// output and reads it: Read must not panic or hang, and every code path it
// returns must stay inside the copy (a zip named outside.zip waits beside
// it).
func FuzzRead(f *testing.F) {
	tmpl, err := os.ReadFile(filepath.Join(fixtureOut, templateFile))
	if err != nil {
		f.Fatal(err)
	}
	st, err := os.ReadFile(filepath.Join(fixtureOut, stateFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tmpl, st)
	f.Add(tmpl, []byte(nil))
	f.Add([]byte(nil), st)
	f.Add([]byte(`{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": "a/../../outside.zip"}, "Layers": [{"Ref": "L"}]}},
		"L": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": {"S3Key": "x/outside.zip"}}}}}`),
		[]byte(`{"service": {"provider": {"$ref": "#/service/provider"}}, "package": {"$ref": "$[\"package\"]"}}`))

	// One copy per fuzzing process: only the template and the state change
	// between inputs, and nothing Read does changes the folder.
	base := f.TempDir()
	if err := os.WriteFile(filepath.Join(base, "outside.zip"), []byte("PK"), 0o644); err != nil {
		f.Fatal(err)
	}
	dir := filepath.Join(base, outputDir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	ents, err := os.ReadDir(fixtureOut)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == templateFile || e.Name() == stateFile {
			continue
		}
		data, err := os.ReadFile(filepath.Join(fixtureOut, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			f.Fatal(err)
		}
	}

	f.Fuzz(func(t *testing.T, tmpl, st []byte) {
		for name, data := range map[string][]byte{templateFile: tmpl, stateFile: st} {
			p := filepath.Join(dir, name)
			if data == nil { // a nil input stands for a missing file
				if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				continue
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		proj, err := Read(dir, deploy.Options{})
		if err != nil {
			return
		}
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			t.Fatal(err)
		}
		inside := func(p string) {
			if p == "" {
				return
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				t.Fatalf("code path %s: %v", p, err)
			}
			if !deploy.Within(realDir, real) {
				t.Fatalf("code path %s is outside %s", p, dir)
			}
		}
		for _, fn := range proj.Functions {
			if fn == nil {
				t.Fatal("a nil function")
			}
			inside(fn.Code.Path)
			for _, l := range fn.Layers {
				inside(l.Code.Path)
			}
		}
	})
}
