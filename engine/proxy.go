package engine

import (
	"errors"
	"net/netip"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// peerOf is the address at the other end of a connected socket; invalid
// for a Unix socket (or one already reset). It asks the kernel directly,
// into memory on the stack: unix.Getpeername would allocate per call.
func peerOf(fd int) netip.AddrPort {
	var rsa unix.RawSockaddrAny
	n := uint32(unsafe.Sizeof(rsa))
	if _, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd),
		uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n))); e != 0 {
		return netip.AddrPort{}
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), netPort(&a.Port))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), netPort(&a.Port))
	}
	return netip.AddrPort{}
}

// netPort reads a port stored in network byte order.
func netPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// errnoOf is err's errno, or EIO for an error that has none.
func errnoOf(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EIO
}

// proxyHeader is the PROXY protocol v1 line for the connection accepted
// on fd from peer: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n" (TCP6 for
// IPv6), with the address the client connected to as the destination, or
// "PROXY UNKNOWN\r\n" where either end is not an IP socket.
func proxyHeader(fd int, peer netip.AddrPort) []byte {
	var local netip.AddrPort
	if sa, err := unix.Getsockname(fd); err == nil {
		local = addrPortOf(sa)
	}
	if !peer.IsValid() || !local.IsValid() || peer.Addr().Is4() != local.Addr().Is4() {
		return []byte("PROXY UNKNOWN\r\n")
	}
	proto := "TCP6 "
	if peer.Addr().Is4() {
		proto = "TCP4 "
	}
	b := make([]byte, 0, 108)
	b = append(b, "PROXY "+proto...)
	b = peer.Addr().WithZone("").AppendTo(b)
	b = append(b, ' ')
	b = local.Addr().WithZone("").AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(peer.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(local.Port()), 10)
	return append(b, "\r\n"...)
}
