// Package zipper writes deterministic zip files fast and reads them safely.
//
// Writing: WriteFile takes a sorted list of entries (files, folders and
// symlinks under one source root) and produces a zip whose bytes depend only
// on the entries' names, modes and contents, the timestamp and the
// compression level: no host-specific extra fields, no data descriptors, the
// same bytes on any machine and at any degree of parallelism. Files are cut
// into 1 MiB chunks that are compressed in parallel on every core (each chunk
// primed with the 32 KiB before it, as pigz does), so one big shared library
// keeps every core busy. Memory stays bounded whatever the size of the tree:
// the workers run at most 16 MB of input ahead of the writer, a file is held
// whole only up to 8 MB, and bigger ones are streamed with their header
// patched afterwards. A file that fits in one chunk and will not shrink is
// stored; a bigger one is deflated whatever it gains.
// Output goes to a temporary file beside the destination and is renamed into
// place only when complete; an error or a cancelled context leaves nothing
// behind.
//
// A cache folder (Options.CacheDir) makes rebuilds cheap: an index beside
// it remembers, for each file of the previous zip, the file's identity on
// disk (size, mtime, ctime, inode) and where its compressed bytes sit in
// that zip, and those bytes are copied instead of compressed again; when
// nothing the zip depends on changed, the previous zip is kept as it is.
// Output built with a cache is byte-identical to a cold build.
//
// A Store (Options.Store) reuses compressed bytes by content instead, for
// every build on the machine: a file is keyed by an XXH3-128 hash of its
// bytes and of what shapes their compressed form, so a fresh checkout, with
// every inode and mtime new, copies what an earlier build compressed. Its
// packs are written whole and renamed into place, so processes may share
// the folder; each file's checksum is checked before its bytes reach a
// zip, and a damaged one is compressed again. The stat-keyed index above
// stays in front of it.
//
// Image layers: WriteTarGz writes the same entries, read from the same
// Sources, as a deterministic gzip-compressed tar under a prefix ("opt",
// "var/task"), with the same parallel deflate: the tar stream is cut into
// 1 MiB chunks primed with the 32 KiB before them and joined with sync
// flushes, their CRC-32s combined for the gzip trailer, so the bytes do not
// depend on the number of workers.
//
// Reading: OpenReader lists a zip's entries and every Problem a hostile
// zip can pose (unsafe names, local names that differ from the central
// directory's, duplicates, a file that is also a folder, escaping symlinks,
// sizes no encoder produces, overlapping data) without inflating anything.
// Reader.Open streams one entry and verifies it as it goes: never more
// than the declared size, and at the end the exact size and the CRC-32.
// ReadAll reads through it, with memory that follows the bytes actually
// inflated.
//
// The package does not decide what goes into a zip (that is package split's
// job) and never follows a path outside the source root it is given.
package zipper
