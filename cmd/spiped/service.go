package main

import (
	"crypto/sha256"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/cmd/internal/keyfile"
	"github.com/spiped-go/spiped/cmd/internal/systemd"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/libc"
)

// emptyKey is the key an empty key file gives: SHA-256 of nothing.
var emptyKey = sha256.Sum256(nil)

// serve runs srv until it has shut down, as a service: SIGTERM (caught
// on term since before srv was bound) stops
// accepting and lets the open connections finish (closing those still
// open after --drain-timeout, if given); the first SIGTERM restores the
// default disposition, as the reference does, so a second one ends the
// process at once. SIGHUP reloads the key file for new connections. The
// service manager, if any ($NOTIFY_SOCKET), hears READY=1 once the
// signals are handled (the listener is already bound), and STOPPING=1
// when the drain starts. It returns the exit status.
func serve(o *options, w *warnp.Warner, srv *engine.Server, notify *systemd.Notifier, term <-chan os.Signal) int {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		<-term
		signal.Reset(syscall.SIGTERM)
		notifyManager(w, notify, "STOPPING=1")
		srv.Shutdown()
		if o.hasDrain {
			time.AfterFunc(o.drain, srv.Abort)
		}
	}()
	go func() {
		for range hup {
			if !srv.ShuttingDown() {
				reloadKey(o.KeyFile, w, srv)
			}
		}
	}()
	notifyManager(w, notify, "READY=1")
	if err := srv.Serve(); err != nil {
		w.Warnf("Error running event loop: %s", libc.Strerror(err))
		return 1
	}
	return 0
}

// reloadKey reads the key file again (on SIGHUP) and gives the key to
// new connections; established ones keep theirs. A key file that cannot
// be read, or is empty (most likely caught mid-rewrite), leaves the old
// key in force, and so does -k - (standard input is read once).
func reloadKey(path string, w *warnp.Warner, srv *engine.Server) {
	const keep = "Error reading shared secret on SIGHUP; keeping the old key: "
	if path == "-" {
		w.Warn(keep + "the key was read from standard input")
		return
	}
	key, err := cipher.ReadKey(path, nil)
	if err != nil {
		w.Warn(keep + keyfile.Message(err))
		return
	}
	if key == emptyKey {
		w.Warn(keep + "key file " + path + " is empty")
		return
	}
	keyfile.Warn(path, w.Warn)
	srv.SetKey(key)
	clear(key[:])
}

// notifyManager tells the service manager of a state change, warning if
// it asked to be told and cannot be.
func notifyManager(w *warnp.Warner, n *systemd.Notifier, state string) {
	if err := n.Notify(state); err != nil {
		w.Warnf("Error notifying the service manager ($NOTIFY_SOCKET): %s", libc.Strerror(err))
	}
}
