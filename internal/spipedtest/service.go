package spipedtest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Service is a target that runs a handler on each connection a daemon
// makes to it.
type Service struct {
	ln net.Listener
	wg sync.WaitGroup
}

// NewService listens on addr ("": a free loopback port) until t ends and
// runs handle on each connection, closing the connection when it returns.
func NewService(t testing.TB, addr string, handle func(net.Conn)) *Service {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(s.Close)
	return s
}

// NewEcho is a Service that runs EchoConn.
func NewEcho(t testing.TB, addr string) *Service { return NewService(t, addr, EchoConn) }

// EchoConn copies c back and half-closes at its EOF, then waits (at most
// 10 s) for the other side's end before returning, so the echo never
// resets a connection in flight.
func EchoConn(c net.Conn) {
	// A plain buffered copy: io.Copy between TCP sockets would splice
	// through pipes from the runtime's pool, whose descriptors outlive the
	// connection and would read as a leak.
	io.CopyBuffer(c, struct{ io.Reader }{c}, make([]byte, 32<<10))
	CloseWrite(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
}

// Close stops the service and waits for its handlers to return.
func (s *Service) Close() { s.ln.Close(); s.wg.Wait() }

// Addr is the service's address as net.Dial takes it.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Spec is the service's address in spiped's syntax, for a daemon's -t.
func (s *Service) Spec() string { return SpecOf(s.ln.Addr()) }
