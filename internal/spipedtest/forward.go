package spipedtest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialTimeout bounds a forwarder's connect to its upstream.
const dialTimeout = 10 * time.Second

// forwarder connects accepted connections to an upstream address and
// relays them over links. Relay and SlowTarget share it.
type forwarder struct {
	upstream  string
	dialDelay time.Duration
	cfg       linkConfig

	ctx    context.Context // cancelled by close: pending dials give up
	cancel context.CancelFunc
	peak   atomic.Int64 // the most bytes one direction of a link has held

	mu     sync.Mutex
	links  map[*link]struct{}
	closed bool
	wg     sync.WaitGroup
}

func newForwarder(upstream string, dialDelay time.Duration, cfg linkConfig) *forwarder {
	ctx, cancel := context.WithCancel(context.Background())
	return &forwarder{upstream: upstream, dialDelay: dialDelay, cfg: cfg, ctx: ctx, cancel: cancel,
		links: map[*link]struct{}{}}
}

// serve relays a in the background: after the dial delay it connects to
// the upstream (a failed connect resets a, the nearest a relay can come to
// passing a refusal on) and relays until both sides have ended.
func (f *forwarder) serve(a *net.TCPConn) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if f.dialDelay > 0 {
			t := time.NewTimer(f.dialDelay)
			select {
			case <-t.C:
			case <-f.ctx.Done():
				t.Stop()
				ResetClose(a)
				return
			}
		}
		d := net.Dialer{Timeout: dialTimeout}
		c, err := d.DialContext(f.ctx, "tcp", f.upstream)
		if err != nil {
			ResetClose(a)
			return
		}
		l := newLink(a, c.(*net.TCPConn), f.cfg, &f.peak)
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			l.abort()
			return
		}
		f.links[l] = struct{}{}
		f.mu.Unlock()
		l.run()
		f.mu.Lock()
		delete(f.links, l)
		f.mu.Unlock()
	}()
}

// active is the number of connections being relayed.
func (f *forwarder) active() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.links)
}

// close resets every relayed connection and waits for all of them.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	links := make([]*link, 0, len(f.links))
	for l := range f.links {
		links = append(links, l)
	}
	f.mu.Unlock()
	f.cancel()
	for _, l := range links {
		l.abort()
	}
	f.wg.Wait()
}
