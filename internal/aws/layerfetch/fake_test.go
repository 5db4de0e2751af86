package layerfetch

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// fakeLambda answers GetLayerVersion as Lambda does, with a Location on
// itself standing for S3's presigned URL, and serves the zips there. It
// counts what it is asked.
type fakeLambda struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	layers    map[string]*fakeLayer // by layer version ARN
	byKey     map[string]*fakeLayer // by download key
	api       int                   // GetLayerVersion calls
	downloads int                   // downloads started
	regions   []string              // the region each GetLayerVersion was signed for
}

// fakeLayer is one layer version. Lambda declares zip's size and SHA-256
// (or size, when set); the download serves body (zip when nil).
type fakeLayer struct {
	zip     []byte
	body    []byte
	size    int64
	chunked bool   // serve without Content-Length
	status  int    // the download's status; 0 is 200
	apiErr  string // an error code GetLayerVersion answers with
	// hold, when set, makes the download send half its body, say so on
	// sent, and send the rest once hold is closed.
	hold chan struct{}
	sent chan struct{}
	// location replaces the Location Lambda gives.
	location string
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/lambda/`)

func newFakeLambda(t *testing.T) *fakeLambda {
	l := &fakeLambda{t: t, layers: map[string]*fakeLayer{}, byKey: map[string]*fakeLayer{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-10-31/layers/{layer}/versions/{n}", l.getLayerVersion)
	mux.HandleFunc("GET /s3/{key}", l.serve)
	l.srv = httptest.NewServer(mux)
	t.Cleanup(l.srv.Close)
	return l
}

// config returns an SDK config that sends every call to the fake, once.
func (l *fakeLambda) config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
		BaseEndpoint: aws.String(l.srv.URL),
		HTTPClient:   l.srv.Client(),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// add publishes a layer version under arn.
func (l *fakeLambda) add(arn string, v *fakeLayer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.layers[arn] = v
	key := fmt.Sprintf("k%d", len(l.byKey))
	l.byKey[key] = v
	if v.location == "" {
		v.location = l.srv.URL + "/s3/" + key + "?X-Amz-Security-Token=presigned-token&X-Amz-Signature=presigned-signature"
	}
}

func (l *fakeLambda) counts() (api, downloads int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.api, l.downloads
}

func (l *fakeLambda) getLayerVersion(w http.ResponseWriter, r *http.Request) {
	arn := r.PathValue("layer") + ":" + r.PathValue("n")
	l.mu.Lock()
	l.api++
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		l.regions = append(l.regions, m[1])
	}
	v := l.layers[arn]
	l.mu.Unlock()
	apiErr := func(status int, code string) {
		w.Header().Set("X-Amzn-Errortype", code)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"Type":"User","Message":"%s for %s"}`, code, arn)
	}
	switch {
	case v == nil:
		apiErr(http.StatusNotFound, "ResourceNotFoundException")
		return
	case v.apiErr == "AccessDeniedException":
		apiErr(http.StatusForbidden, v.apiErr)
		return
	case v.apiErr != "":
		apiErr(http.StatusTooManyRequests, v.apiErr)
		return
	}
	sum := sha256.Sum256(v.zip)
	size := v.size
	if size == 0 {
		size = int64(len(v.zip))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"Content":         map[string]any{"Location": v.location, "CodeSha256": base64.StdEncoding.EncodeToString(sum[:]), "CodeSize": size},
		"LayerVersionArn": arn,
	})
}

func (l *fakeLambda) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("X-Amz-Signature") != "presigned-signature" {
		http.Error(w, "unsigned", http.StatusForbidden)
		return
	}
	l.mu.Lock()
	l.downloads++
	v := l.byKey[r.PathValue("key")]
	l.mu.Unlock()
	body := v.body
	if body == nil {
		body = v.zip
	}
	if v.status != 0 {
		http.Error(w, "refused", v.status)
		return
	}
	if !v.chunked {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	}
	if v.hold != nil {
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		v.sent <- struct{}{}
		select {
		case <-v.hold:
		case <-r.Context().Done():
			return
		}
		body = body[len(body)/2:]
	} else if v.chunked {
		w.(http.Flusher).Flush()
	}
	w.Write(body)
}

// layerZip returns a small zip holding one file whose content is seed.
func layerZip(t *testing.T, seed string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("python/" + seed + ".py")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "VALUE = %q\n", seed)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cachePath is where a Fetcher keeps z under cache.
func cachePath(cache string, z []byte) string {
	sum := sha256.Sum256(z)
	return filepath.Join(cache, "layers", hex.EncodeToString(sum[:])+".zip")
}

// cacheFiles lists the names in cache/layers.
func cacheFiles(t *testing.T, cache string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(cache, "layers"))
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
