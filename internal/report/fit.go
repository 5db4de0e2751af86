package report

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/layerkit/layerkit/internal/lint"
)

// fitFor returns the fit report of the bundle a finding is about, or nil.
func fitFor(r *Report, f lint.Finding) *lint.Fit {
	for _, fit := range r.Summary.Fit {
		if fit.Function == f.Function && fit.Bundle == f.Artifact && fit.Target == f.Target {
			return fit
		}
	}
	return nil
}

// writeFit writes a fit report as two short tables: removable bytes by
// kind, then the options with the size each leaves and whether it fits.
func writeFit(b *strings.Builder, indent string, fit *lint.Fit) {
	head := fmt.Sprintf("%s          fit: %s bytes of %s", indent, commas(fit.Total), commas(fit.Limit))
	if fit.Over > 0 {
		head += fmt.Sprintf(", %s to remove", commas(fit.Over))
	} else {
		head += ", within a tenth of the limit"
	}
	b.WriteString(head + "\n")
	pad := indent + "            "
	kinds := make([]string, len(fit.Savings))
	width := len("removable")
	for i, s := range fit.Savings {
		kinds[i] = Printable(s.Kind)
		if !s.Counted {
			kinds[i] += " (note, not counted)"
		}
		width = max(width, len(kinds[i]))
	}
	fmt.Fprintf(b, "%s%-*s  %13s  %6s\n", pad, width, "removable", "bytes", "files")
	for i, s := range fit.Savings {
		fmt.Fprintf(b, "%s%-*s  %13s  %6d\n", pad, width, kinds[i], commas(s.Bytes), s.Files)
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%soption\tbytes after\tfits\thow\n", pad)
	for _, o := range fit.Options {
		fits := "no"
		if o.Fits {
			fits = "yes"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", pad, Printable(o.Kind), commas(o.BytesAfter), fits, Printable(o.How))
	}
	tw.Flush()
}

// commas writes n with thousands separators: 262,144,000.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// writeNearFits writes the fit reports of bundles that are near the limit
// but not over it: no LK160 finding carries them.
func writeNearFits(b *strings.Builder, r *Report) {
	for _, fit := range r.Summary.Fit {
		if fit.Over > 0 {
			continue
		}
		name := fit.Bundle
		if fit.Function != "" {
			name = "function " + fit.Function
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(b, "%s: near Lambda's unzipped limit\n", Printable(name))
		writeFit(b, "", fit)
		if len(r.Findings) == 0 {
			b.WriteByte('\n') // before the summary line, as findings have
		}
	}
}
