package testsupport

import (
	"os/exec"
	"syscall"
	"testing"
)

// Start starts cmd with its output in the returned buffer. The process is
// killed when the test ends, and with the test binary if that dies first.
func Start(t testing.TB, cmd *exec.Cmd) *LockedBuffer {
	t.Helper()
	log := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return log
}
