package engine

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spiped-go/spiped/cipher"
)

// defaultTimeout applies when Config.Timeout is zero, as -o 0 does.
const defaultTimeout = 5 * time.Second

// Config is one spiped daemon's behaviour.
type Config struct {
	Encrypt     bool             // -e (else -d)
	Source      Addr             // where to listen (first resolved address of -s)
	Target      string           // -t as given; re-resolved every ReResolve
	TargetAddrs []Addr           // -t resolved at start
	Bind        *Addr            // -b, nil if none
	Key         [32]byte         // K
	Fast        bool             // -f
	RequireFS   bool             // -g
	NoKeepalive bool             // -j
	MaxConns    int              // -n, 0 = unlimited
	Timeout     time.Duration    // -o
	ReResolve   time.Duration    // -r; 0 means never (-R)
	Loops       int              // event loops; 0 means GOMAXPROCS-1, at least 1 (see Listen)
	Warn        func(msg string) // warnings (stderr or syslog), never secrets

	// ListenFD, if above 2, is a listening socket to serve (socket
	// activation) instead of binding Source.
	ListenFD int
	// ProxyHeader (-P) sends a PROXY protocol v1 line naming the accepted
	// peer onward before any data: inside the encrypted stream with -e,
	// to the target with -d.
	ProxyHeader bool
	// OnEnd, if set, is told of every connection's end (and of clients
	// queued at the -n limit), on a loop's goroutine: it must not block,
	// and the record (reused) is valid only during the call.
	OnEnd func(*ConnEnd)
}

// Server is a listening spiped daemon: a few event loops, each owning its
// connections, the first also owning the listening socket, and a small pool
// of workers for handshake arithmetic.
type Server struct {
	cfg     Config
	loops   []*loop
	acc     *acceptor
	targets atomic.Pointer[[]Addr]
	work    workers
	stats   counters
	conns   *connParams // given to new connections; replaced by SetKey (on loops[0])

	shuttingDown atomic.Bool
	acceptClosed atomic.Bool // the listener is closed: open only falls
	finishOnce   sync.Once
	quit         chan struct{} // closed when the loops are told to stop
}

// Listen binds the source socket (SO_REUSEADDR) and prepares the loops.
func Listen(cfg Config) (*Server, error) {
	if cfg.Fast && cfg.RequireFS {
		return nil, errors.New("-f and -g are mutually exclusive")
	}
	targets := cfg.TargetAddrs
	if len(targets) == 0 {
		var err error
		if targets, err = Resolve(cfg.Target); err != nil {
			return nil, err
		}
	}
	// A loop sleeps in epoll_wait/kevent on its own thread. While every P
	// is in such a system call the runtime's sysmon takes the Ps away every
	// 20 µs and each wake-up must find one again; one P left for the rest
	// (workers, timers, the runtime) avoids that churn.
	n := cfg.Loops
	if n <= 0 {
		n = max(1, runtime.GOMAXPROCS(0)-1)
	}
	s := &Server{cfg: cfg, quit: make(chan struct{})}
	s.conns = s.connParams(cfg.Key)
	clear(s.cfg.Key[:])
	s.targets.Store(&targets)
	var fd int
	var err error
	if cfg.ListenFD > 2 {
		fd, err = adoptListener(cfg.ListenFD, !cfg.NoKeepalive)
	} else {
		fd, err = listenSocket(cfg.Source, !cfg.NoKeepalive)
	}
	if err != nil {
		s.conns.release()
		return nil, err
	}
	for range n {
		l, err := newLoop()
		if err != nil {
			for _, l := range s.loops {
				l.p.close()
			}
			closeFd(fd)
			return nil, err
		}
		s.loops = append(s.loops, l)
	}
	s.acc = newAcceptor(s, s.loops[0], fd)
	if err := s.loops[0].register(fd, s.acc, fdListener); err != nil {
		for _, l := range s.loops {
			l.p.close()
		}
		closeFd(fd)
		return nil, err
	}
	return s, nil
}

// Serve runs until Shutdown has been called and every connection has ended.
func (s *Server) Serve() error {
	s.work.start(runtime.GOMAXPROCS(0))
	if s.cfg.ReResolve > 0 {
		go s.reresolve()
	}
	errs := make(chan error, len(s.loops))
	for _, l := range s.loops {
		go func() {
			err := l.run()
			if err != nil {
				s.finish()
			}
			errs <- err
		}()
	}
	var first error
	for range s.loops {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	s.work.stop()
	for _, l := range s.loops {
		l.shutdown()
	}
	s.conns.release()
	return first
}

// Shutdown stops accepting; Serve returns once the open connections finish.
func (s *Server) Shutdown() {
	if s.shuttingDown.Swap(true) {
		return
	}
	l := s.loops[0]
	l.post(func() {
		s.acc.close()
		s.acceptClosed.Store(true)
		if s.stats.open.Load() == 0 {
			s.finish()
		}
	})
}

// connParams is what a server's connections share: their part of the
// configuration, fixed at Listen but for the key, and the services they
// report to. SetKey makes a new one; each connection keeps the one it
// started with, and the last to let go of a replaced one wipes its key.
type connParams struct {
	key         [32]byte
	encrypt     bool
	handshake   cipher.HandshakeConfig // its Key points at key
	bind        *Addr
	keepalive   bool
	timeout     time.Duration // -o: bounds the connect and, apart, the handshake
	proxyHeader bool
	wantPeer    bool // ask each accepted socket for its peer (logs, -P)
	stats       *counters
	work        *workers
	onEnd       func(*ConnEnd)
	closed      func() // accounts for a connection's end
	users       atomic.Int64
}

// connParams returns the parameters for key, held once by the server.
func (s *Server) connParams(key [32]byte) *connParams {
	role := cipher.Server
	if s.cfg.Encrypt {
		role = cipher.Client
	}
	timeout := s.cfg.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	p := &connParams{
		key:         key,
		encrypt:     s.cfg.Encrypt,
		bind:        s.cfg.Bind,
		keepalive:   !s.cfg.NoKeepalive,
		timeout:     timeout,
		proxyHeader: s.cfg.ProxyHeader,
		wantPeer:    s.cfg.ProxyHeader || s.cfg.OnEnd != nil,
		stats:       &s.stats,
		work:        &s.work,
		onEnd:       s.cfg.OnEnd,
		closed:      s.connClosed,
	}
	p.handshake = cipher.HandshakeConfig{Key: &p.key, Role: role, Fast: s.cfg.Fast, RequireFS: s.cfg.RequireFS}
	p.users.Store(1)
	return p
}

// hold takes a share of p for a new connection.
func (p *connParams) hold() *connParams {
	p.users.Add(1)
	return p
}

// release lets go of a share; the last one wipes the key.
func (p *connParams) release() {
	if p.users.Add(-1) == 0 {
		clear(p.key[:])
	}
}

// SetKey makes new connections use key; established ones keep theirs.
// Safe from any goroutine; it takes effect before the next accept.
func (s *Server) SetKey(key [32]byte) {
	p := s.connParams(key)
	clear(key[:])
	s.loops[0].post(func() {
		old := s.conns
		s.conns = p
		old.release()
	})
}

// Abort closes every open connection (cause shutdown): the end of a
// bounded drain after Shutdown.
func (s *Server) Abort() {
	for _, l := range s.loops {
		l.post(func() {
			for _, h := range l.owner {
				if c, ok := h.(*conn); ok {
					c.close(CauseShutdown)
				}
			}
		})
	}
}

// ShuttingDown reports whether Shutdown has been called.
func (s *Server) ShuttingDown() bool { return s.shuttingDown.Load() }

// connClosed accounts for a connection's end: it may free a slot under the
// -n limit or be the last one a shutdown waits for.
func (s *Server) connClosed() {
	open := s.stats.open.Add(-1)
	if max := int64(s.cfg.MaxConns); max > 0 && open == max-1 {
		a := s.acc
		a.l.post(a.accept)
	}
	if open == 0 && s.acceptClosed.Load() {
		s.finish()
	}
}

// finish tells every loop to stop.
func (s *Server) finish() {
	s.finishOnce.Do(func() {
		close(s.quit)
		for _, l := range s.loops {
			l.post(func() { l.stop = true })
		}
	})
}

// reresolve refreshes the target addresses every ReResolve; a failed
// lookup keeps the old list. Connections pick up the list when they start.
func (s *Server) reresolve() {
	t := time.NewTicker(s.cfg.ReResolve)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.stats.resolves.Add(1)
			if addrs, err := Resolve(s.cfg.Target); err == nil && len(addrs) > 0 {
				s.targets.Store(&addrs)
			} else {
				s.stats.resolveErr.Add(1)
			}
		}
	}
}

func (s *Server) warn(msg string) {
	if s.cfg.Warn != nil {
		s.cfg.Warn(msg)
	}
}
