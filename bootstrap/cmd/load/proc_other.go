//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// setDeathSignal is Linux-only; elsewhere the load test's own cleanup is
// the only one.
func setDeathSignal(*exec.Cmd) {}

// processCPU reads /proc, so it is Linux-only: the report leaves CPU out.
func processCPU(int) (time.Duration, bool) { return 0, false }

// machineCPU reads /proc, so it is Linux-only.
func machineCPU() (time.Duration, bool) { return 0, false }
