package layers

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCatalogIsComplete(t *testing.T) {
	rs := Runtimes()
	if len(rs) < 40 {
		t.Fatalf("catalog has %d runtimes, want the full list", len(rs))
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.ID] {
			t.Errorf("%s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Family() == "" {
			t.Errorf("%s: no family", r.ID)
		}
		if r.OS.MaxGLIBCXX() == "" {
			t.Errorf("%s: unknown OS %q", r.ID, r.OS)
		}
		if len(r.Architectures) == 0 {
			t.Errorf("%s: no architectures", r.ID)
		}
		for _, a := range r.Architectures {
			if !a.Valid() {
				t.Errorf("%s: architecture %q", r.ID, a)
			}
		}
		for _, d := range []Date{r.Deprecation, r.BlockCreate, r.BlockUpdate} {
			if _, ok := d.Time(); d != "" && !ok {
				t.Errorf("%s: malformed date %q", r.ID, d)
			}
		}
		if r.Successor != "" {
			if _, ok := LookupRuntime(r.Successor); !ok {
				t.Errorf("%s: successor %q is not in the catalog", r.ID, r.Successor)
			}
		}
	}
}

func TestParseArch(t *testing.T) {
	tests := []struct {
		in   string
		want Arch
		err  bool
	}{
		{"x86_64", X86_64, false},
		{"amd64", X86_64, false},
		{"X64", X86_64, false},
		{"arm64", ARM64, false},
		{" aarch64 ", ARM64, false},
		{"arm", "", true},
		{"", "", true},
		{"i386", "", true},
	}
	for _, tt := range tests {
		got, err := ParseArch(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseArch(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestLanguageVersionAndLayerDirs(t *testing.T) {
	tests := []struct {
		id, family, version, dirs string
		nmv                       int
	}{
		{"python3.12", "python", "3.12", "bin extensions lib python", 0},
		{"python2.7", "python", "2.7", "bin extensions lib python", 0},
		{"nodejs22.x", "nodejs", "22", "bin extensions lib nodejs", 127},
		{"nodejs", "nodejs", "0.10", "bin extensions lib nodejs", 0},
		{"nodejs4.3-edge", "nodejs", "4.3", "bin extensions lib nodejs", 0},
		{"java8.al2", "java", "8", "bin extensions java lib", 0},
		{"ruby3.3", "ruby", "3.3", "bin extensions lib ruby", 0},
		{"dotnetcore3.1", "dotnet", "3.1", "bin extensions lib", 0},
		{"provided.al2023", "provided", "", "bin extensions lib", 0},
		{"go1.x", "go", "", "bin extensions lib", 0},
	}
	for _, tt := range tests {
		r, ok := LookupRuntime(tt.id)
		if !ok {
			t.Fatalf("%s not in catalog", tt.id)
		}
		if r.Family() != tt.family || r.LanguageVersion() != tt.version {
			t.Errorf("%s: family %q version %q, want %q %q", tt.id, r.Family(), r.LanguageVersion(), tt.family, tt.version)
		}
		if got := strings.Join(r.LayerDirs(), " "); got != tt.dirs {
			t.Errorf("%s: LayerDirs %q, want %q", tt.id, got, tt.dirs)
		}
		if got := r.NodeModuleVersion(); got != tt.nmv {
			t.Errorf("%s: NodeModuleVersion %d, want %d", tt.id, got, tt.nmv)
		}
	}
}

func TestParseRuntimeSuggests(t *testing.T) {
	_, err := ParseRuntime("python3.99")
	var ue *UnknownRuntimeError
	if !errors.As(err, &ue) {
		t.Fatalf("ParseRuntime(python3.99) = %v, want *UnknownRuntimeError", err)
	}
	if len(ue.Similar) == 0 || !strings.HasPrefix(ue.Similar[0], "python3") {
		t.Errorf("suggestions %v, want python3.x runtimes", ue.Similar)
	}
	if _, err := ParseRuntime("python3.12"); err != nil {
		t.Errorf("ParseRuntime(python3.12): %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"python3.12-arm64", "python3.12-arm64", ""},
		{"nodejs4.3-edge-amd64", "nodejs4.3-edge-x86_64", ""},
		{"python3.12", "", "want RUNTIME-ARCH"},
		{"python3.12-sparc", "", "unknown architecture"},
		{"cobol1.0-arm64", "", "unknown runtime"},
		{"python3.6-arm64", "", "does not run on arm64"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseTarget(%q) error %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestDaysFrom(t *testing.T) {
	now := time.Date(2026, 11, 21, 23, 59, 0, 0, time.UTC)
	for _, tt := range []struct {
		d    Date
		want int
		ok   bool
	}{{"2026-11-21", 0, true}, {"2026-11-22", 1, true}, {"2025-11-21", -365, true}, {"", 0, false}} {
		got, ok := tt.d.DaysFrom(now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q.DaysFrom = %d, %v; want %d, %v", tt.d, got, ok, tt.want, tt.ok)
		}
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{Version: 1, Artifacts: []Artifact{
		{Kind: KindFunction, Name: "main", Path: "main.zip", SHA256: "ab", CodeSHA256: "q==", ZippedBytes: 10, UnzippedBytes: 20, Files: 2},
		{Kind: KindLayer, Name: "deps", Runtime: "python3.12", Arch: ARM64, Path: "layers/deps-python3.12-arm64.zip"},
		{Kind: KindLayer, Name: "deps", Runtime: "python3.9", Arch: X86_64, Path: "layers/deps-python3.9-x86_64.zip"},
		{Kind: KindImage, Name: "python3.12-arm64", Runtime: "python3.12", Arch: ARM64, Path: "images/python3.12-arm64",
			Digest: "sha256:" + strings.Repeat("0a", 32), Ref: "127.0.0.1:5000/app@sha256:" + strings.Repeat("0a", 32)},
	}}
	var buf bytes.Buffer
	if err := WriteManifest(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadManifest(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Targets()) != 2 || got.Targets()[0].String() != "python3.12-arm64" {
		t.Errorf("Targets() = %v", got.Targets())
	}
	if f, ok := got.Function(); !ok || f.Files != 2 {
		t.Errorf("Function() = %v, %v", f, ok)
	}
	if l := got.Layers(Target{"python3.9", X86_64}); len(l) != 1 || l[0].Path != "layers/deps-python3.9-x86_64.zip" {
		t.Errorf("Layers = %v", l)
	}
	if im := got.Images(); len(im) != 1 || im[0] != m.Artifacts[3] {
		t.Errorf("Images() = %v", im)
	}
	for _, bad := range []string{`{"version":1,"artifacts":[{"kind":"image","path":"images/x","digest":"sha256:ab"}]}`,
		`{"version":1,"artifacts":[{"kind":"image","path":"images/x"}]}`, `{"version":2,"artifacts":[]}`, `{"version":1,"extra":1}`, `{"version":1,"artifacts":[{"kind":"x","path":"a"}]}`, `[`} {
		if _, err := ReadManifest(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadManifest(%s) accepted", bad)
		}
	}
}

func TestCheckLayout(t *testing.T) {
	py, _ := LookupRuntime("python3.12")
	prov, _ := LookupRuntime("provided.al2023")
	tests := []struct {
		name string
		r    *Runtime
		tops map[string][]string
		want Layout
	}{
		{"python reads python/", &py, map[string][]string{"python": {"x"}, "README": nil},
			Layout{Read: []string{"python"}, Unread: []string{"README"}}},
		{"wrapped one level deep", &py, map[string][]string{"mylayer": {"python"}},
			Layout{Unread: []string{"mylayer"}, Wrapper: "mylayer", Inner: "python"}},
		{"nodejs/ is not read by python", &py, map[string][]string{"nodejs": {"node_modules"}},
			Layout{Unread: []string{"nodejs"}}},
		{"any runtime", nil, map[string][]string{"nodejs": {"node_modules"}},
			Layout{Read: []string{"nodejs"}}},
		{"bootstrap on provided", &prov, map[string][]string{"bootstrap": nil},
			Layout{Read: []string{"bootstrap"}}},
		{"bootstrap elsewhere", &py, map[string][]string{"bootstrap": nil},
			Layout{Unread: []string{"bootstrap"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckLayout(tt.r, tt.tops); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckLayout = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFitsDirectUpload(t *testing.T) {
	for n, want := range map[int64]bool{0: true, MaxDirectUploadBytes - 1: true, MaxDirectUploadBytes: false, MaxDirectUploadBytes + 1: false} {
		if got := FitsDirectUpload(n); got != want {
			t.Errorf("FitsDirectUpload(%d) = %v, want %v", n, got, want)
		}
	}
}
