package main

import (
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spiped-go/spiped/cmd/internal/bindaddr"
	"github.com/spiped-go/spiped/cmd/internal/daemon"
	"github.com/spiped-go/spiped/cmd/internal/keyfile"
	"github.com/spiped-go/spiped/cmd/internal/setuidgid"
	"github.com/spiped-go/spiped/cmd/internal/systemd"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/libc"
)

// run is the daemon's life after parsing, in the reference's order:
// (with -D, daemonize first;) resolve -b, -s and -t; read the key; bind;
// daemonize; drop privileges; serve until SIGTERM (see serve). child is
// nil with -F.
// It returns the exit status.
func run(o *options, w *warnp.Warner, child *daemon.Child) int {
	notify := systemd.NewNotifier()
	if os.Getpid() == 1 {
		dockerWorkaround(w)
	}
	// With -F there is no daemonizing, but --syslog (ours) takes effect
	// at the same point: the reference keeps standard error under -F.
	daemonize := func() bool {
		if child != nil {
			if err := child.Ready(o.pidfile); err != nil {
				w.Warn(err.Error())
				w.Warn("Failed to daemonize")
				return false
			}
		}
		if o.syslog {
			w.UseSyslog()
		}
		return true
	}
	// --log-connections, --metrics: a --metrics address that cannot be
	// bound fails the start even with -D, before the parent is told to go.
	obs, ok := observe(o, w)
	if !ok {
		return 1
	}
	defer obs.stop()
	if o.dnsRetry && !daemonize() {
		return 1
	}

	var bind *engine.Addr
	if o.HasBind {
		var ok bool
		bind, ok = resolve(w, o.dnsRetry, func() (*engine.Addr, string, error) {
			return bindaddr.Resolve(o.Bind)
		})
		if !ok {
			return 1
		}
		if bind == nil {
			w.Warnf("No address found for %s", o.Bind)
			return 1
		}
	}
	src, ok := resolveList(w, o.dnsRetry, o.source)
	if !ok {
		return 1
	}
	tgt, ok := resolveList(w, o.dnsRetry, o.Target)
	if !ok {
		return 1
	}

	key, ok := keyfile.Load(o.KeyFile, os.Stdin, w.Warn)
	if !ok {
		return 1
	}
	if len(src) > 1 && o.listenFD == 0 {
		w.Warnf("Listening on first of multiple addresses found for %s", o.source)
	}
	cfg := engine.Config{
		Encrypt:     o.encrypt,
		Source:      src[0],
		Target:      o.Target,
		TargetAddrs: tgt,
		Bind:        bind,
		Key:         key,
		Fast:        o.Fast,
		RequireFS:   o.RequireFS,
		NoKeepalive: o.NoKeepalive,
		MaxConns:    o.maxConns,
		Timeout:     o.Timeout,
		ReResolve:   o.reResolve,
		Warn:        w.Warn,
		ListenFD:    o.listenFD,
		ProxyHeader: o.proxyHeader,
	}
	obs.configure(&cfg)
	// SIGTERM is caught from the moment the socket may accept: one that
	// comes before serving starts ends the daemon once it does.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	srv, err := engine.Listen(cfg)
	clear(key[:])
	clear(cfg.Key[:])
	if err != nil {
		w.Warn(libc.Strerror(err))
		return 1
	}
	obs.serving(srv)
	var debug net.Listener
	if o.pprof != "" {
		if debug, err = net.Listen("tcp", o.pprof); err != nil {
			w.Warnf("Error listening on --pprof address: %s", libc.Strerror(err))
			return 1
		}
	}

	if !o.dnsRetry && !daemonize() {
		return 1
	}
	if o.hasUser {
		if err := setuidgid.Apply(o.user, w.Warn); err != nil {
			return dropFailed(w, err)
		}
	}

	if debug != nil {
		go servePprof(debug, srv)
	}
	return serve(o, w, srv, notify, term)
}

// resolve calls lookup until it succeeds, printing each failure; without
// -D (retry false) it gives up after the first, as the reference does.
func resolve[T any](w *warnp.Warner, retry bool, lookup func() (T, string, error)) (T, bool) {
	for {
		v, name, err := lookup()
		if err == nil {
			return v, true
		}
		w.Warn(libc.Strerror(err))
		if !retry {
			w.Warnf("Error resolving socket address: %s", name)
			var zero T
			return zero, false
		}
		time.Sleep(time.Second)
	}
}

// resolveList resolves -s or -t and requires at least one address.
func resolveList(w *warnp.Warner, retry bool, spec string) ([]engine.Addr, bool) {
	addrs, ok := resolve(w, retry, func() ([]engine.Addr, string, error) {
		a, err := engine.Resolve(spec)
		return a, spec, err
	})
	if ok && len(addrs) == 0 {
		w.Warnf("No addresses found for %s", spec)
		return nil, false
	}
	return addrs, ok
}

// dropFailed prints a failed -u the reference's way and returns the status.
func dropFailed(w *warnp.Warner, err error) int {
	e, ok := err.(*setuidgid.Error)
	if !ok {
		w.Warnf("Failed to drop privileges: %s", libc.Strerror(err))
		return 1
	}
	if e.Msg != "" {
		w.Warn(e.Msg)
	}
	if e.Errno != 0 {
		w.Warnf("Failed to drop privileges: %s", libc.Strerror(e.Errno))
	} else {
		w.Warn("Failed to drop privileges")
	}
	return 1
}

// dockerWorkaround makes SIGINT end the program when it runs as process 1
// (in a container), where the kernel ignores signals without a handler;
// the reference does the same and says so.
func dockerWorkaround(w *warnp.Warner) {
	w.Warn("WARNING: Applying workaround for Docker signal-handling bug")
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	go func() {
		<-sigint
		os.Exit(0)
	}()
}
