package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ELFInfo is what an ELF object says about itself and what it needs.
type ELFInfo struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	// Interp is the program interpreter (PT_INTERP), such as
	// "/lib64/ld-linux-x86-64.so.2"; empty for shared libraries and static
	// executables.
	Interp string
	// Needed lists the DT_NEEDED libraries in the object's order.
	Needed []string
	// RunPath lists the folders of DT_RUNPATH, or of DT_RPATH when there is
	// no DT_RUNPATH (the loader ignores DT_RPATH then), unexpanded:
	// "$ORIGIN/../lib" stays as written.
	RunPath []string
	// Versions maps each library named in .gnu.version_r to the symbol
	// versions needed from it: "libc.so.6" -> ["GLIBC_2.17", "GLIBC_2.34"].
	Versions map[string][]string
	// Symbols lists the defined dynamic symbols; filled only when
	// Options.Symbols is set.
	Symbols []string
	// Imports lists the undefined dynamic symbols; filled only when
	// Options.Symbols is set.
	Imports []string
}

// Options says how much InspectELF reads.
type Options struct {
	// Symbols asks for the dynamic symbol table (.dynsym), which Node
	// addons need to tell an N-API addon from one tied to one Node ABI.
	Symbols bool
}

// FormatError reports an ELF object that cannot be parsed: truncated,
// corrupt, or not what its header claims.
type FormatError struct {
	Msg string
	Err error
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// InspectELF reads what an ELF object needs from r, which holds size bytes.
// It reads the ELF and program headers, the section headers, and the
// .dynamic, .dynstr and .gnu.version_r sections (plus .dynsym with
// Options.Symbols); nothing else. A malformed object gives a *FormatError.
// Fields that cannot be read because a section is missing stay empty: a
// static executable has no DT_NEEDED.
func InspectELF(r io.ReaderAt, size int64, opts Options) (info *ELFInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			info, err = nil, &FormatError{Msg: fmt.Sprintf("malformed ELF (parser panicked: %v)", p)}
		}
	}()
	f, err := elf.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, &FormatError{Msg: "malformed ELF", Err: unwrapFormat(err)}
	}
	info = &ELFInfo{Class: f.Class, Data: f.Data, Machine: f.Machine, Type: f.Type}
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		if p.Filesz > 4096 || p.Off+p.Filesz > uint64(size) {
			return nil, &FormatError{Msg: fmt.Sprintf("PT_INTERP of %d bytes at offset %d lies outside the file", p.Filesz, p.Off)}
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return nil, &FormatError{Msg: "reading PT_INTERP", Err: err}
		}
		info.Interp = strings.TrimRight(string(b), "\x00")
	}
	if err := readDynamic(f, info); err != nil {
		return nil, err
	}
	if opts.Symbols {
		syms, err := f.DynamicSymbols()
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return nil, &FormatError{Msg: "reading .dynsym", Err: unwrapFormat(err)}
		}
		for _, s := range syms {
			if s.Section == elf.SHN_UNDEF {
				info.Imports = append(info.Imports, s.Name)
			} else {
				info.Symbols = append(info.Symbols, s.Name)
			}
		}
	}
	return info, nil
}

// readDynamic fills Needed, RunPath and Versions from .dynamic,
// .gnu.version_r and the string table they share, reading each section once
// (debug/elf's DynString and DynamicVersionNeeds each re-read .dynstr, and
// the latter all of .dynsym too).
func readDynamic(f *elf.File, info *ELFInfo) error {
	ds := f.SectionByType(elf.SHT_DYNAMIC)
	if ds == nil {
		return nil
	}
	if ds.Link == 0 || int(ds.Link) >= len(f.Sections) {
		return &FormatError{Msg: fmt.Sprintf(".dynamic links to section %d, which does not exist", ds.Link)}
	}
	dyn, err := ds.Data()
	if err != nil {
		return &FormatError{Msg: "reading .dynamic", Err: unwrapFormat(err)}
	}
	strtab, err := f.Sections[ds.Link].Data()
	if err != nil {
		return &FormatError{Msg: "reading .dynstr", Err: unwrapFormat(err)}
	}
	str := func(off uint64) (string, bool) {
		if off >= uint64(len(strtab)) {
			return "", false
		}
		b := strtab[off:]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b), true
	}
	entSize := 16
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	var runpath, rpath []string
	for i := 0; i+entSize <= len(dyn); i += entSize {
		var tag elf.DynTag
		var val uint64
		if f.Class == elf.ELFCLASS32 {
			tag, val = elf.DynTag(int32(f.ByteOrder.Uint32(dyn[i:]))), uint64(f.ByteOrder.Uint32(dyn[i+4:]))
		} else {
			tag, val = elf.DynTag(int64(f.ByteOrder.Uint64(dyn[i:]))), f.ByteOrder.Uint64(dyn[i+8:])
		}
		if tag == elf.DT_NULL {
			break
		}
		if tag != elf.DT_NEEDED && tag != elf.DT_RUNPATH && tag != elf.DT_RPATH {
			continue
		}
		s, ok := str(val)
		if !ok {
			return &FormatError{Msg: fmt.Sprintf("%v string at offset %d lies outside .dynstr", tag, val)}
		}
		switch tag {
		case elf.DT_NEEDED:
			info.Needed = append(info.Needed, s)
		case elf.DT_RUNPATH:
			runpath = append(runpath, s)
		case elf.DT_RPATH:
			rpath = append(rpath, s)
		}
	}
	if len(runpath) == 0 {
		runpath = rpath // the loader ignores DT_RPATH when DT_RUNPATH is set
	}
	for _, rp := range runpath {
		for d := range strings.SplitSeq(rp, ":") {
			if d != "" {
				info.RunPath = append(info.RunPath, d)
			}
		}
	}
	vs := f.SectionByType(elf.SHT_GNU_VERNEED)
	if vs == nil {
		return nil
	}
	vstr := strtab
	if vs.Link != ds.Link && int(vs.Link) < len(f.Sections) {
		if vstr, err = f.Sections[vs.Link].Data(); err != nil {
			return &FormatError{Msg: "reading .gnu.version_r strings", Err: unwrapFormat(err)}
		}
	}
	vn, err := vs.Data()
	if err != nil {
		return &FormatError{Msg: "reading .gnu.version_r", Err: unwrapFormat(err)}
	}
	info.Versions, err = parseVerneed(vn, vstr, f.ByteOrder)
	return err
}

// parseVerneed decodes SHT_GNU_verneed: Elf_Verneed records (vn_version,
// vn_cnt, vn_file, vn_aux, vn_next) each with vn_cnt Elf_Vernaux records
// (vna_hash, vna_flags, vna_other, vna_name, vna_next); the same layout for
// both classes (LSB "Symbol Versioning"). Offsets only move forward, so it
// ends.
func parseVerneed(d, strtab []byte, bo binary.ByteOrder) (map[string][]string, error) {
	str := func(off uint32) string {
		if int(off) >= len(strtab) {
			return ""
		}
		b := strtab[off:]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	out := map[string][]string{}
	for off, n := 0, 0; n < 1<<16; n++ {
		if off < 0 || off+16 > len(d) {
			return nil, &FormatError{Msg: fmt.Sprintf(".gnu.version_r record at offset %d lies outside the section", off)}
		}
		cnt, file, aux, next := int(bo.Uint16(d[off+2:])), bo.Uint32(d[off+4:]), int(bo.Uint32(d[off+8:])), int(bo.Uint32(d[off+12:]))
		lib := str(file)
		a := off + aux
		for range cnt {
			if a < off || a+16 > len(d) {
				return nil, &FormatError{Msg: fmt.Sprintf(".gnu.version_r auxiliary record at offset %d lies outside the section", a)}
			}
			out[lib] = append(out[lib], str(bo.Uint32(d[a+8:])))
			an := int(bo.Uint32(d[a+12:]))
			if an == 0 {
				break
			}
			a += an
		}
		if next == 0 {
			return out, nil
		}
		off += next
	}
	return out, nil
}

// unwrapFormat drops debug/elf's own *FormatError wrapper text duplication.
func unwrapFormat(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("truncated file")
	}
	return err
}

// MaxVersion returns the highest version with the given prefix among the
// symbol versions the object needs from any library, without the prefix:
// MaxVersion("GLIBC_") might give "2.34". It returns "" when none has the
// prefix. Versions compare numerically, element by element.
func (i *ELFInfo) MaxVersion(prefix string) string {
	best := ""
	for _, vs := range i.Versions {
		for _, v := range vs {
			n, ok := strings.CutPrefix(v, prefix)
			if !ok || !isDotted(n) {
				continue
			}
			if best == "" || CompareVersions(n, best) > 0 {
				best = n
			}
		}
	}
	return best
}

func isDotted(s string) bool {
	if s == "" {
		return false
	}
	for p := range strings.SplitSeq(s, ".") {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// CompareVersions compares dotted version numbers such as "2.34" and
// "2.4" numerically, element by element: -1, 0 or +1. A missing element
// counts as 0; a non-numeric one as 0.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Musl reports whether the object is linked against musl libc rather than
// glibc: its interpreter is /lib/ld-musl-*.so.1, or it needs musl's libc
// (Alpine names it libc.musl-<arch>.so.1; musl itself installs libc.so).
func (i *ELFInfo) Musl() bool {
	if strings.Contains(i.Interp, "ld-musl") {
		return true
	}
	for _, n := range i.Needed {
		if strings.HasPrefix(n, "libc.musl-") || n == "libc.so" {
			return true
		}
	}
	return false
}

// MachineName names an ELF machine as people know it: "x86_64", "arm64",
// "i386", "arm"; otherwise debug/elf's EM_ name.
func MachineName(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_386:
		return "i386"
	case elf.EM_ARM:
		return "arm (32-bit)"
	}
	return m.String()
}
