package store

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// processStart returns BOOT_ID/TICKS for process pid: the boot the machine
// is in and the process's start time in clock ticks after it (field 22 of
// /proc/PID/stat); empty when /proc does not say.
func processStart(pid int) string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses: the fields after it follow the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state): field 22 is f[19].
	if len(f) < 20 {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + f[19]
}

// processAlive says whether process pid runs and, when start is known,
// started then.
func processAlive(pid int, start string) bool {
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		return false
	}
	if start == "" {
		return true
	}
	now := processStart(pid)
	// A process that ended between the two reads has no start: gone.
	return now == start
}
