package engine

import (
	"errors"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"golang.org/x/sys/unix"
)

// A connection's handshake: the sans-I/O machine of package cipher driven
// over the ciphertext socket, its arithmetic handed to the workers, and
// the keys handed to the pipes.

func (c *conn) startHandshake() {
	hs, err := c.l.newHandshake(c.p.handshake)
	if err != nil {
		c.close(CauseError)
		return
	}
	c.hs = hs
	c.state = handshaking
	c.hsT0 = c.l.clock()
	c.l.after(&c.hsT, c.p.timeout)
	c.driveHandshake()
}

// driveHandshake moves bytes between the ciphertext socket and the machine
// until it has to wait for the socket or a worker. It reads as much as the
// loop's scratch buffer holds, so that a short read tells the socket is
// empty (no read that only returns EAGAIN); bytes past the message the
// machine needs are kept on the reading pipe (early), for the next message
// or, after the handshake, for the data phase.
//
// A message after which the machine waits for the peer goes to the poller
// where it can take it (io_uring): it joins the loop's next wait, and the
// machine moves on when the outcome comes back (hsSent), at the latest
// with the peer's reply, which wakes the loop. Until then the machine's
// output buffer is the kernel's to read, so nothing else happens here; and
// if input is already known to be waiting, the loop must not sleep on that
// wait.
//
// The last message goes to the poller too, but the machine moves on at
// once: nothing might wake the loop for the outcome (a client and a target
// that both wait for the other to speak). The machine is kept until the
// wait has handed the message over, the pipe that writes to the socket
// next waits for the outcome (hsTailSent), and an outcome short of the
// whole message drops the connection. A message followed by a computation
// is written here, so that the computation starts at once.
func (c *conn) driveHandshake() {
	fd, in := c.ciphertext()
	for c.state == handshaking && !c.hsSending {
		switch c.hs.Step() {
		case cipher.StepWrite:
			out := c.hs.Output()
			switch {
			case c.hsFull:
			case c.hs.ReadsNext():
				if c.l.p.send(fd, out) {
					c.hsSending = true
					if c.fwd.canRead || c.rev.canRead || len(in.early) > 0 {
						c.l.hurry = true
					}
					return
				}
			case c.hs.EndsNext():
				if c.l.p.send(fd, out) {
					c.hsTail = len(out)
					c.hs.Wrote(len(out))
					continue
				}
			}
			n, e := c.l.p.write(fd, out)
			switch e {
			case 0:
				c.hsFull = false
				c.hs.Wrote(n)
			case unix.EAGAIN:
				return
			default:
				c.close(CauseHandshakeFailed)
			}
		case cipher.StepRead:
			if len(in.early) > 0 {
				n, err := c.hs.Input(in.early)
				in.early = in.early[n:]
				if len(in.early) == 0 {
					in.dropEarly()
				}
				c.inputDone(err)
				continue
			}
			if !in.canRead {
				return
			}
			buf := c.l.scratch[:]
			n, e := c.l.p.read(fd, buf)
			switch {
			case e == unix.EAGAIN:
				in.canRead = false
				return
			case e != 0 || n == 0:
				c.close(CauseHandshakeFailed)
				return
			}
			if n < len(buf) {
				in.drained()
			}
			used, err := c.hs.Input(buf[:n])
			if used < n && err == nil {
				in.keepEarly(buf[used:n])
			}
			c.inputDone(err)
		case cipher.StepCompute:
			c.state = computing
			c.p.work.submit(c)
		case cipher.StepDone:
			c.handshakeDone()
		default:
			c.close(CauseHandshakeFailed)
		}
	}
}

// hsSent takes the outcome of a handshake message's send: the machine
// moves on past what was written (a partial send sends the rest next), or
// writes the message itself, which waits for the writable edge if the
// socket is still full (EAGAIN), or the connection fails.
func (c *conn) hsSent(res int32) {
	c.hsSending = false
	switch {
	case res >= 0:
		c.hs.Wrote(int(res))
	case unix.Errno(-res) == unix.EAGAIN:
		c.hsFull = true
	default:
		c.close(CauseHandshakeFailed)
		return
	}
	c.driveHandshake()
}

// hsTailSent takes the outcome of the last handshake message's send: all
// of it, and the pipe held back runs; anything less, and the peer can
// never have the message whole.
func (c *conn) hsTailSent(res int32) {
	whole := int(res) == c.hsTail
	c.hsTail = 0
	if !whole {
		c.close(CauseHandshakeFailed)
		return
	}
	if c.state == piping {
		c.cipherOut().sending = false
		c.runPipes()
	}
}

// inputDone closes the connection if the handshake refused what it read.
func (c *conn) inputDone(err error) {
	switch {
	case errors.Is(err, cipher.ErrNoForwardSecrecy):
		c.close(CauseFSRefused)
	case err != nil:
		c.close(CauseHandshakeFailed)
	}
}

// compute runs on a worker: the handshake's exponentiation, then the
// result goes back to the loop. A connection closed meanwhile is skipped.
func (c *conn) compute() {
	if !c.cancelled.Load() {
		c.hs.Compute()
	}
	c.l.post(c.computed)
}

// computed runs on the loop when a worker has finished with c.hs.
func (c *conn) computed() {
	if c.state == closed {
		c.l.putHandshake(c.hs)
		c.hs = nil
		c.l.putConn(c)
		return
	}
	c.state = handshaking
	c.driveHandshake()
}

// handshakeDone turns the keys into the pipes' sealer and opener, then
// starts the pipes, or (-d) waits for the target's connect.
func (c *conn) handshakeDone() {
	send, recv := c.hs.Keys()
	sealing, opening := &c.fwd, &c.rev
	if !c.p.encrypt {
		sealing, opening = opening, sealing
	}
	if c.sealer == nil {
		c.sealer, c.opener = new(cipher.Sealer), new(cipher.Opener)
	}
	c.sealer.Reset(send)
	c.opener.Reset(recv)
	sealing.seal, opening.open = c.sealer, c.opener
	if c.hsTail > 0 {
		c.l.putHandshakeSent(c.hs)
	} else {
		c.l.putHandshake(c.hs)
	}
	c.hs = nil
	c.l.timers.del(&c.hsT)
	c.p.stats.handshakes.Add(1)
	c.p.stats.hsTime.observe(time.Duration(c.l.clock() - c.hsT0))
	if c.p.encrypt {
		c.startData()
		return
	}
	c.state = waitingTarget
	if flags := c.dialledReady; flags != 0 {
		c.dialledReady = 0
		c.connectDone(flags)
	}
}

func (c *conn) handshakeTimeout() { c.close(CauseHandshakeTimeout) }
