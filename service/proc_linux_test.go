package service

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill a child process when the test
// binary that started it dies, so that no NATS node or worker outlives a
// crashed test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
