//go:build linux

package tuning

import (
	"os"

	"golang.org/x/sys/unix"
)

// PinThread binds the calling OS thread to cpu. The caller holds
// runtime.LockOSThread, or the pin lands on whichever goroutine runs there
// next.
func PinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return os.NewSyscallError("sched_setaffinity", unix.SchedSetaffinity(0, &set))
}

// PinSupported reports whether PinThread does anything on this OS.
const PinSupported = true
