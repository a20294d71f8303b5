package engine

import (
	"sync/atomic"

	"github.com/spiped-go/spiped/cipher"
	"golang.org/x/sys/unix"
)

// conn is one proxied connection, owned by one loop. Its life:
//
//	accepted ─┬─ (-d) handshake on the accepted socket ─┐
//	          │       and, in parallel, dial the target  ├─ data: two pipes ─ closed
//	          └─ (-e) dial the target, then handshake ───┘
//
// The dialled socket is the ciphertext one with -e and the plaintext one
// with -d. -o bounds the dial (every target address in turn) and,
// separately, the handshake. Every failure closes both sockets.
type conn struct {
	l   *loop
	pfd int // plaintext socket, -1 until there is one
	cfd int // ciphertext socket, -1 until there is one

	targets []Addr // addresses to dial, in order
	next    int    // next address to try

	hs        *cipher.Handshake // nil before it starts and after it ends
	computing bool              // hs is with a worker
	cancelled atomic.Bool       // closed while computing: the worker may skip it
	connected bool              // the dialled socket is connected
	closed    bool

	up   pipe // plaintext -> seal -> ciphertext socket
	down pipe // ciphertext -> open -> plaintext socket

	connT, hsT timer
	nextJob    *conn // link in the workers' queue
}

// startConn takes over an accepted socket.
func startConn(l *loop, fd int) {
	s := l.srv
	c := &conn{l: l, pfd: -1, cfd: -1}
	c.up.c, c.down.c = c, c
	c.connT = newTimer(c.connectTimeout)
	c.hsT = newTimer(c.handshakeTimeout)
	c.targets = *s.targets.Load()
	if s.cfg.Encrypt {
		c.pfd = fd
	} else {
		c.cfd = fd
	}
	if err := l.register(fd, c); err != nil {
		unix.Close(fd)
		c.closed = true
		s.connClosed()
		return
	}
	if !s.cfg.Encrypt {
		// Server side: the handshake starts at accept, alongside the dial.
		c.startHandshake()
		if c.closed {
			return
		}
	}
	l.after(&c.connT, s.timeout())
	c.dialNext()
}

// dialedFd is the socket this side connects out with.
func (c *conn) dialedFd() int {
	if c.l.srv.cfg.Encrypt {
		return c.cfd
	}
	return c.pfd
}

func (c *conn) setDialedFd(fd int) {
	if c.l.srv.cfg.Encrypt {
		c.cfd = fd
	} else {
		c.pfd = fd
	}
}

// event dispatches readiness of one of c's sockets.
func (c *conn) event(fd int, flags uint8) {
	if c.closed {
		return
	}
	if !c.connected && fd == c.dialedFd() {
		if flags&(evWrite|evHup) == 0 {
			return
		}
		c.connectDone(fd, flags)
		if c.closed || !c.connected {
			return
		}
		// The peer may have spoken already: the same edge reported it.
	}
	if flags&(evRead|evHup) != 0 {
		in := &c.up
		if fd == c.cfd {
			in = &c.down
		}
		in.canRead = true
		if flags&evHup != 0 {
			in.hup = true
		}
	}
	switch {
	case c.hs != nil:
		if fd == c.cfd {
			c.driveHandshake()
		}
	case c.up.seal != nil:
		c.runPipes()
	}
}

// dialNext starts a non-blocking connect to the next target address; when
// none is left the connection fails.
func (c *conn) dialNext() {
	s := c.l.srv
	for c.next < len(c.targets) {
		a := c.targets[c.next]
		c.next++
		fd, done, err := dial(a, s.cfg.Bind)
		if err != nil {
			continue
		}
		if err := c.l.register(fd, c); err != nil {
			unix.Close(fd)
			continue
		}
		c.setDialedFd(fd)
		if done {
			c.connected = true
			c.onConnected()
		}
		return
	}
	s.stats.connFail.Add(1)
	c.close()
}

// connectDone handles the end of a non-blocking connect on fd. Writable
// without error or hang-up means connected; only otherwise is SO_ERROR
// asked for (a hang-up may still follow a successful connect).
func (c *conn) connectDone(fd int, flags uint8) {
	if flags&evHup == 0 {
		c.connected = true
		c.onConnected()
		return
	}
	if errno, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || errno != 0 {
		c.l.release(fd)
		c.setDialedFd(-1)
		c.dialNext()
		return
	}
	c.connected = true
	c.onConnected()
}

func (c *conn) onConnected() {
	c.l.timers.del(&c.connT)
	if c.l.srv.cfg.Encrypt {
		// Client side: handshake over the fresh connection to the server.
		c.startHandshake()
		return
	}
	if c.hs == nil && c.up.seal != nil {
		c.startData()
	}
}

func (c *conn) connectTimeout() {
	c.l.srv.stats.connFail.Add(1)
	c.close()
}

func (c *conn) startHandshake() {
	s := c.l.srv
	role := cipher.Server
	if s.cfg.Encrypt {
		role = cipher.Client
	}
	hs, err := cipher.NewHandshake(cipher.HandshakeConfig{
		Key: &s.cfg.Key, Role: role, Fast: s.cfg.Fast, RequireFS: s.cfg.RequireFS,
	})
	if err != nil {
		c.handshakeFailed()
		return
	}
	c.hs = hs
	c.l.after(&c.hsT, s.timeout())
	c.driveHandshake()
}

// driveHandshake moves bytes between the ciphertext socket and the machine
// until it has to wait for the socket or a worker. It reads exactly what the
// machine needs, so bytes after the handshake stay in the socket for the
// data phase.
func (c *conn) driveHandshake() {
	for !c.closed && !c.computing {
		switch c.hs.Step() {
		case cipher.StepWrite:
			n, e := sysWrite(c.cfd, c.hs.Output())
			switch e {
			case 0:
				c.hs.Wrote(n)
			case unix.EAGAIN:
				return
			case unix.EINTR:
			default:
				c.handshakeFailed()
			}
		case cipher.StepRead:
			if !c.down.canRead {
				return
			}
			buf := c.l.scratch[:min(c.hs.Need(), len(c.l.scratch))]
			n, e := sysRead(c.cfd, buf)
			switch {
			case e == unix.EAGAIN:
				c.down.canRead = false
				return
			case e == unix.EINTR:
			case e != 0 || n == 0:
				c.handshakeFailed()
			default:
				if _, err := c.hs.Input(buf[:n]); err != nil {
					c.handshakeFailed()
				}
			}
		case cipher.StepCompute:
			c.computing = true
			c.l.srv.work.submit(c)
			return
		case cipher.StepDone:
			c.handshakeDone()
			return
		default:
			c.handshakeFailed()
		}
	}
}

// computed runs on the loop when a worker has finished c.hs.Compute.
func (c *conn) computed() {
	c.computing = false
	if c.closed {
		c.hs.Wipe()
		c.hs = nil
		return
	}
	c.driveHandshake()
}

func (c *conn) handshakeDone() {
	send, recv := c.hs.Keys()
	c.up.seal = cipher.NewSealer(send)
	c.down.open = cipher.NewOpener(recv)
	c.hs.Wipe()
	c.hs = nil
	c.l.timers.del(&c.hsT)
	if c.connected {
		c.startData()
	}
}

func (c *conn) handshakeTimeout() { c.handshakeFailed() }

func (c *conn) handshakeFailed() {
	c.l.srv.stats.hsFail.Add(1)
	c.close()
}

// startData turns the connection into its two pipes.
func (c *conn) startData() {
	// The accepted socket inherited these options from the listener.
	tuneData(c.dialedFd(), !c.l.srv.cfg.NoKeepalive)
	c.up.in, c.up.out = c.pfd, c.cfd
	c.down.in, c.down.out = c.cfd, c.pfd
	c.runPipes()
}

// runPipes lets both directions move data; any error drops the connection.
func (c *conn) runPipes() {
	if c.closed {
		return
	}
	if err := c.up.run(); err != nil {
		c.close()
		return
	}
	if c.closed {
		return
	}
	if err := c.down.run(); err != nil {
		c.close()
	}
}

// pipeDone closes the connection once both directions have finished.
func (c *conn) pipeDone() {
	if c.up.shut && c.down.shut {
		c.close()
	}
}

// close drops the connection: both sockets, its timers, its batches and
// every key it holds.
func (c *conn) close() {
	if c.closed {
		return
	}
	c.closed = true
	l := c.l
	l.timers.del(&c.connT)
	l.timers.del(&c.hsT)
	l.release(c.pfd)
	l.release(c.cfd)
	c.pfd, c.cfd = -1, -1
	c.up.release()
	c.down.release()
	if c.up.seal != nil {
		c.up.seal.Wipe()
		c.down.open.Wipe()
	}
	if c.computing {
		c.cancelled.Store(true)
	} else if c.hs != nil {
		c.hs.Wipe()
		c.hs = nil
	}
	l.srv.connClosed()
}
