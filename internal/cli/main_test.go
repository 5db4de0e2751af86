package cli

import (
	"os"
	"testing"
)

// TestMain points the user cache folder (the build cache's default) at a
// temporary folder, so that tests neither read nor fill the real one.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "layerkit-cli-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
