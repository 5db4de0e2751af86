package zipper

import (
	"archive/zip"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Errors a verified entry stream (Reader.Open) returns from Read, wrapped
// with the entry's name. Each means the zip lies about the entry or is
// damaged; none means the file could not be read.
var (
	// ErrSizeMismatch: the content is longer or shorter than the entry's
	// declared uncompressed size.
	ErrSizeMismatch = errors.New("content size differs from the declared size")
	// ErrChecksum: the content has the declared size but not the declared
	// CRC-32.
	ErrChecksum = errors.New("content does not match its CRC-32")
	// ErrCorrupt: the compressed data is not a valid deflate stream.
	ErrCorrupt = errors.New("compressed data is corrupt")
)

// flateReaders recycles decompressors: each holds a 32 KiB window and
// Huffman tables that would otherwise be allocated per entry.
var flateReaders sync.Pool

// entryReader inflates one entry and verifies it against the central
// directory: it yields at most want bytes, and at the end checks that the
// stream ends exactly there and that the CRC-32 matches.
type entryReader struct {
	name    string
	src     io.Reader // uncompressed content
	inflate io.ReadCloser
	want    int64
	wantCRC uint32
	n       int64
	crc     hash.Hash32
	err     error // sticky: once set, every Read returns it
}

// Open returns a verified stream of e's uncompressed content. It yields at
// most e.Size bytes. Read returns, wrapped with the entry's name,
// ErrSizeMismatch when the data ends before e.Size bytes or goes on past
// them, ErrChecksum when the CRC-32 differs at the end, and ErrCorrupt when
// the deflate data is invalid; io.EOF only after the whole entry was read
// and verified. A Read that returns an error may also return the bytes that
// came before it. Open fails for a compression method other than stored or
// deflate (wrapping zip.ErrAlgorithm). The caller closes the stream; each
// stream reads through its own section of the file, so many may be open at
// once.
func (r *Reader) Open(e *ReadEntry) (io.ReadCloser, error) {
	raw, err := e.f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", e.f.Name, err)
	}
	er := &entryReader{name: e.f.Name, want: e.Size, wantCRC: e.f.CRC32, crc: crc32.NewIEEE()}
	switch e.f.Method {
	case zip.Store:
		er.src = raw
	case zip.Deflate:
		fr, _ := flateReaders.Get().(io.ReadCloser)
		if fr == nil {
			fr = flate.NewReader(raw)
		} else if err := fr.(flate.Resetter).Reset(raw, nil); err != nil {
			return nil, fmt.Errorf("opening %s: %w", e.f.Name, err)
		}
		er.src, er.inflate = fr, fr
	default:
		return nil, fmt.Errorf("opening %s: %w (method %d)", e.f.Name, zip.ErrAlgorithm, e.f.Method)
	}
	return er, nil
}

func (er *entryReader) Read(p []byte) (int, error) {
	if er.err != nil {
		return 0, er.err
	}
	if er.n == er.want {
		er.err = er.finish()
		return 0, er.err
	}
	if int64(len(p)) > er.want-er.n {
		p = p[:er.want-er.n]
	}
	k, err := er.src.Read(p)
	er.n += int64(k)
	er.crc.Write(p[:k])
	switch {
	case err == io.EOF && er.n < er.want:
		er.err = fmt.Errorf("reading %s: %w (%d bytes, %d declared)", er.name, ErrSizeMismatch, er.n, er.want)
	case err == io.EOF:
		er.err = er.finish()
	case err != nil:
		er.err = er.wrap(err)
	}
	return k, er.err
}

// finish runs once the declared size has been read: the stream must end
// there, and the CRC-32 must match.
func (er *entryReader) finish() error {
	var one [1]byte
	for {
		k, err := er.src.Read(one[:])
		if k > 0 {
			return fmt.Errorf("reading %s: %w (more than the %d bytes declared)", er.name, ErrSizeMismatch, er.want)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return er.wrap(err)
		}
	}
	if got := er.crc.Sum32(); got != er.wantCRC {
		return fmt.Errorf("reading %s: %w (%08x, %08x declared)", er.name, ErrChecksum, got, er.wantCRC)
	}
	return io.EOF
}

// wrap names a decompression failure: a deflate stream that is invalid or
// stops before its final block is corrupt data, not an I/O error.
func (er *entryReader) wrap(err error) error {
	var ce flate.CorruptInputError
	if errors.As(err, &ce) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("reading %s: %w (%v)", er.name, ErrCorrupt, err)
	}
	return fmt.Errorf("reading %s: %w", er.name, err)
}

// Close releases the decompressor; it never fails. Read after Close
// returns an error wrapping fs.ErrClosed.
func (er *entryReader) Close() error {
	if er.inflate != nil {
		flateReaders.Put(er.inflate)
		er.inflate = nil
	}
	er.src = nil
	if er.err == nil || er.err == io.EOF {
		er.err = fmt.Errorf("reading %s: %w", er.name, fs.ErrClosed)
	}
	return nil
}
