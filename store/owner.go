package store

import (
	"fmt"
	"os"
	"sync"
)

// Owner is the process that began a run: the store records it with every
// run so that a run left running by a process that is gone can be told
// from one still going (Store.InterruptOrphans).
type Owner struct {
	// Host is the host name of the machine (os.Hostname).
	Host string
	// PID is the owner's process ID on Host.
	PID int
	// Start tells a reused PID apart: on Linux the boot ID and the
	// process's start time in clock ticks after boot (/proc/PID/stat),
	// as BOOT_ID/TICKS; empty where the system does not say.
	Start string
}

// self is the owner of this process, read once.
var self = sync.OnceValue(func() Owner {
	host, err := os.Hostname()
	if err != nil {
		host = ""
	}
	pid := os.Getpid()
	return Owner{Host: host, PID: pid, Start: processStart(pid)}
})

// Self returns this process as the owner of the runs it begins. Its Host is
// empty when the system gives no host name: its runs are then nobody's to
// interrupt.
func Self() Owner { return self() }

// Known says whether the owner was recorded: runs begun before schema
// version 3 have none.
func (o Owner) Known() bool { return o.Host != "" && o.PID > 0 }

// Local says whether the owner ran on this machine (the same host name).
func (o Owner) Local() bool { return o.Known() && o.Host == Self().Host }

// Alive says whether a local owner is still running: its PID exists and,
// where the system tells, started when the owner did. It is false for an
// owner that is not local.
func (o Owner) Alive() bool {
	if !o.Local() {
		return false
	}
	if o == Self() {
		return true
	}
	return processAlive(o.PID, o.Start)
}

func (o Owner) String() string {
	if !o.Known() {
		return "unknown"
	}
	return fmt.Sprintf("%s pid %d", o.Host, o.PID)
}
