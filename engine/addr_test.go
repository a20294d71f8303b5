package engine

import (
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

var longPath = "/" + strings.Repeat("a", maxUnixPath) // one byte too long

// The reference's messages for addresses it refuses (checked against
// /usr/bin/spiped by TestResolveMatchesReference).
var resolveErrors = []struct{ spec, msg string }{
	{"", "Address must contain port number: "},
	{"foo", "Address must contain port number: foo"},
	{longPath, "socket path too long: " + longPath},
	{"[::1]", "Invalid [IP address]: [:"},
	{"[:80", "Invalid [IP address]: ["},
	{"[1.2.3.4]80:5", "Invalid [IP address]: [1.2.3.4]80"},
	{"[]:1", "Error parsing IP address: "},
	{"[1.2.3]:80", "Error parsing IP address: 1.2.3"},
	{"[::g]:80", "Error parsing IP address: ::g"},
	{"[fe80::1%lo]:24", "Error parsing IP address: fe80::1%lo"},
	{"[127.0.0.1%lo]:22", "Error parsing IP address: 127.0.0.1%lo"},
	{"[ ::1]:27", "Error parsing IP address:  ::1"},
	{"[1.2.3]:0", "Invalid port number: 0"}, // the port is checked first
	{"[::1]:0", "Invalid port number: 0"},
	{"[1.2.3.4]:0", "Invalid port number: 0"},
	{"[1.2.3.4]:+-1", "Invalid port number: +-1"},
	{"[1.2.3.4]:-0", "Invalid port number: -0"},
	{"[1.2.3.4]:65536", "Invalid port number: 65536"},
	{"[1.2.3.4]:4294967297", "Invalid port number: 4294967297"},
	{"[1.2.3.4]:-1", "Invalid port number: -1"},
	{"[1.2.3.4]:abc", "Invalid port number: abc"},
	{"[1.2.3.4]:", "Invalid port number: "},
	{"[1.2.3.4]:0x10", "Invalid port number: 0x10"},
	{"[1.2.3.4]:12 ", "Invalid port number: 12 "},
	{"[1.2.3.4]:http", "Invalid port number: http"},
	{":", "Error looking up : Name or service not known"},
	{":80", "Error looking up : Name or service not known"},
	{":abc", "Error looking up : Servname not supported for ai_socktype"},
	{"]:80", "Error looking up ]: Name or service not known"},
	{"host:abc", "Error looking up host: Servname not supported for ai_socktype"},
	{"nosuchhost.invalid:80", "Error looking up nosuchhost.invalid: Name or service not known"},
	{"nosuchhost.invalid:", "Error looking up nosuchhost.invalid: Name or service not known"},
	{"localhost:abc", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:HTTP", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:-1", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:0x10", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:15 ", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:+", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:-18446744073709551616", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"fe80::1%lo:3456789012345:1", "Error looking up fe80::1%lo:3456789012345: Name or service not known"}, // IFNAMSIZ
	{"localhost: ", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:2147483648", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"localhost:18446744073709551617", "Error looking up localhost: Servname not supported for ai_socktype"},
	{"fe80::1%:31", "Error looking up fe80::1%: Name or service not known"},
	{"fe80::1%4294967296:33", "Error looking up fe80::1%4294967296: Name or service not known"},
	{"::1%lo:34", "Error looking up ::1%lo: Name or service not known"},
	{"1:2:3:80", "Error looking up 1:2:3: Name or service not known"},
	{"1.2.3.4.5:37", "Error looking up 1.2.3.4.5: Name or service not known"},
	{"1.2.3.256:38", "Error looking up 1.2.3.256: Name or service not known"},
	{"1.2.65536:39", "Error looking up 1.2.65536: Name or service not known"},
	{"1.16777216:40", "Error looking up 1.16777216: Name or service not known"},
	{"4294967296:45", "Error looking up 4294967296: Name or service not known"},
	{"0x:41", "Error looking up 0x: Name or service not known"},
	{"08.0.0.1:42", "Error looking up 08.0.0.1: Name or service not known"},
	{"1.2.3.4 :43", "Error looking up 1.2.3.4 : Name or service not known"},
	{" 1.2.3.4:44", "Error looking up  1.2.3.4: Name or service not known"},
	{"a..b:1", "Error looking up a..b: Name or service not known"}, // no query sent
	{"bad name:1", "Error looking up bad name: Name or service not known"},
	{"localhost.:26", "Error looking up localhost.: Name or service not known"},
	{"127.0.0.1%lo:22", "Error looking up 127.0.0.1%lo: Name or service not known"},
}

func TestResolveErrors(t *testing.T) {
	for _, c := range resolveErrors {
		a, err := Resolve(c.spec)
		if err == nil {
			t.Errorf("Resolve(%q) = %v, want error %q", c.spec, a, c.msg)
			continue
		}
		if err.Error() != c.msg {
			// The .invalid names go to the configured nameserver; where it
			// cannot be reached the answer is the reference's too, but a
			// different one.
			if strings.HasSuffix(err.Error(), "Temporary failure in name resolution") &&
				strings.Contains(c.spec, ".invalid") {
				t.Logf("Resolve(%q): %v (no nameserver reachable)", c.spec, err)
				continue
			}
			t.Errorf("Resolve(%q): %q, want %q", c.spec, err, c.msg)
		}
	}
}

// tcp is the TCP address ip (with its "%zone", if any) and port.
func tcp(ip string, port uint16) Addr {
	return IPAddr(netip.AddrPortFrom(netip.MustParseAddr(ip), port))
}

// The addresses the reference accepts, with the port it listened on
// (seen with ss -ltn) where that is fixed.
var resolveForms = []struct {
	spec string
	want []Addr
}{
	{"/", []Addr{UnixAddr("/")}},
	{"/tmp/x.sock", []Addr{UnixAddr("/tmp/x.sock")}},
	{longPath[:maxUnixPath], []Addr{UnixAddr(longPath[:maxUnixPath])}},
	{"[127.0.0.1]:8025", []Addr{tcp("127.0.0.1", 8025)}},
	{"[::1]:1", []Addr{tcp("::1", 1)}},
	{"[1.2.3.4]: \t+65535", []Addr{tcp("1.2.3.4", 65535)}},
	{"[127.0.0.1]:010", []Addr{tcp("127.0.0.1", 10)}},
	{"[127.0.0.1]: 12", []Addr{tcp("127.0.0.1", 12)}},
	{"[127.0.0.1]:+13", []Addr{tcp("127.0.0.1", 13)}},
	{"[::ffff:1.2.3.4]:46", []Addr{tcp("::ffff:1.2.3.4", 46)}},
	{"127.0.0.1:80", []Addr{tcp("127.0.0.1", 80)}},
	{"127.1:16", []Addr{tcp("127.0.0.1", 16)}},
	{"0x7f.0.0.1:17", []Addr{tcp("127.0.0.1", 17)}},
	{"2130706433:18", []Addr{tcp("127.0.0.1", 18)}},
	{"0127.0.0.1:48", []Addr{tcp("87.0.0.1", 48)}},
	{"0:47", []Addr{tcp("0.0.0.0", 47)}},
	{"::1:19", []Addr{tcp("::1", 19)}},
	{"::ffff:127.0.0.1:21", []Addr{tcp("::ffff:127.0.0.1", 21)}},
	{"::1%1:35", []Addr{tcp("::1%1", 35)}},
	{"fe80::1%99:32", []Addr{tcp("fe80::1%99", 32)}},
	{"fe80::1%lo:23", []Addr{tcp("fe80::1%1", 23)}},
	{"fe80::1%lo:alias:23", []Addr{tcp("fe80::1%1", 23)}},
	{"*:30", []Addr{tcp("::1", 30), tcp("127.0.0.1", 30)}},
	{"localhost:0", []Addr{tcp("127.0.0.1", 0)}},
	{"localhost:", []Addr{tcp("127.0.0.1", 0)}},
	{"localhost:-0", []Addr{tcp("127.0.0.1", 0)}},
	{"localhost:99999", []Addr{tcp("127.0.0.1", 34463)}},
	{"localhost:65536", []Addr{tcp("127.0.0.1", 0)}},
	{"localhost:4294967296", []Addr{tcp("127.0.0.1", 0)}},
	{"localhost:-4294967295", []Addr{tcp("127.0.0.1", 1)}},
	{"localhost:-18446744073709551615", []Addr{tcp("127.0.0.1", 1)}},
	{"localhost:010", []Addr{tcp("127.0.0.1", 10)}},
	{"localhost:+14", []Addr{tcp("127.0.0.1", 14)}},
	{"localhost: 15", []Addr{tcp("127.0.0.1", 15)}},
	{"localhost:http", []Addr{tcp("127.0.0.1", 80)}},
	{"localhost:www", []Addr{tcp("127.0.0.1", 80)}},
	{"LOCALHOST:25", []Addr{tcp("127.0.0.1", 25)}},
}

func TestResolveForms(t *testing.T) {
	for _, c := range resolveForms {
		got, err := Resolve(c.spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", c.spec, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Resolve(%q) = %+v, want %+v", c.spec, got, c.want)
		}
	}
}

// TestResolveMatchesReference gives every case above to /usr/bin/spiped
// as -t (resolved before the key is read, so a missing key file stops it
// before it binds) and checks that it refuses the same addresses with the
// same message.
func TestResolveMatchesReference(t *testing.T) {
	spipedtest.NeedReference(t)
	check := func(spec, wantErr string) {
		out, _ := exec.Command(spipedtest.ReferenceSpiped, "-e", "-s", "/nonexistent/s", "-t", spec,
			"-k", "/nonexistent/key", "-F").CombinedOutput()
		var refErr string
		if tail := "\nspiped: Error resolving socket address: " + spec + "\n"; strings.HasSuffix(string(out), tail) {
			refErr = strings.TrimPrefix(strings.TrimSuffix(string(out), tail), "spiped: ")
		} else if !strings.HasPrefix(string(out), "spiped: Cannot open file: /nonexistent/key") {
			t.Errorf("reference -t %q: unexpected %q", spec, out)
			return
		}
		if refErr != wantErr {
			t.Errorf("-t %q: reference says %q, table says %q", spec, refErr, wantErr)
		}
	}
	for _, c := range resolveErrors {
		check(c.spec, c.msg)
	}
	for _, c := range resolveForms {
		check(c.spec, "")
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
	for a, want := range map[Addr]string{
		tcp("fe80::1%2", 80): "[fe80::1%2]:80",
		{Kind: KindHost, Host: "localhost", Service: "http"}: "localhost:http",
		{}: "<invalid address>",
	} {
		if got := a.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

// TestAddrSockaddr: each kind becomes its family's sockaddr, the scope id
// from the zone included; a kind that does not match its address, or a
// zone that is no scope id, is refused rather than dialled.
func TestAddrSockaddr(t *testing.T) {
	sa, family, err := tcp("fe80::1%7", 80).WithPort(443).sockaddr()
	if in6, ok := sa.(*unix.SockaddrInet6); err != nil || family != unix.AF_INET6 || !ok ||
		in6.ZoneId != 7 || in6.Port != 443 || in6.Addr != netip.MustParseAddr("fe80::1").As16() {
		t.Fatalf("[fe80::1%%7]:443: %#v, %d, %v", sa, family, err)
	}
	sa, family, err = tcp("127.0.0.1", 25).sockaddr()
	if in4, ok := sa.(*unix.SockaddrInet4); err != nil || family != unix.AF_INET || !ok || in4.Port != 25 || in4.Addr != [4]byte{127, 0, 0, 1} {
		t.Fatalf("[127.0.0.1]:25: %#v, %d, %v", sa, family, err)
	}
	sa, family, err = UnixAddr("/x").sockaddr()
	if un, ok := sa.(*unix.SockaddrUnix); err != nil || family != unix.AF_UNIX || !ok || un.Name != "/x" {
		t.Fatalf("/x: %#v, %d, %v", sa, family, err)
	}
	for _, a := range []Addr{
		IPAddr(netip.MustParseAddrPort("[fe80::1%lo]:80")),
		{Kind: KindIPv4, AddrPort: netip.MustParseAddrPort("[::1]:80")},
		{Kind: KindHost, Host: "localhost", Service: "80"},
		{},
	} {
		if _, _, err := a.sockaddr(); err == nil || err.Error() != "invalid address: "+a.String() {
			t.Errorf("%+v: %v, want invalid address", a, err)
		}
	}
}
