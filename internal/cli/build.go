package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/aws/ecrauth"
	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/cachedir"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/ociwrite"
	"github.com/layerkit/layerkit/internal/report"
	"github.com/layerkit/layerkit/internal/slim"
	"github.com/layerkit/layerkit/internal/source"
	"github.com/layerkit/layerkit/internal/split"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// BuildOptions are the parsed flags of `layerkit build`.
type BuildOptions struct {
	IO      IOStreams
	Dir     string
	Config  string
	Out     string
	Level   int
	Format  string
	NoCache bool
	// Slim slims every zip (build.Options.Slim).
	Slim bool
	// CacheDir is --cache-dir, else LAYERKIT_CACHE_DIR; "" means the
	// user cache folder's layerkit/ (cachedir.Default).
	CacheDir string
	// CacheMax is LAYERKIT_CACHE_MAX in bytes (cachedir.DefaultMax when
	// unset).
	CacheMax int64
	// OutOutsideProject accepts a config's out: outside the project.
	OutOutsideProject bool
	Modified          time.Time

	// Image builds container images instead of zips; Base, Handler and
	// Push are its --base, --handler and --push.
	Image   bool
	Base    string
	Handler string
	Push    string
	AWS     AWSOptions

	// progress shows how far the build is on a terminal; nil elsewhere.
	progress *progressLine
}

// NewCmdBuild returns `layerkit build`. runF, when set, replaces the build
// itself (for tests of flag handling).
func NewCmdBuild(f *Factory, runF func(context.Context, *BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Split a project into a shared main zip and one layer zip per runtime and arch",
		Long: `Build packages the project in DIR (default: the current folder) into the
output folder: main.zip with the function's shared code, layers/<layer>-<runtime>-<arch>.zip
for every layer target, and manifest.json describing them (sha256, Lambda's
CodeSha256, zipped and unzipped sizes, file counts).

The project is described by DIR/layerkit.yaml. Without one, every folder
layers/<runtime>-<arch>/ is a target of the layer "deps" and everything else is
the function's code.

Zips are deterministic: sorted entries, fixed timestamps (SOURCE_DATE_EPOCH or
1980-01-01), modes 0644/0755, no host-specific fields. Version control, caches,
virtualenvs and editor files are left out; secrets (.env, .aws/, private keys)
are left out and reported. A rebuild reuses the compressed bytes of unchanged
files and gives the same bytes as a cold build: those of the previous zip for
files untouched since (same size, times and inode), and those of the cache
folder for files with the same content, wherever they are (a fresh checkout,
another project). The cache folder (--cache-dir, LAYERKIT_CACHE_DIR, default the
user cache folder's layerkit/) is shared by every project and kept under
LAYERKIT_CACHE_MAX (default 2G), least recently used first.

The output folder is never packaged, however it is spelled. It may not be,
or hold, the project folder or a folder the build packages. The config's
out: must stay inside the project unless --out-outside-project is given;
--out may name any other folder. Every zip is written under a temporary
name and all are put in place together with the manifest, so an error or
Ctrl-C leaves the previous output whole. Inside the output folder the build
writes only into real folders (a symlinked layers/ is refused), removes only
zips an earlier build recorded there, and holds a lock (.layerkit.lock): a
second build into the same folder fails at once.

With --image, build writes one container image per target instead of zips,
without Docker: the base image for the target's platform (--base or the
config's image.base, a registry reference or oci:DIR; default AWS's base
for the runtime, such as public.ecr.aws/lambda/python:3.12), then a layer
with the target's layers under /opt, then a layer with the function's code
under /var/task, and CMD set to the handler (--handler or image.handler).
Each image is an OCI image layout in images/<runtime>-<arch>/, recorded in
manifest.json with its digest and uncompressed size; the same input gives
the same digest. --push REPO pushes each image as REPO:<runtime>-<arch>
(one manifest, never an index; blobs the registry has are not sent again),
logging in to ECR with ecr:GetAuthorizationToken and to other registries
with the Docker config's credentials. A registry on loopback may speak
plain HTTP; no other may. --level sets the layers' gzip level (0 means the
default: Lambda refuses uncompressed layers).

--slim (or slim: true for main or a layer in layerkit.yaml) leaves out test
suites and docs/examples inside installed packages and bytecode for another
Python, and strips debug sections (.debug_*, .symtab, .comment) from ELF
objects without touching a byte the loader maps; every stripped object is
checked against its original, and one that fails is kept whole with a
warning. .dist-info/.egg-info metadata, py.typed and .pyi files stay.
slim_keep globs name files to leave exactly as they are. The manifest
records the bytes removed per kind.`,
		Example: `  # Package the project in the current folder into dist/
  layerkit build

  # Package the bundled example, print the manifest as JSON
  layerkit build examples/python-app --format json

  # Leave out tests and docs, strip debug sections
  layerkit build --slim

  # Smallest zips, output elsewhere
  layerkit build ./service --level 9 --out /tmp/service-dist

  # One image per target on AWS's base images, pushed to ECR
  layerkit build --image --handler app.handler --push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			opts.progress = newProgress(f)
			if err := checkFormat(opts.Format, "text", "json"); err != nil {
				return err
			}
			if opts.Level < 0 || opts.Level > 9 {
				return usageErrorf("--level %d: want 0 (store) to 9 (smallest)", opts.Level)
			}
			m, err := sourceDateEpoch(f.Getenv("SOURCE_DATE_EPOCH"))
			if err != nil {
				return &UsageError{Err: err}
			}
			opts.Modified = m
			if opts.CacheDir == "" {
				opts.CacheDir = f.Getenv("LAYERKIT_CACHE_DIR")
			}
			opts.CacheMax = cachedir.DefaultMax
			if v := f.Getenv("LAYERKIT_CACHE_MAX"); v != "" {
				if opts.CacheMax, err = cachedir.ParseSize(v); err != nil {
					return usageErrorf("LAYERKIT_CACHE_MAX=%q: %v", v, err)
				}
				if opts.CacheMax == 0 {
					return usageErrorf("LAYERKIT_CACHE_MAX=%q: want a size above 0 (--no-cache builds without the cache)", v)
				}
			}
			if !opts.Image {
				for _, fl := range []string{"base", "handler", "push"} {
					if cmd.Flags().Changed(fl) {
						return usageErrorf("--%s is for image builds: add --image", fl)
					}
				}
			}
			if opts.Base != "" {
				if err := config.CheckBase(opts.Base); err != nil {
					return usageErrorf("--base: %v", err)
				}
				// A folder on the command line is relative to the working
				// folder, not to the project's.
				if d, ok := strings.CutPrefix(opts.Base, config.OCIPrefix); ok && !filepath.IsAbs(d) {
					abs, err := filepath.Abs(d)
					if err != nil {
						return err
					}
					opts.Base = config.OCIPrefix + abs
				}
			}
			if opts.Handler != "" {
				if err := config.CheckHandler(opts.Handler); err != nil {
					return usageErrorf("--handler: %v", err)
				}
			}
			if opts.Push != "" {
				if _, err := name.NewRepository(opts.Push); err != nil {
					return usageErrorf("--push %q: want a repository such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app: %v", opts.Push, err)
				}
			}
			opts.AWS.fromEnv(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return buildRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", "", "config file (default: DIR/layerkit.yaml, if present)")
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "output folder (default: the config's out, or DIR/dist)")
	cmd.Flags().IntVar(&opts.Level, "level", zipper.DefaultLevel, "deflate level: 0 stores, 1 is fastest, 9 smallest")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&opts.NoCache, "no-cache", false, "compress every file again instead of reusing the previous build's or the cache's bytes")
	cmd.Flags().StringVar(&opts.CacheDir, "cache-dir", "", "cache folder shared by every project, whose zip/ keeps compressed files by content (default: LAYERKIT_CACHE_DIR, or the user cache folder's layerkit/)")
	cmd.Flags().BoolVar(&opts.Slim, "slim", false, "leave out tests, docs and stale bytecode, strip ELF debug sections (the manifest says what went)")
	cmd.Flags().BoolVar(&opts.OutOutsideProject, "out-outside-project", false, "accept a config out: that leaves the project folder")
	cmd.Flags().BoolVar(&opts.Image, "image", false, "build one container image per target instead of zips")
	cmd.Flags().StringVar(&opts.Base, "base", "", "base image: a registry reference or oci:DIR (default: the config's image.base, or AWS's base for the runtime)")
	cmd.Flags().StringVar(&opts.Handler, "handler", "", "the images' CMD, such as app.handler (default: the config's image.handler)")
	cmd.Flags().StringVar(&opts.Push, "push", "", "push each image to this repository, tagged <runtime>-<arch>")
	addAWSAccessFlags(cmd, &opts.AWS)
	return cmd
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org): the
// zip entries' timestamp. Unset means 1980-01-01, the zip format's epoch.
func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a whole number of seconds since 1970", v)
	}
	t := time.Unix(n, 0).UTC()
	if t.Year() > 2107 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: zip timestamps end in 2107", v)
	}
	return t, nil
}

// buildReport is the JSON document `layerkit build --format json` prints.
type buildReport struct {
	Out      string           `json:"out"`
	Manifest *layers.Manifest `json:"manifest"`
	Excluded []split.Excluded `json:"excluded"`
	Warnings []string         `json:"warnings"`
	Reused   int              `json:"reused_files"`
	// Cached counts the reused files that came from the shared cache.
	Cached int `json:"cached_files"`
	// Unchanged counts the zips kept as a previous build wrote them.
	Unchanged int      `json:"unchanged_zips"`
	Removed   []string `json:"removed"`
}

func buildRun(ctx context.Context, opts *BuildOptions) error {
	cfg, err := config.Load(opts.Dir, opts.Config)
	if err != nil {
		return err
	}
	var progress func(*split.Artifact, bool)
	if line := opts.progress; line != nil && opts.Format == "text" {
		var zips, files int
		var bytes int64
		progress = func(a *split.Artifact, done bool) {
			if done {
				zips++
				for _, e := range a.Entries {
					if e.Type != zipper.TypeDir {
						files++
						bytes += e.Size
					}
				}
			}
			doing := "zipping"
			if a.Kind == layers.KindImage {
				doing = "building"
			}
			line.Update(fmt.Sprintf("%s %s; done: %s, %s, %s", doing, report.Printable(a.Path), plural(zips, "artifact"), plural(files, "file"), humanBytes(bytes)))
		}
	}
	bo := build.Options{Config: cfg, Out: opts.Out, OutOutsideProject: opts.OutOutsideProject,
		Level: opts.Level, Modified: opts.Modified, NoCache: opts.NoCache, CacheDir: opts.CacheDir, CacheMax: opts.CacheMax, Slim: opts.Slim, Progress: progress}
	if bo.CacheDir == "" && !opts.NoCache && !opts.Image {
		d, err := cachedir.Default()
		if err != nil {
			printLine(opts.IO.ErrOut, "warning: building without the cache: %v", err)
		}
		bo.CacheDir = d
	}
	if opts.Image {
		bo.Image = &build.ImageOptions{Base: opts.Base, Handler: opts.Handler, Push: opts.Push,
			Registry: ociwrite.Registry{Keychain: ecrauth.New(ecrauth.Options{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL}, authn.DefaultKeychain)},
			Check:    imageChecker{w: opts.IO.ErrOut, color: opts.IO.ErrTTY}}
	}
	res, err := build.Run(ctx, bo)
	opts.progress.Done()
	if err != nil {
		return err
	}
	w := opts.IO.ErrOut
	for _, n := range res.Notes {
		printLine(w, "note: %s", n)
	}
	var deadBytes int64
	var reasons []string
	count := map[string]int{}
	for _, e := range res.Excluded {
		if e.Secret {
			printLine(w, "warning: left out %s: looks like a secret (%s); secrets are never packaged", e.Path, e.Reason)
			continue
		}
		if count[e.Reason] == 0 {
			reasons = append(reasons, e.Reason)
		}
		count[e.Reason]++
		deadBytes += e.Bytes
	}
	if len(reasons) > 0 {
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%s: %d", r, count[r])
		}
		fmt.Fprintf(w, "note: left out %s of excluded paths (%s)\n", humanBytes(deadBytes), strings.Join(parts, ", "))
	}
	for _, s := range res.Warnings {
		printLine(w, "warning: %s", s)
	}
	for _, r := range res.Removed {
		printLine(w, "note: removed %s, which this build no longer makes", r)
	}
	if opts.Format == "json" {
		rep := buildReport{Out: res.Out, Manifest: res.Manifest, Excluded: res.Excluded, Warnings: res.Warnings, Reused: res.Reused, Cached: res.Cached, Unchanged: res.Unchanged, Removed: res.Removed}
		if rep.Excluded == nil {
			rep.Excluded = []split.Excluded{}
		}
		if rep.Warnings == nil {
			rep.Warnings = []string{}
		}
		if rep.Removed == nil {
			rep.Removed = []string{}
		}
		return writeJSON(opts.IO.Out, rep)
	}
	if opts.Image {
		return printImages(opts.IO.Out, res)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tTARGET\tFILES\tUNZIPPED\tZIPPED\tPATH")
	for _, a := range res.Manifest.Artifacts {
		target := "-"
		if a.Kind == layers.KindLayer {
			target = a.Target().String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", a.Kind, a.Name, target, a.Files,
			humanBytes(a.UnzippedBytes), humanBytes(a.ZippedBytes), filepath.Join(res.Out, filepath.FromSlash(a.Path)))
	}
	tw.Flush()
	for _, a := range res.Manifest.Artifacts {
		if a.Slim != nil {
			fmt.Fprintf(opts.IO.Out, "slimmed %s: %s\n", a.Path, slimSummary(a.Slim))
		}
	}
	kept := ""
	if res.Unchanged > 0 {
		kept = fmt.Sprintf(" (%d unchanged since the last build, kept as they were)", res.Unchanged)
	}
	fmt.Fprintf(opts.IO.Out, "wrote %d zips%s and %s\n", len(res.Manifest.Artifacts), kept,
		strings.TrimPrefix(filepath.Join(res.Out, layers.ManifestFile), "./"))
	return nil
}

// printImages prints the images a build wrote: one line each with its
// digest and size, and where it was pushed.
func printImages(w io.Writer, res *build.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tFILES\tUNCOMPRESSED\tCOMPRESSED\tDIGEST\tPATH")
	for _, a := range res.Manifest.Artifacts {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", a.Target(), a.Files, humanBytes(a.UnzippedBytes), humanBytes(a.ZippedBytes),
			a.Digest, filepath.Join(res.Out, filepath.FromSlash(a.Path)))
	}
	tw.Flush()
	for _, a := range res.Manifest.Artifacts {
		if a.Ref != "" {
			fmt.Fprintf(w, "pushed %s\n", report.Printable(a.Ref))
		}
	}
	fmt.Fprintf(w, "wrote %d images and %s\n", len(res.Manifest.Artifacts), strings.TrimPrefix(filepath.Join(res.Out, layers.ManifestFile), "./"))
	return nil
}

// printLine writes a message for a person to stderr with control
// characters escaped, line by line: names come from the project's files
// and tools' output, and an escape sequence in one could rewrite or hide
// what the terminal shows.
func printLine(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, printableLines(strings.TrimRight(fmt.Sprintf(format, args...), "\n")))
}

// imageChecker checks each built image as check does, before the build
// pushes it or puts it in place: its findings are printed to w, and an
// error-level finding fails the build.
type imageChecker struct {
	w     io.Writer
	color bool
}

func (c imageChecker) CheckImage(ctx context.Context, dir string, a layers.Artifact) error {
	res, err := source.Run(ctx, source.Request{Paths: []string{dir}, Runtime: a.Runtime, Arch: a.Arch})
	if err != nil {
		return fmt.Errorf("checking the image for %s-%s: %w", a.Runtime, a.Arch, err)
	}
	for i := range res.Findings {
		res.Findings[i].Artifact = a.Path // the folder it is put in, not the temporary one
	}
	rep := report.New(res.Findings, res.Artifacts, res.Files, res.Targets, lint.Error)
	if len(rep.Findings) > 0 {
		if err := report.Text(c.w, rep, report.TextOptions{Color: c.color}); err != nil {
			return err
		}
	}
	if rep.Summary.Failed {
		msg := fmt.Sprintf("the image for %s-%s has %s (above): nothing was pushed or put in place", a.Runtime, a.Arch, plural(rep.Summary.Errors, "error"))
		printLine(c.w, "layerkit: %s", msg)
		return &FindingsError{Msg: msg}
	}
	return nil
}

// slimSummary says in one line what slimming removed from a zip.
func slimSummary(s *layers.Slimmed) string {
	if len(s.Removed) == 0 {
		return "nothing to remove"
	}
	parts := make([]string, len(s.Removed))
	for i, r := range s.Removed {
		what := plural(r.Files, "file")
		if r.Kind == slim.Debug {
			what = plural(r.Files, "ELF object") + " stripped"
		}
		parts[i] = fmt.Sprintf("%s %s (%s)", r.Kind, humanBytes(r.Bytes), what)
	}
	return fmt.Sprintf("removed %s: %s", humanBytes(s.Bytes), strings.Join(parts, ", "))
}
