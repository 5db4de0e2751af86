package campaign_test

import (
	"path/filepath"
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
