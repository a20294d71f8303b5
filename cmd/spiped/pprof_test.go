package main

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// A name is accepted only if every address it resolves to is loopback,
// and the debug server then listens on one of those addresses (IPv4
// first), not on the name, which could resolve differently next time.
func TestPprofAddrNames(t *testing.T) {
	hosts := map[string][]string{
		"localhost":  {"::1", "127.0.0.1"},
		"loop6":      {"::1"},
		"mixed":      {"127.0.0.1", "192.0.2.1"},
		"public":     {"192.0.2.1"},
		"mixed6":     {"::1", "2001:db8::1"},
		"mapped":     {"::ffff:127.0.0.2"},
		"mappedwild": {"::ffff:0.0.0.0"},
		"none":       {},
	}
	lookupErr := errors.New("lookup nxdomain: no such host")
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		list, ok := hosts[host]
		if !ok {
			return nil, lookupErr
		}
		var ips []netip.Addr
		for _, s := range list {
			ips = append(ips, netip.MustParseAddr(s))
		}
		return ips, nil
	}
	for _, tc := range []struct {
		spec, want string
		err        error
	}{
		{"localhost:6060", "127.0.0.1:6060", nil},
		{"loop6:0", "[::1]:0", nil},
		{"mapped:0", "127.0.0.2:0", nil},
		{"127.0.0.1:0", "127.0.0.1:0", nil},
		{"127.8.9.10:0", "127.8.9.10:0", nil},
		{"[::1]:0", "[::1]:0", nil},
		{"mixed:0", "", errNotLoopback},
		{"public:0", "", errNotLoopback},
		{"mixed6:0", "", errNotLoopback},
		{"mappedwild:0", "", errNotLoopback},
		{"none:0", "", errNotLoopback},
		{"nxdomain:0", "", lookupErr},
		{":6060", "", errNotLoopback},
		{"0.0.0.0:6060", "", errNotLoopback},
		{"[::]:6060", "", errNotLoopback},
		{"[fe80::1%eth0]:0", "", errNotLoopback},
		{"6060", "", errNotLoopback},
	} {
		got, err := pprofAddr(tc.spec, lookup)
		if got != tc.want || err != tc.err {
			t.Errorf("pprofAddr(%q) = %q, %v; want %q, %v", tc.spec, got, err, tc.want, tc.err)
		}
	}
}
