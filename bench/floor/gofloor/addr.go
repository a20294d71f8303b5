//go:build linux

package main

// addr.go ports ../addr.h: dying with a message, and reading spiped's -e,
// -s and -t with its IPv4 addresses (host:port, or [host]:port as spiped
// writes literals).

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// die is perror and exit(1).
func die(s string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", s, err)
	os.Exit(1)
}

// parse reads hp into sa, a struct sockaddr_in, as addr.h does: the host
// is what precedes the last colon, without brackets around it; the port is
// what atoi makes of the rest, truncated to 16 bits like htons does.
func parse(hp string, sa *unix.RawSockaddrInet4) {
	c := strings.LastIndexByte(hp, ':')
	if c < 0 || c >= 256 {
		fmt.Fprintf(os.Stderr, "floor: bad address %s\n", hp)
		os.Exit(1)
	}
	host := hp[:c]
	if hp[0] == '[' && c > 1 && hp[c-1] == ']' {
		host = hp[1 : c-1]
	}
	*sa = unix.RawSockaddrInet4{Family: unix.AF_INET}
	port := uint16(atoi(hp[c+1:]))
	p := (*[2]byte)(unsafe.Pointer(&sa.Port)) // network byte order
	p[0], p[1] = byte(port>>8), byte(port)
	// inet_pton(AF_INET): four decimal parts, no leading zeros; so is
	// ParseAddr's IPv4 form.
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		fmt.Fprintf(os.Stderr, "floor: bad host %s\n", host)
		os.Exit(1)
	}
	sa.Addr = a.As4()
}

// atoi is C's: leading white space, a sign, then digits up to the first
// other byte; 0 if there are none.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for ; s != "" && s[0] >= '0' && s[0] <= '9'; s = s[1:] {
		n = n*10 + int(s[0]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// options reads -e, -s and -t; every other option is ignored, on its own:
// an ignored option's value (-k KEY, --metrics ADDR) is one more argument
// that is neither -e nor -s nor -t, and is ignored as well.
func options(args []string, name string, enc *bool, src, tgt *unix.RawSockaddrInet4) {
	var s, t string
	var haveS, haveT bool
	for i := 1; i < len(args); i++ {
		switch {
		case args[i] == "-e":
			*enc = true
		case args[i] == "-s" && i+1 < len(args):
			i++
			s, haveS = args[i], true
		case args[i] == "-t" && i+1 < len(args):
			i++
			t, haveT = args[i], true
		}
	}
	if !haveS || !haveT {
		fmt.Fprintf(os.Stderr, "usage: %s -e|-d -s host:port -t host:port [ignored]\n", name)
		os.Exit(1)
	}
	parse(s, src)
	parse(t, tgt)
}
