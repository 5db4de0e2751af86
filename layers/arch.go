package layers

import (
	"fmt"
	"strings"
)

// Arch is a CPU architecture as Lambda names it: "x86_64" or "arm64".
type Arch string

// The architectures Lambda runs.
const (
	X86_64 Arch = "x86_64"
	ARM64  Arch = "arm64"
)

// Arches lists every architecture Lambda runs, in a stable order.
var Arches = []Arch{X86_64, ARM64}

// archAliases maps the names other ecosystems use (Go, Debian, the kernel) to
// Lambda's name.
var archAliases = map[string]Arch{
	"x86_64":  X86_64,
	"amd64":   X86_64,
	"x64":     X86_64,
	"arm64":   ARM64,
	"aarch64": ARM64,
}

// ParseArch reads an architecture name. It accepts Lambda's names and the
// common aliases amd64, x64 and aarch64; the returned Arch is always Lambda's
// name, so callers that want to tell the user which architecture an alias
// meant can compare it with the input.
func ParseArch(s string) (Arch, error) {
	if a, ok := archAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return a, nil
	}
	return "", fmt.Errorf("unknown architecture %q: want x86_64 or arm64 (amd64 and aarch64 are accepted as aliases)", s)
}

// ELFMachine returns the ELF e_machine value of the architecture's binaries:
// EM_X86_64 (62) or EM_AARCH64 (183), from the System V ABI supplements.
func (a Arch) ELFMachine() uint16 {
	switch a {
	case X86_64:
		return 62
	case ARM64:
		return 183
	}
	return 0
}

// NodeCPU returns the name npm and Node use for the architecture ("x64" or
// "arm64"), as in `npm install --cpu`.
func (a Arch) NodeCPU() string {
	if a == X86_64 {
		return "x64"
	}
	return string(a)
}

// GNUTriplet returns the multiarch triplet used in file names of Python
// extension modules and in Debian's library folders, such as
// "aarch64-linux-gnu".
func (a Arch) GNUTriplet() string {
	switch a {
	case X86_64:
		return "x86_64-linux-gnu"
	case ARM64:
		return "aarch64-linux-gnu"
	}
	return ""
}

// Valid reports whether a is one of the architectures Lambda runs.
func (a Arch) Valid() bool { return a == X86_64 || a == ARM64 }

// String returns Lambda's name for the architecture.
func (a Arch) String() string { return string(a) }
