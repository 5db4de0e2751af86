package elfcheck

import (
	"bytes"
	"io"
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

// FuzzInspectStream compares InspectStream with InspectELF on arbitrary
// bytes, seeded with the fixtures and the hostile and reordered objects of
// streamObjects. The window of the first pass comes from the input too, so
// that small objects go through the further passes: the results must be
// the same info, or a *FormatError from both.
func FuzzInspectStream(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b, uint16(0))
	}
	for name, b := range streamObjects() {
		if len(b) < 1<<20 {
			f.Add(b, uint16(len(name)*37))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, window uint16) {
		for _, symbols := range []bool{false, true} {
			opts := Options{Symbols: symbols}
			want, wantErr := InspectELF(bytes.NewReader(b), int64(len(b)), opts)
			passes := 0
			opts.Reopen = func() (io.ReadCloser, error) {
				passes++
				return io.NopCloser(bytes.NewReader(b)), nil
			}
			w := int64(window)
			if window == 0 {
				w = streamWindow
			}
			got, err := inspectStream(bytes.NewReader(b), int64(len(b)), opts, w)
			sameResult(t, "input", want, wantErr, got, err)
			if passes > maxStreamPasses-1 {
				t.Fatalf("%d passes", passes+1)
			}
		}
	})
}
