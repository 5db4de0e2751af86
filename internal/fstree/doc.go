// Package fstree is the one small interface through which layerkit reads
// what it checks: a folder, a zip, and later an image's layer stack, each a
// Tree of entries that can be walked, looked up, opened and read as links.
//
// A Tree is read-only and never follows a symlink inside itself: links are
// entries with their targets, for the checker to resolve as Lambda would.
// Content that contradicts the tree's own record of it (a zip entry longer
// or shorter than declared, a bad checksum) is an error from the reader,
// never silently passed on. fstree knows nothing of Lambda or of rules.
package fstree
