//go:build unix

package build_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/layerkit/layerkit/internal/build"
	"github.com/layerkit/layerkit/internal/config"
)

// childEnv, when set in the environment, makes the test binary run one
// build (of the project folder it names, into the output folder in
// childOut, "" for the config's) instead of the tests, so that the build
// can run as another user. It prints the build's error and exits 1 on one.
const (
	childEnv = "LAYERKIT_TEST_BUILD_PROJECT"
	childOut = "LAYERKIT_TEST_BUILD_OUT"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		c, err := config.Load(dir, "")
		if err == nil {
			_, err = build.Run(context.Background(), build.Options{Config: c, Out: os.Getenv(childOut), Level: -1})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hostileCase lays out, under base, a project folder proj/ (its output
// folder proj/dist) and a folder victim/ outside it, with links, FIFOs and
// a committed dist/ of some kind.
type hostileCase struct {
	name string
	lay  func(t *testing.T, base string)
	// ok says the build should succeed.
	ok bool
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	if err := syscall.Mkfifo(p, 0o666); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.Symlink(target, p))
}

func file(t *testing.T, p, content string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, []byte(content), 0o644))
}

// staleManifest lists paths in an old manifest, each with the size of
// the victim file it would reach.
func staleManifest(t *testing.T, base string, paths ...string) {
	var recs []string
	for _, p := range paths {
		recs = append(recs, `{"kind":"layer","name":"x","runtime":"python3.12","arch":"x86_64","path":"`+p+
			`","sha256":"","code_sha256":"","zipped_bytes":8,"unzipped_bytes":0,"files":0}`)
	}
	file(t, filepath.Join(base, "proj/dist/manifest.json"), `{"version":1,"artifacts":[`+strings.Join(recs, ",")+"]}")
}

var hostileCases = []hostileCase{
	{name: "layers-link-out", lay: func(t *testing.T, base string) {
		symlink(t, "../../victim", filepath.Join(base, "proj/dist/layers"))
		staleManifest(t, base, "layers/important.txt", "layers/main.zip", "../victim/important.txt")
	}},
	{name: "cache-link-out", lay: func(t *testing.T, base string) {
		symlink(t, "../../victim", filepath.Join(base, "proj/dist", build.CacheDir))
	}},
	{name: "dist-link-out", lay: func(t *testing.T, base string) {
		symlink(t, "../victim", filepath.Join(base, "proj/dist"))
	}},
	{name: "zip-and-index-links-out", ok: true, lay: func(t *testing.T, base string) {
		symlink(t, "../../victim/important.txt", filepath.Join(base, "proj/dist/main.zip"))
		symlink(t, "../../../victim/important.txt", filepath.Join(base, "proj/dist/layers/deps-python3.12-x86_64.zip"))
		symlink(t, "../../../victim/main.zip.index.json", filepath.Join(base, "proj/dist", build.CacheDir, "main.zip.index.json"))
		symlink(t, "../../victim/important.txt", filepath.Join(base, "proj/dist/manifest.json"))
	}},
	{name: "lock-link-out", lay: func(t *testing.T, base string) {
		symlink(t, "../../victim/important.txt", filepath.Join(base, "proj/dist", build.LockFile))
	}},
	{name: "temp-names-links-and-fifos", ok: true, lay: func(t *testing.T, base string) {
		symlink(t, "../../victim/important.txt", filepath.Join(base, "proj/dist/.main.zip.tmp-1"))
		symlink(t, "../../../victim", filepath.Join(base, "proj/dist/layers/.deps-python3.12-x86_64.zip.tmp-2"))
		mkfifo(t, filepath.Join(base, "proj/dist", build.CacheDir, ".main.zip.index.json.tmp-3"))
		// Only regular files of that naming are removed; these stay.
	}},
	{name: "fifos-in-dist", ok: true, lay: func(t *testing.T, base string) {
		mkfifo(t, filepath.Join(base, "proj/dist/manifest.json"))
		mkfifo(t, filepath.Join(base, "proj/dist", build.CacheDir, "main.zip.index.json"))
		mkfifo(t, filepath.Join(base, "proj/dist/main.zip"))
	}},
	{name: "fifo-lock", lay: func(t *testing.T, base string) {
		mkfifo(t, filepath.Join(base, "proj/dist", build.LockFile))
	}},
	{name: "fifo-in-project", lay: func(t *testing.T, base string) {
		mkfifo(t, filepath.Join(base, "proj/pipe.py"))
	}},
	{name: "layer-file-links-out", lay: func(t *testing.T, base string) {
		symlink(t, "../../../../victim/important.txt", filepath.Join(base, "proj/layers/python3.12-x86_64/python/secret.py"))
	}},
}

// TestBuildInHostileTree builds projects laid with links and FIFOs
// pointing out of the output folder, and a committed dist/, as root and
// (when the tests run as root) as the user nobody, who may write
// everything in the tree: nothing outside the output folder may change,
// whether the build succeeds or refuses, and no build may hang.
func TestBuildInHostileTree(t *testing.T) {
	users := []*user.User{nil} // nil: this process's user
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("nobody"); err == nil {
			users = append(users, u)
		} else {
			t.Logf("no user nobody: running as root only")
		}
	} else {
		t.Logf("not root: running as this user only")
	}
	self, err := os.Executable()
	must(t, err)
	for _, u := range users {
		who := "self"
		if u != nil {
			who = u.Username
		}
		for _, hc := range hostileCases {
			t.Run(who+"/"+hc.name, func(t *testing.T) {
				base := t.TempDir()
				dir := filepath.Join(base, "proj")
				file(t, filepath.Join(dir, "app.py"), "x = 1\n")
				file(t, filepath.Join(dir, "layers/python3.12-x86_64/python/m.py"), "y = 1\n")
				file(t, filepath.Join(base, "victim/important.txt"), "precious")
				file(t, filepath.Join(base, "victim/main.zip.index.json"), "{}")
				hc.lay(t, base)
				bin := self
				if u != nil {
					bin = giveTo(t, u, base, self)
				}
				out := filepath.Join(dir, "dist")
				before := treeExcept(t, base, out)
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a hang guard, not a speed test
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, "-test.run=^$")
				cmd.Env = append(os.Environ(), childEnv+"="+dir)
				if u != nil {
					uid, _ := strconv.Atoi(u.Uid)
					gid, _ := strconv.Atoi(u.Gid)
					cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
				}
				msg, err := cmd.CombinedOutput()
				if ctx.Err() != nil {
					t.Fatalf("the build hung: %s", msg)
				}
				if (err == nil) != hc.ok {
					t.Errorf("build: %v, want success %v\n%s", err, hc.ok, msg)
				}
				if after := treeExcept(t, base, out); after != before {
					t.Errorf("the build changed files outside %s:\nbefore:\n%s\nafter:\n%s", out, before, after)
				}
				if hc.ok {
					checkManifest(t, out)
				}
				t.Logf("%s", msg)
			})
		}
	}
}

// giveTo makes the tree under base u's, and the folders leading to it
// searchable, and returns a copy of the test binary u can run.
func giveTo(t *testing.T, u *user.User, base, self string) string {
	t.Helper()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for d := base; d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			must(t, os.Chmod(d, fi.Mode().Perm()|0o711))
		}
	}
	bin := filepath.Join(base, "build.test")
	b, err := os.ReadFile(self)
	must(t, err)
	must(t, os.WriteFile(bin, b, 0o755))
	must(t, filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	}))
	return bin
}

// treeExcept is tree(base) without what lies under out.
func treeExcept(t *testing.T, base, out string) string {
	t.Helper()
	var kept []string
	for _, line := range strings.Split(tree(t, base), "\n") {
		if !strings.HasPrefix(line, out+"/") && !strings.HasPrefix(line, out+" ") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}
