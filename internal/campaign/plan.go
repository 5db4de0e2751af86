package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/publish"
	"github.com/layerkit/layerkit/layers"
)

// LambdaAPI is what planning reads from Lambda; *lambda.Client implements
// it.
type LambdaAPI interface {
	ListFunctionsAPI
	GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error)
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	// GetFunction gives an image function's ImageUri.
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
}

// PlanVersion is the plan format this package writes and reads.
const PlanVersion = 1

// Plan is a reviewable list of changes: planning changes nothing in AWS.
type Plan struct {
	Version int    `json:"version"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Arch is the target architecture; empty keeps each function's.
	Arch      layers.Arch `json:"arch,omitempty"`
	Regions   []string    `json:"regions"`
	Functions []Step      `json:"functions"`
}

// Config is a function's runtime, architecture and layers: what a step
// changes and what rollback restores.
type Config struct {
	Runtime string      `json:"runtime"`
	Arch    layers.Arch `json:"arch"`
	Layers  []string    `json:"layers"`
	// ImageURI is an image function's image (its Runtime is empty and it
	// has no layers); empty for a zip function.
	ImageURI string `json:"image_uri,omitempty"`
}

// Step is one function's change.
type Step struct {
	// Account is the AWS account the function is in (from its ARN).
	Account string `json:"account,omitempty"`
	// Role, when set, is the ARN of the role apply and rollback assume to
	// reach Account; empty means the credentials they are run with.
	Role    string `json:"role,omitempty"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	ARN     string `json:"arn"`
	Current Config `json:"current"`
	Target  Config `json:"target"`
	// Layers explains each attached layer's replacement.
	Layers []LayerChange `json:"layer_changes"`
	// Blockers say why the step cannot be applied; a blocked step is
	// skipped by apply.
	Blockers []string `json:"blockers,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// LayerBytes is the unzipped size of the target layers where known.
	LayerBytes int64 `json:"layer_unzipped_bytes,omitempty"`
	// Aliases are the function's aliases that route to a published
	// version: apply changes $LATEST, so they keep the old runtime until a
	// new version is published and they are moved to it.
	Aliases []Alias `json:"aliases,omitempty"`
}

// Alias is a function alias routing to published versions.
type Alias struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Weights are the other versions it sends a share of traffic to.
	Weights map[string]float64 `json:"weights,omitempty"`
}

// Blocked reports whether the step has blockers.
func (s *Step) Blocked() bool { return len(s.Blockers) > 0 }

// LayerChange is one attached layer and what replaces it.
type LayerChange struct {
	Old string `json:"old"`
	New string `json:"new,omitempty"`
	// How says how the replacement was found: "published.json",
	// "--map", "compatible version", or "unchanged" (already fits).
	How string `json:"how,omitempty"`
}

// PlanOptions select functions and say what to move them to.
type PlanOptions struct {
	From, To string
	Arch     layers.Arch
	Regions  []string
	// Select is a glob on function names, in path.Match's syntax; Tags
	// are key=value pairs a function must all carry.
	Select string
	Tags   map[string]string
	// Published are the layer versions `layerkit publish` made.
	Published []publish.Result
	// Map names, for a Lambda layer name, the build layer that replaces
	// it ("legacy-numpy" -> "deps").
	Map map[string]string
	// ImageMap names, for an image repository functions run from, the
	// image that replaces it ("…/orders" -> "…/orders@sha256:…"); Images
	// are a layerkit build's image artifacts (layers.Manifest.Images()),
	// matched to a function by repository and target. With either, every
	// image function of the regions is planned (see planImage).
	ImageMap map[string]string
	Images   []layers.Artifact
}

// CheckSelect returns an error wrapping path.ErrBadPattern when glob is
// not a valid PlanOptions.Select; "" (select all) is valid.
func CheckSelect(glob string) error {
	if _, err := path.Match(glob, ""); err != nil {
		return fmt.Errorf("glob %q: %w", glob, err)
	}
	return nil
}

// MakePlan reads the functions of the regions on runtime From and plans
// each one's move to To (and Arch): every attached layer gets its
// replacement for the target, or a blocker. It only reads from AWS. A
// malformed Select is an error (see CheckSelect), before any call.
func MakePlan(ctx context.Context, client func(region string) LambdaAPI, o PlanOptions) (*Plan, error) {
	if err := CheckSelect(o.Select); err != nil {
		return nil, err
	}
	to, err := layers.ParseRuntime(o.To)
	if err != nil {
		return nil, err
	}
	if to.Package == "container-only" {
		return nil, fmt.Errorf("%s is offered only as a container image", to.ID)
	}
	p := &Plan{Version: PlanVersion, From: o.From, To: to.ID, Arch: o.Arch, Regions: o.Regions, Functions: []Step{}}
	for _, region := range o.Regions {
		lc := client(region)
		pager := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{})
		for pager.HasMorePages() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing functions in %s: %w", region, err)
			}
			for _, fc := range page.Functions {
				if string(fc.Runtime) != o.From && fc.PackageType != ltypes.PackageTypeImage {
					continue
				}
				name := aws.ToString(fc.FunctionName)
				if o.Select != "" {
					if ok, _ := path.Match(o.Select, name); !ok { // checked above
						continue
					}
				}
				if len(o.Tags) > 0 {
					tags, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: fc.FunctionArn})
					if err != nil {
						return nil, fmt.Errorf("reading the tags of %s in %s: %w", name, region, err)
					}
					if !hasTags(tags.Tags, o.Tags) {
						continue
					}
				}
				if fc.PackageType == ltypes.PackageTypeImage {
					if o.Select == "" && len(o.Tags) == 0 && len(o.ImageMap) == 0 && len(o.Images) == 0 {
						continue // not on the runtime; named only when selected or images are given
					}
				}
				step, err := planStep(ctx, lc, region, fc, to, o)
				if err != nil {
					return nil, err
				}
				p.Functions = append(p.Functions, step)
			}
		}
	}
	return p, nil
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func planStep(ctx context.Context, lc LambdaAPI, region string, fc ltypes.FunctionConfiguration, to layers.Runtime, o PlanOptions) (Step, error) {
	s := Step{Account: AccountOf(aws.ToString(fc.FunctionArn)), Region: region, Name: aws.ToString(fc.FunctionName), ARN: aws.ToString(fc.FunctionArn), Layers: []LayerChange{}}
	s.Current = configOf(&fc)
	s.Target = Config{Runtime: to.ID, Arch: s.Current.Arch, Layers: []string{}}
	if o.Arch != "" {
		s.Target.Arch = o.Arch
	}
	if fc.PackageType == ltypes.PackageTypeImage {
		return planImage(ctx, lc, s, o)
	}
	if !to.Supports(s.Target.Arch) {
		s.Blockers = append(s.Blockers, fmt.Sprintf("%s does not run on %s", to.ID, s.Target.Arch))
	}
	target := layers.Target{Runtime: to.ID, Arch: s.Target.Arch}
	for _, old := range s.Current.Layers {
		ch, size, err := replacement(ctx, lc, region, old, target, o)
		if err != nil {
			return s, err
		}
		s.Layers = append(s.Layers, ch)
		if ch.New == "" {
			s.Blockers = append(s.Blockers, fmt.Sprintf("no replacement for layer %s on %s: publish one (layerkit publish) or map it (--map %s=LAYER)", old, target, layerName(old)))
			continue
		}
		s.Target.Layers = append(s.Target.Layers, ch.New)
		s.LayerBytes += size
	}
	if s.LayerBytes >= layers.MaxUnzippedBytes {
		s.Blockers = append(s.Blockers, fmt.Sprintf("the new layers alone unzip to %d bytes, over Lambda's %d-byte limit", s.LayerBytes, layers.MaxUnzippedBytes))
	}
	if s.Current.Arch != s.Target.Arch {
		s.Notes = append(s.Notes, fmt.Sprintf("architecture %s -> %s: the function's own code is redeployed unchanged (UpdateFunctionCode); native code in it must suit %s", s.Current.Arch, s.Target.Arch, s.Target.Arch))
		if !layers.FitsDirectUpload(fc.CodeSize) {
			s.Notes = append(s.Notes, fmt.Sprintf("its code is %d bytes zipped, over Lambda's %d-byte direct upload: apply needs --stage-bucket to pass it through S3", fc.CodeSize, layers.MaxDirectUploadBytes))
		}
	}
	aliases, err := versionAliases(ctx, lc, s.ARN)
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae) && strings.HasPrefix(ae.ErrorCode(), "AccessDenied"):
		// The aliases are advice; a role without lambda:ListAliases can
		// still plan.
		s.Notes = append(s.Notes, "aliases not checked: the credentials lack lambda:ListAliases; "+
			"an alias on a published version would keep the old runtime")
	case err != nil:
		return s, fmt.Errorf("listing the aliases of %s in %s: %w", s.Name, region, err)
	}
	s.Aliases = aliases
	for _, a := range aliases {
		s.Notes = append(s.Notes, fmt.Sprintf("alias %s routes to version %s, which keeps %s: apply changes $LATEST; "+
			"afterwards publish a version (aws lambda publish-version) and move the alias to it", a.Name, a.Version, s.Current.Runtime))
	}
	return s, nil
}

// versionAliases lists a function's aliases that route any traffic to a
// published version rather than $LATEST.
func versionAliases(ctx context.Context, lc LambdaAPI, arn string) ([]Alias, error) {
	var out []Alias
	pager := lambda.NewListAliasesPaginator(lc, &lambda.ListAliasesInput{FunctionName: aws.String(arn)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Aliases {
			al := Alias{Name: aws.ToString(a.Name), Version: aws.ToString(a.FunctionVersion)}
			if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
				al.Weights = a.RoutingConfig.AdditionalVersionWeights
			}
			if al.Version != "$LATEST" || len(al.Weights) > 0 {
				out = append(out, al)
			}
		}
	}
	return out, nil
}

// layerName is the name part of a layer version ARN
// (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION).
func layerName(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) >= 8 && parts[5] == "layer" {
		return parts[6]
	}
	return arn
}

// replacement finds what replaces one attached layer version on the
// target: the build layer it belongs to (from --map, or from the
// description layerkit wrote when publishing it) published for the target
// in this region; otherwise the newest version of the same layer whose
// compatible runtimes and architectures fit.
func replacement(ctx context.Context, lc LambdaAPI, region, old string, t layers.Target, o PlanOptions) (LayerChange, int64, error) {
	ch := LayerChange{Old: old}
	name := layerName(old)
	buildLayer, how := o.Map[name], "--map"
	var fits func(*ltypes.LayerVersionsListItem) bool
	if buildLayer == "" {
		how = "published.json"
		v, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(old[:strings.LastIndexByte(old, ':')]),
			VersionNumber: aws.Int64(versionOf(old))})
		var nf *ltypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			// Deleted or in another account: only --map can place it.
		case err != nil:
			return ch, 0, fmt.Errorf("reading layer %s: %w", old, err)
		default:
			buildLayer = publish.BuildLayer(aws.ToString(v.Description))
			if slices.Contains(v.CompatibleRuntimes, ltypes.Runtime(t.Runtime)) && archFits(v.CompatibleArchitectures, t.Arch) {
				ch.New, ch.How = old, "unchanged"
				return ch, sizeOf(o.Published, old), nil
			}
		}
	}
	if buildLayer != "" {
		for _, r := range o.Published {
			if r.Region == region && r.Runtime == t.Runtime && r.Arch == t.Arch && strings.TrimSuffix(r.Artifact, "-"+r.Runtime+"-"+string(r.Arch)) == buildLayer {
				ch.New, ch.How = r.VersionARN, how
				return ch, r.UnzippedBytes, nil
			}
		}
	}
	fits = func(v *ltypes.LayerVersionsListItem) bool {
		return slices.Contains(v.CompatibleRuntimes, ltypes.Runtime(t.Runtime)) && archFits(v.CompatibleArchitectures, t.Arch)
	}
	pager := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(name)})
	var best *ltypes.LayerVersionsListItem
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			var nf *ltypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				break
			}
			return ch, 0, fmt.Errorf("listing versions of layer %s: %w", name, err)
		}
		for i := range page.LayerVersions {
			if v := &page.LayerVersions[i]; fits(v) && (best == nil || v.Version > best.Version) {
				best = v
			}
		}
	}
	if best != nil {
		ch.New, ch.How = aws.ToString(best.LayerVersionArn), "compatible version"
	}
	return ch, 0, nil
}

func archFits(as []ltypes.Architecture, a layers.Arch) bool {
	return len(as) == 0 || slices.Contains(as, ltypes.Architecture(a))
}

func versionOf(arn string) int64 {
	var v int64
	fmt.Sscan(arn[strings.LastIndexByte(arn, ':')+1:], &v)
	return v
}

func sizeOf(rs []publish.Result, arn string) int64 {
	for _, r := range rs {
		if r.VersionARN == arn {
			return r.UnzippedBytes
		}
	}
	return 0
}

// ReadPlan reads a plan that `layerkit campaign plan` wrote, and checks
// what apply relies on: the version, and for each step that is not
// blocked a function ARN in its region, a runtime from the catalog and a
// known architecture. A reviewer may edit a plan (drop a function, block
// one); a damaged one is an error naming the file and the step.
func ReadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: not a layerkit plan: %v", path, err)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("%s: plan version %d; this layerkit reads version %d (make the plan again)", path, p.Version, PlanVersion)
	}
	seen := map[string]bool{}
	for i, s := range p.Functions {
		where := fmt.Sprintf("%s: function %d (%s)", path, i+1, s.Name)
		arn := strings.Split(s.ARN, ":")
		if len(arn) < 7 || arn[0] != "arn" || arn[2] != "lambda" || arn[3] != s.Region || arn[5] != "function" || s.Region == "" {
			return nil, fmt.Errorf("%s: %q is not a function ARN in region %q", where, s.ARN, s.Region)
		}
		if s.Account != "" && s.Account != arn[4] {
			return nil, fmt.Errorf("%s: account %q, but its ARN is in account %q", where, s.Account, arn[4])
		}
		if s.Role != "" && !strings.HasPrefix(s.Role, "arn:") {
			return nil, fmt.Errorf("%s: role %q is not a role ARN", where, s.Role)
		}
		if seen[s.ARN] {
			return nil, fmt.Errorf("%s: %s is in the plan twice", where, s.ARN)
		}
		seen[s.ARN] = true
		if s.Blocked() {
			continue
		}
		if s.Target.ImageURI != "" {
			if err := checkImageStep(s); err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			continue
		}
		if _, err := layers.ParseRuntime(s.Target.Runtime); err != nil {
			return nil, fmt.Errorf("%s: target: %v", where, err)
		}
		if s.Current.Runtime == "" {
			return nil, fmt.Errorf("%s: no current runtime", where)
		}
		for _, a := range []layers.Arch{s.Current.Arch, s.Target.Arch} {
			if a != layers.X86_64 && a != layers.ARM64 {
				return nil, fmt.Errorf("%s: architecture %q: want x86_64 or arm64", where, a)
			}
		}
	}
	return &p, nil
}
