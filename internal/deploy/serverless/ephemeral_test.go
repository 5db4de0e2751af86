package serverless

import (
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// TestEphemeralStorage: a function's EphemeralStorage.Size in the
// template is its /tmp in MB; the others have 0 (Lambda's 512).
func TestEphemeralStorage(t *testing.T) {
	dir := copyOutput(t)
	editJSON(t, dir, "cloudformation-template-update-stack.json", func(doc map[string]any) {
		props(doc, "OkFnLambdaFunction")["EphemeralStorage"] = map[string]any{"Size": 4096}
	})
	p, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Functions {
		want := 0
		if strings.Contains(f.ID, "OkFn") {
			want = 4096
		}
		if f.EphemeralStorage != want {
			t.Errorf("%s: EphemeralStorage %d, want %d", f.ID, f.EphemeralStorage, want)
		}
	}
}
