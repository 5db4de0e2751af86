package cli

import (
	"fmt"
	"io"
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

// inactiveTable writes the Inactive and Failed functions with Lambda's
// reason and what to do about each.
func inactiveTable(w io.Writer, fs []campaign.Function) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tFUNCTION\tTYPE\tSTATE\tREASON\tWHAT TO DO")
	for _, fn := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", fn.Region, fn.Name, fn.PackageType, stateText(fn), dash(fn.StateReason),
			dash(campaign.Fix(fn.State, fn.StateReasonCode)))
	}
	return tw.Flush()
}
