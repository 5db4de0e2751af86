package sam

import (
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// TestEphemeralStorage: EphemeralStorage.Size from the function or from
// Globals, 0 when unset or not known offline.
func TestEphemeralStorage(t *testing.T) {
	root := build(t, map[string]string{"template.yaml": head + `
Globals:
  Function:
    EphemeralStorage: {Size: 2048}
Parameters:
  Size: {Type: Number}
Resources:
  Own:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: Fn, Runtime: python3.12, Handler: a.h, EphemeralStorage: {Size: 10240}}
  FromGlobals:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: Fn, Runtime: python3.12, Handler: a.h}
  Unknown:
    Type: AWS::Lambda::Function
    Properties: {Code: Fn, Runtime: python3.12, Handler: a.h, EphemeralStorage: {Size: !Ref Size}}
  Unset:
    Type: AWS::Lambda::Function
    Properties: {Code: Fn, Runtime: python3.12, Handler: a.h}
`, "Fn/": ""})
	p, err := Read(root, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"Own": 10240, "FromGlobals": 2048, "Unknown": 0, "Unset": 0} {
		if got := find(t, p, "proj/"+id).EphemeralStorage; got != want {
			t.Errorf("%s: EphemeralStorage %d, want %d", id, got, want)
		}
	}
}
