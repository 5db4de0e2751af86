package split

import (
	"path"
	"testing"
)

// FuzzMatchName checks nameRule's shortcuts against path.Match, for the
// default globs and for any other glob and name.
func FuzzMatchName(f *testing.F) {
	for _, g := range defaultExcludedFiles {
		f.Add(g.glob, "a.pyc")
	}
	for _, s := range []string{".env", ".env.prod", "key.pem", "id_rsa", "x.pem/y", "*", "", "a~", ".#a", "[", `\*`} {
		f.Add(s, s)
		f.Add("*.pem", s)
		f.Add(".env.*", s)
	}
	f.Fuzz(func(t *testing.T, glob, name string) {
		if glob == "" {
			return
		}
		want, err := path.Match(glob, name)
		if err != nil {
			want = false
		}
		r := nameGlob(glob, "")
		if got := r.match(name); got != want {
			t.Fatalf("match(%q, %q) = %v, path.Match says %v", glob, name, got, want)
		}
	})
}

func TestMatchNameDefaults(t *testing.T) {
	names := []string{".env", ".env.prod", ".env.example", "cert.pem", "pem", "id_rsa", "id_rsa.pub",
		"a.pyc", "a.py", "x~", ".#lock", "Thumbs.db", "thumbs.db", ".gitignore", "mod.key", "keys"}
	for _, set := range [][]nameRule{defaultExcludedFiles} {
		for _, g := range set {
			if g.shape == 0 {
				t.Errorf("%q goes to path.Match", g.glob)
			}
			for _, n := range names {
				want, _ := path.Match(g.glob, n)
				if got := g.match(n); got != want {
					t.Errorf("match(%q, %q) = %v, path.Match says %v", g.glob, n, got, want)
				}
			}
		}
	}
}
