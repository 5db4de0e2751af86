//go:build unix

package config

import "syscall"

// openNonblock opens a FIFO without waiting for a writer, so that a file
// swapped for one after its Stat is refused rather than waited on.
const openNonblock = syscall.O_NONBLOCK
