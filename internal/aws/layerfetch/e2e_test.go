package layerfetch_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/layerkit/layerkit/internal/aws/awstest"
	"github.com/layerkit/layerkit/internal/aws/layerfetch"
)

// storage stands in for where Lambda keeps layer zips. moto_server (5.2.1)
// answers GetLayerVersion with Content.Location "s3://", which nothing can
// download; storage puts each published zip in a bucket of moto's S3 and
// gives GetLayerVersion's answers a presigned GET URL for it instead, as
// Lambda gives one for its own bucket. CodeSha256 and CodeSize stay
// moto's, computed from what was published. It counts, per kind, the
// requests made through it.
type storage struct {
	t      *testing.T
	next   aws.HTTPClient
	s3     *s3.PresignClient
	bucket string

	mu        sync.Mutex
	locations map[string]string // layer version ARN → presigned URL
	api       int               // GetLayerVersion calls
	downloads int               // GETs of the bucket's objects
}

func newStorage(t *testing.T, cfg aws.Config, account string) *storage {
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	var next aws.HTTPClient = http.DefaultClient
	if cfg.HTTPClient != nil {
		next = cfg.HTTPClient
	}
	st := &storage{t: t, next: next, s3: s3.NewPresignClient(sc), bucket: "layers-" + account, locations: map[string]string{}}
	if _, err := sc.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(st.bucket)}); err != nil {
		t.Fatal(err)
	}
	return st
}

// publish publishes z as a layer version in region, keeps a copy in the
// bucket, and returns the version's ARN.
func (st *storage) publish(cfg aws.Config, region, name string, z []byte) string {
	t := st.t
	out, err := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region }).PublishLayerVersion(t.Context(),
		&lambda.PublishLayerVersionInput{LayerName: aws.String(name), Content: &ltypes.LayerVersionContentInput{ZipFile: z},
			CompatibleRuntimes: []ltypes.Runtime{ltypes.RuntimePython312}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.LayerVersionArn)
	key := fmt.Sprintf("snapshots/%s/%s-%d", region, name, out.Version)
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := sc.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &st.bucket, Key: &key, Body: bytes.NewReader(z)}); err != nil {
		t.Fatal(err)
	}
	req, err := st.s3.PresignGetObject(t.Context(), &s3.GetObjectInput{Bucket: &st.bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.locations[arn] = req.URL
	st.mu.Unlock()
	return arn
}

func (st *storage) counts() (api, downloads int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.api, st.downloads
}

func (st *storage) Do(r *http.Request) (*http.Response, error) {
	isAPI := r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/2018-10-31/layers/")
	st.mu.Lock()
	switch {
	case isAPI:
		st.api++
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/"+st.bucket+"/"):
		st.downloads++
	}
	st.mu.Unlock()
	resp, err := st.next.Do(r)
	if err != nil || !isAPI || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	if c, ok := v["Content"].(map[string]any); ok {
		st.mu.Lock()
		c["Location"] = st.locations[v["LayerVersionArn"].(string)]
		st.mu.Unlock()
	}
	body, _ = json.Marshal(v)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func motoZip(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("python/" + name + "/__init__.py")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "NAME = %q\n", name)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestMotoEndToEnd publishes layer versions in two regions of moto_server
// and fetches them by ARN: the bytes published come back; asking again
// asks nothing; a new Fetcher on the same cache asks Lambda but downloads
// nothing; a cached zip cut short is downloaded again; an ARN Lambda does
// not have is ErrNotFound, named.
func TestMotoEndToEnd(t *testing.T) {
	_, account, cfg := awstest.Moto(t)
	st := newStorage(t, cfg, account)
	east, west := motoZip(t, "east"), motoZip(t, "west")
	eastARN := st.publish(cfg, "us-east-1", "deps", east)
	westARN := st.publish(cfg, "us-west-2", "deps", west)
	fcfg := cfg.Copy()
	fcfg.HTTPClient = st
	cache := t.TempDir()
	f := layerfetch.New(fcfg, cache)

	check := func(step string, f *layerfetch.Fetcher, arn string, want []byte, api, downloads int) {
		t.Helper()
		path, err := f.Fetch(t.Context(), arn)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %s holds %d bytes (%v), want the %d published", step, path, len(got), err, len(want))
		}
		if gotAPI, gotDownloads := st.counts(); gotAPI != api || gotDownloads != downloads {
			t.Errorf("%s: %d GetLayerVersion, %d downloads in all; want %d, %d", step, gotAPI, gotDownloads, api, downloads)
		}
	}
	check("first fetch", f, eastARN, east, 1, 1)
	check("same Fetcher again", f, eastARN, east, 1, 1)
	check("other region", f, westARN, west, 2, 2)
	check("new Fetcher, same cache", layerfetch.New(fcfg, cache), eastARN, east, 3, 2)

	path, _ := f.Fetch(t.Context(), eastARN)
	if err := os.Truncate(path, int64(len(east)/2)); err != nil {
		t.Fatal(err)
	}
	check("cached zip cut short", layerfetch.New(fcfg, cache), eastARN, east, 4, 3)

	missing := eastARN[:strings.LastIndexByte(eastARN, ':')] + ":9"
	_, err := f.Fetch(t.Context(), missing)
	if !errors.Is(err, layerfetch.ErrNotFound) || !strings.Contains(fmt.Sprint(err), missing) {
		t.Errorf("%s: %v, want ErrNotFound naming it", missing, err)
	}
}
