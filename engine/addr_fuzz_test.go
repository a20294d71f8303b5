package engine

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/spiped-go/spiped/internal/libc"
)

// FuzzParseAddr feeds arbitrary strings to the lookup-free part of
// Resolve: ParseAddr, and for the host form the numeric service and host
// readings getaddrinfo would apply. Nothing here touches the resolver.
func FuzzParseAddr(f *testing.F) {
	for _, c := range resolveErrors {
		f.Add(c.spec)
	}
	for _, c := range resolveForms {
		f.Add(c.spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParseAddr(spec)
		if err != nil {
			if p.Addr.Network != "" || p.Host != "" || p.Service != "" || !knownParseError(err.Error(), spec) {
				t.Fatalf("ParseAddr(%q) = %+v, %q", spec, p, err)
			}
			return
		}
		a := p.Addr
		switch a.Network {
		case "unix":
			if a.Path != spec || !strings.HasPrefix(a.Path, "/") || len(a.Path) > maxUnixPath {
				t.Fatalf("ParseAddr(%q): path %q", spec, a.Path)
			}
		case "tcp4", "tcp6":
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok || ip.Is4() != (a.Network == "tcp4") || a.Port < 1 || a.Port > 65535 ||
				a.Zone != 0 || !strings.HasPrefix(spec, "[") {
				t.Fatalf("ParseAddr(%q) = %+v", spec, a)
			}
			// The canonical form parses back to the same address.
			q, err := ParseAddr(a.String())
			if err != nil || q.Addr.Network != a.Network || !bytes.Equal(q.Addr.IP, a.IP) || q.Addr.Port != a.Port {
				t.Fatalf("ParseAddr(%q) = %+v; its String %q gives %+v, %v", spec, a, a.String(), q, err)
			}
		case "":
			if p.Host+":"+p.Service != spec || strings.Contains(p.Service, ":") ||
				strings.HasPrefix(p.Host, "[") || strings.HasPrefix(p.Host, "/") {
				t.Fatalf("ParseAddr(%q): host %q service %q", spec, p.Host, p.Service)
			}
			checkHostForm(t, p.Host, p.Service)
		default:
			t.Fatalf("ParseAddr(%q): network %q", spec, a.Network)
		}
	})
}

// knownParseError reports whether msg is one of the reference's messages
// for spec (or the one for a NUL, which no command line can hold).
func knownParseError(msg, spec string) bool {
	for _, prefix := range []string{
		"socket path too long: ", "Address must contain port number: ", "Invalid [IP address]: ",
		"Invalid port number: ", "Error parsing IP address: ",
	} {
		if strings.HasPrefix(msg, prefix) && strings.Contains(spec, msg[len(prefix):]) {
			return true
		}
	}
	return msg == "NUL byte in socket address" && strings.Contains(spec, "\x00")
}

// checkHostForm checks the numeric readings of a host and a service
// (libc's getaddrinfo rules) on what ParseAddr left for the resolver.
func checkHostForm(t *testing.T, host, service string) {
	t.Helper()
	port, ok, numeric := libc.NumericService(service)
	if ok && (port < 0 || port > 65535 || !numeric) || !ok && port != 0 {
		t.Fatalf("NumericService(%q) = %d, %v, %v", service, port, ok, numeric)
	}
	ip, scope, ok := libc.NumericHost(host)
	// Where Go's parser takes a dotted quad, inet_aton agrees with it.
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		if want := a.As4(); !ok || len(ip) != 4 || !bytes.Equal(ip, want[:]) {
			t.Fatalf("NumericHost(%q) = %v, %v, want %v", host, ip, ok, a)
		}
	}
	switch {
	case !ok && ip == nil && scope == "":
	case ok && len(ip) == 4 && scope == "":
	case ok && len(ip) == 16 && scope == "" && !strings.Contains(host, "%"),
		ok && len(ip) == 16 && scope != "" && strings.HasSuffix(host, "%"+scope):
	default:
		t.Fatalf("NumericHost(%q) = %v, %q, %v", host, ip, scope, ok)
	}
}
