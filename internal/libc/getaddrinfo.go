package libc

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// The reference resolves "host:service" with getaddrinfo(AF_UNSPEC,
// SOCK_STREAM). Go's resolver reads services and numeric hosts by other
// rules (it refuses "127.1", folds the case of service names, takes "%zone"
// on any address), so the readings that decide what the reference accepts
// are glibc's, written out here.

// NumericService is glibc getaddrinfo's reading of a service: (int)
// strtoul(s, &end, 10) taken as a port when end reaches the end and the
// int is not negative, the low 16 bits going into sin_port (so "" and "0"
// are port 0 and "99999" is 34463). Otherwise ok is false and s is a
// service name; numeric says it looked like a number, which no service
// name matches.
func NumericService(s string) (port int, ok, numeric bool) {
	n, neg, over, rest, _ := Strtoul(s, 10)
	if rest != "" {
		return 0, false, strings.TrimLeft(strings.TrimLeft(s, "+-"), "0123456789") == ""
	}
	if neg && !over {
		n = -n // strtoul negates in unsigned arithmetic
	}
	v := int32(uint32(n)) // "" has no digits and is port 0
	if v < 0 {
		return 0, false, true
	}
	return int(uint16(v)), true, true
}

// Getservbyname finds a service name in the services database as
// getservbyname(name, "tcp") does.
func Getservbyname(ctx context.Context, name string) (int, bool) {
	// Go's lookup folds case, glibc's does not; the database's names are
	// lower case, so a name with capitals is never found.
	if strings.ToLower(name) != name {
		return 0, false
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "tcp", name)
	return p, err == nil && p >= 0 && p <= 65535
}

// NumericHost is glibc getaddrinfo's numeric host check: inet_aton's forms
// ("127.1", "0x7f.0.0.1", "2130706433"), giving 4 bytes, or an IPv6 literal
// with an optional "%scope" (for ScopeID), giving 16. ok is false for
// anything else, which getaddrinfo then asks the resolver about.
func NumericHost(host string) (ip []byte, scope string, ok bool) {
	if b, ok := InetAton(host); ok {
		return b[:], "", true
	}
	addr, scope, hasScope := strings.Cut(host, "%")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Zone() != "" || (hasScope && scope == "") {
		return nil, "", false
	}
	b := a.As16()
	return b[:], scope, true
}

// ScopeID turns the scope of "v6%scope" into an id as glibc's
// __inet6_scopeid_pton does: an interface name for link-local addresses,
// else a decimal number that fits 32 bits. ip is 16 bytes and scope is not
// empty, as NumericHost returns them.
func ScopeID(ip []byte, scope string) (uint32, bool) {
	a := netip.AddrFrom16([16]byte(ip))
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		if i, ok := ifNameToIndex(scope); ok {
			return i, true
		}
	}
	if scope[0] < '0' || scope[0] > '9' {
		return 0, false
	}
	n, _, _, rest, _ := Strtoul(scope, 10)
	return uint32(n), rest == "" && n <= 0xffffffff
}

// ifNameToIndex is if_nametoindex(3): names must fit IFNAMSIZ, and Linux
// ignores an alias suffix ("lo:1" is lo).
func ifNameToIndex(name string) (uint32, bool) {
	if len(name) >= unix.IFNAMSIZ {
		return 0, false
	}
	if runtime.GOOS == "linux" {
		name, _, _ = strings.Cut(name, ":")
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil || ifi.Index <= 0 {
		return 0, false
	}
	return uint32(ifi.Index), true
}
