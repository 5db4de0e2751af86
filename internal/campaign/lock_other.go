//go:build !unix

package campaign

import "os"

// lockFile does nothing where flock is missing: one run per journal is
// then the user's care.
func lockFile(*os.File) error { return nil }
