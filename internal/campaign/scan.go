package campaign

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/layers"
)

// ListFunctionsAPI is what Scan needs from Lambda; *lambda.Client
// implements it.
type ListFunctionsAPI interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
}

// Function is one function as Scan reports it.
type Function struct {
	// Account is the AWS account the function is in (from its ARN).
	Account     string      `json:"account"`
	Region      string      `json:"region"`
	Name        string      `json:"name"`
	ARN         string      `json:"arn"`
	Runtime     string      `json:"runtime"`
	Arch        layers.Arch `json:"arch"`
	PackageType string      `json:"package_type"`
	Layers      []string    `json:"layers"`
	// Deprecation, BlockCreate and BlockUpdate are the runtime's dates
	// from the catalog; DaysLeft counts to the deprecation (negative once
	// past) and is nil when none is scheduled or the runtime is unknown.
	Deprecation layers.Date `json:"deprecation"`
	BlockCreate layers.Date `json:"block_create"`
	BlockUpdate layers.Date `json:"block_update"`
	DaysLeft    *int        `json:"days_left"`
	Successor   string      `json:"successor"`
	// Note explains an image function (no runtime to change) or a runtime
	// the catalog does not know.
	Note string `json:"note,omitempty"`
	// State, StateReasonCode, StateReason, LastUpdateStatus and ImageURI
	// come from GetFunction (ListFunctions leaves them out): ReadStates
	// fills them in; Scan alone leaves them empty.
	State            string `json:"state"`
	StateReasonCode  string `json:"state_reason_code,omitempty"`
	StateReason      string `json:"state_reason,omitempty"`
	LastUpdateStatus string `json:"last_update_status"`
	ImageURI         string `json:"image_uri,omitempty"`
}

// Scan lists every function of the regions (all pages), with its runtime's
// lifecycle, sorted by urgency: fewest days to deprecation first, then
// functions on runtimes with no date, then image functions.
func Scan(ctx context.Context, client func(region string) ListFunctionsAPI, regions []string, now time.Time) ([]Function, error) {
	per := make([][]Function, len(regions))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, region := range regions {
		g.Go(func() error {
			p := lambda.NewListFunctionsPaginator(client(region), &lambda.ListFunctionsInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("listing functions in %s: %w", region, err)
				}
				for _, fc := range page.Functions {
					f := Function{Account: AccountOf(aws.ToString(fc.FunctionArn)), Region: region, Name: aws.ToString(fc.FunctionName), ARN: aws.ToString(fc.FunctionArn),
						Runtime: string(fc.Runtime), PackageType: string(fc.PackageType), Arch: layers.X86_64, Layers: []string{}}
					if f.PackageType == "" {
						f.PackageType = "Zip"
					}
					if len(fc.Architectures) > 0 {
						f.Arch = layers.Arch(fc.Architectures[0])
					}
					for _, l := range fc.Layers {
						f.Layers = append(f.Layers, aws.ToString(l.Arn))
					}
					switch r, ok := layers.LookupRuntime(f.Runtime); {
					case f.PackageType == "Image":
						f.Note = "container image: its migration is a new image (campaign plan --image-map or --images), not a runtime or layer change"
					case !ok:
						f.Note = fmt.Sprintf("runtime %q is not in the catalog", f.Runtime)
					default:
						f.Deprecation, f.BlockCreate, f.BlockUpdate, f.Successor = r.Deprecation, r.BlockCreate, r.BlockUpdate, r.Successor
						if d, ok := r.Deprecation.DaysFrom(now); ok {
							f.DaysLeft = &d
						}
					}
					per[i] = append(per[i], f)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var all []Function
	for _, fs := range per {
		all = append(all, fs...)
	}
	sortUrgent(all)
	return all, nil
}

// sortUrgent sorts functions by urgency: fewest days to deprecation first,
// then functions on runtimes with no date, then image functions; by region
// and name among equals.
func sortUrgent(fs []Function) {
	rank := func(f Function) int {
		switch {
		case f.PackageType == "Image":
			return 2
		case f.DaysLeft == nil:
			return 1
		}
		return 0
	}
	slices.SortStableFunc(fs, func(a, b Function) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if a.DaysLeft != nil && b.DaysLeft != nil {
			if c := cmp.Compare(*a.DaysLeft, *b.DaysLeft); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name))
	})
}
