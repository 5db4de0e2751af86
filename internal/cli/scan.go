package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
)

// ScanOptions are the parsed flags of `layerkit scan`.
type ScanOptions struct {
	IO     IOStreams
	AWS    AWSOptions
	Format string
	// Inactive lists only functions that are Inactive or Failed.
	Inactive bool
}

// NewCmdScan returns `layerkit scan`.
func NewCmdScan(f *Factory, runF func(context.Context, *ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "scan --regions R1,R2",
		Short: "List every function with its runtime's deprecation, most urgent first",
		Long: `Scan lists every Lambda function in the regions (all pages) with its runtime,
architecture, package type and layers, and the runtime's deprecation and block
dates from the embedded catalog, the days left, and the suggested successor.
Each function's state comes from GetFunction: State (Active, Pending,
Inactive, Failed) with its reason code, and the last update's status.
Most urgent first; image functions last (they migrate by a new image).

--inactive lists only Inactive and Failed functions, with the reason and
what to do: an image function left uninvoked for weeks goes Inactive and
its next call fails while Lambda restores it.`,
		Example: `  layerkit scan --regions eu-west-1,us-east-1
  layerkit scan --regions eu-west-1 --format csv > functions.csv
  layerkit scan --regions eu-west-1,us-east-1 --inactive`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format, "text", "json", "csv"); err != nil {
				return err
			}
			if len(opts.AWS.Regions) == 0 {
				return usageErrorf("no regions: give --regions")
			}
			opts.AWS.fromEnv(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanRun(cmd.Context(), f, opts)
		},
	}
	addAWSFlags(cmd, &opts.AWS, false)
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or csv")
	cmd.Flags().BoolVar(&opts.Inactive, "inactive", false, "list only functions that are Inactive or Failed, with the reason")
	return cmd
}

func scanRun(ctx context.Context, f *Factory, opts *ScanOptions) error {
	cl, err := publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL})
	if err != nil {
		return err
	}
	fs, err := campaign.Scan(ctx, func(r string) campaign.ListFunctionsAPI { return cl.Lambda(r) }, opts.AWS.Regions, f.Now())
	if err != nil {
		return err
	}
	if err := campaign.ReadStates(ctx, func(r string) campaign.GetFunctionAPI { return cl.LambdaClient(r) }, fs); err != nil {
		return err
	}
	if opts.Inactive {
		fs = campaign.Inactive(fs)
	}
	days := func(fn campaign.Function) string {
		if fn.DaysLeft == nil {
			return ""
		}
		return strconv.Itoa(*fn.DaysLeft)
	}
	switch opts.Format {
	case "json":
		if fs == nil {
			fs = []campaign.Function{}
		}
		return writeJSON(opts.IO.Out, map[string]any{"functions": fs})
	case "csv":
		w := csv.NewWriter(opts.IO.Out)
		w.Write([]string{"region", "name", "runtime", "arch", "package_type", "deprecation", "block_create", "block_update", "days_left", "successor", "layers", "note",
			"state", "state_reason_code", "state_reason", "last_update_status", "image_uri"})
		for _, fn := range fs {
			w.Write([]string{fn.Region, fn.Name, fn.Runtime, string(fn.Arch), fn.PackageType, string(fn.Deprecation), string(fn.BlockCreate),
				string(fn.BlockUpdate), days(fn), fn.Successor, strings.Join(fn.Layers, " "), fn.Note,
				fn.State, fn.StateReasonCode, fn.StateReason, fn.LastUpdateStatus, fn.ImageURI})
		}
		w.Flush()
		return w.Error()
	}
	if opts.Inactive {
		return scanInactive(opts, fs)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tFUNCTION\tRUNTIME\tARCH\tTYPE\tSTATE\tUPDATE\tDEPRECATION\tDAYS LEFT\tSUCCESSOR\tLAYERS")
	for _, fn := range fs {
		rt := fn.Runtime
		if fn.PackageType == "Image" {
			rt = "(image)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", fn.Region, fn.Name, rt, fn.Arch, fn.PackageType,
			dash(stateText(fn)), dash(fn.LastUpdateStatus), dash(string(fn.Deprecation)), dash(days(fn)), dash(fn.Successor), len(fn.Layers))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s in %s\n", plural(len(fs), "function"), strings.Join(opts.AWS.Regions, ", "))
	return nil
}
