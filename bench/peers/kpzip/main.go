// Command kpzip zips a folder the plainest fast way: klauspost/compress's
// deflate at level 6, whole files compressed by one goroutine per core,
// written in walk order with archive/zip. Symlinks are stored as symlinks,
// as layerkit and `zip -y` do, so the content matches. It is the reference
// the build speed goal was set against ("a plain two-goroutine klauspost
// writer"), a peer in bench/run.sh, not part of layerkit.
//
//	go run ./bench/peers/kpzip SRC OUT.zip
package main

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime"

	"github.com/klauspost/compress/flate"
)

type file struct {
	name string
	mode fs.FileMode
	link string
	done chan struct{}
	crc  uint32
	size int64
	data []byte // compressed
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: kpzip SRC OUT.zip")
	}
	src, dst := os.Args[1], os.Args[2]
	var files []*file
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		f := &file{name: filepath.ToSlash(rel), mode: d.Type(), done: make(chan struct{})}
		if d.Type()&fs.ModeSymlink != 0 {
			if f.link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// Workers compress whole files; a bounded window keeps memory in check.
	work := make(chan *file, 16)
	for range runtime.GOMAXPROCS(0) {
		go func() {
			var buf bytes.Buffer
			fw, _ := flate.NewWriter(&buf, 6)
			for f := range work {
				if f.link == "" {
					b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f.name)))
					if err != nil {
						log.Fatal(err)
					}
					buf.Reset()
					fw.Reset(&buf)
					fw.Write(b)
					fw.Close()
					f.crc, f.size, f.data = crc32.ChecksumIEEE(b), int64(len(b)), bytes.Clone(buf.Bytes())
				}
				close(f.done)
			}
		}()
	}
	window := make(chan struct{}, 32)
	go func() {
		for _, f := range files {
			window <- struct{}{}
			work <- f
		}
		close(work)
	}()

	out, err := os.Create(dst)
	if err != nil {
		log.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, f := range files {
		<-f.done
		<-window
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, CRC32: f.crc,
			CompressedSize64: uint64(len(f.data)), UncompressedSize64: uint64(f.size)}
		data := f.data
		if f.link != "" {
			h.Method, h.CRC32 = zip.Store, crc32.ChecksumIEEE([]byte(f.link))
			h.CompressedSize64, h.UncompressedSize64 = uint64(len(f.link)), uint64(len(f.link))
			h.SetMode(fs.ModeSymlink | 0o777)
			data = []byte(f.link)
		}
		w, err := zw.CreateRaw(h)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
			log.Fatal(err)
		}
		f.data = nil
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
}
