package engine

import (
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// The in-process launcher of every engine test. The kit
// (internal/spipedtest) has the rest: targets, the binary and reference
// launchers, descriptor accounting. It cannot hold this launcher, since it
// must not import engine.

// ServeForTest runs cfg in process, listening on source (spiped's syntax;
// "" picks a free loopback port, another if that one is taken meanwhile),
// until t ends. Exported for the external tests (package engine_test).
func ServeForTest(t testing.TB, cfg Config, source string) (*Server, *spipedtest.Daemon) {
	t.Helper()
	if cfg.Warn == nil {
		cfg.Warn = func(msg string) { t.Logf("warning: %s", msg) }
	}
	var err error
	for range 5 {
		spec := source
		if spec == "" {
			spec = spipedtest.FreeSpec(t)
		}
		src, rerr := Resolve(spec)
		if rerr != nil {
			t.Fatalf("Resolve(%q): %v", spec, rerr)
		}
		cfg.Source = src[0]
		var srv *Server
		if srv, err = Listen(cfg); err != nil {
			if source != "" {
				break
			}
			continue
		}
		return srv, serveListening(t, srv, spec)
	}
	t.Fatalf("engine.Listen: %v", err)
	return nil, nil
}

// serveListening runs srv, listening on spec, until t ends (or the
// daemon's Stop): Shutdown, then Serve must return within 10 s.
func serveListening(t testing.TB, srv *Server, spec string) *spipedtest.Daemon {
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	d := &spipedtest.Daemon{Name: "engine", Spec: spec, Stats: func() any { return srv.Stats() }}
	var once sync.Once
	d.Stop = func() {
		once.Do(func() {
			srv.Shutdown()
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("engine: Serve did not return within 10 s of Shutdown")
			}
		})
	}
	t.Cleanup(d.Stop)
	return d
}

// addrKind chooses how the daemons' sockets are addressed.
type addrKind int

const (
	tcp4 addrKind = iota
	tcp6
	unixSock
)

// sourceFor is where a daemon of the given kind listens: "" lets the
// launcher pick (and retry) a loopback port; IPv6 and Unix sockets get an
// address here.
func sourceFor(t testing.TB, kind addrKind, name string) string {
	t.Helper()
	switch kind {
	case unixSock:
		return filepath.Join(t.TempDir(), name+".sock")
	case tcp6:
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		defer ln.Close()
		return fmt.Sprintf("[::1]:%d", ln.Addr().(*net.TCPAddr).Port)
	}
	return ""
}

// startOurs runs our engine in process until the test ends, listening on
// an address of the given kind; it returns the server, the address in
// spiped's syntax and a dialable form.
func startOurs(t testing.TB, cfg Config, kind addrKind, tgt string) (*Server, string, string) {
	t.Helper()
	cfg.Target = tgt
	srv, d := ServeForTest(t, cfg, sourceFor(t, kind, "ours"))
	return srv, d.Spec, d.Addr()
}
