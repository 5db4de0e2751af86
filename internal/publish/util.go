package publish

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// progressReader reports how much of a file has been read. It implements
// io.ReadSeeker so the SDK can compute checksums and rewind for retries.
type progressReader struct {
	f      *os.File
	total  int64
	done   int64
	report func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.done += int64(n)
	p.report(p.done)
	return n, err
}

func (p *progressReader) Seek(off int64, whence int) (int64, error) {
	n, err := p.f.Seek(off, whence)
	p.done = n
	return n, err
}

var _ io.ReadSeeker = (*progressReader)(nil)

// WriteResults writes published.json into dir atomically.
func WriteResults(dir string, p Published) error {
	if p.Layers == nil {
		p.Layers = []Result{}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, PublishedFile), append(b, '\n'), 0o644)
}

// ReadResults reads a published.json.
func ReadResults(p string) (*Published, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var pub Published
	if err := json.Unmarshal(b, &pub); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &pub, nil
}
