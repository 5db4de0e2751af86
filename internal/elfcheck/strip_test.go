package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// stripBytes plans and composes the stripped form of data, failing the
// test when there is nothing to strip.
func stripBytes(t *testing.T, data []byte) (*Stripped, []byte) {
	t.Helper()
	s, err := PlanStrip(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("PlanStrip: %v", err)
	}
	if s == nil {
		t.Fatal("PlanStrip found nothing to strip")
	}
	out := make([]byte, s.Size)
	if n, err := s.Reader(bytes.NewReader(data)).ReadAt(out, 0); n != len(out) || err != nil {
		t.Fatalf("reading the stripped object: %d of %d bytes, %v", n, len(out), err)
	}
	return s, out
}

// The fixtures built with -g (testdata/build.sh) lose their debug
// sections, symbol table and .comment, keep everything the loader maps,
// and pass VerifyStrip; stripping again finds nothing.
func TestPlanStripFixtures(t *testing.T) {
	for _, name := range []string{"libdbg-x86_64.so", "hello-dbg-x86_64", "libdbg-arm64.so", "hello-dbg-arm64", "libdbg-i386.so"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			s, out := stripBytes(t, data)
			for _, want := range []string{".debug_info", ".debug_line", ".symtab", ".strtab", ".comment"} {
				if !slices.Contains(s.Removed, want) {
					t.Errorf("Removed = %v; want %s in it", s.Removed, want)
				}
			}
			if s.Saved() <= 0 || s.Size != int64(len(out)) {
				t.Errorf("Size %d, Saved %d of %d bytes", s.Size, s.Saved(), len(data))
			}
			if err := VerifyStrip(bytes.NewReader(data), int64(len(data)), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Fatalf("VerifyStrip: %v", err)
			}
			f, err := elf.NewFile(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			for _, sec := range f.Sections {
				if strings.HasPrefix(sec.Name, ".debug") || sec.Name == ".symtab" || sec.Name == ".strtab" || sec.Name == ".comment" {
					t.Errorf("section %s is still there", sec.Name)
				}
			}
			if f.Section(".shstrtab") == nil || f.Section(".dynsym") == nil || f.Section(".text") == nil {
				t.Errorf("a section that stays is missing: %v", f.Sections)
			}
			// The section indices other headers name follow the moves.
			for _, sec := range f.Sections {
				if sec.Link >= uint32(len(f.Sections)) {
					t.Errorf("section %s links to %d of %d sections", sec.Name, sec.Link, len(f.Sections))
				}
			}
			if again, err := PlanStrip(bytes.NewReader(out), int64(len(out))); err != nil || again != nil {
				t.Errorf("stripping again: %+v, %v; want nothing to strip", again, err)
			}
			_, out2 := stripBytes(t, data)
			if !bytes.Equal(out, out2) {
				t.Error("two strips of one object differ")
			}
		})
	}
}

// The stripped x86_64 executable and library still load and run.
func TestStrippedRuns(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("runs x86_64 Linux fixtures")
	}
	dir := t.TempDir()
	for src, dst := range map[string]string{"libdbg-x86_64.so": "libdbg.so", "hello-dbg-x86_64": "hello"} {
		data, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		_, out := stripBytes(t, data)
		if err := os.WriteFile(filepath.Join(dir, dst), out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := exec.Command(filepath.Join(dir, "hello")).CombinedOutput()
	if err != nil || string(got) != "libdbg 42\n" {
		t.Fatalf("running the stripped pair: %q, %v; want \"libdbg 42\\n\"", got, err)
	}
}

// flipped reads r with one byte inverted.
type flipped struct {
	r  io.ReaderAt
	at int64
}

func (f flipped) ReadAt(b []byte, off int64) (int, error) {
	n, err := f.r.ReadAt(b, off)
	if i := f.at - off; i >= 0 && i < int64(n) {
		b[i] ^= 0xff
	}
	return n, err
}

// VerifyStrip catches a changed byte in a loaded segment, in the program
// header table and in the ELF header outside its section fields, and in
// a kept section.
func TestVerifyStripCatches(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	_, out := stripBytes(t, data)
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var loads []*elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	last := loads[len(loads)-1]
	sf, _ := elf.NewFile(bytes.NewReader(out))
	for name, at := range map[string]int64{
		"text":          int64(f.Section(".text").Offset) + 3,
		"last segment":  int64(last.Off + last.Filesz - 1),
		"program table": 64 + 4,
		"e_machine":     18,
		"shstrtab":      int64(sf.Section(".shstrtab").Offset) + 1,
	} {
		err := VerifyStrip(bytes.NewReader(data), int64(len(data)), flipped{bytes.NewReader(out), at}, int64(len(out)))
		if !errors.Is(err, ErrStripChanged) {
			t.Errorf("%s changed at %d: VerifyStrip = %v; want ErrStripChanged", name, at, err)
		}
	}
}

// Debug sections that lie inside a program header's range (as between the
// segments patchelf adds) stay: nothing past the last range is left to
// remove but the section-name table, which always stays.
func TestPlanStripKeepsPinned(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	end := f.Section(".strtab").Offset + f.Section(".strtab").Size
	// Point the GNU_STACK header (no file range) over the debug sections.
	for i, p := range f.Progs {
		if p.Type == elf.PT_GNU_STACK {
			ph := data[64+56*i:]
			binary.LittleEndian.PutUint64(ph[8:], f.Section(".comment").Offset)
			binary.LittleEndian.PutUint64(ph[32:], end-f.Section(".comment").Offset)
		}
	}
	s, err := PlanStrip(bytes.NewReader(data), int64(len(data)))
	if err != nil || s != nil {
		t.Fatalf("PlanStrip = %+v, %v; want nothing to strip", s, err)
	}
}

// A symbol that names a section by index pins every index up to it: the
// sections before it stay, so its index still names the same section.
func TestPlanStripKeepsNamedIndices(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dynsym := f.Section(".dynsym")
	var line int
	for i, s := range f.Sections {
		if s.Name == ".debug_line" {
			line = i
		}
	}
	// The last dynamic symbol now claims to be defined in .debug_line.
	e := data[dynsym.Offset+dynsym.Size-24:]
	binary.LittleEndian.PutUint16(e[6:], uint16(line))
	s, out := stripBytes(t, data)
	for _, kept := range []string{".comment", ".debug_info", ".debug_line"} {
		if slices.Contains(s.Removed, kept) {
			t.Errorf("Removed = %v; %s comes before the named index and must stay", s.Removed, kept)
		}
	}
	if !slices.Contains(s.Removed, ".symtab") {
		t.Errorf("Removed = %v; want .symtab, past the named index", s.Removed)
	}
	sf, err := elf.NewFile(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if sf.Sections[line].Name != ".debug_line" {
		t.Errorf("section %d is %s; want .debug_line still", line, sf.Sections[line].Name)
	}
}

// Bytes appended past the last section (a payload some tools add) leave
// the object unstripped. An object ld -s stripped loses only .comment.
func TestPlanStripAppendedData(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("PAYLOAD appended by a packer")...)
	if s, err := PlanStrip(bytes.NewReader(data), int64(len(data))); err != nil || s != nil {
		t.Fatalf("PlanStrip = %+v, %v; want nothing to strip", s, err)
	}
	plain, err := os.ReadFile(filepath.Join("testdata", "libanswer-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	s, out := stripBytes(t, plain)
	if !slices.Equal(s.Removed, []string{".comment"}) {
		t.Errorf("Removed = %v; want only .comment from an object ld -s stripped", s.Removed)
	}
	if err := VerifyStrip(bytes.NewReader(plain), int64(len(plain)), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Error(err)
	}
}

// A truncated object is a *FormatError, never a panic.
func TestPlanStripTruncated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{10, 63, 200, len(data) / 2, len(data) - 1} {
		_, err := PlanStrip(bytes.NewReader(data[:n]), int64(n))
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%d bytes: PlanStrip error = %v; want a *FormatError", n, err)
		}
	}
}

func FuzzPlanStrip(f *testing.F) {
	for _, name := range []string{"libdbg-x86_64.so", "libdbg-i386.so", "libanswer-arm64.so", "hello-dbg-arm64"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Whatever PlanStrip makes of an object debug/elf reads, VerifyStrip
	// accepts: the plan never touches what the check guards.
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := PlanStrip(bytes.NewReader(data), int64(len(data)))
		if err != nil || s == nil {
			return
		}
		out := make([]byte, s.Size)
		if n, err := s.Reader(bytes.NewReader(data)).ReadAt(out, 0); n != len(out) || err != nil {
			t.Fatalf("reading %d stripped bytes: %d, %v", len(out), n, err)
		}
		err = VerifyStrip(bytes.NewReader(data), int64(len(data)), bytes.NewReader(out), int64(len(out)))
		if errors.Is(err, ErrStripChanged) && parses(data) {
			t.Fatal(err)
		}
	})
}

// A Go program built with DWARF and a symbol table (the Go linker puts
// its section header table inside the first segment) loses both, verifies,
// and still runs.
func TestStripGoBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs an ELF binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build a program with")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from go\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command(goBin, "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	s, out := stripBytes(t, data)
	if !slices.Contains(s.Removed, ".debug_info") || !slices.Contains(s.Removed, ".symtab") {
		t.Errorf("Removed = %v; want .debug_info and .symtab in it", s.Removed)
	}
	if err := VerifyStrip(bytes.NewReader(data), int64(len(data)), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, out, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(bin).CombinedOutput()
	if err != nil || string(got) != "hello from go\n" {
		t.Fatalf("running the stripped program: %q, %v", got, err)
	}
	t.Logf("%d -> %d bytes, removed %v", len(data), s.Size, s.Removed)
}

// A relocation section that only serves a removed section, itself named by
// another kept section, stays with what it serves: settling which
// sections go ends, where removing and restoring it would go round for
// ever.
func TestPlanStripSettles(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "libdbg-x86_64.so"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, s := range f.Sections {
		idx[s.Name] = i
	}
	shoff := binary.LittleEndian.Uint64(data[40:])
	hdr := func(i int) []byte { return data[shoff+uint64(64*i):] }
	shstrName := binary.LittleEndian.Uint32(hdr(idx[".shstrtab"]))
	a, b, c := idx[".debug_info"], idx[".debug_aranges"], idx[".comment"]
	// A: named like the name table (so not a debug section by name), a
	// RELA section whose target is B, a debug section that goes.
	binary.LittleEndian.PutUint32(hdr(a)[0:], shstrName)
	binary.LittleEndian.PutUint32(hdr(a)[4:], uint32(elf.SHT_RELA))
	binary.LittleEndian.PutUint32(hdr(a)[44:], uint32(b))
	// C: another such section that links to A.
	binary.LittleEndian.PutUint32(hdr(c)[0:], shstrName)
	binary.LittleEndian.PutUint32(hdr(c)[40:], uint32(a))

	done := make(chan struct{})
	var s *Stripped
	go func() {
		defer close(done)
		s, err = PlanStrip(bytes.NewReader(data), int64(len(data)))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("PlanStrip did not end")
	}
	if err != nil || s == nil {
		t.Fatalf("PlanStrip = %v, %v", s, err)
	}
	if slices.Contains(s.Removed, ".debug_aranges") || !slices.Contains(s.Removed, ".debug_line") {
		t.Errorf("Removed = %v; want .debug_aranges kept (a kept section needs it), .debug_line removed", s.Removed)
	}
}

// parses reports whether debug/elf reads data without an error or a panic.
func parses(data []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := elf.NewFile(bytes.NewReader(data))
	return err == nil
}
