package engine

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// sockaddrRoom holds one address of each IP family. A loop dials one
// address at a time, and the connect is done with it (the kernel has it,
// or the ring its copy) before the next dial, so one room serves all of a
// loop's dials and they make no garbage.
type sockaddrRoom struct {
	in4 unix.SockaddrInet4
	in6 unix.SockaddrInet6
}

// sockaddr converts a to the unix package's form, with its address family.
func (a Addr) sockaddr() (unix.Sockaddr, int, error) { return a.sockaddrIn(nil) }

// sockaddrIn is sockaddr, writing an IP address into room (nil: a new
// one), which it points into.
func (a Addr) sockaddrIn(room *sockaddrRoom) (unix.Sockaddr, int, error) {
	ip := a.AddrPort.Addr()
	switch a.Kind {
	case KindUnix:
		return &unix.SockaddrUnix{Name: a.Path}, unix.AF_UNIX, nil
	case KindIPv4:
		if ip.Is4() {
			if room == nil {
				room = new(sockaddrRoom)
			}
			room.in4 = unix.SockaddrInet4{Port: int(a.AddrPort.Port()), Addr: ip.As4()}
			return &room.in4, unix.AF_INET, nil
		}
	case KindIPv6:
		// The zone is the scope id lookupHost wrote in decimal, or none.
		var zone uint64
		var err error
		if z := ip.Zone(); z != "" {
			zone, err = strconv.ParseUint(z, 10, 32)
		}
		if ip.Is6() && err == nil {
			if room == nil {
				room = new(sockaddrRoom)
			}
			room.in6 = unix.SockaddrInet6{Port: int(a.AddrPort.Port()), ZoneId: uint32(zone), Addr: ip.As16()}
			return &room.in6, unix.AF_INET6, nil
		}
	}
	return nil, 0, errors.New("invalid address: " + a.String())
}
