package elfcheck

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/klauspost/compress/flate"
)

// bigELF returns the largest libLLVM shared library on the machine,
// deflated as a zip entry would be, and its size; the benchmark is skipped
// where there is none.
func bigELF(b *testing.B) (compressed []byte, size int64) {
	b.Helper()
	var best string
	var bestSize int64
	for _, pat := range []string{"/usr/lib/*/libLLVM*.so*", "/usr/lib/libLLVM*.so*", "/usr/lib64/libLLVM*.so*"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > bestSize {
				best, bestSize = p, fi.Size()
			}
		}
	}
	if best == "" {
		b.Skip("no libLLVM shared library on this machine")
	}
	raw, err := os.ReadFile(best)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	w.Write(raw)
	w.Close()
	b.Logf("%s: %d bytes, %d deflated", best, len(raw), buf.Len())
	return buf.Bytes(), int64(len(raw))
}

// BenchmarkInspectZipEntry inspects a deflated big ELF object two ways:
// streamed through InspectStream as it inflates, and inflated whole into a
// buffer of its size (as the zip check did) and then given to InspectELF.
func BenchmarkInspectZipEntry(b *testing.B) {
	comp, size := bigELF(b)
	inflate := func() io.ReadCloser { return flate.NewReader(bytes.NewReader(comp)) }
	for _, opts := range []Options{{}, {Symbols: true}} {
		name := "needs"
		if opts.Symbols {
			name = "symbols"
		}
		b.Run(name+"/stream", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			o := opts
			o.Reopen = func() (io.ReadCloser, error) { return inflate(), nil }
			for b.Loop() {
				r := inflate()
				if _, err := InspectStream(r, size, o); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
		b.Run(name+"/whole", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				r := inflate()
				buf := make([]byte, size)
				if _, err := io.ReadFull(r, buf); err != nil {
					b.Fatal(err)
				}
				r.Close()
				if _, err := InspectELF(bytes.NewReader(buf), size, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestInspectStreamBigELF checks the benchmark's premise on a real big
// object: InspectStream needs one pass and agrees with InspectELF.
func TestInspectStreamBigELF(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 100 MB library")
	}
	files, _ := filepath.Glob("/usr/lib/*/libLLVM*.so*")
	slices.Sort(files)
	if len(files) == 0 {
		t.Skip("no libLLVM shared library on this machine")
	}
	b, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {Symbols: true}} {
		want, wantErr := InspectELF(bytes.NewReader(b), int64(len(b)), opts)
		got, passes, err := streamOf(b, opts)
		sameResult(t, files[len(files)-1], want, wantErr, got, err)
		if passes != 1 {
			t.Errorf("%d passes, want 1", passes)
		}
	}
}
