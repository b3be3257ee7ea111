//go:build !linux

package tuning

import "golang.org/x/sys/unix"

// QuickAck does nothing where TCP_QUICKACK does not exist.
func QuickAck(fd int) error { return nil }

// NoDelay sets TCP_NODELAY on fd.
func NoDelay(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// QuickAckSupported reports whether QuickAck does anything on this OS.
const QuickAckSupported = false

// KeepAlive turns TCP keepalive on or off (the period is the system's).
func KeepAlive(fd int, secs int) error {
	v := 0
	if secs > 0 {
		v = 1
	}
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, v)
}
