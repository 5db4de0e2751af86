package elfcheck

import (
	"bytes"
	"encoding/binary"
)

// genELF describes a minimal ELF64 little-endian object for tests: a port
// of elfgen.py from hostile-cases.md (its appendix), which made the
// hostile objects D3, D4 and D5. Sections come in the order .dynstr,
// .dynamic, .gnu.version_r, .shstrtab unless order says otherwise.
type genELF struct {
	needed     []string
	runpath    string
	verneedRaw []byte
	// dyn replaces the generated .dynamic entries (tag, value) when set.
	dyn [][2]uint64
	// dynstrSize replaces .dynstr's size in its section header when set.
	dynstrSize uint64
	interp     string
	machine    uint16
	// order lays the sections out in this order (indexes into
	// dynstr=0, dynamic=1, verneed=2, shstrtab=3), and puts the section
	// headers first when shdrFirst is set.
	order     []int
	shdrFirst bool
	pad       int
	// lead puts this many zero bytes ahead of the first section, to move
	// the sections past InspectStream's window.
	lead int
}

func (g genELF) build() []byte {
	le := binary.LittleEndian
	dynstr := []byte{0}
	add := func(s string) uint64 {
		off := len(dynstr)
		dynstr = append(append(dynstr, s...), 0)
		return uint64(off)
	}
	var dyn [][2]uint64
	for _, n := range g.needed {
		dyn = append(dyn, [2]uint64{1, add(n)})
	}
	if g.runpath != "" {
		dyn = append(dyn, [2]uint64{29, add(g.runpath)})
	}
	dyn = append(dyn, [2]uint64{0, 0})
	if g.dyn != nil {
		dyn = g.dyn
	}
	var dynB []byte
	for _, d := range dyn {
		dynB = le.AppendUint64(le.AppendUint64(dynB, d[0]), d[1])
	}
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.gnu.version_r\x00.shstrtab\x00")
	bodies := [][]byte{dynstr, dynB, g.verneedRaw, shstr}
	order := g.order
	if order == nil {
		order = []int{0, 1, 2, 3}
	}
	machine := g.machine
	if machine == 0 {
		machine = 62
	}
	var phnum uint16
	interp := []byte(nil)
	if g.interp != "" {
		phnum = 1
		interp = append([]byte(g.interp), 0)
	}
	nsec := 4
	if len(g.verneedRaw) > 0 {
		nsec = 5
	}
	shsize := 64 * nsec
	off := 64 + 56*int(phnum)
	shoff := 0
	if g.shdrFirst {
		shoff = off
		off += shsize
	}
	off += g.lead
	offs := make([]int, 4)
	for _, i := range order {
		off = (off + 7) &^ 7
		offs[i] = off
		off += len(bodies[i])
	}
	interpOff := off
	off += len(interp)
	if !g.shdrFirst {
		off = (off + 7) &^ 7
		shoff = off
		off += shsize
	}
	out := make([]byte, off+g.pad)
	copy(out, "\x7fELF\x02\x01\x01")
	le.PutUint16(out[16:], 3)
	le.PutUint16(out[18:], machine)
	le.PutUint32(out[20:], 1)
	if phnum > 0 {
		le.PutUint64(out[32:], 64)
	}
	le.PutUint64(out[40:], uint64(shoff))
	le.PutUint16(out[52:], 64)
	le.PutUint16(out[54:], 56)
	le.PutUint16(out[56:], phnum)
	le.PutUint16(out[58:], 64)
	le.PutUint16(out[60:], uint16(nsec))
	le.PutUint16(out[62:], uint16(nsec-1))
	if phnum > 0 {
		ph := out[64:]
		le.PutUint32(ph, 3) // PT_INTERP
		le.PutUint32(ph[4:], 4)
		le.PutUint64(ph[8:], uint64(interpOff))
		le.PutUint64(ph[32:], uint64(len(interp)))
		le.PutUint64(ph[40:], uint64(len(interp)))
		copy(out[interpOff:], interp)
	}
	for i, b := range bodies {
		copy(out[offs[i]:], b)
	}
	sh := func(idx int, name, typ uint32, off, size uint64, link uint32, entsize uint64) {
		s := out[shoff+64*idx:]
		le.PutUint32(s, name)
		le.PutUint32(s[4:], typ)
		le.PutUint64(s[24:], off)
		le.PutUint64(s[32:], size)
		le.PutUint32(s[40:], link)
		le.PutUint64(s[48:], 1)
		le.PutUint64(s[56:], entsize)
	}
	size := uint64(len(dynstr))
	if g.dynstrSize != 0 {
		size = g.dynstrSize
	}
	sh(1, 1, 3, uint64(offs[0]), size, 0, 0)
	sh(2, 9, 6, uint64(offs[1]), uint64(len(dynB)), 1, 16)
	if nsec == 5 {
		sh(3, 18, 0x6ffffffe, uint64(offs[2]), uint64(len(g.verneedRaw)), 1, 0)
	}
	sh(nsec-1, 33, 3, uint64(offs[3]), uint64(len(shstr)), 0, 0)
	return out
}

// verneedBomb is r03_verneed.py's bomb(n, m): n records that all point at
// one chain of m auxiliary records (hostile-cases D3).
func verneedBomb(n, m int) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	for i := range n {
		next := uint32(16)
		if i == n-1 {
			next = 0
		}
		r := make([]byte, 16)
		le.PutUint16(r, 1)
		le.PutUint16(r[2:], uint16(m))
		le.PutUint32(r[8:], uint32((n-i)*16))
		le.PutUint32(r[12:], next)
		b.Write(r)
	}
	for j := range m {
		a := make([]byte, 16)
		le.PutUint16(a[6:], 2)
		if j < m-1 {
			le.PutUint32(a[12:], 16)
		}
		b.Write(a)
	}
	return b.Bytes()
}

// verneedHonest is a .gnu.version_r naming lib with the given versions, the
// names at the given .dynstr offsets.
func verneedHonest(lib uint32, versions ...uint32) []byte {
	le := binary.LittleEndian
	r := make([]byte, 16)
	le.PutUint16(r, 1)
	le.PutUint16(r[2:], uint16(len(versions)))
	le.PutUint32(r[4:], lib)
	le.PutUint32(r[8:], 16)
	for i, v := range versions {
		a := make([]byte, 16)
		le.PutUint16(a[6:], uint16(2+i))
		le.PutUint32(a[8:], v)
		if i < len(versions)-1 {
			le.PutUint32(a[12:], 16)
		}
		r = append(r, a...)
	}
	return r
}
