// Command gozip zips a folder with Go's archive/zip the way a Go program
// without layerkit would: walk, open, copy, with the default deflate level.
// It is a peer in bench/run.sh, not part of layerkit.
//
//	go run ./bench/peers/gozip SRC OUT.zip
package main

import (
	"archive/zip"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: gozip SRC OUT.zip")
	}
	src, dst := os.Args[1], os.Args[2]
	out, err := os.Create(dst)
	if err != nil {
		log.Fatal(err)
	}
	zw := zip.NewWriter(out)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate})
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		log.Fatal(err)
	}
}
