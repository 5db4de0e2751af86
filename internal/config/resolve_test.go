package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// linkedProject makes base/outside/x/ and a project base/p holding the
// folders and "name@target" symlinks given, and returns base.
func linkedProject(t *testing.T, paths ...string) string {
	t.Helper()
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "outside", "x", "python"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		name, target, isLink := strings.Cut(p, "@")
		full := filepath.Join(base, "p", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if isLink {
			if err := os.Symlink(filepath.FromSlash(target), full); err != nil {
				t.Fatal(err)
			}
		} else if err := os.MkdirAll(full, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

func TestResolve(t *testing.T) {
	base := linkedProject(t, "src", "vendor/deps", "inlink@vendor/deps", "out@../outside", "a@../outside",
		"dang@nowhere", "vendor/up@../../outside/x", "vendor/back@../../p/src")
	real, err := filepath.EvalSymlinks(base)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "p")
	tests := []struct {
		rel      string
		want     string // relative to the real project folder, when no error
		link     string // the link a *LinkError names
		sentinel error
	}{
		{rel: "src", want: "src"},
		{rel: "inlink", want: "vendor/deps"},
		{rel: "vendor/../inlink", want: "vendor/deps"},
		{rel: "vendor/back", want: "src"}, // out and back in: the folder is inside
		{rel: ".", want: ""},
		{rel: "out", link: "out", sentinel: ErrOutsideProject},
		{rel: "a/x/python", link: "a", sentinel: ErrOutsideProject},
		{rel: "vendor/up", link: "vendor/up", sentinel: ErrOutsideProject},
		{rel: "dang", link: "dang", sentinel: fs.ErrNotExist},
		{rel: "../outside", sentinel: ErrOutsideProject},
		{rel: filepath.Join(base, "outside"), sentinel: ErrOutsideProject},
		{rel: "missing/x", sentinel: fs.ErrNotExist},
	}
	for _, tt := range tests {
		got, err := Resolve(dir, tt.rel)
		if tt.sentinel == nil {
			if want := filepath.Join(real, "p", filepath.FromSlash(tt.want)); err != nil || got != want {
				t.Errorf("Resolve(%q) = %q, %v; want %q", tt.rel, got, err, want)
			}
			continue
		}
		if !errors.Is(err, tt.sentinel) {
			t.Errorf("Resolve(%q) = %q, %v; want %v", tt.rel, got, err, tt.sentinel)
		}
		var le *LinkError
		if errors.As(err, &le) != (tt.link != "") || (le != nil && le.Link != tt.link) {
			t.Errorf("Resolve(%q): %v; want a *LinkError naming %q", tt.rel, err, tt.link)
		}
	}
}

// TestSymlinkedFoldersStayInProject: a from:, main.root or layers/ that is
// a symlink leading out of the project is refused, naming the link and
// where it points; links that stay inside are followed, and a linked
// layers/<runtime>-<arch> is a target rather than skipped.
func TestSymlinkedFoldersStayInProject(t *testing.T) {
	fromCfg := "version: 1\nlayers:\n  deps:\n    targets:\n      - {runtime: python3.12, arch: x86_64, from: deps}\n"
	tests := []struct {
		name  string
		paths []string
		cfg   string
		err   string // "" when the config loads
		from  string // the convention's target folder, when it loads
	}{
		{"from outside", []string{"deps@../outside/x"}, fromCfg,
			`layers.deps.targets[0].from: "deps": deps is a symlink to ../outside/x, which resolves to `, ""},
		{"from inside", []string{"vendor/x", "deps@vendor/x"}, fromCfg, "", ""},
		{"main.root outside", []string{"src@../outside"}, "version: 1\nmain:\n  root: src\n",
			`main.root: "src": src is a symlink to ../outside, which resolves to `, ""},
		{"layers outside", []string{"layers@../outside"}, "",
			"layers is a symlink to ../outside, which resolves to ", ""},
		{"target outside", []string{"layers/python3.12-x86_64@../../outside/x"}, "",
			"layers/python3.12-x86_64 is a symlink to ../../outside/x, which resolves to ", ""},
		{"target dangles", []string{"layers/python3.12-x86_64@../nowhere"}, "",
			"layers/python3.12-x86_64 is a symlink to ../nowhere, which does not resolve", ""},
		{"target inside", []string{"shared/python", "layers/python3.12-x86_64@../shared"}, "", "", "layers/python3.12-x86_64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(linkedProject(t, tt.paths...), "p")
			if tt.cfg != "" {
				if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(tt.cfg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c, err := Load(dir, "")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load = %v, want %q", err, tt.err)
				}
				if strings.Contains(tt.err, "resolves to") && !strings.Contains(err.Error(), "outside the project folder") {
					t.Errorf("error does not say the link leaves the project: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.from != "" {
				ts := c.Layers[ConventionLayer].Targets
				if len(ts) != 1 || ts[0].From != tt.from {
					t.Errorf("targets %+v, want one from %s", ts, tt.from)
				}
			}
		})
	}
}

// unblockFIFO opens the FIFO p for writing in the background, so that code
// which opens it for reading (as the code before this fix did) is not left
// waiting forever; the test then fails on what it read instead of hanging.
// At cleanup the FIFO is opened for reading without waiting, releasing the
// writer when nothing else did.
func unblockFIFO(t *testing.T, p string) {
	t.Helper()
	go func() {
		if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}()
	t.Cleanup(func() {
		if f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
}

// TestLoadRefusesSpecialConfigFile: a layerkit.yaml that is a FIFO (or a
// folder) is refused by type before it is opened, found or named; it is
// neither waited on nor skipped in favour of the folder convention.
func TestLoadRefusesSpecialConfigFile(t *testing.T) {
	dir := project(t, "", "layers/python3.12-x86_64/python")
	fifo := filepath.Join(dir, "layerkit.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	unblockFIFO(t, fifo)
	for _, file := range []string{"", fifo} {
		_, err := Load(dir, file)
		var p *Problems
		if !errors.As(err, &p) || p.File != fifo || !strings.Contains(err.Error(), "a named pipe (FIFO), not a regular file") {
			t.Errorf("Load(%q) = %v, want the FIFO refused", file, err)
		}
	}
	big := writeCfg(t, "version: 1\n#"+strings.Repeat("x", MaxConfigBytes))
	if _, err := Load(t.TempDir(), big); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("Load of a config over the limit = %v", err)
	}
	folder := filepath.Join(project(t, "", "layerkit.yml"), "layerkit.yml")
	if _, err := Load(filepath.Dir(folder), ""); err == nil || !strings.Contains(err.Error(), "a folder, not a regular file") {
		t.Errorf("Load with a folder named layerkit.yml = %v", err)
	}
}
