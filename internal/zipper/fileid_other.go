//go:build !linux && !darwin

package zipper

import "io/fs"

// addStatID adds nothing where the platform's stat has no portable change
// time: size and modification time alone identify the file.
func addStatID(id *FileID, fi fs.FileInfo) {}
