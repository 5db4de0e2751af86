package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/report"
)

// Exit codes, the same for every command.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitFindings    = 3
	ExitAWS         = 4
	ExitInterrupted = 130
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY says whether ErrOut is a terminal: progress and colour only
	// then.
	ErrTTY bool
	// OutTTY says whether Out is a terminal that takes colour (NO_COLOR
	// unset, TERM not "dumb").
	OutTTY bool
}

// Factory carries what commands need from the outside world, so tests can
// replace it.
type Factory struct {
	IO     IOStreams
	Now    func() time.Time
	Getenv func(string) string
}

// NewFactory returns the Factory for a real process.
func NewFactory() *Factory {
	return &Factory{
		IO: IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, ErrTTY: isTerminal(os.Stderr),
			OutTTY: colour(isTerminal(os.Stdout), os.Getenv)},
		Now:    time.Now,
		Getenv: os.Getenv,
	}
}

// colour says whether output to a terminal (tty) takes ANSI colours: not
// when NO_COLOR is set to anything (no-color.org), nor on TERM=dumb.
func colour(tty bool, getenv func(string) string) bool {
	return tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// UsageError is a mistake in how a command was called: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// FindingsError reports that a command ran but what it found fails the
// policy: exit code 3.
type FindingsError struct{ Msg string }

func (e *FindingsError) Error() string { return e.Msg }

// Main runs layerkit with args and returns the exit code. Errors are printed
// here, once, with a hint for AWS credentials and permission problems.
func Main(ctx context.Context, f *Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	code, hint := outcome(ctx, err)
	switch code {
	case ExitOK, ExitFindings:
		// The report already said what was found.
	case ExitInterrupted:
		fmt.Fprintln(f.IO.ErrOut, "layerkit: interrupted")
	default:
		fmt.Fprintf(f.IO.ErrOut, "layerkit: %s\n", printableLines(err.Error()))
	}
	if hint != "" {
		fmt.Fprintf(f.IO.ErrOut, "hint: %s\n", hint)
	}
	if code == ExitUsage {
		fmt.Fprintln(f.IO.ErrOut, "Run 'layerkit --help' for usage.")
	}
	return code
}

// printableLines escapes what a terminal would act on in an error message
// (a file or entry name holding ESC or CR), line by line: the line breaks
// of a multi-line message stay.
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = report.Printable(l)
	}
	return strings.Join(lines, "\n")
}

// exactArgs etc. wrap cobra's argument checks as usage errors.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(cmd, args); err != nil {
			return &UsageError{Err: err}
		}
		return nil
	}
}
