package zipper_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerkit/layerkit/internal/zipper"
)

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// An entry with Content is written from it, not from its Source, in
// several chunks when it is bigger than one; content shorter than the
// planned Size fails the write.
func TestEntryContent(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	made := bytes.Repeat([]byte("made at build time\n"), 200_000) // several chunks
	content := func(b []byte) func() (io.ReaderAt, io.Closer, error) {
		return func() (io.ReaderAt, io.Closer, error) { return bytes.NewReader(b), nopCloser{}, nil }
	}
	entries := []zipper.Entry{{Name: "lib/libx.so", Size: int64(len(made)), Source: "not/on/disk", Content: content(made)}}
	dst := filepath.Join(dir, "out.zip")
	if _, err := zipper.WriteFile(t.Context(), dst, root, entries, zipper.Options{Level: 6, Modified: epoch}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, made) {
		t.Fatalf("entry holds %d bytes (%v); want the %d bytes of its Content", len(got), err, len(made))
	}

	entries[0].Content = content(made[:1000])
	if _, err := zipper.WriteFile(t.Context(), dst, root, entries, zipper.Options{Level: 6, Modified: epoch}); err == nil {
		t.Fatal("content shorter than Size was written")
	}
}
