package testenv

import "syscall"

// childAttrs kills the control-plane processes if the test binary dies
// without running its cleanups (a panic, a timeout), so no stray API server
// outlives the run.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
