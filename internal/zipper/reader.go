package zipper

import (
	"archive/zip"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"
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
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("not a readable zip file (%v)", err)
		}
		return nil, err
	}
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return flate.NewReader(r) })
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
		case f.Method != zip.Store && f.Method != zip.Deflate:
			problem(ProblemUnsupported, "compression method %d (Lambda extracts only stored and deflated entries)", f.Method)
		}
		if off, err := f.DataOffset(); err == nil {
			spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
			if off+int64(f.CompressedSize64) > size {
				problem(ProblemSizeLie, "data runs past the end of the file")
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
// a tree) pointing at target leaves the tree: an absolute target, or a
// relative one with more ".." than name has folders above it.
func LinkEscapes(name, target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.Contains(target, "\\") {
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

// Open returns the uncompressed content of e. Reading fails with an error
// when the content is longer or shorter than e.Size or its CRC-32 does not
// match, so a lying entry never yields more than it declares.
func (r *Reader) Open(e *ReadEntry) (io.ReadCloser, error) {
	rc, err := e.f.Open()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", e.f.Name, err)
	}
	return rc, nil
}

// ErrTooBig reports content longer than a caller's limit.
var ErrTooBig = errors.New("content longer than the limit")

// ReadAll returns e's content, or ErrTooBig when it is longer than limit
// bytes. Memory use is bounded by limit, whatever the zip declares.
func (r *Reader) ReadAll(e *ReadEntry, limit int64) ([]byte, error) {
	return r.ReadAllInto(e, nil, limit)
}

// ReadAllInto is ReadAll appending to buf[:0], so a caller reading many
// entries can reuse one buffer.
func (r *Reader) ReadAllInto(e *ReadEntry, buf []byte, limit int64) ([]byte, error) {
	if e.Size > limit {
		return nil, fmt.Errorf("reading %s: %w (%d > %d bytes)", e.f.Name, ErrTooBig, e.Size, limit)
	}
	rc, err := r.Open(e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := buf[:0]
	if int64(cap(b)) < e.Size {
		b = make([]byte, 0, e.Size)
	}
	b, err = readLimited(rc, b, limit)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", e.f.Name, err)
	}
	return b, nil
}

// ReadHead returns up to n leading bytes of e's content, decompressing no
// more than needed.
func (r *Reader) ReadHead(e *ReadEntry, n int) ([]byte, error) {
	rc, err := r.Open(e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, min(int64(n), e.Size))
	k, err := io.ReadFull(rc, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w", e.f.Name, err)
	}
	return b[:k], nil
}

func readLimited(r io.Reader, b []byte, limit int64) ([]byte, error) {
	for {
		if int64(len(b)) > limit {
			return nil, ErrTooBig
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(cap(b), int(limit)+1)])
		b = b[:len(b)+n]
		if err == io.EOF {
			if int64(len(b)) > limit {
				return nil, ErrTooBig
			}
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
