package engine

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

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

// The gai_strerror texts the reference prints after "Error looking up host: ".
const (
	eaiNoName  = "Name or service not known"
	eaiAgain   = "Temporary failure in name resolution"
	eaiFail    = "Non-recoverable failure in name resolution"
	eaiNoData  = "No address associated with hostname"
	eaiService = "Servname not supported for ai_socktype"
)

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
	n, neg, _, rest, digits := strtoul(s)
	if !digits || rest != "" || neg || n < 1 || n > 65535 {
		return 0, false
	}
	return int(n), true
}

// strtoul reads s as C's strtoul(s, &end, 10) does: leading isspace, an
// optional sign, decimal digits. n is the magnitude, or MaxUint64 when
// over says it overflowed; rest is what follows the digits and digits
// says whether there were any (without them strtoul leaves end at s).
func strtoul(s string) (n uint64, neg, over bool, rest string, digits bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
		d := uint64(s[j] - '0')
		if over || n > (1<<64-1-d)/10 {
			n, over = 1<<64-1, true
		} else {
			n = n*10 + d
		}
	}
	if j == i {
		return 0, false, false, s, false
	}
	return n, neg, over, s[j:], true
}

func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// numericService is glibc getaddrinfo's reading of a service: (int)
// strtoul(s, &end, 10) taken as a port when end reaches the end and the
// int is not negative, the low 16 bits going into sin_port (so "" and "0"
// are port 0 and "99999" is 34463). Otherwise ok is false and s is a
// service name; numeric says it looked like a number, which no service
// name matches.
func numericService(s string) (port int, ok, numeric bool) {
	n, neg, over, rest, _ := strtoul(s)
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

// lookupService finds a service name in the services database as
// getservbyname(name, "tcp") does.
func lookupService(ctx context.Context, name string) (int, bool) {
	// Go's lookup folds case, glibc's does not; the database's names are
	// lower case, so a name with capitals is never found.
	if strings.ToLower(name) != name {
		return 0, false
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "tcp", name)
	return p, err == nil && p >= 0 && p <= 65535
}

// numericHost is glibc getaddrinfo's numeric host check: inet_aton's forms
// ("127.1", "0x7f.0.0.1", "2130706433") or an IPv6 literal with an optional
// "%scope" (resolved by scopeID). ok is false for anything else.
func numericHost(host string) (a Addr, scope string, ok bool) {
	if b, ok := inetAton(host); ok {
		return Addr{Network: "tcp4", IP: b[:]}, "", true
	}
	addr, scope, hasScope := strings.Cut(host, "%")
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is6() || ip.Zone() != "" || (hasScope && scope == "") {
		return Addr{}, "", false
	}
	b := ip.As16()
	return Addr{Network: "tcp6", IP: b[:]}, scope, true
}

// inetAton parses s as glibc's __inet_aton_exact: one to four parts, each
// decimal, octal (0...) or hex (0x...), the last filling the bytes left.
func inetAton(s string) (b [4]byte, ok bool) {
	var parts []uint64
	for {
		if s == "" || s[0] < '0' || s[0] > '9' {
			return b, false
		}
		n, rest, ok := strtoulBase0(s)
		if !ok || n > 0xffffffff {
			return b, false
		}
		parts = append(parts, n)
		if rest == "" {
			break
		}
		if rest[0] != '.' || len(parts) == 4 {
			return b, false
		}
		s = rest[1:]
	}
	last := len(parts) - 1
	for i := 0; i < last; i++ {
		if parts[i] > 0xff {
			return b, false
		}
		b[i] = byte(parts[i])
	}
	if parts[last] > 0xffffffff>>(8*last) {
		return b, false
	}
	for i := 3; i >= last; i-- {
		b[i] = byte(parts[last] >> (8 * (3 - i)))
	}
	return b, true
}

// strtoulBase0 reads the unsigned number at the start of s (a digit) as
// strtoul(s, &end, 0) does; ok is false on overflow.
func strtoulBase0(s string) (n uint64, rest string, ok bool) {
	base, i := uint64(10), 0
	if s[0] == '0' {
		base, i = 8, 1
		if len(s) > 2 && (s[1] == 'x' || s[1] == 'X') && hexVal(s[2]) < 16 {
			base, i = 16, 2
		}
	}
	for ; i < len(s); i++ {
		d := hexVal(s[i])
		if d >= base {
			break
		}
		if n > (1<<64-1-d)/base {
			return 0, "", false
		}
		n = n*base + d
	}
	return n, s[i:], true
}

func hexVal(c byte) uint64 {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0')
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10
	}
	return 255
}

// scopeID turns the scope of "v6%scope" into an id as glibc's
// __inet6_scopeid_pton does: an interface name for link-local addresses,
// else a decimal number that fits 32 bits.
func scopeID(ip []byte, scope string) (uint32, bool) {
	a := netip.AddrFrom16([16]byte(ip))
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		if i, ok := ifIndex(scope); ok {
			return i, true
		}
	}
	if scope[0] < '0' || scope[0] > '9' {
		return 0, false
	}
	n, _, _, rest, _ := strtoul(scope)
	return uint32(n), rest == "" && n <= 0xffffffff
}

// ifIndex is if_nametoindex(3): names must fit IFNAMSIZ, and Linux
// ignores an alias suffix ("lo:1" is lo).
func ifIndex(name string) (uint32, bool) {
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

// lookupHost resolves host and service as the reference's getaddrinfo
// call (AF_UNSPEC, SOCK_STREAM): the service first, then a numeric host,
// "*" (the loopback addresses), or the resolver.
func lookupHost(host, service string) ([]Addr, error) {
	fail := func(why string) ([]Addr, error) {
		return nil, errors.New("Error looking up " + host + ": " + why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	port, ok, numeric := numericService(service)
	if !ok && !numeric {
		port, ok = lookupService(ctx, service)
	}
	if !ok {
		return fail(eaiService)
	}
	if host == "*" {
		return []Addr{
			{Network: "tcp6", IP: net.IPv6loopback, Port: port},
			{Network: "tcp4", IP: []byte{127, 0, 0, 1}, Port: port},
		}, nil
	}
	if a, scope, ok := numericHost(host); ok {
		if scope != "" {
			if a.Zone, ok = scopeID(a.IP, scope); !ok {
				return fail(eaiNoName)
			}
		}
		a.Port = port
		return []Addr{a}, nil
	}
	if strings.ContainsAny(host, ":%") {
		// Not an address; Go's resolver would take a zone glibc refuses.
		return fail(eaiNoName)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fail(gaiText(err))
	}
	if len(ips) == 0 {
		return fail(eaiNoData)
	}
	addrs := make([]Addr, 0, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap() // Go returns A records as IPv4-mapped IPv6
		if ip.Is4() {
			b := ip.As4()
			addrs = append(addrs, Addr{Network: "tcp4", IP: b[:], Port: port})
		} else {
			b := ip.As16()
			addrs = append(addrs, Addr{Network: "tcp6", IP: b[:], Port: port})
		}
	}
	return addrs, nil
}

// gaiText maps a resolver error to the gai_strerror text of the error
// glibc's getaddrinfo would return.
func gaiText(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return eaiNoName
	case errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary),
		errors.Is(err, context.DeadlineExceeded):
		return eaiAgain
	}
	return eaiFail
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
