package main

import (
	"net"

	"github.com/spiped-go/spiped/cmd/internal/warnp"
	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/libc"
)

// observer is what --log-connections and --metrics add to a daemon; with
// neither it does nothing, and the daemon behaves as the reference does.
type observer struct {
	log     *connLog       // nil without --log-connections
	metrics *metricsServer // nil without --metrics
}

// observe starts the connection logger and the --metrics listener. It
// runs first, before -D daemonizes and before the lookups, so that
// /readyz and /healthz answer (503) while -D is still retrying them, and
// so that a --metrics address that cannot be bound is an error the
// parent still reports: printed, and the daemon exits 1.
func observe(o *options, w *warnp.Warner) (*observer, bool) {
	ob := &observer{}
	if o.logConns {
		ob.log = newConnLog(o.logJSON, w.Info, w.Print)
		go ob.log.run()
	}
	if o.metrics != "" {
		ln, err := net.Listen("tcp", o.metrics)
		if err != nil {
			w.Warnf("Error listening on --metrics address: %s", libc.Strerror(err))
			ob.stop()
			return nil, false
		}
		ob.metrics = newMetricsServer(o)
		ob.metrics.log = ob.log
		go ob.metrics.serve(ln)
	}
	return ob, true
}

// configure has the engine report connection ends to the logger.
func (ob *observer) configure(cfg *engine.Config) {
	if ob.log != nil {
		cfg.OnEnd = ob.log.onEnd
	}
}

// serving gives --metrics the server to read.
func (ob *observer) serving(srv *engine.Server) {
	if ob.metrics != nil {
		ob.metrics.srv.Store(srv)
	}
}

// stop prints the connection lines still queued; call it once the server
// has returned (or was never served).
func (ob *observer) stop() {
	if ob.log != nil {
		ob.log.close()
		ob.log = nil
	}
}
