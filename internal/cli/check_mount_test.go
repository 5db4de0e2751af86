package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestCheckMountUsage(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"check", "x", "--mount", "/mnt/deps"}, "layerkit: --mount \"/mnt/deps\": want PATH=DIR, such as /mnt/deps=./efs\n"},
		{[]string{"check", "x", "--mount", "mnt=./efs"}, "layerkit: --mount \"mnt=./efs\": the mount path must be absolute\n"},
		{[]string{"check", "x", "--mount", "/opt/deps=./efs"}, "layerkit: --mount \"/opt/deps=./efs\": /opt/deps is where Lambda lays out the function's code and layers; mount elsewhere, such as /mnt/deps\n"},
		{[]string{"check", "x", "--env", "=1"}, "layerkit: --env \"=1\": want NAME=VALUE\n"},
		{[]string{"check", "x", "--ephemeral-storage", "256"}, "layerkit: --ephemeral-storage 256: want 512 to 10240 (MB)\n"},
		{[]string{"check", "x", "--ephemeral-storage", "10241"}, "layerkit: --ephemeral-storage 10241: want 512 to 10240 (MB)\n"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != ExitUsage || r.stderr != tt.stderr+"Run 'layerkit --help' for usage.\n" {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q", tt.args, r.code, r.stderr, tt.stderr)
		}
	}
}

// TestCheckMount: a function whose library lives on an EFS mount is
// LK120 until --env LD_LIBRARY_PATH reaches the mount; the mount's size is
// a note, never LK160.
func TestCheckMount(t *testing.T) {
	dir := t.TempDir()
	write := func(p, fixture string) {
		b, err := os.ReadFile(filepath.Join("..", "elfcheck", "testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fn/pkg/libneeds.so", "libneeds-x86_64.so")
	write("efs/lib/libmissing.so.1", "libanswer-x86_64.so")
	t.Chdir(dir)
	args := []string{"check", "--function", "fn", "--mount", "/mnt/deps=efs", "--runtime", "python3.12", "--arch", "x86_64", "--format", "github"}
	r := runCLI(t, nil, args...)
	fi, err := os.Stat(filepath.Join(dir, "efs/lib/libmissing.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	wantNote := "layerkit: note: efs mounted at /mnt/deps: " + strconv.FormatInt(fi.Size(), 10) + " bytes, not counted against the 262144000-byte package limit\n"
	if r.code != ExitFindings || r.stderr != wantNote {
		t.Fatalf("without LD_LIBRARY_PATH: exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
	want := "::error file=fn/pkg/libneeds.so,title=LK120 lib-not-found [python3.12-x86_64]::needs libmissing.so.1, which is not in the package, its layers or Amazon Linux 2023 " +
		"(DT_NEEDED libmissing.so.1; searched /var/task/lib:/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib)" +
		"%0Afix: bundle the library in the layer's or the function's lib/ (or beside the object, with RUNPATH $ORIGIN), or use a wheel that vendors it (auditwheel)\n" +
		"1 error, 0 warnings, 0 notes in 2 artifacts, 2 files for python3.12-x86_64; fails at --fail-on error\n"
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	r = runCLI(t, nil, append(args, "--env", "LD_LIBRARY_PATH=/var/task/lib:/opt/lib:/mnt/deps/lib")...)
	if r.code != 0 || r.stdout != "no findings in 2 artifacts, 2 files for python3.12-x86_64\n" || r.stderr != wantNote {
		t.Errorf("with LD_LIBRARY_PATH: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
