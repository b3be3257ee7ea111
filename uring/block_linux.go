//go:build linux

package uring

import (
	"syscall"
	_ "unsafe" // go:linkname
)

// The runtime's own entry points around a system call known to block:
// entersyscallblock hands the P to another thread at once, where
// syscall.Syscall keeps it until sysmon takes it back (20 µs to 10 ms
// later), which would leave the goroutines a loop iteration readied
// (executor shards) waiting while the reactor sleeps in io_uring_enter.
// Both are exported by the runtime for this use (go.dev/issue/67401).

//go:linkname entersyscallblock runtime.entersyscallblock
func entersyscallblock()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

const sysIOUringEnter = 426

// enterBlocking is io_uring_enter(fd, submit, waitNr, flags) for a call
// that sleeps.
//
//go:nosplit
//go:norace
func enterBlocking(fd int, submit, waitNr, flags uint32) (uint, syscall.Errno) {
	entersyscallblock()
	r, _, errno := syscall.RawSyscall6(sysIOUringEnter, uintptr(fd), uintptr(submit), uintptr(waitNr), uintptr(flags), 0, 0)
	exitsyscall()
	return uint(r), errno
}
