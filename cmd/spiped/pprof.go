package main

import (
	"expvar"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/spiped-go/spiped/engine"
)

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
