package engine

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"golang.org/x/sys/unix"
)

// connState is where a connection is in its life. Events dispatch on it
// alone; each transition is one method below.
//
//	-e: dialing ──────────→ handshaking ⇄ computing ──────────────→ piping → closed
//	-d: handshaking ⇄ computing ─┬─ (target connected) ──────────→ piping → closed
//	                             └─ waitingTarget ─ (connected) ─→ piping
//
// Any failure, from any state, goes straight to closed.
type connState uint8

const (
	// dialing (-e): the connect to the target is in progress; the
	// handshake starts on the dialled socket once it is connected.
	dialing connState = iota
	// handshaking: handshake bytes move on the ciphertext socket. With -d
	// the connect to the target runs alongside: its readiness is only
	// recorded (dialledReady) and looked at when the keys are ready.
	handshaking
	// computing: a worker has the handshake's exponentiation.
	computing
	// waitingTarget (-d): the keys are ready, the connect is not done.
	waitingTarget
	// piping: the two pipes move data; only now do they hold descriptors.
	piping
	// closed: both sockets are released and every key wiped.
	closed
)

// conn is one proxied connection, owned by one loop. Its two sockets are
// named by origin, as in the reference's proto_conn: accepted (plaintext
// with -e, ciphertext with -d) and dialled (the other). Bytes that arrive
// before the data phase stay in the kernel until the pipes start; the
// poller's edges seen meanwhile are recorded, so none is lost.
type conn struct {
	l     *loop
	p     *connParams
	state connState

	accepted int // the socket the listener accepted
	dialled  int // the socket connected to the target; -1 between attempts

	targets      []Addr     // addresses to dial, in order
	next         int        // next address to try
	dialErr      unix.Errno // why the last connect failed
	connErr      unix.Errno // the connect in progress failed so, as the poller saw (io_uring)
	dialledReady uint8      // poller flags seen on dialled during the -d handshake

	peer               netip.AddrPort // the accepted socket's peer, when asked for (logs, -P)
	born, dialT0, hsT0 int64          // loop clock: accepted, first connect, handshake start

	hs        *cipher.Handshake // from the start of the handshake to its end
	hsSending bool              // a handshake message is with the poller (driveHandshake)
	hsTail    int               // the last message's bytes, with the poller: the pipe writing after it waits (hsTailSent)
	hsFull    bool              // its send found the socket full: the next write is direct
	cancelled atomic.Bool       // closed while computing: the worker may skip it

	// The pipes' keys from the handshake's end. A reused connection keeps
	// them, wiped, for its next handshake to reset (loop.putConn).
	sealer *cipher.Sealer
	opener *cipher.Opener

	fwd pipe // accepted → dialled (seals with -e, opens with -d)
	rev pipe // dialled → accepted (opens with -e, seals with -d)

	connT, hsT timer
}

// startConn takes over an accepted socket: -e dials the target first, -d
// starts the handshake at once and dials the target alongside.
func startConn(l *loop, p *connParams, targets []Addr, fd int) {
	// A reused connection keeps its ciphers and its timers (disarmed, and
	// bound to this same connection).
	c := l.newConn()
	*c = conn{l: l, p: p, accepted: fd, dialled: -1, targets: targets, born: l.clock(),
		sealer: c.sealer, opener: c.opener, connT: c.connT, hsT: c.hsT}
	c.dialT0 = c.born
	c.fwd.init(c)
	c.rev.init(c)
	if c.connT.fire == nil {
		c.connT = newTimer(c.connectTimeout)
		c.hsT = newTimer(c.handshakeTimeout)
	}
	if p.wantPeer {
		c.peer = peerOf(fd)
	}
	if err := l.register(fd, c, fdConnected); err != nil {
		unix.Close(fd)
		c.state = closed
		c.ended(CauseError)
		return
	}
	l.after(&c.connT, p.timeout)
	if !p.encrypt {
		c.startHandshake()
		if c.state == closed {
			return
		}
	}
	c.dialNext()
}

// ciphertext is the socket the handshake and packets use, and the pipe
// that reads it (whose readiness the handshake reads by).
func (c *conn) ciphertext() (int, *pipe) {
	if c.p.encrypt {
		return c.dialled, &c.rev
	}
	return c.accepted, &c.fwd
}

func (c *conn) isCiphertext(fd int) bool {
	cfd, _ := c.ciphertext()
	return fd == cfd
}

// event dispatches readiness of one of c's sockets, or the outcome of a
// pipe's send on it.
func (c *conn) event(fd int, flags uint8, res int32) {
	if c.state == closed {
		return
	}
	if flags&evSent != 0 {
		switch {
		case c.hsSending:
			c.hsSent(res)
			return
		case c.hsTail > 0 && c.isCiphertext(fd):
			c.hsTailSent(res)
			return
		case c.fwd.sending && c.fwd.out == fd:
			c.fwd.sent(res)
		case c.rev.sending && c.rev.out == fd:
			c.rev.sent(res)
		}
	}
	reader := &c.fwd
	if fd == c.dialled {
		reader = &c.rev
		if res < 0 && flags&evHup != 0 {
			c.connErr = unix.Errno(-res) // a connect the poller made failed
		}
	}
	reader.ready(flags)
	if c.hsSending && flags&(evRead|evHup) != 0 {
		// Input to go on with once the message is sent: the next
		// wait must not sleep (driveHandshake).
		c.l.hurry = true
	}
	switch c.state {
	case dialing, waitingTarget:
		if fd == c.dialled && flags&(evWrite|evHup) != 0 {
			c.connectDone(flags)
		}
	case handshaking:
		if fd == c.dialled && !c.p.encrypt {
			c.dialledReady |= flags
			return
		}
		if cfd, _ := c.ciphertext(); fd == cfd {
			c.driveHandshake()
		}
	case computing:
		if fd == c.dialled && !c.p.encrypt {
			c.dialledReady |= flags
		}
	case piping:
		c.runPipes()
	}
}

// startData turns the connection into its two pipes, each given its
// sockets once: fwd reads the accepted socket and writes the dialled one,
// rev the reverse. Readiness recorded so far carries over.
func (c *conn) startData() {
	c.state = piping
	// The accepted socket inherited these options from the listener.
	c.l.p.tune(c.dialled, c.p.keepalive)
	if c.p.proxyHeader {
		c.fwd.prefix = proxyHeader(c.accepted, c.peer)
	}
	c.fwd.start(c.accepted, c.dialled)
	c.rev.start(c.dialled, c.accepted)
	if c.hsTail > 0 {
		// Nothing goes out after the last handshake message
		// before it has.
		c.cipherOut().sending = true
	}
	c.runPipes()
}

// cipherOut is the pipe that writes to the ciphertext socket.
func (c *conn) cipherOut() *pipe {
	if c.p.encrypt {
		return &c.fwd
	}
	return &c.rev
}

// runPipes lets both directions move data; any error drops the connection.
// A pipe queued for a batch may be run after its connection closed.
func (c *conn) runPipes() {
	if c.state != piping {
		return
	}
	if err := c.fwd.run(); err != nil {
		c.close(pipeCause(err))
		return
	}
	if c.state != piping {
		return
	}
	if err := c.rev.run(); err != nil {
		c.close(pipeCause(err))
	}
}

// pipeCause names a pipe's error.
func pipeCause(err error) Cause {
	switch err {
	case errBadPacket:
		return CauseBadPacket
	case unix.ECONNRESET, unix.EPIPE:
		return CauseReset
	}
	return CauseError
}

// pipeDone closes the connection once both directions have finished.
func (c *conn) pipeDone() {
	if c.fwd.shut && c.rev.shut {
		c.close(CauseDone)
	}
}

// close drops the connection for cause: both sockets, its timers, its
// batches and every key it holds.
func (c *conn) close(cause Cause) {
	if c.state == closed {
		return
	}
	wasComputing := c.state == computing
	c.state = closed
	l := c.l
	l.timers.del(&c.connT)
	l.timers.del(&c.hsT)
	l.release(c.accepted)
	l.release(c.dialled)
	c.accepted, c.dialled = -1, -1
	c.fwd.stop()
	c.rev.stop()
	if wasComputing {
		// The worker has the handshake; computed wipes it.
		c.cancelled.Store(true)
	} else if c.hsSending {
		// Its message is with the poller until the next wait starts.
		c.hsSending = false
		l.sentAfter(sentPut{hs: c.hs})
		c.hs = nil
	} else if c.hs != nil {
		c.l.putHandshake(c.hs)
		c.hs = nil
	}
	c.ended(cause)
	if !wasComputing {
		l.putConn(c)
	}
}

// ended counts the connection's end, reports it, and lets go of its
// share of the server (the -n slot, the key).
func (c *conn) ended(cause Cause) {
	p := c.p
	p.stats.ended[cause].Add(1)
	if p.onEnd != nil {
		e := &c.l.end
		*e = ConnEnd{
			Peer:     c.peer,
			Duration: time.Duration(c.l.clock() - c.born),
			ToTarget: c.fwd.moved,
			ToSource: c.rev.moved,
			Cause:    cause,
		}
		if c.next > 0 {
			e.Target = &c.targets[c.next-1]
		}
		p.onEnd(e)
		*e = ConnEnd{}
	}
	p.closed()
	p.release()
}
