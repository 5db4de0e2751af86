package cachedir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Default returns layerkit's cache folder: $LAYERKIT_CACHE_DIR when it is
// set, else layerkit in the user's cache folder (os.UserCacheDir:
// $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS,
// %LocalAppData% on Windows). Each use keeps a subfolder of its own.
func Default() (string, error) {
	if d := os.Getenv("LAYERKIT_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache folder (set LAYERKIT_CACHE_DIR): %w", err)
	}
	return filepath.Join(d, "layerkit"), nil
}

// DefaultMax is the build cache's bound when LAYERKIT_CACHE_MAX is unset:
// 2 GiB, room for the compressed files of a few dozen full-size layers
// (Lambda unzips at most 250 MB per function).
const DefaultMax = 2 << 30

// Max returns the build cache's bound in bytes: $LAYERKIT_CACHE_MAX, a
// whole number of bytes with an optional suffix K, M, G (powers of 1024,
// also written KiB, MiB, GiB, KB, MB, GB), or DefaultMax when unset.
func Max() (int64, error) {
	v := os.Getenv("LAYERKIT_CACHE_MAX")
	if v == "" {
		return DefaultMax, nil
	}
	n, err := ParseSize(v)
	if err != nil {
		return 0, fmt.Errorf("LAYERKIT_CACHE_MAX=%q: %w", v, err)
	}
	return n, nil
}

// ParseSize reads a size such as 2G, 500MiB or 1048576 (see Max).
func ParseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a size in bytes such as 2G, 500M or 1048576")
	}
	return n * mult, nil
}
