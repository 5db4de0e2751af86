package elfcheck

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// InspectStream keeps, in one forward pass, the byte ranges InspectELF
// reads, and nothing else. Where those ranges lie is known only from the
// section headers, which linkers put at the end of the file, after the
// sections they describe; so the pass keeps what is known to matter or
// where it sits in practice:
//
//   - the first streamWindow bytes: the ELF and program headers, and in
//     every linker's layout .dynsym, .dynstr and .gnu.version_r, which sit
//     in the first (read-only) segment ahead of the code: in libLLVM-15
//     they end 4.9 MB into 117 MB;
//   - the program header table and the section header table wherever the
//     ELF header places them;
//   - PT_INTERP, and PT_DYNAMIC, which is where .dynamic lies (in the data
//     segment, near the end of a big object);
//   - the last tailWindow bytes, where patchelf (run by auditwheel on every
//     library of a manylinux wheel) puts the .dynstr it rewrites.
//
// Then it parses from what it kept. A range it did not keep (an object
// with a huge .dynsym, or sections in an unusual order) is read in a
// further pass through Options.Reopen, which keeps exactly the ranges
// missed; without Reopen, InspectStream fails with ErrNeedsReopen. A second
// pass costs a second inflation, only for such objects, rather than
// holding every object whole for the few that need it.
const streamWindow = 8 << 20

// tailWindow is how much of an object's end the first pass keeps besides:
// where patchelf puts the sections it rewrites.
const tailWindow = 1 << 20

// maxStreamPasses bounds the passes over one object: the first finds the
// section headers, a second the sections they point at (.dynamic,
// .gnu.version_r, .dynsym), a third the strings those point at. A fourth
// serves an object with 65,280 sections or more, whose section count sits
// in the first section header (extended numbering), so that the first
// pass cannot know how long the table is.
const maxStreamPasses = 4

// ErrNeedsReopen reports that an object's dynamic-linking data lies outside
// what InspectStream keeps in one forward pass, and Options.Reopen is nil.
var ErrNeedsReopen = errors.New("ELF object needs a second pass to inspect, and no way to reopen it")

// InspectStream is InspectELF for an object that can only be read forward
// once, as a zip entry is while it is inflated; r yields the object's size
// bytes. It reads r to EOF, so a verifying reader's checks (a zip entry's
// size and CRC-32) run, but keeps only the ranges InspectELF would read, or
// the first few MiB where it cannot yet know them: memory stays at a few
// MiB per object whatever its size, plus the sections it truly needs (each
// capped as InspectELF caps them). When a needed range was passed before it
// could be known, InspectStream reads the object again through
// opts.Reopen, keeping only the missed ranges; without Reopen it fails
// with ErrNeedsReopen. It returns what InspectELF returns for the same
// bytes: the same *ELFInfo, or a *FormatError (with a message that may
// differ). An error reading r (or a reopened stream) is returned wrapped,
// so a caller sees its verifying reader's errors with errors.Is. A stream
// that does not yield exactly size bytes gives a *FormatError.
func InspectStream(r io.Reader, size int64, opts Options) (*ELFInfo, error) {
	return inspectStream(r, size, opts, streamWindow)
}

// inspectStream is InspectStream with the first pass's window as a
// parameter, so that tests reach the further passes with small objects.
func inspectStream(r io.Reader, size int64, opts Options, window int64) (*ELFInfo, error) {
	k := &keeper{window: max(window, 64)} // the ELF header, at least
	defer k.release()
	total, err := k.firstPass(r, size)
	if err != nil {
		return nil, err
	}
	if total != size {
		return nil, formatErr("ELF object of %d bytes, %d declared", total, size)
	}
	for pass := 1; ; pass++ {
		p := &parser{r: k, size: size}
		info, err := p.inspect(opts)
		if len(p.missed) == 0 {
			return info, err
		}
		var fe *FormatError
		if errors.As(err, &fe) {
			// A FormatError never depends on a range that was not kept:
			// the parser treats a missing range as absent data.
			return nil, err
		}
		if opts.Reopen == nil {
			return nil, ErrNeedsReopen
		}
		if pass >= maxStreamPasses {
			return nil, formatErr("ELF object still needs bytes after %d passes", pass)
		}
		if err := k.rereadPass(opts.Reopen, p.missed); err != nil {
			return nil, err
		}
	}
}

// windowBufs recycles first-pass windows between objects: the window is
// most of what inspecting a streamed object copies. Only the buffer's
// capacity is reused; what an object keeps never outlives InspectStream
// (the parser copies every string it returns).
var windowBufs sync.Pool

// windowBuf returns an empty buffer for the first pass's window.
func (k *keeper) windowBuf() []byte {
	if p, ok := windowBufs.Get().(*[]byte); ok {
		k.pooled = p
		return (*p)[:0]
	}
	return make([]byte, 0, 64<<10)
}

// release gives the window's buffer back for the next object.
func (k *keeper) release() {
	var b []byte
	for _, s := range k.kept {
		if s.off == 0 {
			b = s.b
		}
	}
	if cap(b) == 0 || cap(b) > 2*(streamWindow+tailWindow) {
		return
	}
	if k.pooled == nil {
		k.pooled = new([]byte)
	}
	*k.pooled = b[:0]
	windowBufs.Put(k.pooled)
}

// keeper holds the kept ranges of a streamed object and serves them as an
// io.ReaderAt; a read of bytes not kept returns errNotKept.
type keeper struct {
	pooled *[]byte // the window's buffer came from windowBufs
	window int64
	kept   []keptSpan // sorted by off, not overlapping once merged
	want   []keptSpan // the spans the current pass fills
}

type keptSpan struct {
	off int64
	end int64 // the end wanted; b fills up to it as bytes arrive
	b   []byte
}

func (k *keeper) ReadAt(p []byte, off int64) (int, error) {
	i, _ := slices.BinarySearchFunc(k.kept, off, func(s keptSpan, off int64) int {
		switch {
		case s.off+int64(len(s.b)) <= off:
			return -1
		case s.off > off:
			return 1
		}
		return 0
	})
	if i < len(k.kept) {
		s := k.kept[i]
		if s.off <= off && off+int64(len(p)) <= s.off+int64(len(s.b)) {
			return copy(p, s.b[off-s.off:]), nil
		}
	}
	return 0, errNotKept
}

// addWant asks the current pass to keep [off, end) from pos on: bytes
// already passed are lost to this pass. Sizes are capped by the callers.
func (k *keeper) addWant(off, end, pos int64) {
	off = max(off, pos)
	if end <= off {
		return
	}
	k.want = append(k.want, keptSpan{off: off, end: end})
}

// take copies the chunk at pos into every wanted span it overlaps.
func (k *keeper) take(chunk []byte, pos int64) {
	end := pos + int64(len(chunk))
	for i := range k.want {
		w := &k.want[i]
		next := w.off + int64(len(w.b)) // the next byte w wants
		if next >= w.end || next < pos || next >= end {
			continue
		}
		stop := min(w.end, end)
		if need := len(w.b) + int(stop-next); need > cap(w.b) {
			// Double, as far as the span wants: append's gentler growth
			// for large slices would allocate several times the window.
			nb := make([]byte, len(w.b), min(max(2*cap(w.b), need), int(min(w.end-w.off, 1<<40))))
			copy(nb, w.b)
			w.b = nb
		}
		w.b = append(w.b, chunk[next-pos:stop-pos]...)
	}
}

// settle moves the spans filled by a pass into kept, merged with what
// earlier passes kept.
func (k *keeper) settle() {
	for _, w := range k.want {
		if len(w.b) > 0 {
			k.kept = append(k.kept, keptSpan{off: w.off, end: w.off + int64(len(w.b)), b: w.b})
		}
	}
	k.want = nil
	slices.SortFunc(k.kept, func(a, b keptSpan) int { return cmp.Compare(a.off, b.off) })
	var merged []keptSpan
	for _, s := range k.kept {
		if n := len(merged); n > 0 && s.off <= merged[n-1].end {
			m := &merged[n-1]
			if s.end > m.end {
				m.b = append(m.b, s.b[m.end-s.off:]...)
				m.end = s.end
			}
			continue
		}
		merged = append(merged, s)
	}
	k.kept = merged
}

// firstPass reads r to EOF, keeping the window, the header tables, and
// PT_INTERP and PT_DYNAMIC as soon as the headers tell where they are.
func (k *keeper) firstPass(r io.Reader, size int64) (int64, error) {
	k.addWant(0, k.window, 0)
	if size > k.window {
		// patchelf, which auditwheel runs on every library of a manylinux
		// wheel, moves .dynstr (and what it rewrites) to the end of the
		// file: keeping the tail spares such objects a second pass.
		k.addWant(max(k.window, size-min(k.window, tailWindow)), size, 0)
	}
	// The window grows with the bytes that arrive, never with the size the
	// object's container declares, which may lie; it starts from a buffer
	// an earlier object left, so that most objects copy their bytes once.
	k.want[0].b = k.windowBuf()
	var hdr *streamHeader
	var phdrsDone bool
	buf := make([]byte, 64<<10)
	var pos int64
	for {
		// Stop each read where the next decision is due: at the end of the
		// ELF header, then at the end of the program headers, so that
		// what they point at right after them is not passed unseen.
		next := int64(len(buf))
		switch {
		case hdr == nil && pos < 64:
			next = 64 - pos
		case hdr != nil && !phdrsDone && hdr.phlen > 0 && pos < hdr.phoff+hdr.phlen:
			next = min(next, hdr.phoff+hdr.phlen-pos)
		}
		n, err := r.Read(buf[:next])
		if n > 0 {
			k.take(buf[:n], pos)
			pos += int64(n)
			win := k.want[0].b
			if hdr == nil && len(win) >= 64 {
				if hdr = parseStreamHeader(win); hdr != nil {
					k.addWant(hdr.phoff, hdr.phoff+hdr.phlen, pos)
					k.addWant(hdr.shoff, hdr.shoff+hdr.shlen, pos)
				}
			}
			if hdr != nil && !phdrsDone && hdr.phlen > 0 {
				if tab := k.filled(hdr.phoff, hdr.phlen); tab != nil {
					phdrsDone = true
					for _, pr := range hdr.progs(tab) {
						switch {
						case pr.typ == elf.PT_INTERP && pr.filesz <= 4096:
							k.addWant(int64(pr.off), int64(pr.off+pr.filesz), pos)
						case pr.typ == elf.PT_DYNAMIC && pr.filesz <= maxTableBytes && pr.off < 1<<62:
							k.addWant(int64(pr.off), int64(pr.off+pr.filesz), pos)
						}
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return pos, fmt.Errorf("reading ELF object: %w", err)
		}
	}
	k.settle()
	return pos, nil
}

// filled returns the bytes [off, off+n) if a wanted span of this pass has
// them all.
func (k *keeper) filled(off, n int64) []byte {
	for _, w := range k.want {
		if w.off <= off && off+n <= w.off+int64(len(w.b)) {
			return w.b[off-w.off : off-w.off+n]
		}
	}
	return nil
}

// rereadPass reads the object again from its start, keeping the ranges
// the last parse missed, and stops after the last of them. The stream is
// closed before it returns.
func (k *keeper) rereadPass(reopen func() (io.ReadCloser, error), missed []span) error {
	slices.SortFunc(missed, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	var last int64
	for _, m := range missed {
		k.addWant(m.off, m.off+m.n, 0)
		last = max(last, m.off+m.n)
	}
	rc, err := reopen()
	if err != nil {
		return fmt.Errorf("reopening ELF object: %w", err)
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	var pos int64
	for pos < last {
		n, err := rc.Read(buf)
		if n > 0 {
			k.take(buf[:n], pos)
			pos += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading ELF object again: %w", err)
		}
	}
	k.settle()
	return nil
}

// streamHeader is what the first pass needs of the ELF header: where the
// header tables are. A header too odd to parse here is left to the parser,
// which reports it.
type streamHeader struct {
	bo           binary.ByteOrder
	class        elf.Class
	phoff, phlen int64
	shoff, shlen int64
	phentsize    int64
}

func parseStreamHeader(h []byte) *streamHeader {
	if !bytes.Equal(h[:4], []byte(elf.ELFMAG)) {
		return nil
	}
	s := &streamHeader{class: elf.Class(h[elf.EI_CLASS])}
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		s.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		s.bo = binary.BigEndian
	default:
		return nil
	}
	bo := s.bo
	var phoff, shoff uint64
	var phnum, shentsize, shnum int64
	switch s.class {
	case elf.ELFCLASS32:
		phoff, shoff = uint64(bo.Uint32(h[28:])), uint64(bo.Uint32(h[32:]))
		s.phentsize, phnum, shentsize, shnum = int64(bo.Uint16(h[42:])), int64(bo.Uint16(h[44:])), int64(bo.Uint16(h[46:])), int64(bo.Uint16(h[48:]))
	case elf.ELFCLASS64:
		phoff, shoff = bo.Uint64(h[32:]), bo.Uint64(h[40:])
		s.phentsize, phnum, shentsize, shnum = int64(bo.Uint16(h[54:])), int64(bo.Uint16(h[56:])), int64(bo.Uint16(h[58:])), int64(bo.Uint16(h[60:]))
	default:
		return nil
	}
	// Counts are 16-bit and entry sizes at most 64 bytes in a well-formed
	// header, so each table is at most 4 MiB; odder ones are left to a
	// second pass, which the parser's checks bound.
	if phoff < 1<<62 && s.phentsize >= 32 && s.phentsize <= 64 {
		s.phoff, s.phlen = int64(phoff), phnum*s.phentsize
	}
	if shoff < 1<<62 && shentsize <= 64 {
		s.shoff, s.shlen = int64(shoff), max(shnum, 1)*shentsize
	}
	return s
}

// progs decodes the program header table tab.
func (s *streamHeader) progs(tab []byte) []prog {
	var out []prog
	bo := s.bo
	for e := tab; int64(len(e)) >= s.phentsize; e = e[s.phentsize:] {
		if s.class == elf.ELFCLASS32 {
			out = append(out, prog{elf.ProgType(bo.Uint32(e)), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[16:]))})
		} else if len(e) >= 40 {
			out = append(out, prog{elf.ProgType(bo.Uint32(e)), bo.Uint64(e[8:]), bo.Uint64(e[32:])})
		}
	}
	return out
}
