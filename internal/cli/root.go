package cli

import (
	"errors"
	"fmt"
	"strings"

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
		Version:       currentVersion().Version,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
				}
				return &UsageError{Err: errors.New(msg)}
			}
			return cmd.Help()
		},
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &UsageError{Err: err} })
	cmd.AddCommand(NewCmdBuild(f, nil), NewCmdCampaign(f), NewCmdCheck(f, nil), NewCmdConfig(f), NewCmdExplain(f, nil), NewCmdInstall(f, nil), NewCmdPublish(f, nil), NewCmdPrune(f, nil), NewCmdRuntimes(f, nil), NewCmdScan(f, nil), NewCmdVersion(f))
	registerCompletions(cmd)
	return cmd
}
