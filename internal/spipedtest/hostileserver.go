package spipedtest

import (
	"net"
	"testing"
	"time"
)

// HostileServer is a target for a -e daemon that hands each connection
// the daemon makes to the test, which then plays the -d side with a Peer.
type HostileServer struct {
	ln    net.Listener
	conns chan net.Conn
}

// NewHostileServer listens on a free loopback port until t ends.
func NewHostileServer(t testing.TB) *HostileServer {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &HostileServer{ln: ln, conns: make(chan net.Conn, 1024)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(h.conns)
				return
			}
			h.conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range h.conns {
			c.Close()
		}
	})
	return h
}

// Spec is the server's address in spiped's syntax, for a daemon's -t.
func (h *HostileServer) Spec() string { return SpecOf(h.ln.Addr()) }

// Next waits for the daemon's Next connection.
func (h *HostileServer) Next(t testing.TB) net.Conn {
	t.Helper()
	select {
	case c := <-h.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the -e daemon did not dial the target within 5 s")
		return nil
	}
}

// Conns delivers the daemon's connections as they arrive, for a test that
// takes them in a select of its own instead of waiting in Next.
func (h *HostileServer) Conns() <-chan net.Conn { return h.conns }
