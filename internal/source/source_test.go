package source

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/layers"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, v := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(v, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func rules(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Rule+" "+f.Path)
	}
	return out
}

// A folder whose manifest.json is some other tool's is checked as a folder;
// a CDK cloud assembly's is read as one (TestCDKFixture), never as
// layerkit's.
func TestOtherManifestsAreFolders(t *testing.T) {
	for name, manifest := range map[string]string{
		"web app":  `{"name":"My PWA","start_url":"/"}`,
		"not json": `manifest`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{"handler.py": "x", "manifest.json": manifest, ".env": "S=1"})
			res, err := Run(t.Context(), Request{Paths: []string{dir}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Files != 3 || len(res.Findings) != 1 || res.Findings[0].Rule != lint.RuleSecret {
				t.Errorf("files %d, findings %q", res.Files, rules(res))
			}
		})
	}
	dir := t.TempDir()
	write(t, dir, map[string]string{"manifest.json": `{"version":"36.0.0","artifacts":{"Stack":{"type":"aws:cloudformation:stack"}}}`})
	if _, err := Run(t.Context(), Request{Paths: []string{dir}}); err == nil || !strings.Contains(err.Error(), "manifest.json: stack Stack names no templateFile") {
		t.Errorf("a CDK manifest without its template: err = %v, want the assembly's problem", err)
	}
	p := filepath.Join(t.TempDir(), "other.json")
	write(t, filepath.Dir(p), map[string]string{"other.json": `{"name":"x"}`})
	if _, err := Run(t.Context(), Request{Paths: []string{p}}); !errors.Is(err, ErrNotManifest) {
		t.Errorf("a .json named outright: err = %v, want ErrNotManifest", err)
	}
}

// A manifest is input like any other: its paths stay in its folder and its
// targets are runtimes the catalog knows.
func TestManifestIsUntrusted(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, map[string]string{"lib/x.py": "x"})
	for name, tt := range map[string]struct{ manifest, want string }{
		"dot-dot":  {`{"version":1,"artifacts":[{"kind":"function","name":"main","path":"../../../../x"}]}`, "leaves the build folder"},
		"absolute": {`{"version":1,"artifacts":[{"kind":"function","name":"main","path":"/usr/lib"}]}`, "leaves the build folder"},
		"link out": {`{"version":1,"artifacts":[{"kind":"function","name":"main","path":"out"}]}`, "outside the build folder"},
		"runtime":  {`{"version":1,"artifacts":[{"kind":"layer","name":"l","runtime":"python3.100","arch":"x86_64","path":"l.zip"}]}`, "python3.100"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{"manifest.json": tt.manifest, "out": "->" + outside})
			_, err := Run(t.Context(), Request{Paths: []string{dir}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// A path that is a symlink to a folder is that folder.
func TestSymlinkedPathIsItsFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"real/python/x.py": "x", "real/.env": "S=1", "link": "->real"})
	link := filepath.Join(dir, "link")
	for _, req := range []Request{{Paths: []string{link}}, {Layers: []string{link}}} {
		res, err := Run(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := rules(res); res.Files != 2 || !slices.Contains(got, "LK170 .env") {
			t.Errorf("%+v: %d files, findings %q", req, res.Files, rules(res))
		}
	}
}

// Named pipes are refused by type before anything opens them.
func TestNamedPipesNeverBlock(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"code/a.py": "x"})
	for _, p := range []string{"pipe.zip", "code/manifest.json", "code/pipe"} {
		if err := syscall.Mkfifo(filepath.Join(dir, p), 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	if _, err := Run(t.Context(), Request{Paths: []string{filepath.Join(dir, "pipe.zip")}}); err == nil || !strings.Contains(err.Error(), "neither a folder nor a zip") {
		t.Errorf("a pipe named outright: err = %v", err)
	}
	res, err := Run(t.Context(), Request{Paths: []string{filepath.Join(dir, "code")}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rules(res), ",")
	if got != "LK195 manifest.json,LK195 pipe" {
		t.Errorf("findings = %s", got)
	}
}

// An interrupted check returns the context's error, never a report.
func TestCanceledCheckHasNoReport(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.py": "x", "b/c.py": "y"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if res, err := Run(ctx, Request{Paths: []string{dir}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %+v, %v; want context.Canceled", res, err)
	}
}

// A build's manifest gives one bundle per target: the function's code at
// /var/task plus that target's layers at /opt.
func TestBuildBundles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"main/app.py":          "x",
		"layers/a/python/x.py": "x",
		"layers/b/python/y.py": "y",
		"manifest.json": `{"version":1,"artifacts":[{"kind":"function","name":"main","path":"main"},
			{"kind":"layer","name":"a","runtime":"python3.12","arch":"x86_64","path":"layers/a"},
			{"kind":"layer","name":"b","runtime":"python3.12","arch":"arm64","path":"layers/b"}]}`,
	})
	bs, res, err := Bundles(t.Context(), Request{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || res.Artifacts != 3 {
		t.Fatalf("%d bundles from %d artifacts", len(bs), res.Artifacts)
	}
	for _, b := range bs {
		if len(b.Mounts) != 2 || b.Mounts[0].Path != lint.TaskRoot || b.Mounts[1].Path != lint.LayerRoot {
			t.Errorf("%s: mounts %+v", b.Target, b.Mounts)
		}
	}
	if _, _, err := Bundles(t.Context(), Request{Paths: []string{dir}, Arch: layers.ARM64, Runtime: "python3.9"}); !errors.Is(err, ErrNoTargets) {
		t.Errorf("no matching target: err = %v", err)
	}
}

// --verify reads every zip entry whole: a .py whose CRC-32 is wrong is
// found then, and only then.
func TestVerifyReadsEveryEntry(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	data := []byte("print('hello')\n")
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "app.py", Method: zip.Store, CRC32: 0x1234,
		CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	zw.Close()
	p := filepath.Join(t.TempDir(), "badcrc.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verify := range []bool{false, true} {
		res, err := Run(t.Context(), Request{Paths: []string{p}, Verify: verify})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(rules(res), "LK193 app.py"); got != verify {
			t.Errorf("verify %v: findings %q", verify, rules(res))
		}
	}
}

// A zip that differs from what its build recorded is LK198: by its size
// always, by its SHA-256 with --verify.
func TestBuildChangedSinceManifest(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	w.Write([]byte("x = 1\n"))
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "main.zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	manifest := func(size int, sha string) {
		t.Helper()
		m := fmt.Sprintf(`{"version":1,"artifacts":[{"kind":"function","name":"main","path":"main.zip","sha256":%q,"zipped_bytes":%d}]}`, sha, size)
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		size   int
		sha    string
		verify bool
		want   bool
	}{
		{buf.Len(), hex.EncodeToString(sum[:]), true, false},
		{buf.Len() + 1, hex.EncodeToString(sum[:]), false, true},
		{buf.Len(), strings.Repeat("0", 64), false, false}, // the SHA-256 is read only with --verify
		{buf.Len(), strings.Repeat("0", 64), true, true},
	} {
		manifest(tt.size, tt.sha)
		res, err := Run(t.Context(), Request{Paths: []string{dir}, Verify: tt.verify})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(rules(res), "LK198 "); got != tt.want {
			t.Errorf("size %d, sha %.8s, verify %v: findings %q", tt.size, tt.sha, tt.verify, rules(res))
		}
	}
}
