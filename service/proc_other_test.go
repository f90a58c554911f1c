//go:build !linux

package service

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's; the tests' cleanup kills the children.
func dieWithParent(*exec.Cmd) {}
