package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/aws/orgs"
	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/internal/publish"
)

// CampaignApplyOptions are the parsed flags of `layerkit campaign apply`
// and `layerkit campaign rollback`.
type CampaignApplyOptions struct {
	IO  IOStreams
	AWS AWSOptions
	// Role and ExternalID (of Accounts) say how to reach the accounts the
	// plan or journal names; Accounts (IDs only: the plan names its
	// accounts) limits the run to some of them.
	Accounts AccountOptions
	Plan     string
	Journal  string
	Smoke    string
	Format   string
	// StageBucket is where code over the direct-upload limit passes
	// through for an architecture change.
	StageBucket string
	Apply       campaign.ApplyOptions
}

// NewCmdCampaignApply returns `layerkit campaign apply`.
func NewCmdCampaignApply(f *Factory, runF func(context.Context, *CampaignApplyOptions) error) *cobra.Command {
	opts := &CampaignApplyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "apply PLAN.json [--canary K] [--concurrency N] [--journal FILE] [--smoke EVENT.json]",
		Short: "Apply a campaign plan in waves, resumably, rolling back what fails",
		Long: `Apply changes every function of the plan that is not blocked. For each, it
first records the current runtime, architecture and layers in the journal;
then changes the architecture (UpdateFunctionCode with the function's own
code, unchanged; code over 50 MB zipped goes through --stage-bucket, and the
staged copy is deleted after) and waits; then runtime and layers
(UpdateFunctionConfiguration) and waits; then, with --smoke, invokes it with
the event. A function that fails is rolled back to what was recorded.

The first --canary functions go first; the rest start only when all of them
succeeded. After the canary, the run stops starting functions after
--max-failures failures. Calls are held to --rate per second in each region;
conflicting updates are waited out, throttling backs off, and Pending or
Inactive functions are waited to Active.

The journal (default: the plan's name with .journal) is appended to and
synced as the run goes. Run the same command again after an interruption or
a failure: finished functions are skipped, a function cut off half-way goes
on from where it is, and no change is made twice. 'layerkit campaign
rollback --journal FILE' undoes the campaign.

A plan made across accounts (campaign plan --accounts) records, for each
function, its account and the role to assume there; apply assumes each
account's role once, before any change (--role assumes another role name
instead, --external-id passes an external ID). An account whose role cannot
be assumed is named on stderr and its functions fail, unchanged; the other
accounts go on. --concurrency and --rate hold in each account and region,
which run side by side.

Exit status: 0 when every function was applied or had nothing to do, 1 when
one failed (an unreachable account's included) or the canary did, 130 when
interrupted (run again to resume).`,
		Example: `  layerkit campaign apply plan.json --canary 3 --concurrency 8 --smoke events/ping.json

  # Moving to arm64 functions whose code is over 50 MB zipped
  layerkit campaign apply plan.json --stage-bucket deploy-artifacts-{region}

  # After fixing why two functions failed, apply them again
  layerkit campaign apply plan.json --retry`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give the plan file: layerkit campaign apply PLAN.json")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			if err := checkApplyFlags(opts); err != nil {
				return err
			}
			if opts.Journal == "" {
				opts.Journal = strings.TrimSuffix(opts.Plan, ".json") + ".journal"
			}
			if opts.Smoke != "" {
				b, err := os.ReadFile(opts.Smoke)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return fmt.Errorf("%s: the smoke event is not JSON", opts.Smoke)
				}
				opts.Apply.Smoke = b
			}
			opts.AWS.fromEnv(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return campaignApplyRun(cmd.Context(), opts)
		},
	}
	addAWSAccessFlags(cmd, &opts.AWS)
	addApplyFlags(cmd, opts)
	cmd.Flags().IntVar(&opts.Apply.Canary, "canary", 0, "how many functions, first in the plan, must succeed before the rest start")
	cmd.Flags().StringVar(&opts.Smoke, "smoke", "", "JSON event to invoke each changed function with; a function error fails it")
	cmd.Flags().IntVar(&opts.Apply.MaxFailures, "max-failures", 0, "failures borne after the canary before no more functions start")
	cmd.Flags().BoolVar(&opts.Apply.Retry, "retry", false, "apply again to functions the journal shows failed or rolled back")
	return cmd
}

// NewCmdCampaignRollback returns `layerkit campaign rollback`.
func NewCmdCampaignRollback(f *Factory, runF func(context.Context, *CampaignApplyOptions) error) *cobra.Command {
	opts := &CampaignApplyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "rollback --journal FILE",
		Short: "Restore every function a campaign changed to its recorded configuration",
		Long: `Rollback reads the journal of 'layerkit campaign apply' and restores each
function it recorded to the runtime, architecture and layers it had before,
including functions an interrupted run left half-way. What is already
restored is left alone, so rollback can be run again. A function someone
else changed since the campaign is not touched unless --force.`,
		Example: `  layerkit campaign rollback --journal plan.journal
  layerkit campaign rollback --journal plan.journal --force --format json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Journal == "" {
				return usageErrorf("--journal is required: the file campaign apply wrote")
			}
			if err := checkApplyFlags(opts); err != nil {
				return err
			}
			if _, err := os.Stat(opts.Journal); err != nil {
				return err
			}
			opts.AWS.fromEnv(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return campaignRollbackRun(cmd.Context(), opts)
		},
	}
	addAWSAccessFlags(cmd, &opts.AWS)
	addApplyFlags(cmd, opts)
	cmd.Flags().BoolVar(&opts.Apply.Force, "force", false, "restore functions changed by someone else since the campaign too")
	return cmd
}

func addApplyFlags(cmd *cobra.Command, opts *CampaignApplyOptions) {
	cmd.Flags().StringVar(&opts.Accounts.Accounts, "accounts", "", "only the functions in these accounts, `ID,ID,…` (the journal stays the whole plan's)")
	cmd.Flags().StringVar(&opts.Accounts.Role, "role", "", "`NAME` of the role to assume in each account of the plan, in place of the role each step recorded")
	cmd.Flags().StringVar(&opts.Accounts.ExternalID, "external-id", "", "external ID to pass when assuming the role")
	cmd.Flags().StringVar(&opts.Journal, "journal", "", "the campaign's journal (apply default: PLAN with .journal in place of .json)")
	cmd.Flags().IntVar(&opts.Apply.Concurrency, "concurrency", 4, "functions changed at once in each account and region")
	cmd.Flags().DurationVar(&opts.Apply.ActivateWait, "activate-wait", 5*time.Minute, "how long to retry a function Lambda is restoring after weeks idle (CodeArtifactUserPendingException)")
	cmd.Flags().Float64Var(&opts.Apply.Rate, "rate", campaign.DefaultRate, "Lambda control-plane calls per second and region (the account's quota is 15, shared)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "summary format: text or json")
	cmd.Flags().StringVar(&opts.StageBucket, "stage-bucket", "", "S3 `BUCKET` for code over Lambda's 50 MB direct upload when its architecture changes ({region} in it becomes the function's region)")
}

func checkApplyFlags(opts *CampaignApplyOptions) error {
	if a := opts.Accounts.Accounts; a != "" {
		for _, id := range strings.Split(a, ",") {
			if !orgs.ValidAccount(id) {
				return usageErrorf("--accounts: %q is not a 12-digit account ID (the plan names its accounts; org is for scan and plan)", id)
			}
			opts.Apply.Accounts = append(opts.Apply.Accounts, id)
		}
	}
	switch {
	case opts.Apply.Concurrency < 1:
		return usageErrorf("--concurrency %d: at least 1", opts.Apply.Concurrency)
	case opts.Apply.Canary < 0:
		return usageErrorf("--canary %d: 0 or more", opts.Apply.Canary)
	case opts.Apply.MaxFailures < 0:
		return usageErrorf("--max-failures %d: 0 or more", opts.Apply.MaxFailures)
	case opts.Apply.Rate <= 0 || opts.Apply.Rate > 15:
		return usageErrorf("--rate %g: between 0 and Lambda's quota of 15 a second", opts.Apply.Rate)
	}
	return checkFormat(opts.Format, "text", "json")
}

// applyClients connects to AWS and gives campaign the SDK's Lambda
// clients of every account in roles (account → the role recorded for it),
// the role assumed in each, and S3's for --stage-bucket.
func applyClients(ctx context.Context, opts *CampaignApplyOptions, roles map[string]string) (func(account, region string) campaign.ApplyAPI, error) {
	cl, err := publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL})
	if err != nil {
		return nil, err
	}
	if opts.StageBucket != "" {
		opts.Apply.Stage = &campaign.Stager{Bucket: opts.StageBucket, S3: func(r string) campaign.StageAPI { return cl.S3Client(r) }}
	}
	for account, recorded := range roles {
		roles[account] = opts.Accounts.roleFor(account, recorded)
	}
	return connectRoles(ctx, cl, roles, orgs.Role{Name: opts.Accounts.Role, ExternalID: opts.Accounts.ExternalID}, opts.IO.ErrOut), nil
}

// progress prints a line on stderr as each function finishes.
func progress(opts *CampaignApplyOptions, total int) func(campaign.Result) {
	var mu sync.Mutex
	n := 0
	width := len(fmt.Sprint(total))
	return func(r campaign.Result) {
		mu.Lock()
		defer mu.Unlock()
		n++
		line := fmt.Sprintf("[%*d/%d] %s %s: %s (%.1fs)", width, n, total, r.Region, r.Name, r.Outcome, r.Seconds)
		if r.Error != "" {
			line += ": " + r.Error
		}
		fmt.Fprintln(opts.IO.ErrOut, line)
	}
}

func campaignApplyRun(ctx context.Context, opts *CampaignApplyOptions) error {
	p, err := campaign.ReadPlan(opts.Plan)
	if err != nil {
		return err
	}
	roles := map[string]string{}
	for _, s := range p.Functions {
		roles[campaign.AccountOf(s.ARN)] = s.Role
	}
	clients, err := applyClients(ctx, opts, roles)
	if err != nil {
		return err
	}
	j, err := campaign.OpenJournal(opts.Journal)
	if err != nil {
		return err
	}
	defer j.Close()
	ready := 0
	for _, s := range p.Functions {
		if !s.Blocked() {
			ready++
		}
	}
	fmt.Fprintf(opts.IO.ErrOut, "applying %s (%d blocked) of %s; journal %s\n", plural(ready, "function"), len(p.Functions)-ready, opts.Plan, opts.Journal)
	opts.Apply.Progress = progress(opts, ready)
	sum, err := campaign.ApplyAccounts(ctx, p, j, clients, opts.Apply)
	if sum == nil {
		return err
	}
	if werr := writeSummary(opts, sum); werr != nil && err == nil {
		err = werr
	}
	return applyOutcome(ctx, opts, sum, err, "apply")
}

func campaignRollbackRun(ctx context.Context, opts *CampaignApplyOptions) error {
	j, err := campaign.OpenJournal(opts.Journal)
	if err != nil {
		return err
	}
	defer j.Close()
	roles := map[string]string{}
	for _, st := range j.Functions() {
		roles[campaign.AccountOf(st.ARN)] = st.Role
	}
	clients, err := applyClients(ctx, opts, roles)
	if err != nil {
		return err
	}
	todo := 0
	for _, st := range j.Functions() {
		if st.Recorded != nil && st.Last != campaign.EventRolledBack {
			todo++
		}
	}
	fmt.Fprintf(opts.IO.ErrOut, "restoring %s recorded in %s\n", plural(todo, "function"), opts.Journal)
	opts.Apply.Progress = progress(opts, todo)
	sum, err := campaign.RollbackAccounts(ctx, j, clients, opts.Apply)
	if werr := writeSummary(opts, sum); werr != nil && err == nil {
		err = werr
	}
	return applyOutcome(ctx, opts, sum, err, "rollback")
}

// applyOutcome says on stderr what the run came to and what to do next,
// and returns the error that sets the exit status. A run whose ctx was
// canceled was interrupted, whatever error it ended with.
func applyOutcome(ctx context.Context, opts *CampaignApplyOptions, sum *campaign.Summary, err error, verb string) error {
	w := opts.IO.ErrOut
	if code, _ := outcome(ctx, err); code == ExitInterrupted {
		fmt.Fprintf(w, "%s interrupted: run the same command again to resume (journal %s)\n", verb, opts.Journal)
		return err
	}
	if err != nil {
		return err
	}
	var counts []string
	for _, o := range []campaign.Outcome{campaign.Applied, campaign.RolledBack, campaign.Unchanged, campaign.Finished, campaign.Blocked,
		campaign.Skipped, campaign.Failed, campaign.RollbackFailed, campaign.NotStarted} {
		if n := sum.Count(o); n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, o))
		}
	}
	fmt.Fprintf(w, "%s: %s\n", verb, strings.Join(counts, ", "))
	switch {
	case sum.CanaryFailed:
		return fmt.Errorf("the canary wave failed (%d of its functions): the rest were not started; the failed ones were rolled back", sum.Failures())
	case sum.Count(campaign.RollbackFailed) > 0:
		return fmt.Errorf("%s could not be restored: see the errors above, then run 'layerkit campaign rollback --journal %s'",
			plural(sum.Count(campaign.RollbackFailed), "function"), opts.Journal)
	case sum.Failures() > 0 && sum.Stopped:
		return fmt.Errorf("failed: %s, each restored to its recorded configuration or left as it was; the run stopped there: fix the cause and run again (--retry for the failed ones, --max-failures to go on past failures)",
			plural(sum.Failures(), "function"))
	case sum.Failures() > 0:
		return fmt.Errorf("failed: %s, each restored to its recorded configuration or left as it was (--retry applies them again)", plural(sum.Failures(), "function"))
	case sum.Count(campaign.Skipped) > 0:
		return fmt.Errorf("not done: %s that failed or were rolled back in an earlier run (--retry applies them again)", plural(sum.Count(campaign.Skipped), "function"))
	}
	return nil
}

func writeSummary(opts *CampaignApplyOptions, sum *campaign.Summary) error {
	if sum == nil {
		return nil
	}
	if opts.Format == "json" {
		return writeJSON(opts.IO.Out, struct {
			Journal string `json:"journal"`
			*campaign.Summary
		}{opts.Journal, sum})
	}
	return summaryTable(opts.IO.Out, sum)
}

func summaryTable(out io.Writer, sum *campaign.Summary) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tFUNCTION\tWAVE\tOUTCOME\tSECONDS\tDETAIL")
	for _, r := range sum.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%s\n", r.Region, r.Name, r.Wave, r.Outcome, r.Seconds, r.Error)
	}
	return tw.Flush()
}
