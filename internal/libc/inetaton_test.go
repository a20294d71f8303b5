package libc

import "testing"

// Expectations are glibc's inet_aton (the forms getaddrinfo takes as a
// numeric host; engine's TestResolveMatchesReference checks them against
// the reference through "host:port").
func TestInetAton(t *testing.T) {
	for _, c := range []struct {
		s    string
		want [4]byte
		ok   bool
	}{
		{"127.0.0.1", [4]byte{127, 0, 0, 1}, true},
		{"127.1", [4]byte{127, 0, 0, 1}, true},
		{"127.0.1", [4]byte{127, 0, 0, 1}, true},
		{"0x7f.0.0.1", [4]byte{127, 0, 0, 1}, true},
		{"2130706433", [4]byte{127, 0, 0, 1}, true},
		{"0127.0.0.1", [4]byte{87, 0, 0, 1}, true},
		{"0", [4]byte{}, true},
		{"4294967295", [4]byte{255, 255, 255, 255}, true},
		{"4294967296", [4]byte{}, false},
		{"1.2.3.4.5", [4]byte{}, false},
		{"1.2.3.256", [4]byte{}, false},
		{"1.2.65536", [4]byte{}, false},
		{"1.16777216", [4]byte{}, false},
		{"256.1", [4]byte{}, false},
		{"0x", [4]byte{}, false},
		{"08.0.0.1", [4]byte{}, false},
		{" 1.2.3.4", [4]byte{}, false},
		{"1.2.3.4 ", [4]byte{}, false},
		{"1..2", [4]byte{}, false},
		{"1.", [4]byte{}, false},
		{"", [4]byte{}, false},
		{"99999999999999999999999", [4]byte{}, false},
	} {
		b, ok := InetAton(c.s)
		if ok != c.ok || (ok && b != c.want) {
			t.Errorf("InetAton(%q) = %v, %v; want %v, %v", c.s, b, ok, c.want, c.ok)
		}
	}
}
