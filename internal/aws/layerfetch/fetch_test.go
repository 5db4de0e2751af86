package layerfetch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

const arnA = "arn:aws:lambda:us-east-1:123456789012:layer:deps:3"

// TestFetch fetches a layer version, then again from the same Fetcher
// (nothing asked), then from a new Fetcher on the same cache (Lambda is
// asked, nothing is downloaded).
func TestFetch(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	l.add(arnA, &fakeLayer{zip: z})
	cache := t.TempDir()
	f := New(l.config(), cache)

	for i, want := range []struct{ api, downloads int }{{1, 1}, {1, 1}} {
		path, err := f.Fetch(t.Context(), arnA)
		if err != nil {
			t.Fatal(err)
		}
		if path != cachePath(cache, z) {
			t.Errorf("fetch %d: path %s, want %s", i, path, cachePath(cache, z))
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, z) {
			t.Errorf("fetch %d: %s holds %d bytes (%v), want the %d published", i, path, len(got), err, len(z))
		}
		if api, downloads := l.counts(); api != want.api || downloads != want.downloads {
			t.Errorf("fetch %d: %d GetLayerVersion, %d downloads; want %d, %d", i, api, downloads, want.api, want.downloads)
		}
	}

	if _, err := New(l.config(), cache).Fetch(t.Context(), arnA); err != nil {
		t.Fatal(err)
	}
	if api, downloads := l.counts(); api != 2 || downloads != 1 {
		t.Errorf("a new Fetcher on the same cache: %d GetLayerVersion, %d downloads in all; want 2, 1", api, downloads)
	}
	if got := cacheFiles(t, cache); len(got) != 1 {
		t.Errorf("cache holds %v, want the one zip", got)
	}
}

// TestFetchRefuses checks that a download that is not what Lambda
// declared, or cannot be had, is an error naming the ARN that leaves
// nothing in the cache and says nothing of the presigned URL's query.
func TestFetchRefuses(t *testing.T) {
	z := layerZip(t, "a")
	other := bytes.Clone(z)
	other[len(other)-1] ^= 1
	tests := []struct {
		name      string
		layer     *fakeLayer
		downloads int
		check     func(t *testing.T, err error)
	}{
		{"other SHA-256", &fakeLayer{zip: z, body: other}, 1, func(t *testing.T, err error) {
			var de *DigestError
			if !errors.As(err, &de) || de.Want == de.Got || !strings.HasSuffix(de.Want, "=") || !strings.HasSuffix(de.Got, "=") {
				t.Errorf("want a *DigestError with both base64 hashes, got %#v", err)
			}
		}},
		{"longer, announced", &fakeLayer{zip: z, body: append(bytes.Clone(z), "trailing"...)}, 1, wantSize(int64(len(z)), int64(len(z))+8)},
		{"longer, chunked", &fakeLayer{zip: z, body: append(bytes.Clone(z), "trailing"...), chunked: true}, 1, wantSize(int64(len(z)), int64(len(z))+1)},
		{"shorter", &fakeLayer{zip: z, body: z[:len(z)-1]}, 1, wantSize(int64(len(z)), int64(len(z))-1)},
		{"CodeSize over Lambda's limit", &fakeLayer{zip: z, size: MaxZipSize + 1}, 0, wantIs(ErrTooLarge)},
		{"storage refuses", &fakeLayer{zip: z, status: 403}, 1, wantText("403 Forbidden")},
		{"storage unreachable", &fakeLayer{zip: z, location: "http://127.0.0.1:1/s3/k?X-Amz-Signature=presigned-signature"}, 0, wantText("connection refused")},
		{"location not http", &fakeLayer{zip: z, location: "s3://"}, 0, wantText("not an http(s) URL")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLambda(t)
			l.add(arnA, tt.layer)
			cache := t.TempDir()
			_, err := New(l.config(), cache).Fetch(t.Context(), arnA)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if !strings.Contains(err.Error(), arnA) {
				t.Errorf("%q does not name the ARN", err)
			}
			if strings.Contains(err.Error(), "presigned") {
				t.Errorf("%q gives the presigned URL's query away", err)
			}
			if _, downloads := l.counts(); downloads != tt.downloads {
				t.Errorf("%d downloads, want %d", downloads, tt.downloads)
			}
			if got := cacheFiles(t, cache); len(got) != 0 {
				t.Errorf("cache holds %v after a refused download", got)
			}
		})
	}
}

func wantSize(declared, got int64) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var se *SizeError
		if !errors.As(err, &se) || se.Declared != declared || se.Got != got {
			t.Errorf("want *SizeError{%d, %d}, got %#v (%v)", declared, got, se, err)
		}
	}
}

func wantIs(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		if !errors.Is(err, target) {
			t.Errorf("%v is not %v", err, target)
		}
	}
}

func wantText(s string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
}

// TestFetchAPIErrors checks that Lambda's refusals come back wrapped with
// the ARN, typed as the SDK types them, and download nothing.
func TestFetchAPIErrors(t *testing.T) {
	tests := []struct {
		name  string
		arn   string
		layer *fakeLayer
		check func(*testing.T, error)
	}{
		{"not found", "arn:aws:lambda:us-east-1:123456789012:layer:deps:9", nil, func(t *testing.T, err error) {
			var nf *ltypes.ResourceNotFoundException
			if !errors.Is(err, ErrNotFound) || !errors.As(err, &nf) {
				t.Errorf("%v: want ErrNotFound and *ResourceNotFoundException", err)
			}
		}},
		{"denied", arnA, &fakeLayer{apiErr: "AccessDeniedException"}, func(t *testing.T, err error) {
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || errors.Is(err, ErrNotFound) {
				t.Errorf("%v: want the SDK's AccessDeniedException", err)
			}
		}},
		{"throttled", arnA, &fakeLayer{apiErr: "TooManyRequestsException"}, func(t *testing.T, err error) {
			var tm *ltypes.TooManyRequestsException
			if !errors.As(err, &tm) {
				t.Errorf("%v: want *TooManyRequestsException", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLambda(t)
			if tt.layer != nil {
				l.add(tt.arn, tt.layer)
			}
			_, err := New(l.config(), t.TempDir()).Fetch(t.Context(), tt.arn)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if !strings.Contains(err.Error(), tt.arn) {
				t.Errorf("%q does not name the ARN", err)
			}
			if api, downloads := l.counts(); api != 1 || downloads != 0 {
				t.Errorf("%d GetLayerVersion, %d downloads; want 1, 0", api, downloads)
			}
		})
	}
}

// TestFetchMalformedARN checks that a malformed ARN is refused, by name,
// before any call.
func TestFetchMalformedARN(t *testing.T) {
	l := newFakeLambda(t)
	f := New(l.config(), t.TempDir())
	for _, arn := range []string{"", "deps", "arn:aws:lambda:us-east-1:123456789012:layer:deps", "arn:aws:lambda:us-east-1:12345:layer:deps:1"} {
		_, err := f.Fetch(t.Context(), arn)
		var ae *ARNError
		if !errors.As(err, &ae) || ae.ARN != arn || !strings.Contains(err.Error(), `"`+arn+`"`) {
			t.Errorf("%q: %v, want an *ARNError naming it", arn, err)
		}
	}
	if api, downloads := l.counts(); api+downloads != 0 {
		t.Errorf("%d calls, %d downloads for malformed ARNs", api, downloads)
	}
}

// held publishes z under arn with a download that stops halfway until
// hold is closed.
func held(l *fakeLambda, arn string, z []byte) *fakeLayer {
	v := &fakeLayer{zip: z, hold: make(chan struct{}), sent: make(chan struct{}, 16)}
	l.add(arn, v)
	return v
}

// TestFetchCancelMidDownload cancels a download once its temporary file
// is being written: Fetch returns ctx's error, and the cache is empty.
func TestFetchCancelMidDownload(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	held(l, arnA, z)
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error)
	go func() {
		_, err := New(l.config(), cache).Fetch(ctx, arnA)
		errc <- err
	}()
	// Wait (for as long as the test may run) until half the zip is in the
	// temporary file.
	for !slices.ContainsFunc(cacheFiles(t, cache), func(name string) bool {
		fi, err := os.Stat(filepath.Join(cache, "layers", name))
		return atomicfile.IsTemp(name) && err == nil && fi.Size() > 0
	}) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), arnA) {
		t.Errorf("%v: want context.Canceled, naming the ARN", err)
	}
	if got := cacheFiles(t, cache); len(got) != 0 {
		t.Errorf("cache holds %v after a cancelled download", got)
	}
}

// waitFor waits (for as long as the test may run) until n callers wait
// for arn's fetch, and fails when a second download starts instead.
func waitFor(t *testing.T, f *Fetcher, l *fakeLambda, arn string, n int) {
	t.Helper()
	for f.arns.waiting(arn) < n {
		if _, downloads := l.counts(); downloads > 1 {
			t.Fatalf("%d downloads of one layer version", downloads)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFetchConcurrent asks for one ARN from many goroutines while its
// download is under way: Lambda is asked once and the zip downloaded once.
func TestFetchConcurrent(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	v := held(l, arnA, z)
	cache := t.TempDir()
	f := New(l.config(), cache)
	const n = 16
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { paths[i], errs[i] = f.Fetch(t.Context(), arnA) })
	}
	<-v.sent
	waitFor(t, f, l, arnA, n)
	close(v.hold)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || paths[i] != cachePath(cache, z) {
			t.Errorf("caller %d: %s, %v", i, paths[i], errs[i])
		}
	}
	if api, downloads := l.counts(); api != 1 || downloads != 1 {
		t.Errorf("%d GetLayerVersion, %d downloads; want 1, 1", api, downloads)
	}
}

// TestFetchCallerLeaves cancels the first of two callers waiting for the
// same download: it returns at once with its ctx's error, and the download
// goes on for the other.
func TestFetchCallerLeaves(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	v := held(l, arnA, z)
	cache := t.TempDir()
	f := New(l.config(), cache)
	ctx, cancel := context.WithCancel(t.Context())
	leaver, stayer := make(chan error), make(chan error)
	// The caller that leaves comes first: the download starts under its
	// call.
	go func() { _, err := f.Fetch(ctx, arnA); leaver <- err }()
	<-v.sent
	go func() { _, err := f.Fetch(t.Context(), arnA); stayer <- err }()
	waitFor(t, f, l, arnA, 2)
	cancel()
	if err := <-leaver; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that left: %v, want context.Canceled", err)
	}
	close(v.hold)
	if err := <-stayer; err != nil {
		t.Errorf("the caller that stayed: %v", err)
	}
	if got, err := os.ReadFile(cachePath(cache, z)); err != nil || !bytes.Equal(got, z) {
		t.Errorf("cached zip: %d bytes, %v", len(got), err)
	}
}

// TestFetchTwoFetchersOneCache runs two Fetchers (as two processes would)
// that download the same zip at the same time into one cache: both get
// the whole zip, and only it is left.
func TestFetchTwoFetchersOneCache(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	v := held(l, arnA, z)
	cache := t.TempDir()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			path, err := New(l.config(), cache).Fetch(t.Context(), arnA)
			if err == nil {
				if got, rerr := os.ReadFile(path); rerr != nil || !bytes.Equal(got, z) {
					err = errors.New("torn zip")
				}
			}
			errs <- err
		}()
	}
	<-v.sent
	<-v.sent
	if _, err := os.Lstat(cachePath(cache, z)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("with both downloads half done, the zip's name: %v, want it absent", err)
	}
	close(v.hold)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := cacheFiles(t, cache); len(got) != 1 {
		t.Errorf("cache holds %v, want the one zip", got)
	}
}

// TestFetchReplacesBadCache puts under the zip's name what is not the zip:
// each is downloaded again and replaced; a symlink's target is untouched.
func TestFetchReplacesBadCache(t *testing.T) {
	z := layerZip(t, "a")
	outside := filepath.Join(t.TempDir(), "outside.zip")
	if err := os.WriteFile(outside, z, 0o600); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(z)
	flipped[10] ^= 1
	tests := []struct {
		name string
		put  func(path string) error
	}{
		{"cut short", func(p string) error { return os.WriteFile(p, z[:len(z)/2], 0o600) }},
		{"same size, other bytes", func(p string) error { return os.WriteFile(p, flipped, 0o600) }},
		{"symlink to the very zip", func(p string) error { return os.Symlink(outside, p) }},
		{"folder", func(p string) error { return os.Mkdir(p, 0o700) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLambda(t)
			l.add(arnA, &fakeLayer{zip: z})
			cache := t.TempDir()
			if err := os.MkdirAll(filepath.Join(cache, "layers"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tt.put(cachePath(cache, z)); err != nil {
				t.Fatal(err)
			}
			path, err := New(l.config(), cache).Fetch(t.Context(), arnA)
			if tt.name == "folder" {
				// rename cannot replace a folder with a file.
				if err == nil {
					t.Fatal("a folder under the zip's name: no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("%s: %v, %v", path, fi, err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, z) {
				t.Errorf("%s is not the zip", path)
			}
			if _, downloads := l.counts(); downloads != 1 {
				t.Errorf("%d downloads, want 1", downloads)
			}
			if got, _ := os.ReadFile(outside); !bytes.Equal(got, z) {
				t.Errorf("the symlink's target changed")
			}
		})
	}
}

// TestFetchRegions fetches one zip published in two regions: each ARN is
// read in its own region, and the zip is downloaded once.
func TestFetchRegions(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	west := "arn:aws:lambda:us-west-2:123456789012:layer:deps:1"
	eu := "arn:aws:lambda:eu-west-1:123456789012:layer:deps:7"
	l.add(west, &fakeLayer{zip: z})
	l.add(eu, &fakeLayer{zip: z})
	cache := t.TempDir()
	f := New(l.config(), cache)
	for _, arn := range []string{west, eu} {
		if path, err := f.Fetch(t.Context(), arn); err != nil || path != cachePath(cache, z) {
			t.Fatalf("%s: %s, %v", arn, path, err)
		}
	}
	if !slices.Equal(l.regions, []string{"us-west-2", "eu-west-1"}) {
		t.Errorf("GetLayerVersion signed for %v, want [us-west-2 eu-west-1]", l.regions)
	}
	if _, downloads := l.counts(); downloads != 1 {
		t.Errorf("%d downloads, want 1", downloads)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("LAYERKIT_CACHE_DIR", "/somewhere/else")
	if got, err := DefaultCacheDir(); got != "/somewhere/else" || err != nil {
		t.Errorf("with LAYERKIT_CACHE_DIR: %s, %v", got, err)
	}
	t.Setenv("LAYERKIT_CACHE_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	user, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	if got, err := DefaultCacheDir(); got != filepath.Join(user, "layerkit") || err != nil {
		t.Errorf("without: %s, %v; want %s", got, err, filepath.Join(user, "layerkit"))
	}
}

// TestFetchSweepsStaleTemps leaves in the cache a temporary file unwritten
// for two days (a killed process's), a fresh one (another process's live
// download) and a file of someone else's: a download removes only the
// first.
func TestFetchSweepsStaleTemps(t *testing.T) {
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	l.add(arnA, &fakeLayer{zip: z})
	cache := t.TempDir()
	layers := filepath.Join(cache, "layers")
	if err := os.MkdirAll(layers, 0o700); err != nil {
		t.Fatal(err)
	}
	stale, fresh, other := ".0a.zip.layerkit-tmp-1", ".0b.zip.layerkit-tmp-2", ".0c.zip.tmp"
	for _, n := range []string{stale, fresh, other} {
		if err := os.WriteFile(filepath.Join(layers, n), []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, n := range []string{stale, other} {
		if err := os.Chtimes(filepath.Join(layers, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	path, err := New(l.config(), cache).Fetch(t.Context(), arnA)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{other, fresh, filepath.Base(path)}
	slices.Sort(want)
	if got := cacheFiles(t, cache); !slices.Equal(got, want) {
		t.Errorf("cache holds %v, want %v", got, want)
	}
}
