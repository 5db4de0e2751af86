//go:build unix

package install

import (
	"os/exec"
	"syscall"
)

// setGroup makes cmd the leader of a new process group and makes cancelling
// its context send SIGTERM to that group, so a grandchild (a build backend,
// a postinstall script) stops with it instead of holding the output pipe.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}

// killGroup sends SIGKILL to what is left of cmd's process group once cmd
// has been waited for. The group cannot have been reused while a member is
// alive, and ESRCH (no member left) is the usual case.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
