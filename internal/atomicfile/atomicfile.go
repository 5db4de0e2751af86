// Package atomicfile writes small files so that a reader sees the old
// content or the new, never a part: a temporary file in the same folder,
// written, closed and checked, then renamed over the target.
//
// Temporary files are named ".<target>.layerkit-tmp-<digits>" (see
// IsTemp), so that one left behind by a killed process can be recognised
// and removed by the next run that owns the folder, and no file of anyone
// else's is taken for one.
package atomicfile

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteFile writes data to path with mode perm, atomically. On error the
// target is as it was and no temporary file is left.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return WriteFileIn(dir, filepath.Base(path), data, perm)
}

// WriteFileIn writes data to name, a file directly in dir, with mode perm,
// atomically. On error the target is as it was and no temporary file is
// left. The rename replaces a symlink at name rather than following it.
func WriteFileIn(dir *os.Root, name string, data []byte, perm os.FileMode) error {
	tmp, tmpName, err := CreateTemp(dir, name)
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm) // CreateTemp makes it 0600
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = dir.Rename(tmpName, name)
	}
	if err != nil {
		dir.Remove(tmpName)
	}
	return err
}

// CreateTemp creates a new file in dir, mode 0600, named for the target
// name as IsTemp recognises, and returns it open for reading and writing
// with its name in dir. It never opens an existing file or follows a
// symlink. The caller closes the file and renames or removes it.
func CreateTemp(dir *os.Root, name string) (*os.File, string, error) {
	for range 100 {
		tmpName := "." + name + tempMark + strconv.FormatUint(uint64(rand.Uint32()), 10)
		f, err := dir.OpenFile(tmpName, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, tmpName, err
	}
	return nil, "", &os.PathError{Op: "createtemp", Path: filepath.Join(dir.Name(), "."+name+tempMark+"*"), Err: fs.ErrExist}
}

// tempMark sits between a temporary file's target name and its digits.
const tempMark = ".layerkit-tmp-"

// IsTemp reports whether name is the name of a temporary file CreateTemp
// makes: a dot, a target name, ".layerkit-tmp-" and decimal digits.
func IsTemp(name string) bool { return isTemp(name, tempMark) }

// IsLegacyTemp reports whether name is a temporary file of earlier
// versions, ".<target>.tmp-<digits>", for a target that layerkit writes
// (a .zip or manifest.json): a file of that shape for any other target may
// be someone else's.
func IsLegacyTemp(name string) bool {
	if !isTemp(name, ".tmp-") {
		return false
	}
	target := name[1:strings.LastIndex(name, ".tmp-")]
	return strings.HasSuffix(target, ".zip") || target == "manifest.json"
}

// IsLegacyTempAny reports whether name has the shape of an earlier
// version's temporary file, whatever its target: for folders only layerkit
// writes.
func IsLegacyTempAny(name string) bool { return isTemp(name, ".tmp-") }

func isTemp(name, mark string) bool {
	i := strings.LastIndex(name, mark)
	if len(name) < 2 || name[0] != '.' || i < 2 || i+len(mark) == len(name) {
		return false
	}
	for _, c := range name[i+len(mark):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
