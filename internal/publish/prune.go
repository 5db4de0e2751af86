package publish

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/sync/errgroup"
)

// PruneOptions say which old layer versions to delete.
type PruneOptions struct {
	// Names are the layers to prune.
	Names   []string
	Regions []string
	// Keep is how many of the newest versions stay (at least 1).
	Keep int
	// Force deletes versions functions still use. Those functions keep
	// working (Lambda keeps a deleted version for functions that use it)
	// but can no longer be created or updated with it.
	Force  bool
	DryRun bool
}

// Pruned is one version Prune looked at beyond the kept ones.
type Pruned struct {
	Name       string `json:"name"`
	Region     string `json:"region"`
	Version    int64  `json:"version"`
	VersionARN string `json:"version_arn"`
	Deleted    bool   `json:"deleted"`
	// UsedBy lists the functions still attaching the version; such a
	// version is kept unless forced.
	UsedBy []string `json:"used_by,omitempty"`
}

// Prune deletes the versions of each layer beyond the newest Keep, in every
// region, sparing any version a function in that region still attaches.
func Prune(ctx context.Context, cl Clients, o PruneOptions) ([]Pruned, error) {
	if o.Keep < 1 {
		return nil, fmt.Errorf("keep %d: at least the newest version must stay", o.Keep)
	}
	results := make([][]Pruned, len(o.Regions))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, region := range o.Regions {
		g.Go(func() error {
			lc := cl.Lambda(region)
			used, err := layerUse(ctx, lc)
			if err != nil {
				return inRegion(region, "listing functions", err)
			}
			for _, name := range o.Names {
				var versions []int64
				arns := map[int64]string{}
				p := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(name)})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						return inRegion(region, "listing versions of "+name, err)
					}
					for _, v := range page.LayerVersions {
						versions = append(versions, v.Version)
						arns[v.Version] = aws.ToString(v.LayerVersionArn)
					}
				}
				slices.Sort(versions)
				slices.Reverse(versions)
				for _, v := range versions[min(o.Keep, len(versions)):] {
					pr := Pruned{Name: name, Region: region, Version: v, VersionARN: arns[v], UsedBy: used[arns[v]]}
					if (len(pr.UsedBy) == 0 || o.Force) && !o.DryRun {
						if _, err := lc.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(v)}); err != nil {
							return inRegion(region, fmt.Sprintf("deleting %s version %d", name, v), err)
						}
						pr.Deleted = true
					}
					results[i] = append(results[i], pr)
				}
			}
			return nil
		})
	}
	err := g.Wait()
	var out []Pruned
	for _, r := range results {
		out = append(out, r...)
	}
	return out, err
}

// layerUse maps each layer version ARN to the functions attaching it,
// published function versions included (as NAME:VERSION): a version an
// alias routes to keeps the layers it was published with.
func layerUse(ctx context.Context, lc LambdaAPI) (map[string][]string, error) {
	used := map[string][]string{}
	p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{FunctionVersion: ltypes.FunctionVersionAll})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range page.Functions {
			name := aws.ToString(f.FunctionName)
			if v := aws.ToString(f.Version); v != "" && v != "$LATEST" {
				name += ":" + v
			}
			for _, l := range f.Layers {
				arn := aws.ToString(l.Arn)
				used[arn] = append(used[arn], name)
			}
		}
	}
	return used, nil
}
