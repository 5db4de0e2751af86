package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/lint"
)

// NewCmdExplain returns `layerkit explain`.
func NewCmdExplain(f *Factory, runF func(context.Context, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "explain [RULE]",
		Short: "Describe check's rules: what each finds, what Lambda shows, and the fix",
		Long: `Explain describes a rule of 'layerkit check' by its ID (LK101) or name
(elf-machine). Without RULE it lists every rule.`,
		Example: `  layerkit explain
  layerkit explain LK101
  layerkit explain glibc-version`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), args)
			}
			return explainRun(f.IO, args)
		},
	}
	return cmd
}

func explainRun(io IOStreams, args []string) error {
	if len(args) == 0 {
		tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tNAME\tSEVERITY\tFINDS")
		for _, r := range lint.Rules() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Severity, r.Summary)
		}
		return tw.Flush()
	}
	r, ok := lint.LookupRule(args[0])
	if !ok {
		return usageErrorf("unknown rule %q: 'layerkit explain' lists them", args[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)\n\n", r.ID, r.Name, r.Severity)
	fmt.Fprintf(&b, "%s.\n\n", r.Summary)
	fmt.Fprintf(&b, "%s\n\n", r.Details)
	fmt.Fprintf(&b, "On Lambda: %s\n\n", r.Symptom)
	fmt.Fprintf(&b, "Fix: %s\n", r.Fix)
	_, err := fmt.Fprint(io.Out, b.String())
	return err
}
