package zipper

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

// cacheVersion changes whenever the compressed bytes WriteFile produces for
// the same input change (compressor version, chunk size, method choice), so
// that an old index is never used to build a zip a cold build would not.
const cacheVersion = "layerkit-zip-cache/2 klauspost-flate-1.20 chunk=1MiB"

// indexEntry says where one file's compressed bytes sit in a zip.
type indexEntry struct {
	ID     FileID `json:"id"`
	Offset int64  `json:"o"` // of the data, past the local header
	CSize  int64  `json:"z"`
	CRC    uint32 `json:"c"`
	Method uint16 `json:"x"`
	// Key is the file's Key in a Store, when it was computed.
	Key Key `json:"k,omitzero"`
}

// index is the cache file kept beside each zip WriteFile writes.
type index struct {
	Version string `json:"version"`
	Level   int    `json:"level"`
	ZipSize int64  `json:"zip_size"`
	// Zip identifies the zip the index describes: a zip rewritten, touched
	// or replaced since has another identity (its change time at least).
	Zip   FileID                `json:"zip"`
	Files map[string]indexEntry `json:"files"`
	// Inputs digests everything the zip's bytes depend on (see
	// inputsDigest); with SHA256 and the counts it lets a rebuild of an
	// unchanged tree keep the zip as it is.
	Inputs        string `json:"inputs,omitempty"`
	SHA256        string `json:"sha256,omitempty"`
	Entries       int    `json:"entries,omitempty"`
	FileCount     int    `json:"file_count,omitempty"`
	UnzippedBytes int64  `json:"unzipped_bytes,omitempty"`
}

// previous is a zip from an earlier build that may lend its bytes.
type previous struct {
	f  *os.File
	ix *index
}

func indexName(zipName string) string { return zipName + ".index.json" }

// ForgetCache removes what the cache folder keeps for the zip named
// zipName, for a zip that is no longer built.
func ForgetCache(cache *os.Root, zipName string) error {
	err := cache.Remove(indexName(zipName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// maxIndex bounds the index read back from the cache: one record is under
// 200 bytes, so this is room for a million files.
const maxIndex = 256 << 20

// openPrevious returns the zip name in dir with its index from cache, or
// nil when there is none, when the index is from another version or level,
// or when the zip is not the one the index describes: another size,
// modification or change time, inode or device, as when it was rewritten,
// edited in place or replaced since. Only the zip the index describes lends
// its bytes.
func openPrevious(cache, dir *os.Root, name string, level int) *previous {
	f, err := OpenRegular(cache, indexName(name))
	if err != nil {
		return nil
	}
	b, err := readAll(f, maxIndex)
	f.Close()
	if err != nil {
		return nil
	}
	var ix index
	if json.Unmarshal(b, &ix) != nil || ix.Version != cacheVersion || ix.Level != level {
		return nil
	}
	for _, rec := range ix.Files {
		if rec.Offset < 0 || rec.CSize < 0 || rec.Offset > ix.ZipSize || rec.CSize > ix.ZipSize-rec.Offset {
			return nil
		}
	}
	f, err = OpenRegular(dir, name)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() != ix.ZipSize || IDOf(fi) != ix.Zip {
		f.Close()
		return nil
	}
	return &previous{f: f, ix: &ix}
}

// readAll reads f, a regular file of at most limit bytes, whole, in one
// buffer of its size.
func readAll(f *os.File, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %w", f.Name(), ErrTooBig)
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// OpenRegular opens name in dir for reading, and returns it only when it is
// a regular file. The open does not wait (O_NONBLOCK), so a FIFO put where a
// file was expected is refused instead of hanging the caller; a symlink is
// followed only while it stays inside dir.
func OpenRegular(dir *os.Root, name string) (*os.File, error) {
	f, err := dir.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &os.PathError{Op: "open", Path: f.Name(), Err: fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type())}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// unchanged returns the Result of the previous zip when it was made from
// these inputs: then it is the zip this build would write, and nothing is
// written.
func (p *previous) unchanged(inputs string) (Result, bool) {
	var res Result
	if inputs == "" || p.ix.Inputs != inputs {
		return res, false
	}
	if len(p.ix.SHA256) != hex.EncodedLen(len(res.SHA256)) {
		return res, false
	}
	if _, err := hex.Decode(res.SHA256[:], []byte(p.ix.SHA256)); err != nil {
		return Result{}, false
	}
	res.Entries, res.Files, res.UnzippedBytes, res.ZippedBytes = p.ix.Entries, p.ix.FileCount, p.ix.UnzippedBytes, p.ix.ZipSize
	res.Reused, res.Unchanged = len(p.ix.Files), true
	return res, true
}

// inputsDigest is a SHA-256 of everything a zip's bytes depend on: the
// writer's version, the level, the timestamp, and each entry's name, type,
// mode, size, link and file identity. It is "" when a file has no identity,
// so that such a tree is always written.
func inputsDigest(entries []Entry, opts Options) string {
	h := sha256.New()
	date, tm := dosTime(opts.Modified)
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\n", cacheVersion, opts.Level, date, tm)
	for _, e := range entries {
		if e.Type == TypeFile && e.ID == (FileID{}) {
			return ""
		}
		fmt.Fprintf(h, "%q\x00%q\x00%d\x00%t\x00%d\x00%q\x00%+v\n", e.Name, e.Source, e.Type, e.Exec, e.Size, e.Link, e.ID)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// saveIndex records where the zip name in dir, just written, keeps each
// file's bytes, and what it was made of, in the cache folder, written
// atomically so a cut-off save never leaves a bad index.
func saveIndex(cache, dir *os.Root, name string, level int, files map[string]indexEntry, inputs string, res Result) error {
	fi, err := dir.Lstat(name)
	if err != nil {
		return err
	}
	b, err := json.Marshal(index{Version: cacheVersion, Level: level, ZipSize: fi.Size(), Zip: IDOf(fi), Files: files,
		Inputs: inputs, SHA256: hex.EncodeToString(res.SHA256[:]), Entries: res.Entries, FileCount: res.Files, UnzippedBytes: res.UnzippedBytes})
	if err != nil {
		return err
	}
	p := indexName(name)
	if err := atomicfile.WriteFileIn(cache, p, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(cache.Name(), p), err)
	}
	return nil
}
