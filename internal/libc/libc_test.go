package libc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

// Every expectation here is glibc's answer (or, for the PARSENUM readings,
// /usr/bin/spiped's "Error parsing argument"), so each table is a list of
// inputs with what C gives for them. The address readings are also checked
// against the reference through "host:port" by engine's
// TestResolveMatchesReference.

// row is one input and the result C gives for it.
type row[In, Out comparable] struct {
	in   In
	want Out
}

// checkRows runs f, which wraps the function called name, on each row's input.
func checkRows[In, Out comparable](t *testing.T, name string, f func(In) Out, rows []row[In, Out]) {
	t.Helper()
	for _, r := range rows {
		if got := f(r.in); got != r.want {
			t.Errorf("%s(%q) = %+v, want %+v", name, fmt.Sprint(r.in), got, r.want)
		}
	}
}

// isNaN reports a NaN result without an error; NaN equals nothing, so
// the tables cannot hold it as a result.
func isNaN(v float64, err error) bool { return err == nil && math.IsNaN(v) }

type strtoulIn struct {
	s    string
	base int
}

type strtoulOut struct {
	n         uint64
	neg, over bool
	rest      string
	digits    bool
}

func TestStrtoul(t *testing.T) {
	checkRows(t, "Strtoul", func(in strtoulIn) strtoulOut {
		var o strtoulOut
		o.n, o.neg, o.over, o.rest, o.digits = Strtoul(in.s, in.base)
		return o
	}, []row[strtoulIn, strtoulOut]{
		{strtoulIn{"12", 10}, strtoulOut{12, false, false, "", true}},
		{strtoulIn{" \t+13x", 10}, strtoulOut{13, false, false, "x", true}},
		{strtoulIn{"-0", 10}, strtoulOut{0, true, false, "", true}},
		{strtoulIn{"-1", 10}, strtoulOut{1, true, false, "", true}},
		{strtoulIn{"", 10}, strtoulOut{0, false, false, "", false}},
		{strtoulIn{"+", 10}, strtoulOut{0, false, false, "+", false}},
		{strtoulIn{"- 1", 10}, strtoulOut{0, false, false, "- 1", false}},
		{strtoulIn{"0x10", 10}, strtoulOut{0, false, false, "x10", true}},
		{strtoulIn{"18446744073709551615", 10}, strtoulOut{math.MaxUint64, false, false, "", true}},
		{strtoulIn{"18446744073709551616", 10}, strtoulOut{math.MaxUint64, false, true, "", true}},
		{strtoulIn{"0x10", 0}, strtoulOut{16, false, false, "", true}},
		{strtoulIn{"0X1f.", 0}, strtoulOut{31, false, false, ".", true}},
		{strtoulIn{"0x", 0}, strtoulOut{0, false, false, "x", true}},
		{strtoulIn{"0xg", 0}, strtoulOut{0, false, false, "xg", true}},
		{strtoulIn{"010", 0}, strtoulOut{8, false, false, "", true}},
		{strtoulIn{"08", 0}, strtoulOut{0, false, false, "8", true}},
		{strtoulIn{"-0x1", 0}, strtoulOut{1, true, false, "", true}},
		{strtoulIn{"0x10000000000000000", 0}, strtoulOut{math.MaxUint64, false, true, "", true}},
	})
}

type strtodOut struct {
	v           float64
	nonzero, ok bool
}

// Strtod with end required to reach the end; TestParseSeconds covers the
// errno rules on top.
func TestStrtod(t *testing.T) {
	checkRows(t, "Strtod", func(s string) strtodOut {
		var o strtodOut
		if o.v, o.nonzero, o.ok = Strtod(s); !o.ok {
			return strtodOut{}
		}
		return o
	}, []row[string, strtodOut]{
		{"1.5", strtodOut{1.5, true, true}},
		{"-2e3", strtodOut{-2000, true, true}},
		{"0x1p-2", strtodOut{0.25, true, true}},
		{"0x.8", strtodOut{0.5, true, true}},
		{"0.0", strtodOut{0, false, true}},
		{"1e-400", strtodOut{0, true, true}}, // underflow: nonzero says so
		{"1e999", strtodOut{math.Inf(1), true, true}},
		{"-Infinity", strtodOut{math.Inf(-1), false, true}},
		{"", strtodOut{}},
		{" 1", strtodOut{}}, // space is the caller's to skip
		{"1e", strtodOut{}},
		{"0x", strtodOut{}},
		{"nan(x-1)", strtodOut{}},
	})
	checkRows(t, "Strtod", func(s string) bool { v, _, ok := Strtod(s); return ok && math.IsNaN(v) },
		[]row[string, bool]{{"nan", true}, {"-NaN", true}, {"nan(abc_1)", true}})
}

type sizeOut struct {
	n   uint64
	err error
}

func TestParseSize(t *testing.T) {
	checkRows(t, "ParseSize", func(s string) sizeOut { n, err := ParseSize(s); return sizeOut{n, err} }, []row[string, sizeOut]{
		{"0", sizeOut{0, nil}},
		{"100", sizeOut{100, nil}},
		{" 5", sizeOut{5, nil}},
		{"\t+5", sizeOut{5, nil}},
		{"0x10", sizeOut{16, nil}},
		{"0X1f", sizeOut{31, nil}},
		{"010", sizeOut{8, nil}},
		{"07", sizeOut{7, nil}},
		{"-0", sizeOut{0, nil}},
		{"-1", sizeOut{math.MaxUint64, nil}},
		{"-5", sizeOut{math.MaxUint64 - 4, nil}},
		{"18446744073709551615", sizeOut{math.MaxUint64, nil}},
		{"18446744073709551616", sizeOut{0, syscall.ERANGE}},
		{"-18446744073709551616", sizeOut{0, syscall.ERANGE}},
		{"", sizeOut{0, syscall.EINVAL}},
		{"abc", sizeOut{0, syscall.EINVAL}},
		{"5x", sizeOut{0, syscall.EINVAL}},
		{"5 ", sizeOut{0, syscall.EINVAL}},
		{"08", sizeOut{0, syscall.EINVAL}},
		{"09", sizeOut{0, syscall.EINVAL}},
		{"0x", sizeOut{0, syscall.EINVAL}},
		{"0xg", sizeOut{0, syscall.EINVAL}},
		{"+", sizeOut{0, syscall.EINVAL}},
		{"- 1", sizeOut{0, syscall.EINVAL}},
		{"1_0", sizeOut{0, syscall.EINVAL}},
		{"１", sizeOut{0, syscall.EINVAL}},
	})
}

type secondsOut struct {
	v   float64
	err error
}

func TestParseSeconds(t *testing.T) {
	checkRows(t, "ParseSeconds", func(s string) secondsOut {
		v, err := ParseSeconds(s)
		if err != nil {
			return secondsOut{0, err}
		}
		return secondsOut{v, nil}
	}, []row[string, secondsOut]{
		{"0", secondsOut{0, nil}},
		{"5", secondsOut{5, nil}},
		{"0.5", secondsOut{0.5, nil}},
		{".5", secondsOut{0.5, nil}},
		{"5.", secondsOut{5, nil}},
		{" 1", secondsOut{1, nil}},
		{"\v\f1", secondsOut{1, nil}},
		{"+1", secondsOut{1, nil}},
		{"-0", secondsOut{0, nil}},
		{"1e3", secondsOut{1000, nil}},
		{"1E+3", secondsOut{1000, nil}},
		{"0x10", secondsOut{16, nil}},
		{"0x1p3", secondsOut{8, nil}},
		{"0x1.8", secondsOut{1.5, nil}},
		{"0x.8", secondsOut{0.5, nil}},
		{"inf", secondsOut{math.Inf(1), nil}},
		{"INF", secondsOut{math.Inf(1), nil}},
		{"Infinity", secondsOut{math.Inf(1), nil}},
		{"-1", secondsOut{0, syscall.ERANGE}},
		{"-inf", secondsOut{0, syscall.ERANGE}},
		{"1e999", secondsOut{0, syscall.ERANGE}},
		{"1e-400", secondsOut{0, syscall.ERANGE}},
		{"1e-320", secondsOut{0, syscall.ERANGE}},
		{"", secondsOut{0, syscall.EINVAL}},
		{"abc", secondsOut{0, syscall.EINVAL}},
		{"1 ", secondsOut{0, syscall.EINVAL}},
		{".", secondsOut{0, syscall.EINVAL}},
		{"0x", secondsOut{0, syscall.EINVAL}},
		{"0x1p", secondsOut{0, syscall.EINVAL}},
		{"1e", secondsOut{0, syscall.EINVAL}},
		{"1e+", secondsOut{0, syscall.EINVAL}},
		{"1e5.5", secondsOut{0, syscall.EINVAL}},
		{"1_0", secondsOut{0, syscall.EINVAL}},
		{"infinit", secondsOut{0, syscall.EINVAL}},
		{"1.2.3", secondsOut{0, syscall.EINVAL}},
		{"\u00a01", secondsOut{0, syscall.EINVAL}}, // not C's isspace
	})
	checkRows(t, "ParseSeconds", func(s string) bool { return isNaN(ParseSeconds(s)) },
		[]row[string, bool]{{"nan", true}, {"NaN", true}, {"nan(1)", true}, {"-nan", true}})
}

func TestDuration(t *testing.T) {
	checkRows(t, "Duration", Duration, []row[float64, time.Duration]{
		{5, 5 * time.Second},
		{0.5, 500 * time.Millisecond},
		{1e-12, 1},
		{1e9, 1e18},
		{1e10, LongestDuration},
		{1e300, LongestDuration},
		{math.Inf(1), LongestDuration},
		{math.NaN(), LongestDuration},
	})
}

type atonOut struct {
	b  [4]byte
	ok bool
}

// inet_aton, the forms getaddrinfo takes as a numeric IPv4 host.
func TestInetAton(t *testing.T) {
	checkRows(t, "InetAton", func(s string) atonOut {
		if b, ok := InetAton(s); ok {
			return atonOut{b, true}
		}
		return atonOut{}
	}, []row[string, atonOut]{
		{"127.0.0.1", atonOut{[4]byte{127, 0, 0, 1}, true}},
		{"127.1", atonOut{[4]byte{127, 0, 0, 1}, true}},
		{"127.0.1", atonOut{[4]byte{127, 0, 0, 1}, true}},
		{"0x7f.0.0.1", atonOut{[4]byte{127, 0, 0, 1}, true}},
		{"2130706433", atonOut{[4]byte{127, 0, 0, 1}, true}},
		{"0127.0.0.1", atonOut{[4]byte{87, 0, 0, 1}, true}},
		{"0", atonOut{[4]byte{}, true}},
		{"4294967295", atonOut{[4]byte{255, 255, 255, 255}, true}},
		{"4294967296", atonOut{}},
		{"1.2.3.4.5", atonOut{}},
		{"1.2.3.256", atonOut{}},
		{"1.2.65536", atonOut{}},
		{"1.16777216", atonOut{}},
		{"256.1", atonOut{}},
		{"0x", atonOut{}},
		{"08.0.0.1", atonOut{}},
		{" 1.2.3.4", atonOut{}},
		{"1.2.3.4 ", atonOut{}},
		{"1..2", atonOut{}},
		{"1.", atonOut{}},
		{"", atonOut{}},
		{"99999999999999999999999", atonOut{}},
	})
}

type serviceOut struct {
	port        int
	ok, numeric bool
}

func TestNumericService(t *testing.T) {
	checkRows(t, "NumericService", func(s string) serviceOut {
		var o serviceOut
		o.port, o.ok, o.numeric = NumericService(s)
		return o
	}, []row[string, serviceOut]{
		{"80", serviceOut{80, true, true}},
		{"", serviceOut{0, true, true}},
		{"-0", serviceOut{0, true, true}},
		{" 15", serviceOut{15, true, true}},
		{"+14", serviceOut{14, true, true}},
		{"99999", serviceOut{34463, true, true}},
		{"65536", serviceOut{0, true, true}},
		{"4294967296", serviceOut{0, true, true}},
		{"-4294967295", serviceOut{1, true, true}},
		{"-18446744073709551615", serviceOut{1, true, true}},
		{"-1", serviceOut{0, false, true}},
		{"2147483648", serviceOut{0, false, true}},
		{"18446744073709551617", serviceOut{0, false, true}},
		{"-18446744073709551616", serviceOut{0, false, true}},
		{"15 ", serviceOut{0, false, false}},
		{"0x10", serviceOut{0, false, false}},
		{"http", serviceOut{0, false, false}},
		{"+", serviceOut{0, false, true}},
	})
}

func TestGetservbyname(t *testing.T) {
	if p, ok := Getservbyname(context.Background(), "HTTP"); ok {
		t.Errorf("Getservbyname(HTTP) = %d: glibc does not fold case", p)
	}
	if p, ok := Getservbyname(context.Background(), "http"); ok && p != 80 {
		t.Errorf("Getservbyname(http) = %d", p)
	}
}

type hostOut struct {
	ip    netip.Addr
	scope string
	ok    bool
}

func TestNumericHost(t *testing.T) {
	checkRows(t, "NumericHost", func(host string) hostOut {
		ip, scope, ok := NumericHost(host)
		a, _ := netip.AddrFromSlice(ip)
		return hostOut{a, scope, ok}
	}, []row[string, hostOut]{
		{"127.1", hostOut{netip.MustParseAddr("127.0.0.1"), "", true}},
		{"::1", hostOut{netip.IPv6Loopback(), "", true}},
		{"fe80::1%lo", hostOut{netip.MustParseAddr("fe80::1"), "lo", true}},
		{"::ffff:1.2.3.4", hostOut{netip.MustParseAddr("::ffff:1.2.3.4"), "", true}},
		{"fe80::1%", hostOut{}},
		{"127.0.0.1%lo", hostOut{}},
		{"localhost", hostOut{}},
		{"1:2:3", hostOut{}},
	})
}

type scopeIn struct {
	ip    string
	scope string
}

type scopeOut struct {
	id uint32
	ok bool
}

func TestScopeID(t *testing.T) {
	checkRows(t, "ScopeID", func(in scopeIn) scopeOut {
		b := netip.MustParseAddr(in.ip).As16()
		if id, ok := ScopeID(b[:], in.scope); ok {
			return scopeOut{id, true}
		}
		return scopeOut{}
	}, []row[scopeIn, scopeOut]{
		{scopeIn{"fe80::1", "99"}, scopeOut{99, true}},
		{scopeIn{"fe80::1", "lo"}, scopeOut{1, true}},
		{scopeIn{"fe80::1", "lo:alias"}, scopeOut{1, true}},
		{scopeIn{"fe80::1", "3456789012345"}, scopeOut{}}, // longer than IFNAMSIZ, and over 32 bits
		{scopeIn{"fe80::1", "4294967295"}, scopeOut{4294967295, true}},
		{scopeIn{"fe80::1", "4294967296"}, scopeOut{}},
		{scopeIn{"::1", "1"}, scopeOut{1, true}},
		{scopeIn{"::1", "lo"}, scopeOut{}}, // names only for link-local addresses
		{scopeIn{"::1", "1x"}, scopeOut{}},
	})
}

func TestStrerror(t *testing.T) {
	checkRows(t, "Strerror", Strerror, []row[error, string]{
		{syscall.EADDRINUSE, "Address already in use"},
		{fmt.Errorf("Error binding socket: %w", syscall.EADDRINUSE), "Error binding socket: Address already in use"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, "open /x: No such file or directory"},
		{syscall.ERANGE, "Numerical result out of range"},
		{syscall.EINVAL, "Invalid argument"},
		{errors.New("Address must contain port number: x"), "Address must contain port number: x"},
	})
}

func TestGaiStrerror(t *testing.T) {
	checkRows(t, "GaiStrerror", GaiStrerror, []row[error, string]{
		{&net.DNSError{Err: "no such host", IsNotFound: true}, EaiNoName},
		{&net.DNSError{Err: "server misbehaving", IsTemporary: true}, EaiAgain},
		{&net.DNSError{Err: "i/o timeout", IsTimeout: true}, EaiAgain},
		{&net.DNSError{Err: "cannot unmarshal DNS message"}, EaiFail},
		{&net.OpError{Op: "dial", Err: bytes.ErrTooLarge}, EaiFail},
	})
}
