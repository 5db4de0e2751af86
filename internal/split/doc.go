// Package split decides what goes into each zip of a build: it walks a
// source tree (never following a symlink, never leaving the root), applies
// the default and configured excludes, keeps secrets out and reports them,
// and plans one function zip of the shared code plus one layer zip per
// layer target. The main root and layer folders are resolved inside the
// project folder: a symlink to one is followed while it stays inside, and
// refused when it leads out. SlimEntries takes out of a plan's entries what
// a slim build leaves out (package slim decides which files).
//
// It reads file metadata only: no file's content is opened here, and nothing
// is written. Package zipper turns a plan's entries into bytes.
package split
