package config

import (
	"fmt"

	"github.com/bmatcuk/doublestar/v4"
)

// MaxGlobBytes is the longest glob the config takes. No glob written by
// hand comes near it; it bounds the work of matching one name.
const MaxGlobBytes = 1024

// MaxGlobAlternatives caps the patterns a glob's braces expand to:
// "{a,b}/{c,d,e}" expands to 6. doublestar tries each expansion in turn, so
// the time to match one name doubles with each "{a,a}": against a 30-byte
// name, 2^20 expansions took 0.5 s per name, and 2^8 = 256 took 47 µs
// (measured on a loaded 2-core machine). 256 is far above any hand-written
// glob ("{src,lib}/**/*.{py,pyi,so}" expands to 6).
const MaxGlobAlternatives = 256

// MaxGlobPatterns caps the patterns all the globs matched against one file
// expand to together (main.include with main.exclude, or one layer's
// excludes): each is tried against every file, so a thousand globs that
// each stay under MaxGlobAlternatives can still cost seconds per file.
const MaxGlobPatterns = 1024

// CheckGlobSet reports whether the globs matched against the same files
// expand to at most MaxGlobPatterns patterns together; each glob is
// checked with CheckGlob on its own first.
func CheckGlobSet(globs []string) error {
	total := 0
	for _, g := range globs {
		if err := CheckGlob(g); err != nil {
			return err
		}
		total += globAlternatives(g, MaxGlobAlternatives)
	}
	if total > MaxGlobPatterns {
		return fmt.Errorf("%d globs expand to %d patterns in all, each matched against every file; at most %d: merge or drop some", len(globs), total, MaxGlobPatterns)
	}
	return nil
}

// GlobError reports a glob the config refuses: malformed, too long, or
// with braces that expand to too many patterns.
type GlobError struct {
	Glob string
	// Problem says what is wrong, as the rest of a sentence about the glob.
	Problem string
}

func (e *GlobError) Error() string { return fmt.Sprintf("%q %s", shorten(e.Glob), e.Problem) }

// CheckGlob reports whether g is a glob layerkit matches: valid doublestar
// syntax, at most MaxGlobBytes long, and expanding to at most
// MaxGlobAlternatives patterns. Otherwise it returns a *GlobError.
func CheckGlob(g string) error {
	if len(g) > MaxGlobBytes {
		return &GlobError{g, fmt.Sprintf("is %d bytes long; a glob may be at most %d", len(g), MaxGlobBytes)}
	}
	if !doublestar.ValidatePattern(g) {
		return &GlobError{g, "is not a valid glob"}
	}
	if n := globAlternatives(g, MaxGlobAlternatives); n > MaxGlobAlternatives {
		return &GlobError{g, fmt.Sprintf("has braces that expand to more than %d patterns, each matched against every file; split it into several simpler globs", MaxGlobAlternatives)}
	}
	return nil
}

// globAlternatives returns how many patterns the braces of g expand to, or
// limit+1 when there are more than limit. It reads braces as doublestar
// does: '\' escapes the next byte, a character class may hold '{' or '}',
// and groups nest.
func globAlternatives(g string, limit int) int {
	n, _ := countAlternatives(g, 0, limit, false)
	return n
}

// countAlternatives counts the expansions of the sequence that starts at
// g[i] and ends at the end of g or, inside a group, at a ',' or '}' of this
// level; it returns the count (at most limit+1) and where it stopped.
func countAlternatives(g string, i, limit int, inGroup bool) (int, int) {
	n := 1
	for i < len(g) {
		switch g[i] {
		case '\\':
			i += 2
		case '[':
			for i++; i < len(g) && g[i] != ']'; i++ {
				if g[i] == '\\' {
					i++
				}
			}
			i++
		case '{':
			sum := 0
			for i++; ; i++ {
				var c int
				c, i = countAlternatives(g, i, limit, true)
				sum = min(sum+c, limit+1)
				if i >= len(g) || g[i] == '}' {
					break
				}
			}
			i++
			n = min(n*sum, limit+1)
		case ',', '}':
			if inGroup {
				return n, i
			}
			i++
		default:
			i++
		}
	}
	return n, i
}
