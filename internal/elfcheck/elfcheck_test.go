package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inspect(t *testing.T, b []byte) (*ELFInfo, error) {
	t.Helper()
	return InspectELF(bytes.NewReader(b), int64(len(b)), Options{Symbols: true})
}

func TestInspectFixtures(t *testing.T) {
	tests := []struct {
		file     string
		class    elf.Class
		machine  elf.Machine
		typ      elf.Type
		interp   string
		needed   []string
		runpath  []string
		glibc    string
		glibcxx  string
		musl     bool
		defines  string
		importes string
	}{
		{file: "libanswer-x86_64.so", class: elf.ELFCLASS64, machine: elf.EM_X86_64, typ: elf.ET_DYN, defines: "answer"},
		{file: "libanswer-arm64.so", class: elf.ELFCLASS64, machine: elf.EM_AARCH64, typ: elf.ET_DYN, defines: "answer"},
		{file: "libanswer-i386.so", class: elf.ELFCLASS32, machine: elf.EM_386, typ: elf.ET_DYN, defines: "answer"},
		{file: "hello-x86_64", class: elf.ELFCLASS64, machine: elf.EM_X86_64, typ: elf.ET_DYN,
			interp: "/lib64/ld-linux-x86-64.so.2", needed: []string{"libc.so.6"}, glibc: "2.34", importes: "puts"},
		{file: "hello-arm64", class: elf.ELFCLASS64, machine: elf.EM_AARCH64, typ: elf.ET_DYN,
			interp: "/lib/ld-linux-aarch64.so.1", needed: []string{"libc.so.6"}, glibc: "2.34"},
		{file: "hello-musl-arm64", class: elf.ELFCLASS64, machine: elf.EM_AARCH64, typ: elf.ET_DYN,
			interp: "/lib/ld-musl-aarch64.so.1", needed: []string{"libc.so.6"}, glibc: "2.34", musl: true},
		{file: "libneeds-x86_64.so", class: elf.ELFCLASS64, machine: elf.EM_X86_64, typ: elf.ET_DYN,
			needed: []string{"libmissing.so.1"}, runpath: []string{"$ORIGIN/../lib"}, importes: "missing_fn"},
		{file: "libcxx-x86_64.so", class: elf.ELFCLASS64, machine: elf.EM_X86_64, typ: elf.ET_DYN,
			needed: []string{"libstdc++.so.6", "libgcc_s.so.1"}, glibcxx: "3.4.30"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readFixture(t, tt.file)
			if id := Identify(b[:HeadSize], tt.file); id.Format != ELF {
				t.Fatalf("Identify = %v, want ELF", id.Format)
			}
			info, err := inspect(t, b)
			if err != nil {
				t.Fatal(err)
			}
			if info.Class != tt.class || info.Machine != tt.machine || info.Type != tt.typ || info.Data != elf.ELFDATA2LSB {
				t.Errorf("got %v %v %v %v, want %v %v %v LSB", info.Class, info.Machine, info.Type, info.Data, tt.class, tt.machine, tt.typ)
			}
			if info.Interp != tt.interp {
				t.Errorf("Interp = %q, want %q", info.Interp, tt.interp)
			}
			if tt.needed != nil && !slices.Equal(info.Needed, tt.needed) {
				t.Errorf("Needed = %q, want %q", info.Needed, tt.needed)
			}
			if !slices.Equal(info.RunPath, tt.runpath) {
				t.Errorf("RunPath = %q, want %q", info.RunPath, tt.runpath)
			}
			if got := info.MaxVersion("GLIBC_"); tt.glibc != "" && got != tt.glibc {
				t.Errorf("MaxVersion(GLIBC_) = %q, want %q", got, tt.glibc)
			}
			if got := info.MaxVersion("GLIBCXX_"); got != tt.glibcxx {
				t.Errorf("MaxVersion(GLIBCXX_) = %q, want %q", got, tt.glibcxx)
			}
			if info.Musl() != tt.musl {
				t.Errorf("Musl() = %v, want %v", info.Musl(), tt.musl)
			}
			if tt.defines != "" && !slices.Contains(info.Symbols, tt.defines) {
				t.Errorf("Symbols %q lack %q", info.Symbols, tt.defines)
			}
			if tt.importes != "" && !slices.Contains(info.Imports, tt.importes) {
				t.Errorf("Imports %q lack %q", info.Imports, tt.importes)
			}
			h, ok := ParseHeader(b)
			if !ok || h.Machine != tt.machine || h.Class != tt.class {
				t.Errorf("ParseHeader = %+v, %v", h, ok)
			}
		})
	}
}

// TestInspectBroken feeds truncated and corrupted objects: each must give a
// *FormatError, never a panic or a silent success with garbage.
func TestInspectBroken(t *testing.T) {
	good := readFixture(t, "libneeds-x86_64.so")
	cases := map[string][]byte{
		"empty":        {},
		"magic only":   []byte("\x7fELF"),
		"header only":  good[:64],
		"half":         good[:len(good)/2],
		"no shdrs":     good[:len(good)-64*3],
		"shoff beyond": patch64(good, 0x28, uint64(len(good))*4),
		"shnum huge":   patch16(good, 0x3c, 0xffff),
		"bad class":    patch8(good, 4, 9),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := inspect(t, b)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *FormatError", err, err)
			}
		})
	}
}

func patch8(b []byte, off int, v byte) []byte {
	c := bytes.Clone(b)
	c[off] = v
	return c
}

func patch16(b []byte, off int, v uint16) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint16(c[off:], v)
	return c
}

func patch64(b []byte, off int, v uint64) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint64(c[off:], v)
	return c
}

// Synthesized heads for the formats no cross-compiler here produces.
func machoHead(magic, cpu uint32, order binary.ByteOrder) []byte {
	b := make([]byte, 32)
	order.PutUint32(b, magic)
	order.PutUint32(b[4:], cpu)
	return b
}

func fatHead(cpus ...uint32) []byte {
	b := make([]byte, 8+20*len(cpus))
	binary.BigEndian.PutUint32(b, 0xcafebabe)
	binary.BigEndian.PutUint32(b[4:], uint32(len(cpus)))
	for i, c := range cpus {
		binary.BigEndian.PutUint32(b[8+20*i:], c)
	}
	return b
}

func peHead(machine uint16) []byte {
	b := make([]byte, 0x100)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], machine)
	return b
}

func elfHead(class elf.Class, data elf.Data, machine elf.Machine) []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = byte(class), byte(data), 1
	if data == elf.ELFDATA2MSB {
		binary.BigEndian.PutUint16(b[18:], uint16(machine))
	} else {
		binary.LittleEndian.PutUint16(b[18:], uint16(machine))
	}
	return b
}

func TestIdentify(t *testing.T) {
	tests := []struct {
		name   string
		head   []byte
		want   Format
		detail string
	}{
		{"_speedups.cpython-312-darwin.so", machoHead(0xfeedfacf, 0x0100000c, binary.LittleEndian), MachO, "Mach-O 64-bit arm64"},
		{"old.so", machoHead(0xfeedface, 7, binary.BigEndian), MachO, "Mach-O 32-bit i386"},
		{"_fat.so", fatHead(0x01000007, 0x0100000c), MachOUniversal, "Mach-O universal binary (x86_64, arm64)"},
		{"Main.class", fatHead(0x01000007, 0x0100000c), Other, ""},
		{"Thing.class", append([]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52}, make([]byte, 16)...), Other, ""},
		{"_foo.pyd", peHead(0x8664), PE, "PE x86-64 (Windows)"},
		{"arm.dll", peHead(0xaa64), PE, "PE arm64 (Windows)"},
		{"notpe.txt", append([]byte("MZ"), make([]byte, 100)...), Other, ""},
		{"run.sh", []byte("#!/bin/bash\necho hi\n"), Script, "script: #!/bin/bash"},
		{"data.bin", []byte{1, 2, 3}, Other, ""},
		{"empty", nil, Other, ""},
		{"be.so", elfHead(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_AARCH64), ELF, "ELF"},
	}
	for _, tt := range tests {
		id := Identify(tt.head, tt.name)
		if id.Format != tt.want || (tt.detail != "" && id.Detail != tt.detail) {
			t.Errorf("Identify(%s) = %v %q, want %v %q", tt.name, id.Format, id.Detail, tt.want, tt.detail)
		}
	}
	h, ok := ParseHeader(elfHead(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_AARCH64))
	if !ok || h.Data != elf.ELFDATA2MSB || h.Machine != elf.EM_AARCH64 {
		t.Errorf("ParseHeader(big-endian) = %+v, %v", h, ok)
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.34", "2.26", 1}, {"2.4", "2.26", -1}, {"2.26", "2.26", 0}, {"3.4.30", "3.4.29", 1},
		{"3.4", "3.4.0", 0}, {"1.3.9", "1.3.13", -1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestAgreesWithDebugELF compares the hand-read .dynamic and
// .gnu.version_r with debug/elf's own readers on every fixture.
func TestAgreesWithDebugELF(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		f, err := elf.Open(p)
		if err != nil {
			continue // build.sh
		}
		b, _ := os.ReadFile(p)
		info, err := inspect(t, b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		libs, _ := f.ImportedLibraries()
		if !slices.Equal(libs, info.Needed) && !(len(libs) == 0 && len(info.Needed) == 0) {
			t.Errorf("%s: Needed %q, debug/elf %q", p, info.Needed, libs)
		}
		needs, err := f.DynamicVersionNeeds()
		if err == nil {
			want := map[string][]string{}
			for _, n := range needs {
				for _, d := range n.Needs {
					want[n.Name] = append(want[n.Name], d.Dep)
				}
			}
			if len(want) != len(info.Versions) {
				t.Errorf("%s: Versions %q, debug/elf %q", p, info.Versions, want)
			}
			for k, v := range want {
				if !slices.Equal(v, info.Versions[k]) {
					t.Errorf("%s: Versions[%s] %q, debug/elf %q", p, k, info.Versions[k], v)
				}
			}
		}
		f.Close()
	}
}
