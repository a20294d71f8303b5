package engine

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// sockaddr converts a to the unix package's form, with its address family.
func (a Addr) sockaddr() (unix.Sockaddr, int, error) {
	ip := a.AddrPort.Addr()
	switch a.Kind {
	case KindUnix:
		return &unix.SockaddrUnix{Name: a.Path}, unix.AF_UNIX, nil
	case KindIPv4:
		if ip.Is4() {
			return &unix.SockaddrInet4{Port: int(a.AddrPort.Port()), Addr: ip.As4()}, unix.AF_INET, nil
		}
	case KindIPv6:
		// The zone is the scope id lookupHost wrote in decimal, or none.
		var zone uint64
		var err error
		if z := ip.Zone(); z != "" {
			zone, err = strconv.ParseUint(z, 10, 32)
		}
		if ip.Is6() && err == nil {
			return &unix.SockaddrInet6{Port: int(a.AddrPort.Port()), ZoneId: uint32(zone), Addr: ip.As16()}, unix.AF_INET6, nil
		}
	}
	return nil, 0, errors.New("invalid address: " + a.String())
}
