package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Stamped at release time by GoReleaser (.goreleaser.yaml):
//
//	-X github.com/layerkit/layerkit/internal/cli.buildVersion={{.Version}}
//	-X github.com/layerkit/layerkit/internal/cli.buildCommit={{.FullCommit}}
//	-X github.com/layerkit/layerkit/internal/cli.buildDate={{.CommitDate}}
//
// Empty in other builds, which fall back to what the Go toolchain records
// (runtime/debug.ReadBuildInfo).
var buildVersion, buildCommit, buildDate string

// VersionInfo says which layerkit this is.
type VersionInfo struct {
	// Version is the release ("1.4.0"), the module version for go install
	// ("v1.4.0"), or "dev" for a build from a working tree.
	Version string `json:"version"`
	// Commit is the full commit hash, empty when unknown.
	Commit string `json:"commit"`
	// Date is the commit's time (RFC 3339), empty when unknown.
	Date string `json:"date"`
	// Modified says the working tree had uncommitted changes.
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// readVersion combines the -ldflags stamps with bi, the toolchain's
// record (nil when the binary carries none); stamps win.
func readVersion(bi *debug.BuildInfo) VersionInfo {
	v := VersionInfo{Version: "dev", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			v.GoVersion = bi.GoVersion
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Date = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if buildVersion != "" {
		v.Version = buildVersion
	}
	if buildCommit != "" {
		v.Commit = buildCommit
	}
	if buildDate != "" {
		v.Date = buildDate
	}
	return v
}

// currentVersion is readVersion for this process.
func currentVersion() VersionInfo {
	bi, _ := debug.ReadBuildInfo()
	return readVersion(bi)
}

// NewCmdVersion returns `layerkit version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print layerkit's version, commit, build date and Go version",
		Args:  maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			return versionRun(cmd.Context(), f.IO, format, currentVersion())
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func versionRun(_ context.Context, io IOStreams, format string, v VersionInfo) error {
	if format == "json" {
		return writeJSON(io.Out, v)
	}
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	commit := unknown(v.Commit)
	if v.Modified {
		commit += " (modified)"
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "layerkit\t%s\n", v.Version)
	fmt.Fprintf(tw, "commit\t%s\n", commit)
	fmt.Fprintf(tw, "built\t%s\n", unknown(v.Date))
	fmt.Fprintf(tw, "go\t%s\n", v.GoVersion)
	fmt.Fprintf(tw, "platform\t%s\n", v.Platform)
	return tw.Flush()
}
