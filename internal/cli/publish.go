package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/layers"
)

// AWSOptions are the flags every command that talks to AWS takes.
type AWSOptions struct {
	Profile     string
	EndpointURL string
	Regions     []string
}

// fromEnv fills what flags left unset from the environment the Factory
// gives (AWS_ENDPOINT_URL), so tests control it.
func (o *AWSOptions) fromEnv(f *Factory) {
	if o.EndpointURL == "" {
		o.EndpointURL = f.Getenv("AWS_ENDPOINT_URL")
	}
}

// addAWSFlags adds the AWS access flags and --regions; fromConfig says
// whether the command falls back to the config's publish.regions.
func addAWSFlags(cmd *cobra.Command, o *AWSOptions, fromConfig bool) {
	addAWSAccessFlags(cmd, o)
	help := "regions, comma-separated (required)"
	if fromConfig {
		help = "regions, comma-separated (default: the config's publish.regions)"
	}
	cmd.Flags().StringSliceVar(&o.Regions, "regions", nil, help)
}

// addAWSAccessFlags adds the flags that say how to reach AWS, for commands
// whose regions come from a file.
func addAWSAccessFlags(cmd *cobra.Command, o *AWSOptions) {
	cmd.Flags().StringVar(&o.Profile, "profile", "", "AWS shared-config profile (default: the SDK's credential chain)")
	cmd.Flags().StringVar(&o.EndpointURL, "endpoint-url", "", "send AWS requests to this endpoint, such as moto or LocalStack (or set AWS_ENDPOINT_URL)")
}

// PublishOptions are the parsed flags of `layerkit publish`.
type PublishOptions struct {
	IO         IOStreams
	AWS        AWSOptions
	Dist       string
	Config     string
	Bucket     string
	CodeBucket string
	Prefix     string
	Share      []string
	// Emit lists the IaC files to write after publishing (--emit
	// FORMAT=FILE).
	Emit    []publish.Emit
	emit    []string
	DryRun  bool
	Format  string
	Options publish.Options
}

// NewCmdPublish returns `layerkit publish`.
func NewCmdPublish(f *Factory, runF func(context.Context, *PublishOptions) error) *cobra.Command {
	opts := &PublishOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "publish [DIST]",
		Short: "Publish a build's layers to Lambda in many regions, idempotently",
		Long: `Publish makes a Lambda layer version of every layer zip in DIST (default:
dist) in every region, and prints the version ARNs. A layer whose newest
version already holds the same zip (CodeSha256) and metadata is reported, not
published again: two runs in a row publish one version per layer and region,
and a run cut off halfway completes when run again.

With --bucket, zips go to S3 first under content-addressed keys
(PREFIX/layers/NAME/SHA256.zip, skipped when already there); '{region}' in the
bucket name is replaced by each region, because Lambda reads layer content
only from a bucket in its own region. Without a bucket, zips under 50 MB go
in the request. Results also go to DIST/published.json, which 'layerkit
campaign' reads.

The function's code (main.zip) goes to S3 too, for a deployment tool to point
functions at: under PREFIX/functions/main/SHA256.zip in each region's bucket,
or, with --code-bucket without '{region}', once into that one central bucket
(for S3 replication or reads from other accounts). An object already there
with the same SHA-256 checksum is not uploaded again. published.json records
its bucket, key, version ID (on a versioned bucket) and CodeSha256.

--emit FORMAT=FILE (repeatable) writes what an infrastructure-as-code tool
needs, per region and target: 'tfvars' a Terraform NAME.auto.tfvars.json
(variables layerkit_layers and layerkit_code), 'sam' parameter overrides for
'sam deploy' (one file per region: put '{region}' in FILE), 'cdk' the
"layerkit" key of a CDK context file such as cdk.context.json (other keys
kept). --dry-run lists what would be uploaded and written, and writes nothing.

Defaults come from the publish: section of the project's layerkit.yaml (the
folder above DIST). Credentials come from the AWS SDK's default chain,
--profile, or AWS_PROFILE; --dry-run needs none.`,
		Example: `  # Publish to two regions through per-region buckets
  layerkit publish dist --regions eu-west-1,us-east-1 --bucket 'artifacts-{region}'

  # See what would be published, without credentials
  layerkit publish --regions eu-west-1 --dry-run

  # Share with another account and the whole organization, JSON for scripts
  layerkit publish --share account:210987654321 --share org:o-a1b2c3d4e5 --format json

  # Code into one central bucket, and the values Terraform reads
  layerkit publish --regions eu-west-1 --bucket 'artifacts-{region}' \
    --code-bucket shared-code --emit tfvars=infra/layerkit.auto.tfvars.json`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dist = "dist"
			if len(args) == 1 {
				opts.Dist = args[0]
			}
			if err := checkFormat(opts.Format, "text", "json"); err != nil {
				return err
			}
			opts.AWS.fromEnv(f)
			if err := preparePublish(opts, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return publishRun(cmd.Context(), opts)
		},
	}
	addAWSFlags(cmd, &opts.AWS, true)
	cmd.Flags().StringVarP(&opts.Config, "config", "c", "", "project config (default: layerkit.yaml in the folder above DIST)")
	cmd.Flags().StringVar(&opts.Bucket, "bucket", "", "S3 bucket to stage zips in; '{region}' becomes each region")
	cmd.Flags().StringVar(&opts.CodeBucket, "code-bucket", "", "S3 bucket for the function's code (default: --bucket); without '{region}', one central bucket")
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "", "S3 key prefix")
	cmd.Flags().StringArrayVar(&opts.emit, "emit", nil, "write IaC values: tfvars=FILE.auto.tfvars.json, sam=FILE (with {region} for many regions) or cdk=cdk.context.json (repeatable)")
	cmd.Flags().StringArrayVar(&opts.Share, "share", nil, "share each version: account:ID, org:o-ID or public (repeatable)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "show what would be published; no AWS calls")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	return cmd
}

// loadBuild reads DIST's manifest and the project config beside it.
func loadBuild(dist, cfgFile string) (*layers.Manifest, *config.Config, error) {
	mf, err := os.Open(filepath.Join(dist, layers.ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s has no %s: run 'layerkit build' first", dist, layers.ManifestFile)
	}
	if err != nil {
		return nil, nil, err
	}
	defer mf.Close()
	m, err := layers.ReadManifest(mf)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", mf.Name(), err)
	}
	project := filepath.Dir(filepath.Clean(dist))
	if cfgFile == "" && config.Find(project) == "" {
		return m, &config.Config{}, nil
	}
	cfg, err := config.Load(project, cfgFile)
	if err != nil {
		return nil, nil, err
	}
	return m, cfg, nil
}

func preparePublish(opts *PublishOptions, cmd *cobra.Command) error {
	m, cfg, err := loadBuild(opts.Dist, opts.Config)
	if err != nil {
		return err
	}
	pc := cfg.Publish
	o := &opts.Options
	o.Dist, o.Manifest, o.DryRun = opts.Dist, m, opts.DryRun
	o.Regions = opts.AWS.Regions
	if len(o.Regions) == 0 {
		o.Regions = pc.Regions
	}
	if len(o.Regions) == 0 {
		return usageErrorf("no regions: give --regions or set publish.regions in layerkit.yaml")
	}
	o.Bucket, o.Prefix = pc.Bucket, pc.Prefix
	if cmd.Flags().Changed("bucket") {
		o.Bucket = opts.Bucket
	}
	if cmd.Flags().Changed("prefix") {
		o.Prefix = opts.Prefix
	}
	o.CodeBucket = opts.CodeBucket
	for _, s := range opts.emit {
		e, err := publish.ParseEmit(s)
		if err == nil {
			err = e.Check(o.Regions)
		}
		if err != nil {
			return &UsageError{Err: err}
		}
		opts.Emit = append(opts.Emit, e)
	}
	o.Description, o.License, o.Names = pc.Description, pc.License, pc.Names
	shares := pc.Share
	if cmd.Flags().Changed("share") {
		shares = opts.Share
	}
	for _, s := range shares {
		p, err := publish.ParsePrincipal(s)
		if err != nil {
			return &UsageError{Err: err}
		}
		o.Share = append(o.Share, p)
	}
	return nil
}

func publishRun(ctx context.Context, opts *PublishOptions) error {
	o := opts.Options
	var cl publish.Clients
	if !o.DryRun {
		var err error
		if cl, err = publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL}); err != nil {
			return err
		}
	}
	if opts.IO.ErrTTY && opts.Format == "text" {
		var mu sync.Mutex
		o.Progress = func(e publish.Event) {
			mu.Lock()
			defer mu.Unlock()
			msg := e.Step
			if e.Step == "upload" && e.Total > 0 {
				msg = fmt.Sprintf("upload %3d%% of %s", e.Done*100/e.Total, humanBytes(e.Total))
			}
			fmt.Fprintf(opts.IO.ErrOut, "\r\x1b[K%s %s: %s", e.Region, e.Layer, msg)
		}
	}
	var rs []publish.Result
	code, err := publish.UploadCode(ctx, cl, o)
	codeLocal := errors.Is(err, publish.ErrNoCodeBucket)
	if codeLocal {
		err = nil
	}
	if err == nil && (hasLayers(o.Manifest) || len(code) == 0) {
		// A build of neither layers nor uploaded code gets Publish's
		// "no layers to publish".
		rs, err = publish.Publish(ctx, cl, o)
	}
	if o.Progress != nil {
		fmt.Fprint(opts.IO.ErrOut, "\r\x1b[K")
	}
	if !o.DryRun && len(rs)+len(code) > 0 {
		if werr := saveResults(o.Dist, o.Manifest, rs, code); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	if codeLocal {
		fmt.Fprintln(opts.IO.ErrOut, "note: the function's code stays local: give --bucket or --code-bucket to put it in S3 for a deployment to read")
	}
	var emits []emitted
	h := publish.NewHandoff(o.Manifest, o.Regions, rs, code)
	for _, e := range opts.Emit {
		if o.DryRun {
			for _, f := range e.Files(o.Regions) {
				emits = append(emits, emitted{Format: e.Format, File: f})
			}
			continue
		}
		files, err := e.Write(h)
		for _, f := range files {
			emits = append(emits, emitted{Format: e.Format, File: f, Written: true})
		}
		if err != nil {
			return err
		}
	}
	if opts.Format == "json" {
		if rs == nil {
			rs = []publish.Result{}
		}
		return writeJSON(opts.IO.Out, publishOutput{Published: publish.Published{Layers: rs, Functions: code}, Emitted: emits})
	}
	return publishText(opts, rs, code, emits)
}

// publishOutput is the JSON document publish prints: published.json's,
// and the files --emit wrote or, on a dry run, would write.
type publishOutput struct {
	publish.Published
	Emitted []emitted `json:"emitted,omitempty"`
}

// emitted is one file --emit wrote, or would write on a dry run.
type emitted struct {
	Format  publish.EmitFormat `json:"format"`
	File    string             `json:"file"`
	Written bool               `json:"written"`
}

func hasLayers(m *layers.Manifest) bool {
	for _, a := range m.Artifacts {
		if a.Kind == layers.KindLayer {
			return true
		}
	}
	return false
}

func publishText(opts *PublishOptions, rs []publish.Result, code []publish.Code, emits []emitted) error {
	o := opts.Options
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	published := 0
	if len(rs) > 0 {
		fmt.Fprintln(tw, "LAYER\tREGION\tVERSION\tSTATUS\tVERSION ARN")
	}
	for _, r := range rs {
		status, arn, ver := "unchanged", r.VersionARN, fmt.Sprint(r.Version)
		switch {
		case o.DryRun:
			status, arn, ver = "would publish (unless unchanged)", r.Content, "-"
		case r.Published:
			status = "published"
			published++
		}
		if len(r.Shared) > 0 {
			status += ", shared with " + strings.Join(r.Shared, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Region, ver, status, arn)
	}
	if len(code) > 0 {
		if len(rs) > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "CODE\tREGION\tSTATUS\tOBJECT")
	}
	uploaded := 0
	for _, c := range code {
		status, region, obj := "unchanged", cmp.Or(c.Region, "-"), c.URI()
		switch {
		case o.DryRun:
			status = "would upload (unless there)"
		case c.Uploaded:
			status = "uploaded"
			uploaded++
		}
		if c.VersionID != "" {
			obj += " (version " + c.VersionID + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, region, status, obj)
	}
	if len(emits) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "EMIT\tFILE\tSTATUS")
	}
	for _, e := range emits {
		status := "written"
		if !e.Written {
			status = "would write"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Format, e.File, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !o.DryRun {
		msg := fmt.Sprintf("%d published, %d unchanged", published, len(rs)-published)
		if len(code) > 0 {
			msg += fmt.Sprintf("; code: %d uploaded, %d there already", uploaded, len(code)-uploaded)
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s; results in %s\n", msg, filepath.Join(o.Dist, publish.PublishedFile))
	}
	return nil
}

// saveResults merges rs and code into DIST/published.json: entries for
// other regions (and, for code, other buckets) stay; entries for artifacts
// no longer built, and older code in a bucket this run wrote to, go.
func saveResults(dist string, m *layers.Manifest, rs []publish.Result, code []publish.Code) error {
	current := map[string]bool{}
	for _, a := range m.Artifacts {
		if a.Kind == layers.KindFunction {
			current[a.Name] = true
		} else {
			current[publish.ArtifactID(a)] = true
		}
	}
	fresh := map[string]bool{}
	for _, r := range rs {
		fresh[r.Artifact+"@"+r.Region] = true
	}
	for _, c := range code {
		fresh["code "+c.Name+"@"+c.Bucket] = true
	}
	var merged publish.Published
	if old, err := publish.ReadResults(filepath.Join(dist, publish.PublishedFile)); err == nil {
		for _, r := range old.Layers {
			if current[r.Artifact] && !fresh[r.Artifact+"@"+r.Region] {
				merged.Layers = append(merged.Layers, r)
			}
		}
		for _, c := range old.Functions {
			if current[c.Name] && !fresh["code "+c.Name+"@"+c.Bucket] {
				merged.Functions = append(merged.Functions, c)
			}
		}
	}
	merged.Layers = append(merged.Layers, rs...)
	merged.Functions = append(merged.Functions, code...)
	return publish.WriteResults(dist, merged)
}

// PruneOptions are the parsed flags of `layerkit prune`.
type PruneOptions struct {
	IO     IOStreams
	AWS    AWSOptions
	Dist   string
	Config string
	Format string
	Prune  publish.PruneOptions
}

// NewCmdPrune returns `layerkit prune`.
func NewCmdPrune(f *Factory, runF func(context.Context, *PruneOptions) error) *cobra.Command {
	opts := &PruneOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "prune [DIST]",
		Short: "Delete old versions of a build's layers, keeping the newest N and any in use",
		Long: `Prune deletes the versions of each layer of the build in DIST (default: dist)
beyond the newest --keep, in every region: Lambda's code storage per region is
limited. A version that a function in that region still attaches is kept
unless --force.`,
		Example: `  layerkit prune --keep 3 --regions eu-west-1,us-east-1
  layerkit prune dist --keep 1 --dry-run --format json`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dist = "dist"
			if len(args) == 1 {
				opts.Dist = args[0]
			}
			if err := checkFormat(opts.Format, "text", "json"); err != nil {
				return err
			}
			if opts.Prune.Keep < 1 {
				return usageErrorf("--keep %d: keep at least the newest version", opts.Prune.Keep)
			}
			opts.AWS.fromEnv(f)
			m, cfg, err := loadBuild(opts.Dist, opts.Config)
			if err != nil {
				return err
			}
			opts.Prune.Regions = opts.AWS.Regions
			if len(opts.Prune.Regions) == 0 {
				opts.Prune.Regions = cfg.Publish.Regions
			}
			if len(opts.Prune.Regions) == 0 {
				return usageErrorf("no regions: give --regions or set publish.regions in layerkit.yaml")
			}
			for _, a := range m.Artifacts {
				if a.Kind != layers.KindLayer {
					continue
				}
				opts.Prune.Names = append(opts.Prune.Names, publish.NameFor(cfg.Publish.Names, a))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return pruneRun(cmd.Context(), opts)
		},
	}
	addAWSFlags(cmd, &opts.AWS, true)
	cmd.Flags().StringVarP(&opts.Config, "config", "c", "", "project config (default: layerkit.yaml in the folder above DIST)")
	cmd.Flags().IntVar(&opts.Prune.Keep, "keep", 3, "how many of the newest versions to keep")
	cmd.Flags().BoolVar(&opts.Prune.Force, "force", false, "also delete versions functions still use")
	cmd.Flags().BoolVar(&opts.Prune.DryRun, "dry-run", false, "list what would be deleted")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	return cmd
}

func pruneRun(ctx context.Context, opts *PruneOptions) error {
	cl, err := publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL})
	if err != nil {
		return err
	}
	ps, err := publish.Prune(ctx, cl, opts.Prune)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		if ps == nil {
			ps = []publish.Pruned{}
		}
		return writeJSON(opts.IO.Out, map[string]any{"versions": ps})
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tREGION\tVERSION\tSTATUS")
	for _, p := range ps {
		status := "deleted"
		switch {
		case !p.Deleted && len(p.UsedBy) > 0:
			status = "kept: used by " + strings.Join(p.UsedBy, ", ")
		case !p.Deleted:
			status = "would delete"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Name, p.Region, p.Version, status)
	}
	return tw.Flush()
}
