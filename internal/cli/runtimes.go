package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/layers"
)

// RuntimesOptions are the parsed flags of `layerkit runtimes`.
type RuntimesOptions struct {
	IO         IOStreams
	Now        time.Time
	Format     string
	Deprecated bool
	Family     string
}

// NewCmdRuntimes returns `layerkit runtimes`.
func NewCmdRuntimes(f *Factory, runF func(context.Context, *RuntimesOptions) error) *cobra.Command {
	opts := &RuntimesOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "runtimes",
		Short: "List Lambda runtimes with their OS, glibc, architectures and deadlines",
		Long: `Runtimes prints layerkit's runtime catalog: for each Lambda runtime its
operating system and glibc, the architectures it runs on, the dates AWS
deprecates it and blocks creating and updating functions on it, the days left
until deprecation (negative once past), and the runtime to move to.`,
		Example: `  layerkit runtimes
  layerkit runtimes --deprecated
  layerkit runtimes --family python --format json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format, "text", "json"); err != nil {
				return err
			}
			opts.Now = f.Now()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runtimesRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&opts.Deprecated, "deprecated", false, "only runtimes deprecated by today")
	cmd.Flags().StringVar(&opts.Family, "family", "", "only one language family (python, nodejs, java, ruby, dotnet, provided, go)")
	return cmd
}

type runtimeRow struct {
	layers.Runtime
	OSName       string `json:"os"`
	Deprecated   bool   `json:"deprecated"`
	DaysLeft     *int   `json:"days_to_deprecation"`
	DaysToCreate *int   `json:"days_to_block_create"`
	DaysToUpdate *int   `json:"days_to_block_update"`
}

func runtimesRun(opts *RuntimesOptions) error {
	var rows []runtimeRow
	for _, r := range layers.Runtimes() {
		if opts.Deprecated && !r.Deprecated(opts.Now) {
			continue
		}
		if opts.Family != "" && r.Family() != opts.Family {
			continue
		}
		rows = append(rows, runtimeRow{Runtime: r, OSName: r.OS.Name(), Deprecated: r.Deprecated(opts.Now),
			DaysLeft: days(r.Deprecation, opts.Now), DaysToCreate: days(r.BlockCreate, opts.Now), DaysToUpdate: days(r.BlockUpdate, opts.Now)})
	}
	if opts.Format == "json" {
		src, compiled := layers.CatalogSource()
		if rows == nil {
			rows = []runtimeRow{}
		}
		return writeJSON(opts.IO.Out, map[string]any{"today": opts.Now.UTC().Format(time.DateOnly), "source": src, "compiled_on": compiled, "runtimes": rows})
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUNTIME\tOS\tGLIBC\tARCH\tDEPRECATION\tBLOCK CREATE\tBLOCK UPDATE\tDAYS LEFT\tSUCCESSOR")
	for _, r := range rows {
		arches := make([]string, len(r.Architectures))
		for i, a := range r.Architectures {
			arches[i] = string(a)
		}
		left := "-"
		if r.DaysLeft != nil {
			left = fmt.Sprint(*r.DaysLeft)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.OS, r.Glibc, strings.Join(arches, ","),
			dash(string(r.Deprecation)), dash(string(r.BlockCreate)), dash(string(r.BlockUpdate)), left, dash(r.Successor))
	}
	return tw.Flush()
}

func days(d layers.Date, now time.Time) *int {
	n, ok := d.DaysFrom(now)
	if !ok {
		return nil
	}
	return &n
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
