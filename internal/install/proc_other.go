//go:build !unix

package install

import "os/exec"

// setGroup keeps exec's default on systems without process groups: cancel
// kills the installer itself, and WaitDelay bounds the wait for descendants
// that hold its output.
func setGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {}
