package engine

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spiped-go/spiped/internal/libc"
	"golang.org/x/sys/unix"
)

// Kind says which of the reference's address forms an Addr holds; the
// socket family follows from it, so nothing compares network names.
type Kind uint8

const (
	KindInvalid Kind = iota // the zero Addr, which no spec gives
	KindUnix                // "/path": Path
	KindIPv4                // AddrPort holds a 4-byte address
	KindIPv6                // AddrPort holds a 16-byte address, its zone the decimal scope id
	KindHost                // "host:service" before getaddrinfo: Host and Service
)

// Addr is one socket address: a Unix path, an IPv4 or IPv6 address with
// port, or (from ParseAddr only) a host and service still to be looked up.
// Build one with UnixAddr or IPAddr, so Kind and AddrPort agree.
type Addr struct {
	Kind     Kind
	Path     string         // KindUnix
	AddrPort netip.AddrPort // KindIPv4, KindIPv6; port 0 (from "host:0") binds any port
	Host     string         // KindHost, as split at the last ':'
	Service  string         // KindHost
}

// UnixAddr is the address of the Unix socket at path.
func UnixAddr(path string) Addr { return Addr{Kind: KindUnix, Path: path} }

// IPAddr is the TCP address ap: KindIPv4 for a 4-byte address, KindIPv6
// for a 16-byte one (IPv4-mapped ones included, as the reference keeps
// "[::ffff:1.2.3.4]" an AF_INET6 socket).
func IPAddr(ap netip.AddrPort) Addr {
	if ap.Addr().Is4() {
		return Addr{Kind: KindIPv4, AddrPort: ap}
	}
	return Addr{Kind: KindIPv6, AddrPort: ap}
}

// WithPort is a with its port replaced, as -b without a port asks for any.
func (a Addr) WithPort(port uint16) Addr {
	a.AddrPort = netip.AddrPortFrom(a.AddrPort.Addr(), port)
	return a
}

// maxUnixPath is the longest path that fits sun_path with its NUL.
var maxUnixPath = len(unix.RawSockaddrUnix{}.Path) - 1

// lookupTimeout bounds one host lookup. The resolver gives up on its own
// after resolv.conf's timeout times attempts (5 s x 2 by default), as
// glibc does; this only stops a lookup that would hang past that.
const lookupTimeout = 30 * time.Second

// Resolve parses and resolves an address as the reference's sock_resolve
// does, with its messages: "/unix/path" (shorter than sun_path),
// "[a.b.c.d]:port" and "[v6]:port" (port 1..65535, no lookup), or
// "host:service" resolved with getaddrinfo's rules, so "localhost:0" and
// "127.1:http" are accepted and failures read "Error looking up host:
// Name or service not known".
func Resolve(spec string) ([]Addr, error) {
	a, err := ParseAddr(spec)
	if err != nil {
		return nil, err
	}
	if a.Kind != KindHost {
		return []Addr{a}, nil
	}
	return lookupHost(a.Host, a.Service)
}

// ParseAddr does the part of Resolve that needs neither the resolver nor
// any file: the Unix path and bracketed forms are complete, the host form
// is only split into a KindHost Addr.
func ParseAddr(spec string) (Addr, error) {
	if strings.IndexByte(spec, 0) >= 0 {
		// Unreachable from a command line, where C strings end at NUL.
		return Addr{}, errors.New("NUL byte in socket address")
	}
	if strings.HasPrefix(spec, "/") {
		if len(spec) > maxUnixPath {
			return Addr{}, errors.New("socket path too long: " + spec)
		}
		return UnixAddr(spec), nil
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return Addr{}, errors.New("Address must contain port number: " + spec)
	}
	host, port := spec[:i], spec[i+1:]
	if !strings.HasPrefix(host, "[") {
		return Addr{Kind: KindHost, Host: host, Service: port}, nil
	}
	return parseBracketed(host, port)
}

// parseBracketed handles "[a.b.c.d]:port" and "[v6]:port" as inet_pton
// does: no lookup, no zone. The port is checked before the address.
func parseBracketed(host, port string) (Addr, error) {
	if !strings.HasSuffix(host, "]") {
		return Addr{}, errors.New("Invalid [IP address]: " + host)
	}
	p, ok := parsePort(port)
	if !ok {
		return Addr{}, errors.New("Invalid port number: " + port)
	}
	inner := host[1 : len(host)-1]
	ip, err := netip.ParseAddr(inner)
	// inet_pton(AF_INET6) for anything with a colon, else AF_INET.
	if err != nil || ip.Is6() != strings.Contains(inner, ":") || ip.Zone() != "" {
		return Addr{}, errors.New("Error parsing IP address: " + inner)
	}
	return IPAddr(netip.AddrPortFrom(ip, p)), nil
}

// parsePort reads a bracketed form's port as libcperciva's PARSENUM(&p,
// s, 1, 65535) does: base 10, leading space and a sign allowed, nothing
// after the digits.
func parsePort(s string) (uint16, bool) {
	n, neg, _, rest, digits := libc.Strtoul(s, 10)
	if !digits || rest != "" || neg || n < 1 || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// lookupHost resolves host and service as the reference's getaddrinfo
// call (AF_UNSPEC, SOCK_STREAM): the service first, then a numeric host,
// "*" (the loopback addresses), or the resolver.
func lookupHost(host, service string) ([]Addr, error) {
	fail := func(why string) ([]Addr, error) {
		return nil, errors.New("Error looking up " + host + ": " + why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	n, ok, numeric := libc.NumericService(service)
	if !ok && !numeric {
		n, ok = libc.Getservbyname(ctx, service)
	}
	if !ok {
		return fail(libc.EaiService)
	}
	port := uint16(n) // both readings give 0..65535
	if host == "*" {
		return []Addr{
			IPAddr(netip.AddrPortFrom(netip.IPv6Loopback(), port)),
			IPAddr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)),
		}, nil
	}
	if ip, scope, ok := libc.NumericHost(host); ok {
		a, _ := netip.AddrFromSlice(ip)
		if scope != "" {
			id, ok := libc.ScopeID(ip, scope)
			if !ok {
				return fail(libc.EaiNoName)
			}
			a = a.WithZone(strconv.FormatUint(uint64(id), 10))
		}
		return []Addr{IPAddr(netip.AddrPortFrom(a, port))}, nil
	}
	if strings.ContainsAny(host, ":%") {
		// Not an address; Go's resolver would take a zone glibc refuses.
		return fail(libc.EaiNoName)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fail(libc.GaiStrerror(err))
	}
	if len(ips) == 0 {
		return fail(libc.EaiNoData)
	}
	addrs := make([]Addr, 0, len(ips))
	for _, ip := range ips {
		// Go returns A records as IPv4-mapped IPv6.
		addrs = append(addrs, IPAddr(netip.AddrPortFrom(ip.Unmap(), port)))
	}
	return addrs, nil
}

// String formats a in spiped's syntax.
func (a Addr) String() string {
	switch a.Kind {
	case KindUnix:
		return a.Path
	case KindIPv4, KindIPv6:
		return "[" + a.AddrPort.Addr().String() + "]:" + strconv.Itoa(int(a.AddrPort.Port()))
	case KindHost:
		return a.Host + ":" + a.Service
	}
	return "<invalid address>"
}
