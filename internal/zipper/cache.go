package zipper

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

// cacheVersion changes whenever the compressed bytes WriteFile produces for
// the same input change (compressor version, chunk size, method choice), so
// that an old index is never used to build a zip a cold build would not.
const cacheVersion = "layerkit-zip-cache/1 klauspost-flate-1.20 chunk=1MiB"

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
	Version string                `json:"version"`
	Level   int                   `json:"level"`
	ZipSize int64                 `json:"zip_size"`
	ZipTime int64                 `json:"zip_mtime"`
	Files   map[string]indexEntry `json:"files"`
}

// previous is a zip from an earlier build that may lend its bytes.
type previous struct {
	f     *os.File
	files map[string]indexEntry
}

func indexPath(dir, dst string) string {
	return filepath.Join(dir, filepath.Base(dst)+".index.json")
}

// openPrevious returns the zip at dst with its index, or nil when there is
// none, when the index is from another version or level, or when the zip is
// not the one the index describes (it was rewritten or replaced since).
func openPrevious(dir, dst string, level int) *previous {
	b, err := os.ReadFile(indexPath(dir, dst))
	if err != nil {
		return nil
	}
	var ix index
	if json.Unmarshal(b, &ix) != nil || ix.Version != cacheVersion || ix.Level != level {
		return nil
	}
	f, err := os.Open(dst)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() != ix.ZipSize || fi.ModTime().UnixNano() != ix.ZipTime {
		f.Close()
		return nil
	}
	for _, rec := range ix.Files {
		if rec.Offset < 0 || rec.CSize < 0 || rec.Offset+rec.CSize > ix.ZipSize {
			f.Close()
			return nil
		}
	}
	return &previous{f: f, files: ix.Files}
}

// saveIndex records where the zip just written at dst keeps each file's
// bytes, written atomically so a cut-off save never leaves a bad index.
func saveIndex(dir, dst string, level int, files map[string]indexEntry) error {
	fi, err := os.Stat(dst)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(index{Version: cacheVersion, Level: level, ZipSize: fi.Size(), ZipTime: fi.ModTime().UnixNano(), Files: files})
	if err != nil {
		return err
	}
	p := indexPath(dir, dst)
	if err := atomicfile.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
