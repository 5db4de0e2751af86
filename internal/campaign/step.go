package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// one applies one step and says what became of it; the error is for what
// stops the run.
func (a *applier) one(ctx context.Context, s *Step) (Result, error) {
	r := Result{Account: AccountOf(s.ARN), Region: s.Region, Name: s.Name, ARN: s.ARN}
	api := a.client(AccountOf(s.ARN), s.Region)
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
	if s.Target.ImageURI != "" {
		return a.forwardImage(ctx, api, s)
	}
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
		if err := a.j.Append(Event{Event: EventRecorded, Region: s.Region, Name: s.Name, ARN: s.ARN, Role: s.Role,
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
	return changed, a.smokeAndDone(ctx, api, s.ARN, ev)
}

// restore puts a function back to its recorded configuration and reports
// whether it changed anything.
func (a *applier) restore(ctx context.Context, api ApplyAPI, st FunctionState) (bool, error) {
	if st.Recorded.ImageURI != "" {
		return a.restoreImage(ctx, api, st)
	}
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

// smokeAndDone ends a forward step: the smoke invoke when one is asked for,
// recorded, then the step recorded done.
func (a *applier) smokeAndDone(ctx context.Context, api ApplyAPI, arn string, ev func(kind string) error) error {
	if a.o.Smoke != nil {
		if err := a.smoke(ctx, api, arn); err != nil {
			return err
		}
		if err := ev(EventSmoke); err != nil {
			return err
		}
	}
	return ev(EventDone)
}
