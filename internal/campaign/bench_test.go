package campaign_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/layerkit/layerkit/internal/campaign"
)

// BenchmarkFleet plans and applies a campaign over an in-process
// organization of 100 accounts × 2 regions × 50 functions (10,000), each
// account-region held by the fake to Lambda's quotas (15 control-plane
// calls a second, 100 GetFunction calls a second; beyond them a call is
// throttled) with updates that stay InProgress 1–3 s. The plan is made
// with PlanAccounts, split by account-region and every piece applied with
// a journal of its own, all pieces side by side as a CI matrix runs them,
// each with concurrency 50 and the full rate of 15.
//
// The waits poll as apply does by default (every second), or back off to
// LAYERKIT_BENCH_POLLMAX (a backoff to 20 s overshoots the end of the last
// update of the busiest account-region by 2 s or more: about 1.9 × the
// minimum instead of 1.5).
// LAYERKIT_BENCH_JOURNALS names a folder for the journals (such as
// /dev/shm, to take the disk's fsyncs out); default a temporary folder.
//
// Time is scaled: every duration of the fake and of layerkit (latencies,
// polls, backoff) is divided by LAYERKIT_BENCH_SCALE (default 1: the fleet's
// own minimum is about 10 s) and every rate multiplied by it, so the run
// takes 1/scale of its real time. The ratio of wall time to the busiest
// account-region's own minimum (its calls divided by its quota, the larger
// of the two quotas' bounds) does not depend on the scale; only work that is not scaled (CPU, fsync of
// the journals) weighs scale times more than it would, so a larger scale
// makes the bound harder to meet, not easier (on a loaded machine, 2 or
// more starve the run of CPU). Wall and minimum are printed in unscaled
// seconds.
//
//	go test -run '^$' -bench Fleet -benchtime 1x ./internal/campaign
func BenchmarkFleet(b *testing.B) {
	scale := 1.0
	if s := os.Getenv("LAYERKIT_BENCH_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 {
			b.Fatalf("LAYERKIT_BENCH_SCALE=%q: want a positive number", s)
		}
		scale = v
	}
	const accounts, perRegion = 100, 50
	regions := []string{"eu-west-1", "us-east-1"}
	pollMax := time.Second // apply's default, scaled below with the rest
	if s := os.Getenv("LAYERKIT_BENCH_POLLMAX"); s != "" {
		pollMax, _ = time.ParseDuration(s)
	}
	sec := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }
	for b.Loop() {
		f := newOrgFake(scale)
		var accts []campaign.Account
		for i := range accounts {
			id := fmt.Sprintf("%012d", 100000000000+i)
			accts = append(accts, campaign.Account{ID: id, Role: "arn:aws:iam::" + id + ":role/deployer"})
			for _, r := range regions {
				f.add(id, r, "python3.9", perRegion)
			}
		}
		dir := b.TempDir()
		if d := os.Getenv("LAYERKIT_BENCH_JOURNALS"); d != "" {
			var err error
			if dir, err = os.MkdirTemp(d, "fleet-bench-"); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(dir) })
		}
		stop := samplePeak()
		start := time.Now()
		p, err := campaign.PlanAccounts(b.Context(), accts, f.connect, campaign.PlanOptions{From: "python3.9", To: "python3.12", Regions: regions},
			campaign.FleetOptions{Rate: 15 * scale})
		if err != nil {
			b.Fatal(err)
		}
		planned := time.Since(start)
		pieces, err := campaign.Split(p, campaign.ByAccountRegion)
		if err != nil {
			b.Fatal(err)
		}
		o := campaign.ApplyOptions{Concurrency: perRegion, Rate: 15 * scale, PollMin: sec(time.Second), PollMax: sec(pollMax),
			Backoff: sec(time.Second), MaxWait: sec(15 * time.Minute)}
		var g errgroup.Group
		var mu sync.Mutex
		applied := 0
		for _, pc := range pieces {
			g.Go(func() error {
				j, err := campaign.OpenJournal(filepath.Join(dir, pc.Name+".journal"))
				if err != nil {
					return err
				}
				defer j.Close()
				sum, err := campaign.ApplyAccounts(b.Context(), pc.Part, j, f.clients, o)
				if err != nil {
					return err
				}
				mu.Lock()
				applied += sum.Count(campaign.Applied)
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		peakBytes := stop()

		// The busiest account-region's minimum: its control-plane calls
		// at 15 a second, or its GetFunction calls at 100, whichever is
		// longer.
		total, throttled := 0, int64(0)
		var busiest string
		var least float64
		for _, a := range accts {
			for _, r := range regions {
				calls, th := f.callsIn(a.ID, r)
				throttled += th
				ctl, get := 0, calls["GetFunction"]
				for op, n := range calls {
					total += n
					if op != "GetFunction" && op != "Invoke" {
						ctl += n
					}
				}
				if m := max(float64(ctl)/15, float64(get)/100); m > least {
					least, busiest = m, fmt.Sprintf("%s/%s (%d control-plane calls, %d GetFunction)", a.ID, r, ctl, get)
				}
			}
		}
		var journal int64
		files, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
		for _, name := range files {
			if st, err := os.Stat(name); err == nil {
				journal += st.Size()
			}
		}
		fns := accounts * len(regions) * perRegion
		if applied != fns {
			b.Fatalf("applied %d of %d functions", applied, fns)
		}
		wallS := wall.Seconds() * scale
		b.ReportMetric(wallS, "wall-s")
		b.ReportMetric(least, "min-s")
		b.ReportMetric(wallS/least, "wall/min")
		b.ReportMetric(float64(total)/float64(fns), "calls/fn")
		b.ReportMetric(float64(peakBytes)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(journal)/(1<<20), "journal-MiB")
		b.Logf("%d functions in %d accounts × %d regions, time scaled 1/%g: wall %.1f s (plan %.1f s), busiest account-region %s: minimum %.1f s; wall/minimum %.2f (bound 1.5)",
			fns, accounts, len(regions), scale, wallS, planned.Seconds()*scale, busiest, least, wallS/least)
		b.Logf("%d calls (%.2f a function), %d throttled; peak heap %.1f MiB; %d journals, %.2f MiB",
			total, float64(total)/float64(fns), throttled, float64(peakBytes)/(1<<20), len(files), float64(journal)/(1<<20))
		if wallS > 1.5*least {
			b.Errorf("wall time %.1f s is over 1.5 × the busiest account-region's minimum %.1f s", wallS, least)
		}
	}
}

// samplePeak samples the heap in use every 5 ms until stop, which returns
// the most seen.
func samplePeak() func() uint64 {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}
