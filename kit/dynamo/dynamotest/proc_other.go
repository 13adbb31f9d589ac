//go:build !linux

package dynamotest

import "os/exec"

// setDeathSignal is Linux-only; elsewhere Stop is the only cleanup.
func setDeathSignal(*exec.Cmd) {}
