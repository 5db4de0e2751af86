package layerfetch

import "github.com/layerkit/layerkit/internal/cachedir"

// DefaultCacheDir returns the folder layerkit keeps downloads in:
// cachedir.Default, shared with the build cache. It neither makes nor
// checks the folder.
func DefaultCacheDir() (string, error) { return cachedir.Default() }
