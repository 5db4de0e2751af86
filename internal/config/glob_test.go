package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

func TestGlobAlternatives(t *testing.T) {
	tests := []struct {
		glob string
		want int
	}{
		{"*.py", 1},
		{"{a,b}", 2},
		{"{a,b}/{c,d,e}", 6},
		{"{a,{b,c}}x", 3},
		{"{a,{b,c}{d,e}}", 5},
		{"{}", 1},
		{`\{a,b\}`, 1},
		{"[{]a,b[}]", 1},
		{"{[,}],b}", 2},
		{"{src,lib}/**/*.{py,pyi,so}", 6},
		{strings.Repeat("{a,a}", 8), 256},
		{strings.Repeat("{a,a}", 9), 257},  // capped at limit+1
		{strings.Repeat("{a,a}", 30), 257}, // no overflow
	}
	for _, tt := range tests {
		if got := globAlternatives(tt.glob, 256); got != tt.want {
			t.Errorf("globAlternatives(%q) = %d, want %d", tt.glob, got, tt.want)
		}
	}
}

// TestGlobLimits: a glob whose braces expand past the cap (D14: matching
// time doubles with each "{a,a}"), or that is too long, is refused naming
// the setting and the limit.
func TestGlobLimits(t *testing.T) {
	braces := strings.Repeat("{a,a}", 24) + "b"
	long := strings.Repeat("x", MaxGlobBytes+1)
	dir := project(t, "version: 1\nmain:\n  exclude: [\""+braces+"\", \""+long+"\", \"{a,b}/{c,d}/*.{py,so}\"]\n")
	_, err := Load(dir, "")
	var p *Problems
	if !errors.As(err, &p) || len(p.List) != 2 {
		t.Fatalf("Load = %v, want two problems", err)
	}
	if want := `main.exclude: "{a,a}{a,a}`; !strings.HasPrefix(p.List[0], want) || !strings.Contains(p.List[0], "has braces that expand to more than 256 patterns") {
		t.Errorf("problem %q, want %q… and the cap", p.List[0], want)
	}
	if want := "is 1025 bytes long; a glob may be at most 1024"; !strings.Contains(p.List[1], want) {
		t.Errorf("problem %q, want %q", p.List[1], want)
	}
	var ge *GlobError
	if err := CheckGlob(braces); !errors.As(err, &ge) || ge.Glob != braces {
		t.Errorf("CheckGlob = %v, want a *GlobError", err)
	}
}

// FuzzCheckGlob: any glob is answered without a panic, the count stays
// within its cap, and doublestar matches an accepted glob without a panic.
func FuzzCheckGlob(f *testing.F) {
	for _, g := range []string{"*.py", "{a,{b,c}}", `\{`, "[{]", "{[,}],b}", "**/x/**", strings.Repeat("{a,a}", 9)} {
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, g string) {
		if n := globAlternatives(g, MaxGlobAlternatives); n < 1 || n > MaxGlobAlternatives+1 {
			t.Fatalf("globAlternatives(%q) = %d", g, n)
		}
		if CheckGlob(g) == nil {
			// doublestar may still call an accepted glob bad while
			// matching (it validates the rest of "[!0a0{]" from inside
			// the class); matchGlob reads that as no match.
			doublestar.Match(g, "a/b.py")
		}
	})
}

// Globs within the limits one by one are refused when, together, they
// expand to more patterns than MaxGlobPatterns: each is matched against
// every file.
func TestGlobSetLimit(t *testing.T) {
	g := strings.Repeat("{a,a}", 8) + "b" // 256 patterns, allowed alone
	if err := CheckGlobSet([]string{g, g, g, g}); err != nil {
		t.Errorf("4 x 256 patterns: %v", err)
	}
	err := CheckGlobSet([]string{g, g, g, g, g})
	if err == nil || !strings.Contains(err.Error(), "1280 patterns") {
		t.Errorf("5 x 256 patterns: %v", err)
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("version: 1\nmain:\n  exclude:\n")
	for range 1000 {
		fmt.Fprintf(&b, "    - %q\n", g)
	}
	if err := os.WriteFile(filepath.Join(dir, "layerkit.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, ""); err == nil || !strings.Contains(err.Error(), "256000 patterns") {
		t.Errorf("1,000 globs of 256 patterns: %v", err)
	}
}
