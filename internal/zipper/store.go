package zipper

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

// A Store keeps compressed files by content, for every build on the
// machine: the key of a file is a hash of its bytes and of everything that
// shapes their compressed form (cacheVersion: compressor, chunk size,
// method choice; the level; whether the file is stored), so a file with
// the same bytes anywhere (a fresh checkout, another project) reuses what
// an earlier build compressed, and the zip comes out byte-identical to a
// cold build's.
//
// The folder holds packs, one per zip a build wrote with new files in it:
// the compressed files back to back, then an index of them (key, offset,
// sizes, CRC-32, method and an XXH3-64 checksum of each), then a trailer
// with the index's checksum. A pack is written under a temporary name and
// renamed into place complete, and never changed after, so two builds
// sharing the folder at once never see a torn one. A file's checksum is
// checked before its bytes are used: a damaged file is compressed again
// and never reaches a zip. Packs are the unit of least-recently-used
// trimming (Trim): a build touches the packs it reads.
//
// A Store is safe for concurrent use by the goroutines of one build; any
// number of processes may share its folder.
type Store struct {
	root *os.Root

	mu    sync.Mutex
	index map[Key]*blob
	packs map[string]*pack
}

// Key identifies a file's compressed form in a Store.
type Key [16]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// ErrCacheDamaged reports compressed bytes from the build cache whose
// checksum does not match its record.
var ErrCacheDamaged = errors.New("build cache entry damaged")

// pack is one pack file of the store.
type pack struct {
	name string
	f    *os.File // opened on first use
	used bool
}

// blob is where one compressed file sits in a pack.
type blob struct {
	pack   *pack
	off    int64
	csize  int64
	usize  int64
	crc    uint32
	method uint16
	sum    uint64 // XXH3-64 of the data, then the record's fields
}

const (
	packMagic    = "LKZPACK1"
	packEndMagic = "LKZPEND1"
	packExt      = ".pack"
	recordLen    = 16 + 8 + 8 + 8 + 4 + 2 + 8
	trailerLen   = 8 + 8 + 8 + 8
	// maxPackIndex bounds one pack's index (a million files).
	maxPackIndex = 1 << 20
	// staleTemp is how old a temporary file in the store must be before
	// Trim takes it for the leftover of a killed build rather than a pack
	// being written.
	staleTemp = 24 * time.Hour
)

// OpenStore opens the store in dir, creating the folder when missing, and
// reads the index of every pack in it. Packs that are damaged or of
// another format are skipped (Trim removes them in time). Close releases it.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{root: root, index: make(map[Key]*blob), packs: make(map[string]*pack)}
	names, err := s.packNames()
	if err != nil {
		root.Close()
		return nil, err
	}
	for _, name := range names {
		s.load(name)
	}
	return s, nil
}

// Len returns how many compressed files the store holds.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index)
}

func (s *Store) packNames() ([]string, error) {
	d, err := s.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.root.Name(), err)
	}
	packs := names[:0]
	for _, n := range names {
		if strings.HasSuffix(n, packExt) && !strings.HasPrefix(n, ".") {
			packs = append(packs, n)
		}
	}
	slices.Sort(packs)
	return packs, nil
}

// load reads the index of the pack name, when it is whole, into s.index.
func (s *Store) load(name string) {
	f, err := OpenRegular(s.root, name)
	if err != nil {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < int64(len(packMagic))+trailerLen {
		return
	}
	var tr [trailerLen]byte
	if _, err := f.ReadAt(tr[:], fi.Size()-trailerLen); err != nil || string(tr[24:]) != packEndMagic {
		return
	}
	ixOff, count, sum := int64(binary.LittleEndian.Uint64(tr[0:])), binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[16:])
	if count > maxPackIndex || ixOff < int64(len(packMagic)) || ixOff+int64(count)*recordLen != fi.Size()-trailerLen {
		return
	}
	ix := make([]byte, count*recordLen)
	if _, err := f.ReadAt(ix, ixOff); err != nil || xxh3.Hash(ix) != sum {
		return
	}
	p := &pack{name: name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.packs[name]; ok {
		// Loaded already: a pack's name is drawn from its index.
		return
	}
	s.packs[name] = p
	for r := ix; len(r) > 0; r = r[recordLen:] {
		var k Key
		copy(k[:], r)
		b := &blob{pack: p,
			off: int64(binary.LittleEndian.Uint64(r[16:])), csize: int64(binary.LittleEndian.Uint64(r[24:])),
			usize: int64(binary.LittleEndian.Uint64(r[32:])), crc: binary.LittleEndian.Uint32(r[40:]),
			method: binary.LittleEndian.Uint16(r[44:]), sum: binary.LittleEndian.Uint64(r[46:])}
		if b.off < int64(len(packMagic)) || b.csize < 0 || b.usize < 0 || b.csize > ixOff-b.off {
			continue
		}
		if _, ok := s.index[k]; !ok {
			s.index[k] = b
		}
	}
}

// lookup returns the blob stored for k, or nil.
func (s *Store) lookup(k Key) *blob {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index[k]
}

// open returns b's pack file, opened once per Store, and marks the pack
// used.
func (s *Store) open(b *blob) (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := b.pack
	if p.f == nil {
		f, err := OpenRegular(s.root, p.name)
		if err != nil {
			return nil, err
		}
		p.f = f
	}
	p.used = true
	return p.f, nil
}

// verify reads b's bytes and checks them against its checksum.
func (s *Store) verify(b *blob, buf []byte) error {
	f, err := s.open(b)
	if err != nil {
		return err
	}
	h := xxh3.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(f, b.off, b.csize), buf); err != nil {
		return err
	}
	if b.sumOf(h) != b.sum {
		return ErrCacheDamaged
	}
	return nil
}

// sumOf finishes a checksum of b's data with b's own fields, so a record
// that names the wrong CRC-32 or sizes fails it as well.
func (b *blob) sumOf(h *xxh3.Hasher) uint64 {
	var f [22]byte
	binary.LittleEndian.PutUint64(f[0:], uint64(b.csize))
	binary.LittleEndian.PutUint64(f[8:], uint64(b.usize))
	binary.LittleEndian.PutUint32(f[16:], b.crc)
	binary.LittleEndian.PutUint16(f[20:], b.method)
	h.Write(f[:])
	return h.Sum64()
}

// Close marks the packs this Store read as recently used (their
// modification time, which Trim orders by) and releases the Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.touchUsed()
	for _, p := range s.packs {
		if p.f != nil {
			p.f.Close()
			p.f = nil
		}
	}
	return s.root.Close()
}

// touchUsed sets the modification time of the packs read since the last
// call to now. s.mu is held.
func (s *Store) touchUsed() {
	now := time.Now()
	for _, p := range s.packs {
		if p.used {
			s.root.Chtimes(p.name, now, now) // best effort: a pack trimmed meanwhile is gone
			p.used = false
		}
	}
}

// Trim removes the least recently used packs until the packs left take at
// most max bytes, and temporary files left by killed builds; the packs
// this Store read count as used now. Packs another process reads at the
// time stay readable to it where the system allows (on Unix), and are
// skipped where it refuses their removal.
func (s *Store) Trim(max int64) error {
	s.mu.Lock()
	s.touchUsed()
	s.mu.Unlock()
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.root.Name(), err)
	}
	type packInfo struct {
		name string
		size int64
		mod  time.Time
	}
	var packs []packInfo
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		switch {
		case atomicfile.IsTemp(e.Name()):
			if time.Since(fi.ModTime()) > staleTemp {
				s.root.Remove(e.Name())
			}
		case strings.HasSuffix(e.Name(), packExt):
			packs = append(packs, packInfo{e.Name(), fi.Size(), fi.ModTime()})
		}
	}
	// Newest first; names break ties so that two processes trim alike.
	slices.SortFunc(packs, func(a, b packInfo) int {
		if c := b.mod.Compare(a.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var total int64
	for _, p := range packs {
		total += p.size
		if total > max {
			if err := s.root.Remove(p.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
	}
	return nil
}

// packWriter writes a new pack under a temporary name, one file at a
// time: begin, data, end.
type packWriter struct {
	s    *Store
	f    *os.File
	tmp  string
	bw   *bufio.Writer
	pos  int64
	h    *xxh3.Hasher
	cur  blob // the file being written
	recs []byte
	keys map[Key]bool // in this pack or the store already
	err  error
}

func (s *Store) newPack() *packWriter {
	return &packWriter{s: s, h: xxh3.New(), keys: make(map[Key]bool)}
}

// has reports whether k is stored already, in the store or in this pack.
func (pw *packWriter) has(k Key) bool { return pw.keys[k] || pw.s.lookup(k) != nil }

func (pw *packWriter) begin() {
	if pw.err != nil {
		return
	}
	if pw.f == nil {
		pw.f, pw.tmp, pw.err = atomicfile.CreateTemp(pw.s.root, "pack")
		if pw.err != nil {
			return
		}
		pw.bw = bufio.NewWriterSize(pw.f, 1<<20)
		pw.write([]byte(packMagic))
	}
	pw.h.Reset()
	pw.cur = blob{off: pw.pos}
}

func (pw *packWriter) write(b []byte) {
	if pw.err != nil {
		return
	}
	_, pw.err = pw.bw.Write(b)
	pw.pos += int64(len(b))
	pw.h.Write(b)
}

// end records the file just written under k.
func (pw *packWriter) end(k Key, usize int64, crc uint32, method uint16) {
	if pw.err != nil || pw.keys[k] {
		return
	}
	b := &pw.cur
	b.csize, b.usize, b.crc, b.method = pw.pos-b.off, usize, crc, method
	b.sum = b.sumOf(pw.h)
	var r [recordLen]byte
	copy(r[:], k[:])
	binary.LittleEndian.PutUint64(r[16:], uint64(b.off))
	binary.LittleEndian.PutUint64(r[24:], uint64(b.csize))
	binary.LittleEndian.PutUint64(r[32:], uint64(b.usize))
	binary.LittleEndian.PutUint32(r[40:], b.crc)
	binary.LittleEndian.PutUint16(r[44:], b.method)
	binary.LittleEndian.PutUint64(r[46:], b.sum)
	pw.recs = append(pw.recs, r[:]...)
	pw.keys[k] = true
}

// commit writes the index and trailer, puts the pack in place under a
// name drawn from its index, and adds its files to the store.
func (pw *packWriter) commit() error {
	if pw.f == nil {
		return pw.err
	}
	if len(pw.recs) == 0 || pw.err != nil {
		pw.discard()
		return pw.err
	}
	ixOff := pw.pos
	pw.write(pw.recs)
	var tr [trailerLen]byte
	binary.LittleEndian.PutUint64(tr[0:], uint64(ixOff))
	binary.LittleEndian.PutUint64(tr[8:], uint64(len(pw.recs)/recordLen))
	binary.LittleEndian.PutUint64(tr[16:], xxh3.Hash(pw.recs))
	copy(tr[24:], packEndMagic)
	pw.write(tr[:])
	if pw.err == nil {
		pw.err = pw.bw.Flush()
	}
	if pw.err == nil {
		pw.err = pw.f.Chmod(0o644)
	}
	if err := pw.f.Close(); pw.err == nil {
		pw.err = err
	}
	pw.f = nil
	if pw.err != nil {
		pw.s.root.Remove(pw.tmp)
		return pw.err
	}
	// Packs with the same index hold the same bytes: the name dedupes.
	sum := xxh3.Hash128(pw.recs).Bytes()
	name := hex.EncodeToString(sum[:]) + packExt
	if err := pw.s.root.Rename(pw.tmp, name); err != nil {
		pw.s.root.Remove(pw.tmp)
		return err
	}
	pw.s.load(name)
	return nil
}

// discard removes the pack being written, if any.
func (pw *packWriter) discard() {
	if pw.f != nil {
		pw.f.Close()
		pw.s.root.Remove(pw.tmp)
		pw.f = nil
	}
}

// fileKey derives a file's Key from its size, the sums of its chunks
// (XXH3-128 of each chunkSize piece, in order) and what else shapes its
// compressed bytes.
func fileKey(level int, store bool, size int64, sums []xxh3.Uint128) Key {
	h := xxh3.New()
	fmt.Fprintf(h, "%s\x00level=%d\x00store=%t\x00size=%d\x00", cacheVersion, level, store, size)
	for _, s := range sums {
		b := s.Bytes()
		h.Write(b[:])
	}
	return Key(h.Sum128().Bytes())
}

// touch marks b's pack used, so that Close keeps it recent.
func (s *Store) touch(b *blob) {
	s.mu.Lock()
	b.pack.used = true
	s.mu.Unlock()
}
