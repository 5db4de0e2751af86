package zipper

import (
	"archive/zip"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
)

// Zip archives are untrusted input when they are read: a zip somebody else
// built may name entries outside the extraction root, repeat names, point
// symlinks anywhere, lie about sizes or overlap entries to multiply one
// compressed stream (a "zip bomb"). Reader reports each of these as a
// Problem rather than failing, so a checker can list them all; it fails only
// when the file is not a readable zip at all.

// ProblemKind says what is wrong with an entry of a zip being read.
type ProblemKind uint8

// The problems Reader reports.
const (
	ProblemUnsafePath    ProblemKind = iota + 1 // absolute, "..", backslash, NUL or empty name
	ProblemDuplicate                            // the same name twice
	ProblemSymlinkEscape                        // symlink to an absolute path or out of the root
	ProblemSizeLie                              // sizes no real entry can have
	ProblemOverlap                              // entry data overlapping another entry's
	ProblemUnsupported                          // encrypted, or a compression method Lambda cannot extract
)

// Problem is one thing wrong with an entry of a zip being read.
type Problem struct {
	Kind   ProblemKind
	Name   string // the entry's name as stored
	Detail string
}

// maxDeflateRatio bounds the uncompressed/compressed size ratio of a deflate
// stream: DEFLATE's longest match (258 bytes) costs at least 2 bits, so no
// honest entry exceeds about 1032:1 (zlib's technical notes). A larger
// declared ratio is a lie meant to size buffers or budgets wrongly.
const maxDeflateRatio = 1032

// maxLinkBytes bounds a symlink target, as PATH_MAX does on Linux.
const maxLinkBytes = 4096

// ReadEntry is one entry of a zip being read.
type ReadEntry struct {
	// Name is the entry's name without a folder's trailing '/'.
	Name string
	Type Type
	Exec bool
	// Size is the uncompressed size the zip declares; reading the entry
	// fails if the content is longer or shorter.
	Size int64
	// CompressedSize is the size of the entry's data in the zip.
	CompressedSize int64
	// Link is a symlink's target; read when the zip is opened.
	Link string
	f    *zip.File
}

// Reader reads a zip file in place, without extracting it. A Reader is safe
// for concurrent use by many goroutines once opened: each Open reads through
// its own section of the file.
type Reader struct {
	Path     string
	Size     int64
	Entries  []ReadEntry
	Problems []Problem
	file     *os.File
}

// OpenReader opens the zip at path and reads its central directory and
// every symlink target. It returns an error naming the file when the file
// cannot be read or is not a zip; everything wrong with single entries goes
// to Problems. Entries with a ProblemUnsafePath keep their stored name. The
// caller closes the Reader.
func OpenReader(name string) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	r, err := NewReader(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.Path, r.file = name, f
	return r, nil
}

// NewReader reads a zip of size bytes from ra; see OpenReader.
func NewReader(ra io.ReaderAt, size int64) (*Reader, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			// A bare EOF comes from a zip64 locator or directory that
			// points past the end of the file.
			return nil, fmt.Errorf("not a readable zip file (%v)", err)
		}
		return nil, err
	}
	r := &Reader{Size: size, Entries: make([]ReadEntry, 0, len(zr.File))}
	seen := make(map[string]bool, len(zr.File))
	type span struct {
		start, end int64
		name       string
	}
	spans := make([]span, 0, len(zr.File))
	for _, f := range zr.File {
		e := ReadEntry{Name: strings.TrimSuffix(f.Name, "/"), f: f, Size: int64(f.UncompressedSize64), CompressedSize: int64(f.CompressedSize64)}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			e.Type = TypeSymlink
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			e.Type = TypeDir
		default:
			e.Exec = mode&0o111 != 0
		}
		problem := func(k ProblemKind, format string, args ...any) {
			r.Problems = append(r.Problems, Problem{Kind: k, Name: f.Name, Detail: fmt.Sprintf(format, args...)})
		}
		if !ValidName(e.Name) {
			problem(ProblemUnsafePath, "would be extracted outside the root (absolute, \"..\", backslash or empty name)")
		}
		if seen[e.Name] {
			problem(ProblemDuplicate, "name appears more than once; extraction keeps only one of them")
		}
		seen[e.Name] = true
		if f.UncompressedSize64 > 1<<62 || f.CompressedSize64 > 1<<62 {
			problem(ProblemSizeLie, "declares a size of %d bytes", max(f.UncompressedSize64, f.CompressedSize64))
			e.Size, e.CompressedSize = 0, 0
		}
		switch {
		case f.Flags&0x1 != 0:
			problem(ProblemUnsupported, "encrypted entry")
		case f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64:
			problem(ProblemSizeLie, "stored entry declares %d bytes of data but %d bytes uncompressed", f.CompressedSize64, f.UncompressedSize64)
		case f.Method == zip.Deflate && f.UncompressedSize64 > maxDeflateRatio*f.CompressedSize64+1024:
			problem(ProblemSizeLie, "declares %d bytes from %d compressed, more than deflate can expand (%d:1)", f.UncompressedSize64, f.CompressedSize64, maxDeflateRatio)
		case f.Method == zip.Deflate && f.CompressedSize64 > maxDeflated(f.UncompressedSize64):
			problem(ProblemSizeLie, "declares %d compressed bytes for %d uncompressed, more than deflate produces even storing every block", f.CompressedSize64, f.UncompressedSize64)
		case f.Method != zip.Store && f.Method != zip.Deflate:
			problem(ProblemUnsupported, "compression method %d (Lambda extracts only stored and deflated entries)", f.Method)
		}
		if off, err := f.DataOffset(); err == nil {
			spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
			if off+int64(f.CompressedSize64) > size {
				problem(ProblemSizeLie, "data runs past the end of the file")
			}
			if local, ok := localName(ra, f, off); ok && local != f.Name {
				problem(ProblemUnsafePath, "local header names it %q; tools that read local headers extract it there", local)
			}
		} else {
			problem(ProblemSizeLie, "local header unreadable: %v", err)
		}
		r.Entries = append(r.Entries, e)
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	// Each entry's data must end before any later entry's local header (at
	// least 30 bytes) begins: compared with the earlier entry that reaches
	// furthest, not only the one before it, so that an entry spanning
	// several others is caught for each of them.
	var reach *span
	for i := range spans {
		sp := &spans[i]
		if reach != nil && reach.end > sp.start-30 {
			r.Problems = append(r.Problems, Problem{Kind: ProblemOverlap, Name: sp.name,
				Detail: fmt.Sprintf("its data overlaps that of %s (a zip bomb's trick to expand one stream many times)", reach.name)})
		}
		if sp.end > sp.start && (reach == nil || sp.end > reach.end) {
			reach = sp
		}
	}
	r.fileAsFolder()
	for i := range r.Entries {
		e := &r.Entries[i]
		if e.Type != TypeSymlink {
			continue
		}
		if e.Size > maxLinkBytes {
			r.Problems = append(r.Problems, Problem{Kind: ProblemSizeLie, Name: e.f.Name, Detail: fmt.Sprintf("symlink target of %d bytes", e.Size)})
			continue
		}
		b, err := r.ReadAll(e, maxLinkBytes)
		if err != nil {
			r.Problems = append(r.Problems, Problem{Kind: ProblemSizeLie, Name: e.f.Name, Detail: fmt.Sprintf("symlink target unreadable: %v", err)})
			continue
		}
		e.Link = string(b)
		if LinkEscapes(e.Name, e.Link) {
			r.Problems = append(r.Problems, Problem{Kind: ProblemSymlinkEscape, Name: e.f.Name,
				Detail: fmt.Sprintf("symlink to %q points outside the zip's root", e.Link)})
		}
	}
	return r, nil
}

// LinkEscapes reports whether a symlink named name (a '/'-separated path in
// a tree) pointing at target leaves the tree: an absolute target, a
// relative one with more ".." than name has folders above it, or one that
// holds a NUL or another control character. symlink(2) ends a target at its
// first NUL, so "../..\x00/a" makes a link to "../.."; the other control
// characters have no use in a path but to mislead whoever reads it.
func LinkEscapes(name, target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.Contains(target, "\\") {
		return true
	}
	if strings.ContainsFunc(target, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return true
	}
	p := path.Join(path.Dir(name), target)
	return p == ".." || strings.HasPrefix(p, "../")
}

// Close closes the file a Reader opened with OpenReader.
func (r *Reader) Close() error {
	if r.file == nil {
		return nil
	}
	return r.file.Close()
}

// ErrTooBig reports content longer than a caller's limit.
var ErrTooBig = errors.New("content longer than the limit")

// ReadAll returns e's content, or ErrTooBig when it is longer than limit
// bytes. Memory use is bounded by limit, whatever the zip declares.
func (r *Reader) ReadAll(e *ReadEntry, limit int64) ([]byte, error) {
	return r.ReadAllInto(e, nil, limit)
}

// ReadAllInto is ReadAll appending to buf[:0], so a caller reading many
// entries can reuse one buffer. The content is read through Open, so it is
// verified: a wrong size, a wrong CRC-32 or corrupt data gives an error
// wrapping ErrSizeMismatch, ErrChecksum or ErrCorrupt. The buffer grows
// with the bytes actually inflated, never to the size the zip declares, so
// an entry that declares 250 MB and holds 1 KB costs about 1 KB.
func (r *Reader) ReadAllInto(e *ReadEntry, buf []byte, limit int64) ([]byte, error) {
	if e.Size > limit {
		return nil, fmt.Errorf("reading %s: %w (%d > %d bytes)", e.f.Name, ErrTooBig, e.Size, limit)
	}
	rc, err := r.Open(e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := readGrowing(rc, buf[:0], e.Size)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ReadHead returns up to n leading bytes of e's content, decompressing no
// more than needed. It does not verify the entry (only a full read can):
// when the content ends early or is corrupt, it returns the bytes that came
// before, as an extracting tool would have written them.
func (r *Reader) ReadHead(e *ReadEntry, n int) ([]byte, error) {
	rc, err := r.Open(e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, min(int64(n), e.Size))
	k, err := io.ReadFull(rc, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) &&
		!errors.Is(err, ErrSizeMismatch) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrChecksum) {
		return nil, err // the entry stream names the entry
	}
	return b[:k], nil
}

// minGrow is the first allocation readGrowing makes for an entry: small
// entries are common, and a 32 KiB step costs little.
const minGrow = 32 << 10

// readGrowing appends r's content to b until io.EOF. r must yield at most
// maxLen bytes (a verified stream stops at the declared size); b grows by
// doubling from what has actually arrived, capped at maxLen, so memory
// follows the real content and not the declared size.
func readGrowing(r io.Reader, b []byte, maxLen int64) ([]byte, error) {
	for {
		if int64(len(b)) >= maxLen {
			// The stream's end-of-entry check still has to run.
			var one [1]byte
			n, err := r.Read(one[:])
			if n > 0 {
				return nil, fmt.Errorf("%w (more than %d bytes)", ErrSizeMismatch, maxLen)
			}
			if err == io.EOF {
				return b, nil
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if len(b) == cap(b) {
			c := min(max(2*int64(cap(b)), minGrow), maxLen)
			b = slices.Grow(b, int(c)-len(b))
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), maxLen)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// maxDeflated is the most compressed bytes a deflate encoder produces for u
// bytes of input. A stored block costs 5 bytes of header per up to 65,535
// bytes (RFC 1951, 3.2.4), and encoders fall back to stored blocks when
// compressing does not pay; but an encoder that only Huffman-codes
// (klauspost's HuffmanOnly, or fixed codes, 9 bits per literal at worst)
// may spend up to an eighth more. The 64 bytes on top allow for an empty
// final block and a few flush markers (5 bytes each).
func maxDeflated(u uint64) uint64 {
	return u + u/8 + 5*(u/65535+1) + 64
}

// localName returns the name stored in f's local header, which sits just
// before its data at dataOff. archive/zip reads the local header only for
// the lengths it needs and never compares its name with the central
// directory's; unzip warns when they differ, and a tool that trusts the
// local header extracts the entry under the other name.
func localName(ra io.ReaderAt, f *zip.File, dataOff int64) (string, bool) {
	hdr, ok := localHeaderOffset(f)
	if !ok {
		return "", false
	}
	// One read when the local name has the central name's length, as in
	// every honest zip.
	b := make([]byte, min(localLen+int64(len(f.Name)), dataOff-hdr))
	if len(b) < localLen {
		return "", false
	}
	if _, err := ra.ReadAt(b, hdr); err != nil {
		return "", false
	}
	n := int64(binary.LittleEndian.Uint16(b[localLen-4:])) // the name's length
	if hdr+localLen+n > dataOff {
		return "", false
	}
	if n == int64(len(b)-localLen) {
		return string(b[30:]), true
	}
	name := make([]byte, n)
	if _, err := ra.ReadAt(name, hdr+30); err != nil {
		return "", false
	}
	return string(name), true
}

// localHeaderOffset returns where f's local header begins. archive/zip
// keeps that offset in an unexported field and exports only the data
// offset it derives from it; reading the field is the one way to find the
// header without parsing the central directory a second time. When a
// future archive/zip renames the field, ok is false and the name check is
// skipped; TestReaderLocalNameMismatch then fails.
func localHeaderOffset(f *zip.File) (int64, bool) {
	v := reflect.ValueOf(f).Elem().FieldByName("headerOffset")
	if !v.IsValid() || v.Kind() != reflect.Int64 {
		return 0, false
	}
	return v.Int(), true
}

// fileAsFolder reports each path that is a file or a symlink in the zip and
// also a folder of other entries ("python/x" and "python/x/y"): an
// extracting tool fails on one of them or writes through the link.
func (r *Reader) fileAsFolder() {
	leaf := make(map[string]bool, len(r.Entries))
	for _, e := range r.Entries {
		if e.Type != TypeDir {
			leaf[e.Name] = true
		}
	}
	reported := map[string]bool{}
	for _, e := range r.Entries {
		for dir := path.Dir(e.Name); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
			if leaf[dir] && !reported[dir] {
				reported[dir] = true
				r.Problems = append(r.Problems, Problem{Kind: ProblemDuplicate, Name: dir,
					Detail: fmt.Sprintf("is a file or symlink and also the folder of %s; extraction fails on one of them", e.Name)})
			}
		}
	}
}
