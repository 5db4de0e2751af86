// Package install fills layer folders with dependencies for a target that
// need not be the host: pip or uv with the target's platform tags, Python
// version and implementation, binary wheels only; npm with the target's os,
// cpu and libc, and the npm_config_* the downloaders of prebuilt addons read.
// Each install is staged in the project's .layerkit/install folder,
// outside every layer folder, and renamed in only when it succeeded, so a
// failure or an interrupt leaves the previous python/ or nodejs/ as it was
// and nothing else in the layer folder. It never builds Python packages from
// source and never falls back to the host's architecture: a package with no
// fitting wheel is an error naming the package and the tags tried. An npm
// addon that would be compiled for another CPU or Node version is refused
// unless a Toolchain is given; node-gyp's intermediates never stay.
package install

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/layers"
)

// Job is one layer folder to fill for one target.
type Job struct {
	Layer  string
	Target layers.Target
	// Dir is the layer folder (absolute).
	Dir string
	// Project is the project folder; the install is staged in
	// StagingDir(Project), outside every layer folder.
	Project string
	// Requirements is a pip requirements file, or PackageJSON an npm
	// package.json (absolute paths); exactly one is set.
	Requirements string
	PackageJSON  string
}

// Plan lists the install jobs of a project: each target of a layer with an
// install: entry, or, for a project following the folder convention, every
// layers/<runtime>-<arch>/ target from the requirements.txt or package.json
// at the project's root (by the runtime's language). only, when not empty,
// keeps just those targets.
func Plan(cfg *config.Config, only []layers.Target) ([]Job, error) {
	var jobs []Job
	for _, name := range cfg.LayerNames() {
		l := cfg.Layers[name]
		for _, ts := range l.Targets {
			t := ts.Target()
			if len(only) > 0 && !contains(only, t) {
				continue
			}
			j := Job{Layer: name, Target: t, Dir: filepath.Join(cfg.Dir, filepath.FromSlash(ts.From)), Project: cfg.Dir}
			r, _ := layers.LookupRuntime(t.Runtime)
			switch {
			case l.Install.Python != "":
				j.Requirements = filepath.Join(cfg.Dir, filepath.FromSlash(l.Install.Python))
			case l.Install.Node != "":
				j.PackageJSON = filepath.Join(cfg.Dir, filepath.FromSlash(l.Install.Node))
			case cfg.File == "" && r.Family() == "python":
				j.Requirements = filepath.Join(cfg.Dir, "requirements.txt")
			case cfg.File == "" && r.Family() == "nodejs":
				j.PackageJSON = filepath.Join(cfg.Dir, "package.json")
			default:
				continue
			}
			if r.Family() != "python" && j.Requirements != "" || r.Family() != "nodejs" && j.PackageJSON != "" {
				return nil, fmt.Errorf("layer %s: %s is a %s runtime; install python: fits python runtimes, node: nodejs ones", name, t.Runtime, r.Family())
			}
			for _, f := range []string{j.Requirements, j.PackageJSON} {
				if f == "" {
					continue
				}
				if _, err := os.Stat(f); err != nil {
					return nil, fmt.Errorf("layer %s (%s): %w", name, t, err)
				}
			}
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		if len(only) > 0 {
			return nil, fmt.Errorf("no install target matches %v", only)
		}
		return nil, errors.New("nothing to install: no layer has an install: entry (or, without layerkit.yaml, no layers/<runtime>-<arch>/ folder with a requirements.txt or package.json beside it)")
	}
	return jobs, nil
}

func contains(ts []layers.Target, t layers.Target) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Options tune a run.
type Options struct {
	// Extra arguments go to pip or npm as they are (an index URL,
	// --find-links, --no-index).
	Extra []string
	// Python is the interpreter that runs pip; empty means python3.
	Python string
	// UV is the uv binary to use instead of pip; empty means "uv" when it
	// is on PATH, "-" never.
	UV string
	// Parallel bounds concurrent installs; 0 means 2.
	Parallel int
	// Toolchain, when set, compiles npm packages with addons for a target
	// whose CPU or Node major is not the host's; without it such a
	// compile is refused (see SourceBuildError).
	Toolchain Toolchain
	// Swept, when set, is called with each leftover of an earlier
	// interrupted install that Run found before installing (see Run), and
	// nil when it was removed or why it was not. Calls may come from
	// several goroutines at once.
	Swept func(path string, err error)
}

// Result is one job's outcome.
type Result struct {
	Job     Job
	Command []string
	// Env is what the installer ran with besides the host's environment
	// (for npm, the target's npm_config_* and the toolchain).
	Env []string
	// Output is what the installer printed.
	Output []byte
	Err    error
}

// Run runs the jobs, several at a time, and returns a result for each in
// order. A failed job does not stop the others; cancelling ctx stops the
// installers (see run) and leaves every layer folder as it was.
//
// Before installing, Run removes what interrupted installs left: in each
// project's staging folder, the staging folders of installs no longer
// running (none when another install of the project is running), and in
// each layer folder the names earlier versions of layerkit staged there
// (.layerkit-install-NNN, python.layerkit-old, nodejs.layerkit-old). Nothing
// with another name is touched.
func Run(ctx context.Context, jobs []Job, o Options) []Result {
	res := make([]Result, len(jobs))
	swept := o.Swept
	if swept == nil {
		swept = func(string, error) {}
	}
	locks := map[string]*stageLock{}
	lockErrs := map[string]error{}
	for _, j := range jobs {
		if _, done := lockErrs[j.Project]; done || j.Project == "" {
			continue
		}
		root := StagingDir(j.Project)
		l, err := lockStage(root, func() { sweep(root, stageName, swept) })
		if err != nil {
			err = fmt.Errorf("opening the staging folder %s: %w", root, err)
		} else {
			locks[j.Project] = l
		}
		lockErrs[j.Project] = err
	}
	var g errgroup.Group
	limit := o.Parallel
	if limit <= 0 {
		limit = 2
	}
	g.SetLimit(limit)
	for i, j := range jobs {
		g.Go(func() error {
			if err := lockErrs[j.Project]; err != nil {
				res[i] = Result{Job: j, Err: err}
				return nil
			}
			res[i] = runOne(ctx, j, o, swept)
			return nil
		})
	}
	g.Wait()
	for p, l := range locks {
		removeIfEmpty(p, l)
	}
	return res
}

func runOne(ctx context.Context, j Job, o Options, swept func(string, error)) Result {
	r := Result{Job: j}
	sub := "python"
	if j.PackageJSON != "" {
		sub = "nodejs"
	}
	if j.Project == "" {
		r.Err = errors.New("install job with no project folder to stage in")
		return r
	}
	if err := os.MkdirAll(j.Dir, 0o755); err != nil {
		r.Err = err
		return r
	}
	sweep(j.Dir, oldStageName, swept)
	tmp, err := newStage(StagingDir(j.Project), sub)
	if err != nil {
		r.Err = err
		return r
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(tmp, sub)
	var cmd *exec.Cmd
	var mode nodeBuild
	if j.Requirements != "" {
		r.Command = pythonCommand(j, dest, o)
		cmd = exec.CommandContext(ctx, r.Command[0], r.Command[1:]...)
	} else {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			r.Err = err
			return r
		}
		if err := copyPackageJSON(j.PackageJSON, dest); err != nil {
			r.Err = err
			return r
		}
		var env []string
		mode, env, err = nodeSetup(j, o, tmp)
		if err != nil {
			r.Err = err
			return r
		}
		r.Command = nodeCommand(j, o)
		r.Env = env
		cmd = exec.CommandContext(ctx, r.Command[0], r.Command[1:]...)
		cmd.Dir = dest
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = run(ctx, cmd)
	r.Output = out.Bytes()
	if ctx.Err() != nil {
		r.Err = fmt.Errorf("installing into %s: %w", j.Dir, ctx.Err())
		return r
	}
	if err != nil {
		r.Err = explain(j, j.Requirements != "" && uvBinary(o) != "", err, r.Output)
		return r
	}
	if _, err := os.Stat(dest); errors.Is(err, fs.ErrNotExist) {
		// Nothing to install (an empty requirements file): an empty folder.
		if err := os.MkdirAll(dest, 0o755); err != nil {
			r.Err = err
			return r
		}
	}
	if j.PackageJSON != "" {
		if err := checkNodeBuilds(dest, j.Target, mode, filepath.Join(tmp, "node-gyp-refused.log")); err != nil {
			r.Err = err
			return r
		}
	}
	r.Err = swap(j.Dir, sub, tmp)
	return r
}

// PlatformTags lists the pip platform tags a target's runtime accepts,
// newest first: manylinux_2_N for every glibc from the runtime's OS (2.26
// on Amazon Linux 2, 2.34 on Amazon Linux 2023) down to 2.5, and the legacy
// names manylinux2014 (2.17), manylinux2010 (2.12) and manylinux1 (2.5).
func PlatformTags(t layers.Target) []string {
	r, _ := layers.LookupRuntime(t.Runtime)
	return platformTags(t.Arch, glibcMinor(r.Glibc))
}

// platformTags lists the manylinux tags of arch for glibc 2.top down to
// 2.5, newest first.
func platformTags(a layers.Arch, top int) []string {
	arch := "x86_64"
	if a == layers.ARM64 {
		arch = "aarch64"
	}
	var tags []string
	for m := top; m >= 5; m-- {
		tags = append(tags, fmt.Sprintf("manylinux_2_%d_%s", m, arch))
		switch m {
		case 17:
			tags = append(tags, "manylinux2014_"+arch)
		case 12:
			tags = append(tags, "manylinux2010_"+arch)
		case 5:
			tags = append(tags, "manylinux1_"+arch)
		}
	}
	return tags
}

// PythonVersion returns the full Python version pip and uv are given for a
// Python runtime: a patch release each Lambda runtime has run since
// September 2024 (Lambda follows CPython's patch releases), or .0 for a
// minor version not in the table. The patch matters to Requires-Python:
// "3.9" means 3.9.0 to pip and uv, which cryptography's
// Requires-Python ">=3.7,!=3.9.0,!=3.9.1" (44.0 and later) excludes.
func PythonVersion(t layers.Target) string {
	r, _ := layers.LookupRuntime(t.Runtime)
	minor := r.LanguageVersion()
	// CPython releases of September 2024 (3.8.20, 3.9.20, 3.10.15,
	// 3.11.10, 3.12.6) and October 2024 (3.13.0).
	if v, ok := map[string]string{"3.8": "3.8.20", "3.9": "3.9.20", "3.10": "3.10.15", "3.11": "3.11.10", "3.12": "3.12.6"}[minor]; ok {
		return v
	}
	return minor + ".0"
}

// uvGlibcs are the glibc versions uv's --python-platform names for
// manylinux (uv 0.13: x86_64-manylinux_2_17, _2_28, _2_31 … _2_40), oldest
// first.
var uvGlibcs = []int{17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}

// UVPlatform returns uv's --python-platform for a target: the newest
// manylinux uv names that the runtime's glibc allows. uv has no 2.18–2.27,
// so Amazon Linux 2 (glibc 2.26) gets manylinux_2_17 (manylinux2014), and
// uv refuses there a wheel tagged only manylinux_2_24 or _2_26 that pip
// takes.
func UVPlatform(t layers.Target) string {
	r, _ := layers.LookupRuntime(t.Runtime)
	arch := "x86_64"
	if t.Arch == layers.ARM64 {
		arch = "aarch64"
	}
	top := glibcMinor(r.Glibc)
	best := uvGlibcs[0]
	for _, g := range uvGlibcs {
		if g <= top {
			best = g
		}
	}
	return fmt.Sprintf("%s-manylinux_2_%d", arch, best)
}

func glibcMinor(glibc string) int {
	if _, minor, ok := strings.Cut(glibc, "."); ok {
		if n, err := strconv.Atoi(minor); err == nil {
			return n
		}
	}
	return 17
}

// uvBinary returns the uv to run instead of pip, or "" for pip.
func uvBinary(o Options) string {
	switch o.UV {
	case "-":
		return ""
	case "":
		p, _ := exec.LookPath("uv")
		return p
	}
	return o.UV
}

func pythonCommand(j Job, dest string, o Options) []string {
	ver := PythonVersion(j.Target)
	if uv := uvBinary(o); uv != "" {
		// uv takes one platform and accepts every older manylinux with it.
		cmd := []string{uv, "pip", "install", "--target", dest, "--requirement", j.Requirements,
			"--python-version", ver, "--python-platform", UVPlatform(j.Target),
			"--only-binary", ":all:", "--no-compile"}
		return append(cmd, o.Extra...)
	}
	py := o.Python
	if py == "" {
		py = "python3"
	}
	cmd := []string{py, "-m", "pip", "install", "--target", dest, "--requirement", j.Requirements,
		"--implementation", "cp", "--python-version", ver, "--only-binary=:all:", "--no-compile",
		"--disable-pip-version-check", "--no-input"}
	for _, p := range PlatformTags(j.Target) {
		cmd = append(cmd, "--platform", p)
	}
	return append(cmd, o.Extra...)
}

func nodeCommand(j Job, o Options) []string {
	cmd := []string{"npm", "install", "--os=linux", "--cpu=" + j.Target.Arch.NodeCPU(), "--libc=glibc", "--omit=dev",
		"--no-audit", "--no-fund", "--no-update-notifier"}
	return append(cmd, o.Extra...)
}

// copyPackageJSON copies package.json (and package-lock.json when there is
// one) into dest, turning relative file: dependencies into absolute ones so
// they still resolve from the temporary folder.
func copyPackageJSON(src, dest string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	base := filepath.Dir(src)
	for _, k := range []string{"dependencies", "optionalDependencies", "devDependencies", "peerDependencies"} {
		deps, _ := doc[k].(map[string]any)
		for name, v := range deps {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "file:") && !filepath.IsAbs(strings.TrimPrefix(s, "file:")) {
				deps[name] = "file:" + filepath.Join(base, strings.TrimPrefix(s, "file:"))
			}
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dest, "package.json"), append(out, '\n'), 0o644); err != nil {
		return err
	}
	if lock, err := os.ReadFile(filepath.Join(base, "package-lock.json")); err == nil {
		return os.WriteFile(filepath.Join(dest, "package-lock.json"), lock, 0o644)
	}
	return nil
}

// What pip and uv say when no wheel of a package fits: pip names the
// package; uv names it (with the version it tried, and backquotes in some
// versions) in the first "Because" of its resolution report.
var noMatch = []*regexp.Regexp{
	regexp.MustCompile(`No matching distribution found for ([^\s=<>!~;\[]+)`),
	regexp.MustCompile("Because `?([^\\s=<>!~;`\\[]+)[^\\s`]*`? has no wheels with a matching platform tag"),
	regexp.MustCompile("Because `?([^\\s=<>!~;`\\[]+)[^\\s`]*`? has no usable wheels"),
	regexp.MustCompile("Because `?([^\\s=<>!~;`\\[]+)`? was not found in the (?:provided package locations|package registry)"),
}

// NoWheelError reports a package with no wheel for the target.
type NoWheelError struct {
	Package string
	Target  layers.Target
	// Tags are the platform tags the installer tried, newest first.
	Tags []string
}

func (e *NoWheelError) Error() string {
	r, _ := layers.LookupRuntime(e.Target.Runtime)
	return fmt.Sprintf("no wheel of %s fits %s: tried cp%s on %s … %s; layerkit installs binary wheels only and never builds from source or takes the host's arch (pin a version that ships such a wheel, or add a wheel folder with -- --find-links DIR)",
		e.Package, e.Target, strings.ReplaceAll(r.LanguageVersion(), ".", ""), e.Tags[0], e.Tags[len(e.Tags)-1])
}

// uvTags lists the platform tags uv accepts with UVPlatform(t), newest
// first.
func uvTags(t layers.Target) []string {
	_, glibc, _ := strings.Cut(UVPlatform(t), "-manylinux_2_")
	top, _ := strconv.Atoi(glibc)
	return platformTags(t.Arch, top)
}

func explain(j Job, uv bool, err error, out []byte) error {
	for _, re := range noMatch {
		if m := re.FindSubmatch(out); m != nil {
			tags := PlatformTags(j.Target)
			if uv {
				tags = uvTags(j.Target)
			}
			return &NoWheelError{Package: string(m[1]), Target: j.Target, Tags: tags}
		}
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return fmt.Errorf("%s is not installed (%w)", ee.Name, err)
	}
	tail := strings.TrimSpace(string(out))
	if lines := strings.Split(tail, "\n"); len(lines) > 8 {
		tail = strings.Join(lines[len(lines)-8:], "\n")
	}
	return fmt.Errorf("%w:\n%s", err, tail)
}
