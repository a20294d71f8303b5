package bindaddr

import (
	"net/netip"

	"github.com/spiped-go/spiped/engine"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		spec string
		kind engine.Kind
		ap   string
		name string
	}{
		{"127.0.0.1", engine.KindIPv4, "127.0.0.1:0", "127.0.0.1:0"},
		{"[127.0.0.1]", engine.KindIPv4, "127.0.0.1:0", "[127.0.0.1]:0"},
		{"[127.0.0.1]:4000", engine.KindIPv4, "127.0.0.1:4000", "[127.0.0.1]:4000"},
		{"127.0.0.1:4000", engine.KindIPv4, "127.0.0.1:4000", "127.0.0.1:4000"},
		{"::1", engine.KindIPv6, "[::1]:0", "[::1]:0"},
		{"[::1]", engine.KindIPv6, "[::1]:0", "[::1]:0"},
		{"[::1]:4000", engine.KindIPv6, "[::1]:4000", "[::1]:4000"},
	} {
		a, name, err := Resolve(tc.spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.spec, err)
			continue
		}
		if a.Kind != tc.kind || a.AddrPort != netip.MustParseAddrPort(tc.ap) || name != tc.name {
			t.Errorf("Resolve(%q) = kind %d %s (%q), want kind %d %s (%q)",
				tc.spec, a.Kind, a.AddrPort, name, tc.kind, tc.ap, tc.name)
		}
	}
	if _, name, err := Resolve("[1.2.3.4]:0"); err == nil || err.Error() != "Invalid port number: 0" || name != "[1.2.3.4]:0" {
		t.Errorf(`Resolve("[1.2.3.4]:0") = %q, %v; want the reference's "Invalid port number: 0"`, name, err)
	}
}
