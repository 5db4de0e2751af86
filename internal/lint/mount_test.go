package lint

import (
	"slices"
	"testing"

	"github.com/layerkit/layerkit/layers"
)

// TestMountedDependencies: content mounted at /mnt/deps gets every file
// rule; Python's extension checks only where PYTHONPATH reaches, a library
// only through LD_LIBRARY_PATH, and a PYTHONPATH folder for another Python
// is LK133. Each case loads its artifacts anew: findings must not carry
// over from another environment.
func TestMountedDependencies(t *testing.T) {
	const site = "python/lib/python3.12/site-packages/"
	efs := map[string]string{
		site + "fast/_speed.cpython-39-x86_64-linux-gnu.so":  "@libanswer-x86_64.so",
		site + "needs/_n.cpython-312-x86_64-linux-gnu.so":    "@libneeds-x86_64.so",
		"lib/libmissing.so.1":                                "@libanswer-x86_64.so",
		"other/_x.cpython-39-x86_64-linux-gnu.so":            "@libanswer-x86_64.so",
		"other/libarm.so":                                    "@libanswer-arm64.so",
		"python/lib/python3.9/site-packages/old/__init__.py": "",
	}
	const (
		lk101 = "LK101 other/libarm.so"
		lk120 = "LK120 " + site + "needs/_n.cpython-312-x86_64-linux-gnu.so"
		lk130 = "LK130 " + site + "fast/_speed.cpython-39-x86_64-linux-gnu.so"
	)
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no environment", nil, []string{lk101, lk120}},
		{"PYTHONPATH", map[string]string{"PYTHONPATH": "/mnt/deps/" + site}, []string{lk101, lk120, lk130}},
		{"PYTHONPATH and LD_LIBRARY_PATH", map[string]string{"PYTHONPATH": "/mnt/deps/" + site, "LD_LIBRARY_PATH": "/var/task/lib:/opt/lib:/mnt/deps/lib"}, []string{lk101, lk130}},
		{"LD_LIBRARY_PATH elsewhere", map[string]string{"LD_LIBRARY_PATH": "/var/task/lib:/opt/lib"}, []string{lk101, lk120}},
		{"PYTHONPATH for 3.9", map[string]string{"PYTHONPATH": "/mnt/deps/python/lib/python3.9/site-packages"}, []string{lk101, lk120, "LK133 "}},
	}
	for _, tt := range tests {
		fn := load(t, tree(t, map[string]string{"app.py": "def h(e, c): pass\n"}), layers.KindFunction)
		mnt := load(t, tree(t, efs), layers.KindFunction)
		b := &Bundle{Name: "fn", Target: target(t, "python3.12-x86_64"), Env: Environment{Variables: tt.env, Handler: "app.h"}}
		b.AddFunction(fn)
		b.Mounts = append(b.Mounts, Mount{Path: "/mnt/deps", Artifact: mnt})
		if got := ruleSet(Check(b)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: findings = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestPythonPathFolderMissing: a PYTHONPATH folder for the runtime's
// Python that the mount lacks, while it has another version's, is LK133.
func TestPythonPathFolderMissing(t *testing.T) {
	fn := load(t, tree(t, map[string]string{"app.py": ""}), layers.KindFunction)
	mnt := load(t, tree(t, map[string]string{"python/lib/python3.9/site-packages/old/__init__.py": ""}), layers.KindFunction)
	b := &Bundle{Name: "fn", Target: target(t, "python3.12-x86_64"), Env: Environment{Variables: map[string]string{"PYTHONPATH": "/mnt/deps/python/lib/python3.12/site-packages"}}}
	b.AddFunction(fn)
	b.Mounts = append(b.Mounts, Mount{Path: "/mnt/deps", Artifact: mnt})
	fs := Check(b)
	if got := ruleSet(fs); !slices.Equal(got, []string{"LK133 "}) {
		t.Fatalf("findings = %q, want one LK133", got)
	}
	if want := "PYTHONPATH folder /mnt/deps/python/lib/python3.12/site-packages does not exist; /mnt/deps/python/lib/python3.9/site-packages holds packages installed for another Python"; fs[0].Message != want {
		t.Errorf("message %q, want %q", fs[0].Message, want)
	}
}

// TestEphemeralStorage: what a function unpacks into /tmp must fit its
// ephemeral storage: 512 MB by default, the function's setting otherwise.
func TestEphemeralStorage(t *testing.T) {
	tests := []struct {
		unpacked int64
		mb       int
		want     string // the LK169 message, "" for none
	}{
		{536_870_912, 0, ""},
		{536_870_913, 0, "unpacks 512.0 MiB (536870913 bytes) into /tmp, which holds 512 MB (536870912 bytes)"},
		{536_870_913, 1024, ""},
		{2_000_000_000, 1024, "unpacks 1907.3 MiB (2000000000 bytes) into /tmp, which holds 1024 MB (1073741824 bytes)"},
	}
	for _, tt := range tests {
		b := &Bundle{Name: "fn", Target: target(t, "python3.12-x86_64"), Env: Environment{EphemeralStorageMB: tt.mb}}
		b.AddFunction(sized("fn", layers.KindFunction, map[string]int64{"handler.py": 10, ".requirements.zip": 1_000}))
		b.Mounts = append(b.Mounts, Mount{Path: "/tmp/sls-py-req", PythonPath: true,
			Artifact: sized("fn/.requirements.zip", layers.KindFunction, map[string]int64{"big/data.bin": tt.unpacked})})
		var got string
		for _, f := range Check(b) {
			if f.Rule == RuleEphemeral {
				if f.Artifact != "fn/.requirements.zip" {
					t.Errorf("LK169 on %q, want the nested zip", f.Artifact)
				}
				got = f.Message
			}
		}
		if got != tt.want {
			t.Errorf("%d bytes, %d MB: LK169 %q, want %q", tt.unpacked, tt.mb, got, tt.want)
		}
	}
}
