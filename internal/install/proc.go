package install

import (
	"context"
	"errors"
	"os/exec"
	"time"
)

// stopGrace is how long an installer's process group has, after SIGTERM on
// cancel, before it is killed and its output pipes are closed. pip, uv and
// npm stop within a fraction of a second on SIGTERM; the bound is for a
// descendant that ignores it or holds the output pipe open.
const stopGrace = 3 * time.Second

// run runs cmd as the leader of a process group of its own. When ctx is
// done the whole group gets SIGTERM, and whatever is left of it when the
// installer has exited (a grandchild that ignored SIGTERM or lingered after
// a successful run) gets SIGKILL, so nothing the installer started outlives
// the call. On cancel it returns ctx.Err().
func run(ctx context.Context, cmd *exec.Cmd) error {
	setGroup(cmd)
	cmd.WaitDelay = stopGrace
	err := cmd.Start()
	if err == nil {
		err = cmd.Wait()
		killGroup(cmd)
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// The installer succeeded; a descendant kept its output open and
		// has been killed.
		return nil
	}
	return err
}
