//go:build linux

package tuning

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPinThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Skip(err)
	}
	defer func() { _ = unix.SchedSetaffinity(0, &old) }()
	cpu := -1
	for i := 0; i < 1024; i++ {
		if old.IsSet(i) {
			cpu = i
		}
	}
	if err := PinThread(cpu); err != nil {
		t.Fatal(err)
	}
	var got unix.CPUSet
	if err := unix.SchedGetaffinity(0, &got); err != nil {
		t.Fatal(err)
	}
	if got.Count() != 1 || !got.IsSet(cpu) {
		t.Fatalf("affinity after PinThread(%d): %d CPUs, cpu set %v", cpu, got.Count(), got.IsSet(cpu))
	}
}
