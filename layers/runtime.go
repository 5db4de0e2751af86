package layers

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// catalogJSON is the runtime catalog, copied from the project's shared data
// (compiled from cfn-lint's runtime lifecycle data and endoflife.date; see its
// "source" field). Refresh it when AWS moves a date.
//
//go:embed data/lambda-runtimes.json
var catalogJSON []byte

// OS is the Amazon Linux release a runtime runs on, by the catalog's key.
type OS string

// The operating systems of Lambda's managed runtimes.
const (
	AmazonLinux1    OS = "AL1"
	AmazonLinux2    OS = "AL2"
	AmazonLinux2023 OS = "AL2023"
)

// Name returns the operating system's full name, such as "Amazon Linux 2".
func (o OS) Name() string {
	switch o {
	case AmazonLinux1:
		return "Amazon Linux 1"
	case AmazonLinux2:
		return "Amazon Linux 2"
	case AmazonLinux2023:
		return "Amazon Linux 2023"
	}
	return string(o)
}

// MaxGLIBCXX returns the newest GLIBCXX_3.4.N symbol version the OS's
// libstdc++ provides (AL2: 3.4.24, AL2023: 3.4.29; AL1 shipped GCC 4.8's
// 3.4.19). Newer AL2023 images may carry more, so a need above it is worth a
// warning rather than an error there.
func (o OS) MaxGLIBCXX() string {
	switch o {
	case AmazonLinux1:
		return "3.4.19"
	case AmazonLinux2:
		return "3.4.24"
	case AmazonLinux2023:
		return "3.4.29"
	}
	return ""
}

// Date is a calendar date from the catalog, "YYYY-MM-DD", or "" when the
// catalog has none (not scheduled).
type Date string

// Time returns the date as midnight UTC, and false when the date is unset or
// malformed.
func (d Date) Time() (time.Time, bool) {
	if d == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, string(d))
	return t, err == nil
}

// DaysFrom returns the whole days from now's calendar date (in UTC) to d:
// negative when d has passed. ok is false when d is unset.
func (d Date) DaysFrom(now time.Time) (days int, ok bool) {
	t, ok := d.Time()
	if !ok {
		return 0, false
	}
	today, _ := time.Parse(time.DateOnly, now.UTC().Format(time.DateOnly))
	return int(t.Sub(today).Hours() / 24), true
}

// Runtime is one Lambda runtime identifier with its lifecycle, as the
// embedded catalog describes it.
type Runtime struct {
	ID            string `json:"identifier"`
	Name          string `json:"name"`
	OS            OS     `json:"os_key"`
	Glibc         string `json:"glibc"`
	Architectures []Arch `json:"architectures"`
	// Package is "zip" for runtimes that take zip packages and layers,
	// "container-only" for those offered only as base images, and
	// "preview" for runtimes in public preview.
	Package     string `json:"package"`
	Deprecation Date   `json:"deprecation"`
	BlockCreate Date   `json:"block_create"`
	BlockUpdate Date   `json:"block_update"`
	Successor   string `json:"successor"`
	Note        string `json:"note,omitempty"`
}

// Supports reports whether the runtime runs on arch.
func (r Runtime) Supports(a Arch) bool { return slices.Contains(r.Architectures, a) }

// Family returns the language family of the runtime: "python", "nodejs",
// "java", "ruby", "dotnet", "provided" or "go".
func (r Runtime) Family() string {
	for _, f := range []string{"python", "nodejs", "java", "ruby", "dotnet", "provided", "go"} {
		if strings.HasPrefix(r.ID, f) {
			return f
		}
	}
	return ""
}

// LanguageVersion returns the language version the identifier names: "3.12"
// for python3.12, "22" for nodejs22.x, "3.3" for ruby3.3, "21" for java21;
// "" when the identifier carries none (provided, go1.x).
func (r Runtime) LanguageVersion() string {
	v := strings.TrimPrefix(r.ID, r.Family())
	switch r.Family() {
	case "nodejs":
		v = strings.TrimSuffix(strings.TrimSuffix(v, "-edge"), ".x")
		if v == "" {
			v = "0.10"
		}
	case "java":
		v, _, _ = strings.Cut(v, ".")
	case "dotnet":
		v = strings.TrimPrefix(v, "core")
	case "provided", "go":
		v = ""
	}
	return v
}

// LayerDirs returns the top-level folders of a layer (or function) zip that
// the runtime reads, per Lambda's documentation of layer paths: the
// language's own folder, plus bin/ (on PATH), lib/ (on LD_LIBRARY_PATH) and
// extensions/ (Lambda extensions), which every runtime reads.
func (r Runtime) LayerDirs() []string {
	dirs := []string{"bin", "lib", "extensions"}
	switch r.Family() {
	case "python":
		dirs = append(dirs, "python")
	case "nodejs":
		dirs = append(dirs, "nodejs")
	case "java":
		dirs = append(dirs, "java")
	case "ruby":
		dirs = append(dirs, "ruby")
	}
	sort.Strings(dirs)
	return dirs
}

// NodeModuleVersion returns NODE_MODULE_VERSION of a Node.js runtime's Node
// (the ABI version non-N-API addons are built for), or 0 when unknown.
func (r Runtime) NodeModuleVersion() int {
	if r.Family() != "nodejs" {
		return 0
	}
	// From Node's doc/abi_version_registry.json.
	return map[string]int{"10": 64, "12": 72, "14": 83, "16": 93, "18": 108, "20": 115, "22": 127, "24": 137, "26": 147}[r.LanguageVersion()]
}

// Deprecated reports whether the runtime's deprecation date is on or before
// now's date.
func (r Runtime) Deprecated(now time.Time) bool {
	d, ok := r.Deprecation.DaysFrom(now)
	return ok && d <= 0
}

type catalogFile struct {
	Source     string    `json:"source"`
	CompiledOn string    `json:"compiled_on"`
	Runtimes   []Runtime `json:"runtimes"`
}

var catalog = sync.OnceValue(func() catalogFile {
	var c catalogFile
	dec := json.NewDecoder(bytes.NewReader(catalogJSON))
	if err := dec.Decode(&c); err != nil {
		// The catalog is compiled into the binary and covered by tests.
		panic(fmt.Sprintf("layers: embedded runtime catalog: %v", err))
	}
	return c
})

// Runtimes returns every runtime in the embedded catalog, in the catalog's
// order (by family, newest first). The slice is a copy the caller may keep.
func Runtimes() []Runtime { return slices.Clone(catalog().Runtimes) }

// CatalogSource says where the embedded catalog's data comes from and when it
// was compiled.
func CatalogSource() (source, compiledOn string) {
	c := catalog()
	return c.Source, c.CompiledOn
}

// LookupRuntime returns the catalog's entry for a runtime identifier such as
// "python3.12".
func LookupRuntime(id string) (Runtime, bool) {
	for _, r := range catalog().Runtimes {
		if r.ID == id {
			return r, true
		}
	}
	return Runtime{}, false
}

// UnknownRuntimeError reports a runtime identifier the catalog does not know,
// with the closest known identifiers as suggestions.
type UnknownRuntimeError struct {
	ID      string
	Similar []string
}

func (e *UnknownRuntimeError) Error() string {
	msg := fmt.Sprintf("unknown runtime %q", e.ID)
	if len(e.Similar) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(e.Similar, ", "))
	}
	return msg + "; `layerkit runtimes` lists them all"
}

// ParseRuntime looks up id and returns an *UnknownRuntimeError when the
// catalog does not know it.
func ParseRuntime(id string) (Runtime, error) {
	if r, ok := LookupRuntime(id); ok {
		return r, nil
	}
	e := &UnknownRuntimeError{ID: id}
	norm := strings.ToLower(strings.ReplaceAll(id, " ", ""))
	for _, r := range catalog().Runtimes {
		if r.ID == norm || strings.HasPrefix(r.ID, norm) || strings.HasPrefix(norm, r.ID) ||
			(len(norm) > 3 && strings.HasPrefix(r.ID, strings.TrimRight(norm, "0123456789.x"))) {
			e.Similar = append(e.Similar, r.ID)
		}
	}
	if len(e.Similar) > 4 {
		e.Similar = e.Similar[:4]
	}
	return Runtime{}, e
}
