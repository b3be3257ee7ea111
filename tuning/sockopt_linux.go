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

// KeepAlive turns TCP keepalive on with Redis's timing (idle period secs,
// probes every secs/3, three probes), or off when secs is 0.
func KeepAlive(fd int, secs int) error {
	if secs <= 0 {
		return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, max(secs/3, 1)); err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
}
