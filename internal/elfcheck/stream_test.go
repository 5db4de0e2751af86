package elfcheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// streamObjects are the synthesized objects InspectStream must agree with
// InspectELF on, beside the fixtures: hostile ones, and sections in orders
// no linker uses.
func streamObjects() map[string][]byte {
	needs := []string{"libc.so.6", "libm.so.6", "GLIBC_2.17", "GLIBC_2.34"}
	vn := verneedHonest(1, 21, 32)
	return map[string][]byte{
		"plain":                     genELF{needed: needs, verneedRaw: vn, interp: "/lib/ld-musl-x86_64.so.1"}.build(),
		"runpath":                   genELF{needed: needs, runpath: "$ORIGIN/a:$ORIGIN/b:$ORIGIN/a"}.build(),
		"dynamic first":             genELF{needed: needs, verneedRaw: vn, order: []int{1, 2, 0, 3}}.build(),
		"verneed first":             genELF{needed: needs, verneedRaw: vn, order: []int{2, 3, 1, 0}}.build(),
		"section headers first":     genELF{needed: needs, verneedRaw: vn, shdrFirst: true, order: []int{3, 1, 2, 0}}.build(),
		"past the window":           genELF{needed: needs, verneedRaw: vn, interp: "/lib64/ld-linux-x86-64.so.2", lead: streamWindow + 100, pad: tailWindow + 100}.build(),
		"at the end, as patchelf":   genELF{needed: needs, verneedRaw: vn, interp: "/lib64/ld-linux-x86-64.so.2", lead: streamWindow + 100}.build(),
		"past the window, reversed": genELF{needed: needs, verneedRaw: vn, lead: streamWindow, order: []int{3, 2, 1, 0}, shdrFirst: true}.build(),
		"verneed bomb":              genELF{needed: []string{"libc.so.6"}, verneedRaw: verneedBomb(512, 512)}.build(),
		"needed repeated":           genELF{needed: []string{"libx.so.1"}, dyn: [][2]uint64{{1, 1}, {1, 1}, {1, 1}, {0, 0}}}.build(),
		"dynstr oversized":          genELF{needed: []string{"libc.so.6"}, dynstrSize: 1 << 40}.build(),
		"padded":                    genELF{needed: needs, verneedRaw: vn, pad: 1 << 20}.build(),
	}
}

func fixtures(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || filepath.Ext(p) == ".sh" {
			continue // build.sh, fuzz/
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// streamOf inspects b as a stream that can be reopened, counting passes.
func streamOf(b []byte, opts Options) (*ELFInfo, int, error) {
	passes := 1
	opts.Reopen = func() (io.ReadCloser, error) {
		passes++
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	info, err := InspectStream(iotest.HalfReader(bytes.NewReader(b)), int64(len(b)), opts)
	return info, passes, err
}

// sameResult reports whether InspectStream's result matches InspectELF's:
// equal info, or both a *FormatError.
func sameResult(t testing.TB, name string, want *ELFInfo, wantErr error, got *ELFInfo, err error) {
	t.Helper()
	var fe *FormatError
	switch {
	case wantErr != nil:
		if !errors.As(err, &fe) {
			t.Errorf("%s: InspectStream = %v; InspectELF: %v", name, err, wantErr)
		}
	case err != nil:
		t.Errorf("%s: InspectStream: %v; InspectELF succeeded", name, err)
	case !reflect.DeepEqual(got, want):
		t.Errorf("%s: InspectStream = %+v\nInspectELF = %+v", name, got, want)
	}
}

func TestInspectStreamAgrees(t *testing.T) {
	objs := fixtures(t)
	for name, b := range streamObjects() {
		objs[name] = b
	}
	for name, b := range objs {
		for _, opts := range []Options{{}, {Symbols: true}} {
			want, wantErr := InspectELF(bytes.NewReader(b), int64(len(b)), opts)
			got, passes, err := streamOf(b, opts)
			sameResult(t, name, want, wantErr, got, err)
			if passes > 1 && !strings.Contains(name, "window") {
				t.Errorf("%s: %d passes, want 1", name, passes)
			}
			// Small windows send every object through further passes.
			for _, w := range []int64{64, 512, 4096} {
				ropts := opts
				ropts.Reopen = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
				got, err := inspectStream(bytes.NewReader(b), int64(len(b)), ropts, w)
				sameResult(t, fmt.Sprintf("%s, window %d", name, w), want, wantErr, got, err)
			}
		}
	}
}

// TestInspectStreamReopen: an object whose sections lie past the window
// needs a second pass, and says so when it cannot have one.
func TestInspectStreamReopen(t *testing.T) {
	b := streamObjects()["past the window"]
	if _, err := InspectStream(bytes.NewReader(b), int64(len(b)), Options{}); !errors.Is(err, ErrNeedsReopen) {
		t.Errorf("without Reopen: %v, want ErrNeedsReopen", err)
	}
	info, passes, err := streamOf(b, Options{})
	if err != nil || passes != 2 || len(info.Needed) != 4 {
		t.Errorf("with Reopen: %d passes, %+v, %v; want 2 passes and 4 libraries", passes, info, err)
	}
}

// TestInspectStreamErrors: the stream's own error comes back wrapped, and
// a stream shorter than declared is malformed.
func TestInspectStreamErrors(t *testing.T) {
	b := readFixture(t, "hello-x86_64")
	boom := errors.New("checksum mismatch")
	r := io.MultiReader(bytes.NewReader(b), iotest.ErrReader(boom))
	if _, err := InspectStream(r, int64(len(b)), Options{}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap the reader's error", err)
	}
	var fe *FormatError
	if _, err := InspectStream(bytes.NewReader(b[:len(b)-1]), int64(len(b)), Options{}); !errors.As(err, &fe) {
		t.Errorf("short stream: %v, want a *FormatError", err)
	}
}

// zeros yields n zero bytes.
type zeros int64

func (z *zeros) Read(p []byte) (int, error) {
	if *z <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), int64(*z))
	clear(p[:n])
	*z -= zeros(n)
	return int(n), nil
}

// TestInspectStreamMemory: an ELF header followed by 260 MB of zeros
// (hostile-cases D6) is read through with a few MiB.
func TestInspectStreamMemory(t *testing.T) {
	hdr := genELF{needed: []string{"libc.so.6"}}.build()
	const size = 260_000_000
	z := zeros(size - len(hdr))
	var info *ELFInfo
	var err error
	got := allocated(func() {
		info, err = InspectStream(io.MultiReader(bytes.NewReader(hdr), &z), size, Options{})
	})
	if err != nil || len(info.Needed) != 1 {
		t.Fatalf("InspectStream = %+v, %v", info, err)
	}
	// The window and the tail grow by doubling with the bytes that arrive:
	// under twice themselves in all, plus small change.
	if got > 2*(streamWindow+tailWindow)+1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte object", got, size)
	}
}

// TestInspectStreamEmptyRanges: a zero-length PT_INTERP past the window
// needs no bytes; asking a further pass for none would use up the passes
// and fail an object InspectELF reads.
func TestInspectStreamEmptyRanges(t *testing.T) {
	b := genELF{needed: []string{"libc.so.6"}, interp: "x", lead: 4096}.build()
	// Point PT_INTERP (filesz 2) at the end of the file with no bytes.
	binary.LittleEndian.PutUint64(b[64+8:], uint64(len(b)))
	binary.LittleEndian.PutUint64(b[64+32:], 0)
	want, wantErr := InspectELF(bytes.NewReader(b), int64(len(b)), Options{})
	opts := Options{Reopen: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
	got, err := inspectStream(bytes.NewReader(b), int64(len(b)), opts, 64)
	sameResult(t, "empty PT_INTERP", want, wantErr, got, err)
}
