package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/layers"
)

// NewCmdCampaign returns `layerkit campaign` and its subcommands.
func NewCmdCampaign(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Plan, apply and roll back bulk runtime and architecture upgrades across functions and regions",
		Args:  maxArgs(0),
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(NewCmdCampaignPlan(f, nil), NewCmdCampaignApply(f, nil), NewCmdCampaignRollback(f, nil))
	return cmd
}

// CampaignPlanOptions are the parsed flags of `layerkit campaign plan`.
type CampaignPlanOptions struct {
	IO       IOStreams
	AWS      AWSOptions
	Accounts AccountOptions
	// SplitBy, when set, makes Out a folder of pieces (campaign.Split).
	SplitBy string
	Out     string
	Layers  string
	Format  string
	// Images is a build's manifest whose pushed images image functions
	// move to.
	Images string
	Plan   campaign.PlanOptions
}

// NewCmdCampaignPlan returns `layerkit campaign plan`.
func NewCmdCampaignPlan(f *Factory, runF func(context.Context, *CampaignPlanOptions) error) *cobra.Command {
	opts := &CampaignPlanOptions{IO: f.IO}
	var arch string
	var tags, maps, imageMaps []string
	cmd := &cobra.Command{
		Use:   "plan --from RUNTIME --to RUNTIME --regions R1,R2 --out plan.json",
		Short: "Plan moving functions to a new runtime (and arch) with their layers; changes nothing",
		Long: `Plan reads every function on --from in the regions (or those --select and
--tag pick) and writes a reviewable plan: for each, the current and target
runtime, architecture and layers. Each attached layer is matched to its
replacement for the target: through the metadata layerkit wrote when it
published the layer (or a --map rule) to the version for the target in
published.json, or else to an existing version of the same layer whose
compatible runtimes and architectures fit. What cannot be placed is a
blocker, as is a target the catalog says the runtime does not support, new
layers over the 250 MB limit, and an image function without a new image.
With --image-map or --images every image function is planned too: onto the
image mapped for its repository, or the build's image pushed to that
repository for --to and the target architecture. Planning changes nothing
in AWS; the plan goes to --out and a table to stdout.

With --accounts (org, or account IDs) and --role, plan assumes the role in
each account and plans them all side by side; each step records its account
and the role apply assumes to reach it. An account that cannot be reached is
named on stderr and left out of the plan; the exit status is then 4 when AWS
refused the role or a permission, 1 otherwise.

With --split-by account, region or account-region, --out is a folder: one
plan per piece (PIECE.json), the whole plan (plan.json) for review, and
index.json listing the pieces as [{"piece", "plan", "account", "region",
"functions"}] for a CI matrix (fromJSON). Each piece applies, resumes and
rolls back on its own, with its own journal.`,
		Example: `  layerkit campaign plan --from python3.9 --to python3.12 --arch arm64 \
    --regions eu-west-1,us-east-1 --layers dist/published.json --out plan.json

  # Only the orders team's functions; a vendor layer replaced by the build's deps
  layerkit campaign plan --from python3.9 --to python3.12 --regions eu-west-1 \
    --tag team=orders --map vendor-tools=deps --out orders-plan.json

  # Image functions onto the arm64 images a build pushed
  layerkit campaign plan --from python3.9 --to python3.12 --arch arm64 --regions eu-west-1 \
    --images dist/manifest.json --out plan.json

  # Every account of the organization, one plan per account for a CI matrix
  layerkit campaign plan --from python3.9 --to python3.12 --regions eu-west-1,us-east-1 \
    --accounts org --role layerkit-deployer --split-by account --out plans/`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := &opts.Plan
			if o.From == "" || o.To == "" {
				return usageErrorf("--from and --to are required")
			}
			if _, err := layers.ParseRuntime(o.To); err != nil {
				return usageErrorf("--to: %v", err)
			}
			if arch != "" {
				a, err := layers.ParseArch(arch)
				if err != nil {
					return usageErrorf("--arch: %v", err)
				}
				o.Arch = a
			}
			if len(opts.AWS.Regions) == 0 {
				return usageErrorf("no regions: give --regions")
			}
			if opts.Out == "" {
				return usageErrorf("--out is required: the plan file apply reads")
			}
			if err := campaign.CheckSelect(o.Select); err != nil {
				return usageErrorf("--select: %v (a glob on function names: * ? [a-z], \\ escapes)", err)
			}
			if err := checkFormat(opts.Format, "text", "json", "markdown"); err != nil {
				return err
			}
			if err := opts.Accounts.check(); err != nil {
				return err
			}
			switch opts.SplitBy {
			case "", campaign.ByAccount, campaign.ByRegion, campaign.ByAccountRegion:
			default:
				return usageErrorf("--split-by %q: want account, region or account-region", opts.SplitBy)
			}
			o.Regions = opts.AWS.Regions
			o.Tags, o.Map = map[string]string{}, map[string]string{}
			for _, kv := range tags {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageErrorf("--tag %q: want KEY=VALUE", kv)
				}
				o.Tags[k] = v
			}
			for _, kv := range maps {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" || v == "" {
					return usageErrorf("--map %q: want OLD_LAYER_NAME=LAYER", kv)
				}
				o.Map[k] = v
			}
			var err error
			if o.ImageMap, err = parseImageMaps(imageMaps); err != nil {
				return err
			}
			opts.AWS.fromEnv(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return campaignPlanRun(cmd.Context(), opts)
		},
	}
	addAWSFlags(cmd, &opts.AWS, false)
	addAccountFlags(cmd, &opts.Accounts)
	cmd.Flags().StringVar(&opts.SplitBy, "split-by", "", "cut the plan into pieces by account, region or account-region; --out is then a folder")
	cmd.Flags().StringVar(&opts.Plan.From, "from", "", "runtime the functions run now, such as python3.9")
	cmd.Flags().StringVar(&opts.Plan.To, "to", "", "runtime to move them to, such as python3.12")
	cmd.Flags().StringVar(&arch, "arch", "", "architecture to move them to: x86_64 or arm64 (default: keep each function's)")
	cmd.Flags().StringVar(&opts.Plan.Select, "select", "", "only functions whose name matches this glob")
	cmd.Flags().StringArrayVar(&tags, "tag", nil, "only functions with this tag, KEY=VALUE (repeatable: all must match)")
	cmd.Flags().StringArrayVar(&maps, "map", nil, "OLD_LAYER_NAME=LAYER: an attached layer's replacement is the build layer LAYER (repeatable)")
	cmd.Flags().StringArrayVar(&imageMaps, "image-map", nil, "OLD_REPOSITORY=NEW_IMAGE: image functions running from OLD_REPOSITORY move to NEW_IMAGE (repeatable)")
	cmd.Flags().StringVar(&opts.Images, "images", "", "a build's manifest.json: image functions move to its pushed image for their repository and target")
	cmd.Flags().StringVar(&opts.Layers, "layers", "", "published.json from layerkit publish (default: dist/published.json when present)")
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "where to write the plan (JSON)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "stdout format: text, markdown or json")
	return cmd
}

func campaignPlanRun(ctx context.Context, opts *CampaignPlanOptions) error {
	lp := opts.Layers
	if lp == "" {
		if _, err := os.Stat(filepath.Join("dist", publish.PublishedFile)); err == nil {
			lp = filepath.Join("dist", publish.PublishedFile)
		}
	}
	if lp != "" {
		pub, err := publish.ReadResults(lp)
		if err != nil {
			return err
		}
		opts.Plan.Published = pub.Layers
	}
	if opts.Images != "" {
		images, err := readBuildImages(opts.Images)
		if err != nil {
			return err
		}
		opts.Plan.Images = images
	}
	cl, err := publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL})
	if err != nil {
		return err
	}
	var p *campaign.Plan
	var accountErr error // some accounts could not be planned; the rest are
	if opts.Accounts.Accounts == "" {
		p, err = campaign.MakePlan(ctx, func(r string) campaign.LambdaAPI { return cl.LambdaClient(r) }, opts.Plan)
	} else {
		accts, connect, ferr := opts.Accounts.fleet(ctx, cl)
		if ferr != nil {
			return ferr
		}
		p, err = campaign.PlanAccounts(ctx, accts, connect, opts.Plan, campaign.FleetOptions{})
		var aes campaign.AccountErrors
		if errors.As(err, &aes) {
			accountErr, err = err, nil
		}
	}
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	written := opts.Out
	if opts.SplitBy != "" {
		pieces, err := campaign.Split(p, opts.SplitBy)
		if err != nil {
			return err
		}
		if err := campaign.WriteSplit(opts.Out, pieces); err != nil {
			return err
		}
		written = filepath.Join(opts.Out, "plan.json")
		defer fmt.Fprintf(opts.IO.ErrOut, "%s by %s written to %s (index %s)\n", plural(len(pieces), "piece"), opts.SplitBy, opts.Out,
			filepath.Join(opts.Out, campaign.IndexFile))
	}
	if err := atomicfile.WriteFile(written, append(b, '\n'), 0o644); err != nil {
		return err
	}
	blocked, aliased := 0, 0
	for _, s := range p.Functions {
		if s.Blocked() {
			blocked++
		}
		if !s.Blocked() && len(s.Aliases) > 0 {
			aliased++
		}
	}
	switch opts.Format {
	case "json":
		err = writeJSON(opts.IO.Out, p)
	case "markdown":
		err = planMarkdown(opts, p)
	default:
		tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REGION\tFUNCTION\tRUNTIME\tARCH\tLAYERS\tSTATUS")
		for i, s := range p.Functions {
			// Across accounts, each account's steps come under its ID.
			if opts.Accounts.Accounts != "" && (i == 0 || p.Functions[i-1].Account != s.Account) {
				fmt.Fprintf(tw, "account %s\t\t\t\t\t\n", s.Account)
			}
			status := "ready"
			if s.Blocked() {
				status = "BLOCKED: " + strings.Join(s.Blockers, "; ")
			} else if len(s.Aliases) > 0 {
				status += " (aliases on old versions: " + aliasList(s.Aliases) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s -> %s\t%s -> %s\t%d -> %d\t%s\n", s.Region, s.Name, runtimeCell(s.Current), runtimeCell(s.Target),
				s.Current.Arch, s.Target.Arch, len(s.Current.Layers), len(s.Target.Layers), status)
		}
		err = tw.Flush()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s planned, %d blocked; plan written to %s\n", plural(len(p.Functions), "function"), blocked, written)
	if aliased > 0 {
		verb := "have"
		if aliased == 1 {
			verb = "has"
		}
		fmt.Fprintf(opts.IO.ErrOut, "note: %s %s an alias on a published version; apply changes $LATEST, so those aliases keep "+
			"the old runtime until you publish a version and move them (the plan's notes say which)\n", plural(aliased, "function"), verb)
	}
	return accountErr
}

// aliasList names aliases as NAME->VERSION.
func aliasList(as []campaign.Alias) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Name+"->"+a.Version)
	}
	return strings.Join(s, ", ")
}

func planMarkdown(opts *CampaignPlanOptions, p *campaign.Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Campaign plan: %s -> %s", p.From, p.To)
	if p.Arch != "" {
		fmt.Fprintf(&b, " on %s", p.Arch)
	}
	fmt.Fprintf(&b, "\n\n| region | function | runtime | arch | layers | status |\n|---|---|---|---|---|---|\n")
	for i, s := range p.Functions {
		// Across accounts, each account's steps come under its ID.
		if opts.Accounts.Accounts != "" && (i == 0 || p.Functions[i-1].Account != s.Account) {
			fmt.Fprintf(&b, "| **account %s** | | | | | |\n", s.Account)
		}
		status := "ready"
		if s.Blocked() {
			status = "**blocked**: " + strings.Join(s.Blockers, "; ")
		}
		for _, n := range s.Notes {
			status += "<br>" + n
		}
		var ls []string
		for _, l := range s.Layers {
			ls = append(ls, fmt.Sprintf("`%s` → `%s` (%s)", layerShort(l.Old), layerShort(l.New), l.How))
		}
		fmt.Fprintf(&b, "| %s | %s | %s → %s | %s → %s | %s | %s |\n", s.Region, s.Name, runtimeCell(s.Current), runtimeCell(s.Target),
			s.Current.Arch, s.Target.Arch, strings.Join(ls, "<br>"), status)
	}
	_, err := fmt.Fprint(opts.IO.Out, b.String())
	return err
}

func layerShort(arn string) string {
	if arn == "" {
		return "none"
	}
	return campaign.ShortLayer(arn)
}
