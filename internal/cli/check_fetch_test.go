package cli

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// check --fetch-layers downloads the Serverless fixture's ARN-only layer
// through GetLayerVersion's Location, checks it with the function, and
// reads it from the cache the second time.
func TestCheckFetchLayers(t *testing.T) {
	var layerZip bytes.Buffer
	zw := zip.NewWriter(&layerZip)
	w, _ := zw.Create("python/.env")
	w.Write([]byte("TOKEN=x\n"))
	zw.Close()
	sum := sha256.Sum256(layerZip.Bytes())
	var api, downloads atomic.Int32
	var base string
	env := fakeAWS(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/zip":
			downloads.Add(1)
			w.Write(layerZip.Bytes())
		case strings.HasPrefix(r.URL.Path, "/2018-10-31/layers/") && strings.HasSuffix(r.URL.Path, "/versions/3"):
			api.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"Version": 3,
				"LayerVersionArn": "arn:aws:lambda:us-east-1:123456789012:layer:shared-tools:3",
				"Content":         map[string]any{"Location": base + "/zip", "CodeSha256": base64.StdEncoding.EncodeToString(sum[:]), "CodeSize": layerZip.Len()}})
		default:
			awsError(w, http.StatusNotFound, "ResourceNotFoundException", "no "+r.URL.Path)
		}
	})
	base = env["AWS_ENDPOINT_URL"]
	fixture := filepath.Join("..", "deploy", "serverless", "testdata", "sls3")
	cache := t.TempDir()
	for i := range 2 {
		res := runCLI(t, env, "check", fixture, "--fetch-layers", "--cache-dir", cache, "--format", "json")
		if res.code != 3 {
			t.Fatalf("run %d: exit %d, stderr %s", i, res.code, res.stderr)
		}
		var rep struct {
			Findings []struct{ Function, Rule, Artifact, Path string }
		}
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range rep.Findings {
			if f.Artifact == "arn:aws:lambda:us-east-1:123456789012:layer:shared-tools:3" {
				got = append(got, f.Function+" "+f.Rule+" "+f.Path)
			}
		}
		want := "lkfix-dev/ArmFnLambdaFunction (lkfix-dev-armFn) LK170 python/.env," +
			"lkfix-dev/NoHandlerFnLambdaFunction (lkfix-dev-noHandlerFn) LK170 python/.env"
		if strings.Join(got, ",") != want {
			t.Errorf("run %d: findings in the fetched layer %v, want %s", i, got, want)
		}
		if strings.Contains(res.stderr, "not checked: given only as an ARN") {
			t.Errorf("run %d: the fetched layer is still called unchecked: %s", i, res.stderr)
		}
	}
	if a, d := api.Load(), downloads.Load(); a != 2 || d != 1 {
		t.Errorf("%d GetLayerVersion calls and %d downloads, want 2 (one per run) and 1 (then the cache)", a, d)
	}
	// Without credentials for it, --fetch-layers is refused before any work.
	if res := runCLI(t, nil, "check", fixture, "--cache-dir", cache); res.code != 2 {
		t.Errorf("--cache-dir without --fetch-layers: exit %d, want 2", res.code)
	}
}
