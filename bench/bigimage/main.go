// Command bigimage writes a synthetic OCI image layout of about 2 GB
// uncompressed: 8 gzip layers, each with the machine's real shared
// libraries (ELF objects), thousands of small text files, big
// incompressible blobs and one big ELF object, and a whiteout of the layer
// below's files.
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

type hw struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (x *hw) Write(p []byte) (int, error) { x.h.Write(p); x.n += int64(len(p)); return x.w.Write(p) }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bigimage OUT-DIR")
		os.Exit(2)
	}
	out := os.Args[1]
	os.MkdirAll(filepath.Join(out, "blobs", "sha256"), 0o755)
	var libs []string
	filepath.Walk("/usr/lib/x86_64-linux-gnu", func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && strings.Contains(filepath.Base(p), ".so") {
			libs = append(libs, p)
		}
		return nil
	})
	rng := rand.New(rand.NewSource(1))
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	}
	var layers []desc
	var diffIDs []string
	var total int64
	for l := 0; l < 8; l++ {
		tmp := filepath.Join(out, "tmp")
		f, _ := os.Create(tmp)
		comp := &hw{w: f, h: sha256.New()}
		zw, _ := gzip.NewWriterLevel(comp, gzip.BestSpeed)
		plain := &hw{w: zw, h: sha256.New()}
		tw := tar.NewWriter(plain)
		add := func(name string, r io.Reader, size int64, mode int64) {
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: mode})
			io.CopyN(tw, r, size)
		}
		if l > 0 {
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("layer%d/.wh.text", l-1), Typeflag: tar.TypeReg})
		}
		// the machine's shared libraries, about 150 MB of real ELF objects
		n := 0
		for i, p := range libs {
			if i%4 != l%4 {
				continue
			}
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			src, err := os.Open(p)
			if err != nil {
				continue
			}
			add(fmt.Sprintf("layer%d/usr/lib64/%s", l, filepath.Base(p)), src, fi.Size(), 0o755)
			src.Close()
			n++
		}
		// 20,000 small text files
		line := []byte(strings.Repeat("print('hello from a python file')\n", 60))
		for i := 0; i < 20000; i++ {
			add(fmt.Sprintf("layer%d/text/pkg%03d/mod%05d.py", l, i/100, i), strings.NewReader(string(line)), int64(len(line)), 0o644)
		}
		// incompressible blobs up to about 256 MB a layer
		for i := 0; plain.n < 250<<20; i++ {
			add(fmt.Sprintf("layer%d/data/blob%03d.bin", l, i), rng, 16<<20, 0o644)
		}
		// one big ELF object: a real library's header and the rest padding
		if lib, err := os.ReadFile(libs[0]); err == nil {
			big := make([]byte, 40<<20)
			copy(big, lib)
			add(fmt.Sprintf("layer%d/var/task/big.so", l), strings.NewReader(string(big)), int64(len(big)), 0o755)
		}
		tw.Close()
		zw.Close()
		f.Close()
		d := hex.EncodeToString(comp.h.Sum(nil))
		os.Rename(tmp, filepath.Join(out, "blobs", "sha256", d))
		layers = append(layers, desc{"application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + d, comp.n})
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(plain.h.Sum(nil)))
		total += plain.n
		fmt.Fprintf(os.Stderr, "layer %d: %d libs, %d bytes tar, %d gzip\n", l, n, plain.n, comp.n)
	}
	blob := func(b []byte) desc {
		s := sha256.Sum256(b)
		d := hex.EncodeToString(s[:])
		os.WriteFile(filepath.Join(out, "blobs", "sha256", d), b, 0o644)
		return desc{Digest: "sha256:" + d, Size: int64(len(b))}
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Entrypoint": []string{"/layer0/usr/lib64/" + filepath.Base(libs[0])}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}})
	c := blob(cfg)
	c.MediaType = "application/vnd.oci.image.config.v1+json"
	man, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": layers})
	m := blob(man)
	m.MediaType = "application/vnd.oci.image.manifest.v1+json"
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []desc{m}})
	os.WriteFile(filepath.Join(out, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(out, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	fmt.Fprintf(os.Stderr, "total %d bytes uncompressed\n", total)
}
