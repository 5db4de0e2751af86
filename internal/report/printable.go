package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Printable returns s as a terminal or a CI log should show it: every rune
// strconv.IsPrint rejects (control characters such as ESC, CR, LF, BEL and
// NUL; format characters such as U+202E RIGHT-TO-LEFT OVERRIDE; spaces
// other than ' ') is written as Go's %q writes it (\x1b, \r, \n, \a, \x00,
// \u202e), and so is every byte that is not valid UTF-8 (\xff). Everything
// else, backslashes and non-ASCII letters included, is kept. A file name
// holding "\x1b[2J" thus cannot clear the screen or forge a line of the
// report. Text and GitHub output pass every field through it; JSON and
// SARIF keep the exact bytes.
func Printable(s string) string {
	clean := true
	for i, r := range s {
		if !strconv.IsPrint(r) || r == utf8.RuneError && isInvalid(s[i:]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isInvalid(s[i:]):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case strconv.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r) // '\x1b'
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// isInvalid reports whether s starts with a byte that is not valid UTF-8
// (as opposed to a real U+FFFD).
func isInvalid(s string) bool {
	_, size := utf8.DecodeRuneInString(s)
	return size == 1
}
