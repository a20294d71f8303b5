// Command spiped is the secure pipe daemon, a drop-in replacement for the
// reference spiped 1.6.2: same options, messages, exit statuses, pidfile
// and daemon behaviour, and the same wire protocol.
//
// It adds two options: -b <bind address> (outgoing connections bind to it,
// as in later upstream releases) and --pprof <address>, which serves
// net/http/pprof under /debug/pprof/ and the engine's counters under
// /debug/vars on that address; it is off unless given, and refused unless
// the address is a loopback one.
package main

import (
	"net"
	"os"
	"path/filepath"

	"github.com/spiped-go/spiped/cmd/internal/daemon"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
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
				w.Warn(warnp.Strerror(err))
			}
			w.Warnf("--pprof address must be a loopback address: %s", o.pprof)
			return 1
		}
		o.pprof = addr
	}
	child := daemon.AsChild()
	if !o.foreground && child == nil {
		code, err := daemon.Spawn()
		if err != nil {
			w.Warn(err.Error())
			w.Warn("Failed to daemonize")
		}
		return code
	}
	return run(o, w, child)
}
