package engine

import (
	"errors"

	"golang.org/x/sys/unix"
)

// sockaddr converts a to the unix package's form, with its address family.
func (a Addr) sockaddr() (unix.Sockaddr, int, error) {
	switch a.Network {
	case "unix":
		return &unix.SockaddrUnix{Name: a.Path}, unix.AF_UNIX, nil
	case "tcp4":
		if len(a.IP) == 4 {
			sa := &unix.SockaddrInet4{Port: a.Port}
			copy(sa.Addr[:], a.IP)
			return sa, unix.AF_INET, nil
		}
	case "tcp6":
		if len(a.IP) == 16 {
			sa := &unix.SockaddrInet6{Port: a.Port, ZoneId: a.Zone}
			copy(sa.Addr[:], a.IP)
			return sa, unix.AF_INET6, nil
		}
	}
	return nil, 0, errors.New("invalid address: " + a.String())
}
