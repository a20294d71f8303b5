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

// Addr is one resolved socket address: a Unix path, IPv4 or IPv6 with port.
type Addr struct {
	Network string // "unix", "tcp4", "tcp6"
	Path    string // unix
	IP      []byte // 4 or 16 bytes
	Port    int    // 0..65535; 0 (from "host:0") binds any port
	Zone    uint32 // IPv6 scope id ("fe80::1%lo:80"), 0 if none
}

// maxUnixPath is the longest path that fits sun_path with its NUL.
var maxUnixPath = len(unix.RawSockaddrUnix{}.Path) - 1

// lookupTimeout bounds one host lookup. The resolver gives up on its own
// after resolv.conf's timeout times attempts (5 s x 2 by default), as
// glibc does; this only stops a lookup that would hang past that.
const lookupTimeout = 30 * time.Second

// ParsedAddr is an address after the syntax checks, before any lookup:
// either Addr (a Unix path or a bracketed IP literal, complete) or Host and
// Service, which the reference hands to getaddrinfo.
type ParsedAddr struct {
	Addr          Addr   // Network is "" for the host form
	Host, Service string // "host:service" split at the last ':'
}

// Resolve parses and resolves an address as the reference's sock_resolve
// does, with its messages: "/unix/path" (shorter than sun_path),
// "[a.b.c.d]:port" and "[v6]:port" (port 1..65535, no lookup), or
// "host:service" resolved with getaddrinfo's rules, so "localhost:0" and
// "127.1:http" are accepted and failures read "Error looking up host:
// Name or service not known".
func Resolve(spec string) ([]Addr, error) {
	p, err := ParseAddr(spec)
	if err != nil {
		return nil, err
	}
	if p.Addr.Network != "" {
		return []Addr{p.Addr}, nil
	}
	return lookupHost(p.Host, p.Service)
}

// ParseAddr does the part of Resolve that needs neither the resolver nor
// any file: the Unix path and bracketed forms are complete, the host form
// is only split.
func ParseAddr(spec string) (ParsedAddr, error) {
	if strings.IndexByte(spec, 0) >= 0 {
		// Unreachable from a command line, where C strings end at NUL.
		return ParsedAddr{}, errors.New("NUL byte in socket address")
	}
	if strings.HasPrefix(spec, "/") {
		if len(spec) > maxUnixPath {
			return ParsedAddr{}, errors.New("socket path too long: " + spec)
		}
		return ParsedAddr{Addr: Addr{Network: "unix", Path: spec}}, nil
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return ParsedAddr{}, errors.New("Address must contain port number: " + spec)
	}
	host, port := spec[:i], spec[i+1:]
	if !strings.HasPrefix(host, "[") {
		return ParsedAddr{Host: host, Service: port}, nil
	}
	a, err := parseBracketed(host, port)
	return ParsedAddr{Addr: a}, err
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
	if strings.Contains(inner, ":") {
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return Addr{}, errors.New("Error parsing IP address: " + inner)
		}
		b := ip.As16()
		return Addr{Network: "tcp6", IP: b[:], Port: p}, nil
	}
	if err != nil || !ip.Is4() {
		return Addr{}, errors.New("Error parsing IP address: " + inner)
	}
	b := ip.As4()
	return Addr{Network: "tcp4", IP: b[:], Port: p}, nil
}

// parsePort reads a bracketed form's port as libcperciva's PARSENUM(&p,
// s, 1, 65535) does: base 10, leading space and a sign allowed, nothing
// after the digits.
func parsePort(s string) (int, bool) {
	n, neg, _, rest, digits := libc.Strtoul(s, 10)
	if !digits || rest != "" || neg || n < 1 || n > 65535 {
		return 0, false
	}
	return int(n), true
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
	port, ok, numeric := libc.NumericService(service)
	if !ok && !numeric {
		port, ok = libc.Getservbyname(ctx, service)
	}
	if !ok {
		return fail(libc.EaiService)
	}
	if host == "*" {
		return []Addr{
			{Network: "tcp6", IP: net.IPv6loopback, Port: port},
			{Network: "tcp4", IP: []byte{127, 0, 0, 1}, Port: port},
		}, nil
	}
	if ip, scope, ok := libc.NumericHost(host); ok {
		a := ipAddr(ip, port)
		if scope != "" {
			if a.Zone, ok = libc.ScopeID(ip, scope); !ok {
				return fail(libc.EaiNoName)
			}
		}
		return []Addr{a}, nil
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
		addrs = append(addrs, ipAddr(ip.Unmap().AsSlice(), port))
	}
	return addrs, nil
}

// ipAddr is the TCP address of a 4- or 16-byte IP.
func ipAddr(ip []byte, port int) Addr {
	if len(ip) == 4 {
		return Addr{Network: "tcp4", IP: ip, Port: port}
	}
	return Addr{Network: "tcp6", IP: ip, Port: port}
}

// String formats a in spiped's syntax.
func (a Addr) String() string {
	switch a.Network {
	case "unix":
		return a.Path
	case "tcp4", "tcp6":
		ip, _ := netip.AddrFromSlice(a.IP)
		s := ip.String()
		if a.Zone != 0 {
			s += "%" + strconv.FormatUint(uint64(a.Zone), 10)
		}
		return "[" + s + "]:" + strconv.Itoa(a.Port)
	}
	return "<invalid address>"
}
