package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/internal/aws/ecrauth"
	"github.com/layerkit/layerkit/internal/aws/layerfetch"
	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/internal/report"
	"github.com/layerkit/layerkit/internal/source"
	"github.com/layerkit/layerkit/layers"
)

// CheckOptions are the parsed flags of `layerkit check`.
type CheckOptions struct {
	IO      IOStreams
	Request source.Request
	// FetchLayers downloads layers given only as ARNs, into CacheDir,
	// through the AWS access options.
	FetchLayers bool
	CacheDir    string
	AWS         AWSOptions
	Format      string
	FailOn      lint.Severity
	Version     string
	// Verbose lists every finding of the text report in full.
	Verbose bool
	// Outputs are further reports written to files, each in its own
	// format, besides the one on stdout.
	Outputs []ReportOutput
	// progress shows how far the check is on a terminal; nil elsewhere.
	progress *progressLine
}

// ReportOutput is one --output FORMAT=PATH.
type ReportOutput struct{ Format, Path string }

// checkFormats are the formats check writes.
var checkFormats = []string{"text", "json", "sarif", "github", "gitlab", "markdown"}

// NewCmdCheck returns `layerkit check`.
func NewCmdCheck(f *Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO}
	var runtime, arch, failOn string
	var params, mounts, env, outputs []string
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Find what would fail on Lambda before deploying: binaries, ABI tags, layout, secrets, size limits",
		Long: `Check reads folders and zips (in place, never extracted) and reports every file
Lambda would fail to load or refuse, with the evidence, what Lambda would show,
and the fix: ELF objects for the other CPU, macOS/Windows/32-bit/musl binaries,
glibc and libstdc++ needs newer than the runtime's OS, shared libraries that
resolve nowhere, Python extension and wheel tags and Node addon ABIs that do
not fit the runtime, layers wrapped one folder too deep, packaged secrets, dead
weight, hostile zip entries, and every Lambda size limit.

PATH is a folder, a zip, or a build output folder (or its manifest.json). With
a manifest, every target is checked as a function deployed for it sees it: the
main zip plus that target's layers. --function and --layer check one function
as deployed: its code plus its layers in order, later layers overwriting
earlier files as in /opt.

PATH may also be what a deployment framework built, recognised by its content:
SAM's .aws-sam/build (or the project holding it), CDK's cdk.out, the Serverless
Framework's .serverless, or a Terraform plan or state as JSON (terraform show
-json). Every function the template declares is checked as it will deploy:
its runtime, architecture, handler, environment, code and layers in order.
Layers given only as ARNs are listed as not checked; --fetch-layers downloads
each version once (GetLayerVersion, with the AWS credentials publish uses)
into a cache keyed by its CodeSha256, and checks it.
--runtime/--arch then select functions.

PATH may also be a container image: an OCI image layout folder, or a docker
save or OCI-archive tarball (recognised by content); --image REF reads one from
a registry (ECR through the AWS credentials, others through the Docker
config's). The image's layers are flattened as Lambda runs them, streamed,
and every file rule runs on the result with the image's own glibc, libraries
and Python; image rules add the index, platform, layer media types, 10 GiB
limit, ENTRYPOINT/CMD and handler.

A function over Lambda's 262,144,000-byte unzipped limit, or within a tenth
of it, gets a fit report: removable bytes by kind, and whether slimming, a
container image, moving packages to EFS or splitting the function fits.
--mount PATH=DIR checks content the function reaches elsewhere (an EFS
mount) with every rule, not counted in the limit; --env K=V sets the
function's environment (PYTHONPATH, LD_LIBRARY_PATH). A nested
.requirements.zip (serverless-python-requirements' zip: true) is read where
it unpacks, /tmp/sls-py-req, and compared with --ephemeral-storage.

Without --runtime/--arch (and no manifest) layerkit infers what it can and
says what it assumed; for an image, its own platform and Python. 'layerkit explain RULE' describes each rule.

Exit codes: 0 clean, 3 findings at or above --fail-on, 1 unreadable input,
2 usage.`,
		Example: `  # Check a function whose dependencies live on EFS, mounted at /mnt/deps
  layerkit check --function app.zip --mount /mnt/deps=./efs --env PYTHONPATH=/mnt/deps/python \
    --env LD_LIBRARY_PATH=/var/task/lib:/opt/lib:/mnt/deps/lib --runtime python3.12 --arch arm64

  # Check every target of a build before deploying
  layerkit check dist

  # Check every function of a SAM, CDK, Serverless or Terraform project
  sam build && layerkit check .aws-sam/build
  cdk synth && layerkit check cdk.out
  serverless package && layerkit check .serverless
  terraform plan -out plan.out && terraform show -json plan.out > plan.json && layerkit check plan.json

  # Check one layer folder for python3.12 on Graviton
  layerkit check layers/python3.12-arm64 --runtime python3.12 --arch arm64

  # Check a function as deployed with its layers
  layerkit check --function main.zip --layer numpy.zip --layer app-deps.zip --runtime python3.12 --arch arm64

  # Check a container image before UpdateFunctionCode
  layerkit check --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v42 --arch arm64
  layerkit check image-layout/

  # In GitHub Actions: annotations, or SARIF for code scanning
  layerkit check dist --format github
  layerkit check dist --format sarif > layerkit.sarif
  layerkit check dist --format github --output sarif=layerkit.sarif --output markdown=summary.md

  # In GitLab CI: code quality (artifacts:reports:codequality)
  layerkit check dist --format gitlab > gl-code-quality-report.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format, checkFormats...); err != nil {
				return err
			}
			for _, o := range outputs {
				format, path, ok := strings.Cut(o, "=")
				if !ok || path == "" {
					return usageErrorf("--output %q: want FORMAT=PATH", o)
				}
				if !slices.Contains(checkFormats, format) {
					return usageErrorf("--output %q: format %q is not one of %s", o, format, strings.Join(checkFormats, ", "))
				}
				opts.Outputs = append(opts.Outputs, ReportOutput{Format: format, Path: path})
			}
			sev, err := lint.ParseSeverity(failOn)
			if err != nil {
				return usageErrorf("--fail-on: %v", err)
			}
			opts.FailOn = sev
			req := &opts.Request
			req.Paths = args
			if (req.Function != "" || len(req.Layers) > 0) && len(args) > 0 {
				return usageErrorf("give either PATHs or --function/--layer, not both")
			}
			if (req.Function != "" || len(req.Layers) > 0) && len(req.Images) > 0 {
				return usageErrorf("give either --image or --function/--layer, not both")
			}
			if req.Function == "" && len(req.Layers) == 0 && len(args) == 0 && len(req.Images) == 0 {
				return usageErrorf("nothing to check: give a folder, a zip or a build output folder (see 'layerkit check --help')")
			}
			if runtime != "" {
				r, err := layers.ParseRuntime(runtime)
				if err != nil {
					return usageErrorf("--runtime: %v", err)
				}
				req.Runtime = r.ID
			}
			if arch != "" {
				a, err := layers.ParseArch(arch)
				if err != nil {
					return usageErrorf("--arch: %v", err)
				}
				req.Arch = a
			}
			if req.Runtime != "" && req.Arch != "" {
				if err := (layers.Target{Runtime: req.Runtime, Arch: req.Arch}).Validate(); err != nil {
					return &UsageError{Err: err}
				}
			}
			if req.Framework != "" && !slices.Contains(deploy.Frameworks, req.Framework) {
				return usageErrorf("--framework: %q is not one of %s", req.Framework, strings.Join(deploy.Frameworks, ", "))
			}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return usageErrorf("--parameter %q: want NAME=VALUE", p)
				}
				if req.Params == nil {
					req.Params = map[string]string{}
				}
				req.Params[k] = v
			}
			if len(req.Params) > 0 && (req.Function != "" || len(req.Layers) > 0) {
				return usageErrorf("--parameter applies to a framework's template, not to --function/--layer")
			}
			if err := parseMountsAndEnv(req, mounts, env); err != nil {
				return err
			}
			if opts.CacheDir != "" && !opts.FetchLayers {
				return usageErrorf("--cache-dir is for --fetch-layers")
			}
			if (opts.AWS.Profile != "" || opts.AWS.EndpointURL != "") && !opts.FetchLayers && len(opts.Request.Images) == 0 {
				return usageErrorf("--profile and --endpoint-url are for --fetch-layers and --image")
			}
			opts.AWS.fromEnv(f)
			opts.Version = cmd.Root().Version
			opts.progress = newProgress(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&runtime, "runtime", "", "runtime to check against, such as python3.12 (default: from the manifest, or inferred)")
	cmd.Flags().StringVar(&arch, "arch", "", "architecture to check against: x86_64 or arm64 (default: from the manifest, or inferred)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: "+strings.Join(checkFormats, ", "))
	cmd.Flags().StringArrayVar(&outputs, "output", nil, "also write the report in FORMAT to PATH, as FORMAT=PATH (sarif=layerkit.sarif, markdown=summary.md); repeatable")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "text: list every finding with its evidence, what Lambda shows and the fix (default: one line each, at most 10 per rule)")
	cmd.Flags().StringVar(&failOn, "fail-on", "error", "exit 3 when a finding is at least this severe: error, warning or note")
	cmd.Flags().StringVar(&opts.Request.Function, "function", "", "the function's code (zip or folder), checked with --layer")
	cmd.Flags().StringArrayVar(&opts.Request.Layers, "layer", nil, "a layer the function attaches (zip or folder); repeat, in order")
	cmd.Flags().StringVar(&opts.Request.Framework, "framework", "", "read PATH as this framework's output: "+strings.Join(deploy.Frameworks, ", ")+" (default: recognised by content)")
	cmd.Flags().StringArrayVar(&params, "parameter", nil, "a template parameter's value, NAME=VALUE, used where the template refers to it (repeatable)")
	cmd.Flags().BoolVar(&opts.FetchLayers, "fetch-layers", false, "download layers given only as ARNs (AWS credentials needed) and check them")
	cmd.Flags().StringVar(&opts.CacheDir, "cache-dir", "", "where --fetch-layers keeps downloaded layers (default: the user cache folder's layerkit/, or LAYERKIT_CACHE_DIR)")
	addAWSAccessFlags(cmd, &opts.AWS)
	cmd.Flags().StringArrayVar(&opts.Request.Images, "image", nil, "a container image in a registry (REGISTRY/REPO:TAG or @sha256:...), or an image layout folder or tarball; repeatable")
	cmd.Flags().StringArrayVar(&mounts, "mount", nil, "check DIR (folder or zip) as if mounted at PATH, such as an EFS file system: PATH=DIR, e.g. /mnt/deps=./efs (repeatable; not counted in the 250 MB limit)")
	cmd.Flags().IntVar(&opts.Request.EphemeralStorageMB, "ephemeral-storage", 0, "the functions' /tmp in MB, 512 to 10240, for content unpacked there at start such as serverless-python-requirements' .requirements.zip (default: the template's EphemeralStorage, else 512)")
	cmd.Flags().StringArrayVar(&env, "env", nil, "the function's environment variable K=V, such as PYTHONPATH or LD_LIBRARY_PATH (repeatable; over a template's)")
	cmd.Flags().BoolVar(&opts.Request.Verify, "verify", false, "read every zip entry whole and check its CRC-32, as unzip -t does, and each build zip's SHA-256 against its manifest (slower)")
	return cmd
}

func checkRun(ctx context.Context, opts *CheckOptions) error {
	if opts.FetchLayers {
		dir := opts.CacheDir
		if dir == "" {
			d, err := layerfetch.DefaultCacheDir()
			if err != nil {
				return err
			}
			dir = d
		}
		cl, err := publish.NewClients(ctx, publish.ClientOptions{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL})
		if err != nil {
			return err
		}
		opts.Request.FetchLayer = layerfetch.New(cl.Config(), dir).Fetch
	}
	if opts.Request.Keychain == nil {
		opts.Request.Keychain = ecrauth.New(ecrauth.Options{Profile: opts.AWS.Profile, EndpointURL: opts.AWS.EndpointURL}, authn.DefaultKeychain)
	}
	if p := opts.progress; p != nil {
		opts.Request.Progress = func(s source.Progress) {
			msg := fmt.Sprintf("checking: %s, %s, %s read", plural(s.Artifacts, "artifact"), plural(s.Files, "file"), humanBytes(s.Bytes))
			if s.Bundles > 0 {
				msg += fmt.Sprintf("; %d of %d checked", s.Checked, s.Bundles)
			}
			p.Update(msg)
		}
	}
	res, err := source.Run(ctx, opts.Request)
	opts.progress.Done()
	if err != nil {
		if errors.Is(err, source.ErrNoTargets) {
			return &UsageError{Err: err}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: %w", pe.Path, pe.Err)
		}
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintf(opts.IO.ErrOut, "layerkit: note: %s\n", report.Printable(n))
	}
	rep := report.New(res.Findings, res.Artifacts, res.Files, res.Targets, opts.FailOn)
	rep.Summary.Fit = res.Fits
	if err := writeCheckReport(opts.IO.Out, opts.Format, rep, opts, opts.IO.OutTTY); err != nil {
		return err
	}
	for _, o := range opts.Outputs {
		var b bytes.Buffer
		if err := writeCheckReport(&b, o.Format, rep, opts, false); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(o.Path, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the %s report: %w", o.Format, err)
		}
	}
	if rep.Summary.Failed {
		return &FindingsError{Msg: fmt.Sprintf("findings at or above %s", opts.FailOn)}
	}
	return nil
}

// writeCheckReport writes rep to w in format; color is for text only.
func writeCheckReport(w io.Writer, format string, rep *report.Report, opts *CheckOptions, color bool) error {
	switch format {
	case "json":
		return report.JSON(w, rep)
	case "sarif":
		return report.SARIF(w, rep, opts.Version)
	case "github":
		return report.GitHub(w, rep)
	case "gitlab":
		return report.GitLab(w, rep)
	case "markdown":
		return report.Markdown(w, rep)
	}
	return report.Text(w, rep, report.TextOptions{Color: color, Verbose: opts.Verbose, MoreHint: "--verbose lists every finding"})
}
