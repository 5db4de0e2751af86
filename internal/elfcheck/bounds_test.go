package elfcheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestVerneedBomb: 4,096 .gnu.version_r records sharing one chain of 4,096
// auxiliary records (hostile-cases D3: 1.1 GB and 3 s before). The work is
// bounded by the section's size, and the object is malformed.
func TestVerneedBomb(t *testing.T) {
	b := genELF{needed: []string{"libc.so.6"}, verneedRaw: verneedBomb(4096, 4096)}.build()
	var err error
	got := allocated(func() { _, err = InspectELF(bytes.NewReader(b), int64(len(b)), Options{}) })
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Errorf("err = %v, want a *FormatError", err)
	}
	if got > 16<<20 {
		t.Errorf("allocated %d bytes for a %d-byte object", got, len(b))
	}
}

// TestVerneedDistinct: the same version needed twice from one library is
// listed once.
func TestVerneedDistinct(t *testing.T) {
	// .dynstr: \0 libc.so.6 \0 GLIBC_2.17 \0 GLIBC_2.34 \0
	b := genELF{needed: []string{"libc.so.6", "GLIBC_2.17", "GLIBC_2.34"}, verneedRaw: verneedHonest(1, 11, 22, 11)}.build()
	info, err := InspectELF(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"GLIBC_2.17", "GLIBC_2.34"}; !slices.Equal(info.Versions["libc.so.6"], want) {
		t.Errorf("Versions = %q, want libc.so.6: %q", info.Versions, want)
	}
}

// TestNeededAndRunPathBounded: DT_NEEDED repeated 100,000 times and a
// RUNPATH of 20,000 folders (hostile-cases D4).
func TestNeededAndRunPathBounded(t *testing.T) {
	dyn := make([][2]uint64, 100_000, 100_001)
	for i := range dyn {
		dyn[i] = [2]uint64{1, 1}
	}
	b := genELF{needed: []string{"libx.so.1"}, dyn: append(dyn, [2]uint64{0, 0})}.build()
	info, err := InspectELF(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Needed, []string{"libx.so.1"}) {
		t.Errorf("Needed has %d entries, want libx.so.1 once", len(info.Needed))
	}
	var dirs []string
	for i := range 20_000 {
		dirs = append(dirs, fmt.Sprintf("$ORIGIN/d%d", i%10_000)) // each twice
	}
	b = genELF{needed: []string{"libm.so.6"}, runpath: strings.Join(dirs, ":")}.build()
	info, err = InspectELF(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.RunPath) != MaxRunPath || info.RunPath[0] != "$ORIGIN/d0" || info.RunPath[MaxRunPath-1] != fmt.Sprintf("$ORIGIN/d%d", MaxRunPath-1) {
		t.Errorf("RunPath has %d folders (%q…), want the first %d", len(info.RunPath), info.RunPath[:min(3, len(info.RunPath))], MaxRunPath)
	}
	b = genELF{needed: []string{"libm.so.6"}, runpath: "$ORIGIN/a:$ORIGIN/b:$ORIGIN/a::$ORIGIN/b"}.build()
	if info, _ = InspectELF(bytes.NewReader(b), int64(len(b)), Options{}); !slices.Equal(info.RunPath, []string{"$ORIGIN/a", "$ORIGIN/b"}) {
		t.Errorf("RunPath = %q, want each folder once", info.RunPath)
	}
}

// TestSparseDynstr: a 1 GiB sparse file whose .dynstr claims all of it
// (hostile-cases D5: 4 GB and 15 s before). Only the strings .dynamic
// points at are read.
func TestSparseDynstr(t *testing.T) {
	const size = 1 << 30
	p := filepath.Join(t.TempDir(), "x.so")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(genELF{needed: []string{"libc.so.6"}, dynstrSize: size - 64}.build()); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	var info *ELFInfo
	got := allocated(func() { info, err = InspectELF(f, size, Options{Symbols: true}) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Needed, []string{"libc.so.6"}) {
		t.Errorf("Needed = %q", info.Needed)
	}
	if got > 1<<20 {
		t.Errorf("allocated %d bytes", got)
	}
}

// TestLongString: a string longer than maxStringBytes is cut there, and
// the bytes read for one object's strings are bounded.
func TestLongString(t *testing.T) {
	b := genELF{needed: []string{strings.Repeat("x", maxStringBytes+100)}}.build()
	info, err := InspectELF(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Needed) != 1 || len(info.Needed[0]) != maxStringBytes {
		t.Errorf("Needed[0] has %d bytes, want %d", len(info.Needed[0]), maxStringBytes)
	}
	// 2,000 DT_NEEDED at distinct offsets inside one 1 MiB string: each
	// reads up to maxStringBytes, over maxStringTotal in all.
	long := strings.Repeat("y", 1<<20)
	dyn := make([][2]uint64, 0, 2001)
	for i := range 2000 {
		dyn = append(dyn, [2]uint64{1, uint64(1 + i*500)})
	}
	b = genELF{needed: []string{long}, dyn: append(dyn, [2]uint64{0, 0})}.build()
	var fe *FormatError
	if _, err := InspectELF(bytes.NewReader(b), int64(len(b)), Options{}); !errors.As(err, &fe) {
		t.Errorf("err = %v, want a *FormatError", err)
	}
}
