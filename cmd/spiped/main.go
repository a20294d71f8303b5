// Command spiped is the secure pipe daemon, a drop-in replacement for the
// reference spiped 1.6.2: same options, messages, exit statuses, pidfile
// and daemon behaviour, and the same wire protocol.
//
// It adds options: -b <bind address> (outgoing connections bind to it,
// as in later upstream releases); --pprof <address>, which serves
// net/http/pprof under /debug/pprof/ and the engine's counters under
// /debug/vars on that address (off unless given, and refused unless the
// address is a loopback one); --drain-timeout <seconds>, which bounds the
// wait for open connections after SIGTERM; and -P, which sends a PROXY
// protocol v1 header onward. As a service it also reloads the key file on
// SIGHUP, tells a service manager when it is ready ($NOTIFY_SOCKET) and
// serves a listening socket the manager passes ($LISTEN_FDS): see
// service.go and man/spiped.1. --log-connections [--log-format json]
// prints a line for each connection's end, and --metrics <address>
// serves Prometheus metrics, /healthz and /readyz (see observe.go);
// --syslog works under -F too.
package main

import (
	"net"
	"os"
	"path/filepath"

	"github.com/spiped-go/spiped/cmd/internal/daemon"
	"github.com/spiped-go/spiped/cmd/internal/systemd"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
	"github.com/spiped-go/spiped/internal/libc"
)

func main() {
	os.Exit(spiped())
}

func spiped() int {
	w := warnp.New(filepath.Base(os.Args[0]), os.Stderr)
	o, code := parse(os.Args[1:], w, os.Stderr)
	if o == nil {
		return code
	}
	// Refuse a --pprof address reachable from elsewhere before anything
	// is bound or a daemon is started.
	if o.pprof != "" {
		addr, err := pprofAddr(o.pprof, net.DefaultResolver.LookupNetIP)
		if err != nil {
			if err != errNotLoopback {
				w.Warn(libc.Strerror(err))
			}
			w.Warnf("--pprof address must be a loopback address: %s", o.pprof)
			return 1
		}
		o.pprof = addr
	}
	// Socket activation: the manager's first socket serves -s. A daemon
	// child gets it from its parent, whose pid the manager knew.
	if systemd.ListenFDs() > 0 {
		o.listenFD = systemd.ListenFDsStart
	}
	child := daemon.AsChild()
	if child != nil {
		o.listenFD = child.ListenFD()
	}
	if !o.foreground && child == nil {
		code, err := daemon.Spawn(o.listenFD)
		if err != nil {
			w.Warn(err.Error())
			w.Warn("Failed to daemonize")
		}
		return code
	}
	return run(o, w, child)
}
