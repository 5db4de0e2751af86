//go:build !unix

package lint

import "os"

type rawFile struct{ *os.File }

func openNoFollow(p string) (*rawFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return &rawFile{f}, nil
}

func (f *rawFile) Stat() (size int64, exec bool, err error) {
	fi, err := f.File.Stat()
	if err != nil {
		return 0, false, err
	}
	return fi.Size(), fi.Mode()&0o111 != 0, nil
}
