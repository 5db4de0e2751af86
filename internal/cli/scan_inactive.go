package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/layerkit/layerkit/internal/campaign"
)

// stateText is a function's State with its reason code, as the scan table
// prints it: "Failed (ImageDeleted)".
func stateText(fn campaign.Function) string {
	if fn.StateReasonCode == "" {
		return fn.State
	}
	return fn.State + " (" + fn.StateReasonCode + ")"
}

// scanInactive prints the Inactive and Failed functions with Lambda's
// reason and what to do about each.
func scanInactive(opts *ScanOptions, fs []campaign.Function) error {
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tFUNCTION\tTYPE\tSTATE\tREASON\tWHAT TO DO")
	for _, fn := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", fn.Region, fn.Name, fn.PackageType, stateText(fn), dash(fn.StateReason),
			dash(campaign.Fix(fn.State, fn.StateReasonCode)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s Inactive or Failed in %s\n", plural(len(fs), "function"), strings.Join(opts.AWS.Regions, ", "))
	return nil
}
