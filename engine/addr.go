package engine

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Addr is one resolved socket address: a Unix path, IPv4 or IPv6 with port.
type Addr struct {
	Network string // "unix", "tcp4", "tcp6"
	Path    string // unix
	IP      []byte // 4 or 16 bytes
	Port    int
}

// maxUnixPath is the longest path that fits sun_path with its NUL.
var maxUnixPath = len(unix.RawSockaddrUnix{}.Path) - 1

// Resolve parses and resolves an address in spiped's syntax
// (/unix/path, host:port, [v4]:port, [v6]:port). Errors carry the reference's
// messages, e.g. "Address must contain port number: x", "Empty socket address",
// "Invalid port number: 0".
func Resolve(spec string) ([]Addr, error) {
	if spec == "" {
		return nil, errors.New("Empty socket address")
	}
	if spec[0] == '/' {
		if len(spec) > maxUnixPath {
			return nil, errors.New("socket path too long: " + spec)
		}
		return []Addr{{Network: "unix", Path: spec}}, nil
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return nil, errors.New("Address must contain port number: " + spec)
	}
	host, port := spec[:i], spec[i+1:]
	if strings.HasPrefix(host, "[") {
		return resolveLiteral(host, port)
	}
	return resolveName(host, port)
}

// resolveLiteral handles "[a.b.c.d]:port" and "[v6]:port": no resolver.
func resolveLiteral(host, port string) ([]Addr, error) {
	if !strings.HasSuffix(host, "]") {
		return nil, errors.New("Invalid [IP address]: " + host)
	}
	p, err := parsePort(port)
	if err != nil {
		return nil, err
	}
	inner := host[1 : len(host)-1]
	ip, perr := netip.ParseAddr(inner)
	if strings.Contains(inner, ":") {
		if perr != nil || !ip.Is6() || ip.Zone() != "" {
			return nil, errors.New("Error parsing IP address: " + inner)
		}
		b := ip.As16()
		return []Addr{{Network: "tcp6", IP: b[:], Port: p}}, nil
	}
	if perr != nil || !ip.Is4() {
		return nil, errors.New("Error parsing IP address: " + inner)
	}
	b := ip.As4()
	return []Addr{{Network: "tcp4", IP: b[:], Port: p}}, nil
}

// resolveName sends host:port to the resolver for A and AAAA records.
func resolveName(host, port string) ([]Addr, error) {
	p, err := parsePort(port)
	if _, nerr := strconv.Atoi(port); nerr != nil && port != "" {
		// A service name such as "http", as getaddrinfo would take.
		n, lerr := net.DefaultResolver.LookupPort(context.Background(), "tcp", port)
		if lerr != nil || n < 1 || n > 65535 {
			return nil, errors.New("Invalid port number: " + port)
		}
		p, err = n, nil
	}
	if err != nil {
		return nil, err
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil || len(ips) == 0 {
		msg := "no addresses"
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			msg = dnsErr.Err
		} else if err != nil {
			msg = err.Error()
		}
		return nil, errors.New("Error looking up " + host + ": " + msg)
	}
	addrs := make([]Addr, 0, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap()
		if ip.Is4() {
			b := ip.As4()
			addrs = append(addrs, Addr{Network: "tcp4", IP: b[:], Port: p})
		} else {
			b := ip.As16()
			addrs = append(addrs, Addr{Network: "tcp6", IP: b[:], Port: p})
		}
	}
	return addrs, nil
}

// parsePort accepts a decimal port 1..65535.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 || s[0] == '+' {
		return 0, errors.New("Invalid port number: " + s)
	}
	return p, nil
}

// String formats a in spiped's syntax.
func (a Addr) String() string {
	switch a.Network {
	case "unix":
		return a.Path
	case "tcp4", "tcp6":
		ip, _ := netip.AddrFromSlice(a.IP)
		return "[" + ip.String() + "]:" + strconv.Itoa(a.Port)
	}
	return "<invalid address>"
}

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
			sa := &unix.SockaddrInet6{Port: a.Port}
			copy(sa.Addr[:], a.IP)
			return sa, unix.AF_INET6, nil
		}
	}
	return nil, 0, errors.New("invalid address: " + a.String())
}
