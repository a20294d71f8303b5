package main

import (
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/cmd/internal/metrics"
	"github.com/spiped-go/spiped/cmd/internal/version"
	"github.com/spiped-go/spiped/engine"
)

// readyTTL is how long /readyz trusts its last lookup of the target, so
// that frequent probes do not become frequent DNS queries.
const readyTTL = 5 * time.Second

// metricsServer serves --metrics: /metrics (Prometheus text format),
// /healthz and /readyz. It listens from early on (before -D's lookups
// succeed, and before the source is bound); until the engine's server is
// set, the counters read 0 and /healthz answers 503.
type metricsServer struct {
	srv      atomic.Pointer[engine.Server]
	encrypt  bool
	maxConns int
	log      *connLog // nil without --log-connections
	ready    readiness
}

// readiness caches whether the target resolves.
type readiness struct {
	target  string
	resolve func(string) ([]engine.Addr, error)

	mu  sync.Mutex // held through a lookup: concurrent probes share it
	at  time.Time  // of the last lookup; zero before the first
	err error      // its outcome
}

func newMetricsServer(o *options) *metricsServer {
	return &metricsServer{encrypt: o.encrypt, maxConns: o.maxConns,
		ready: readiness{target: o.Target, resolve: engine.Resolve}}
}

// serve answers on ln until the process exits.
func (m *metricsServer) serve(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", m.metrics)
	mux.HandleFunc("/healthz", m.healthz)
	mux.HandleFunc("/readyz", m.readyz)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	hs.Serve(ln)
}

// healthz: 200 while the listener is open and the daemon is not draining.
func (m *metricsServer) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	srv := m.srv.Load()
	switch {
	case srv == nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("starting\n"))
	case srv.ShuttingDown():
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("draining\n"))
	default:
		w.Write([]byte("ok\n"))
	}
}

// readyz: 200 when the target resolves to at least one address (looked
// up at most every readyTTL), else 503 with the lookup's error.
func (m *metricsServer) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := m.ready.check(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("target " + m.ready.target + " does not resolve: " + err.Error() + "\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func (r *readiness) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && time.Since(r.at) < readyTTL {
		return r.err
	}
	addrs, err := r.resolve(r.target)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses found")
	}
	r.at, r.err = time.Now(), err
	return err
}

// metrics writes every family, each series present from the start (an
// ended_total for every cause, 0 included), in base units.
func (m *metricsServer) metrics(w http.ResponseWriter, r *http.Request) {
	var st engine.Stats
	draining := false
	if srv := m.srv.Load(); srv != nil {
		st = srv.Stats()
		draining = srv.ShuttingDown()
	}
	ended := func(c engine.Cause) int64 {
		if int(c) < len(st.Ended) {
			return st.Ended[c]
		}
		return 0
	}
	// Sealed bytes come from the source side with -e and go back to it
	// with -d; opened ones the other way round.
	toTarget, toSource := st.PlainOut, st.PlainIn
	if m.encrypt {
		toTarget, toSource = st.PlainIn, st.PlainOut
	}

	poller := st.Poller
	if poller == "" {
		poller = "none" // not listening yet: no loop has chosen one
	}
	var x metrics.Writer
	x.Family("spiped_build_info", "Build and runtime facts; the value is always 1.", "gauge",
		metrics.Sample{Labels: []metrics.Label{
			{Name: "version", Value: version.Version},
			{Name: "goversion", Value: runtime.Version()},
			{Name: "crypto_path", Value: cipher.Path()},
			{Name: "dh_path", Value: cipher.DHPath()},
			{Name: "poller", Value: poller},
		}, Value: 1})
	x.Counter("spiped_connections_accepted_total", "Connections accepted.", float64(st.Total))
	x.Gauge("spiped_connections_active", "Connections open now.", float64(st.Open))
	x.Gauge("spiped_connections_limit", "The -n connection limit; 0 means none.", float64(m.maxConns))
	var causes []metrics.Sample
	for _, c := range engine.Causes() {
		causes = append(causes, metrics.Sample{Labels: []metrics.Label{{Name: "cause", Value: c.String()}}, Value: float64(ended(c))})
	}
	x.Family("spiped_connections_ended_total",
		"Connections ended, by cause (limit counts clients left waiting at the -n limit).", "counter", causes...)
	x.Counter("spiped_connections_queued_total", "Times a client was left waiting at the -n limit.", float64(st.Queued))
	x.Counter("spiped_handshakes_total", "Handshakes completed.", float64(st.Handshakes))
	x.Histogram("spiped_handshake_duration_seconds", "Time from a handshake's start to its successful end.", nil,
		engine.DurationBounds[:], counts(st.HandshakeTime), st.HandshakeTime.Sum.Seconds())
	x.Histogram("spiped_connect_duration_seconds", "Time from the first connect to the target to its success.", nil,
		engine.DurationBounds[:], counts(st.ConnectTime), st.ConnectTime.Sum.Seconds())
	x.Family("spiped_plaintext_bytes_total", "Plaintext bytes carried, by direction.", "counter",
		metrics.Sample{Labels: []metrics.Label{{Name: "direction", Value: "to_target"}}, Value: float64(toTarget)},
		metrics.Sample{Labels: []metrics.Label{{Name: "direction", Value: "to_source"}}, Value: float64(toSource)})
	x.Counter("spiped_target_resolutions_total", "Re-resolutions of the target attempted (-r).", float64(st.Resolutions))
	x.Counter("spiped_target_resolution_failures_total",
		"Re-resolutions that failed or found nothing (the previous addresses stay in use).", float64(st.ResolveFailures))
	x.Counter("spiped_accept_pauses_total", "Times accepting paused for lack of file descriptors.", float64(st.AcceptPauses))
	b := 0.0
	if draining {
		b = 1
	}
	x.Gauge("spiped_draining", "1 after SIGTERM, while open connections finish.", b)
	if m.log != nil {
		x.Counter("spiped_connection_log_suppressed_total",
			"--log-connections lines left out by the rate limit or a full queue.", float64(m.log.suppressed.Load()))
	}
	w.Header().Set("Content-Type", metrics.ContentType)
	w.Write(x.Bytes())
}

// counts returns h's per-bucket counts, zeros before the server exists.
func counts(h engine.Histogram) []int64 {
	if len(h.Counts) == len(engine.DurationBounds)+1 {
		return h.Counts
	}
	return make([]int64, len(engine.DurationBounds)+1)
}
