package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"
)

// HeadSize is how many leading bytes of a file Identify needs to tell every
// format apart, including a PE file whose "PE\0\0" signature sits at the
// offset stored at 0x3C (the DOS stub is 64 bytes; linkers put the PE header
// within the first few hundred bytes).
const HeadSize = 1024

// Format is what a file is, judged by its bytes.
type Format uint8

// The formats Identify tells apart.
const (
	Other          Format = iota
	ELF                   // 7f 'E' 'L' 'F'
	MachO                 // thin Mach-O: feedface/feedfacf in either byte order
	MachOUniversal        // fat Mach-O: cafebabe with a small architecture count
	PE                    // "MZ" with "PE\0\0" at the offset stored at 0x3C
	Script                // "#!" interpreter line
)

var formatNames = [...]string{"other", "ELF", "Mach-O", "Mach-O universal", "PE", "script"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", f)
}

// Native reports whether the format is a native binary (ELF, Mach-O or PE).
func (f Format) Native() bool { return f == ELF || f == MachO || f == MachOUniversal || f == PE }

// Identification is what Identify learned from a file's head.
type Identification struct {
	Format Format
	// Detail describes the binary for a person: "Mach-O 64-bit arm64",
	// "PE32+ x86-64", "ELF" (InspectELF says more), or the script's
	// interpreter.
	Detail string
}

// Mach-O constants from <mach-o/loader.h> and <mach-o/fat.h>.
const (
	machoMagic32 = 0xfeedface
	machoMagic64 = 0xfeedfacf
	machoFat     = 0xcafebabe
	// maxFatArches tells a universal binary from a Java class file, which
	// shares the cafebabe magic: there the next 4 bytes hold the class
	// file's version (major 45 or more), in a fat header the number of
	// architectures, a handful in practice. file(1) uses the same cut.
	maxFatArches = 30
)

// Identify names the format of a file from its first bytes (HeadSize of
// them, or the whole file when it is shorter) and its base name, which is
// consulted only where bytes are ambiguous: cafebabe is a universal Mach-O
// binary unless the name ends in ".class".
func Identify(head []byte, name string) Identification {
	if len(head) >= 4 && bytes.Equal(head[:4], []byte("\x7fELF")) {
		return Identification{Format: ELF, Detail: "ELF"}
	}
	if len(head) >= 8 {
		le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head)
		switch {
		case le == machoMagic32 || le == machoMagic64 || be == machoMagic32 || be == machoMagic64:
			bo := binary.ByteOrder(binary.LittleEndian)
			if be == machoMagic32 || be == machoMagic64 {
				bo = binary.BigEndian
			}
			bits := "32-bit"
			if le == machoMagic64 || be == machoMagic64 {
				bits = "64-bit"
			}
			return Identification{Format: MachO, Detail: "Mach-O " + bits + " " + machoCPU(bo.Uint32(head[4:]))}
		case be == machoFat && !strings.HasSuffix(name, ".class"):
			if n := binary.BigEndian.Uint32(head[4:]); n > 0 && n < maxFatArches {
				return Identification{Format: MachOUniversal, Detail: fatDetail(head, int(n))}
			}
		}
	}
	if id, ok := identifyPE(head); ok {
		return id
	}
	if len(head) >= 2 && head[0] == '#' && head[1] == '!' {
		line := head[2:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		return Identification{Format: Script, Detail: "script: #!" + strings.TrimSpace(string(line))}
	}
	return Identification{Format: Other}
}

func machoCPU(t uint32) string {
	switch t {
	case 0x01000007:
		return "x86_64"
	case 0x0100000c:
		return "arm64"
	case 7:
		return "i386"
	case 12:
		return "arm"
	case 18:
		return "ppc"
	}
	return fmt.Sprintf("cputype %#x", t)
}

func fatDetail(head []byte, n int) string {
	var cpus []string
	for i := 0; i < n && 8+20*i+4 <= len(head); i++ {
		cpus = append(cpus, machoCPU(binary.BigEndian.Uint32(head[8+20*i:])))
	}
	return "Mach-O universal binary (" + strings.Join(cpus, ", ") + ")"
}

// identifyPE recognises a PE image: "MZ", the PE header's offset at 0x3C,
// "PE\0\0" there, then the COFF machine.
func identifyPE(head []byte) (Identification, bool) {
	if len(head) < 0x40 || head[0] != 'M' || head[1] != 'Z' {
		return Identification{}, false
	}
	off := int64(binary.LittleEndian.Uint32(head[0x3c:]))
	if off+6 > int64(len(head)) || !bytes.Equal(head[off:off+4], []byte("PE\x00\x00")) {
		return Identification{}, false
	}
	machine := binary.LittleEndian.Uint16(head[off+4:])
	name := fmt.Sprintf("machine %#x", machine)
	switch machine {
	case 0x8664:
		name = "x86-64"
	case 0xaa64:
		name = "arm64"
	case 0x14c:
		name = "i386"
	}
	return Identification{Format: PE, Detail: "PE " + name + " (Windows)"}, true
}

// Header is the part of an ELF header that the first 20 bytes hold: enough
// to tell a foreign object even when the rest of it is unreadable.
type Header struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
}

// ParseHeader decodes an ELF identification and e_machine from a file's
// head (the uint16 at offset 18, in the byte order byte 5 names). ok is
// false when head is not an ELF header or is too short.
func ParseHeader(head []byte) (h Header, ok bool) {
	if len(head) < 20 || !bytes.Equal(head[:4], []byte("\x7fELF")) {
		return Header{}, false
	}
	h.Class, h.Data = elf.Class(head[elf.EI_CLASS]), elf.Data(head[elf.EI_DATA])
	switch h.Data {
	case elf.ELFDATA2LSB:
		h.Machine = elf.Machine(binary.LittleEndian.Uint16(head[18:]))
	case elf.ELFDATA2MSB:
		h.Machine = elf.Machine(binary.BigEndian.Uint16(head[18:]))
	default:
		return h, false
	}
	return h, true
}
