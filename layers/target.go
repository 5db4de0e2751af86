package layers

import (
	"fmt"
	"strings"
)

// Target is one runtime on one architecture: what a layer zip is built for.
type Target struct {
	Runtime string `json:"runtime"`
	Arch    Arch   `json:"arch"`
}

// String returns the target as "RUNTIME-ARCH", such as "python3.12-arm64":
// the name of its layer folder by convention and the suffix of its zip.
func (t Target) String() string { return t.Runtime + "-" + string(t.Arch) }

// ParseTarget reads "RUNTIME-ARCH" (the arch may be an alias ParseArch
// accepts) and checks it against the catalog.
func ParseTarget(s string) (Target, error) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return Target{}, fmt.Errorf("target %q: want RUNTIME-ARCH, such as python3.12-arm64", s)
	}
	a, err := ParseArch(s[i+1:])
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", s, err)
	}
	t := Target{Runtime: s[:i], Arch: a}
	return t, t.Validate()
}

// Validate checks that the catalog knows the runtime and that it runs on the
// architecture.
func (t Target) Validate() error {
	r, err := ParseRuntime(t.Runtime)
	if err != nil {
		return err
	}
	if !t.Arch.Valid() {
		return fmt.Errorf("unknown architecture %q: want x86_64 or arm64", t.Arch)
	}
	if !r.Supports(t.Arch) {
		return fmt.Errorf("runtime %s does not run on %s (it runs on %s)", r.ID, t.Arch, joinArches(r.Architectures))
	}
	return nil
}

func joinArches(as []Arch) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
