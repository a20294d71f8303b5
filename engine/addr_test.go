package engine

import (
	"bytes"
	"strings"
	"testing"
)

func TestResolveErrors(t *testing.T) {
	long := "/" + strings.Repeat("a", maxUnixPath)
	cases := []struct{ spec, msg string }{
		{"", "Empty socket address"},
		{"foo", "Address must contain port number: foo"},
		{"[::1]:0", "Invalid port number: 0"},
		{"[1.2.3.4]:70000", "Invalid port number: 70000"},
		{"[1.2.3.4]:-1", "Invalid port number: -1"},
		{"[1.2.3.4]:abc", "Invalid port number: abc"},
		{"[1.2.3.4]:", "Invalid port number: "},
		{"localhost:0", "Invalid port number: 0"},
		{"localhost:65536", "Invalid port number: 65536"},
		{"[1.2.3]:80", "Error parsing IP address: 1.2.3"},
		{"[::g]:80", "Error parsing IP address: ::g"},
		{"[1.2.3.4]80:5", "Invalid [IP address]: [1.2.3.4]80"},
		{long, "socket path too long: " + long},
	}
	for _, c := range cases {
		a, err := Resolve(c.spec)
		if err == nil {
			t.Errorf("Resolve(%q) = %v, want error %q", c.spec, a, c.msg)
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("Resolve(%q): %q, want %q", c.spec, err, c.msg)
		}
	}
}

func TestResolveForms(t *testing.T) {
	cases := []struct {
		spec string
		want Addr
	}{
		{"/tmp/x.sock", Addr{Network: "unix", Path: "/tmp/x.sock"}},
		{"[127.0.0.1]:8025", Addr{Network: "tcp4", IP: []byte{127, 0, 0, 1}, Port: 8025}},
		{"[::1]:1", Addr{Network: "tcp6", IP: append(make([]byte, 15), 1), Port: 1}},
		{"[1.2.3.4]:65535", Addr{Network: "tcp4", IP: []byte{1, 2, 3, 4}, Port: 65535}},
		{"127.0.0.1:80", Addr{Network: "tcp4", IP: []byte{127, 0, 0, 1}, Port: 80}},
		{"::1:80", Addr{Network: "tcp6", IP: append(make([]byte, 15), 1), Port: 80}},
	}
	for _, c := range cases {
		a, err := Resolve(c.spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", c.spec, err)
			continue
		}
		if len(a) != 1 || a[0].Network != c.want.Network || a[0].Path != c.want.Path ||
			!bytes.Equal(a[0].IP, c.want.IP) || a[0].Port != c.want.Port {
			t.Errorf("Resolve(%q) = %+v, want %+v", c.spec, a, c.want)
		}
	}
}

func TestResolveName(t *testing.T) {
	a, err := Resolve("localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range a {
		if x.Port != 8080 {
			t.Errorf("port %d", x.Port)
		}
		if x.Network == "tcp4" && bytes.Equal(x.IP, []byte{127, 0, 0, 1}) {
			found = true
		}
	}
	if !found {
		t.Errorf("localhost resolved to %v, no 127.0.0.1", a)
	}
	if _, err := Resolve("nonexistent.invalid:80"); err == nil ||
		!strings.HasPrefix(err.Error(), "Error looking up nonexistent.invalid: ") {
		t.Errorf("unknown host: %v", err)
	}
}

func TestAddrString(t *testing.T) {
	for _, s := range []string{"/a/b", "[10.0.0.1]:9", "[::1]:443"} {
		a, err := Resolve(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := a[0].String(); got != s {
			t.Errorf("String() = %q, want %q", got, s)
		}
	}
}
