package lint

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/layers"
)

var fixtures = filepath.Join("..", "elfcheck", "testdata")

// tree writes files into a new folder: a value starting with "@" copies the
// named fixture, "->" makes a symlink, anything else is the content.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(v, "@"):
			b, err := os.ReadFile(filepath.Join(fixtures, v[1:]))
			if err != nil {
				t.Fatal(err)
			}
			err = os.WriteFile(p, b, 0o755)
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(v, "->"):
			if err := os.Symlink(v[2:], p); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func load(t *testing.T, dir string, kind layers.Kind) *Artifact {
	t.Helper()
	a, err := loadDirTree(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	a.Kind = kind
	return a
}

func target(t *testing.T, s string) layers.Target {
	t.Helper()
	tg, err := layers.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// ruleSet returns "RULE path" for each finding, sorted.
func ruleSet(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Path)
	}
	slices.Sort(out)
	return out
}

func checkLayer(t *testing.T, files map[string]string, tgt string) []Finding {
	t.Helper()
	a := load(t, tree(t, files), layers.KindLayer)
	return Check(&Bundle{Name: "bundle", Target: target(t, tgt), Mounts: layerMounts(a)})
}

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name   string
		target string
		files  map[string]string
		want   []string
	}{
		{"clean arm64 layer", "python3.12-arm64", map[string]string{
			"lib/libanswer.so": "@libanswer-arm64.so", "python/mod.py": "x = 1\n"}, nil},
		{"x86_64 library in arm64 target", "python3.12-arm64", map[string]string{
			"lib/libanswer.so": "@libanswer-x86_64.so", "python/mod.py": "x = 1\n"},
			[]string{"LK101 lib/libanswer.so"}},
		{"glibc too new for Amazon Linux 2", "python3.9-x86_64", map[string]string{
			"bin/hello": "@hello-x86_64"}, []string{"LK110 bin/hello"}},
		{"glibc fine on Amazon Linux 2023", "python3.12-x86_64", map[string]string{
			"bin/hello": "@hello-x86_64"}, nil},
		{"libstdc++ too new", "python3.9-x86_64", map[string]string{
			"lib/libcxx.so": "@libcxx-x86_64.so"}, []string{"LK111 lib/libcxx.so"}},
		{"musl", "python3.12-arm64", map[string]string{
			"bin/hello": "@hello-musl-arm64"}, []string{"LK106 bin/hello"}},
		{"32-bit", "python3.12-x86_64", map[string]string{
			"lib/libanswer.so": "@libanswer-i386.so"}, []string{"LK102 lib/libanswer.so"}},
		{"missing library", "python3.12-x86_64", map[string]string{
			"python/pkg/libneeds.so": "@libneeds-x86_64.so"}, []string{"LK120 python/pkg/libneeds.so"}},
		{"library beside via $ORIGIN/../lib", "python3.12-x86_64", map[string]string{
			"python/pkg/libneeds.so": "@libneeds-x86_64.so", "python/lib/libmissing.so.1": "@libanswer-x86_64.so"}, nil},
		{"library in /opt/lib through a symlink", "python3.12-x86_64", map[string]string{
			"python/pkg/libneeds.so": "@libneeds-x86_64.so", "lib/libmissing.so.1": "->libmissing.so.1.2",
			"lib/libmissing.so.1.2": "@libanswer-x86_64.so"}, nil},
		{"library only for the other CPU", "python3.12-x86_64", map[string]string{
			"python/pkg/libneeds.so": "@libneeds-x86_64.so", "lib/libmissing.so.1": "@libanswer-arm64.so"},
			[]string{"LK101 lib/libmissing.so.1", "LK121 python/pkg/libneeds.so"}},
		{"python extension for 3.9 on 3.12", "python3.12-x86_64", map[string]string{
			"python/fast.cpython-39-x86_64-linux-gnu.so": "@libanswer-x86_64.so"},
			[]string{"LK130 python/fast.cpython-39-x86_64-linux-gnu.so"}},
		{"python extension tagged x86_64 on arm64", "python3.12-arm64", map[string]string{
			"python/fast.cpython-312-x86_64-linux-gnu.so": "@libanswer-arm64.so"},
			[]string{"LK130 python/fast.cpython-312-x86_64-linux-gnu.so"}},
		{"abi3 and matching tags pass", "python3.12-arm64", map[string]string{
			"python/a.abi3.so": "@libanswer-arm64.so", "python/b.cpython-312-aarch64-linux-gnu.so": "@libanswer-arm64.so"}, nil},
		{"darwin extension", "python3.12-arm64", map[string]string{
			"python/fast.cpython-312-darwin.so": string(machoHead())},
			[]string{"LK104 python/fast.cpython-312-darwin.so"}},
		{"windows .pyd and launcher", "python3.12-x86_64", map[string]string{
			"python/fast.pyd": string(peHead()), "python/setuptools/cli-64.exe": string(peHead())},
			[]string{"LK105 python/fast.pyd", "LK105 python/setuptools/cli-64.exe"}},
		{"big-endian", "python3.12-arm64", map[string]string{
			"lib/libbe.so": string(beHead())}, []string{"LK103 lib/libbe.so"}},
		{"truncated ELF", "python3.12-x86_64", map[string]string{
			"lib/libcut.so": "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 9) + "\x03\x00\x3e\x00"},
			[]string{"LK107 lib/libcut.so"}},
		{"site-packages for another Python", "python3.12-arm64", map[string]string{
			"python/lib/python3.9/site-packages/x.py": "x"}, []string{"LK133 python/lib/python3.9/"}},
		{"wheel for manylinux_2_28 on Amazon Linux 2", "python3.9-x86_64", map[string]string{
			"python/pkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nTag: cp39-cp39-manylinux_2_28_x86_64\n"},
			[]string{"LK132 python/pkg-1.0.dist-info/WHEEL"}},
		{"wheel for manylinux2014 fits", "python3.9-x86_64", map[string]string{
			"python/pkg-1.0.dist-info/WHEEL":  "Wheel-Version: 1.0\nTag: cp39-cp39-manylinux_2_17_x86_64\nTag: cp39-cp39-manylinux2014_x86_64\n",
			"python/pure-1.0.dist-info/WHEEL": "Tag: py2.py3-none-any\n"}, nil},
		{"wheel for the other arch", "python3.12-arm64", map[string]string{
			"python/pkg-1.0.dist-info/WHEEL": "Tag: cp312-cp312-manylinux_2_17_x86_64\n"},
			[]string{"LK132 python/pkg-1.0.dist-info/WHEEL"}},
		{"node addon for Node 18 on nodejs22.x", "nodejs22.x-x86_64", map[string]string{
			"nodejs/node_modules/x/build/Release/x.node": "@addon-v108-x86_64.node",
			"nodejs/node_modules/y/y.node":               "@napi-x86_64.node"},
			[]string{"LK140 nodejs/node_modules/x/build/Release/x.node"}},
		{"layer wrapped one level too deep", "python3.12-arm64", map[string]string{
			"mylayer/python/x.py": "x"}, []string{"LK150 mylayer/"}},
		{"top-level folder never read", "python3.12-arm64", map[string]string{
			"python/x.py": "x", "share/x.txt": "x"}, []string{"LK151 share"}},
		{"secrets and dead weight", "python3.12-arm64", map[string]string{
			"python/x.py": "x", "python/.env": "KEY=1", "python/certs/server.pem": "k",
			"python/pkg/tests/test_x.py": "x", "python/pkg/__pycache__/x.cpython-39.pyc": "x",
			"python/pkg/__pycache__/y.cpython-312.pyc": "x"},
			[]string{"LK170 python/.env", "LK170 python/certs/server.pem", "LK180 ", "LK180 "}},
		{"symlink out of the layer", "python3.12-arm64", map[string]string{
			"python/x.py": "x", "lib/libssl.so": "->/usr/lib64/libssl.so"}, []string{"LK191 lib/libssl.so"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ruleSet(checkLayer(t, tt.files, tt.target))
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings = %q, want %q", got, tt.want)
				for _, f := range checkLayer(t, tt.files, tt.target) {
					t.Logf("%+v", f)
				}
			}
		})
	}
}

func machoHead() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b, 0xfeedfacf)
	binary.LittleEndian.PutUint32(b[4:], 0x0100000c)
	return b
}

func peHead() []byte {
	b := make([]byte, 0x100)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x8664)
	return b
}

func beHead() []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x02\x01")
	binary.BigEndian.PutUint16(b[18:], uint16(elf.EM_AARCH64))
	return b
}

func TestFindingCarriesEvidence(t *testing.T) {
	fs := checkLayer(t, map[string]string{"bin/hello": "@hello-x86_64", "lib/libanswer.so": "@libanswer-arm64.so"}, "python3.9-x86_64")
	byRule := map[string]Finding{}
	for _, f := range fs {
		byRule[f.Rule] = f
	}
	g := byRule[RuleGlibc]
	if g.Evidence != "needs GLIBC_2.34 > 2.26 (Amazon Linux 2)" || g.Target != "python3.9-x86_64" || g.Severity != Error {
		t.Errorf("glibc finding = %+v", g)
	}
	m := byRule[RuleELFMachine]
	if m.Evidence != "e_machine=EM_AARCH64" || !strings.Contains(m.Symptom, "cannot open shared object file") || m.Fix == "" {
		t.Errorf("machine finding = %+v", m)
	}
}

func TestSizes(t *testing.T) {
	big := func(name string, files map[string]int64, zipped int64) *Artifact {
		a := &Artifact{Name: name, Kind: layers.KindLayer, InRequest: zipped > 0, ArchiveBytes: zipped}
		for p, n := range files {
			a.Files = append(a.Files, File{Path: p, Size: n})
			a.UnzippedBytes += n
		}
		return a
	}
	fn := big("main.zip", map[string]int64{"handler.py": 1000}, 600)
	fn.Kind = layers.KindFunction
	l1 := big("numpy.zip", map[string]int64{"python/lib/python3.12/site-packages/numpy/core/x.so": 150_000_000}, 60_000_000)
	l2 := big("scipy.zip", map[string]int64{"python/lib/python3.12/site-packages/scipy/linalg/y.so": 112_143_000}, 40_000_000)
	b := &Bundle{Name: "manifest.json", Target: target(t, "python3.12-x86_64"), Mounts: append([]Mount{{Path: TaskRoot, Artifact: fn}}, layerMounts(l1, l2)...)}
	got := ruleSet(Check(b))
	want := []string{"LK160 ", "LK161 "}
	if !slices.Equal(got, want) {
		t.Fatalf("findings = %q, want %q", got, want)
	}
	for _, f := range Check(b) {
		if f.Rule == RuleSizeUnzipped && (f.Artifact != "manifest.json" || !strings.Contains(f.Evidence, "262144000 >= 262144000") ||
			!strings.Contains(f.Evidence, "numpy.zip: python/lib/python3.12/site-packages/numpy 143.1 MiB")) {
			t.Errorf("size finding = %+v", f)
		}
	}
	// One byte less is within the limit ("strictly < 262,144,000").
	l2.UnzippedBytes--
	if got := ruleSet(Check(b)); slices.Contains(got, "LK160 ") {
		t.Errorf("at 262,143,999 bytes: %q", got)
	}
	b.Mounts = layerMounts(l1, l1, l1, l1, l1, l1)
	if got := ruleSet(Check(b)); !slices.Contains(got, "LK162 ") {
		t.Errorf("6 layers: %q", got)
	}
}

// TestLaterLayerWins: a library a later layer replaces is resolved against
// the replacement, as /opt holds it.
func TestLaterLayerWins(t *testing.T) {
	l1 := load(t, tree(t, map[string]string{"python/pkg/libneeds.so": "@libneeds-x86_64.so", "lib/libmissing.so.1": "@libanswer-arm64.so"}), layers.KindLayer)
	l2 := load(t, tree(t, map[string]string{"lib/libmissing.so.1": "@libanswer-x86_64.so"}), layers.KindLayer)
	got := ruleSet(Check(&Bundle{Target: target(t, "python3.12-x86_64"), Mounts: layerMounts(l1, l2)}))
	if !slices.Equal(got, []string{"LK101 lib/libmissing.so.1"}) {
		t.Errorf("findings = %q", got)
	}
}

func TestInfer(t *testing.T) {
	a := load(t, tree(t, map[string]string{
		"python/lib/python3.12/site-packages/fast.cpython-312-aarch64-linux-gnu.so": "@libanswer-arm64.so",
		"lib/libanswer.so": "@libanswer-arm64.so", "lib/other.so": "@libanswer-x86_64.so"}), layers.KindLayer)
	b := &Bundle{Mounts: layerMounts(a)}
	notes := Infer(b)
	if b.Target != (layers.Target{Runtime: "python3.12", Arch: layers.ARM64}) || len(notes) != 2 {
		t.Fatalf("inferred %+v, notes %q", b.Target, notes)
	}
	if got := ruleSet(Check(b)); !slices.Equal(got, []string{"LK101 lib/other.so"}) {
		t.Errorf("findings = %q", got)
	}
	empty := &Bundle{Mounts: layerMounts(load(t, tree(t, map[string]string{"python/x.py": "x"}), layers.KindLayer))}
	if notes := Infer(empty); len(notes) != 2 || empty.Target != (layers.Target{}) {
		t.Errorf("nothing to infer: %+v %q", empty.Target, notes)
	}
}

func TestGuessKind(t *testing.T) {
	for files, want := range map[string]layers.Kind{
		"python/x.py":         layers.KindLayer,
		"nodejs/package.json": layers.KindLayer,
		"wrap/python/x.py":    layers.KindLayer,
		"handler.py":          layers.KindFunction,
		"lib/libx.so":         layers.KindFunction,
	} {
		if got := GuessKind(load(t, tree(t, map[string]string{files: "x"}), "")); got != want {
			t.Errorf("GuessKind(%s) = %v, want %v", files, got, want)
		}
	}
}

// TestZipMatchesFolder checks a folder and the same files as a zip: the
// findings must be the same, and the zip is read in place.
func TestZipMatchesFolder(t *testing.T) {
	files := map[string]string{
		"lib/libanswer.so": "@libanswer-x86_64.so", "python/pkg/libneeds.so": "@libneeds-x86_64.so",
		"bin/hello": "@hello-x86_64", "python/.env": "X=1", "python/pkg-1.0.dist-info/WHEEL": "Tag: cp39-cp39-manylinux_2_28_x86_64\n",
	}
	dir := tree(t, files)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		w, _ := zw.Create(name)
		w.Write(b)
	}
	zw.Close()
	zp := filepath.Join(t.TempDir(), "layer.zip")
	os.WriteFile(zp, buf.Bytes(), 0o644)
	za, err := loadZipTree(t.Context(), zp)
	if err != nil {
		t.Fatal(err)
	}
	za.Kind = layers.KindLayer
	fromZip := ruleSet(Check(&Bundle{Target: target(t, "python3.9-arm64"), Mounts: layerMounts(za)}))
	fromDir := ruleSet(Check(&Bundle{Target: target(t, "python3.9-arm64"), Mounts: layerMounts(load(t, dir, layers.KindLayer))}))
	if !slices.Equal(fromZip, fromDir) || len(fromZip) < 5 {
		t.Errorf("zip: %q\ndir: %q", fromZip, fromDir)
	}
}

func TestHostileZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"python/x.py", "../../etc/cron.d/evil", "python/x.py"} {
		w, _ := zw.Create(name)
		fmt.Fprint(w, "x")
	}
	zw.Close()
	zp := filepath.Join(t.TempDir(), "evil.zip")
	os.WriteFile(zp, buf.Bytes(), 0o644)
	a, err := loadZipTree(t.Context(), zp)
	if err != nil {
		t.Fatal(err)
	}
	a.Kind = layers.KindLayer
	got := ruleSet(Check(&Bundle{Target: target(t, "python3.12-arm64"), Mounts: layerMounts(a)}))
	want := []string{"LK190 ../../etc/cron.d/evil", "LK192 python/x.py"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}
}

func TestLoadDirErrors(t *testing.T) {
	if _, err := loadDirTree(t.Context(), filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestLoadDirUnreadable(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getuid() == 0 {
		t.Skip("needs Linux and a user other than root (root reads everything)")
	}
	dir := tree(t, map[string]string{"python/x.py": "x"})
	os.Chmod(filepath.Join(dir, "python", "x.py"), 0)
	if _, err := loadDirTree(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "x.py") {
		t.Errorf("unreadable file: %v", err)
	}
}

func TestRulesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Name == "" || r.Summary == "" || r.Symptom == "" || r.Fix == "" || r.Details == "" || r.Severity == 0 {
			t.Errorf("rule %+v incomplete", r)
		}
		if seen[r.ID] || seen[r.Name] {
			t.Errorf("rule %s repeated", r.ID)
		}
		seen[r.ID], seen[r.Name] = true, true
	}
	if r, ok := LookupRule("elf-machine"); !ok || r.ID != "LK101" {
		t.Errorf("LookupRule(elf-machine) = %+v", r)
	}
}
