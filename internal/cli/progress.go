package cli

import (
	"fmt"
	"io"
	"time"
)

// progressDelay is how long a command runs before its progress line
// appears: a check that ends sooner shows none.
const progressDelay = time.Second

// progressLine is one line of stderr rewritten in place ("\r" and erase
// to end of line) while a command works. Nothing is written before
// progressDelay has passed since it started; Done erases what was
// written. It is not safe for concurrent use: the callbacks that feed it
// run on one goroutine.
type progressLine struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	shown bool
}

// newProgress returns a progress line on f's stderr when stderr is a
// terminal and the process is not in CI (CI set, as GitHub Actions,
// GitLab CI and most others set it); otherwise nil, whose methods do
// nothing.
func newProgress(f *Factory) *progressLine {
	if !f.IO.ErrTTY || (f.Getenv != nil && f.Getenv("CI") != "") {
		return nil
	}
	now := f.Now
	if now == nil {
		now = time.Now
	}
	return &progressLine{w: f.IO.ErrOut, now: now, start: now()}
}

// Update shows msg once progressDelay has passed.
func (p *progressLine) Update(msg string) {
	if p == nil || p.now().Sub(p.start) < progressDelay {
		return
	}
	fmt.Fprint(p.w, "\r\033[K"+msg)
	p.shown = true
}

// Done erases the line if it was shown.
func (p *progressLine) Done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
