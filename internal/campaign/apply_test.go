package campaign_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

const (
	oldLayer = "arn:aws:lambda:%s:123456789012:layer:deps:3"
	newLayer = "arn:aws:lambda:%s:123456789012:layer:deps:7"
)

// fastOptions poll and back off in milliseconds: the fake counts polls,
// not time.
func fastOptions() campaign.ApplyOptions {
	return campaign.ApplyOptions{Concurrency: 3, PollMin: time.Millisecond, PollMax: 2 * time.Millisecond,
		Backoff: time.Millisecond, Rate: 1e6, MaxWait: 10 * time.Second}
}

// fakeFleet makes n functions per region on python3.9/x86_64 with the old
// deps layer and a plan moving them to python3.12/arm64 with the new one.
func fakeFleet(t *testing.T, n int, regions ...string) (*fakeLambda, *campaign.Plan, []*fakeFn) {
	f := newFakeLambda(t)
	p := &campaign.Plan{Version: campaign.PlanVersion, From: "python3.9", To: "python3.12", Arch: "arm64", Regions: regions}
	var fns []*fakeFn
	for _, r := range regions {
		for i := range n {
			fn := f.add(r, fmt.Sprintf("fn-%02d", i), "python3.9", "x86_64", fmt.Sprintf(oldLayer, r))
			fns = append(fns, fn)
			p.Functions = append(p.Functions, campaign.Step{Region: r, Name: fn.name, ARN: fn.arn,
				Current: campaign.Config{Runtime: "python3.9", Arch: "x86_64", Layers: []string{fmt.Sprintf(oldLayer, r)}},
				Target:  campaign.Config{Runtime: "python3.12", Arch: "arm64", Layers: []string{fmt.Sprintf(newLayer, r)}}})
		}
	}
	return f, p, fns
}

func openJournal(t *testing.T, path string) *campaign.Journal {
	t.Helper()
	j, err := campaign.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func wantConfig(t *testing.T, f *fakeLambda, fn *fakeFn, runtime, arch, layerFmt string) {
	t.Helper()
	want := campaign.Config{Runtime: runtime, Arch: layers.Arch(arch), Layers: []string{fmt.Sprintf(layerFmt, fn.region)}}
	if got := f.config(fn); !got.Equal(want) {
		t.Errorf("%s/%s runs %s, want %s", fn.region, fn.name, got, want)
	}
	if !bytes.Equal(fn.code, fn.orig) {
		t.Errorf("%s: code changed to %d bytes %.40q…", fn.name, len(fn.code), fn.code)
	}
}

// TestApplyFleet applies a two-region plan through every state a campaign
// meets: updates that stay InProgress, throttling on every 7th call, a
// function busy with someone else's update, one Pending and one Inactive.
func TestApplyFleet(t *testing.T) {
	f, p, fns := fakeFleet(t, 6, "eu-west-1", "us-east-1")
	f.ThrottleEvery = 7
	f.UpdatePolls = 3
	f.busy(fns[1], 4)
	fns[4].state = "Pending"
	fns[4].polls = 3
	fns[7].state = "Inactive"
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	o := fastOptions()
	o.Canary = 2
	o.Smoke = []byte(`{"ping": true}`)
	var mu sync.Mutex
	var seen []campaign.Result
	o.Progress = func(r campaign.Result) { mu.Lock(); seen = append(seen, r); mu.Unlock() }
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := sum.Count(campaign.Applied); n != len(fns) {
		t.Fatalf("applied %d of %d: %+v", n, len(fns), sum.Results)
	}
	for _, fn := range fns {
		wantConfig(t, f, fn, "python3.12", "arm64", newLayer)
		if c := f.FnCalls[fn.arn]; c["UpdateFunctionCode"] < 1 || c["UpdateFunctionConfiguration"] < 1 || c["Invoke"] < 1 {
			t.Errorf("%s: calls %v", fn.name, c)
		}
	}
	if len(seen) != len(fns) {
		t.Errorf("progress reported %d functions, want %d", len(seen), len(fns))
	}
	if sum.Results[0].Wave != "canary" || sum.Results[1].Wave != "canary" || sum.Results[2].Wave != "main" {
		t.Errorf("waves: %+v", sum.Results[:3])
	}
	// The busy function's own update finished before layerkit's; the
	// limit of 3 functions at once in each of the two regions held (plus
	// that outside update).
	if f.MaxInFlight > 2*o.Concurrency+1 {
		t.Errorf("%d functions updating at once, concurrency %d in each of 2 regions", f.MaxInFlight, o.Concurrency)
	}
	for _, st := range j.Functions() {
		if st.Last != campaign.EventDone || st.Recorded == nil || st.Recorded.Runtime != "python3.9" || st.Recorded.Arch != "x86_64" {
			t.Errorf("journal for %s: %+v", st.Name, st)
		}
	}
}

func TestApplyCanaryFailureRollsBackAndStops(t *testing.T) {
	f, p, fns := fakeFleet(t, 5, "eu-west-1")
	fns[1].SmokeFailsOn = "python3.12"
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	o := fastOptions()
	o.Canary, o.Concurrency = 2, 1
	o.Smoke = []byte(`{}`)
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.CanaryFailed {
		t.Fatal("canary wave reported healthy")
	}
	r := sum.Results[1]
	if r.Outcome != campaign.Failed || !strings.Contains(r.Error, "ModuleNotFoundError") {
		t.Errorf("failing canary: %+v", r)
	}
	// The failed function is back on its recorded configuration, code
	// included; the healthy canary stays moved; the rest were not touched.
	wantConfig(t, f, fns[1], "python3.9", "x86_64", oldLayer)
	wantConfig(t, f, fns[0], "python3.12", "arm64", newLayer)
	for _, fn := range fns[2:] {
		if c := f.FnCalls[fn.arn]; len(c) != 0 {
			t.Errorf("%s was called after the canary failed: %v", fn.name, c)
		}
		wantConfig(t, f, fn, "python3.9", "x86_64", oldLayer)
	}
	if n := sum.Count(campaign.NotStarted); n != 3 {
		t.Errorf("%d not started, want 3", n)
	}
	if st := j.State(fns[1].arn); st.Last != campaign.EventRolledBack {
		t.Errorf("journal: %+v", st)
	}
}

// TestApplyLambdaFailsUpdate: Lambda fails a function's update (it keeps
// the previous configuration, but the architecture was already changed).
// The function is restored whole; with MaxFailures 0 no other starts.
func TestApplyLambdaFailsUpdate(t *testing.T) {
	for _, maxFailures := range []int{0, 10} {
		t.Run(fmt.Sprint("max-failures=", maxFailures), func(t *testing.T) {
			f, p, fns := fakeFleet(t, 4, "eu-west-1")
			fns[1].FailUpdateTo = "python3.12"
			j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
			o := fastOptions()
			o.Concurrency, o.MaxFailures = 1, maxFailures
			sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
			if err != nil {
				t.Fatal(err)
			}
			r := sum.Results[1]
			if r.Outcome != campaign.Failed || !strings.Contains(r.Error, "Lambda failed the update: InternalError") {
				t.Fatalf("result: %+v", r)
			}
			wantConfig(t, f, fns[1], "python3.9", "x86_64", oldLayer)
			wantConfig(t, f, fns[0], "python3.12", "arm64", newLayer)
			if maxFailures == 0 {
				if !sum.Stopped || sum.Count(campaign.NotStarted) != 2 {
					t.Errorf("did not stop: %+v", sum)
				}
				wantConfig(t, f, fns[3], "python3.9", "x86_64", oldLayer)
			} else {
				if sum.Stopped || sum.Count(campaign.Applied) != 3 {
					t.Errorf("stopped: %+v", sum)
				}
				wantConfig(t, f, fns[3], "python3.12", "arm64", newLayer)
			}
		})
	}
}

// TestApplyInterruptAndResume cuts a run off right after one function's
// architecture changed, then resumes with the same journal: every
// function ends on the target, none is changed twice, and the recorded
// configuration is the one from before the first run.
func TestApplyInterruptAndResume(t *testing.T) {
	f, p, fns := fakeFleet(t, 8, "eu-west-1")
	path := filepath.Join(t.TempDir(), "c.journal")
	j := openJournal(t, path)
	ctx, cancel := context.WithCancel(t.Context())
	f.After = func(op, arn string) {
		if op == "UpdateFunctionCode" && arn == fns[4].arn {
			cancel()
		}
	}
	o := fastOptions()
	o.Concurrency = 2
	sum, err := campaign.Apply(ctx, p, j, f.client, o)
	if err == nil || ctx.Err() == nil {
		t.Fatalf("interrupted run returned %v", err)
	}
	if sum.Count(campaign.Applied) == len(fns) || sum.Count(campaign.Interrupted) == 0 {
		t.Fatalf("the interruption did not cut the run: %+v", sum.Results)
	}
	if got := f.config(fns[4]); got.Arch != "arm64" || got.Runtime != "python3.9" {
		t.Fatalf("fn-04 should be half-way: %s", got)
	}
	j.Close()
	f.After = nil

	j2 := openJournal(t, path)
	if st := j2.State(fns[4].arn); st == nil || st.Last != campaign.EventRecorded {
		t.Fatalf("journal after the cut: %+v", st)
	}
	sum, err = campaign.Apply(t.Context(), p, j2, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count(campaign.Applied)+sum.Count(campaign.Finished) != len(fns) || sum.Count(campaign.Finished) == 0 {
		t.Fatalf("resume: %+v", sum.Results)
	}
	for _, fn := range fns {
		wantConfig(t, f, fn, "python3.12", "arm64", newLayer)
		if c := f.FnCalls[fn.arn]; c["UpdateFunctionCode"] != 1 || c["UpdateFunctionConfiguration"] != 1 {
			t.Errorf("%s changed more than once: %v", fn.name, c)
		}
		if st := j2.State(fn.arn); st.Recorded.Arch != "x86_64" || st.Recorded.Runtime != "python3.9" {
			t.Errorf("%s recorded %s", fn.name, st.Recorded)
		}
	}
	// A third run has nothing to do.
	before := f.Calls["UpdateFunctionConfiguration"] + f.Calls["UpdateFunctionCode"]
	sum, err = campaign.Apply(t.Context(), p, j2, f.client, o)
	if err != nil || sum.Count(campaign.Finished) != len(fns) || f.Calls["UpdateFunctionConfiguration"]+f.Calls["UpdateFunctionCode"] != before {
		t.Fatalf("third run: %v %+v", err, sum.Results)
	}
}

func TestRollback(t *testing.T) {
	f, p, fns := fakeFleet(t, 4, "eu-west-1")
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	o := fastOptions()
	if _, err := campaign.Apply(t.Context(), p, j, f.client, o); err != nil {
		t.Fatal(err)
	}
	// Someone moves fn-02 on to nodejs after the campaign: rollback must
	// not undo their change.
	fns[2].runtime = "nodejs22.x"
	f.UpdatePolls = 4
	f.ThrottleEvery = 5
	sum, err := campaign.Rollback(t.Context(), j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]campaign.Result{}
	for _, r := range sum.Results {
		byName[r.Name] = r
	}
	if r := byName["fn-02"]; sum.Count(campaign.RolledBack) != 3 || r.Outcome != campaign.RollbackFailed ||
		!strings.Contains(r.Error, "changed by someone else") {
		t.Fatalf("rollback: %+v", sum.Results)
	}
	for i, fn := range fns {
		if i != 2 {
			wantConfig(t, f, fn, "python3.9", "x86_64", oldLayer)
		}
	}
	if got := f.config(fns[2]); got.Runtime != "nodejs22.x" {
		t.Errorf("fn-02 was touched: %s", got)
	}
	// Again: the restored ones are left alone; --force restores fn-02.
	updates := f.Calls["UpdateFunctionConfiguration"] + f.Calls["UpdateFunctionCode"]
	o.Force = true
	sum, err = campaign.Rollback(t.Context(), j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := sum.Count(campaign.RolledBack); n != len(fns) {
		t.Errorf("after the forced rollback %d functions are rolled back, want all %d: %+v", n, len(fns), sum.Results)
	}
	if got := f.Calls["UpdateFunctionConfiguration"] + f.Calls["UpdateFunctionCode"] - updates; got != 2 {
		t.Errorf("second rollback made %d updates, want 2 (fn-02's runtime and arch)", got)
	}
	wantConfig(t, f, fns[2], "python3.9", "x86_64", oldLayer)
	// Applying the same plan with that journal skips what was rolled back.
	sum, err = campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil || sum.Count(campaign.Skipped) != len(fns) {
		t.Fatalf("apply after rollback: %v %+v", err, sum.Results)
	}
}

// TestApplyDrift: a function changed between planning and applying is
// failed without any change and without a record to roll back to.
func TestApplyDrift(t *testing.T) {
	f, p, fns := fakeFleet(t, 2, "eu-west-1")
	fns[0].runtime = "python3.11"
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	o := fastOptions()
	o.MaxFailures = 1
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Failed || !strings.Contains(r.Error, "changed since the plan was made") {
		t.Errorf("drifted function: %+v", r)
	}
	if c := f.FnCalls[fns[0].arn]; c["UpdateFunctionCode"]+c["UpdateFunctionConfiguration"] != 0 {
		t.Errorf("drifted function was changed: %v", c)
	}
	if st := j.State(fns[0].arn); st.Recorded != nil {
		t.Errorf("drifted function recorded: %+v", st)
	}
	if sum.Results[1].Outcome != campaign.Applied {
		t.Errorf("other function: %+v", sum.Results[1])
	}
}

func TestApplyBlockedAndAlreadyMoved(t *testing.T) {
	f, p, fns := fakeFleet(t, 3, "eu-west-1")
	p.Functions[0].Blockers = []string{"no replacement for layer deps"}
	fns[1].runtime, fns[1].arch, fns[1].layers = "python3.12", "arm64", []string{fmt.Sprintf(newLayer, "eu-west-1")}
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	sum, err := campaign.Apply(t.Context(), p, j, f.client, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := []campaign.Outcome{sum.Results[0].Outcome, sum.Results[1].Outcome, sum.Results[2].Outcome}; got[0] != campaign.Blocked ||
		got[1] != campaign.Unchanged || got[2] != campaign.Applied {
		t.Errorf("outcomes %v", got)
	}
	if len(f.FnCalls[fns[0].arn]) != 0 {
		t.Errorf("blocked function called: %v", f.FnCalls[fns[0].arn])
	}
}

func TestJournal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.journal")
	j := openJournal(t, path)
	if err := j.Append(campaign.Event{Event: campaign.EventStart, Plan: "abc"}); err != nil {
		t.Fatal(err)
	}
	rec := campaign.Config{Runtime: "python3.9", Arch: "x86_64", Layers: []string{}}
	if err := j.Append(campaign.Event{Event: campaign.EventRecorded, ARN: "arn:1", Name: "one", Config: &rec}); err != nil {
		t.Fatal(err)
	}
	if _, err := campaign.OpenJournal(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second open of a held journal: %v", err)
	}
	j.Close()

	// A crash mid-write leaves a torn last line: it is dropped and the
	// next event starts on a line of its own.
	fh, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"event":"done","arn":"ar`)
	fh.Close()
	j = openJournal(t, path)
	if st := j.State("arn:1"); st == nil || st.Last != campaign.EventRecorded || j.Plan() != "abc" {
		t.Fatalf("after a torn line: %+v plan %q", st, j.Plan())
	}
	if err := j.Append(campaign.Event{Event: campaign.EventDone, ARN: "arn:1"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openJournal(t, path)
	if st := j.State("arn:1"); st.Last != campaign.EventDone || st.Recorded.Runtime != "python3.9" {
		t.Fatalf("reread: %+v", st)
	}
	j.Close()

	// A damaged line in the middle is an error naming file and line.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append([]byte("not json\n"), b...), 0o644)
	if _, err := campaign.OpenJournal(path); err == nil || !strings.Contains(err.Error(), path+":1:") {
		t.Errorf("damaged journal: %v", err)
	}
}

func TestApplyRefusesAnotherPlansJournal(t *testing.T) {
	f, p, _ := fakeFleet(t, 1, "eu-west-1")
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	if _, err := campaign.Apply(t.Context(), p, j, f.client, fastOptions()); err != nil {
		t.Fatal(err)
	}
	p.To = "python3.13"
	if _, err := campaign.Apply(t.Context(), p, j, f.client, fastOptions()); err == nil || !strings.Contains(err.Error(), "another plan") {
		t.Errorf("another plan's journal: %v", err)
	}
}

// FuzzJournal: a journal is a file people may edit or damage; opening one
// never panics, and what opens can be appended to and read back.
func FuzzJournal(f *testing.F) {
	f.Add([]byte(`{"event":"start","plan":"abc"}` + "\n" + `{"event":"recorded","arn":"arn:1","config":{"runtime":"python3.9","arch":"x86_64","layers":[]}}` + "\n"))
	f.Add([]byte(`{"event":"done","arn":"arn:1"}` + "\n" + `{"event":"rolled-back","ar`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "j")
		os.WriteFile(path, data, 0o644)
		j, err := campaign.OpenJournal(path)
		if err != nil {
			return
		}
		n := len(j.Functions())
		err = j.Append(campaign.Event{Event: campaign.EventDone, ARN: "arn:fuzz"})
		j.Close()
		if err != nil {
			t.Fatal(err)
		}
		j, err = campaign.OpenJournal(path)
		if err != nil {
			t.Fatalf("a journal that opened and was appended to no longer opens: %v", err)
		}
		defer j.Close()
		if st := j.State("arn:fuzz"); st == nil || st.Last != campaign.EventDone || len(j.Functions()) < n {
			t.Fatalf("appended event lost: %+v", st)
		}
	})
}

// FuzzReadPlan: a plan is reviewed and may be edited by hand; reading one
// never panics.
func FuzzReadPlan(f *testing.F) {
	f.Add([]byte(`{"version":1,"from":"python3.9","to":"python3.12","regions":["eu-west-1"],"functions":[{"region":"eu-west-1","name":"f","arn":"arn:aws:lambda:eu-west-1:123456789012:function:f","current":{"runtime":"python3.9","arch":"x86_64","layers":[]},"target":{"runtime":"python3.12","arch":"arm64","layers":[]},"layer_changes":[]}]}`))
	f.Add([]byte(`{"version":1,"functions":[{"arn":"arn:aws:lambda"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "plan.json")
		os.WriteFile(path, data, 0o644)
		p, err := campaign.ReadPlan(path)
		if err == nil && p.Version != campaign.PlanVersion {
			t.Fatalf("accepted version %d", p.Version)
		}
	})
}

// TestApplyResumeLeavesOthersChangesAlone: between an interrupted run and
// its resumption someone moves a half-done function elsewhere; the resumed
// run fails it without touching it, and restores nothing either.
func TestApplyResumeLeavesOthersChangesAlone(t *testing.T) {
	f, p, fns := fakeFleet(t, 2, "eu-west-1")
	path := filepath.Join(t.TempDir(), "c.journal")
	j := openJournal(t, path)
	ctx, cancel := context.WithCancel(t.Context())
	f.After = func(op, arn string) {
		if op == "UpdateFunctionCode" && arn == fns[0].arn {
			cancel()
		}
	}
	o := fastOptions()
	o.Concurrency, o.MaxFailures = 1, 5
	if _, err := campaign.Apply(ctx, p, j, f.client, o); err == nil {
		t.Fatal("the run was not cut")
	}
	f.After = nil
	fns[0].runtime = "python3.11"
	updates := f.FnCalls[fns[0].arn]["UpdateFunctionCode"] + f.FnCalls[fns[0].arn]["UpdateFunctionConfiguration"]
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.RollbackFailed || !strings.Contains(r.Error, "changed by someone else") {
		t.Errorf("result: %+v", r)
	}
	if got := f.FnCalls[fns[0].arn]["UpdateFunctionCode"] + f.FnCalls[fns[0].arn]["UpdateFunctionConfiguration"]; got != updates {
		t.Errorf("the function someone else changed was updated %d more times", got-updates)
	}
	if sum.Results[1].Outcome != campaign.Applied {
		t.Errorf("other function: %+v", sum.Results[1])
	}
}

// TestApplyFinishesAnInterruptedRestore: a run is cut off while it rolls a
// failed function back; the next run (without --retry) finishes restoring
// it instead of skipping it half-changed.
func TestApplyFinishesAnInterruptedRestore(t *testing.T) {
	f, p, fns := fakeFleet(t, 1, "eu-west-1")
	fns[0].SmokeFailsOn = "python3.12"
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	ctx, cancel := context.WithCancel(t.Context())
	configs := 0
	f.After = func(op, arn string) {
		if op == "UpdateFunctionConfiguration" {
			if configs++; configs == 2 { // the first call of the restore
				cancel()
			}
		}
	}
	o := fastOptions()
	o.Smoke = []byte(`{}`)
	if _, err := campaign.Apply(ctx, p, j, f.client, o); err == nil {
		t.Fatal("the run was not cut")
	}
	if st := j.State(fns[0].arn); st.Last != campaign.EventFailed {
		t.Fatalf("journal after the cut: %+v", st)
	}
	if got := f.config(fns[0]); got.Arch != "arm64" {
		t.Fatalf("the restore should have stopped before the architecture: %s", got)
	}
	f.After = nil
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Failed || !strings.Contains(r.Error, "ModuleNotFoundError") {
		t.Errorf("result: %+v", r)
	}
	wantConfig(t, f, fns[0], "python3.9", "x86_64", oldLayer)
	if st := j.State(fns[0].arn); st.Last != campaign.EventRolledBack {
		t.Errorf("journal: %+v", st)
	}
}
