package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// StateError says a function cannot be called or changed because of its
// state: it is Failed, its last update failed, or Lambda could not restore
// its code. Retrying does not help; Error says what to do.
type StateError struct {
	// State is the function's State ("Failed"), UpdateFailed for a
	// failed LastUpdateStatus, or "" for an exception Lambda answered a
	// call with.
	State string
	// Code is Lambda's reason code (ImageDeleted, ImageAccessDenied,
	// InsufficientRolePermissions, …) or the exception's code
	// (CodeArtifactUserFailedException); Reason is Lambda's text.
	Code, Reason string
	// Err is the exception, when there was one.
	Err error
}

// UpdateFailed is StateError.State for an update Lambda failed
// (LastUpdateStatus Failed).
const UpdateFailed = "update failed"

func (e *StateError) Error() string {
	var msg string
	switch e.State {
	case UpdateFailed:
		msg = "Lambda failed the update"
	case "":
		msg = "Lambda refused the call"
	default:
		msg = "the function is " + e.State
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if fix := Fix(e.State, e.Code); fix != "" {
		msg += "; " + fix
	}
	return msg
}

// Unwrap returns the exception, if any.
func (e *StateError) Unwrap() error { return e.Err }

// failedState is the StateError of a Failed function.
func failedState(c *ltypes.FunctionConfiguration) *StateError {
	return &StateError{State: string(c.State), Code: string(c.StateReasonCode), Reason: aws.ToString(c.StateReason)}
}

// isArtifactPending reports whether err is Lambda's answer to a call to an
// image function it is restoring (CodeArtifactUserPendingException, 409):
// the function goes back to Active within a minute or two, so waiting
// helps.
func isArtifactPending(err error) bool {
	var p *ltypes.CodeArtifactUserPendingException
	return errors.As(err, &p)
}

// Codes of Lambda's exceptions for code it could not restore, as
// StateError.Code holds them.
const (
	codeArtifactFailed  = "CodeArtifactUserFailedException"
	codeArtifactDeleted = "CodeArtifactUserDeletedException"
)

// explain turns Lambda's answers that no retry cures into a StateError
// that says what to do; other errors pass unchanged.
func explain(err error) error {
	var f *ltypes.CodeArtifactUserFailedException
	var d *ltypes.CodeArtifactUserDeletedException
	switch {
	case errors.As(err, &f):
		return &StateError{Code: codeArtifactFailed, Reason: f.ErrorMessage(), Err: err}
	case errors.As(err, &d):
		return &StateError{Code: codeArtifactDeleted, Reason: d.ErrorMessage(), Err: err}
	}
	return err
}

// pendingRetry is one call's progress through CodeArtifactUserPending
// refusals: when the first came, and the next pause.
type pendingRetry struct {
	since time.Time
	delay time.Duration
}

// awaitRestore waits after a CodeArtifactUserPendingException (err): for
// the function to settle (Lambda shows it Pending while it restores the
// code), then a pause that doubles from PollMin to PollMax. Once
// ActivateWait has passed since the first refusal it gives up with an
// error wrapping err.
func (a *applier) awaitRestore(ctx context.Context, api ApplyAPI, arn string, p *pendingRetry, err error) error {
	if p.since.IsZero() {
		p.since, p.delay = time.Now(), a.o.PollMin
	}
	if waited := time.Since(p.since); waited >= a.o.ActivateWait {
		return fmt.Errorf("Lambda was still restoring the function's code after %s (ActivateWait): %w", waited.Round(time.Second), err)
	}
	if _, serr := a.settle(ctx, api, arn); serr != nil {
		return serr
	}
	if err := sleep(ctx, p.delay); err != nil {
		return err
	}
	p.delay = min(2*p.delay, a.o.PollMax)
	return nil
}
