package zipper

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
	"golang.org/x/sync/errgroup"
)

// TarPart is one tree written into a tar.gz: the Source its files are read
// from and its entries (sorted as CheckEntries demands).
type TarPart struct {
	Src     Source
	Entries []Entry
}

// TarOptions control WriteTarGz.
type TarOptions struct {
	// Prefix is the folder, '/'-separated without leading or trailing '/',
	// every entry is written under ("opt", "var/task"); the prefix's own
	// folders are written first. "" writes entries at the root.
	Prefix string
	// Level is the deflate level, 1 (fastest) to 9 (smallest); 0 or -1
	// picks DefaultLevel (an image layer is never stored: Lambda refuses
	// uncompressed layers, and a gzip stream of stored blocks gains
	// nothing).
	Level int
	// Modified is every entry's modification time (whole seconds, UTC).
	Modified time.Time
	// Workers is how many goroutines compress; 0 means GOMAXPROCS.
	Workers int
}

// TarResult describes a written tar.gz.
type TarResult struct {
	// Digest is the SHA-256 of the gzip stream (an image layer's digest);
	// DiffID the SHA-256 of the tar inside it (its diff ID).
	Digest, DiffID [32]byte
	// Size is the gzip stream's length; TarBytes the tar's.
	Size, TarBytes int64
	// Files counts files and symlinks; ContentBytes sums the files' sizes
	// and the symlinks' target lengths, as Result.UnzippedBytes does.
	Files        int
	ContentBytes int64
}

// ErrDuplicate reports two parts of a tar.gz that hold the same name as
// something other than a folder in both.
var ErrDuplicate = errors.New("the same path in two trees")

// gzipHeader is the fixed header of every stream WriteTarGz writes
// (RFC 1952): deflate, no flags, no modification time, no extra flags, OS
// "unknown" (as Go's compress/gzip writes it), so that the bytes depend on
// nothing but the content.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// WriteTarGz writes parts as one gzip-compressed tar to w, deterministically:
// entries in name order, uid and gid 0 with no user or group names, modes
// 0755 for folders and executables, 0644 for other files, 0777 for
// symlinks, every timestamp opts.Modified, and a gzip stream whose bytes do
// not depend on the machine or the number of workers. The tar stream is cut
// into 1 MiB chunks compressed in parallel, each primed with the 32 KiB
// before it and ended with a sync flush (as pigz does); their CRC-32s are
// combined for the gzip trailer. A name present in two parts is written
// once when it is a folder in both, and is ErrDuplicate otherwise. Errors
// about one entry are *PathError values. Nothing is written to w after an
// error; what was written before it is incomplete.
func WriteTarGz(ctx context.Context, w io.Writer, parts []TarPart, opts TarOptions) (TarResult, error) {
	if opts.Level <= 0 {
		opts.Level = DefaultLevel
	}
	if opts.Level > 9 {
		return TarResult{}, fmt.Errorf("deflate level %d: want 1 to 9", opts.Level)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Prefix != "" && !ValidName(opts.Prefix) {
		return TarResult{}, &PathError{Name: opts.Prefix, Op: "adding", Err: ErrUnsafePath}
	}
	items, err := mergeParts(parts)
	if err != nil {
		return TarResult{}, err
	}
	t := &tarStream{items: items, opts: opts, diff: sha256.New()}
	for _, e := range items {
		if e.Type != TypeDir {
			t.res.Files++
			t.res.ContentBytes += e.Size + int64(len(e.Link))
		}
	}
	return t.run(ctx, w)
}

// tarItem is an entry with the Source it is read from.
type tarItem struct {
	*Entry
	src Source
}

// mergeParts returns the parts' entries in one list sorted by name.
func mergeParts(parts []TarPart) ([]tarItem, error) {
	var items []tarItem
	for _, p := range parts {
		if err := CheckEntries(p.Entries); err != nil {
			return nil, err
		}
		for i := range p.Entries {
			items = append(items, tarItem{&p.Entries[i], p.Src})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].zipName() < items[j].zipName() })
	out := items[:0]
	for _, it := range items {
		if n := len(out); n > 0 && out[n-1].Name == it.Name {
			if out[n-1].Type == TypeDir && it.Type == TypeDir {
				continue
			}
			return nil, &PathError{Name: it.Name, Op: "adding", Err: ErrDuplicate}
		}
		out = append(out, it)
	}
	return out, nil
}

// tarChunk is up to chunkSize bytes of the tar stream on its way through
// the workers.
type tarChunk struct {
	buf   *[]byte // pooled; dictionary then data
	dict  int
	limit int // the length at which buf is full: dict + chunkSize
	last  bool
	out   *bytes.Buffer
	crc   uint32
	n     int64
	done  chan struct{}
}

type tarStream struct {
	items []tarItem
	opts  TarOptions
	diff  interface {
		io.Writer
		Sum([]byte) []byte
	}
	res TarResult

	cur  *tarChunk // being filled by the producer
	prev []byte    // the last dictSize bytes handed out, for the next chunk
	send func(*tarChunk) error
}

func (t *tarStream) run(ctx context.Context, w io.Writer) (TarResult, error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	order := make(chan *tarChunk, 2*t.opts.Workers+2)
	work := make(chan *tarChunk, 2*t.opts.Workers+2)
	t.send = func(ch *tarChunk) error {
		select {
		case order <- ch:
		case <-gctx.Done():
			putIn(ch.buf)
			return gctx.Err()
		}
		select {
		case work <- ch:
			return nil
		case <-gctx.Done():
			close(ch.done)
			return gctx.Err()
		}
	}
	g.Go(func() error {
		defer close(order)
		defer close(work)
		return t.produce(gctx)
	})
	for range t.opts.Workers {
		g.Go(func() error {
			fw, _ := flate.NewWriter(io.Discard, t.opts.Level)
			for ch := range work {
				if gctx.Err() == nil {
					data := (*ch.buf)[ch.dict:]
					ch.crc = crc32.ChecksumIEEE(data)
					ch.out = getOut(int64(len(data)))
					fw.ResetDict(ch.out, (*ch.buf)[:ch.dict])
					fw.Write(data) // writes to a bytes.Buffer cannot fail
					if ch.last {
						fw.Close()
					} else {
						fw.Flush()
					}
				}
				close(ch.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		err := t.consume(gctx, w, order)
		if err != nil {
			stop()
			for ch := range order {
				<-ch.done
				ch.release()
			}
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return TarResult{}, err
	}
	copy(t.res.DiffID[:], t.diff.Sum(nil))
	return t.res, nil
}

func (ch *tarChunk) release() {
	if ch.buf != nil {
		putIn(ch.buf)
	}
	if ch.out != nil {
		putOut(ch.out)
	}
	ch.buf, ch.out = nil, nil
}

// consume writes the gzip header, the chunks' compressed bytes in order and
// the trailer, hashing and counting what it writes.
func (t *tarStream) consume(ctx context.Context, w io.Writer, order <-chan *tarChunk) error {
	h := sha256.New()
	out := io.MultiWriter(w, h)
	if _, err := out.Write(gzipHeader); err != nil {
		return err
	}
	size := int64(len(gzipHeader))
	var crc uint32
	var total int64
	ended := false
	for ch := range order {
		select {
		case <-ch.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if ch.out == nil { // the worker saw the context cancelled
			ch.release()
			return ctx.Err()
		}
		crc = crc32Combine(crc, ch.crc, ch.n)
		total += ch.n
		n, err := out.Write(ch.out.Bytes())
		size += int64(n)
		ended = ch.last
		ch.release()
		if err != nil {
			return err
		}
	}
	if !ended {
		if err := ctx.Err(); err != nil {
			return err
		}
		return errors.New("writing the tar.gz: the stream ended early")
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(total)) // ISIZE is the size modulo 2^32 (RFC 1952)
	if _, err := out.Write(trailer[:]); err != nil {
		return err
	}
	t.res.Size = size + 8
	t.res.TarBytes = total
	copy(t.res.Digest[:], h.Sum(nil))
	return nil
}

// produce generates the tar stream into chunks and hands each out.
func (t *tarStream) produce(ctx context.Context) error {
	t.next()
	var hb bytes.Buffer
	header := func(h *tar.Header) error {
		hb.Reset()
		if err := tar.NewWriter(&hb).WriteHeader(h); err != nil {
			return &PathError{Name: h.Name, Op: "adding", Err: err}
		}
		return t.write(hb.Bytes())
	}
	mt := t.opts.Modified.UTC().Truncate(time.Second)
	if t.opts.Prefix != "" {
		parts := strings.Split(t.opts.Prefix, "/")
		for i := range parts {
			if err := header(&tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i+1], "/") + "/", Mode: 0o755, ModTime: mt}); err != nil {
				return err
			}
		}
	}
	for _, it := range t.items {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := path.Join(t.opts.Prefix, it.Name)
		h := &tar.Header{Name: name, ModTime: mt, Mode: int64(it.mode() & 0o777)}
		switch it.Type {
		case TypeDir:
			h.Typeflag, h.Name = tar.TypeDir, name+"/"
		case TypeSymlink:
			h.Typeflag, h.Linkname = tar.TypeSymlink, it.Link
		default:
			h.Typeflag, h.Size = tar.TypeReg, it.Size
		}
		if err := header(h); err != nil {
			return err
		}
		if it.Type != TypeFile {
			continue
		}
		if err := t.copyFile(it); err != nil {
			return err
		}
		if pad := it.Size % 512; pad != 0 {
			if err := t.write(make([]byte, 512-pad)); err != nil {
				return err
			}
		}
	}
	// The end of the archive: two zero blocks.
	if err := t.write(make([]byte, 1024)); err != nil {
		return err
	}
	t.cur.last = true
	return t.flush()
}

// copyFile appends a file's content to the stream, refusing one that is no
// longer a regular file of the planned size.
func (t *tarStream) copyFile(it tarItem) error {
	perr := func(err error) error { return &PathError{Name: it.Name, Op: "reading", Err: err} }
	f, err := it.src.Open(it.Source)
	if err != nil {
		return perr(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return perr(err)
	}
	if !fi.Mode().IsRegular() {
		return perr(fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type()))
	}
	if fi.Size() != it.Size {
		return perr(fmt.Errorf("%w: size %d, planned %d", ErrChanged, fi.Size(), it.Size))
	}
	left := it.Size
	for left > 0 {
		b := *t.cur.buf
		room := min(int64(t.cur.limit-len(b)), left)
		k, err := io.ReadFull(f, b[len(b):len(b)+int(room)])
		*t.cur.buf = b[:len(b)+k]
		t.diff.Write(b[len(b) : len(b)+k])
		left -= int64(k)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				err = ErrChanged
			}
			return perr(err)
		}
		if len(*t.cur.buf) == t.cur.limit {
			if err := t.flush(); err != nil {
				return err
			}
			t.next()
		}
	}
	return nil
}

// write appends b to the stream.
func (t *tarStream) write(b []byte) error {
	t.diff.Write(b)
	for len(b) > 0 {
		buf := *t.cur.buf
		k := copy(buf[len(buf):t.cur.limit], b)
		*t.cur.buf = buf[:len(buf)+k]
		b = b[k:]
		if len(*t.cur.buf) == t.cur.limit {
			if err := t.flush(); err != nil {
				return err
			}
			t.next()
		}
	}
	return nil
}

// next starts a chunk primed with the end of the previous one.
func (t *tarStream) next() {
	buf := getIn(chunkSize + 1) // a full-size buffer: dictSize + chunkSize
	*buf = append((*buf)[:0], t.prev...)
	t.cur = &tarChunk{buf: buf, dict: len(t.prev), limit: len(t.prev) + chunkSize, done: make(chan struct{})}
}

// flush hands the current chunk to the workers and keeps its last
// dictSize bytes for the next.
func (t *tarStream) flush() error {
	ch := t.cur
	b := *ch.buf
	ch.n = int64(len(b) - ch.dict)
	keep := b[max(0, len(b)-dictSize):] // the last 32 KiB of the stream so far
	t.prev = append(t.prev[:0], keep...)
	t.cur = nil
	return t.send(ch)
}
