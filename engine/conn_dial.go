package engine

import (
	"time"

	"golang.org/x/sys/unix"
)

// A connection's side of reaching its target: the connect to each address
// in turn, its outcome, and the -o bound on all of it.

// dialNext starts a non-blocking connect to the next target address; when
// none is left the connection fails.
func (c *conn) dialNext() {
	for c.next < len(c.targets) {
		a := c.targets[c.next]
		c.next++
		fd, done, err := dial(a, c.p.bind, c.l.p.connect, &c.l.dialTo, &c.l.dialFrom)
		if err != nil {
			c.dialErr = errnoOf(err)
			continue
		}
		kind := fdConnecting
		if done {
			kind = fdConnected
		}
		if err := c.l.register(fd, c, kind); err != nil {
			unix.Close(fd)
			c.dialErr = errnoOf(err)
			continue
		}
		c.dialled = fd
		if c.p.encrypt {
			c.state = dialing
		}
		if done {
			c.connected()
		}
		return
	}
	if c.dialErr == unix.ECONNREFUSED {
		c.close(CauseTargetRefused)
	} else {
		c.close(CauseTargetUnreachable)
	}
}

// connectDone handles the end of a non-blocking connect on the dialled
// socket. Writable without error or hang-up means connected; only
// otherwise is SO_ERROR asked for (a hang-up may follow a good connect),
// unless the poller made the connect and reported its error (connErr).
func (c *conn) connectDone(flags uint8) {
	if flags&evHup != 0 {
		errno, err := int(c.connErr), error(nil)
		if errno == 0 {
			errno, err = unix.GetsockoptInt(c.dialled, unix.SOL_SOCKET, unix.SO_ERROR)
		}
		c.connErr = 0
		if err != nil || errno != 0 {
			c.dialErr = unix.Errno(errno)
			if err != nil {
				c.dialErr = errnoOf(err)
			}
			c.l.release(c.dialled)
			c.dialled = -1
			c.rev.forget()
			c.dialNext()
			return
		}
	}
	c.connected()
}

// connected moves on once the dialled socket is connected: -e starts the
// handshake on it; -d, mid-handshake, notes it for handshakeDone (a
// connect that finished at once reports no edge), or starts the pipes.
func (c *conn) connected() {
	switch c.state {
	case dialing:
		c.targetUp()
		c.startHandshake()
	case handshaking, computing:
		c.dialledReady |= evWrite
	case waitingTarget:
		c.targetUp()
		c.startData()
	}
}

// targetUp stops the connect timer and times the connect (-d: as noticed
// at the handshake's end at the latest).
func (c *conn) targetUp() {
	c.l.timers.del(&c.connT)
	c.p.stats.connTime.observe(time.Duration(c.l.clock() - c.dialT0))
}

// connectTimeout fires when -o passes before the target is connected. A
// -d connect that succeeded during the handshake is the handshake timer's
// to judge.
func (c *conn) connectTimeout() {
	if (c.state == handshaking || c.state == computing) &&
		c.dialledReady&evWrite != 0 && c.dialledReady&evHup == 0 {
		return
	}
	c.close(CauseConnectTimeout)
}
