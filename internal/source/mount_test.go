package source

import (
	"maps"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/layers"
)

// TestEnvOverTemplate: --env merges over the environment a template gives
// a function, the flag winning, without changing the template's map that
// other functions may share.
func TestEnvOverTemplate(t *testing.T) {
	tmpl := map[string]string{"PYTHONPATH": "/opt/x", "STAGE": "prod"}
	b := &lint.Bundle{Env: lint.Environment{Variables: tmpl, EphemeralStorageMB: 1024}}
	bare := &lint.Bundle{}
	err := addMounts([]*lint.Bundle{b, bare}, Request{Env: map[string]string{"PYTHONPATH": "/mnt/deps/python"}, EphemeralStorageMB: 2048}, &Result{}, func(string, layers.Kind) (*lint.Artifact, error) {
		t.Fatal("nothing to load")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"PYTHONPATH": "/mnt/deps/python", "STAGE": "prod"}; !maps.Equal(b.Env.Variables, want) {
		t.Errorf("merged %v, want %v", b.Env.Variables, want)
	}
	if want := map[string]string{"PYTHONPATH": "/mnt/deps/python"}; !maps.Equal(bare.Env.Variables, want) {
		t.Errorf("bare %v, want %v", bare.Env.Variables, want)
	}
	if b.Env.EphemeralStorageMB != 2048 || bare.Env.EphemeralStorageMB != 2048 {
		t.Errorf("ephemeral storage %d and %d MB, want 2048 from the flag", b.Env.EphemeralStorageMB, bare.Env.EphemeralStorageMB)
	}
	if tmpl["PYTHONPATH"] != "/opt/x" {
		t.Errorf("the template's map changed: %v", tmpl)
	}
}
