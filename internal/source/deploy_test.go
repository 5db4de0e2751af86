package source

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/fstree"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/layers"
)

// withFramework registers a framework that recognises folders holding a
// file named marker and reads the project proj from them.
func withFramework(t *testing.T, name, marker string, proj func(root string) *deploy.Project) {
	t.Helper()
	saved := frameworks
	t.Cleanup(func() { frameworks = saved })
	frameworks = append(slices.Clone(frameworks), framework{name: name,
		detect: func(p string) (string, bool, error) {
			_, err := fstree.OpenDir(filepath.Join(p, marker))
			return p, err == nil, nil
		},
		read: func(root string, _ deploy.Options) (*deploy.Project, error) { return proj(root), nil },
	})
}

func TestProjectBundles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"out/marker/x":                 "",
		"out/template.json":            "{}",
		"out/fnA/app.py":               "def handler(e, c): pass",
		"out/fnB/main.py":              "",
		"out/shared/python/lib/x.py":   "",
		"out/shared/python/secret.pem": "-----BEGIN RSA PRIVATE KEY-----",
	})
	out := filepath.Join(dir, "out")
	tmpl := filepath.Join(out, "template.json")
	withFramework(t, "fake", "marker", func(root string) *deploy.Project {
		shared := &deploy.Layer{ID: "Shared", Code: deploy.Code{Path: filepath.Join(root, "shared")}}
		arn := &deploy.Layer{ID: "arn:aws:lambda:us-east-1:123456789012:layer:x:1", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:x:1"}
		return &deploy.Project{Framework: "fake", Root: root, Functions: []*deploy.Function{
			{ID: "S/A", Name: "svc-a", Template: tmpl, Runtime: "python3.12", Arch: layers.ARM64, Handler: "app.handler",
				Code: deploy.Code{Path: filepath.Join(root, "fnA")}, Layers: []*deploy.Layer{shared, arn}},
			{ID: "S/B", Template: tmpl, Runtime: "python3.12", Arch: layers.X86_64, Handler: "app.handler",
				Code: deploy.Code{Path: filepath.Join(root, "fnB") + "/"}, Layers: []*deploy.Layer{shared}},
			{ID: "S/Img", Template: tmpl, PackageType: "Image", Arch: layers.X86_64},
		}}
	})
	res, err := Run(t.Context(), Request{Paths: []string{out}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Artifacts != 3 {
		t.Errorf("%d artifacts read, want 3 (the shared layer once)", res.Artifacts)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Function+" "+f.Rule+" "+f.Path)
	}
	want := []string{"S/A (svc-a) LK170 python/secret.pem", "S/B LK170 python/secret.pem", "S/B LK155 "}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range res.Findings {
		if f.Rule == "LK155" && f.Artifact != tmpl {
			t.Errorf("handler finding names %s, want the template %s", f.Artifact, tmpl)
		}
	}
	notes := strings.Join(res.Notes, "\n")
	for _, w := range []string{"S/A (svc-a): layer arn:aws:lambda:us-east-1:123456789012:layer:x:1 not checked", "S/Img: image function"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %q:\n%s", w, notes)
		}
	}
	if !slices.Equal(res.Targets, []string{"python3.12-arm64", "python3.12-x86_64"}) {
		t.Errorf("targets %v", res.Targets)
	}

	// --arch selects functions; none matching is ErrNoTargets.
	res, err = Run(t.Context(), Request{Paths: []string{out}, Arch: layers.ARM64})
	if err != nil || !slices.Equal(res.Targets, []string{"python3.12-arm64"}) {
		t.Errorf("--arch arm64: targets %v, err %v", res.Targets, err)
	}
	if _, err := Run(t.Context(), Request{Paths: []string{out}, Runtime: "nodejs22.x"}); !errors.Is(err, ErrNoTargets) {
		t.Errorf("--runtime nodejs22.x: err %v, want ErrNoTargets", err)
	}

	// With FetchLayer, the ARN layer is downloaded and checked.
	fetched := filepath.Join(dir, "fetched")
	write(t, fetched, map[string]string{"python/.env": "KEY=1"})
	var asked []string
	res, err = Run(t.Context(), Request{Paths: []string{out}, FetchLayer: func(_ context.Context, arn string) (string, error) {
		asked = append(asked, arn)
		return fetched, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 {
		t.Errorf("FetchLayer asked %v, want the ARN once", asked)
	}
	if !slices.ContainsFunc(res.Findings, func(f lint.Finding) bool {
		return f.Artifact == "arn:aws:lambda:us-east-1:123456789012:layer:x:1" && f.Path == "python/.env"
	}) {
		t.Errorf("no finding in the fetched layer: %v", rules(res))
	}

	// --framework names one that does not recognise the folder.
	if _, err := Run(t.Context(), Request{Paths: []string{filepath.Join(out, "fnA")}, Framework: "fake"}); !errors.Is(err, deploy.ErrNotRecognised) {
		t.Errorf("forced framework on a plain folder: err %v, want ErrNotRecognised", err)
	}
}
