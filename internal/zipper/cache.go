package zipper

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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

func indexPath(dir, dst string) string {
	return filepath.Join(dir, filepath.Base(dst)+".index.json")
}

// ForgetCache removes what the cache in dir keeps for the zip at dst, for
// a zip that is no longer built.
func ForgetCache(dir, dst string) error {
	err := os.Remove(indexPath(dir, dst))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// openPrevious returns the zip at dst with its index, or nil when there is
// none, when the index is from another version or level, or when the zip is
// not the one the index describes: another size, modification or change
// time, inode or device, as when it was rewritten, edited in place or
// replaced since. Only the zip the index describes lends its bytes.
func openPrevious(dir, dst string, level int) *previous {
	b, err := os.ReadFile(indexPath(dir, dst))
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
	f, err := os.Open(dst)
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

// saveIndex records where the zip just written at dst keeps each file's
// bytes, and what it was made of, written atomically so a cut-off save
// never leaves a bad index.
func saveIndex(dir, dst string, level int, files map[string]indexEntry, inputs string, res Result) error {
	fi, err := os.Stat(dst)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(index{Version: cacheVersion, Level: level, ZipSize: fi.Size(), Zip: IDOf(fi), Files: files,
		Inputs: inputs, SHA256: hex.EncodeToString(res.SHA256[:]), Entries: res.Entries, FileCount: res.Files, UnzippedBytes: res.UnzippedBytes})
	if err != nil {
		return err
	}
	p := indexPath(dir, dst)
	if err := atomicfile.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
