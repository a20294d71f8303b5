package main

import (
	"context"
	"errors"
	"expvar"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/spiped-go/spiped/engine"
)

// errNotLoopback refuses a --pprof address that is not loopback-only.
var errNotLoopback = errors.New("not a loopback address")

// lookupFunc resolves a host name, as net.Resolver.LookupNetIP does.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// pprofAddr checks the --pprof address spec ("host:port") and returns the
// one to listen on. The debug server hands out goroutine dumps, the
// command line and profiles to anyone who connects, so it must only be
// reachable from this machine: an empty host (which means every
// interface), a literal that is not a loopback address, or a name with
// any address that is not loopback is refused with errNotLoopback; a
// name that cannot be resolved, with the lookup's error. A name is resolved here, once,
// and the address returned is the loopback address it gave (IPv4 first,
// as net.Listen prefers), so a second lookup cannot bind elsewhere.
func pprofAddr(spec string, lookup lookupFunc) (string, error) {
	host, port, err := net.SplitHostPort(spec)
	if err != nil || host == "" {
		return "", errNotLoopback
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !ip.IsLoopback() {
			return "", errNotLoopback
		}
		return spec, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ips, err := lookup(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", errNotLoopback
	}
	best := ips[0]
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return "", errNotLoopback
		}
		if ip.Unmap().Is4() && !best.Unmap().Is4() {
			best = ip
		}
	}
	return net.JoinHostPort(best.Unmap().String(), port), nil
}

// servePprof serves --pprof: the runtime's profiles under /debug/pprof/
// and, under /debug/vars, expvar's memory statistics plus the engine's
// counters as "engine". It uses its own mux, so nothing else is exposed.
func servePprof(ln net.Listener, srv *engine.Server) {
	expvar.Publish("engine", expvar.Func(func() any { return srv.Stats() }))
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	hs.Serve(ln)
}
