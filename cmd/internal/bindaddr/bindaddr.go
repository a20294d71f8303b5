// Package bindaddr turns the -b option into the address outgoing sockets
// bind to. Unlike -s and -t, -b may omit the port, which then is 0 (any).
package bindaddr

import (
	"strings"

	"github.com/spiped-go/spiped/engine"
)

// Resolve resolves spec as the reference resolves -b: "host" and "a.b.c.d"
// bind to port 0, as do a bare IPv6 address ("::1") and a bracketed one
// ("[::1]"); a spec with a port ("host:port", "[v6]:port") or a Unix path
// is resolved as given. The first address found is used. The returned
// name is the one to print in "Error resolving socket address".
func Resolve(spec string) (addr *engine.Addr, name string, err error) {
	host, anyPort := hostOnly(spec)
	if !anyPort {
		addrs, err := engine.Resolve(spec)
		if err != nil {
			return nil, spec, err
		}
		return first(addrs), spec, nil
	}
	name = host + ":0"
	// engine.Resolve accepts ports 1..65535 only: resolve with port 1 and
	// then ask for any port.
	addrs, err := engine.Resolve(host + ":1")
	if err != nil {
		return nil, name, err
	}
	a := first(addrs)
	if a != nil {
		*a = a.WithPort(0)
	}
	return a, name, nil
}

// hostOnly reports whether spec names a host without a port and returns
// it in a form engine.Resolve takes before ":port".
func hostOnly(spec string) (string, bool) {
	if strings.HasPrefix(spec, "/") {
		return "", false
	}
	colons := strings.Count(spec, ":")
	switch {
	case colons == 0:
		return spec, true
	case strings.HasPrefix(spec, "[") && strings.HasSuffix(spec, "]"):
		return spec, true
	case colons > 1 && !strings.Contains(spec, "]"):
		return "[" + spec + "]", true
	}
	return "", false
}

func first(addrs []engine.Addr) *engine.Addr {
	if len(addrs) == 0 {
		return nil
	}
	a := addrs[0]
	return &a
}
