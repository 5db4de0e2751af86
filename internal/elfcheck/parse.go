package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds on what one object may make the parser read or keep. Each is far
// above what real objects use (libLLVM-15, 117 MB: .dynsym 1.1 MB, .dynstr
// 3.2 MB, .dynamic 720 bytes) and keeps a hostile object's cost linear in
// its size and small in absolute terms.
const (
	// maxTableBytes bounds a section read whole: .dynamic,
	// .gnu.version_r, .dynsym.
	maxTableBytes = 64 << 20
	// maxStringBytes bounds one string read from a string table; the rest
	// of a longer one is dropped. Paths are at most PATH_MAX (4096) on
	// Linux; a RUNPATH may list many, and C++ symbol names run long.
	maxStringBytes = 64 << 10
	// maxStringTotal bounds the bytes of all strings read from one object.
	maxStringTotal = 64 << 20
	// MaxRunPath is the most RunPath folders InspectELF returns; later
	// ones are dropped. The loader searches them for every DT_NEEDED, so
	// a list this long is already a problem of its own.
	MaxRunPath = 256
)

// errNotKept is what a streamed object's ReaderAt returns for bytes the
// forward pass did not keep; the parser then treats the data as absent,
// and InspectStream reads those bytes in a further pass.
var errNotKept = errors.New("range not kept by the forward pass")

// span is a byte range of the object, [off, off+n).
type span struct{ off, n int64 }

// section is what the parser needs of a section header.
type section struct {
	name    uint32 // offset of the name in .shstrtab
	flags   uint64
	typ     elf.SectionType
	off     uint64
	size    uint64
	link    uint32
	entsize uint64
}

type prog struct {
	typ    elf.ProgType
	off    uint64
	filesz uint64
}

// parser reads one ELF object through a ReaderAt. Every read is bounded:
// the headers by their counts (at most 65,535 entries each), sections by
// maxTableBytes, strings by maxStringBytes and maxStringTotal.
type parser struct {
	r        io.ReaderAt
	size     int64
	bo       binary.ByteOrder
	class    elf.Class
	sections []section
	shstrndx uint32 // e_shstrndx: the section holding section names
	progs    []prog
	strBytes int64 // bytes of strings read so far, against maxStringTotal
	// missed collects the ranges a streamed object did not keep.
	missed []span
}

func formatErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

// readAt reads n bytes at off, which the caller has checked lie in the
// file. A range a stream did not keep is recorded and gives errNotKept.
func (p *parser) readAt(off, n int64) ([]byte, error) {
	if n == 0 {
		return []byte{}, nil
	}
	b := make([]byte, n)
	if err := p.readInto(b, off); err != nil {
		return nil, err
	}
	return b, nil
}

// readInto is readAt into the caller's buffer.
func (p *parser) readInto(b []byte, off int64) error {
	k, err := p.r.ReadAt(b, off)
	if errors.Is(err, errNotKept) {
		p.missed = append(p.missed, span{off, int64(len(b))})
		return errNotKept
	}
	if k == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &FormatError{Msg: fmt.Sprintf("reading %d bytes at offset %d", len(b), off), Err: unwrapFormat(err)}
}

// inFile reports whether [off, off+n) lies inside the file.
func (p *parser) inFile(off, n uint64) bool {
	return off <= uint64(p.size) && n <= uint64(p.size)-off
}

// header reads the ELF header and the program and section header tables.
func (p *parser) header(info *ELFInfo) error {
	if p.size < 16 {
		return formatErr("malformed ELF: %d bytes is shorter than an ELF identification", p.size)
	}
	ident, err := p.readAt(0, 16)
	if err != nil {
		return err
	}
	if !bytes.Equal(ident[:4], []byte(elf.ELFMAG)) {
		return formatErr("malformed ELF: bad magic number")
	}
	p.class, info.Class = elf.Class(ident[elf.EI_CLASS]), elf.Class(ident[elf.EI_CLASS])
	info.Data = elf.Data(ident[elf.EI_DATA])
	switch info.Data {
	case elf.ELFDATA2LSB:
		p.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		p.bo = binary.BigEndian
	default:
		return formatErr("malformed ELF: unknown data encoding %d", ident[elf.EI_DATA])
	}
	if v := elf.Version(ident[elf.EI_VERSION]); v != elf.EV_CURRENT {
		return formatErr("malformed ELF: unknown ELF version %d", v)
	}
	var ehsize, phentWant, shentWant int64
	switch p.class {
	case elf.ELFCLASS32:
		ehsize, phentWant, shentWant = 52, 32, 40
	case elf.ELFCLASS64:
		ehsize, phentWant, shentWant = 64, 56, 64
	default:
		return formatErr("malformed ELF: unknown ELF class %d", ident[elf.EI_CLASS])
	}
	if p.size < ehsize {
		return formatErr("malformed ELF: %d bytes is shorter than the ELF header", p.size)
	}
	h, err := p.readAt(0, ehsize)
	if err != nil {
		return err
	}
	bo := p.bo
	info.Type, info.Machine = elf.Type(bo.Uint16(h[16:])), elf.Machine(bo.Uint16(h[18:]))
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum int64
	if p.class == elf.ELFCLASS32 {
		phoff, shoff = uint64(bo.Uint32(h[28:])), uint64(bo.Uint32(h[32:]))
		phentsize, phnum, shentsize, shnum = int64(bo.Uint16(h[42:])), int64(bo.Uint16(h[44:])), int64(bo.Uint16(h[46:])), int64(bo.Uint16(h[48:]))
		p.shstrndx = uint32(bo.Uint16(h[50:]))
	} else {
		phoff, shoff = bo.Uint64(h[32:]), bo.Uint64(h[40:])
		phentsize, phnum, shentsize, shnum = int64(bo.Uint16(h[54:])), int64(bo.Uint16(h[56:])), int64(bo.Uint16(h[58:])), int64(bo.Uint16(h[60:]))
		p.shstrndx = uint32(bo.Uint16(h[62:]))
	}
	if phnum > 0 {
		if phentsize != phentWant {
			return formatErr("malformed ELF: program header size %d, want %d", phentsize, phentWant)
		}
		if !p.inFile(phoff, uint64(phnum*phentsize)) {
			return formatErr("malformed ELF: %d program headers at offset %d lie outside the file", phnum, phoff)
		}
		tab, err := p.readAt(int64(phoff), phnum*phentsize)
		if err != nil {
			return err
		}
		p.progs = make([]prog, phnum)
		for i := range p.progs {
			e := tab[int64(i)*phentsize:]
			if p.class == elf.ELFCLASS32 {
				p.progs[i] = prog{elf.ProgType(bo.Uint32(e)), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[16:]))}
			} else {
				p.progs[i] = prog{elf.ProgType(bo.Uint32(e)), bo.Uint64(e[8:]), bo.Uint64(e[32:])}
			}
		}
	}
	if shoff == 0 {
		return nil // no section headers: nothing to read by section
	}
	if shentsize != shentWant {
		return formatErr("malformed ELF: section header size %d, want %d", shentsize, shentWant)
	}
	if shnum == 0 {
		// Extended numbering: the count is section 0's sh_size.
		if !p.inFile(shoff, uint64(shentsize)) {
			return formatErr("malformed ELF: section headers at offset %d lie outside the file", shoff)
		}
		s0, err := p.readAt(int64(shoff), shentsize)
		if err != nil {
			return err
		}
		n := p.sectionAt(s0).size
		if p.shstrndx == uint32(elf.SHN_XINDEX) {
			p.shstrndx = p.sectionAt(s0).link // extended numbering: sh_link of section 0
		}
		if n > 1<<20 {
			return formatErr("malformed ELF: %d sections", n)
		}
		shnum = int64(n)
	}
	if !p.inFile(shoff, uint64(shnum*shentsize)) {
		return formatErr("malformed ELF: %d section headers at offset %d lie outside the file", shnum, shoff)
	}
	tab, err := p.readAt(int64(shoff), shnum*shentsize)
	if err != nil {
		return err
	}
	p.sections = make([]section, shnum)
	for i := range p.sections {
		p.sections[i] = p.sectionAt(tab[int64(i)*shentsize:])
	}
	return nil
}

func (p *parser) sectionAt(e []byte) section {
	bo := p.bo
	if p.class == elf.ELFCLASS32 {
		return section{name: bo.Uint32(e), flags: uint64(bo.Uint32(e[8:])), typ: elf.SectionType(bo.Uint32(e[4:])), off: uint64(bo.Uint32(e[16:])),
			size: uint64(bo.Uint32(e[20:])), link: bo.Uint32(e[24:]), entsize: uint64(bo.Uint32(e[36:]))}
	}
	return section{name: bo.Uint32(e), flags: bo.Uint64(e[8:]), typ: elf.SectionType(bo.Uint32(e[4:])), off: bo.Uint64(e[24:]),
		size: bo.Uint64(e[32:]), link: bo.Uint32(e[40:]), entsize: bo.Uint64(e[56:])}
}

// byType returns the first section of type t, or nil.
func (p *parser) byType(t elf.SectionType) *section {
	for i := range p.sections {
		if p.sections[i].typ == t {
			return &p.sections[i]
		}
	}
	return nil
}

// data reads a whole section, at most maxTableBytes. A SHT_NOBITS section
// holds no bytes in the file. With a stream, a section the pass did not
// keep gives errNotKept.
func (p *parser) data(s *section, what string) ([]byte, error) {
	if s.typ == elf.SHT_NOBITS {
		return nil, nil
	}
	if !p.inFile(s.off, s.size) {
		return nil, formatErr("%s of %d bytes at offset %d lies outside the file", what, s.size, s.off)
	}
	if s.size > maxTableBytes {
		return nil, formatErr("%s of %d bytes is over the %d bytes read from one section", what, s.size, maxTableBytes)
	}
	b, err := p.readAt(int64(s.off), int64(s.size))
	if err != nil && !errors.Is(err, errNotKept) {
		return nil, &FormatError{Msg: "reading " + what, Err: err}
	}
	return b, err
}

// strtab reads strings of one string table on demand, never the whole
// table: a .dynstr may claim a gigabyte of a sparse file, and the object
// needs only the few strings its tables point at.
type strtab struct {
	p       *parser
	sec     section
	cache   map[uint64]string
	chunk   [256]byte // one read: most names fit
	scratch []byte    // a string being assembled, reused
}

func (p *parser) strtab(idx uint32, what string) (*strtab, error) {
	if idx == 0 || int(idx) >= len(p.sections) {
		return nil, formatErr("%s links to section %d, which does not exist", what, idx)
	}
	s := p.sections[idx]
	if s.typ == elf.SHT_NOBITS {
		s.size = 0
	}
	if !p.inFile(s.off, s.size) {
		return nil, formatErr("string table of %s (%d bytes at offset %d) lies outside the file", what, s.size, s.off)
	}
	return &strtab{p: p, sec: s, cache: map[uint64]string{}}, nil
}

// wantStrings asks a streamed object's next pass for all of a string
// table whose referring section was not kept, when the table is no bigger
// than the first pass's window: the strings wanted are known only once
// that section is, and a third pass would cost more than the table.
func (p *parser) wantStrings(t *strtab) {
	if t.sec.size > 0 && t.sec.size <= streamWindow {
		p.missed = append(p.missed, span{int64(t.sec.off), int64(t.sec.size)})
	}
}

// get returns the NUL-terminated string at off, cut at maxStringBytes or
// the table's end. ok is false when off lies outside the table. With a
// stream, a string the pass did not keep reads as "" and is recorded.
func (t *strtab) get(off uint64) (s string, ok bool, err error) {
	if off >= t.sec.size {
		return "", false, nil
	}
	if s, ok := t.cache[off]; ok {
		return s, true, nil
	}
	out := t.scratch[:0]
	for pos := off; pos < t.sec.size && len(out) < maxStringBytes; {
		n := min(uint64(len(t.chunk)), t.sec.size-pos, uint64(maxStringBytes-len(out)))
		b := t.chunk[:n]
		err := t.p.readInto(b, int64(t.sec.off+pos))
		if errors.Is(err, errNotKept) {
			// Ask the next pass for the whole string at once.
			t.p.missed[len(t.p.missed)-1] = span{int64(t.sec.off + off), int64(min(t.sec.size-off, maxStringBytes))}
			return "", true, nil
		}
		if err != nil {
			return "", false, err
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			out = append(out, b[:i]...)
			break
		}
		out = append(out, b...)
		pos += n
	}
	t.p.strBytes += int64(len(out))
	if t.p.strBytes > maxStringTotal {
		return "", false, formatErr("strings of more than %d bytes in all", maxStringTotal)
	}
	t.scratch = out
	s = string(out)
	t.cache[off] = s
	return s, true, nil
}

// inspect fills an ELFInfo from p.r: the body of InspectELF and of each
// pass of InspectStream.
func (p *parser) inspect(opts Options) (*ELFInfo, error) {
	info := &ELFInfo{}
	if err := p.header(info); err != nil {
		return nil, err
	}
	for _, pr := range p.progs {
		if pr.typ != elf.PT_INTERP {
			continue
		}
		if pr.filesz > 4096 || !p.inFile(pr.off, pr.filesz) {
			return nil, formatErr("PT_INTERP of %d bytes at offset %d lies outside the file", pr.filesz, pr.off)
		}
		b, err := p.readAt(int64(pr.off), int64(pr.filesz))
		if err != nil && !errors.Is(err, errNotKept) {
			return nil, &FormatError{Msg: "reading PT_INTERP", Err: err}
		}
		info.Interp = strings.TrimRight(string(b), "\x00")
	}
	if err := p.dynamic(info); err != nil {
		return nil, err
	}
	if opts.Symbols {
		if err := p.symbols(info); err != nil {
			return nil, err
		}
	}
	info.DebugBytes = p.debugBytes()
	return info, nil
}

// debugBytes sums the sizes of the non-allocated sections a strip of
// debug information removes (see ELFInfo.DebugBytes). Only sections that
// can be such a section have their names read, from .shstrtab, which
// linkers and strip put just ahead of the section headers: in a stream's
// kept tail. A name that cannot be read counts nothing; with a stream, a
// name not kept is asked of the next pass, as other strings are.
func (p *parser) debugBytes() int64 {
	if p.shstrndx == 0 || int(p.shstrndx) >= len(p.sections) {
		return 0
	}
	names, err := p.strtab(p.shstrndx, "section names")
	if err != nil {
		return 0
	}
	var loadEnd uint64 // a section before it cannot go without moving what the loader maps
	for _, pr := range p.progs {
		if pr.typ == elf.PT_LOAD {
			loadEnd = max(loadEnd, pr.off+pr.filesz)
		}
	}
	var n int64
	for i, s := range p.sections {
		if i == int(p.shstrndx) || s.flags&uint64(elf.SHF_ALLOC) != 0 || s.size == 0 || !p.inFile(s.off, s.size) || s.off < loadEnd {
			continue
		}
		switch s.typ {
		case elf.SHT_PROGBITS, elf.SHT_SYMTAB, elf.SHT_STRTAB:
		default:
			continue
		}
		name, ok, err := names.get(uint64(s.name))
		if err != nil {
			return n
		}
		if ok && debugSection(name) {
			n += int64(s.size)
		}
	}
	return n
}

// debugSection reports whether a non-allocated section of this name is
// debug information that strip --strip-debug or --strip-unneeded removes.
func debugSection(name string) bool {
	return strings.HasPrefix(name, ".debug_") || strings.HasPrefix(name, ".zdebug_") || name == ".symtab" || name == ".strtab"
}

// dynamic fills Needed, RunPath and Versions from .dynamic, .gnu.version_r
// and the string table they share.
func (p *parser) dynamic(info *ELFInfo) error {
	ds := p.byType(elf.SHT_DYNAMIC)
	if ds == nil {
		return nil
	}
	strs, err := p.strtab(ds.link, ".dynamic")
	if err != nil {
		return err
	}
	dyn, err := p.data(ds, ".dynamic")
	if errors.Is(err, errNotKept) {
		p.wantStrings(strs)
	} else if err != nil {
		return err
	}
	entSize := 16
	if p.class == elf.ELFCLASS32 {
		entSize = 8
	}
	var runpath, rpath []string
	seen := map[string]bool{}
	for i := 0; i+entSize <= len(dyn); i += entSize {
		var tag elf.DynTag
		var val uint64
		if p.class == elf.ELFCLASS32 {
			tag, val = elf.DynTag(int32(p.bo.Uint32(dyn[i:]))), uint64(p.bo.Uint32(dyn[i+4:]))
		} else {
			tag, val = elf.DynTag(int64(p.bo.Uint64(dyn[i:]))), p.bo.Uint64(dyn[i+8:])
		}
		if tag == elf.DT_NULL {
			break
		}
		if tag != elf.DT_NEEDED && tag != elf.DT_RUNPATH && tag != elf.DT_RPATH {
			continue
		}
		s, ok, err := strs.get(val)
		if err != nil {
			return err
		}
		if !ok {
			return formatErr("%v string at offset %d lies outside .dynstr", tag, val)
		}
		switch tag {
		case elf.DT_NEEDED:
			// The loader loads a library once however often it is named.
			if !seen[s] {
				seen[s] = true
				info.Needed = append(info.Needed, s)
			}
		case elf.DT_RUNPATH:
			runpath = append(runpath, s)
		case elf.DT_RPATH:
			rpath = append(rpath, s)
		}
	}
	if len(runpath) == 0 {
		runpath = rpath // the loader ignores DT_RPATH when DT_RUNPATH is set
		info.RPath = len(rpath) > 0
	}
	dirs := map[string]bool{}
	for _, rp := range runpath {
		for d := range strings.SplitSeq(rp, ":") {
			if d != "" && !dirs[d] && len(info.RunPath) < MaxRunPath {
				dirs[d] = true
				info.RunPath = append(info.RunPath, d)
			}
		}
	}
	vs := p.byType(elf.SHT_GNU_VERNEED)
	if vs == nil {
		return nil
	}
	vstr := strs
	if vs.link != ds.link && int(vs.link) < len(p.sections) {
		if vstr, err = p.strtab(vs.link, ".gnu.version_r"); err != nil {
			return err
		}
	}
	vn, err := p.data(vs, ".gnu.version_r")
	if errors.Is(err, errNotKept) {
		p.wantStrings(vstr)
		return nil
	}
	if err != nil {
		return err
	}
	info.Versions, err = parseVerneed(vn, vstr, p.bo)
	return err
}

// parseVerneed decodes SHT_GNU_verneed: Elf_Verneed records (vn_version,
// vn_cnt, vn_file, vn_aux, vn_next) each with vn_cnt Elf_Vernaux records
// (vna_hash, vna_flags, vna_other, vna_name, vna_next); the same layout for
// both classes (LSB "Symbol Versioning"). Offsets only move forward, so it
// ends; and since records and auxiliary records are 16 bytes each and a
// real section never shares them, at most len(d)/16 of each are read
// however the offsets point, so the work is linear in the section. Each
// library's versions are listed once, in the order first met.
func parseVerneed(d []byte, strs *strtab, bo binary.ByteOrder) (map[string][]string, error) {
	budget := len(d) / 16
	str := func(off uint32) (string, error) {
		s, _, err := strs.get(uint64(off)) // outside the table reads as ""
		return s, err
	}
	out := map[string][]string{}
	seen := map[string]map[string]bool{}
	for off, records, auxes := 0, 0, 0; ; records++ {
		if records >= budget {
			return nil, formatErr(".gnu.version_r holds more records than fit in its %d bytes", len(d))
		}
		if off < 0 || off+16 > len(d) {
			return nil, formatErr(".gnu.version_r record at offset %d lies outside the section", off)
		}
		cnt, file, aux, next := int(bo.Uint16(d[off+2:])), bo.Uint32(d[off+4:]), int(bo.Uint32(d[off+8:])), int(bo.Uint32(d[off+12:]))
		lib, err := str(file)
		if err != nil {
			return nil, err
		}
		if seen[lib] == nil {
			seen[lib] = map[string]bool{}
		}
		a := off + aux
		for range cnt {
			if auxes++; auxes > budget {
				return nil, formatErr(".gnu.version_r holds more auxiliary records than fit in its %d bytes", len(d))
			}
			if a < off || a+16 > len(d) {
				return nil, formatErr(".gnu.version_r auxiliary record at offset %d lies outside the section", a)
			}
			v, err := str(bo.Uint32(d[a+8:]))
			if err != nil {
				return nil, err
			}
			if !seen[lib][v] {
				seen[lib][v] = true
				out[lib] = append(out[lib], v)
			}
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
}

// symbols fills Symbols and Imports from .dynsym, in the table's order,
// skipping its first (null) entry as debug/elf's DynamicSymbols does.
func (p *parser) symbols(info *ELFInfo) error {
	ss := p.byType(elf.SHT_DYNSYM)
	if ss == nil {
		return nil
	}
	strs, err := p.strtab(ss.link, ".dynsym")
	if err != nil {
		return err
	}
	d, err := p.data(ss, ".dynsym")
	if errors.Is(err, errNotKept) {
		p.wantStrings(strs)
		return nil
	}
	if err != nil {
		return err
	}
	size, shndx := 24, 6
	if p.class == elf.ELFCLASS32 {
		size, shndx = 16, 14
	}
	if len(d)%size != 0 {
		return formatErr(".dynsym of %d bytes is not a whole number of %d-byte symbols", len(d), size)
	}
	for i := size; i+size <= len(d); i += size {
		name, _, err := strs.get(uint64(p.bo.Uint32(d[i:]))) // outside the table reads as "", as in debug/elf
		if err != nil {
			return err
		}
		if elf.SectionIndex(p.bo.Uint16(d[i+shndx:])) == elf.SHN_UNDEF {
			info.Imports = append(info.Imports, name)
		} else {
			info.Symbols = append(info.Symbols, name)
		}
	}
	return nil
}
