package zipper

import (
	"io/fs"
	"syscall"
)

// addStatID adds the change time, inode and device to a file's identity.
func addStatID(id *FileID, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.CTime = st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec
		id.Inode = st.Ino
		id.Dev = uint64(st.Dev)
	}
}
