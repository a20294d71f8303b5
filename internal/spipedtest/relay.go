package spipedtest

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RelayConfig is the behaviour of a Relay. The zero value (but for
// Upstream) relays without delay, pacing or limit beyond the default hold.
type RelayConfig struct {
	// Upstream is the address ("host:port") each accepted connection is
	// forwarded to.
	Upstream string

	// UpDelay holds every chunk read from the accepting side for this long
	// before it is written upstream; DownDelay does the same for the
	// other direction. Half-closes and resets are held the same way, in
	// order with the data. 25 ms each way makes a 50 ms round trip.
	UpDelay, DownDelay time.Duration

	// Rate, if positive, paces each direction of each connection to about
	// this many bytes per second.
	Rate int64

	// DialDelay waits this long after accepting a connection before
	// connecting upstream (what the client sends meanwhile waits in the
	// kernel).
	DialDelay time.Duration

	// MaxHeld bounds the bytes held per direction of a connection (default
	// 4 MiB); at the bound the relay stops reading from that side, so
	// backpressure reaches the sender and memory stays bounded.
	MaxHeld int
}

// Relay is a loopback TCP proxy with latency: it listens on 127.0.0.1 and
// forwards each accepted connection to an upstream address, holding what
// it reads for a delay per direction. A clean EOF is passed on as a
// half-close (CloseWrite) once all held data before it is written; a read
// error such as ECONNRESET resets the other side (SO_LINGER 0) after the
// same delay, so each end sees what it would see across a slow network.
type Relay struct {
	ln       net.Listener
	fwd      *forwarder
	accepted atomic.Int64
	wg       sync.WaitGroup
	closeMu  sync.Mutex
	closed   bool
}

// NewRelay starts a relay on a free loopback port.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Upstream == "" {
		return nil, errors.New("spipedtest: relay without an upstream address")
	}
	if cfg.UpDelay < 0 || cfg.DownDelay < 0 || cfg.Rate < 0 || cfg.DialDelay < 0 || cfg.MaxHeld < 0 {
		return nil, errors.New("spipedtest: negative relay setting")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{ln: ln, fwd: newForwarder(cfg.Upstream, cfg.DialDelay, linkConfig{
		upDelay: cfg.UpDelay, downDelay: cfg.DownDelay, rate: cfg.Rate, maxHeld: cfg.MaxHeld,
	})}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and the like: wait a little rather than spin.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		r.accepted.Add(1)
		r.fwd.serve(c.(*net.TCPConn))
	}
}

// Addr is the relay's listening address, "127.0.0.1:port".
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (r *Relay) Accepted() int { return int(r.accepted.Load()) }

// Active is the number of connections being relayed now (connected
// upstream and not yet ended).
func (r *Relay) Active() int { return r.fwd.active() }

// PeakHeld is the most bytes one direction of one connection has held at
// once: never more than MaxHeld.
func (r *Relay) PeakHeld() int { return int(r.fwd.peak.Load()) }

// Close stops listening, resets every relayed connection and waits for
// all the relay's goroutines. It may be called more than once.
func (r *Relay) Close() error {
	r.closeMu.Lock()
	if r.closed {
		r.closeMu.Unlock()
		return nil
	}
	r.closed = true
	r.closeMu.Unlock()
	err := r.ln.Close()
	r.wg.Wait() // no connection is accepted after this
	r.fwd.close()
	return err
}

// StartRelay puts a Relay holding every chunk for delay each
// way in front of upstream ("host:port"); it is closed at the end of t.
func StartRelay(t testing.TB, upstream string, delay time.Duration) *Relay {
	t.Helper()
	r, err := NewRelay(RelayConfig{Upstream: upstream, UpDelay: delay, DownDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
