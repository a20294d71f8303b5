package bindaddr

import (
	"net/netip"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		spec, network, ip string
		port              int
		name              string
	}{
		{"127.0.0.1", "tcp4", "127.0.0.1", 0, "127.0.0.1:0"},
		{"[127.0.0.1]", "tcp4", "127.0.0.1", 0, "[127.0.0.1]:0"},
		{"[127.0.0.1]:4000", "tcp4", "127.0.0.1", 4000, "[127.0.0.1]:4000"},
		{"127.0.0.1:4000", "tcp4", "127.0.0.1", 4000, "127.0.0.1:4000"},
		{"::1", "tcp6", "::1", 0, "[::1]:0"},
		{"[::1]", "tcp6", "::1", 0, "[::1]:0"},
		{"[::1]:4000", "tcp6", "::1", 4000, "[::1]:4000"},
	} {
		a, name, err := Resolve(tc.spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.spec, err)
			continue
		}
		ip, _ := netip.AddrFromSlice(a.IP)
		if a.Network != tc.network || ip.String() != tc.ip || a.Port != tc.port || name != tc.name {
			t.Errorf("Resolve(%q) = %s %s port %d (%q), want %s %s port %d (%q)",
				tc.spec, a.Network, ip, a.Port, name, tc.network, tc.ip, tc.port, tc.name)
		}
	}
	if _, name, err := Resolve("[1.2.3.4]:0"); err == nil || err.Error() != "Invalid port number: 0" || name != "[1.2.3.4]:0" {
		t.Errorf(`Resolve("[1.2.3.4]:0") = %q, %v; want the reference's "Invalid port number: 0"`, name, err)
	}
}
