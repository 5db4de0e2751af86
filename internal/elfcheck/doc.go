// Package elfcheck tells what a file is from its bytes, not its name, and
// what an ELF object needs from the system that loads it.
//
// Identify looks at a file's first bytes (HeadSize of them) and names its
// format: ELF, Mach-O (thin or universal), PE, a script, or something else.
// InspectELF reads an ELF object's headers and the few sections that say
// what it needs: its class, byte order, machine, type, interpreter, the
// libraries it names (DT_NEEDED), where it looks for them (DT_RUNPATH or
// DT_RPATH) and the symbol versions it needs from glibc and libstdc++
// (.gnu.version_r). It never reads the code or data sections.
// InspectStream does the same for an object read forward once, as a zip
// entry is while it inflates, keeping only the ranges InspectELF reads (or
// the first few MiB, where they sit in practice) and never the whole
// object.
//
// PlanStrip plans an ELF object without its debug sections (.debug_*,
// .symtab, .comment; never a section the loader maps), leaving the ELF
// header's section fields the only loaded bytes that change, and
// VerifyStrip checks a stripped object against its original.
//
// Malformed input is expected here: every input is a file somebody else
// built. A truncated or corrupt object gives a *FormatError, never a panic.
// InspectELF parses the headers itself (debug/elf reads whole sections and
// string tables, and documents that malformed input may panic), and every
// read is bounded: a section read whole is capped, strings are read on
// demand from their tables, and tables whose offsets point back at each
// other cost at most what their size allows.
// Deciding whether what a file needs is a problem on Lambda is package
// lint's job.
package elfcheck
