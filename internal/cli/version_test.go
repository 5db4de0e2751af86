package cli

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/layerkit/layerkit", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	plat := runtime.GOOS + "/" + runtime.GOARCH
	if got, want := readVersion(bi), (VersionInfo{Version: "v1.4.0", Commit: "abc123", Date: "2026-11-30T10:00:00Z", Modified: true, GoVersion: "go1.99.1", Platform: plat}); got != want {
		t.Errorf("go install build:\ngot  %+v\nwant %+v", got, want)
	}
	if got := readVersion(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); got.Version != "dev" || got.GoVersion != runtime.Version() {
		t.Errorf("working tree build: %+v", got)
	}
	// A release stamps version, commit and date with -ldflags -X; they win.
	buildVersion, buildCommit, buildDate = "1.5.0", "def456", "2026-12-01T00:00:00Z"
	t.Cleanup(func() { buildVersion, buildCommit, buildDate = "", "", "" })
	if got := readVersion(bi); got.Version != "1.5.0" || got.Commit != "def456" || got.Date != "2026-12-01T00:00:00Z" {
		t.Errorf("release build: %+v", got)
	}
}

func TestVersionCommand(t *testing.T) {
	r := runCLI(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "layerkit  ") || !strings.Contains(r.stdout, "\ngo        go1.") {
		t.Errorf("text: %+v", r)
	}
	r = runCLI(t, nil, "version", "--format", "json")
	var v VersionInfo
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 || v.Version == "" || v.GoVersion == "" {
		t.Errorf("json: %v %+v", err, r)
	}
}
