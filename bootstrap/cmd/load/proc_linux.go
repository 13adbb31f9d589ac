package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// setDeathSignal kills a server if the load test dies first (even by
// SIGKILL, when no cleanup runs), so no server outlives it.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// clockTick is the unit of the CPU times /proc shows (USER_HZ), which
// Linux fixes at 100 Hz for user space.
const clockTick = 10 * time.Millisecond

// processCPU is the CPU time a process has used, all its threads, user
// and system.
func processCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, field 2, may hold spaces: count from its end.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return 0, false
	}
	f := strings.Fields(string(b[i+2:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, false
	}
	return ticks(f[11:13])
}

// machineCPU is the CPU time every core has spent busy since boot.
func machineCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	// user, nice, system, then (after idle and iowait) irq, softirq, steal.
	return ticks(append(f[1:4:4], f[6:9]...))
}

func ticks(fields []string) (time.Duration, bool) {
	var sum time.Duration
	for _, s := range fields {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		sum += time.Duration(n) * clockTick
	}
	return sum, true
}
