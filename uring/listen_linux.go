//go:build linux

package uring

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// listener is one reactor's SO_REUSEPORT socket on one address.
type listener struct {
	fd     int
	addr   string // host:port it is bound to
	any    bool   // bound to the unspecified address: ask each connection its local address
	armed  bool   // an accept is pending
	ops    int    // requests in flight naming this listener (accept, cancel)
	closed bool
}

// listen opens a blocking SO_REUSEPORT listening socket on addr (io_uring
// waits on it; the reactor never blocks).
func listen(addr string, backlog int) (*listener, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	ip := ta.IP
	family := unix.AF_INET
	var sa unix.Sockaddr
	if ip4 := ip.To4(); ip4 != nil || ip == nil {
		s4 := &unix.SockaddrInet4{Port: ta.Port}
		if ip4 != nil {
			copy(s4.Addr[:], ip4)
		}
		sa = s4
	} else {
		family = unix.AF_INET6
		s6 := &unix.SockaddrInet6{Port: ta.Port}
		copy(s6.Addr[:], ip.To16())
		if ta.Zone != "" {
			if ifi, err := net.InterfaceByName(ta.Zone); err == nil {
				s6.ZoneId = uint32(ifi.Index)
			}
		}
		sa = s6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	fail := func(call string, err error) (*listener, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", addr, os.NewSyscallError(call, err))
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("setsockopt", err)
	}
	if family == unix.AF_INET6 {
		// Redis binds "::" and "0.0.0.0" separately: IPv6 only.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	l := &listener{fd: fd, addr: addr, any: ip == nil || ip.IsUnspecified()}
	if got, err := unix.Getsockname(fd); err == nil {
		l.addr = sockaddrString(got)
	}
	return l, nil
}

// sockaddrString formats a TCP socket address as net.JoinHostPort does.
func sockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr).Unmap()
		return netip.AddrPortFrom(ip, uint16(a.Port)).String()
	}
	return ""
}
