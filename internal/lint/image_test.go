package lint

import (
	"slices"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/zipper"
	"github.com/layerkit/layerkit/layers"
)

// imageBundle is an image of the given layer sizes whose flattened tree
// holds the files, mounted at the root as source.LoadImage mounts it.
func imageBundle(sizes []int64, files ...File) *Bundle {
	facts := &ImageFacts{OS: "linux", Arch: "amd64", Entrypoint: []string{"/bin/app"}, MediaTypesDeclared: true}
	for i, n := range sizes {
		facts.Layers = append(facts.Layers, ImageLayer{Digest: "sha256:" + strings.Repeat(string(rune('a'+i)), 64),
			MediaType: ociLayerGzip, Compression: "gzip", TarBytes: n})
	}
	files = append(files, File{Path: "bin/app", Type: zipper.TypeFile, Size: 10, Exec: true})
	a := &Artifact{Name: "img", Kind: layers.KindFunction, Files: files}
	return &Bundle{Name: "img", Image: facts, Mounts: []Mount{{Path: ImageRoot, Artifact: a}}, Env: Environment{PackageType: "Image"}}
}

func TestImageSize(t *testing.T) {
	const gib = int64(1) << 30
	for _, tc := range []struct {
		name  string
		sizes []int64
		want  Severity
		ev    string
	}{
		{"under 90 %", []int64{4 * gib, 5*gib - 1}, 0, ""},
		{"at 90 %", []int64{9 * gib, 216 << 20}, Warning, "layer 1 (sha256:aaaa"},
		{"over the limit", []int64{2 * gib, 8 * gib, 1}, Error, "biggest layers: layer 2 (sha256:bbbb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := imageBundle(tc.sizes, File{Path: "usr/lib/big", Type: zipper.TypeFile, Size: 5})
			var got []Finding
			for _, f := range Check(b) {
				if f.Rule == RuleSizeImage {
					got = append(got, f)
				}
			}
			if tc.want == 0 {
				if len(got) != 0 {
					t.Errorf("findings %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Severity != tc.want || !strings.Contains(got[0].Evidence, tc.ev) || !strings.Contains(got[0].Evidence, "/usr/lib") {
				t.Fatalf("findings %+v", got)
			}
		})
	}
}

// TestImageMountAtRoot checks that the bundle's view finds an image's
// files under "/": the entrypoint resolves through a link, and a zip's
// size rules (250 MB) do not apply.
func TestImageMountAtRoot(t *testing.T) {
	b := imageBundle([]int64{300 << 20},
		File{Path: "usr/bin/real", Type: zipper.TypeFile, Size: 300 << 20, Exec: true},
		File{Path: "entry", Type: zipper.TypeSymlink, Link: "/usr/bin/real"})
	b.Image.Entrypoint = []string{"/entry"}
	var rules []string
	for _, f := range Check(b) {
		rules = append(rules, f.Rule)
	}
	if len(rules) != 0 {
		t.Errorf("findings %q, want none", rules)
	}
	b.Image.Entrypoint = []string{"/usr/bin/gone"}
	rules = nil
	for _, f := range Check(b) {
		rules = append(rules, f.Rule+" "+f.Path)
	}
	if !slices.Equal(rules, []string{"LK167 /usr/bin/gone"}) {
		t.Errorf("findings %q", rules)
	}
}
