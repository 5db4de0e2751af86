//go:build !unix

package fstree

import (
	"fmt"
	"os"
)

type rawFile struct {
	*os.File
	size int64
	exec bool
}

func openNoFollow(p string) (*rawFile, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%v)", ErrNotRegular, fi.Mode().Type())
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return &rawFile{File: f, size: fi.Size(), exec: fi.Mode()&0o111 != 0}, nil
}

func (f *rawFile) Stat() (size int64, exec bool, err error) { return f.size, f.exec, nil }
