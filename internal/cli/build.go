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

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/report"
	"github.com/layerkit/layerkit/internal/slim"
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
	// OutOutsideProject accepts a config's out: outside the project.
	OutOutsideProject bool
	Modified          time.Time
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
files and gives the same bytes as a cold build.

The output folder is never packaged, however it is spelled. It may not be,
or hold, the project folder or a folder the build packages. The config's
out: must stay inside the project unless --out-outside-project is given;
--out may name any other folder. Every zip is written under a temporary
name and all are put in place together with the manifest, so an error or
Ctrl-C leaves the previous output whole. Inside the output folder the build
writes only into real folders (a symlinked layers/ is refused), removes only
zips an earlier build recorded there, and holds a lock (.layerkit.lock): a
second build into the same folder fails at once.

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
  layerkit build ./service --level 9 --out /tmp/service-dist`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
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
	cmd.Flags().BoolVar(&opts.NoCache, "no-cache", false, "compress every file again instead of reusing the previous build's bytes")
	cmd.Flags().BoolVar(&opts.Slim, "slim", false, "leave out tests, docs and stale bytecode, strip ELF debug sections (the manifest says what went)")
	cmd.Flags().BoolVar(&opts.OutOutsideProject, "out-outside-project", false, "accept a config out: that leaves the project folder")
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
	if opts.IO.ErrTTY && opts.Format == "text" {
		progress = func(a *split.Artifact, done bool) {
			if !done {
				fmt.Fprintf(opts.IO.ErrOut, "\r\033[Kzipping %s (%d entries)…", report.Printable(a.Path), len(a.Entries))
			} else {
				fmt.Fprint(opts.IO.ErrOut, "\r\033[K")
			}
		}
	}
	res, err := build.Run(ctx, build.Options{Config: cfg, Out: opts.Out, OutOutsideProject: opts.OutOutsideProject,
		Level: opts.Level, Modified: opts.Modified, NoCache: opts.NoCache, Slim: opts.Slim, Progress: progress})
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
		rep := buildReport{Out: res.Out, Manifest: res.Manifest, Excluded: res.Excluded, Warnings: res.Warnings, Reused: res.Reused, Unchanged: res.Unchanged, Removed: res.Removed}
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

// printLine writes a message for a person to stderr with control
// characters escaped, line by line: names come from the project's files
// and tools' output, and an escape sequence in one could rewrite or hide
// what the terminal shows.
func printLine(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, printableLines(strings.TrimRight(fmt.Sprintf(format, args...), "\n")))
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
