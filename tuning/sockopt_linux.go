//go:build linux

package tuning

import "golang.org/x/sys/unix"

// QuickAck re-arms TCP_QUICKACK on fd: Linux falls back to delayed ACKs
// after some segments, so it is set again after reads.
func QuickAck(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
}

// NoDelay sets TCP_NODELAY on fd.
func NoDelay(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// QuickAckSupported reports whether QuickAck does anything on this OS.
const QuickAckSupported = true
