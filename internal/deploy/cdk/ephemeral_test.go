package cdk

import (
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
)

// TestEphemeralStorage: EphemeralStorage.Size is the function's /tmp in
// MB; 0 (Lambda's 512) when unset.
func TestEphemeralStorage(t *testing.T) {
	for props, want := range map[string]int{
		`{"Runtime":"python3.12","Handler":"a.h","Code":{"ZipFile":"x"},"EphemeralStorage":{"Size":10240}}`: 10240,
		`{"Runtime":"python3.12","Handler":"a.h","Code":{"ZipFile":"x"}}`:                                   0,
	} {
		f := readOne(t, assembly(t, fnTemplate(props, `{}`, ""), nil), deploy.Options{})
		if f.EphemeralStorage != want {
			t.Errorf("%s: EphemeralStorage %d, want %d", props, f.EphemeralStorage, want)
		}
	}
}
