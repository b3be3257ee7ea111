//go:build linux

package uring

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/pawelgaczynski/giouring"
)

// The opcodes a reactor submits.
var neededOps = []struct {
	op   uint8
	name string
}{
	{giouring.OpAccept, "ACCEPT"},
	{giouring.OpRecv, "RECV"},
	{giouring.OpSend, "SEND"},
	{giouring.OpRead, "READ"},
	{giouring.OpAsyncCancel, "ASYNC_CANCEL"},
	{giouring.OpTimeout, "TIMEOUT"},
}

// features is what the running kernel offers beyond the minimum.
type features struct {
	multishotRecv bool // Linux 6.0
}

// Probe sets up a ring, checks the opcodes the backend submits and
// registers a provided-buffer ring. A nil error means the backend can run;
// otherwise the error wraps ErrUnavailable and says why.
func Probe() error {
	_, err := probe()
	return err
}

func probe() (features, error) {
	var f features
	// Multishot accept, provided-buffer rings and cancel-by-fd arrived in
	// 5.19; multishot receive in 6.0.
	ok, err := giouring.CheckKernelVersion(5, 19, 0)
	if err != nil {
		return f, fmt.Errorf("%w: reading the kernel version: %v", ErrUnavailable, err)
	}
	if !ok {
		return f, fmt.Errorf("%w: Linux 5.19 or later is needed (%s)", ErrUnavailable, kernelRelease())
	}
	f.multishotRecv, _ = giouring.CheckKernelVersion(6, 0, 0)

	ring := giouring.NewRing()
	if err := ring.QueueInit(8, 0); err != nil {
		return f, fmt.Errorf("%w: io_uring_setup: %v%s", ErrUnavailable, err, disabledHint(err))
	}
	defer ring.QueueExit()
	p, err := ring.GetProbeRing()
	if err != nil {
		return f, fmt.Errorf("%w: opcode probe: %v", ErrUnavailable, err)
	}
	var missing []string
	for _, o := range neededOps {
		if !p.IsSupported(o.op) {
			missing = append(missing, o.name)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("%w: the kernel lacks IORING_OP_%s", ErrUnavailable, strings.Join(missing, ", IORING_OP_"))
	}
	br, err := newBufRing(ring, 8, 64)
	if err != nil {
		return f, fmt.Errorf("%w: provided-buffer ring: %v", ErrUnavailable, err)
	}
	br.free(ring)
	return f, nil
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown kernel"
	}
	return "running " + strings.TrimSpace(string(b))
}

// disabledHint explains the usual reasons io_uring_setup is refused.
func disabledHint(err error) string {
	if !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.ENOSYS) && !errors.Is(err, syscall.EACCES) {
		return ""
	}
	if b, rerr := os.ReadFile("/proc/sys/kernel/io_uring_disabled"); rerr == nil {
		switch strings.TrimSpace(string(b)) {
		case "1":
			return " (kernel.io_uring_disabled=1: only members of kernel.io_uring_group may use it)"
		case "2":
			return " (kernel.io_uring_disabled=2)"
		}
	}
	return " (blocked by seccomp or a container profile?)"
}
