//go:build !unix

package config

// openNonblock is 0 where the file system has no FIFOs to wait on.
const openNonblock = 0
