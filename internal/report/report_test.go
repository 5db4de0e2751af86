package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/layerkit/layerkit/internal/lint"
)

func TestGitHubEscapes(t *testing.T) {
	f := lint.Finding{Rule: "LK170", Name: "secret", Severity: lint.Error, Artifact: "dist/a,b.zip", Path: "python/.env",
		Target: "python3.12-arm64", Message: "secret: 100% sure\nreally", Evidence: "file name .env"}
	var b bytes.Buffer
	if err := GitHub(&b, New([]lint.Finding{f}, 1, 3, []string{"python3.12-arm64"}, lint.Error)); err != nil {
		t.Fatal(err)
	}
	want := "::error file=dist/a%2Cb.zip,title=LK170 secret [python3.12-arm64]::python/.env: secret: 100%25 sure%0Areally (file name .env)\n" +
		"1 error, 0 warnings, 0 notes in 1 artifact, 3 files for python3.12-arm64; fails at --fail-on error\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	fs := []lint.Finding{{Rule: "LK180", Severity: lint.Warning, Artifact: "x", Message: "m"}}
	var plain, colour bytes.Buffer
	Text(&plain, New(fs, 1, 1, nil, lint.Error), false)
	Text(&colour, New(fs, 1, 1, nil, lint.Error), true)
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(colour.String(), "\x1b[33m") {
		t.Errorf("plain %q\ncolour %q", plain.String(), colour.String())
	}
	if !strings.HasSuffix(plain.String(), "0 errors, 1 warning, 0 notes in 1 artifact, 1 file\n") {
		t.Errorf("summary: %q", plain.String())
	}
}
