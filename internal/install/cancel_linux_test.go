//go:build linux

package install_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/install"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// TestCancelStopsGrandchildren runs a fake installer that starts a
// grandchild holding its stdout, then cancels. The test process is made a
// child subreaper, so the orphaned grandchild becomes its child and wait4
// tells how it ended: killed by a signal, rather than exiting 0 after its
// 30-second sleep (which is what happened when only the installer was
// killed and Run waited for the pipe to close). The second grandchild
// ignores SIGTERM, so only the SIGKILL that follows stops it.
func TestCancelStopsGrandchildren(t *testing.T) {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		t.Skipf("prctl(PR_SET_CHILD_SUBREAPER): %v", e)
	}
	defer syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 0, 0)
	for _, tt := range []struct{ name, grandchild string }{
		{"sleeps", `sleep 30 & echo $! > "$started"`},
		{"ignores SIGTERM", `sh -c 'trap "" TERM; echo $$ > "$0"; exec sleep 30' "$started" &`},
	} {
		t.Run(tt.name, func(t *testing.T) { cancelWithGrandchild(t, tt.grandchild) })
	}
}

func cancelWithGrandchild(t *testing.T, grandchild string) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	if err := syscall.Mkfifo(started, 0o600); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "uv")
	// The grandchild inherits stdout and writes its pid to the FIFO once
	// it is set up; the installer then sleeps.
	script := "#!/bin/sh\nstarted=" + started + "\n" + grandchild + "\nexec sleep 30\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := project(t, "anything\n", "python3.12-x86_64")
	jobs, err := install.Plan(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan install.Result, 1)
	go func() { done <- install.Run(ctx, jobs, install.Options{UV: fake})[0] }()
	pid := make(chan int, 1)
	go func() {
		b, _ := os.ReadFile(started) // blocks until the fake opens the FIFO
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		pid <- n
	}()
	var gc int
	select {
	case r := <-done:
		t.Fatalf("the fake installer ended before it was cancelled: %v\n%s", r.Err, r.Output)
	case gc = <-pid:
	}
	if gc <= 0 {
		t.Fatal("the fake installer did not report its grandchild's pid")
	}
	cancel()
	r := <-done
	if !errors.Is(r.Err, context.Canceled) {
		t.Errorf("err = %v, want one wrapping context.Canceled", r.Err)
	}
	if ents, err := os.ReadDir(jobs[0].Dir); err != nil || len(ents) > 0 {
		t.Errorf("layer folder after the interrupted install: %v %v, want it empty", ents, err)
	}
	if _, err := os.Lstat(filepath.Join(cfg.Dir, install.StateDir)); !os.IsNotExist(err) {
		t.Errorf("%s left in the project: %v", install.StateDir, err)
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(gc, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("wait4(%d): %v", gc, err)
		}
		break
	}
	if !ws.Signaled() {
		t.Errorf("the grandchild was not killed: exited with status %d after its sleep", ws.ExitStatus())
	}
	if err := syscall.Kill(gc, 0); err != syscall.ESRCH {
		t.Errorf("kill -0 %d after Run returned: %v, want ESRCH", gc, err)
	}
}
