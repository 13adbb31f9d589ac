package dynamotest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the emulator if the test binary dies first, so a
// crashed test run leaves no JVM behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
