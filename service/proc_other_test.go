//go:build !linux

package service

import (
	"os/exec"
	"time"
)

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's; the tests' cleanup kills the children.
func dieWithParent(*exec.Cmd) {}

// cpuTime is not measured here.
func cpuTime(int) (time.Duration, bool) { return 0, false }
