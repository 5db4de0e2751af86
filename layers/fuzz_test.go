package layers

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReadManifest: a manifest is outside input (publish and check read
// one from disk); no input may panic, and what is accepted must write back.
func FuzzReadManifest(f *testing.F) {
	if b, err := os.ReadFile("testdata/manifest.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"artifacts":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadManifest(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteManifest(&buf, m); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadManifest(&buf); err != nil {
			t.Fatalf("a manifest we accepted does not read back: %v", err)
		}
	})
}

// FuzzParseTarget: targets come from folder names and flags.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"python3.12-arm64", "nodejs4.3-edge-amd64", "-", "a-b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		// What is accepted names a target in its canonical form, which
		// reads back as the same target.
		again, err := ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Fatalf("%q parsed as %v, whose name %q reads back as %v, %v", s, tg, tg.String(), again, err)
		}
	})
}
