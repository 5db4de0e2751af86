//go:build !unix

package build

import "os"

// nonblock is 0 where FIFOs are not a concern.
const nonblock = 0

// lockFile does nothing where flock is missing: one build per output
// folder is then the user's care.
func lockFile(*os.File) error { return nil }
