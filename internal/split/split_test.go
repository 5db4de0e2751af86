package split

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// tree writes files (content "x"), folders (names ending in '/') and
// symlinks ("name@target").
func tree(t *testing.T, paths ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range paths {
		if name, target, ok := strings.Cut(p, "@"); ok {
			full := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.FromSlash(target), full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(es []zipper.Entry) string {
	var s []string
	for _, e := range es {
		n := e.Name
		switch e.Type {
		case zipper.TypeDir:
			n += "/"
		case zipper.TypeSymlink:
			n += "@"
		}
		s = append(s, n)
	}
	return strings.Join(s, " ")
}

func plan(t *testing.T, dir string) *Plan {
	t.Helper()
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanBuild(t.Context(), c, filepath.Join(dir, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanConvention(t *testing.T) {
	dir := tree(t,
		"handler.py", "app/core.py", "app/__pycache__/core.cpython-312.pyc", "app/old.pyc",
		".git/HEAD", ".venv/pyvenv.cfg", "myenv/pyvenv.cfg", "myenv/lib/x.py",
		".env", ".env.example", "certs/server.pem", ".aws/credentials", "id_rsa",
		"dist/main.zip", "empty/",
		"layers/python3.12-arm64/python/pkg/__init__.py", "layers/python3.12-arm64/lib/libx.so",
		"layers/python3.12-arm64/python/pkg/__pycache__/a.pyc",
		"layers/python3.9-x86_64/python/pkg/__init__.py",
	)
	p := plan(t, dir)
	if len(p.Artifacts) != 3 {
		t.Fatalf("%d artifacts", len(p.Artifacts))
	}
	main := p.Artifacts[0]
	if got, want := names(main.Entries), ".env.example app/ app/core.py empty/ handler.py"; got != want {
		t.Errorf("main entries:\n got %s\nwant %s", got, want)
	}
	l := p.Artifacts[1]
	if l.Path != "layers/deps-python3.12-arm64.zip" || l.Target != (layers.Target{Runtime: "python3.12", Arch: layers.ARM64}) {
		t.Errorf("layer artifact %s %v", l.Path, l.Target)
	}
	if got, want := names(l.Entries), "lib/ lib/libx.so python/ python/pkg/ python/pkg/__init__.py"; got != want {
		t.Errorf("layer entries:\n got %s\nwant %s", got, want)
	}
	secrets := map[string]bool{}
	var other []string
	for _, e := range p.Excluded {
		if e.Secret {
			secrets[e.Path] = true
		} else {
			other = append(other, e.Path)
		}
	}
	for _, s := range []string{".env", "certs/server.pem", ".aws/", "id_rsa"} {
		if !secrets[s] {
			t.Errorf("secret %s not reported (secrets: %v)", s, secrets)
		}
	}
	if got := strings.Join(other, " "); got != ".git/ .venv/ app/__pycache__/ app/old.pyc myenv/ layers/python3.12-arm64/python/pkg/__pycache__/" {
		t.Errorf("excluded: %s", got)
	}
	// certs/ held only a secret: no empty folder is left in the zip.
	if strings.Contains(names(main.Entries), "certs/") {
		t.Errorf("emptied folder kept")
	}
}

func TestPlanConfigIncludeExclude(t *testing.T) {
	dir := tree(t, "src/handler.py", "src/lib/util.py", "src/lib/README.md", "src/tests/test_x.py", "src/data/big.csv",
		"deps/a/python/x.py")
	cfg := `version: 1
main:
  root: src
  include: ["**/*.py", "data/**"]
  exclude: ["tests/**"]
layers:
  shared:
    exclude: ["**/*.md"]
    targets: [{runtime: python3.12, arch: x86_64, from: deps/a}]
`
	if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := plan(t, dir)
	if got, want := names(p.Artifacts[0].Entries), "data/ data/big.csv handler.py lib/ lib/util.py"; got != want {
		t.Errorf("main:\n got %s\nwant %s", got, want)
	}
	if p.Artifacts[1].Path != "layers/shared-python3.12-x86_64.zip" {
		t.Errorf("layer path %s", p.Artifacts[1].Path)
	}
}

func TestPlanLayout(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		err   string
		warn  string
	}{
		{"wrapped", []string{"layers/python3.12-arm64/mylayer/python/x.py"}, "wraps its content one level too deep: mylayer/python/ would land in /opt/mylayer/python/", ""},
		{"nothing known", []string{"layers/python3.12-arm64/stuff.py"}, "holds none of the folders python3.12 reads at a layer's top level (bin/, extensions/, lib/, python/)", ""},
		{"says what it holds", []string{"layers/python3.12-arm64/stuff.py", "layers/python3.12-arm64/site-packages/x.py"}, "; it holds site-packages/, stuff.py, which would land in /opt/", ""},
		{"empty", []string{"layers/python3.12-arm64/"}, "layer folder layers/python3.12-arm64 is empty: a python3.12 layer needs bin/, extensions/, lib/, python/ at its top level", ""},
		{"provided without bootstrap", []string{"layers/provided.al2023-arm64/main"}, "(bin/, extensions/, lib/ or a bootstrap file)", ""},
		{"link to a folder", []string{"layers/python3.12-arm64/python/x.py", "layers/python3.12-arm64/docs/a.md", "layers/python3.12-arm64/docs2@docs"}, "", "layers/python3.12-arm64/docs2/ lands in /opt/docs2/"},
		{"extra folder", []string{"layers/python3.12-arm64/python/x.py", "layers/python3.12-arm64/docs/a.md"}, "", "layers/python3.12-arm64/docs/ lands in /opt/docs/, which python3.12 does not read"},
		{"provided bootstrap", []string{"layers/provided.al2023-arm64/bootstrap"}, "", ""},
		{"node", []string{"layers/nodejs22.x-x86_64/nodejs/node_modules/a/index.js"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t, tt.files...)
			c, err := config.Load(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := PlanBuild(t.Context(), c, filepath.Join(dir, "dist"))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.Warnings, "\n"); !strings.Contains(got, tt.warn) || (tt.warn == "" && got != "") {
				t.Errorf("warnings %q, want %q", got, tt.warn)
			}
		})
	}
}

func TestScanRefusesWhatCannotBePackaged(t *testing.T) {
	outside := tree(t, "secret.txt")
	dir := tree(t, "ok.txt", "sub/inner.txt")
	links := map[string]string{
		"abs":       filepath.Join(outside, "secret.txt"),
		"up":        "../" + filepath.Base(outside) + "/secret.txt",
		"sub/up2":   "../../x",
		"dangling":  "nothing-here",
		"loop-a":    "loop-b",
		"loop-b":    "loop-a",
		"good":      "ok.txt",
		"sub/good2": "../ok.txt",
		"gooddir":   "sub",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Scan(t.Context(), dir, func(string, bool) Verdict { return Verdict{} })
	var se ScanErrors
	if !errors.As(err, &se) {
		t.Fatalf("Scan = %v, want ScanErrors", err)
	}
	got := map[string]error{}
	for _, e := range se {
		got[filepath.Base(e.Path)] = e.Err
	}
	want := map[string]error{
		"abs": ErrSymlinkEscapes, "up": ErrSymlinkEscapes, "up2": ErrSymlinkEscapes,
		"dangling": ErrSymlinkBroken, "loop-a": ErrSymlinkBroken, "loop-b": ErrSymlinkBroken,
		"fifo": ErrSpecialFile,
	}
	for name, w := range want {
		if !errors.Is(got[name], w) {
			t.Errorf("%s: %v, want %v", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems %v", se)
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, "fifo")+": not a regular file, folder or symlink: a named pipe (FIFO), which a zip cannot hold") {
		t.Errorf("error does not name the file and what it is: %v", err)
	}
	// Without the bad ones, the good links are kept as links.
	for _, name := range []string{"abs", "up", "sub/up2", "dangling", "loop-a", "loop-b", "fifo"} {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	es, _, err := Scan(t.Context(), dir, func(string, bool) Verdict { return Verdict{} })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(es), "good@ gooddir@ ok.txt sub/ sub/good2@ sub/inner.txt"; got != want {
		t.Errorf("entries %s, want %s", got, want)
	}
}

// TestPlanSecretsAnyCase: secrets are kept out whatever the case of their
// names, and templates stay in.
func TestPlanSecretsAnyCase(t *testing.T) {
	dir := tree(t, "app.py", ".ENV", ".AWS/credentials", "ID_RSA", "certs/server.PEM", "tls.Key", ".Env.Example")
	p := plan(t, dir)
	if got, want := names(p.Artifacts[0].Entries), ".Env.Example app.py"; got != want {
		t.Errorf("main entries:\n got %s\nwant %s", got, want)
	}
	var secrets []string
	for _, e := range p.Excluded {
		if e.Secret {
			secrets = append(secrets, e.Path)
		}
	}
	if got, want := strings.Join(secrets, " "), ".AWS/ .ENV ID_RSA certs/server.PEM tls.Key"; got != want {
		t.Errorf("secrets reported: %s, want %s", got, want)
	}
}

// TestPlanFollowsLinksInsideProject: a layers/<runtime>-<arch> that links
// to a folder inside the project is that layer's folder, and the folder it
// links to is not also packaged as function code.
func TestPlanFollowsLinksInsideProject(t *testing.T) {
	dir := tree(t, "app.py", "shared/python/m.py", "layers/python3.12-x86_64@../shared")
	p := plan(t, dir)
	if len(p.Artifacts) != 2 {
		t.Fatalf("%d artifacts, want main and the linked layer", len(p.Artifacts))
	}
	if got, want := names(p.Artifacts[0].Entries), "app.py"; got != want {
		t.Errorf("main entries %s, want %s", got, want)
	}
	if got, want := names(p.Artifacts[1].Entries), "python/ python/m.py"; got != want {
		t.Errorf("layer entries %s, want %s", got, want)
	}

	// layers/ itself a link inside the project: the folder it links to is
	// the layers' too, not function code.
	dir = tree(t, "app.py", "build/layers/python3.12-x86_64/python/m.py", "layers@build/layers")
	p = plan(t, dir)
	if len(p.Artifacts) != 2 || names(p.Artifacts[0].Entries) != "app.py" || names(p.Artifacts[1].Entries) != "python/ python/m.py" {
		t.Errorf("through a linked layers/: %d artifacts, main %s", len(p.Artifacts), names(p.Artifacts[0].Entries))
	}
}

// TestPlanRefusesLinksOutOfProject: even given a config that was never
// validated, a main root or layer folder reached through a link that leads
// out of the project is refused, and nothing is planned from it.
func TestPlanRefusesLinksOutOfProject(t *testing.T) {
	base := tree(t, "outside/python/stolen.py", "p/app.py", "p/src@../outside", "p/deps@../outside")
	dir := filepath.Join(base, "p")
	for _, c := range []*config.Config{
		{Dir: dir, Main: config.Main{Root: "src"}},
		{Dir: dir, Main: config.Main{Root: "."}, Layers: map[string]config.Layer{
			"deps": {Targets: []config.TargetSpec{{Runtime: "python3.12", Arch: "x86_64", From: "deps"}}}}},
	} {
		p, err := PlanBuild(t.Context(), c, filepath.Join(dir, "dist"))
		var le *config.LinkError
		if !errors.Is(err, config.ErrOutsideProject) || !errors.As(err, &le) {
			t.Fatalf("PlanBuild = %v, %v; want a *config.LinkError", p, err)
		}
		if !strings.Contains(err.Error(), "is a symlink to ../outside, which resolves to "+filepath.Join(base, "outside")) {
			t.Errorf("error does not name the link and its target: %v", err)
		}
	}
}

// TestPlanRefusesLinksToLeftOutFiles: a symlink whose target is left out
// (a secret, an excluded file, a file include does not match) would dangle
// on Lambda: each is an error naming the link, its target and why the
// target is left out. Links to what is packaged, directly or through other
// links, are kept.
func TestPlanRefusesLinksToLeftOutFiles(t *testing.T) {
	dir := tree(t, "app.py", ".env", "settings@.env", "chain@settings", "tests/t.py", "t_link.py@tests/t.py",
		"ok.py@app.py", "sub/x.py", "dirlink@sub", "deep.py@dirlink/x.py", "up.py@sub/../app.py",
		"docs/a.md", "doc@docs/a.md")
	cfg := "version: 1\nmain:\n  include: [\"**/*.py\", \"*link*\", \"settings\", \"chain\", \"doc\", \"ok.py\"]\n  exclude: [\"tests/**\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = PlanBuild(t.Context(), c, filepath.Join(dir, "dist"))
	var se ScanErrors
	if !errors.As(err, &se) {
		t.Fatalf("PlanBuild = %v, want ScanErrors", err)
	}
	got := map[string]string{}
	for _, e := range se {
		if !errors.Is(e, ErrLinkTargetLeftOut) {
			t.Errorf("unexpected problem %v", e)
		}
		got[filepath.Base(e.Path)] = e.Err.Error()
	}
	want := map[string]string{
		"settings":  "settings -> .env, and .env is left out (environment file, a secret)",
		"chain":     "chain -> settings, and .env is left out (environment file, a secret)",
		"t_link.py": `t_link.py -> tests/t.py, and tests/t.py is left out (main.exclude "tests/**")`,
		"doc":       "doc -> docs/a.md, and docs/a.md is left out (not matched by main.include)",
	}
	for name, w := range want {
		if !strings.Contains(got[name], w) {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems for %v, want only %v", got, want)
	}
}

// TestPlanRefusesCostlyGlobs: a glob whose braces expand to millions of
// patterns (matched one by one, for every file) is refused before any file
// is matched, even in a config that was never validated.
func TestPlanRefusesCostlyGlobs(t *testing.T) {
	dir := tree(t, "app.py", strings.Repeat("a", 30))
	glob := strings.Repeat("{a,a}", 22) + "b" // 4,194,304 expansions
	for _, c := range []*config.Config{
		{Dir: dir, Main: config.Main{Root: ".", Exclude: []string{glob}}},
		{Dir: dir, Main: config.Main{Root: ".", Include: []string{"*.py", glob}}},
	} {
		_, err := PlanBuild(t.Context(), c, filepath.Join(dir, "dist"))
		var ge *config.GlobError
		if !errors.As(err, &ge) || ge.Glob != glob {
			t.Errorf("PlanBuild = %v, want a *config.GlobError for the glob", err)
		}
	}
}

// TestScanStopsWhenCancelled: a cancelled context stops the walk at the
// next file, and its error is returned.
func TestScanStopsWhenCancelled(t *testing.T) {
	var paths []string
	for i := range 100 {
		paths = append(paths, fmt.Sprintf("f%03d.py", i))
	}
	dir := tree(t, paths...)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var calls atomic.Int32
	_, _, err := Scan(ctx, dir, func(string, bool) Verdict {
		calls.Add(1)
		cancel()
		return Verdict{}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan = %v, want context.Canceled", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the filter ran %d times after the walk was cancelled, want once", n)
	}
	c := &config.Config{Dir: dir, Main: config.Main{Root: "."}}
	if _, err := PlanBuild(ctx, c, filepath.Join(dir, "dist")); !errors.Is(err, context.Canceled) {
		t.Errorf("PlanBuild = %v, want context.Canceled", err)
	}
}

// TestPlanRefusesSpecialRoots: a main root or layer folder that is a FIFO
// is refused by type, before anything opens it (an open would wait for a
// writer forever), even in a config that was never validated.
func TestPlanRefusesSpecialRoots(t *testing.T) {
	dir := tree(t, "app.py")
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Should anything open the FIFO for reading, a writer comes, and the
	// test fails on the error rather than hanging.
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}()
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	for _, c := range []*config.Config{
		{Dir: dir, Main: config.Main{Root: "pipe"}},
		{Dir: dir, Main: config.Main{Root: "."}, Layers: map[string]config.Layer{
			"deps": {Targets: []config.TargetSpec{{Runtime: "python3.12", Arch: "x86_64", From: "pipe"}}}}},
	} {
		_, err := PlanBuild(t.Context(), c, filepath.Join(dir, "dist"))
		if want := fifo + ": a named pipe (FIFO), not a folder"; err == nil || err.Error() != want {
			t.Errorf("PlanBuild = %v, want %q", err, want)
		}
	}
}

// TestPlanKeepsCABundles: a .pem that holds only certificates (certifi's
// cacert.pem, which requests needs for every TLS connection) is packaged;
// one with a private key is a secret, left out.
func TestPlanKeepsCABundles(t *testing.T) {
	dir := tree(t, "app.py")
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	for name, data := range map[string]string{
		"certifi/cacert.pem": cert + cert,
		"tls/server.pem":     cert + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
		"tls/empty.pem":      "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := plan(t, dir)
	if got, want := names(p.Artifacts[0].Entries), "app.py certifi/ certifi/cacert.pem"; got != want {
		t.Errorf("main entries:\n got %s\nwant %s", got, want)
	}
}
