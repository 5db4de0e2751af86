package layerfetch

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultCacheDir returns the folder layerkit keeps downloads in (and,
// later, builds): $LAYERKIT_CACHE_DIR when it is set, else layerkit in the
// user's cache folder (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on
// Linux, ~/Library/Caches on macOS, %LocalAppData% on Windows). It
// neither makes nor checks the folder.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("LAYERKIT_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache folder (set LAYERKIT_CACHE_DIR): %w", err)
	}
	return filepath.Join(d, "layerkit"), nil
}
