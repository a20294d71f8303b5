package spipedtest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Echo is a target that copies each connection back and half-closes at
// its EOF.
type Echo struct {
	ln net.Listener
	wg sync.WaitGroup
}

// NewEcho listens on addr ("": a free loopback port) until t ends.
func NewEcho(t testing.TB, addr string) *Echo {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	e := &Echo{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				// A plain buffered copy: io.Copy between TCP sockets
				// would splice through pipes from the runtime's pool,
				// whose descriptors outlive the connection and would
				// read as a leak.
				io.CopyBuffer(c, struct{ io.Reader }{c}, make([]byte, 32<<10))
				CloseWrite(c)
				// Wait for the other side's end before closing, so
				// the echo never resets a connection in flight.
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	t.Cleanup(e.Close)
	return e
}

// Close stops the echo and waits for its connections to end.
func (e *Echo) Close() { e.ln.Close(); e.wg.Wait() }

// Spec is the echo's address in spiped's syntax, for a daemon's -t.
func (e *Echo) Spec() string { return SpecOf(e.ln.Addr()) }
