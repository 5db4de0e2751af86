package cli

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// NewCmdRoot returns the layerkit command with every subcommand.
func NewCmdRoot(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "layerkit",
		Short: "Package AWS Lambda code for runtime and architecture migrations",
		Long: `layerkit packages AWS Lambda code: a shared main zip plus one dependency layer
per runtime and architecture, byte-identical for identical input.

Exit codes: 0 ok, 1 error, 2 usage, 3 findings failed the policy,
4 AWS credentials or permission, 130 interrupted.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version(),
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &UsageError{Err: err} })
	cmd.AddCommand(NewCmdBuild(f, nil), NewCmdRuntimes(f, nil))
	return cmd
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
