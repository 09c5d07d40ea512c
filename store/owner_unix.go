//go:build unix && !linux

package store

import (
	"errors"
	"syscall"
)

// processStart returns "": these systems do not tell a process's start
// without cgo, so a reused PID looks alive.
func processStart(int) string { return "" }

// processAlive says whether process pid exists (signal 0 reaches it, or is
// refused for permission).
func processAlive(pid int, _ string) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
