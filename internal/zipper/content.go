package zipper

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/zeebo/xxh3"
	"golang.org/x/sync/errgroup"
)

// MarshalText writes k in hex.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads k from hex.
func (k *Key) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(k) {
		return fmt.Errorf("key %q: want %d hex digits", b, 2*len(k))
	}
	_, err := hex.Decode(k[:], b)
	return err
}

// probe computes, for every file the previous zip does not lend, its Key
// (reading it whole, chunk by chunk) and what the store holds for it,
// checked against its checksum, on up to Workers goroutines in entry order
// under g, ahead of the dispatcher and the writer, which wait for each
// file's answer (hit). It does nothing when the store is empty: then the
// keys come from the chunks' sums as the files are compressed, without a
// second read. A file that cannot be read now is left to the compressing
// pass, which reports it.
func (w *writer) probe(ctx context.Context, g *errgroup.Group, entries []Entry, reuse []*indexEntry) {
	st := w.opts.Store
	if st.Len() == 0 {
		return
	}
	w.hits = make([]*blob, len(entries))
	w.keys = make([]Key, len(entries))
	w.probed = make([]chan struct{}, len(entries))
	for i := range w.probed {
		w.probed[i] = make(chan struct{})
	}
	g.Go(func() error {
		var wg sync.WaitGroup
		defer wg.Wait()
		slots := make(chan struct{}, w.opts.Workers)
		for i := range entries {
			e := &entries[i]
			if e.Type != TypeFile || reuse[i] != nil {
				close(w.probed[i])
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil // the waiters stop on ctx too
			}
			wg.Go(func() {
				defer func() { <-slots }()
				defer close(w.probed[i])
				w.probeFile(i, e)
			})
		}
		return nil
	})
}

func (w *writer) probeFile(i int, e *Entry) {
	st := w.opts.Store
	k, ok := w.keyOf(e)
	if !ok {
		return
	}
	w.keys[i] = k
	b := st.lookup(k)
	if b == nil || b.usize != e.Size {
		return
	}
	buf := getIn(chunkSize)
	defer putIn(buf)
	if st.verify(b, (*buf)[:cap(*buf)]) == nil {
		w.hits[i] = b
	}
}

// hit waits for entry i's probe and returns what the store holds for it,
// or nil: when there is no probe, the store lacks it, or ctx is done.
func (w *writer) hit(ctx context.Context, i int) *blob {
	if w.probed == nil {
		return nil
	}
	select {
	case <-w.probed[i]:
		return w.hits[i]
	case <-ctx.Done():
		return nil
	}
}

// keyOf reads e and returns its Key, or false when it cannot be read as
// planned.
func (w *writer) keyOf(e *Entry) (Key, bool) {
	f, err := w.src.Open(e.Source)
	if err != nil {
		return Key{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return Key{}, false
	}
	buf := getIn(min(e.Size, chunkSize))
	defer putIn(buf)
	n := chunksOf(e.Size)
	sums := make([]xxh3.Uint128, 0, n)
	for c := range n {
		piece := (*buf)[:min(chunkSize, e.Size-c*chunkSize)]
		if _, err := f.ReadAt(piece, c*chunkSize); err != nil && !(err == io.EOF && len(piece) == 0) {
			return Key{}, false
		}
		sums = append(sums, xxh3.Hash128(piece))
	}
	return fileKey(w.opts.Level, w.stores(e), e.Size, sums), true
}

// stores reports whether e is stored rather than deflated whatever its
// content.
func (w *writer) stores(e *Entry) bool { return w.opts.Level == 0 || incompressible(e.Name) }

// writeFile writes entry i, a file: copied from the previous zip, from the
// store, or compressed; it returns the file's Key when it is known.
func (w *writer) writeFile(ctx context.Context, h *header, i int, e *Entry, rec *indexEntry, order <-chan *chunk) (Key, error) {
	if rec != nil {
		k := rec.Key
		// Keep the store holding what the zip holds: a pack it reads is
		// kept by trimming, a file it lacks is added.
		if w.pack != nil && k != (Key{}) {
			if b := w.opts.Store.lookup(k); b != nil {
				w.opts.Store.touch(b)
			} else if !w.pack.has(k) {
				w.teeStart()
				defer w.teeEnd(k, e.Size, rec.CRC, rec.Method)
			}
		}
		return k, w.copyPrevious(h, e, rec)
	}
	if b := w.hit(ctx, i); b != nil {
		return w.keys[i], w.copyBlob(h, e, b)
	}
	if w.pack == nil {
		return Key{}, w.writeChunks(ctx, h, e, order)
	}
	w.sums = w.sums[:0]
	w.teeStart()
	if err := w.writeChunks(ctx, h, e, order); err != nil {
		w.teeing = false
		return Key{}, err
	}
	// The key of the bytes just compressed, not the probe's: a file that
	// changed in between is stored as it was read.
	k := fileKey(w.opts.Level, w.stores(e), e.Size, w.sums)
	w.teeEnd(k, e.Size, h.crc, h.method)
	return k, nil
}

func (w *writer) teeStart() {
	w.pack.begin()
	w.teeing = true
}

func (w *writer) teeEnd(k Key, usize int64, crc uint32, method uint16) {
	if w.teeing {
		w.pack.end(k, usize, crc, method)
		w.teeing = false
	}
}

// data writes b, a file's compressed bytes, to the zip, and to the pack
// when the file is new to the store.
func (w *writer) data(b []byte) error {
	if w.teeing {
		w.pack.write(b)
	}
	return w.write(b)
}

// copyBuf returns the writer's buffer for copying compressed bytes, made
// once: io.Copy would allocate 32 KiB for each of thousands of files.
func (w *writer) copyBuf() []byte {
	if w.cbuf == nil {
		w.cbuf = make([]byte, 256<<10)
	}
	return w.cbuf
}

// dataWriter is w as an io.Writer of a file's compressed bytes.
type dataWriter struct{ w *writer }

func (d dataWriter) Write(b []byte) (int, error) {
	if err := d.w.data(b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// copyBlob writes a file whose compressed bytes the store holds. probe has
// checked them; they are checked again as they are copied, and a mismatch
// now (the pack changed in between, which nothing in layerkit does) fails
// the build rather than leave a bad zip.
func (w *writer) copyBlob(h *header, e *Entry, b *blob) error {
	h.method, h.crc, h.usize, h.csize = b.method, b.crc, e.Size, b.csize
	h.zip64Local = e.Size >= zip64LocalThreshold
	w.hbuf = h.appendLocal(w.hbuf[:0])
	if err := w.write(w.hbuf); err != nil {
		return err
	}
	f, err := w.opts.Store.open(b)
	if err == nil {
		sum := xxh3.New()
		var n int64
		n, err = io.CopyBuffer(io.MultiWriter(w, sum), io.NewSectionReader(f, b.off, b.csize), w.copyBuf())
		if err == nil && (n != b.csize || b.sumOf(sum) != b.sum) {
			err = ErrCacheDamaged
		}
	}
	if err != nil {
		return &PathError{Name: e.Name, Op: "copying from the build cache", Err: err}
	}
	w.res.Reused++
	w.res.Cached++
	return nil
}
