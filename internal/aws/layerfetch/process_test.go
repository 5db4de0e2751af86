package layerfetch

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestFetchTwoProcesses runs two processes (this test binary again) that
// download the same zip into one cache at the same time: while both are
// halfway, the zip's name is absent; then both print its path and the
// cache holds the whole zip and nothing else.
func TestFetchTwoProcesses(t *testing.T) {
	if cache := os.Getenv("LAYERFETCH_CHILD_CACHE"); cache != "" {
		cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
			BaseEndpoint: aws.String(os.Getenv("LAYERFETCH_CHILD_ENDPOINT")), Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
		path, err := New(cfg, cache).Fetch(t.Context(), arnA)
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("path=" + path + "\n")
		return
	}
	l := newFakeLambda(t)
	z := layerZip(t, "a")
	v := held(l, arnA, z)
	cache := t.TempDir()
	type result struct {
		out []byte
		err error
	}
	results := make(chan result, 2)
	for range 2 {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestFetchTwoProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LAYERFETCH_CHILD_CACHE="+cache, "LAYERFETCH_CHILD_ENDPOINT="+l.srv.URL)
		go func() {
			out, err := cmd.CombinedOutput()
			results <- result{out, err}
		}()
	}
	<-v.sent
	<-v.sent
	if _, err := os.Lstat(cachePath(cache, z)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("with both downloads half done, the zip's name: %v, want it absent", err)
	}
	close(v.hold)
	for range 2 {
		r := <-results
		if r.err != nil || !strings.Contains(string(r.out), "path="+cachePath(cache, z)+"\n") {
			t.Errorf("child: %v\n%s", r.err, r.out)
		}
	}
	if got, err := os.ReadFile(cachePath(cache, z)); err != nil || !bytes.Equal(got, z) {
		t.Errorf("cached zip: %d bytes, %v", len(got), err)
	}
	if api, downloads := l.counts(); api != 2 || downloads != 2 {
		t.Errorf("%d GetLayerVersion, %d downloads; want 2, 2 (one each)", api, downloads)
	}
	if got := cacheFiles(t, cache); len(got) != 1 {
		t.Errorf("cache holds %v, want the one zip", got)
	}
}
