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
		a, err := ParseAddr(spec)
		if err != nil {
			if a != (Addr{}) || !knownParseError(err.Error(), spec) {
				t.Fatalf("ParseAddr(%q) = %+v, %q", spec, a, err)
			}
			return
		}
		switch a.Kind {
		case KindUnix:
			if a != UnixAddr(spec) || !strings.HasPrefix(a.Path, "/") || len(a.Path) > maxUnixPath {
				t.Fatalf("ParseAddr(%q): path %q", spec, a.Path)
			}
		case KindIPv4, KindIPv6:
			ip := a.AddrPort.Addr()
			if ip.Is4() != (a.Kind == KindIPv4) || a.AddrPort.Port() < 1 || ip.Zone() != "" ||
				a.Path != "" || a.Host != "" || a.Service != "" || !strings.HasPrefix(spec, "[") {
				t.Fatalf("ParseAddr(%q) = %+v", spec, a)
			}
			// The canonical form parses back to the same address.
			if q, err := ParseAddr(a.String()); err != nil || q != a {
				t.Fatalf("ParseAddr(%q) = %+v; its String %q gives %+v, %v", spec, a, a.String(), q, err)
			}
		case KindHost:
			if a.String() != spec || strings.Contains(a.Service, ":") || a.AddrPort.IsValid() ||
				strings.HasPrefix(a.Host, "[") || strings.HasPrefix(a.Host, "/") {
				t.Fatalf("ParseAddr(%q): host %q service %q", spec, a.Host, a.Service)
			}
			checkHostForm(t, a.Host, a.Service)
		default:
			t.Fatalf("ParseAddr(%q): kind %d", spec, a.Kind)
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
