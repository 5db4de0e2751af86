//go:build !linux && !darwin

package split

import (
	"io/fs"

	"github.com/layerkit/layerkit/internal/zipper"
)

// addStatID adds nothing where the platform's stat has no portable change
// time: size and modification time alone identify the file.
func addStatID(id *zipper.FileID, fi fs.FileInfo) {}
