package libc

import (
	"bytes"
	"context"
	"net"
	"testing"
)

func TestNumericService(t *testing.T) {
	for _, c := range []struct {
		s           string
		port        int
		ok, numeric bool
	}{
		{"80", 80, true, true},
		{"", 0, true, true},
		{"-0", 0, true, true},
		{" 15", 15, true, true},
		{"+14", 14, true, true},
		{"99999", 34463, true, true},
		{"65536", 0, true, true},
		{"4294967296", 0, true, true},
		{"-4294967295", 1, true, true},
		{"-18446744073709551615", 1, true, true},
		{"-1", 0, false, true},
		{"2147483648", 0, false, true},
		{"18446744073709551617", 0, false, true},
		{"-18446744073709551616", 0, false, true},
		{"15 ", 0, false, false},
		{"0x10", 0, false, false},
		{"http", 0, false, false},
		{"+", 0, false, true},
	} {
		port, ok, numeric := NumericService(c.s)
		if port != c.port || ok != c.ok || numeric != c.numeric {
			t.Errorf("NumericService(%q) = %d, %v, %v; want %d, %v, %v", c.s, port, ok, numeric, c.port, c.ok, c.numeric)
		}
	}
}

func TestGetservbyname(t *testing.T) {
	if p, ok := Getservbyname(context.Background(), "HTTP"); ok {
		t.Errorf("Getservbyname(HTTP) = %d: glibc does not fold case", p)
	}
	if p, ok := Getservbyname(context.Background(), "http"); ok && p != 80 {
		t.Errorf("Getservbyname(http) = %d", p)
	}
}

func TestNumericHost(t *testing.T) {
	for _, c := range []struct {
		host  string
		ip    net.IP
		scope string
		ok    bool
	}{
		{"127.1", net.IP{127, 0, 0, 1}, "", true},
		{"::1", net.IPv6loopback, "", true},
		{"fe80::1%lo", net.ParseIP("fe80::1"), "lo", true},
		{"::ffff:1.2.3.4", net.ParseIP("::ffff:1.2.3.4"), "", true},
		{"fe80::1%", nil, "", false},
		{"127.0.0.1%lo", nil, "", false},
		{"localhost", nil, "", false},
		{"1:2:3", nil, "", false},
	} {
		ip, scope, ok := NumericHost(c.host)
		if ok != c.ok || scope != c.scope || !bytes.Equal(ip, c.ip) {
			t.Errorf("NumericHost(%q) = %v, %q, %v; want %v, %q, %v", c.host, ip, scope, ok, c.ip, c.scope, c.ok)
		}
	}
}

func TestScopeID(t *testing.T) {
	ll, lo := net.ParseIP("fe80::1"), []byte(net.IPv6loopback)
	for _, c := range []struct {
		ip    []byte
		scope string
		id    uint32
		ok    bool
	}{
		{ll, "99", 99, true},
		{ll, "lo", 1, true},
		{ll, "lo:alias", 1, true},
		{ll, "3456789012345", 0, false}, // longer than IFNAMSIZ, and over 32 bits
		{ll, "4294967295", 4294967295, true},
		{ll, "4294967296", 0, false},
		{lo, "1", 1, true},
		{lo, "lo", 0, false}, // names only for link-local addresses
		{lo, "1x", 0, false},
	} {
		id, ok := ScopeID(c.ip, c.scope)
		if ok != c.ok || (ok && id != c.id) {
			t.Errorf("ScopeID(%v, %q) = %d, %v; want %d, %v", net.IP(c.ip), c.scope, id, ok, c.id, c.ok)
		}
	}
}
