package spipedtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ErrCannotHold is returned by Hold where the kernel completes connects to
// a listener whose accept queue is full, so no SYN can be held back.
var ErrCannotHold = errors.New("spipedtest: connects to a full accept queue complete here; cannot hold SYNs")

const (
	// openBacklog is the listen backlog outside a hold.
	openBacklog = 128
	// maxFillers bounds the connections Hold makes to fill the queue.
	maxFillers = 8
	// probeTimeout is how long a filler connect may take before Hold
	// concludes that its SYN was dropped: loopback connects complete in
	// microseconds, even on a loaded machine well within this.
	probeTimeout = 100 * time.Millisecond
)

// SlowTargetConfig says what a SlowTarget does with the connections it
// accepts: forward them to Upstream (without delay), or else give them to
// Handle.
type SlowTargetConfig struct {
	Upstream string
	Handle   func(net.Conn) // owns the connection; Close closes it and waits for Handle
}

// SlowTarget is a loopback listener that can leave SYNs unanswered for a
// while, so that a connect to it stays in progress, as a connect to a
// distant or busy host does. Hold shrinks the listen backlog to 0 and fills
// the accept queue with connections of its own; the kernel then drops
// further SYNs, and the connecting side retransmits them (Linux: 1 s after
// the first, then 2 s or 3 s and so on). When the hold ends the fillers are
// accepted and closed and the backlog reopens, so the next retransmitted SYN
// completes: a connect begun during a hold of less than a second completes
// about one second after it began.
type SlowTarget struct {
	cfg  SlowTargetConfig
	fd   int // the listening socket; accept loops work on duplicates
	addr string
	fwd  *forwarder // nil with a handler

	mu     sync.Mutex // the hold state
	ln     net.Listener
	loop   chan struct{} // closed when the accept loop on ln has returned
	timer  *time.Timer
	held   bool
	closed bool

	cmu     sync.Mutex // the connections
	fillers map[string]net.Conn
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup // handlers

	accepted atomic.Int64
}

// NewSlowTarget listens on a free loopback port, not holding.
func NewSlowTarget(cfg SlowTargetConfig) (*SlowTarget, error) {
	if (cfg.Upstream == "") == (cfg.Handle == nil) {
		return nil, errors.New("spipedtest: a slow target needs exactly one of Upstream and Handle")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	sa := &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Listen(fd, openBacklog); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	s := &SlowTarget{cfg: cfg, fd: fd, addr: fmt.Sprintf("127.0.0.1:%d", got.(*syscall.SockaddrInet4).Port),
		fillers: map[string]net.Conn{}, conns: map[net.Conn]struct{}{}}
	if cfg.Upstream != "" {
		s.fwd = newForwarder(cfg.Upstream, 0, linkConfig{})
	}
	if err := s.startLoop(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Addr is the listening address, "127.0.0.1:port".
func (s *SlowTarget) Addr() string { return s.addr }

// Accepted is the number of connections accepted so far, fillers aside.
func (s *SlowTarget) Accepted() int { return int(s.accepted.Load()) }

// Hold makes connects begun from now on hang until d has passed (and then
// until their next SYN retransmission). It returns once SYNs are being
// dropped; ErrCannotHold where this kernel does not drop them. Keep d below
// a second for connects that complete after about one second.
func (s *SlowTarget) Hold(d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	if s.held {
		return errors.New("spipedtest: already holding")
	}
	// Nothing may accept while the queue is being filled.
	s.stopLoop()
	if err := syscall.Listen(s.fd, 0); err != nil {
		s.startLoop()
		return err
	}
	full, err := s.fill()
	if err != nil || !full {
		syscall.Listen(s.fd, openBacklog)
		s.startLoop()
		if err == nil {
			err = ErrCannotHold
		}
		return err
	}
	s.held = true
	s.timer = time.AfterFunc(d, s.release)
	return nil
}

// fill connects fillers until one connect hangs: its SYN was dropped, so
// the queue is full. The hanging connect is abandoned (its socket closed),
// so it never completes later.
func (s *SlowTarget) fill() (bool, error) {
	for i := range maxFillers {
		timeout := probeTimeout
		if i == 0 {
			timeout = 5 * time.Second // the first must get in
		}
		c, err := net.DialTimeout("tcp4", s.addr, timeout)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return true, nil
			}
			return false, err
		}
		s.cmu.Lock()
		s.fillers[c.LocalAddr().String()] = c
		s.cmu.Unlock()
	}
	return false, nil
}

// release ends a hold: the backlog reopens and the accept loop, which
// closes the fillers as it meets them, starts again.
func (s *SlowTarget) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.held {
		return
	}
	s.held = false
	syscall.Listen(s.fd, openBacklog)
	s.startLoop()
}

// startLoop accepts on a duplicate of the socket, so that stopLoop can stop
// accepting (by closing the duplicate) while the socket keeps listening.
func (s *SlowTarget) startLoop() error {
	nfd, err := syscall.Dup(s.fd)
	if err != nil {
		return err
	}
	syscall.CloseOnExec(nfd)
	f := os.NewFile(uintptr(nfd), "slow target")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return err
	}
	s.ln = ln
	s.loop = make(chan struct{})
	go s.accept(ln, s.loop)
	return nil
}

func (s *SlowTarget) stopLoop() {
	if s.ln != nil {
		s.ln.Close()
		<-s.loop
		s.ln = nil
	}
}

func (s *SlowTarget) accept(ln net.Listener, done chan struct{}) {
	defer close(done)
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		s.cmu.Lock()
		f, filler := s.fillers[c.RemoteAddr().String()]
		delete(s.fillers, c.RemoteAddr().String())
		s.cmu.Unlock()
		if filler {
			f.Close()
			c.Close()
			continue
		}
		s.accepted.Add(1)
		if s.fwd != nil {
			s.fwd.serve(c.(*net.TCPConn))
			continue
		}
		s.cmu.Lock()
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.cmu.Unlock()
		go func() {
			defer s.wg.Done()
			s.cfg.Handle(c)
			s.cmu.Lock()
			delete(s.conns, c)
			s.cmu.Unlock()
		}()
	}
}

// Close stops listening, ends a hold, closes every connection (forwarded
// ones with a reset) and waits for the handlers to return.
func (s *SlowTarget) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.stopLoop()
	err := syscall.Close(s.fd)
	s.mu.Unlock()
	if s.fwd != nil {
		s.fwd.close()
	}
	s.cmu.Lock()
	for _, c := range s.fillers {
		c.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.cmu.Unlock()
	s.wg.Wait()
	return err
}

// StartSlowTarget is NewSlowTarget for a test: an error fails t, and the
// target closes when t ends.
func StartSlowTarget(t testing.TB, cfg SlowTargetConfig) *SlowTarget {
	t.Helper()
	s, err := NewSlowTarget(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// HoldFor makes s drop SYNs for d (Hold). Where the kernel cannot (it
// completes connects to a full accept queue) t is skipped, or fails under
// CI, where the timing tests must run.
func HoldFor(t testing.TB, s *SlowTarget, d time.Duration) {
	t.Helper()
	err := s.Hold(d)
	if errors.Is(err, ErrCannotHold) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
