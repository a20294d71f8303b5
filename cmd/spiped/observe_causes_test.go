package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// bracket turns "host:port" into spiped's "[host]:port".
func bracket(hostPort string) string {
	h, p, _ := net.SplitHostPort(hostPort)
	return "[" + h + "]:" + p
}

// hangUp dials addr, says something, and reads until the daemon hangs up.
func hangUp(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("anyone there?"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
	return c
}

// Each cause, from a real fault, in the log line of the daemon that saw
// it (with the peer and target it names) and in its /metrics count.
func TestObservedCauses(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out connect and handshake timeouts: a timeout-bound test; make test runs it")
	}
	needParser(t)
	key, wrong := keys(t)
	echo := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", spipedtest.Echo)
	silent := spipedtest.ServeConns(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })

	// check finds cause in d's log and metrics; peer "" skips the peer.
	check := func(t *testing.T, d *observed, cause, peer, target string) logLine {
		t.Helper()
		l := d.waitLine(t, cause)
		if peer != "" && l.peer != peer {
			t.Errorf("%s: %s line names peer %s, want %s", d.name, cause, l.peer, peer)
		}
		if l.target != target {
			t.Errorf("%s: %s line names target %s, want %s", d.name, cause, l.target, target)
		}
		if l.duration < 0 || l.duration > 10 {
			t.Errorf("%s: %s line: duration %v", d.name, cause, l.duration)
		}
		x := waitEnded(t, d, cause, 1)
		if n := x.endedCount(t, cause); n != 1 {
			t.Errorf("%s: /metrics counts %v %s ends, want 1", d.name, n, cause)
		}
		return l
	}

	t.Run("target-refused", func(t *testing.T) {
		closed := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
		e := startObserved(t, "-e", "-e", "-t", bracket(closed), "-k", key)
		c := hangUp(t, e.source)
		check(t, e, "target-refused", c.LocalAddr().String(), closed)
	})

	t.Run("connect-timeout", func(t *testing.T) {
		st, err := spipedtest.NewSlowTarget(spipedtest.SlowTargetConfig{Handle: func(c net.Conn) { io.Copy(io.Discard, c) }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := startObserved(t, "-e", "-e", "-t", bracket(st.Addr()), "-k", key, "-o", "0.3")
		if err := st.Hold(900 * time.Millisecond); errors.Is(err, spipedtest.ErrCannotHold) {
			t.Skip(err)
		} else if err != nil {
			t.Fatal(err)
		}
		c := hangUp(t, e.source)
		check(t, e, "connect-timeout", c.LocalAddr().String(), st.Addr())
	})

	t.Run("wrong key: handshake-failed on both sides", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", wrong)
		c := hangUp(t, e.source)
		check(t, d, "handshake-failed", "", echo)
		check(t, e, "handshake-failed", c.LocalAddr().String(), d.source)
	})

	// -e in front of a service that does not speak spiped: one that
	// answers (an echo) fails the MAC check; one that waits for a request
	// (as most do) runs out the handshake's -o.
	t.Run("plain service that answers: handshake-failed", func(t *testing.T) {
		e := startObserved(t, "-e", "-e", "-t", bracket(echo), "-k", key)
		c := hangUp(t, e.source)
		check(t, e, "handshake-failed", c.LocalAddr().String(), echo)
	})
	t.Run("plain service that waits: handshake-timeout", func(t *testing.T) {
		e := startObserved(t, "-e", "-e", "-t", bracket(silent), "-k", key, "-o", "0.3")
		c := hangUp(t, e.source)
		l := check(t, e, "handshake-timeout", c.LocalAddr().String(), silent)
		if l.duration < 0.3 {
			t.Errorf("handshake-timeout after %vs, before -o 0.3", l.duration)
		}
	})

	t.Run("fs-refused", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-g", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-f", "-t", d.spec, "-k", key)
		hangUp(t, e.source)
		check(t, d, "fs-refused", "", echo)
	})

	t.Run("bad-packet", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		relay := spipedtest.NewTamper(t, d.source, 32+288+10).Addr() // past the handshake: inside the first packet
		e := startObserved(t, "-e", "-e", "-t", bracket(relay), "-k", key)
		hangUp(t, e.source)
		check(t, d, "bad-packet", "", echo)
	})

	t.Run("reset", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key)
		c := dialT(t, e.source)
		roundTripTCP(t, c, "then a reset")
		peer := c.LocalAddr().String()
		c.SetLinger(0)
		c.Close()
		l := check(t, e, "reset", peer, d.source)
		if l.toTarget != 12 || l.toSource != 12 {
			t.Errorf("reset line: %d bytes to target, %d back; want 12 each", l.toTarget, l.toSource)
		}
	})

	t.Run("limit", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-n", "1", "-t", d.spec, "-k", key)
		first := dialT(t, e.source)
		roundTripTCP(t, first, "holding the only slot")
		second := dialT(t, e.source)
		l := e.waitLine(t, "limit")
		if l.peer != "-" || l.target != "-" || l.toTarget != 0 || l.toSource != 0 {
			t.Errorf("limit line %+v, want no peer, no target, no bytes", l)
		}
		x := waitEnded(t, e, "limit", 1)
		if q := x.must(t, "spiped_connections_queued_total"); q != x.endedCount(t, "limit") || q < 1 {
			t.Errorf("queued_total %v, ended{limit} %v", q, x.endedCount(t, "limit"))
		}
		if a := x.must(t, "spiped_connections_active"); a != 1 {
			t.Errorf("connections_active %v at the limit of 1", a)
		}
		// The queued client gets through once the slot is free.
		first.Close()
		roundTripTCP(t, second, "my turn")
		_, _, other := e.logged()
		if !onlyLimitWarnings(other) {
			t.Errorf("-e printed %q besides connection lines, want the limit warning alone", other)
		}
	})

	t.Run("SIGTERM drain: done", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key)
		one, two := dialT(t, e.source), dialT(t, e.source)
		roundTripTCP(t, one, "first")
		roundTripTCP(t, two, "second")
		e.Cmd.Process.Signal(syscall.SIGTERM)
		spipedtest.WaitUntil(t, "/healthz to say draining", func() bool {
			code, body := httpGet(e.metrics + "/healthz")
			return code == http.StatusServiceUnavailable && body == "draining\n"
		})
		// One ends while the other holds the drain open: /metrics still answers.
		one.CloseWrite()
		io.Copy(io.Discard, one)
		x := waitEnded(t, e, "done", 1)
		if v := x.must(t, "spiped_draining"); v != 1 {
			t.Errorf("spiped_draining %v while draining", v)
		}
		// An end is counted a moment before the connection stops being open.
		spipedtest.WaitUntil(t, "spiped_connections_active to be the one still open", func() bool {
			return scrape(t, e.metrics).must(t, "spiped_connections_active") == 1
		})
		roundTripTCP(t, two, "still carried while draining")
		two.CloseWrite()
		io.Copy(io.Discard, two)
		if code := e.Wait(t); code != 0 {
			t.Fatalf("exit status %d: %q", code, e.Output())
		}
		lines, _, other := e.logged()
		if len(lines) != 2 || lines[0].cause != "done" || lines[1].cause != "done" || len(other) != 0 {
			t.Errorf("after the drain -e printed %q; want two done lines and nothing else", e.Output())
		}
		for _, l := range lines {
			if l.toTarget != l.toSource || l.toTarget < 5 {
				t.Errorf("done line %+v: unequal or missing echo bytes", l)
			}
		}
		d.Stop(t)
	})

	t.Run("shutdown with --drain-timeout", func(t *testing.T) {
		d := startObserved(t, "-d", "-d", "-t", bracket(echo), "-k", key)
		if r := spipedtest.RunProgram(t, bin, "", "", "--drain-timeout", "1", "-v"); r.Code != 0 {
			t.Skip("no --drain-timeout here")
		}
		e := startObserved(t, "-e", "-e", "-t", d.spec, "-k", key, "--drain-timeout", "0.2")
		c := dialT(t, e.source)
		roundTripTCP(t, c, "idle after this")
		e.Stop(t)
		lines, _, _ := e.logged()
		if len(lines) != 1 || lines[0].cause != "shutdown" || lines[0].peer != c.LocalAddr().String() {
			t.Errorf("-e printed %q, want one shutdown line for %s", e.Output(), c.LocalAddr())
		}
	})
}
