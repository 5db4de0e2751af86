package config

import (
	"errors"
	"strings"
	"testing"
)

func TestImageSection(t *testing.T) {
	dir := project(t, `version: 1
image:
  base: oci:bases/python
  handler: app.handler
`, "bases/python")
	c, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Image.Base != "oci:bases/python" || c.Image.Handler != "app.handler" {
		t.Fatalf("image = %+v", c.Image)
	}
}

// TestImageSectionProblems: every problem of the section is listed at once,
// with the rest of the file's.
func TestImageSectionProblems(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want []string
	}{
		{"image:\n  base: oci:missing\n  handler: \"app handler\"\n", []string{`image.base: folder "missing" does not exist`, "image.handler: \"app handler\" holds a space"}},
		{"image:\n  base: \"oci:\"\n  handler: \"" + strings.Repeat("h", 129) + "\"\n", []string{"image.base: oci: names no folder", "image.handler: 129 characters"}},
		{"image:\n  base: \"UPPER/Case::x\"\n", []string{"image.base: \"UPPER/Case::x\" is not an image reference"}},
		{"image:\n  base: oci:../outside\n", []string{"image.base: \"../outside\" is outside the project folder"}},
		{"image:\n  bsae: x\n", []string{`unknown key "bsae" in image (keys: base, handler)`}},
	} {
		dir := project(t, "version: 1\n"+tc.yaml)
		_, err := Load(dir, "")
		var p *Problems
		if !errors.As(err, &p) {
			t.Fatalf("%q: err = %v, want *Problems", tc.yaml, err)
		}
		if len(p.List) != len(tc.want) {
			t.Errorf("%q: problems %q, want %d", tc.yaml, p.List, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(p.List[i], w) {
				t.Errorf("%q: problem %q, want it to say %q", tc.yaml, p.List[i], w)
			}
		}
	}
}

func FuzzCheckBase(f *testing.F) {
	for _, s := range []string{"public.ecr.aws/lambda/python:3.12", "oci:dir", "127.0.0.1:5000/a@sha256:" + strings.Repeat("a", 64), "x::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = CheckBase(s)
		_ = CheckHandler(s)
	})
}
