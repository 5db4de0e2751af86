package campaign_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/campaign"
	"github.com/layerkit/layerkit/layers"
)

// codeOf returns n bytes of code that do not compress to nothing.
func codeOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 >> 3)
	}
	return b
}

// TestApplyStagesBigCode: an architecture change uploads the function's
// code again. Over Lambda's direct-upload limit that needs a staging
// bucket: without one the function fails before anything is downloaded;
// with one the code passes through S3 in the function's region, arrives
// unchanged, and the staged object is removed. Rollback goes the same way.
func TestApplyStagesBigCode(t *testing.T) {
	f, p, fns := fakeFleet(t, 1, "eu-west-1")
	fns[0].setCode(codeOf(layers.MaxDirectUploadBytes + 1))
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
	o := fastOptions()
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Failed || !strings.Contains(r.Error, "--stage-bucket") {
		t.Fatalf("without a staging bucket: %+v", r)
	}
	if f.Downloads != 0 {
		t.Errorf("the code was downloaded %d times though it could not be uploaded", f.Downloads)
	}
	wantConfig(t, f, fns[0], "python3.9", "x86_64", oldLayer)

	f.S3.buckets["stage-eu-west-1"] = "eu-west-1"
	o.Stage = &campaign.Stager{Bucket: "stage-{region}", S3: f.S3.client}
	o.Retry = true
	if sum, err = campaign.Apply(t.Context(), p, j, f.client, o); err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Applied {
		t.Fatalf("with a staging bucket: %+v", r)
	}
	wantConfig(t, f, fns[0], "python3.12", "arm64", newLayer)
	if f.S3.Puts != 1 || len(f.S3.objects) != 0 {
		t.Errorf("%d puts, %d objects left; want 1 and none", f.S3.Puts, len(f.S3.objects))
	}

	if sum, err = campaign.Rollback(t.Context(), j, f.client, o); err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.RolledBack {
		t.Fatalf("rollback: %+v", r)
	}
	wantConfig(t, f, fns[0], "python3.9", "x86_64", oldLayer)
	if f.S3.Puts != 2 || len(f.S3.objects) != 0 {
		t.Errorf("after rollback: %d puts, %d objects left; want 2 and none", f.S3.Puts, len(f.S3.objects))
	}
}

// TestApplyDirectUploadLimit: Lambda takes code in the request only when
// it is strictly smaller than 52,428,800 bytes. One byte less goes in the
// request; exactly that size is refused before anything is downloaded
// when there is no staging bucket, and passes through S3 when there is.
func TestApplyDirectUploadLimit(t *testing.T) {
	for _, tc := range []struct {
		size   int
		staged bool
	}{
		{layers.MaxDirectUploadBytes - 1, false},
		{layers.MaxDirectUploadBytes, true},
	} {
		f, p, fns := fakeFleet(t, 1, "eu-west-1")
		fns[0].setCode(codeOf(tc.size))
		j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
		o := fastOptions()
		sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
		if err != nil {
			t.Fatal(err)
		}
		r := sum.Results[0]
		if !tc.staged {
			if r.Outcome != campaign.Applied {
				t.Errorf("%d bytes without a staging bucket: %+v", tc.size, r)
			}
			wantConfig(t, f, fns[0], "python3.12", "arm64", newLayer)
			continue
		}
		if r.Outcome != campaign.Failed || !strings.Contains(r.Error, "--stage-bucket") {
			t.Errorf("%d bytes without a staging bucket: %+v", tc.size, r)
		}
		if f.Downloads != 0 {
			t.Errorf("%d bytes: downloaded %d times though it could not be uploaded", tc.size, f.Downloads)
		}
		wantConfig(t, f, fns[0], "python3.9", "x86_64", oldLayer)

		f.S3.buckets["stage-eu-west-1"] = "eu-west-1"
		o.Stage = &campaign.Stager{Bucket: "stage-{region}", S3: f.S3.client}
		o.Retry = true
		if sum, err = campaign.Apply(t.Context(), p, j, f.client, o); err != nil {
			t.Fatal(err)
		}
		if r := sum.Results[0]; r.Outcome != campaign.Applied {
			t.Errorf("%d bytes with a staging bucket: %+v", tc.size, r)
		}
		wantConfig(t, f, fns[0], "python3.12", "arm64", newLayer)
		if f.S3.Puts != 1 || len(f.S3.objects) != 0 {
			t.Errorf("%d bytes: %d puts, %d objects left; want 1 and none", tc.size, f.S3.Puts, len(f.S3.objects))
		}
	}
}

// TestApplyStagedCodeIsNotHeldInMemory: code staged for an architecture
// change streams from Lambda's code address through a file to S3, so
// apply allocates far less than the code's size. TotalAlloc counts every
// allocation, freed or not, so it bounds the heap's peak growth from
// above; the fakes hand the code around by reference and allocate none.
func TestApplyStagedCodeIsNotHeldInMemory(t *testing.T) {
	const size = 64 << 20
	f, p, fns := fakeFleet(t, 1, "eu-west-1")
	fns[0].setCode(codeOf(size))
	f.S3.buckets["stage-eu-west-1"] = "eu-west-1"
	o := fastOptions()
	o.Stage = &campaign.Stager{Bucket: "stage-{region}", S3: f.S3.client}
	j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := campaign.Apply(t.Context(), p, j, f.client, o)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Results[0]; r.Outcome != campaign.Applied {
		t.Fatalf("result: %+v", r)
	}
	wantConfig(t, f, fns[0], "python3.12", "arm64", newLayer)
	if f.S3.Puts != 1 {
		t.Errorf("%d puts, want 1", f.S3.Puts)
	}
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("apply allocated %d bytes to stage %d bytes of code", grew, size)
	if grew > size/8 {
		t.Errorf("apply allocated %d bytes to stage %d bytes of code: it holds the code in memory", grew, size)
	}
}

// watch opens code over HTTP as apply does, counts the files in dir when
// the download ends, and cancels the run once cancelAt bytes (if not 0)
// have arrived.
type watch struct {
	dir      string
	cancelAt int64
	cancel   context.CancelFunc
	// Seen is how many files dir held when the download ended or the
	// run was cancelled; -1 until then.
	Seen int
}

func (w *watch) fetch(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	return &watchedBody{ReadCloser: resp.Body, w: w}, nil
}

type watchedBody struct {
	io.ReadCloser
	w    *watch
	read int64
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	cancel := b.w.cancelAt > 0 && b.read >= b.w.cancelAt && b.w.Seen < 0
	if err == io.EOF || cancel {
		b.w.Seen = files(b.w.dir)
	}
	if cancel {
		b.w.cancel()
	}
	return n, err
}

// files counts the entries of dir.
func files(dir string) int {
	es, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	return len(es)
}

// TestApplyCodeTempFile: code re-uploaded for an architecture change
// passes through one file in ApplyOptions.TempDir, which is gone when
// apply returns, whether the change succeeded (in the request or staged
// through S3), failed (a damaged download, a staging bucket that does
// not exist) or was cancelled (during the download or the update).
func TestApplyCodeTempFile(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int  // 0: a few bytes
		stage    bool // a staging bucket exists
		damaged  bool
		cancelAt int64  // bytes downloaded
		cancelOn string // operation
		want     campaign.Outcome
	}{
		{name: "direct", want: campaign.Applied},
		{name: "staged", size: layers.MaxDirectUploadBytes, stage: true, want: campaign.Applied},
		{name: "damaged", damaged: true, want: campaign.Failed},
		{name: "no bucket", size: layers.MaxDirectUploadBytes, want: campaign.Failed},
		{name: "cancelled downloading", size: layers.MaxDirectUploadBytes, stage: true, cancelAt: 1 << 20, want: campaign.Interrupted},
		{name: "cancelled updating", cancelOn: "UpdateFunctionCode", want: campaign.Interrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, p, fns := fakeFleet(t, 1, "eu-west-1")
			if tc.size > 0 {
				fns[0].setCode(codeOf(tc.size))
			}
			if tc.damaged {
				fns[0].Damaged = []byte("not the code")
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.cancelOn != "" {
				f.After = func(op, arn string) {
					if op == tc.cancelOn {
						cancel()
					}
				}
			}
			w := &watch{dir: t.TempDir(), cancelAt: tc.cancelAt, cancel: cancel, Seen: -1}
			o := fastOptions()
			o.Fetch, o.TempDir = w.fetch, w.dir
			o.Stage = &campaign.Stager{Bucket: "stage-{region}", S3: f.S3.client}
			if tc.stage {
				f.S3.buckets["stage-eu-west-1"] = "eu-west-1"
			}
			j := openJournal(t, filepath.Join(t.TempDir(), "c.journal"))
			sum, err := campaign.Apply(ctx, p, j, f.client, o)
			if wantErr := tc.want == campaign.Interrupted; (err != nil) != wantErr || (wantErr && !errors.Is(err, context.Canceled)) {
				t.Errorf("Apply: %v", err)
			}
			if r := sum.Results[0]; r.Outcome != tc.want {
				t.Errorf("result: %+v, want %s", r, tc.want)
			}
			if w.Seen != 1 {
				t.Errorf("%s held %d files while the code arrived, want 1", w.dir, w.Seen)
			}
			if n := files(w.dir); n != 0 {
				t.Errorf("%s holds %d files after apply, want none", w.dir, n)
			}
			if len(f.S3.objects) != 0 {
				t.Errorf("%d staged objects left", len(f.S3.objects))
			}
		})
	}
}
