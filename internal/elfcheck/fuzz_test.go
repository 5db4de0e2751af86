package elfcheck

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzInspect feeds arbitrary bytes to Identify, ParseHeader and InspectELF,
// seeded with the real fixtures: nothing may panic, and an error must be a
// *FormatError.
func FuzzInspect(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && filepath.Ext(p) != ".sh" {
			f.Add(b)
		}
	}
	f.Add(peHead(0x8664))
	f.Add(fatHead(0x01000007, 0x0100000c))
	f.Fuzz(func(t *testing.T, b []byte) {
		head := b[:min(len(b), HeadSize)]
		Identify(head, "x.so")
		ParseHeader(head)
		info, err := InspectELF(bytes.NewReader(b), int64(len(b)), Options{Symbols: true})
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("error %T %v is not a *FormatError", err, err)
			}
			return
		}
		info.MaxVersion("GLIBC_")
		info.Musl()
	})
}
