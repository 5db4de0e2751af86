package zipper

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/zeebo/xxh3"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

const (
	// chunkSize is how much of a file one worker compresses at a time. It is
	// part of the output format: changing it changes the bytes of every zip
	// with a file bigger than it (and invalidates caches, see cacheVersion).
	chunkSize = 1 << 20
	// dictSize is deflate's window: each chunk is primed with this much of
	// what precedes it, so chunking costs almost nothing in ratio.
	dictSize = 32 << 10
	// maxHeld is the largest file whose compressed chunks the writer holds
	// until the last one arrives, so that its header is written complete.
	// Bigger files are streamed and get their header patched afterwards,
	// which costs a second read of their compressed bytes to hash them.
	maxHeld = 8 << 20
	// maxAhead bounds the input the dispatcher may hand out before the
	// writer takes it, counting each chunk as at least smallBuf. It is a
	// byte budget rather than a count of chunks so that while one worker
	// compresses a big chunk at the head of the line, the other can go on
	// through hundreds of small files behind it instead of waiting.
	maxAhead = 16 << 20
	// smallBuf is the buffer size for a small file's input and output: most
	// files of a layer fit, and one waiting to be written does not pin a
	// buffer the size of a chunk.
	smallBuf = 64 << 10
)

// DefaultLevel is the compression level used when Options.Level is -1:
// klauspost/compress's level 6, its strongest fast matcher. On a 200 MB
// numpy/scipy/pandas layer it lands about 4 % above Info-ZIP's default
// output (symlinks kept) in about a fifth of its time (README.md, Speed);
// levels 7 to 9 trade speed for the last few percent.
const DefaultLevel = 6

// Options control how a zip is written.
type Options struct {
	// Level is the deflate level, 1 (fastest) to 9 (smallest); 0 stores
	// everything uncompressed; -1 picks DefaultLevel.
	Level int
	// Modified is every entry's timestamp (only its UTC wall clock is kept,
	// to two seconds; times before 1980 become 1980-01-01).
	Modified time.Time
	// Workers is how many goroutines compress; 0 means GOMAXPROCS.
	Workers int
	// CacheDir, when set, is a folder where WriteFile keeps an index of the
	// zip it writes, and from which it reuses the compressed bytes of
	// unchanged files of the previous zip at the same destination.
	CacheDir string
	// Store, when set, is the content-keyed cache shared by every build:
	// files whose bytes it holds compressed (with the same level and
	// format) are copied from it, after their checksum is checked, and the
	// files compressed anew are added to it when the zip is saved
	// (Staged.SaveCache). The caller opens and closes it.
	Store *Store
}

// Result describes a written zip.
type Result struct {
	Entries       int   // every entry, folders included
	Files         int   // files and symlinks
	UnzippedBytes int64 // sum of the entries' uncompressed sizes
	ZippedBytes   int64 // size of the zip file
	SHA256        [32]byte
	Reused        int // files whose compressed bytes came from the cache, or all of them when Unchanged
	// Cached counts the files among Reused whose compressed bytes came
	// from Options.Store, found by their content.
	Cached int
	// Unchanged says the zip at the destination was already the one these
	// entries make (the cache recorded making it from the same input, and
	// it is still that file, untouched), so nothing was written.
	Unchanged bool
}

// WriteFile writes entries, read from src, as a zip at dst. entries must be
// sorted as CheckEntries demands. The zip is written to a temporary file in
// dst's folder and renamed over dst only when complete: on any error, or when
// ctx is cancelled, dst is left as it was and the temporary file is removed.
// With opts.CacheDir set, the folder is created when missing. Errors about
// one entry are *PathError values. To put several zips in place together,
// use Stage.
func WriteFile(ctx context.Context, dst string, src Source, entries []Entry, opts Options) (Result, error) {
	dir, err := os.OpenRoot(filepath.Dir(dst))
	if err != nil {
		return Result{}, err
	}
	defer dir.Close()
	d := Dest{Dir: dir, Name: filepath.Base(dst)}
	if opts.CacheDir != "" {
		if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
			return Result{}, err
		}
		if d.Cache, err = os.OpenRoot(opts.CacheDir); err != nil {
			return Result{}, err
		}
		defer d.Cache.Close()
	}
	s, err := Stage(ctx, d, src, entries, opts)
	if err != nil {
		return Result{}, err
	}
	if err := s.Commit(); err != nil {
		s.Discard()
		return s.Result, err
	}
	if err := s.SaveCache(); err != nil {
		return s.Result, err
	}
	return s.Result, nil
}

// Dest is where Stage writes a zip: the folder that holds it, its name
// there (one path element), and the folder of the build cache, or nil for
// none (Options.CacheDir is not used by Stage). Every file Stage and Staged
// create, rename or remove is a direct child of Dir or Cache, reached
// through those handles.
type Dest struct {
	Dir   *os.Root
	Name  string
	Cache *os.Root
}

// Staged is a zip written completely under a temporary name beside its
// destination (named as atomicfile.IsTemp recognises), waiting for Commit
// to put it in place or Discard to remove it. A Staged is used by one
// goroutine.
type Staged struct {
	// Result describes the zip, whether or not it is in place yet.
	Result Result

	d      Dest
	tmp    string // "" when Result.Unchanged: nothing to put in place
	level  int
	index  map[string]indexEntry
	inputs string
	pack   *packWriter // files new to Options.Store, or nil
}

// Stage writes entries, read from src, as a zip under a temporary name in
// d.Dir, and returns it staged: d.Name is not touched until Commit. entries
// must be sorted as CheckEntries demands. With d.Cache set, the unchanged
// files' compressed bytes come from the zip now at d.Name when the cache
// describes it, and when nothing the zip depends on changed, nothing is
// written (Result.Unchanged). On any error, or when ctx is cancelled, the
// temporary file is removed. Errors about one entry are *PathError values.
func Stage(ctx context.Context, d Dest, src Source, entries []Entry, opts Options) (*Staged, error) {
	if err := CheckEntries(entries); err != nil {
		return nil, err
	}
	if opts.Level < 0 {
		opts.Level = DefaultLevel
	}
	if opts.Level > 9 {
		return nil, fmt.Errorf("compression level %d: want 0 to 9", opts.Level)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	s := &Staged{d: d, level: opts.Level}
	var prev *previous
	if d.Cache != nil {
		s.inputs = inputsDigest(entries, opts)
		prev = openPrevious(d.Cache, d.Dir, d.Name, opts.Level)
		if prev != nil {
			defer prev.f.Close()
			if r, ok := prev.unchanged(s.inputs); ok {
				s.Result = r
				return s, nil
			}
		}
	}
	tmp, tmpName, err := atomicfile.CreateTemp(d.Dir, d.Name)
	if err != nil {
		return nil, err
	}
	w := &writer{f: tmp, bw: bufio.NewWriterSize(tmp, 1<<20), hash: sha256.New(), src: src, opts: opts, prev: prev}
	if opts.Store != nil {
		w.pack = opts.Store.newPack()
	}
	err = w.run(ctx, entries)
	if err == nil {
		// CreateTemp makes the file 0600; a zip is as readable as any build
		// output.
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		d.Dir.Remove(tmpName)
		if w.pack != nil {
			w.pack.discard()
		}
		return nil, err
	}
	s.tmp, s.index, s.pack = tmpName, w.index, w.pack
	s.Result = w.res
	s.Result.ZippedBytes = w.pos
	copy(s.Result.SHA256[:], w.hash.Sum(nil))
	return s, nil
}

// Commit renames the staged zip over its destination, replacing what was
// there (a symlink there is replaced, not followed). It does nothing for an
// unchanged zip, or a second time.
func (s *Staged) Commit() error {
	if s.tmp == "" {
		return nil
	}
	if err := s.d.Dir.Rename(s.tmp, s.d.Name); err != nil {
		return err
	}
	s.tmp = ""
	return nil
}

// Discard removes the staged zip when it is not in place yet, and the
// files it would have added to Options.Store when SaveCache has not saved
// them. It is safe to call after Commit, and more than once.
func (s *Staged) Discard() error {
	if s.pack != nil {
		s.pack.discard()
		s.pack = nil
	}
	if s.tmp == "" {
		return nil
	}
	err := s.d.Dir.Remove(s.tmp)
	s.tmp = ""
	return err
}

// SaveCache records the committed zip in the cache folder, for the next
// build to reuse, and adds the files it compressed anew to Options.Store.
// It does nothing before Commit, without a cache, or for an unchanged zip,
// whose record is already there. An error saving to the store (a full
// disk in the user's cache folder) wraps ErrStoreSave and comes after the
// index is saved.
func (s *Staged) SaveCache() error {
	if s.tmp != "" {
		return nil
	}
	if s.d.Cache != nil && s.index != nil {
		if err := saveIndex(s.d.Cache, s.d.Dir, s.d.Name, s.level, s.index, s.inputs, s.Result); err != nil {
			return fmt.Errorf("saving build cache: %w", err)
		}
	}
	if s.pack != nil {
		err := s.pack.commit()
		s.pack = nil
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStoreSave, err)
		}
	}
	return nil
}

// ErrStoreSave reports that the files a zip compressed anew could not be
// added to Options.Store. The zip itself is complete and in place.
var ErrStoreSave = errors.New("saving to the build cache")

// chunk is one piece of a file on its way through the workers.
type chunk struct {
	e      *Entry
	off, n int64
	last   bool
	store  bool // the file's method is store: keep the bytes as read

	weight int64         // its share of maxAhead
	in     *[]byte       // pooled; dictionary then data
	out    *bytes.Buffer // pooled; compressed data
	data   []byte        // what to write: in's data or out's bytes
	stored bool          // a single-chunk file that did not shrink: stored
	crc    uint32
	sum    xxh3.Uint128 // of the chunk's input, with Options.Store
	err    error
	done   chan struct{}
}

var (
	inPool       = sync.Pool{New: func() any { b := make([]byte, 0, dictSize+chunkSize); return &b }}
	smallInPool  = sync.Pool{New: func() any { b := make([]byte, 0, smallBuf); return &b }}
	outPool      = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	smallOutPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, smallBuf)) }}
)

// getOut returns a pooled, empty buffer for the compressed form of n bytes;
// putOut gives it back.
func getOut(n int64) *bytes.Buffer {
	var b *bytes.Buffer
	if n <= smallBuf {
		b = smallOutPool.Get().(*bytes.Buffer)
	} else {
		b = outPool.Get().(*bytes.Buffer)
	}
	b.Reset()
	return b
}

func putOut(b *bytes.Buffer) {
	switch {
	case b.Cap() <= 2*smallBuf:
		smallOutPool.Put(b)
	case b.Cap() <= 4*chunkSize:
		outPool.Put(b)
	}
}

// getIn returns a pooled buffer of at least n bytes; putIn gives it back.
func getIn(n int64) *[]byte {
	if n <= smallBuf {
		return smallInPool.Get().(*[]byte)
	}
	return inPool.Get().(*[]byte)
}

func putIn(b *[]byte) {
	if cap(*b) == smallBuf {
		smallInPool.Put(b)
	} else {
		inPool.Put(b)
	}
}

type writer struct {
	f        *os.File
	bw       *bufio.Writer
	hash     hash.Hash // of every byte written, but while unhashed
	unhashed bool      // writing a file whose header will be patched
	pos      int64
	src      Source
	opts     Options
	prev     *previous
	cd       []byte
	count    int64
	res      Result
	index    map[string]indexEntry
	hbuf     []byte
	cbuf     []byte              // see copyBuf
	ahead    *semaphore.Weighted // input handed out, not yet taken by the writer

	// With Options.Store: the files' keys and what the store holds for
	// them, each valid once its probed channel is closed (see probe); the
	// pack the new files go to, whether the file being written goes there
	// too (teeing), and its chunks' sums.
	hits   []*blob
	keys   []Key
	probed []chan struct{}
	pack   *packWriter
	teeing bool
	sums   []xxh3.Uint128
}

func chunksOf(size int64) int64 { return max(1, (size+chunkSize-1)/chunkSize) }

func (w *writer) run(ctx context.Context, entries []Entry) error {
	date, tm := dosTime(w.opts.Modified)
	w.index = make(map[string]indexEntry)

	// reuse[i] is the previous zip's record for entries[i], when its bytes
	// can be copied instead of compressed.
	reuse := make([]*indexEntry, len(entries))
	if w.prev != nil {
		for i := range entries {
			e := &entries[i]
			if rec, ok := w.prev.ix.Files[e.Name]; ok && e.Type == TypeFile && e.ID != (FileID{}) && rec.ID == e.ID {
				reuse[i] = &rec
			}
		}
	}

	// stop lets the writer halt the dispatcher and workers at once when it
	// fails, instead of after it has drained everything they would make.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	window := maxAhead / smallBuf
	order := make(chan *chunk, window)
	work := make(chan *chunk, window)
	w.ahead = semaphore.NewWeighted(maxAhead)
	if w.opts.Store != nil {
		w.probe(gctx, g, entries, reuse)
	}

	// The dispatcher cuts files into chunks, in entry order.
	g.Go(func() error {
		defer close(order)
		defer close(work)
		for i := range entries {
			e := &entries[i]
			if e.Type != TypeFile || reuse[i] != nil || w.hit(gctx, i) != nil {
				continue
			}
			store := w.opts.Level == 0 || incompressible(e.Name)
			n := chunksOf(e.Size)
			for c := range n {
				ch := &chunk{e: e, off: c * chunkSize, n: min(chunkSize, e.Size-c*chunkSize), last: c == n-1, store: store, done: make(chan struct{})}
				ch.weight = max(ch.n, smallBuf)
				if w.ahead.Acquire(gctx, ch.weight) != nil {
					return nil
				}
				select {
				case order <- ch:
				case <-gctx.Done():
					return nil
				}
				select {
				case work <- ch:
				case <-gctx.Done():
					// The writer may be waiting on this chunk.
					ch.err = gctx.Err()
					close(ch.done)
					return nil
				}
			}
		}
		return nil
	})
	for range w.opts.Workers {
		g.Go(func() error {
			fw, _ := flate.NewWriter(io.Discard, max(w.opts.Level, 1))
			for ch := range work {
				if gctx.Err() == nil {
					w.compress(fw, ch)
				} else {
					ch.err = gctx.Err()
				}
				close(ch.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		err := w.writeEntries(gctx, entries, reuse, order, date, tm)
		if err != nil {
			// Stop the dispatcher and workers, then drain what they hold.
			stop()
			for ch := range order {
				<-ch.done
				w.ahead.Release(ch.weight)
				ch.release()
			}
		}
		return err
	})
	return g.Wait()
}

// open returns what a chunk of e is read from: its Content, or its file
// from the source, checked to be a regular file of the planned size.
func (w *writer) open(e *Entry) (io.ReaderAt, io.Closer, error) {
	if e.Content != nil {
		return e.Content()
	}
	f, err := w.src.Open(e.Source)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type())
	}
	if err == nil && fi.Size() != e.Size {
		err = fmt.Errorf("%w: size %d, planned %d", ErrChanged, fi.Size(), e.Size)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, f, nil
}

func (w *writer) compress(fw *flate.Writer, ch *chunk) {
	f, closer, err := w.open(ch.e)
	if err != nil {
		ch.err = &PathError{Name: ch.e.Name, Op: "reading", Err: err}
		return
	}
	defer closer.Close()
	dict := min(ch.off, dictSize)
	if ch.store {
		dict = 0
	}
	ch.in = getIn(dict + ch.n)
	buf := (*ch.in)[:dict+ch.n]
	if k, err := f.ReadAt(buf, ch.off-dict); int64(k) != dict+ch.n {
		if err == io.EOF {
			err = ErrChanged
		}
		ch.err = &PathError{Name: ch.e.Name, Op: "reading", Err: err}
		return
	}
	data := buf[dict:]
	ch.crc = crc32.ChecksumIEEE(data)
	if w.pack != nil {
		ch.sum = xxh3.Hash128(data)
	}
	if ch.store || ch.n == 0 {
		ch.data, ch.stored = data, true
		return
	}
	ch.out = getOut(ch.n)
	fw.ResetDict(ch.out, buf[:dict])
	fw.Write(data) // writes to a bytes.Buffer cannot fail
	if ch.last {
		fw.Close()
	} else {
		fw.Flush()
	}
	ch.data = ch.out.Bytes()
	if ch.off == 0 && ch.last && int64(len(ch.data)) >= ch.n {
		// Stored: keep the input, give the compressed attempt back.
		ch.data, ch.stored = data, true
		putOut(ch.out)
		ch.out = nil
		return
	}
	// The input is no longer needed: return it now, so that a file whose
	// chunks the writer holds costs only its compressed size.
	putIn(ch.in)
	ch.in = nil
}

func (ch *chunk) release() {
	if ch.in != nil {
		putIn(ch.in)
	}
	if ch.out != nil {
		putOut(ch.out)
	}
	ch.in, ch.out, ch.data = nil, nil, nil
}

// Write writes b to the zip, hashing it and counting the position.
func (w *writer) Write(b []byte) (int, error) {
	n, err := w.bw.Write(b)
	if !w.unhashed {
		w.hash.Write(b[:n])
	}
	w.pos += int64(n)
	return n, err
}

func (w *writer) write(b []byte) error {
	_, err := w.Write(b)
	return err
}

func (w *writer) writeEntries(ctx context.Context, entries []Entry, reuse []*indexEntry, order <-chan *chunk, date, tm uint16) error {
	for i := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := &entries[i]
		h := header{name: e.zipName(), offset: w.pos, mode: e.mode(), dir: e.Type == TypeDir, date: date, time: tm}
		w.res.Entries++
		switch e.Type {
		case TypeDir:
			if err := w.writeWhole(&h, nil); err != nil {
				return err
			}
		case TypeSymlink:
			w.res.Files++
			link := []byte(e.Link)
			h.crc, h.usize, h.csize = crc32.ChecksumIEEE(link), int64(len(link)), int64(len(link))
			if err := w.writeWhole(&h, link); err != nil {
				return err
			}
		case TypeFile:
			w.res.Files++
			key, err := w.writeFile(ctx, &h, i, e, reuse[i], order)
			if err != nil {
				return err
			}
			w.index[e.Name] = indexEntry{ID: e.ID, Offset: h.offset + int64(h.localLen()), CSize: h.csize, CRC: h.crc, Method: h.method, Key: key}
		}
		w.res.UnzippedBytes += h.usize
		w.count++
		w.cd = h.appendCentral(w.cd)
	}
	cdOffset := w.pos
	if err := w.write(w.cd); err != nil {
		return err
	}
	if err := w.write(appendEnd(nil, w.count, cdOffset, int64(len(w.cd)))); err != nil {
		return err
	}
	return w.bw.Flush()
}

// writeWhole writes an entry whose data is in memory and whose header is
// complete.
func (w *writer) writeWhole(h *header, data []byte) error {
	w.hbuf = h.appendLocal(w.hbuf[:0])
	if err := w.write(w.hbuf); err != nil {
		return err
	}
	return w.data(data)
}

func (w *writer) copyPrevious(h *header, e *Entry, rec *indexEntry) error {
	h.method, h.crc, h.usize, h.csize = rec.Method, rec.CRC, e.Size, rec.CSize
	h.zip64Local = e.Size >= zip64LocalThreshold
	w.hbuf = h.appendLocal(w.hbuf[:0])
	if err := w.write(w.hbuf); err != nil {
		return err
	}
	n, err := io.CopyBuffer(dataWriter{w}, io.NewSectionReader(w.prev.f, rec.Offset, rec.CSize), w.copyBuf())
	if err == nil && n != rec.CSize {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return &PathError{Name: e.Name, Op: "copying from the build cache", Err: err}
	}
	w.res.Reused++
	return nil
}

func (w *writer) writeChunks(ctx context.Context, h *header, e *Entry, order <-chan *chunk) error {
	h.usize = e.Size
	h.zip64Local = e.Size >= zip64LocalThreshold
	first, err := w.next(order)
	if err != nil {
		return err
	}
	if first.last {
		// The whole file is in one chunk: the header is known up front.
		defer first.release()
		h.crc, h.csize, h.method = first.crc, int64(len(first.data)), methodDeflate
		if first.stored {
			h.method = methodStore
		}
		return w.writeWhole(h, first.data)
	}
	h.method = methodDeflate
	if first.store {
		h.method = methodStore
	}
	if e.Size <= maxHeld {
		return w.writeHeld(h, first, order)
	}
	return w.writePatched(ctx, h, e, first, order)
}

// next returns the next chunk of the file being written, once compressed.
func (w *writer) next(order <-chan *chunk) (*chunk, error) {
	ch, ok := <-order
	if !ok {
		return nil, context.Canceled
	}
	<-ch.done
	w.ahead.Release(ch.weight)
	if ch.err != nil {
		ch.release()
		return nil, ch.err
	}
	if w.teeing {
		w.sums = append(w.sums, ch.sum)
	}
	return ch, nil
}

// writeHeld collects every chunk of a file, then writes its complete
// header and its data.
func (w *writer) writeHeld(h *header, first *chunk, order <-chan *chunk) error {
	held := []*chunk{first}
	defer func() {
		for _, ch := range held {
			ch.release()
		}
	}()
	for ch := first; !ch.last; {
		var err error
		if ch, err = w.next(order); err != nil {
			return err
		}
		held = append(held, ch)
	}
	for _, ch := range held {
		h.csize += int64(len(ch.data))
		h.crc = crc32Combine(h.crc, ch.crc, ch.n)
	}
	w.hbuf = h.appendLocal(w.hbuf[:0])
	if err := w.write(w.hbuf); err != nil {
		return err
	}
	for _, ch := range held {
		if err := w.data(ch.data); err != nil {
			return err
		}
	}
	return nil
}

// writePatched streams a big file's chunks as they come, then rewrites its
// header, now with checksum and sizes, in place. The zip's hash stops at
// the header and catches up once it is patched, reading back what was
// written since.
func (w *writer) writePatched(ctx context.Context, h *header, e *Entry, first *chunk, order <-chan *chunk) error {
	w.unhashed = true
	w.hbuf = h.appendLocal(w.hbuf[:0])
	if err := w.write(w.hbuf); err != nil {
		first.release()
		return err
	}
	for ch := first; ; {
		err := w.data(ch.data)
		h.csize += int64(len(ch.data))
		h.crc = crc32Combine(h.crc, ch.crc, ch.n)
		last := ch.last
		ch.release()
		if err != nil {
			return err
		}
		if last {
			break
		}
		if ch, err = w.next(order); err != nil {
			return err
		}
	}
	if h.csize >= max32 && !h.zip64Local {
		return &PathError{Name: e.Name, Op: "writing", Err: errors.New("compressed size passed 4 GiB without zip64")}
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	// The complete header has the same length as the one written first.
	w.hbuf = h.appendLocal(w.hbuf[:0])
	if _, err := w.f.WriteAt(w.hbuf, h.offset); err != nil {
		return err
	}
	if err := hashCtx(ctx, w.hash, io.NewSectionReader(w.f, h.offset, w.pos-h.offset)); err != nil {
		return fmt.Errorf("hashing %s: %w", w.f.Name(), err)
	}
	w.unhashed = false
	return nil
}

// hashCtx feeds r to h a chunk at a time, stopping when ctx is done: the
// read-back of a big file's bytes takes seconds, and Ctrl-C must not wait
// for it.
func hashCtx(ctx context.Context, h hash.Hash, r io.Reader) error {
	buf := make([]byte, chunkSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, buf)
		h.Write(buf[:n]) // a hash.Hash never fails
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// incompressible reports whether a file's name says its content is already
// compressed, so that deflating it would cost time for nothing. Formats that
// are often stored uncompressed inside (.npz, .png, .gif) are not listed:
// deflate still shrinks them.
func incompressible(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".br", ".7z", ".rar",
		".jar", ".whl", ".egg", ".jpg", ".jpeg", ".webp", ".avif", ".heic",
		".mp3", ".mp4", ".m4a", ".ogg", ".webm", ".mov", ".woff2":
		return true
	}
	return false
}
