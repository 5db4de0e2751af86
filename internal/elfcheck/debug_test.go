package elfcheck

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debugBytesOf is what ELFInfo.DebugBytes should be, computed with
// debug/elf: the non-allocated .debug_*, .zdebug_*, .symtab and .strtab
// sections.
func debugBytesOf(t *testing.T, b []byte) int64 {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 && s.Type != elf.SHT_NOBITS && debugSection(s.Name) {
			n += int64(s.FileSize)
		}
	}
	return n
}

// TestDebugBytes: an object built with -g counts its debug sections and
// symbol table, the same one stripped counts 0, and the file and stream
// paths agree with debug/elf on every fixture.
func TestDebugBytes(t *testing.T) {
	objs := fixtures(t)
	if gcc, err := exec.LookPath("gcc"); err == nil {
		dir := t.TempDir()
		src := filepath.Join(dir, "a.c")
		if err := os.WriteFile(src, []byte("int answer(void) { return 42; }\nstatic int unused(int x) { return x * 2; }\nint use(int y) { return unused(y); }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for name, args := range map[string][]string{
			"debug.so":    {"-g", "-shared", "-fPIC", "-o", filepath.Join(dir, "debug.so"), src},
			"stripped.so": {"-s", "-shared", "-fPIC", "-o", filepath.Join(dir, "stripped.so"), src},
		} {
			if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
				t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			objs[name] = b
		}
		if n := debugBytesOf(t, objs["debug.so"]); n == 0 {
			t.Fatal("gcc -g made no debug sections")
		}
		if n := debugBytesOf(t, objs["stripped.so"]); n != 0 {
			t.Fatalf("gcc -s left %d bytes of debug sections", n)
		}
	}
	for name, b := range objs {
		if _, err := elf.NewFile(bytes.NewReader(b)); err != nil {
			continue
		}
		want := debugBytesOf(t, b)
		info, err := InspectELF(bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.DebugBytes != want {
			t.Errorf("%s: InspectELF DebugBytes = %d, debug/elf %d", name, info.DebugBytes, want)
		}
		sinfo, _, err := streamOf(b, Options{})
		if err != nil {
			t.Fatalf("%s: stream: %v", name, err)
		}
		if sinfo.DebugBytes != want {
			t.Errorf("%s: InspectStream DebugBytes = %d, debug/elf %d", name, sinfo.DebugBytes, want)
		}
	}
}
