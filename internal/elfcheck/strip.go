package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
)

// ErrStripChanged reports a stripped object that VerifyStrip found
// different from its original where the loader reads it: a program header,
// a loaded byte, what it needs, or a kept section.
var ErrStripChanged = errors.New("the stripped object differs from the original where it must not")

// Stripped is the plan of an ELF object without its debug sections: what
// goes, and where each byte of the result comes from. It holds no file
// data but the new headers: Reader composes the stripped bytes from the
// original on demand. A Stripped is safe for concurrent use.
type Stripped struct {
	// Size is the stripped object's size in bytes.
	Size int64
	// OrigSize is the original object's size.
	OrigSize int64
	// Removed names the sections that go, in section-header order.
	Removed []string
	parts   []part // cover [0, Size) in order
}

// part is a run of the stripped object: bytes of the original from src,
// or lit (zeros when lit is nil and src < 0).
type part struct {
	off, n int64
	src    int64
	lit    []byte
}

// maxStripAlign bounds a kept section's alignment: a section aligned to
// more than a page is nonsense that would cost padding for nothing.
const maxStripAlign = 1 << 16

// maxDynsym bounds the .dynsym (or kept .symtab) PlanStrip reads whole to
// learn which sections its symbols name.
const maxDynsym = 64 << 20

type shdr struct {
	name                   string
	nameOff, typ           uint32
	flags, addr, off, size uint64
	link, info             uint32
	align, entsize         uint64
	idx                    int
}

// PlanStrip plans the removal of an ELF object's debug sections: the
// sections no loader maps (no SHF_ALLOC) named .debug*, .zdebug*,
// .comment, the .symtab and the string table it links to, and relocation
// or index sections that only serve removed ones. It never removes the
// section-name table, nor any section another kept section refers to.
// The object's bytes up to the end of its last program header's range
// (the ELF and program headers, every segment and whatever lies between
// them) are kept at the same offsets: only sections wholly past that point
// can go, so every loaded segment stays byte-identical and only the ELF
// header's e_shoff, e_shnum and e_shstrndx change. A section whose index a
// symbol table names (st_shndx) keeps its index: removed sections all
// come after it.
//
// It returns nil and no error when there is nothing it can remove: an
// object already stripped, a relocatable object (.o) or a core file, one
// with section groups or extended section numbering, or one whose debug
// sections sit between its segments (as patchelf leaves them). Bytes past
// the last segment that no section holds (data appended to the object)
// also leave it unstripped. A malformed object gives a *FormatError.
func PlanStrip(r io.ReaderAt, size int64) (s *Stripped, err error) {
	defer func() {
		if v := recover(); v != nil {
			s, err = nil, &FormatError{Msg: fmt.Sprintf("planning a strip: %v", v)}
		}
	}()
	p := &parser{r: r, size: size}
	var info ELFInfo
	if err := p.header(&info); err != nil {
		return nil, err
	}
	if info.Type != elf.ET_DYN && info.Type != elf.ET_EXEC {
		return nil, nil
	}
	h, err := readEhdr(r, size)
	if err != nil {
		return nil, err
	}
	if h.shoff == 0 || h.shnum == 0 || h.shstrndx == uint16(elf.SHN_XINDEX) || int(h.shstrndx) >= int(h.shnum) {
		return nil, nil
	}
	if h.phnum > 0 && h.phoff < uint64(h.ehsize) {
		return nil, nil // program headers over the ELF header, whose fields a strip rewrites
	}
	secs, err := readShdrs(r, size, h)
	if err != nil {
		return nil, err
	}
	for _, sh := range secs {
		if elf.SectionType(sh.typ) == elf.SHT_GROUP {
			return nil, nil
		}
		if hasBytes(sh) && (sh.off > uint64(size) || sh.size > uint64(size)-sh.off) {
			return nil, &FormatError{Msg: fmt.Sprintf("section %q reaches past the end of the file", sh.name)}
		}
		if hasBytes(sh) && sh.off < uint64(h.ehsize) {
			return nil, nil // a section over the ELF header, whose fields a strip rewrites
		}
	}
	pinned := int64(h.ehsize)
	pinned = max(pinned, int64(h.phoff)+int64(h.phnum)*int64(h.phentsize))
	for _, ph := range p.progs {
		pinned = max(pinned, int64(ph.off)+int64(ph.filesz))
	}
	// An allocated section stays where it is even outside every segment.
	for _, sh := range secs {
		if sh.flags&uint64(elf.SHF_ALLOC) != 0 && hasBytes(sh) {
			pinned = max(pinned, int64(sh.off+sh.size))
		}
	}
	if pinned > size {
		return nil, &FormatError{Msg: "a program header reaches past the end of the file"}
	}

	remove := make([]bool, len(secs))
	// forced marks sections found to be needed: they are never removed
	// again, so that settling the removal set always ends.
	forced := make([]bool, len(secs))
	for i, sh := range secs[1:] {
		i++
		if sh.flags&uint64(elf.SHF_ALLOC) != 0 || i == int(h.shstrndx) {
			continue
		}
		switch {
		case strings.HasPrefix(sh.name, ".debug"), strings.HasPrefix(sh.name, ".zdebug"), sh.name == ".comment":
			remove[i] = true
		case elf.SectionType(sh.typ) == elf.SHT_SYMTAB:
			remove[i] = true
			if l := int(sh.link); l > 0 && l < len(secs) && elf.SectionType(secs[l].typ) == elf.SHT_STRTAB && secs[l].flags&uint64(elf.SHF_ALLOC) == 0 {
				remove[l] = l != int(h.shstrndx)
			}
		}
	}
	for {
		changed := settleRefs(secs, remove, forced)
		// Sections with bytes before the pinned end stay where they are,
		// and extend it.
		end := pinned
		for _, sh := range secs[1:] {
			if !remove[sh.idx] && hasBytes(sh) && int64(sh.off) < end {
				end = max(end, int64(sh.off+sh.size))
			}
		}
		for _, sh := range secs[1:] {
			if remove[sh.idx] && hasBytes(sh) && int64(sh.off) < end {
				remove[sh.idx], forced[sh.idx], changed = false, true, true
			}
		}
		pinned = end
		if !changed {
			break
		}
	}
	// Symbol tables name sections by index: those indices must not move.
	maxNamed, err := maxSymbolShndx(r, size, h, secs, remove)
	if err != nil {
		return nil, err
	}
	for i := 1; i <= min(maxNamed, len(secs)-1); i++ {
		remove[i], forced[i] = false, true
	}
	settleRefs(secs, remove, forced)
	if !slices.Contains(remove, true) {
		return nil, nil
	}
	if ok, err := tailAccounted(r, size, pinned, h, secs); err != nil || !ok {
		return nil, err
	}
	return layout(h, secs, remove, pinned, size), nil
}

// hasBytes reports whether a section occupies bytes of the file.
func hasBytes(sh shdr) bool {
	return elf.SectionType(sh.typ) != elf.SHT_NOBITS && sh.size > 0
}

// settleRefs makes the removal set consistent: a kept section that refers
// to a removed one (sh_link, or sh_info of a relocation section) either
// goes too, when it only serves it (a non-allocated relocation or index
// section) and is not forced, or keeps it, which is then forced. A section
// is removed at most once and forced at most once, so it ends. It reports
// whether anything changed.
func settleRefs(secs []shdr, remove, forced []bool) bool {
	changed := false
	for again := true; again; {
		again = false
		for _, sh := range secs[1:] {
			if remove[sh.idx] {
				continue
			}
			t := elf.SectionType(sh.typ)
			serves := sh.flags&uint64(elf.SHF_ALLOC) == 0 && (t == elf.SHT_REL || t == elf.SHT_RELA || t == elf.SHT_SYMTAB_SHNDX)
			for _, ref := range refsOf(sh) {
				if ref <= 0 || ref >= len(secs) || !remove[ref] {
					continue
				}
				if serves && !forced[sh.idx] {
					remove[sh.idx] = true
				} else {
					remove[ref], forced[ref] = false, true
				}
				changed, again = true, true
				break
			}
		}
	}
	return changed
}

// refsOf returns the section indices a section header refers to.
func refsOf(sh shdr) []int {
	refs := []int{int(sh.link)}
	t := elf.SectionType(sh.typ)
	if t == elf.SHT_REL || t == elf.SHT_RELA || sh.flags&uint64(elf.SHF_INFO_LINK) != 0 {
		refs = append(refs, int(sh.info))
	}
	return refs
}

// maxSymbolShndx returns the highest section index named by a symbol of
// .dynsym or of a symbol table that stays.
func maxSymbolShndx(r io.ReaderAt, size int64, h ehdr, secs []shdr, remove []bool) (int, error) {
	top := 0
	for _, sh := range secs[1:] {
		t := elf.SectionType(sh.typ)
		if t != elf.SHT_DYNSYM && (t != elf.SHT_SYMTAB || remove[sh.idx]) {
			continue
		}
		if sh.size > maxDynsym || int64(sh.off+sh.size) > size {
			return 0, &FormatError{Msg: fmt.Sprintf("symbol table %s: %d bytes at %d", sh.name, sh.size, sh.off)}
		}
		b := make([]byte, sh.size)
		if _, err := r.ReadAt(b, int64(sh.off)); err != nil {
			return 0, &FormatError{Msg: "reading " + sh.name, Err: unwrapFormat(err)}
		}
		ent, at := 24, 6 // Elf64_Sym: st_shndx at 6
		if h.class == elf.ELFCLASS32 {
			ent, at = 16, 14
		}
		for o := 0; o+ent <= len(b); o += ent {
			if n := int(h.bo.Uint16(b[o+at:])); n < int(elf.SHN_LORESERVE) {
				top = max(top, n)
			}
		}
	}
	return top, nil
}

// tailAccounted reports whether every byte past pinned belongs to a
// section or the section header table, or is zero padding between them:
// anything else is data appended to the object, which stripping would
// lose.
func tailAccounted(r io.ReaderAt, size, pinned int64, h ehdr, secs []shdr) (bool, error) {
	type span struct{ off, end int64 }
	var spans []span
	for _, sh := range secs[1:] {
		if hasBytes(sh) && int64(sh.off) >= pinned {
			spans = append(spans, span{int64(sh.off), int64(sh.off + sh.size)})
		}
	}
	if t := int64(h.shoff); t >= pinned {
		spans = append(spans, span{t, t + int64(h.shnum)*int64(h.shentsize)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].off < spans[j].off })
	const maxGap = 1 << 20
	at := pinned
	check := func(from, to int64) (bool, error) {
		if to <= from {
			return true, nil
		}
		if to-from > maxGap {
			return false, nil
		}
		b := make([]byte, to-from)
		if _, err := r.ReadAt(b, from); err != nil {
			return false, &FormatError{Msg: "reading the object's tail", Err: unwrapFormat(err)}
		}
		return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 }), nil
	}
	for _, s := range spans {
		if ok, err := check(at, s.off); err != nil || !ok {
			return false, err
		}
		at = max(at, s.end)
	}
	return check(at, size)
}

// layout places what stays: the pinned head as it is (with a new ELF
// header), then the kept sections past it in their order, each at its
// alignment, then the new section header table.
func layout(h ehdr, secs []shdr, remove []bool, pinned, origSize int64) *Stripped {
	s := &Stripped{OrigSize: origSize}
	newIdx := make([]int, len(secs))
	var kept []shdr
	for _, sh := range secs {
		if remove[sh.idx] {
			s.Removed = append(s.Removed, sh.name)
			continue
		}
		newIdx[sh.idx] = len(kept)
		kept = append(kept, sh)
	}
	s.parts = append(s.parts, part{off: 0, n: int64(h.ehsize), src: -1}) // patched below
	s.parts = append(s.parts, part{off: int64(h.ehsize), n: pinned - int64(h.ehsize), src: int64(h.ehsize)})
	cur := pinned
	pad := func(to int64) {
		if to > cur {
			s.parts = append(s.parts, part{off: cur, n: to - cur, src: -1})
			cur = to
		}
	}
	// Kept sections past the pinned head, in file order.
	order := make([]int, 0, len(kept))
	for i, sh := range kept {
		if int64(sh.off) >= pinned || !hasBytes(sh) && int64(sh.off) > pinned {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return kept[order[a]].off < kept[order[b]].off })
	for _, i := range order {
		sh := &kept[i]
		if !hasBytes(*sh) {
			if sh.flags&uint64(elf.SHF_ALLOC) == 0 { // .bss and the like keep their offset
				sh.off = uint64(cur)
			}
			continue
		}
		pad(alignUp(cur, int64(max(sh.align, 1))))
		s.parts = append(s.parts, part{off: cur, n: int64(sh.size), src: int64(sh.off)})
		sh.off = uint64(cur)
		cur += int64(sh.size)
	}
	entAlign := int64(8)
	if h.class == elf.ELFCLASS32 {
		entAlign = 4
	}
	pad(alignUp(cur, entAlign))
	shoff := cur
	var tab bytes.Buffer
	for _, sh := range kept {
		sh.link = uint32(remap(newIdx, int(sh.link)))
		if t := elf.SectionType(sh.typ); t == elf.SHT_REL || t == elf.SHT_RELA || sh.flags&uint64(elf.SHF_INFO_LINK) != 0 {
			sh.info = uint32(remap(newIdx, int(sh.info)))
		}
		tab.Write(encodeShdr(h, sh))
	}
	s.parts = append(s.parts, part{off: cur, n: int64(tab.Len()), src: -1, lit: tab.Bytes()})
	cur += int64(tab.Len())
	s.Size = cur
	s.parts[0].lit = patchEhdr(h, uint64(shoff), uint16(len(kept)), uint16(newIdx[h.shstrndx]))
	// Drop empty runs, so that Reader never meets one.
	s.parts = slices.DeleteFunc(s.parts, func(p part) bool { return p.n == 0 })
	return s
}

func remap(newIdx []int, i int) int {
	if i <= 0 || i >= len(newIdx) {
		return i
	}
	return newIdx[i]
}

func alignUp(n, a int64) int64 {
	if a <= 1 {
		return n
	}
	return (n + a - 1) / a * a
}

// Saved returns how many bytes the strip saves.
func (s *Stripped) Saved() int64 { return s.OrigSize - s.Size }

// Reader returns the stripped object's bytes, read from orig (the
// original object, as PlanStrip read it) where they come from it.
func (s *Stripped) Reader(orig io.ReaderAt) io.ReaderAt { return &strippedReader{s: s, orig: orig} }

type strippedReader struct {
	s    *Stripped
	orig io.ReaderAt
}

func (r *strippedReader) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	parts := r.s.parts
	i := sort.Search(len(parts), func(i int) bool { return parts[i].off+parts[i].n > off })
	n := 0
	for ; n < len(b) && i < len(parts); i++ {
		p := parts[i]
		from := off + int64(n) - p.off
		want := min(int64(len(b)-n), p.n-from)
		dst := b[n : n+int(want)]
		switch {
		case p.lit != nil:
			copy(dst, p.lit[from:])
		case p.src < 0:
			clear(dst)
		default:
			k, err := r.orig.ReadAt(dst, p.src+from)
			if k < len(dst) {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return n + k, err
			}
		}
		n += int(want)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// VerifyStrip checks a stripped object against its original: it parses
// with debug/elf and with InspectELF; its ELF header differs only in
// e_shoff, e_shnum and e_shstrndx; its program header table, and the bytes
// of every range a program header names (every loaded segment), are
// byte-identical; what it needs (interpreter, DT_NEEDED, run path, symbol
// versions) is unchanged; and every section it keeps has the original's
// name, type, flags, address and bytes. A difference is ErrStripChanged,
// wrapped with what differs.
func VerifyStrip(orig io.ReaderAt, origSize int64, stripped io.ReaderAt, size int64) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: parsing it panicked: %v", ErrStripChanged, v)
		}
	}()
	differs := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrStripChanged, fmt.Sprintf(format, args...))
	}
	of, err := elf.NewFile(io.NewSectionReader(orig, 0, origSize))
	if err != nil {
		return fmt.Errorf("parsing the original: %w", err)
	}
	sf, err := elf.NewFile(io.NewSectionReader(stripped, 0, size))
	if err != nil {
		return differs("debug/elf cannot parse it: %v", err)
	}
	oh, err := readEhdr(orig, origSize)
	if err != nil {
		return err
	}
	sh, err := readEhdr(stripped, size)
	if err != nil {
		return differs("its ELF header: %v", err)
	}
	if oh.masked() != sh.masked() {
		return differs("the ELF header changed beyond its section fields")
	}
	if len(of.Progs) != len(sf.Progs) {
		return differs("the program headers changed")
	}
	for i := range of.Progs {
		if of.Progs[i].ProgHeader != sf.Progs[i].ProgHeader {
			return differs("program header %d changed", i)
		}
	}
	if err := sameBytes(orig, stripped, int64(oh.phoff), int64(oh.phnum)*int64(oh.phentsize)); err != nil {
		return differs("the program header table: %v", err)
	}
	// The ranges program headers name overlap (a PT_LOAD holds the
	// PT_NOTE, PT_DYNAMIC, ... inside it): each byte is compared once.
	type rng struct{ from, to int64 }
	var ranges []rng
	for _, p := range of.Progs {
		from, to := max(int64(p.Off), int64(oh.ehsize)), int64(p.Off+p.Filesz) // the header was compared above
		if to > from {
			ranges = append(ranges, rng{from, to})
		}
	}
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].from < ranges[j].from })
	for i := 0; i < len(ranges); {
		r := ranges[i]
		for i++; i < len(ranges) && ranges[i].from <= r.to; i++ {
			r.to = max(r.to, ranges[i].to)
		}
		if err := sameBytes(orig, stripped, r.from, r.to-r.from); err != nil {
			return differs("loaded bytes %#x..%#x: %v", r.from, r.to, err)
		}
	}
	for _, q := range []struct {
		what string
		get  func(*elf.File) (any, error)
	}{
		{"DT_NEEDED", func(f *elf.File) (any, error) { return f.ImportedLibraries() }},
		{"the symbol versions needed", func(f *elf.File) (any, error) { return f.DynamicVersionNeeds() }},
		{"the symbol versions defined", func(f *elf.File) (any, error) { return f.DynamicVersions() }},
	} {
		a, aerr := q.get(of)
		b, berr := q.get(sf)
		if (aerr == nil) != (berr == nil) || !reflect.DeepEqual(a, b) {
			return differs("%s changed", q.what)
		}
	}
	oi, oerr := InspectELF(orig, origSize, Options{})
	si, serr := InspectELF(stripped, size, Options{})
	if serr != nil && oerr == nil {
		return differs("elfcheck cannot read it: %v", serr)
	}
	if oi != nil && si != nil {
		// The debug sections' size is what stripping removes; every
		// other fact must stay as it was.
		o, s := *oi, *si
		o.DebugBytes, s.DebugBytes = 0, 0
		oi, si = &o, &s
	}
	if !reflect.DeepEqual(oi, si) {
		return differs("what elfcheck reads changed")
	}
	// Every kept section is one of the original's, in the original's order,
	// with its header (but for the offset and links) and its bytes.
	sameHeader := func(o, s *elf.Section) bool {
		return o.Name == s.Name && o.Type == s.Type && o.Flags == s.Flags && o.Addr == s.Addr &&
			o.Size == s.Size && o.FileSize == s.FileSize && o.Entsize == s.Entsize && o.Addralign == s.Addralign
	}
	j := 0
	for _, s := range sf.Sections {
		for j < len(of.Sections) && !sameHeader(of.Sections[j], s) {
			j++
		}
		if j == len(of.Sections) {
			return differs("section %q is not one of the original's, or out of order", s.Name)
		}
		o := of.Sections[j]
		j++
		// FileSize, not Size: a compressed section's Size is what it
		// inflates to.
		if o.Type != elf.SHT_NOBITS && o.FileSize > 0 {
			if err := sameRange(orig, int64(o.Offset), stripped, int64(s.Offset), int64(o.FileSize)); err != nil {
				return differs("section %q: %v", s.Name, err)
			}
		}
		if o.Flags&elf.SHF_ALLOC != 0 && o.Offset != s.Offset {
			return differs("allocated section %q moved", s.Name)
		}
	}
	return nil
}

// compareBuf is how much of each object sameRange reads at a time.
const compareBuf = 256 << 10

var comparePool = sync.Pool{New: func() any { return &[2][]byte{make([]byte, compareBuf), make([]byte, compareBuf)} }}

// sameBytes compares n bytes at off in a and b.
func sameBytes(a, b io.ReaderAt, off, n int64) error { return sameRange(a, off, b, off, n) }

func sameRange(a io.ReaderAt, aoff int64, b io.ReaderAt, boff, n int64) error {
	if n <= 0 {
		return nil
	}
	bufs := comparePool.Get().(*[2][]byte)
	defer comparePool.Put(bufs)
	x, y := bufs[0], bufs[1]
	const buf = int64(compareBuf)
	for done := int64(0); done < n; {
		k := min(n-done, buf)
		if _, err := a.ReadAt(x[:k], aoff+done); err != nil {
			return fmt.Errorf("reading the original at %d: %w", aoff+done, err)
		}
		if _, err := b.ReadAt(y[:k], boff+done); err != nil {
			return fmt.Errorf("reading at %d: %w", boff+done, err)
		}
		if !bytes.Equal(x[:k], y[:k]) {
			return fmt.Errorf("bytes differ within %d..%d", boff+done, boff+done+k)
		}
		done += k
	}
	return nil
}

// ehdr is the part of the ELF header stripping reads and writes.
type ehdr struct {
	class                      elf.Class
	bo                         binary.ByteOrder
	raw                        [64]byte
	phoff, shoff               uint64
	ehsize, phentsize, phnum   uint16
	shentsize, shnum, shstrndx uint16
}

// masked returns the header bytes with e_shoff, e_shnum and e_shstrndx
// cleared: what a strip must leave as it was.
func (h ehdr) masked() [64]byte {
	m := h.raw
	if h.class == elf.ELFCLASS64 {
		clear(m[40:48]) // e_shoff
		clear(m[60:64]) // e_shnum, e_shstrndx
	} else {
		clear(m[32:36])
		clear(m[48:52])
	}
	return m
}

func readEhdr(r io.ReaderAt, size int64) (ehdr, error) {
	var h ehdr
	n := min(size, 64)
	if _, err := r.ReadAt(h.raw[:n], 0); err != nil && err != io.EOF {
		return h, &FormatError{Msg: "reading the ELF header", Err: unwrapFormat(err)}
	}
	if n < 52 || string(h.raw[:4]) != elf.ELFMAG {
		return h, &FormatError{Msg: "not an ELF object"}
	}
	h.class = elf.Class(h.raw[elf.EI_CLASS])
	switch elf.Data(h.raw[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		h.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.bo = binary.BigEndian
	default:
		return h, &FormatError{Msg: "unknown ELF byte order"}
	}
	b, bo := h.raw[:], h.bo
	switch h.class {
	case elf.ELFCLASS64:
		if n < 64 {
			return h, &FormatError{Msg: "truncated ELF header"}
		}
		h.phoff, h.shoff = bo.Uint64(b[32:]), bo.Uint64(b[40:])
		h.ehsize, h.phentsize, h.phnum = bo.Uint16(b[52:]), bo.Uint16(b[54:]), bo.Uint16(b[56:])
		h.shentsize, h.shnum, h.shstrndx = bo.Uint16(b[58:]), bo.Uint16(b[60:]), bo.Uint16(b[62:])
		if h.ehsize != 64 || h.shnum > 0 && h.shentsize != 64 {
			return h, &FormatError{Msg: "unexpected ELF header or section header size"}
		}
	case elf.ELFCLASS32:
		clear(h.raw[52:])
		h.phoff, h.shoff = uint64(bo.Uint32(b[28:])), uint64(bo.Uint32(b[32:]))
		h.ehsize, h.phentsize, h.phnum = bo.Uint16(b[40:]), bo.Uint16(b[42:]), bo.Uint16(b[44:])
		h.shentsize, h.shnum, h.shstrndx = bo.Uint16(b[46:]), bo.Uint16(b[48:]), bo.Uint16(b[50:])
		if h.ehsize != 52 || h.shnum > 0 && h.shentsize != 40 {
			return h, &FormatError{Msg: "unexpected ELF header or section header size"}
		}
	default:
		return h, &FormatError{Msg: "unknown ELF class"}
	}
	return h, nil
}

// patchEhdr returns the ELF header with new section header fields.
func patchEhdr(h ehdr, shoff uint64, shnum, shstrndx uint16) []byte {
	b := slices.Clone(h.raw[:h.ehsize])
	if h.class == elf.ELFCLASS64 {
		h.bo.PutUint64(b[40:], shoff)
		h.bo.PutUint16(b[60:], shnum)
		h.bo.PutUint16(b[62:], shstrndx)
	} else {
		h.bo.PutUint32(b[32:], uint32(shoff))
		h.bo.PutUint16(b[48:], shnum)
		h.bo.PutUint16(b[50:], shstrndx)
	}
	return b
}

func readShdrs(r io.ReaderAt, size int64, h ehdr) ([]shdr, error) {
	n := int64(h.shnum) * int64(h.shentsize)
	if int64(h.shoff) > size || n > size-int64(h.shoff) {
		return nil, &FormatError{Msg: "the section header table reaches past the end of the file"}
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, int64(h.shoff)); err != nil {
		return nil, &FormatError{Msg: "reading the section headers", Err: unwrapFormat(err)}
	}
	secs := make([]shdr, h.shnum)
	bo := h.bo
	for i := range secs {
		e := b[i*int(h.shentsize):]
		s := &secs[i]
		s.idx = i
		if h.class == elf.ELFCLASS64 {
			s.nameOff, s.typ = bo.Uint32(e[0:]), bo.Uint32(e[4:])
			s.flags, s.addr, s.off, s.size = bo.Uint64(e[8:]), bo.Uint64(e[16:]), bo.Uint64(e[24:]), bo.Uint64(e[32:])
			s.link, s.info = bo.Uint32(e[40:]), bo.Uint32(e[44:])
			s.align, s.entsize = bo.Uint64(e[48:]), bo.Uint64(e[56:])
		} else {
			s.nameOff, s.typ = bo.Uint32(e[0:]), bo.Uint32(e[4:])
			s.flags, s.addr, s.off, s.size = uint64(bo.Uint32(e[8:])), uint64(bo.Uint32(e[12:])), uint64(bo.Uint32(e[16:])), uint64(bo.Uint32(e[20:]))
			s.link, s.info = bo.Uint32(e[24:]), bo.Uint32(e[28:])
			s.align, s.entsize = uint64(bo.Uint32(e[32:])), uint64(bo.Uint32(e[36:]))
		}
		if s.align > maxStripAlign {
			return nil, &FormatError{Msg: fmt.Sprintf("section %d aligned to %d bytes", i, s.align)}
		}
	}
	names := secs[h.shstrndx]
	if names.size > maxDynsym || names.off+names.size > uint64(size) {
		return nil, &FormatError{Msg: "the section name table reaches past the end of the file"}
	}
	tab := make([]byte, names.size)
	if _, err := r.ReadAt(tab, int64(names.off)); err != nil {
		return nil, &FormatError{Msg: "reading the section names", Err: unwrapFormat(err)}
	}
	for i := range secs {
		if o := int(secs[i].nameOff); o < len(tab) {
			name := tab[o:]
			if z := bytes.IndexByte(name, 0); z >= 0 {
				name = name[:z]
			}
			secs[i].name = string(name)
		}
	}
	return secs, nil
}

func encodeShdr(h ehdr, s shdr) []byte {
	bo := h.bo
	if h.class == elf.ELFCLASS64 {
		b := make([]byte, 64)
		bo.PutUint32(b[0:], s.nameOff)
		bo.PutUint32(b[4:], s.typ)
		bo.PutUint64(b[8:], s.flags)
		bo.PutUint64(b[16:], s.addr)
		bo.PutUint64(b[24:], s.off)
		bo.PutUint64(b[32:], s.size)
		bo.PutUint32(b[40:], s.link)
		bo.PutUint32(b[44:], s.info)
		bo.PutUint64(b[48:], s.align)
		bo.PutUint64(b[56:], s.entsize)
		return b
	}
	b := make([]byte, 40)
	bo.PutUint32(b[0:], s.nameOff)
	bo.PutUint32(b[4:], s.typ)
	bo.PutUint32(b[8:], uint32(s.flags))
	bo.PutUint32(b[12:], uint32(s.addr))
	bo.PutUint32(b[16:], uint32(s.off))
	bo.PutUint32(b[20:], uint32(s.size))
	bo.PutUint32(b[24:], s.link)
	bo.PutUint32(b[28:], s.info)
	bo.PutUint32(b[32:], uint32(s.align))
	bo.PutUint32(b[36:], uint32(s.entsize))
	return b
}
