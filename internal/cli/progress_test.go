package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// ticking returns a clock that moves on by step at every reading.
func ticking(step time.Duration) func() time.Time {
	t := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

// runTTY runs layerkit with stderr taken for a terminal, under the clock
// now and the environment env.
func runTTY(t *testing.T, now func() time.Time, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:     IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: true},
		Now:    now,
		Getenv: func(k string) string { return env[k] },
	}
	code := Main(context.Background(), f, args)
	return result{out.String(), errOut.String(), code}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &Factory{IO: IOStreams{ErrOut: &b, ErrTTY: true}, Now: func() time.Time { return clock }, Getenv: func(string) string { return "" }}
	p := newProgress(f)
	p.Update("early")
	p.Done()
	if b.Len() != 0 {
		t.Errorf("a line before %v: %q", progressDelay, b.String())
	}
	clock = clock.Add(progressDelay)
	p.Update("checking: 1 file")
	p.Done()
	if want := "\r\x1b[Kchecking: 1 file\r\x1b[K"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	for name, f := range map[string]*Factory{
		"pipe": {IO: IOStreams{ErrOut: &b}, Getenv: func(string) string { return "" }},
		"CI":   {IO: IOStreams{ErrOut: &b, ErrTTY: true}, Getenv: func(k string) string { return map[string]string{"CI": "true"}[k] }},
	} {
		if p := newProgress(f); p != nil {
			t.Errorf("%s: a progress line", name)
		}
	}
	var none *progressLine
	none.Update("x") // a nil line does nothing
	none.Done()
}

// A slow check and build show files and bytes done on a terminal, and
// erase the line before the report; in CI nothing.
func TestProgressCheckAndBuild(t *testing.T) {
	dir := example(t)
	t.Chdir(dir)
	r := runTTY(t, ticking(time.Second), nil, "check", "layers/python3.9-x86_64", "--runtime", "python3.9", "--arch", "x86_64")
	if !strings.Contains(r.stderr, "\r\x1b[Kchecking: 1 artifact, 2 files, ") || !strings.HasSuffix(r.stderr, "\r\x1b[K") || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("check on a terminal: exit %d\nstderr %q\nstdout %q", r.code, r.stderr, r.stdout)
	}
	r = runTTY(t, ticking(time.Second), map[string]string{"CI": "true"}, "check", "layers/python3.9-x86_64", "--runtime", "python3.9", "--arch", "x86_64")
	if strings.Contains(r.stderr, "\x1b") {
		t.Errorf("check in CI: stderr %q", r.stderr)
	}
	r = runTTY(t, ticking(time.Second), nil, "build")
	if r.code != 0 || !strings.Contains(r.stderr, "\r\x1b[Kzipping ") || !strings.Contains(r.stderr, "; done: 3 artifacts, ") {
		t.Errorf("build on a terminal: exit %d\nstderr %q", r.code, r.stderr)
	}
}

func TestColour(t *testing.T) {
	for _, tt := range []struct {
		tty  bool
		env  map[string]string
		want bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
		{true, map[string]string{"TERM": "xterm-256color"}, true},
	} {
		if got := colour(tt.tty, func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("colour(%v, %v) = %v, want %v", tt.tty, tt.env, got, tt.want)
		}
	}
}
