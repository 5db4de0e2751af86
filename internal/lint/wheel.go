package lint

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/layerkit/layerkit/internal/elfcheck"
)

// WheelTags returns the tags a wheel's WHEEL metadata lists ("Tag:
// cp312-cp312-manylinux_2_17_aarch64" lines), with compressed tag sets
// ("py2.py3-none-any") expanded.
func WheelTags(text []byte) []string {
	var tags []string
	for line := range strings.Lines(string(text)) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "Tag:")
		if !ok {
			continue
		}
		parts := strings.Split(strings.TrimSpace(v), "-")
		if len(parts) != 3 {
			continue
		}
		for _, py := range strings.Split(parts[0], ".") {
			for _, abi := range strings.Split(parts[1], ".") {
				for _, plat := range strings.Split(parts[2], ".") {
					tags = append(tags, py+"-"+abi+"-"+plat)
				}
			}
		}
	}
	return tags
}

// wheelArch maps a platform tag's architecture to the ELF machine name.
var wheelArch = map[string]string{"x86_64": "x86_64", "aarch64": "arm64"}

// tagFit says why a wheel tag does not fit the target, or "" when it does.
// pyVersion ("3.12"), arch and glibc may be empty when unknown.
func tagFit(tag, pyVersion, arch, glibc string) string {
	parts := strings.Split(tag, "-")
	if len(parts) != 3 {
		return "malformed tag"
	}
	py, abi, plat := parts[0], parts[1], parts[2]
	if pyVersion != "" {
		want := "cp" + strings.ReplaceAll(pyVersion, ".", "")
		switch {
		case strings.HasPrefix(py, "py"):
			if py != "py3" && py != "py2" && !strings.HasPrefix(py, "py3") {
				return "for Python " + py
			}
		case strings.HasPrefix(py, "cp"):
			if abi == "abi3" {
				if n, m := pyMinor(py), pyMinor(want); n < 0 || n > m {
					return fmt.Sprintf("stable ABI from %s, newer than the runtime's %s", py, want)
				}
			} else if py != want {
				return fmt.Sprintf("for %s, the runtime is %s", py, want)
			}
		default:
			return "for interpreter " + py
		}
	}
	if plat == "any" {
		return ""
	}
	var platArch, need string
	switch {
	case strings.HasPrefix(plat, "manylinux1_"):
		platArch, need = strings.TrimPrefix(plat, "manylinux1_"), "2.5"
	case strings.HasPrefix(plat, "manylinux2010_"):
		platArch, need = strings.TrimPrefix(plat, "manylinux2010_"), "2.12"
	case strings.HasPrefix(plat, "manylinux2014_"):
		platArch, need = strings.TrimPrefix(plat, "manylinux2014_"), "2.17"
	case strings.HasPrefix(plat, "manylinux_"):
		f := strings.SplitN(strings.TrimPrefix(plat, "manylinux_"), "_", 3)
		if len(f) != 3 {
			return "malformed platform " + plat
		}
		platArch, need = f[2], f[0]+"."+f[1]
	case strings.HasPrefix(plat, "linux_"):
		platArch = strings.TrimPrefix(plat, "linux_")
	case strings.HasPrefix(plat, "musllinux_"):
		return "for musl libc (" + plat + ")"
	default:
		return "for another platform (" + plat + ")"
	}
	if arch != "" && wheelArch[platArch] != arch {
		return fmt.Sprintf("for %s, the target is %s", platArch, arch)
	}
	if need != "" && glibc != "" && elfcheck.CompareVersions(need, glibc) > 0 {
		return fmt.Sprintf("needs glibc %s, the runtime's OS has %s", need, glibc)
	}
	return ""
}

func pyMinor(cp string) int {
	s := strings.TrimPrefix(cp, "cp3")
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func (c *checker) wheel(a *Artifact, f *File) {
	tags := WheelTags(f.Text)
	if len(tags) == 0 {
		return
	}
	pyVersion, glibc := "", ""
	if c.runtime != nil {
		if c.runtime.Family() != "python" {
			return
		}
		pyVersion, glibc = c.runtime.LanguageVersion(), c.runtime.Glibc
	}
	var why []string
	for _, t := range tags {
		r := tagFit(t, pyVersion, string(c.arch), glibc)
		if r == "" {
			return
		}
		why = append(why, t+": "+r)
	}
	pkg := strings.TrimSuffix(path.Base(path.Dir(f.Path)), ".dist-info")
	c.add(RuleWheelTags, a, f.Path, 0, fmt.Sprintf("wheel %s was built for another target", pkg), strings.Join(why, "; "))
}
