package elfcheck

import (
	"debug/elf"
	"errors"
	"io"
	"strconv"
	"strings"
)

// ELFInfo is what an ELF object says about itself and what it needs.
type ELFInfo struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	// Interp is the program interpreter (PT_INTERP), such as
	// "/lib64/ld-linux-x86-64.so.2"; empty for shared libraries and static
	// executables.
	Interp string
	// Needed lists the DT_NEEDED libraries in the object's order, each
	// once.
	Needed []string
	// RunPath lists the folders of DT_RUNPATH, or of DT_RPATH when there is
	// no DT_RUNPATH (the loader ignores DT_RPATH then), unexpanded:
	// "$ORIGIN/../lib" stays as written. Each folder appears once, and at
	// most MaxRunPath of them.
	RunPath []string
	// RPath says RunPath comes from DT_RPATH (there is no DT_RUNPATH): the
	// loader then also searches it for what this object's dependencies
	// need, and theirs, which DT_RUNPATH never serves.
	RPath bool
	// Versions maps each library named in .gnu.version_r to the symbol
	// versions needed from it: "libc.so.6" -> ["GLIBC_2.17", "GLIBC_2.34"],
	// each once.
	Versions map[string][]string
	// Symbols lists the defined dynamic symbols; filled only when
	// Options.Symbols is set.
	Symbols []string
	// Imports lists the undefined dynamic symbols; filled only when
	// Options.Symbols is set.
	Imports []string
	// DebugBytes is the size in the file of the sections a slim build's
	// strip removes: the non-allocated (never mapped) .debug_*, .zdebug_*,
	// .symtab and .strtab sections that lie past the last loaded segment
	// (those between segments, where patchelf leaves them, cannot go
	// without moving what the loader maps), from the section headers and
	// the names in .shstrtab. It is 0 for a stripped object, and counts
	// only what the headers describe within the file; names that cannot be
	// read count nothing (the object still loads).
	DebugBytes int64
}

// Options says how much InspectELF and InspectStream read.
type Options struct {
	// Symbols asks for the dynamic symbol table (.dynsym), which Node
	// addons need to tell an N-API addon from one tied to one Node ABI.
	Symbols bool
	// Reopen, when set, gives InspectStream the object again from its
	// first byte, for a further pass when the first did not keep a range
	// it needs (see InspectStream). InspectStream closes what it returns.
	// InspectELF ignores it.
	Reopen func() (io.ReadCloser, error)
}

// FormatError reports an ELF object that cannot be parsed: truncated,
// corrupt, or not what its header claims.
type FormatError struct {
	Msg string
	Err error
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// InspectELF reads what an ELF object needs from r, which holds size bytes.
// It reads the ELF and program headers, the section headers, the .dynamic
// and .gnu.version_r sections (plus .dynsym with Options.Symbols), and from
// their string tables only the strings they point at; nothing else, so a
// .dynstr claiming a gigabyte of a sparse file costs a few reads. Every
// read is bounded (see MaxRunPath and the limits in parse.go), so the cost
// is linear in what the object holds, whatever its offsets claim. A
// malformed object gives a *FormatError. Fields that cannot be read
// because a section is missing stay empty: a static executable has no
// DT_NEEDED. Needed and each library's Versions list every name once;
// RunPath lists each folder once, at most MaxRunPath of them.
func InspectELF(r io.ReaderAt, size int64, opts Options) (*ELFInfo, error) {
	p := &parser{r: r, size: size}
	return p.inspect(opts)
}

// unwrapFormat names a read that ran out of bytes as what it means here: a
// truncated file.
func unwrapFormat(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("truncated file")
	}
	return err
}

// MaxVersion returns the highest version with the given prefix among the
// symbol versions the object needs from any library, without the prefix:
// MaxVersion("GLIBC_") might give "2.34". It returns "" when none has the
// prefix. Versions compare numerically, element by element.
func (i *ELFInfo) MaxVersion(prefix string) string {
	best := ""
	for _, vs := range i.Versions {
		for _, v := range vs {
			n, ok := strings.CutPrefix(v, prefix)
			if !ok || !isDotted(n) {
				continue
			}
			if best == "" || CompareVersions(n, best) > 0 {
				best = n
			}
		}
	}
	return best
}

func isDotted(s string) bool {
	if s == "" {
		return false
	}
	for p := range strings.SplitSeq(s, ".") {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// CompareVersions compares dotted version numbers such as "2.34" and
// "2.4" numerically, element by element: -1, 0 or +1. A missing element
// counts as 0; a non-numeric one as 0.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Musl reports whether the object is linked against musl libc rather than
// glibc: its interpreter is /lib/ld-musl-*.so.1, or it needs musl's libc
// (Alpine names it libc.musl-<arch>.so.1; musl itself installs libc.so).
func (i *ELFInfo) Musl() bool {
	if strings.Contains(i.Interp, "ld-musl") {
		return true
	}
	for _, n := range i.Needed {
		if strings.HasPrefix(n, "libc.musl-") || n == "libc.so" {
			return true
		}
	}
	return false
}

// MachineName names an ELF machine as people know it: "x86_64", "arm64",
// "i386", "arm"; otherwise debug/elf's EM_ name.
func MachineName(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_386:
		return "i386"
	case elf.EM_ARM:
		return "arm (32-bit)"
	}
	return m.String()
}
