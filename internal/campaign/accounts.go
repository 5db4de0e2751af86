package campaign

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/layerkit/layerkit/layers"
)

// AccountOf is the account ID in an ARN (its fifth field), or "" when arn
// has none.
func AccountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// Account is one account of a fleet and how it is reached.
type Account struct {
	// ID is the 12-digit account ID.
	ID string
	// Role is the ARN of the role assumed in the account; "" means the
	// credentials layerkit runs with (the caller's own account).
	Role string
}

// FleetAPI is all of Lambda a campaign calls in one account and region;
// *lambda.Client implements it.
type FleetAPI interface {
	LambdaAPI
	ApplyAPI
}

// Connect gives an account's clients, one per region. An error says the
// account cannot be reached (a role that cannot be assumed): that account
// is reported and the others go on. Connect is called once per account and
// may be called concurrently for different accounts.
type Connect func(ctx context.Context, a Account) (func(region string) FleetAPI, error)

// AccountError says what stopped the work in one account.
type AccountError struct {
	Account string
	Err     error
}

func (e *AccountError) Error() string { return fmt.Sprintf("account %s: %v", e.Account, e.Err) }

func (e *AccountError) Unwrap() error { return e.Err }

// AccountErrors lists the accounts a fleet operation could not work in,
// sorted by account; the results it returned with them hold the other
// accounts. errors.Is and errors.As see each account's error.
type AccountErrors []*AccountError

func (es AccountErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return fmt.Sprintf("%d %s could not be worked in: %s", len(es), pluralAccounts(len(es)), strings.Join(msgs, "; "))
}

func pluralAccounts(n int) string {
	if n == 1 {
		return "account"
	}
	return "accounts"
}

func (es AccountErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// FleetOptions bound a fleet operation. The zero value is usable.
type FleetOptions struct {
	// Rate bounds the control-plane calls per second in each account and
	// region (Lambda's quota is 15 there); 0 means DefaultRate.
	Rate float64
	// Parallel is how many account-regions are read at once; 0 means 256.
	// Each is read one call at a time, so the rate, not this bound, is
	// what an account-region sees.
	Parallel int
}

// fleetWork is one account-region of a fleet operation.
type fleetWork struct {
	acct   int // index into the accounts
	region string
}

// overFleet connects to each account once and runs do for every
// account-region, o.Parallel at a time, each behind a rate limiter of its
// own. An account whose connection or any of whose regions fails is one
// AccountError, and do's results for it should be dropped (failed reports
// which); ctx's end stops everything and is returned.
func overFleet(ctx context.Context, accounts []Account, regions []string, connect Connect, o FleetOptions,
	do func(ctx context.Context, acct int, region string, api FleetAPI) error) (failed map[int]bool, err error) {
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Parallel <= 0 {
		o.Parallel = 256
	}
	conns := make([]func() (func(string) FleetAPI, error), len(accounts))
	for i, a := range accounts {
		conns[i] = sync.OnceValues(func() (func(string) FleetAPI, error) { return connect(ctx, a) })
	}
	var mu sync.Mutex
	errs := map[int]error{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallel)
	for i := range accounts {
		for _, region := range regions {
			g.Go(func() error {
				mu.Lock()
				skip := errs[i] != nil
				mu.Unlock()
				if skip {
					return nil
				}
				clients, err := conns[i]()
				if err == nil {
					lim := rate.NewLimiter(rate.Limit(o.Rate), 1)
					err = do(gctx, i, region, &readLimited{FleetAPI: clients(region), lim: lim})
				}
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					mu.Lock()
					if errs[i] == nil {
						errs[i] = err
					}
					mu.Unlock()
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	failed = map[int]bool{}
	var aes AccountErrors
	for i, err := range errs {
		failed[i] = true
		aes = append(aes, &AccountError{Account: accounts[i].ID, Err: err})
	}
	slices.SortFunc(aes, func(a, b *AccountError) int { return strings.Compare(a.Account, b.Account) })
	if len(aes) > 0 {
		return failed, aes
	}
	return failed, nil
}

// ScanAccounts is Scan over the regions of every account, side by side,
// each account-region held to o.Rate calls a second, with each function's
// state read as ReadStates reads it. The functions are
// sorted by account, then as Scan sorts them. An account that cannot be
// reached or read is left out and named in the error, an AccountErrors
// returned with the other accounts' functions.
func ScanAccounts(ctx context.Context, accounts []Account, connect Connect, regions []string, o FleetOptions, now time.Time) ([]Function, error) {
	per := make([][][]Function, len(accounts))
	for i := range per {
		per[i] = make([][]Function, len(regions))
	}
	failed, err := overFleet(ctx, accounts, regions, connect, o, func(ctx context.Context, acct int, region string, api FleetAPI) error {
		fs, err := Scan(ctx, func(string) ListFunctionsAPI { return api }, []string{region}, now)
		if err == nil {
			err = ReadStates(ctx, func(string) GetFunctionAPI { return api }, fs)
		}
		per[acct][slices.Index(regions, region)] = fs
		return err
	})
	if failed == nil {
		return nil, err
	}
	var all []Function
	for i := range accounts {
		if failed[i] {
			continue
		}
		var fs []Function
		for _, r := range per[i] {
			fs = append(fs, r...)
		}
		sortUrgent(fs)
		all = append(all, fs...)
	}
	return all, err
}

// PlanAccounts is MakePlan over the regions of every account, side by
// side, each account-region held to fo.Rate calls a second. Every step
// records its account and the role that reaches it. Steps come by
// account (in the order given), then region (in o.Regions' order). An
// account that cannot be reached or read is left out of the plan and named
// in the error, an AccountErrors returned with the plan of the others.
func PlanAccounts(ctx context.Context, accounts []Account, connect Connect, o PlanOptions, fo FleetOptions) (*Plan, error) {
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
	per := make([][]*Plan, len(accounts))
	for i := range per {
		per[i] = make([]*Plan, len(o.Regions))
	}
	failed, err := overFleet(ctx, accounts, o.Regions, connect, fo, func(ctx context.Context, acct int, region string, api FleetAPI) error {
		ro := o
		ro.Regions = []string{region}
		p, err := MakePlan(ctx, func(string) LambdaAPI { return api }, ro)
		per[acct][slices.Index(o.Regions, region)] = p
		return err
	})
	if failed == nil {
		return nil, err
	}
	plan := &Plan{Version: PlanVersion, From: o.From, To: to.ID, Arch: o.Arch, Regions: o.Regions, Functions: []Step{}}
	for i, a := range accounts {
		if failed[i] {
			continue
		}
		for _, p := range per[i] {
			for _, s := range p.Functions {
				s.Role = a.Role
				plan.Functions = append(plan.Functions, s)
			}
		}
	}
	return plan, err
}

// readLimited holds the calls that read an account-region to its rate.
// GetFunction and Invoke are not called by scan or plan and pass through.
type readLimited struct {
	FleetAPI
	lim *rate.Limiter
}

func (l *readLimited) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, fns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	if err := l.lim.Wait(ctx); err != nil {
		return nil, err
	}
	return l.FleetAPI.ListFunctions(ctx, in, fns...)
}

func (l *readLimited) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, fns ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	if err := l.lim.Wait(ctx); err != nil {
		return nil, err
	}
	return l.FleetAPI.GetLayerVersion(ctx, in, fns...)
}

func (l *readLimited) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, fns ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	if err := l.lim.Wait(ctx); err != nil {
		return nil, err
	}
	return l.FleetAPI.ListLayerVersions(ctx, in, fns...)
}

func (l *readLimited) ListTags(ctx context.Context, in *lambda.ListTagsInput, fns ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	if err := l.lim.Wait(ctx); err != nil {
		return nil, err
	}
	return l.FleetAPI.ListTags(ctx, in, fns...)
}

func (l *readLimited) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, fns ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	if err := l.lim.Wait(ctx); err != nil {
		return nil, err
	}
	return l.FleetAPI.ListAliases(ctx, in, fns...)
}
