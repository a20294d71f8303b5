package main

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// service is the plaintext server behind spiped -d, running in the harness:
// a sink that counts and discards, or an echo that sends every byte back.
// Each of its connections lives at most until its deadline.
type service struct {
	ln     net.Listener
	handle func(net.Conn)
	life   time.Duration

	bytes atomic.Int64 // bytes received, all connections

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// newSink starts a service that reads and counts; life bounds each connection.
func newSink(life time.Duration) (*service, error) {
	s := &service{life: life}
	s.handle = func(c net.Conn) {
		buf := make([]byte, 256<<10)
		for {
			n, err := c.Read(buf)
			s.bytes.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
	return s, s.listen()
}

// newEcho starts a service that writes back whatever it reads.
func newEcho(life time.Duration) (*service, error) {
	s := &service{life: life}
	s.handle = func(c net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			s.bytes.Add(int64(n))
			if n > 0 {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	return s, s.listen()
}

func (s *service) listen() error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.ln = ln
	s.conns = make(map[net.Conn]struct{})
	s.wg.Add(1)
	go s.accept()
	return nil
}

func (s *service) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, retry
			continue
		}
		if !s.track(c) {
			c.Close()
			return
		}
		_ = c.SetDeadline(time.Now().Add(s.life))
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(c)
		}()
	}
}

func (s *service) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *service) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *service) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// addr is where spiped -d should connect.
func (s *service) addr() string { return s.ln.Addr().String() }

func (s *service) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// close stops the listener, closes every connection and waits for the
// handlers.
func (s *service) close() {
	s.mu.Lock()
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
