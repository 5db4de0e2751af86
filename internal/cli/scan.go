package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
)

// ScanOptions are the parsed flags of `layerkit scan`.
type ScanOptions struct {
	IO       IOStreams
	AWS      AWSOptions
	Accounts AccountOptions
	Format   string
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
its next call fails while Lambda restores it.

With --accounts (org, or account IDs) and --role, scan assumes the role in
each account and scans them all side by side, each account and region held
to its own rate; rows are grouped by account. An account whose role cannot
be assumed, or that cannot be read, is named on stderr and the others are
listed: the exit status is then 4 when AWS refused the role or a
permission, 1 otherwise.`,
		Example: `  layerkit scan --regions eu-west-1,us-east-1
  layerkit scan --regions eu-west-1 --format csv > functions.csv
  layerkit scan --regions eu-west-1,us-east-1 --inactive
  layerkit scan --accounts org --role layerkit-scan --regions eu-west-1,us-east-1`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format, "text", "json", "csv"); err != nil {
				return err
			}
			if len(opts.AWS.Regions) == 0 {
				return usageErrorf("no regions: give --regions")
			}
			if err := opts.Accounts.check(); err != nil {
				return err
			}
			opts.AWS.fromEnv(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanRun(cmd.Context(), f, opts)
		},
	}
	addAWSFlags(cmd, &opts.AWS, false)
	addAccountFlags(cmd, &opts.Accounts)
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or csv")
	cmd.Flags().BoolVar(&opts.Inactive, "inactive", false, "list only functions that are Inactive or Failed, with the reason")
	return cmd
}

func scanRun(ctx context.Context, f *Factory, opts *ScanOptions) error {
	cl, err := publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL})
	if err != nil {
		return err
	}
	var fs []campaign.Function
	var accountErr error // some accounts could not be scanned; the rest are
	if opts.Accounts.Accounts == "" {
		fs, err = campaign.Scan(ctx, func(r string) campaign.ListFunctionsAPI { return cl.Lambda(r) }, opts.AWS.Regions, f.Now())
		if err == nil {
			err = campaign.ReadStates(ctx, func(r string) campaign.GetFunctionAPI { return cl.LambdaClient(r) }, fs)
		}
	} else {
		accts, connect, ferr := opts.Accounts.fleet(ctx, cl)
		if ferr != nil {
			return ferr
		}
		fs, err = campaign.ScanAccounts(ctx, accts, connect, opts.AWS.Regions, campaign.FleetOptions{}, f.Now())
		var aes campaign.AccountErrors
		if errors.As(err, &aes) {
			accountErr, err = err, nil
		}
	}
	if err != nil {
		return err
	}
	if opts.Inactive {
		fs = campaign.Inactive(fs)
	}
	if err := writeScan(opts, fs); err != nil {
		return err
	}
	return accountErr
}

// writeScan writes the scanned functions in opts.Format.
func writeScan(opts *ScanOptions, fs []campaign.Function) error {
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
		w.Write([]string{"account", "region", "name", "runtime", "arch", "package_type", "deprecation", "block_create", "block_update", "days_left", "successor", "layers", "note",
			"state", "state_reason_code", "state_reason", "last_update_status", "image_uri"})
		for _, fn := range fs {
			w.Write([]string{fn.Account, fn.Region, fn.Name, fn.Runtime, string(fn.Arch), fn.PackageType, string(fn.Deprecation), string(fn.BlockCreate),
				string(fn.BlockUpdate), days(fn), fn.Successor, strings.Join(fn.Layers, " "), fn.Note,
				fn.State, fn.StateReasonCode, fn.StateReason, fn.LastUpdateStatus, fn.ImageURI})
		}
		w.Flush()
		return w.Error()
	}
	table := func(w io.Writer, fs []campaign.Function) error { return scanTable(w, fs, days) }
	if opts.Inactive {
		table = inactiveTable
	}
	if opts.Accounts.Accounts == "" {
		if err := table(opts.IO.Out, fs); err != nil {
			return err
		}
	}
	// Across accounts, each account's functions form a table of their own
	// under the account's ID (ScanAccounts sorts by account).
	for i := 0; opts.Accounts.Accounts != "" && i < len(fs); {
		n := 0
		for i+n < len(fs) && fs[i+n].Account == fs[i].Account {
			n++
		}
		if i > 0 {
			fmt.Fprintln(opts.IO.Out)
		}
		fmt.Fprintf(opts.IO.Out, "account %s: %s\n", fs[i].Account, plural(n, "function"))
		if err := table(opts.IO.Out, fs[i:i+n]); err != nil {
			return err
		}
		i += n
	}
	where := strings.Join(opts.AWS.Regions, ", ")
	if opts.Accounts.Accounts != "" {
		accounts := map[string]bool{}
		for _, fn := range fs {
			accounts[fn.Account] = true
		}
		where = plural(len(accounts), "account") + ", " + where
	}
	what := plural(len(fs), "function")
	if opts.Inactive {
		what += " Inactive or Failed"
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s in %s\n", what, where)
	return nil
}

// scanTable writes functions as a table.
func scanTable(w io.Writer, fs []campaign.Function, days func(campaign.Function) string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tFUNCTION\tRUNTIME\tARCH\tTYPE\tSTATE\tUPDATE\tDEPRECATION\tDAYS LEFT\tSUCCESSOR\tLAYERS")
	for _, fn := range fs {
		rt := fn.Runtime
		if fn.PackageType == "Image" {
			rt = "(image)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", fn.Region, fn.Name, rt, fn.Arch, fn.PackageType,
			dash(stateText(fn)), dash(fn.LastUpdateStatus), dash(string(fn.Deprecation)), dash(days(fn)), dash(fn.Successor), len(fn.Layers))
	}
	return tw.Flush()
}
