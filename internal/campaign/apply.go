package campaign

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"
)

// ApplyAPI is what apply and rollback call; *lambda.Client implements it.
type ApplyAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// ApplyOptions tune apply and rollback. The zero value is usable.
type ApplyOptions struct {
	// Concurrency is how many functions change at once in each account
	// and region (Lambda's quotas are theirs); 0 means 4.
	Concurrency int
	// Canary is how many functions, first in the plan, form a wave that
	// must all succeed before the rest start; 0 means no canary wave.
	Canary int
	// Smoke, when set, is the event each changed function is invoked with;
	// a function error fails the function (and rolls it back).
	Smoke []byte
	// MaxFailures is how many failures after the canary are borne before
	// no further function starts; 0 stops at the first. Functions already
	// running finish.
	MaxFailures int
	// Retry applies again to functions the journal shows failed or rolled
	// back; otherwise they are skipped.
	Retry bool
	// Force lets rollback restore a function that was changed by someone
	// else since layerkit changed it.
	Force bool
	// Rate bounds the control-plane calls per second in each region
	// (Lambda's quota is 15 a second, shared with everything else in the
	// account); 0 means DefaultRate. GetFunction, polled by the waits, has
	// a quota of its own and is bounded at 6.5 times Rate (getPerRate).
	Rate float64
	// PollMin and PollMax bound the delay between polls while waiting for
	// an update or for a function to become Active; 0 means 1 s and 1 s.
	// Polling every second ends each wait within a second of the update:
	// a fleet moves at its quota's pace (the waits' GetFunction calls are
	// bounded by their own limiter, at 6.5 times Rate, under Lambda's 100 a
	// second), where a backoff to 20 s left the last wait of each
	// account-region up to 20 s behind (BenchmarkFleet: 1.86 x the minimum).
	PollMin, PollMax time.Duration
	// MaxWait bounds each wait; 0 means 15 minutes.
	MaxWait time.Duration
	// ActivateWait bounds how long a call Lambda refuses with
	// CodeArtifactUserPendingException (an image function idle for weeks,
	// being restored) is retried, from the first refusal; 0 means 5
	// minutes (Lambda restores one in about a minute or two).
	ActivateWait time.Duration
	// Backoff is the first wait after a throttled call, doubled each time
	// up to 30 s; 0 means 1 s.
	Backoff time.Duration
	// Stage, when set, passes code over Lambda's 50 MB direct-upload limit
	// through S3 when an architecture change uploads it again; without it
	// such a function fails with a message saying so.
	Stage *Stager
	// Fetch opens a function's code at the address GetFunction gives,
	// for apply to read and close; nil uses HTTP.
	Fetch func(ctx context.Context, url string) (io.ReadCloser, error)
	// TempDir is where code passes through on its way back to Lambda for
	// an architecture change: one file per function changing at once,
	// removed once Lambda or S3 has the code, or the change failed or was
	// cancelled. "" means os.TempDir(); it must exist.
	TempDir string
	// Progress, when set, is called as each function finishes, from the
	// goroutine that ran it.
	Progress func(Result)
	// Accounts, when set, limits apply and rollback to the functions in
	// these accounts; the others stay not-started (apply) or unchanged
	// (rollback). The journal is the whole plan's, so a run for the rest
	// resumes it.
	Accounts []string
}

// inAccounts reports whether the function with arn is one o works on.
func (o *ApplyOptions) inAccounts(arn string) bool {
	return len(o.Accounts) == 0 || slices.Contains(o.Accounts, AccountOf(arn))
}

// DefaultRate is the default bound on control-plane calls per second and
// region: two thirds of Lambda's shared quota, leaving room for other
// tools and deploys running at the same time.
const DefaultRate = 10

// errJournal marks a failure to write the journal: every change must be
// recorded, so it stops the whole run.
type errJournal struct{ err error }

func (e errJournal) Error() string { return e.err.Error() }
func (e errJournal) Unwrap() error { return e.err }

// Apply carries out the plan: blocked steps are skipped, the first
// o.Canary ready functions go first and the rest only if all of them
// succeed. Each function's configuration is recorded in the journal before
// its first change; a function that fails is rolled back to it. A journal
// that already holds this plan resumes it: finished functions are skipped
// and a function cut off half-way goes on from its live state. The error
// is for what stops the whole run (a journal that cannot be written, a
// cancelled ctx); per-function failures are in the Summary.
func Apply(ctx context.Context, p *Plan, j *Journal, clients func(region string) ApplyAPI, o ApplyOptions) (*Summary, error) {
	return ApplyAccounts(ctx, p, j, func(_, region string) ApplyAPI { return clients(region) }, o)
}

// ApplyAccounts is Apply for a plan whose functions are in several
// accounts: clients gives the client for an account and region (the
// account's own credentials, such as a role assumed in it). Concurrency
// and Rate hold in each account and region, which run side by side.
func ApplyAccounts(ctx context.Context, p *Plan, j *Journal, clients func(account, region string) ApplyAPI, o ApplyOptions) (*Summary, error) {
	digest := Digest(p)
	if have := j.Plan(); have != "" && have != digest {
		return nil, fmt.Errorf("journal %s was written for another plan: give this plan a journal of its own (--journal), or apply the plan the journal was made with", j.Path())
	}
	if err := j.Append(Event{Event: EventStart, Plan: digest}); err != nil {
		return nil, err
	}
	a := newApplier(clients, j, o)
	sum := &Summary{Results: make([]Result, len(p.Functions))}
	var ready []int
	for i := range p.Functions {
		s := &p.Functions[i]
		sum.Results[i] = Result{Account: AccountOf(s.ARN), Region: s.Region, Name: s.Name, ARN: s.ARN, Outcome: NotStarted}
		if s.Blocked() {
			sum.Results[i].Outcome, sum.Results[i].Error = Blocked, strings.Join(s.Blockers, "; ")
			continue
		}
		if !o.inAccounts(s.ARN) {
			continue
		}
		ready = append(ready, i)
	}
	k := min(max(o.Canary, 0), len(ready))
	if k > 0 {
		failures, err := a.wave(ctx, p, sum, "canary", ready[:k], 0)
		if err != nil {
			return sum, err
		}
		ev := Event{Event: EventCanary}
		if failures > 0 {
			sum.CanaryFailed = true
			ev.Error = fmt.Sprintf("%d of %d canary functions failed", failures, k)
		}
		if err := j.Append(ev); err != nil {
			return sum, err
		}
		if failures > 0 {
			return sum, nil
		}
	}
	failures, err := a.wave(ctx, p, sum, "main", ready[k:], o.MaxFailures)
	if failures > o.MaxFailures {
		sum.Stopped = true
	}
	return sum, err
}

// Rollback restores every function the journal recorded and has not
// restored yet to its recorded configuration. A function changed by
// someone else since layerkit changed it is left alone unless o.Force.
func Rollback(ctx context.Context, j *Journal, clients func(region string) ApplyAPI, o ApplyOptions) (*Summary, error) {
	return RollbackAccounts(ctx, j, func(_, region string) ApplyAPI { return clients(region) }, o)
}

// RollbackAccounts is Rollback for a journal whose functions are in
// several accounts; clients is as for ApplyAccounts.
func RollbackAccounts(ctx context.Context, j *Journal, clients func(account, region string) ApplyAPI, o ApplyOptions) (*Summary, error) {
	a := newApplier(clients, j, o)
	fns := j.Functions()
	sum := &Summary{Results: make([]Result, len(fns))}
	var todo []int
	for i, st := range fns {
		r := &sum.Results[i]
		*r = Result{Account: AccountOf(st.ARN), Region: st.Region, Name: st.Name, ARN: st.ARN, Outcome: Unchanged}
		if st.Recorded == nil || st.Last == EventRolledBack || !o.inAccounts(st.ARN) {
			if st.Last == EventRolledBack {
				r.Outcome = RolledBack
			}
			continue
		}
		r.Outcome = NotStarted
		todo = append(todo, i)
	}
	key := func(i int) string { return AccountOf(fns[i].ARN) + "/" + fns[i].Region }
	err := a.fanOut(ctx, todo, key, func() bool { return true }, func(gctx context.Context, i int) error {
		st, r := fns[i], &sum.Results[i]
		start := time.Now()
		changed, err := a.restore(gctx, a.client(AccountOf(st.ARN), st.Region), st)
		r.Seconds = time.Since(start).Seconds()
		switch {
		case err != nil && gctx.Err() != nil:
			r.Outcome = Interrupted
			return gctx.Err()
		case err != nil:
			r.Outcome, r.Error = RollbackFailed, err.Error()
			if jerr := j.Append(Event{Event: EventRollbackFailed, Region: st.Region, Name: st.Name, ARN: st.ARN, Error: err.Error()}); jerr != nil {
				return jerr
			}
		default:
			r.Outcome = Unchanged
			if changed {
				r.Outcome = RolledBack
			}
			if jerr := j.Append(Event{Event: EventRolledBack, Region: st.Region, Name: st.Name, ARN: st.ARN}); jerr != nil {
				return jerr
			}
		}
		if a.o.Progress != nil {
			a.o.Progress(*r)
		}
		return nil
	})
	return sum, err
}

// applier carries one apply or rollback: the options with their defaults
// filled in, the journal, and each account-region's rate-limited client
// (made on first use, under mu). Its methods are safe to call concurrently.
type applier struct {
	o       ApplyOptions
	j       *Journal
	mu      sync.Mutex
	clients func(account, region string) ApplyAPI
	limited map[string]ApplyAPI // by account/region
}

// newApplier fills in o's defaults.
func newApplier(clients func(account, region string) ApplyAPI, j *Journal, o ApplyOptions) *applier {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.PollMin <= 0 {
		o.PollMin = time.Second
	}
	if o.PollMax <= 0 {
		o.PollMax = time.Second
	}
	o.PollMax = max(o.PollMax, o.PollMin)
	if o.MaxWait <= 0 {
		o.MaxWait = 15 * time.Minute
	}
	if o.ActivateWait <= 0 {
		o.ActivateWait = 5 * time.Minute
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Fetch == nil {
		o.Fetch = httpFetch
	}
	return &applier{o: o, j: j, clients: clients, limited: map[string]ApplyAPI{}}
}

// wave runs the steps idx, o.Concurrency at a time in each account and
// region, and fills their results. No step starts once more than
// maxFailures failed, counted over the whole wave.
func (a *applier) wave(ctx context.Context, p *Plan, sum *Summary, wave string, idx []int, maxFailures int) (int, error) {
	var mu sync.Mutex
	failures := 0
	for _, i := range idx {
		sum.Results[i].Wave = wave
	}
	key := func(i int) string { return AccountOf(p.Functions[i].ARN) + "/" + p.Functions[i].Region }
	start := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failures <= maxFailures
	}
	err := a.fanOut(ctx, idx, key, start, func(gctx context.Context, i int) error {
		r, err := a.one(gctx, &p.Functions[i])
		r.Wave = wave
		sum.Results[i] = r
		if r.Outcome == Failed || r.Outcome == RollbackFailed {
			mu.Lock()
			failures++
			mu.Unlock()
		}
		if a.o.Progress != nil && r.Outcome != NotStarted {
			a.o.Progress(r)
		}
		return err
	})
	if err != nil {
		return failures, err
	}
	// Functions that finished as ctx ended return no error, but the
	// ones after them did not start.
	return failures, ctx.Err()
}

// fanOut runs do for each of idx, in order within each key (an account
// and region), at most o.Concurrency at a time per key, every key side by
// side: Lambda's quotas are per account and region, so one busy
// account-region does not hold up the others. A slot is taken before start
// is asked, so that a step waiting for a slot sees the failures of those
// before it; when start says no, or ctx ended, the step does not run. The
// first error cancels the rest and is returned.
func (a *applier) fanOut(ctx context.Context, idx []int, key func(int) string, start func() bool, do func(context.Context, int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	groups := map[string][]int{}
	var keys []string
	for _, i := range idx {
		k := key(i)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range keys {
		g.Go(func() error {
			slots := make(chan struct{}, a.o.Concurrency)
			for _, i := range groups[k] {
				slots <- struct{}{}
				if !start() || gctx.Err() != nil {
					<-slots
					continue // stays NotStarted
				}
				g.Go(func() error {
					defer func() { <-slots }()
					return do(gctx, i)
				})
			}
			return nil
		})
	}
	return g.Wait()
}
