package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/layerkit/layerkit/layers"
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
	// Concurrency is how many functions change at once; 0 means 4.
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
	// a quota of its own and is bounded at 5 times Rate.
	Rate float64
	// PollMin and PollMax bound the delay between polls while waiting for
	// an update or for a function to become Active; 0 means 1 s and 20 s.
	PollMin, PollMax time.Duration
	// MaxWait bounds each wait; 0 means 15 minutes.
	MaxWait time.Duration
	// Backoff is the first wait after a throttled call, doubled each time
	// up to 30 s; 0 means 1 s.
	Backoff time.Duration
	// Stage, when set, passes code over Lambda's 50 MB direct-upload limit
	// through S3 when an architecture change uploads it again; without it
	// such a function fails with a message saying so.
	Stage *Stager
	// Fetch downloads a function's code from the address GetFunction
	// gives, at most limit bytes; nil uses HTTP.
	Fetch func(ctx context.Context, url string, limit int64) ([]byte, error)
	// Progress, when set, is called as each function finishes, from the
	// goroutine that ran it.
	Progress func(Result)
}

// DefaultRate is the default bound on control-plane calls per second and
// region: two thirds of Lambda's shared quota, leaving room for other
// tools and deploys running at the same time.
const DefaultRate = 10

// Outcome is what became of one function.
type Outcome string

const (
	// Applied: the function now runs the target configuration.
	Applied Outcome = "applied"
	// Unchanged: it already ran the target configuration.
	Unchanged Outcome = "unchanged"
	// Finished: an earlier run applied it (the journal says so).
	Finished Outcome = "finished"
	// Blocked: the plan has blockers for it.
	Blocked Outcome = "blocked"
	// Failed: applying failed and the function was rolled back.
	Failed Outcome = "failed"
	// RollbackFailed: applying failed and so did restoring it; see the
	// error and run rollback.
	RollbackFailed Outcome = "rollback-failed"
	// Skipped: an earlier run failed it or rolled it back (Retry unset).
	Skipped Outcome = "skipped"
	// NotStarted: the canary failed, failures stopped the run, or it was
	// interrupted before this function started.
	NotStarted Outcome = "not-started"
	// Interrupted: the run was stopped while this function changed; the
	// journal resumes it.
	Interrupted Outcome = "interrupted"
	// RolledBack: rollback restored the recorded configuration.
	RolledBack Outcome = "rolled-back"
)

// Result is one function's outcome.
type Result struct {
	Region  string  `json:"region"`
	Name    string  `json:"name"`
	ARN     string  `json:"arn"`
	Wave    string  `json:"wave,omitempty"`
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Summary is the outcome of an apply or a rollback, in plan (or journal)
// order.
type Summary struct {
	Results []Result `json:"functions"`
	// CanaryFailed says the canary wave failed and the rest did not start.
	CanaryFailed bool `json:"canary_failed,omitempty"`
	// Stopped says failures stopped further functions from starting.
	Stopped bool `json:"stopped,omitempty"`
}

// Count returns how many functions had outcome o.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, r := range s.Results {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// Failures counts the functions that failed, rolled back or not.
func (s *Summary) Failures() int { return s.Count(Failed) + s.Count(RollbackFailed) }

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
		sum.Results[i] = Result{Region: s.Region, Name: s.Name, ARN: s.ARN, Outcome: NotStarted}
		if s.Blocked() {
			sum.Results[i].Outcome, sum.Results[i].Error = Blocked, strings.Join(s.Blockers, "; ")
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
	a := newApplier(clients, j, o)
	fns := j.Functions()
	sum := &Summary{Results: make([]Result, len(fns))}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.o.Concurrency)
	for i, st := range fns {
		r := &sum.Results[i]
		*r = Result{Region: st.Region, Name: st.Name, ARN: st.ARN, Outcome: Unchanged}
		if st.Recorded == nil || st.Last == EventRolledBack {
			if st.Last == EventRolledBack {
				r.Outcome = RolledBack
			}
			continue
		}
		g.Go(func() error {
			start := time.Now()
			changed, err := a.restore(gctx, a.client(st.Region), st)
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
	}
	return sum, g.Wait()
}

type applier struct {
	o       ApplyOptions
	j       *Journal
	mu      sync.Mutex
	clients func(string) ApplyAPI
	limited map[string]ApplyAPI
}

func newApplier(clients func(string) ApplyAPI, j *Journal, o ApplyOptions) *applier {
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
		o.PollMax = 20 * time.Second
	}
	o.PollMax = max(o.PollMax, o.PollMin)
	if o.MaxWait <= 0 {
		o.MaxWait = 15 * time.Minute
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Fetch == nil {
		o.Fetch = httpFetch
	}
	return &applier{o: o, j: j, clients: clients, limited: map[string]ApplyAPI{}}
}

// client returns the region's client behind the region's rate limits.
func (a *applier) client(region string) ApplyAPI {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.limited[region]; ok {
		return c
	}
	c := &limitedAPI{ApplyAPI: a.clients(region),
		ctl: rate.NewLimiter(rate.Limit(a.o.Rate), 1), get: rate.NewLimiter(rate.Limit(5*a.o.Rate), 5)}
	a.limited[region] = c
	return c
}

// wave runs the steps idx with o.Concurrency at a time and fills their
// results. No step starts once more than maxFailures failed.
func (a *applier) wave(ctx context.Context, p *Plan, sum *Summary, wave string, idx []int, maxFailures int) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	// A slot is taken before the failure count is read, so that a
	// function waiting for a slot sees the failures of those before it.
	slots := make(chan struct{}, a.o.Concurrency)
	var mu sync.Mutex
	failures := 0
	for _, i := range idx {
		sum.Results[i].Wave = wave
		slots <- struct{}{}
		mu.Lock()
		stop := failures > maxFailures
		mu.Unlock()
		if stop || gctx.Err() != nil {
			<-slots
			continue // stays NotStarted
		}
		g.Go(func() error {
			defer func() { <-slots }()
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
	}
	if err := g.Wait(); err != nil {
		return failures, err
	}
	// Functions that finished as ctx ended return no error, but the
	// ones after them did not start.
	return failures, ctx.Err()
}

// one applies one step and says what became of it; the error is for what
// stops the run.
func (a *applier) one(ctx context.Context, s *Step) (Result, error) {
	r := Result{Region: s.Region, Name: s.Name, ARN: s.ARN}
	api := a.client(s.Region)
	if st := a.j.State(s.ARN); st != nil {
		switch st.Last {
		case EventDone:
			r.Outcome = Finished
			return r, nil
		case EventFailed, EventRolledBack, EventRollbackFailed:
			if st.Last == EventFailed && st.Recorded != nil && !a.o.Retry {
				// The run that failed it stopped before restoring it.
				return a.fail(ctx, api, s, r, errors.New(st.Error), time.Now(), false)
			}
			if !a.o.Retry {
				r.Outcome, r.Error = Skipped, "failed or rolled back in an earlier run (--retry applies it again)"
				if st.Error != "" {
					r.Error = "an earlier run failed: " + st.Error + " (--retry applies it again)"
				}
				return r, nil
			}
		}
	}
	start := time.Now()
	changed, err := a.forward(ctx, api, s)
	r.Seconds = time.Since(start).Seconds()
	var je errJournal
	switch {
	case err == nil && changed:
		r.Outcome = Applied
		return r, nil
	case err == nil:
		r.Outcome = Unchanged
		return r, nil
	case errors.As(err, &je):
		r.Outcome, r.Error = Interrupted, err.Error()
		return r, err
	case ctx.Err() != nil:
		r.Outcome = Interrupted
		return r, ctx.Err()
	}
	return a.fail(ctx, api, s, r, err, start, true)
}

// fail records that applying s failed with err (unless the journal already
// says so) and restores the function to its record, if it has one.
func (a *applier) fail(ctx context.Context, api ApplyAPI, s *Step, r Result, err error, start time.Time, record bool) (Result, error) {
	r.Outcome, r.Error = Failed, err.Error()
	if record {
		if jerr := a.j.Append(Event{Event: EventFailed, Region: s.Region, Name: s.Name, ARN: s.ARN, Error: err.Error()}); jerr != nil {
			return r, jerr
		}
	}
	st := a.j.State(s.ARN)
	if st == nil || st.Recorded == nil {
		return r, nil // nothing was changed
	}
	if _, rerr := a.restore(ctx, api, *st); rerr != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		r.Outcome, r.Error = RollbackFailed, fmt.Sprintf("%v; restoring it failed too: %v", err, rerr)
		return r, a.j.Append(Event{Event: EventRollbackFailed, Region: s.Region, Name: s.Name, ARN: s.ARN, Error: rerr.Error()})
	}
	r.Seconds = time.Since(start).Seconds()
	return r, a.j.Append(Event{Event: EventRolledBack, Region: s.Region, Name: s.Name, ARN: s.ARN})
}

// forward moves one function to its target from wherever it is now,
// recording it first, and reports whether it changed anything.
func (a *applier) forward(ctx context.Context, api ApplyAPI, s *Step) (bool, error) {
	fc, err := a.settle(ctx, api, s.ARN)
	if err != nil {
		return false, err
	}
	live := configOf(fc.Configuration)
	ev := func(kind string) error {
		if err := a.j.Append(Event{Event: kind, Region: s.Region, Name: s.Name, ARN: s.ARN}); err != nil {
			return errJournal{err}
		}
		return nil
	}
	st := a.j.State(s.ARN)
	if st != nil && st.Recorded != nil && !between(live, *st.Recorded, s.Target) {
		return false, fmt.Errorf("changed by someone else since an earlier run recorded it (now %s, recorded %s): nothing done", live, *st.Recorded)
	}
	if st == nil || st.Recorded == nil {
		if !live.Equal(s.Current) && !live.Equal(s.Target) {
			return false, fmt.Errorf("changed since the plan was made (now %s, planned from %s): nothing done; make the plan again", live, s.Current)
		}
		if err := a.j.Append(Event{Event: EventRecorded, Region: s.Region, Name: s.Name, ARN: s.ARN,
			Config: &live, Target: &s.Target, CodeSha256: aws.ToString(fc.Configuration.CodeSha256)}); err != nil {
			return false, errJournal{err}
		}
	}
	// A function an earlier run began to change counts as changed.
	changed := false
	if st != nil && st.Recorded != nil {
		changed = !st.Recorded.Equal(s.Target)
	}
	if live.Arch != s.Target.Arch {
		if err := a.setArch(ctx, api, s.Region, s.ARN, fc, s.Target.Arch); err != nil {
			return true, err
		}
		if err := ev(EventCode); err != nil {
			return true, err
		}
		changed = true
	}
	if live.Runtime != s.Target.Runtime || !slices.Equal(live.Layers, s.Target.Layers) {
		if err := a.setConfig(ctx, api, s.ARN, s.Target); err != nil {
			return true, err
		}
		if err := ev(EventConfig); err != nil {
			return true, err
		}
		changed = true
	}
	if err := a.verify(ctx, api, s.ARN, s.Target, aws.ToString(fc.Configuration.CodeSha256)); err != nil {
		return changed, err
	}
	if a.o.Smoke != nil {
		if err := a.smoke(ctx, api, s.ARN); err != nil {
			return changed, err
		}
		if err := ev(EventSmoke); err != nil {
			return changed, err
		}
	}
	return changed, ev(EventDone)
}

// restore puts a function back to its recorded configuration and reports
// whether it changed anything.
func (a *applier) restore(ctx context.Context, api ApplyAPI, st FunctionState) (bool, error) {
	fc, err := a.settle(ctx, api, st.ARN)
	if err != nil {
		return false, err
	}
	live, rec := configOf(fc.Configuration), *st.Recorded
	if live.Equal(rec) {
		return false, nil
	}
	if !a.o.Force && st.Target != nil && !between(live, rec, *st.Target) {
		return false, fmt.Errorf("changed by someone else since layerkit changed it (now %s): left alone; --force restores %s anyway", live, rec)
	}
	if live.Runtime != rec.Runtime || !slices.Equal(live.Layers, rec.Layers) {
		if err := a.setConfig(ctx, api, st.ARN, rec); err != nil {
			return true, err
		}
	}
	if live.Arch != rec.Arch {
		if fc, err = a.settle(ctx, api, st.ARN); err != nil {
			return true, err
		}
		if err := a.setArch(ctx, api, st.Region, st.ARN, fc, rec.Arch); err != nil {
			return true, err
		}
	}
	return true, a.verify(ctx, api, st.ARN, rec, aws.ToString(fc.Configuration.CodeSha256))
}

// setArch changes the architecture: Lambda takes it only with code, so the
// function's own code is downloaded, checked against its CodeSha256 and
// uploaded again unchanged, in the request or, over Lambda's direct-upload
// limit, through the Stage bucket.
func (a *applier) setArch(ctx context.Context, api ApplyAPI, region, arn string, fc *lambda.GetFunctionOutput, arch layers.Arch) error {
	if fc.Code == nil || aws.ToString(fc.Code.Location) == "" {
		return errors.New("Lambda gave no address for the function's code, so it cannot be uploaded again for the new architecture")
	}
	if size := fc.Configuration.CodeSize; size > layers.MaxDirectUploadBytes && a.o.Stage == nil {
		return errUnstaged(size) // known before downloading it
	}
	code, err := a.o.Fetch(ctx, aws.ToString(fc.Code.Location), layers.MaxUnzippedBytes)
	if err != nil {
		return fmt.Errorf("downloading the function's code to change its architecture: %w", err)
	}
	sum := sha256.Sum256(code)
	if got, want := base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(fc.Configuration.CodeSha256); got != want {
		return fmt.Errorf("the downloaded code has SHA-256 %s, not the function's %s: not uploaded", got, want)
	}
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(arn), Architectures: []ltypes.Architecture{ltypes.Architecture(arch)}}
	if len(code) <= layers.MaxDirectUploadBytes {
		in.ZipFile = code
	} else {
		if a.o.Stage == nil {
			return errUnstaged(int64(len(code)))
		}
		bucket, key, err := a.o.Stage.put(ctx, region, aws.ToString(fc.Configuration.FunctionName), code, sum)
		if err != nil {
			return err
		}
		// Lambda copies the code when the update starts; the staged
		// copy goes once the update is over, whatever its outcome. A
		// failed delete leaves a harmless object under the prefix.
		defer a.o.Stage.remove(context.WithoutCancel(ctx), region, bucket, key)
		in.S3Bucket, in.S3Key = aws.String(bucket), aws.String(key)
	}
	err = a.call(ctx, api, arn, func() error {
		_, err := api.UpdateFunctionCode(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("UpdateFunctionCode to %s: %w", arch, err)
	}
	return a.waitUpdated(ctx, api, arn)
}

func errUnstaged(size int64) error {
	return fmt.Errorf("the code is %d bytes, over Lambda's %d-byte direct upload limit: apply again with --stage-bucket BUCKET (in the function's region) to pass it through S3", size, layers.MaxDirectUploadBytes)
}

// setConfig sets runtime and layers (the list replaces the old one).
func (a *applier) setConfig(ctx context.Context, api ApplyAPI, arn string, c Config) error {
	err := a.call(ctx, api, arn, func() error {
		_, err := api.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(arn),
			Runtime: ltypes.Runtime(c.Runtime), Layers: append([]string{}, c.Layers...)})
		return err
	})
	if err != nil {
		return fmt.Errorf("UpdateFunctionConfiguration to %s: %w", c.Runtime, err)
	}
	return a.waitUpdated(ctx, api, arn)
}

// verify reads the function back: it must run c with its code unchanged.
func (a *applier) verify(ctx context.Context, api ApplyAPI, arn string, c Config, codeSha string) error {
	fc, err := a.get(ctx, api, arn)
	if err != nil {
		return err
	}
	if live := configOf(fc.Configuration); !live.Equal(c) {
		return fmt.Errorf("after the update it runs %s, not %s", live, c)
	}
	if got := aws.ToString(fc.Configuration.CodeSha256); codeSha != "" && got != codeSha {
		return fmt.Errorf("its code changed during the update (CodeSha256 %s, was %s)", got, codeSha)
	}
	return nil
}

// smoke invokes the function with the smoke event; a function error or an
// unexpected status fails it.
func (a *applier) smoke(ctx context.Context, api ApplyAPI, arn string) error {
	var out *lambda.InvokeOutput
	err := a.call(ctx, api, arn, func() (err error) {
		out, err = api.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(arn), Payload: a.o.Smoke})
		return err
	})
	if err != nil {
		return fmt.Errorf("smoke invocation: %w", err)
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		msg := strings.TrimSpace(string(out.Payload))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return fmt.Errorf("smoke invocation failed (%s): %s", fe, msg)
	}
	if out.StatusCode < 200 || out.StatusCode > 299 {
		return fmt.Errorf("smoke invocation answered status %d", out.StatusCode)
	}
	return nil
}

// settle waits until the function can be changed: Active, with no update
// running. An Inactive function is returned as it is: the first call to
// it fails and starts its return to Active, which call then waits for.
func (a *applier) settle(ctx context.Context, api ApplyAPI, arn string) (*lambda.GetFunctionOutput, error) {
	for range 50 {
		fc, err := a.get(ctx, api, arn)
		if err != nil {
			return nil, err
		}
		c := fc.Configuration
		switch {
		case c.State == ltypes.StatePending:
			w := lambda.NewFunctionActiveV2Waiter(api, func(o *lambda.FunctionActiveV2WaiterOptions) {
				o.MinDelay, o.MaxDelay = a.o.PollMin, a.o.PollMax
				o.Retryable = throttleTolerant(o.Retryable)
			})
			if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)}, a.o.MaxWait); err != nil {
				return nil, fmt.Errorf("waiting for the function to become Active: %w", err)
			}
		case c.State == ltypes.StateFailed:
			return nil, fmt.Errorf("the function is in state Failed (%s): Lambda cannot change it", aws.ToString(c.StateReason))
		case c.LastUpdateStatus == ltypes.LastUpdateStatusInProgress:
			// Another update is running; whether it succeeds is its
			// owner's concern.
			if err := a.waitUpdated(ctx, api, arn); err != nil && ctx.Err() != nil {
				return nil, ctx.Err()
			}
		default:
			return fc, nil
		}
	}
	return nil, errors.New("the function did not settle: it kept changing state")
}

// waitUpdated waits for the running update with the FunctionUpdatedV2
// waiter and turns a failed update into an error with Lambda's reason.
func (a *applier) waitUpdated(ctx context.Context, api ApplyAPI, arn string) error {
	w := lambda.NewFunctionUpdatedV2Waiter(api, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = a.o.PollMin, a.o.PollMax
		o.Retryable = throttleTolerant(o.Retryable)
	})
	err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)}, a.o.MaxWait)
	if err == nil || ctx.Err() != nil {
		return err
	}
	fc, gerr := a.get(ctx, api, arn)
	if gerr == nil && fc.Configuration.LastUpdateStatus == ltypes.LastUpdateStatusFailed {
		return fmt.Errorf("Lambda failed the update: %s (%s)", aws.ToString(fc.Configuration.LastUpdateStatusReason), fc.Configuration.LastUpdateStatusReasonCode)
	}
	return fmt.Errorf("waiting for the update: %w", err)
}

// throttleTolerant keeps a waiter polling through throttled GetFunction
// calls instead of giving up.
func throttleTolerant[In, Out any](next func(context.Context, In, Out, error) (bool, error)) func(context.Context, In, Out, error) (bool, error) {
	return func(ctx context.Context, in In, out Out, err error) (bool, error) {
		if err != nil && isThrottle(err) {
			return true, nil
		}
		return next(ctx, in, out, err)
	}
}

func (a *applier) get(ctx context.Context, api ApplyAPI, arn string) (*lambda.GetFunctionOutput, error) {
	var fc *lambda.GetFunctionOutput
	err := a.call(ctx, api, arn, func() (err error) {
		fc, err = api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)})
		return err
	})
	if err == nil && fc.Configuration == nil {
		err = errors.New("GetFunction returned no configuration")
	}
	return fc, err
}

// maxTries bounds the tries of one call through conflicts and throttling.
const maxTries = 12

// call runs f, and on ResourceConflictException (an update is running, or
// the function is not Active yet) waits for the function to settle and
// tries again; on throttling backs off and tries again. The SDK's retryer
// has already retried throttling by then; this outer loop carries a
// campaign through throttling that lasts longer.
func (a *applier) call(ctx context.Context, api ApplyAPI, arn string, f func() error) error {
	delay := a.o.Backoff
	for try := 1; ; try++ {
		err := f()
		if err == nil || try == maxTries || ctx.Err() != nil {
			if err != nil && try == maxTries {
				err = fmt.Errorf("gave up after %d tries: %w", try, err)
			}
			return err
		}
		switch {
		case isConflict(err):
			if _, serr := a.settle(ctx, api, arn); serr != nil {
				return serr
			}
			// The conflict may have been an update that has just
			// finished; a short pause spares a busy loop.
			if err := sleep(ctx, a.o.PollMin); err != nil {
				return err
			}
		case isThrottle(err):
			if err := sleep(ctx, delay/2+rand.N(delay/2+1)); err != nil {
				return err
			}
			delay = min(2*delay, 30*time.Second)
		default:
			return err
		}
	}
}

func isConflict(err error) bool {
	var rc *ltypes.ResourceConflictException
	var nr *ltypes.ResourceNotReadyException
	return errors.As(err, &rc) || errors.As(err, &nr)
}

func isThrottle(err error) bool {
	var tm *ltypes.TooManyRequestsException
	if errors.As(err, &tm) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded":
			return true
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// between reports whether each of live's runtime, architecture and layers
// is what was recorded or what the campaign set: a state layerkit itself
// may have left, not a change by someone else.
func between(live, rec, target Config) bool {
	return (live.Runtime == rec.Runtime || live.Runtime == target.Runtime) && (live.Arch == rec.Arch || live.Arch == target.Arch) &&
		(slices.Equal(live.Layers, rec.Layers) || slices.Equal(live.Layers, target.Layers))
}

// configOf reads a function's runtime, architecture and layers as a plan
// writes them.
func configOf(c *ltypes.FunctionConfiguration) Config {
	cfg := Config{Runtime: string(c.Runtime), Arch: layers.X86_64, Layers: []string{}}
	if len(c.Architectures) > 0 {
		cfg.Arch = layers.Arch(c.Architectures[0])
	}
	for _, l := range c.Layers {
		cfg.Layers = append(cfg.Layers, aws.ToString(l.Arn))
	}
	return cfg
}

// Equal reports whether two configurations are the same; layer order
// counts, as it does on Lambda.
func (c Config) Equal(d Config) bool {
	return c.Runtime == d.Runtime && c.Arch == d.Arch && slices.Equal(c.Layers, d.Layers)
}

func (c Config) String() string {
	ls := make([]string, len(c.Layers))
	for i, l := range c.Layers {
		ls[i] = ShortLayer(l)
	}
	return fmt.Sprintf("%s/%s with layers [%s]", c.Runtime, c.Arch, strings.Join(ls, ", "))
}

// ShortLayer is NAME:VERSION of a layer version ARN, as people name a
// layer version in tables and messages.
func ShortLayer(arn string) string {
	if i := strings.Index(arn, ":layer:"); i >= 0 {
		return arn[i+len(":layer:"):]
	}
	return arn
}

// limitedAPI holds calls to a region's rate: updates to ctl, GetFunction
// to get. Invoke passes through: invocations are not control-plane calls
// and do not count against that quota.
type limitedAPI struct {
	ApplyAPI
	ctl, get *rate.Limiter
}

func (l *limitedAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, fns ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	if err := l.get.Wait(ctx); err != nil {
		return nil, err
	}
	return l.ApplyAPI.GetFunction(ctx, in, fns...)
}

func (l *limitedAPI) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, fns ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	if err := l.ctl.Wait(ctx); err != nil {
		return nil, err
	}
	return l.ApplyAPI.UpdateFunctionCode(ctx, in, fns...)
}

func (l *limitedAPI) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, fns ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	if err := l.ctl.Wait(ctx); err != nil {
		return nil, err
	}
	return l.ApplyAPI.UpdateFunctionConfiguration(ctx, in, fns...)
}

// httpFetch downloads url (a presigned S3 address) with at most limit
// bytes.
func httpFetch(ctx context.Context, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the code's address answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the code is over %d bytes", limit)
	}
	return b, nil
}
