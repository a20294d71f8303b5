package engine

import (
	"errors"

	"github.com/spiped-go/spiped/bufpool"
	"github.com/spiped-go/spiped/cipher"
	"golang.org/x/sys/unix"
)

// errBadPacket means a packet failed its MAC or length check.
var errBadPacket = errors.New("bad packet")

// pipe is one direction of a connection. It holds descriptors only in the
// data phase (-1 before, and after the connection closes); before that it
// records the readiness its input socket reports. A sealing pipe
// reads plaintext with readv straight into the payload slots of a frame
// batch, seals the batch in place and writes the packets with one write. An
// opening pipe reads ciphertext into a batch, opens every whole packet in
// place with OpenBatch and writes the payloads with one writev, keeping a
// trailing partial packet for the next read. Reads go through the loop's
// poller, which may hand over bytes that came with their edge (io_uring's
// receives) before it reads the socket.
//
// Backpressure: a pipe reads its input only once its output has taken
// everything read before, so at most one batch per direction is in flight
// and a slow reader stalls the writer through the kernel's socket buffers.
// A pipe with nothing in flight gives its batch back to the loop's pool.
//
// A write after which the pipe has nothing more to do (its input read to
// a short read: a request, a reply, the end of a burst) is handed to the
// poller where it can take it (io_uring): it joins the loop's next wait
// instead of costing a system call of its own, and its outcome comes back
// as an event (sent). Writes with more reading to follow stay synchronous,
// as every write does with epoll.
type pipe struct {
	c       *conn
	in, out int
	seal    *cipher.Sealer // sealing pipe
	open    *cipher.Opener // opening pipe
	b       *bufpool.Batch

	canRead bool // input reported readable and not yet read to EAGAIN
	hup     bool // input reported hang-up: read on to EOF, not just to a short read
	eof     bool // input reached EOF
	shut    bool // output shut down: this direction is finished
	waiting bool // queued for a batch
	sending bool // a send is with the poller: its outcome comes as an event
	full    bool // the last send found the output full: write directly until one gets through

	werr unix.Errno // a failed send's error, for run to return

	// Sealing: wire bytes b.Buf[woff:wend] still to be written.
	// Opening: rlen ciphertext bytes in b; packets [wpk, npk) opened, their
	// payloads still to be written, woff bytes of packet wpk written.
	woff, wend     int
	rlen, npk, wpk int
	dirty          int // b.Buf[:dirty] may have been written: zeroed on release

	moved  int64  // plaintext bytes carried (sealed, or opened and written)
	prefix []byte // plaintext to send before any data read (-P's header)
	early  []byte // ciphertext the handshake read past its last message: opened first
	// earlyMem is early's storage, the loop's until dropEarly gives it
	// back, so connections make no garbage.
	earlyMem *[hsRead]byte
}

// keepEarly keeps b, read past a handshake message, as the pipe's early
// bytes; there are none yet.
func (p *pipe) keepEarly(b []byte) {
	if p.earlyMem == nil {
		p.earlyMem = p.c.l.takeEarly()
	}
	p.early = append(p.earlyMem[:0], b...)
}

// dropEarly forgets the early bytes, used or not, and gives back their
// storage.
func (p *pipe) dropEarly() {
	p.early = nil
	if p.earlyMem != nil {
		p.c.l.putEarly(p.earlyMem)
		p.earlyMem = nil
	}
}

// run moves as much data as the sockets allow without blocking. A non-nil
// error means the connection must be dropped.
func (p *pipe) run() error {
	if p.shut {
		return nil
	}
	if p.werr != 0 {
		return p.werr
	}
	if p.sending {
		if p.canRead || len(p.early) > 0 {
			// Reading goes on once the send is done: the loop must
			// not sleep waiting for it.
			p.c.l.hurry = true
		}
		return nil
	}
	if p.seal != nil {
		return p.runSeal()
	}
	return p.runOpen()
}

func (p *pipe) runSeal() error {
	iov := &p.c.l.iov
	for {
		if p.woff < p.wend {
			if p.idleAfter() && p.send(p.b.Buf[p.woff:p.wend]) {
				return nil
			}
			n, e := p.c.l.p.write(p.out, p.b.Buf[p.woff:p.wend])
			switch e {
			case 0:
				p.full = false
			case unix.EAGAIN:
				return nil
			default:
				return e
			}
			p.woff += n
			continue
		}
		p.woff, p.wend = 0, 0
		if p.prefix != nil {
			if p.b == nil && !p.takeBatch() {
				return nil
			}
			n := copy(p.b.Slot(0), p.prefix)
			p.prefix = nil
			p.wend = p.seal.SealBatch(p.b.Buf[:], n)
			p.dirty = max(p.dirty, p.wend)
			continue
		}
		if p.eof {
			return p.finish()
		}
		if !p.canRead {
			p.release()
			return nil
		}
		if p.b == nil && !p.takeBatch() {
			return nil
		}
		for i := range iov {
			setIovec(&iov[i], p.b.Slot(i))
		}
		n, e := p.c.l.p.readv(p.in, iov[:])
		if ok, err := p.readDone(n, bufpool.Packets*bufpool.SlotSize, e, false); !ok {
			if p.eof {
				continue
			}
			return err
		}
		p.wend = p.seal.SealBatch(p.b.Buf[:], n)
		p.dirty = max(p.dirty, p.wend)
		p.moved += int64(n)
		p.c.p.stats.sealed.Add(int64(n))
	}
}

func (p *pipe) runOpen() error {
	for len(p.prefix) > 0 {
		n, e := p.c.l.p.write(p.out, p.prefix)
		switch e {
		case 0:
			p.prefix = p.prefix[n:]
		case unix.EAGAIN:
			return nil
		default:
			return e
		}
	}
	for {
		if p.npk > 0 {
			if p.wpk+1 == p.npk && p.idleAfter() &&
				p.send(p.b.Frame(p.wpk)[p.woff:p.b.Len[p.wpk]]) {
				return nil
			}
			for p.wpk < p.npk {
				if blocked, err := p.writePayloads(); blocked || err != nil {
					return err
				}
			}
			// Everything opened is written: keep only a partial packet.
			done := p.npk * bufpool.PacketSize
			p.rlen = copy(p.b.Buf[:], p.b.Buf[done:p.rlen])
			p.npk, p.wpk = 0, 0
		}
		if p.eof {
			// A partial packet at EOF is discarded: a clean end.
			return p.finish()
		}
		if !p.canRead && len(p.early) == 0 {
			if p.rlen == 0 {
				p.release()
			}
			return nil
		}
		if p.b == nil && !p.takeBatch() {
			return nil
		}
		var n int
		if len(p.early) > 0 {
			// Fewer bytes than a packet: they fit whatever rlen is.
			n = copy(p.b.Buf[p.rlen:], p.early)
			p.dropEarly()
		} else {
			var e unix.Errno
			n, e = p.c.l.p.read(p.in, p.b.Buf[p.rlen:])
			if ok, err := p.readDone(n, bufpool.Size-p.rlen, e, p.rlen > 0); !ok {
				if p.eof {
					continue
				}
				return err
			}
		}
		p.rlen += n
		p.dirty = max(p.dirty, p.rlen)
		if whole := p.rlen / bufpool.PacketSize; whole > p.npk {
			if err := p.open.OpenBatch(p.b.Buf[p.npk*bufpool.PacketSize:], p.b.Len[p.npk:whole]); err != nil {
				return errBadPacket
			}
			var total int
			for _, m := range p.b.Len[p.npk:whole] {
				total += int(m)
			}
			p.npk = whole
			p.moved += int64(total)
			p.c.p.stats.opened.Add(int64(total))
		}
	}
}

// writePayloads writes the opened payloads [wpk, npk) with one writev and
// advances past what was written. blocked reports EAGAIN.
func (p *pipe) writePayloads() (blocked bool, err error) {
	iov := p.c.l.iov[:0]
	for i := p.wpk; i < p.npk; i++ {
		off := 0
		if i == p.wpk {
			off = p.woff
		}
		iov = append(iov, unix.Iovec{})
		setIovec(&iov[len(iov)-1], p.b.Frame(i)[off:p.b.Len[i]])
	}
	n, e := p.c.l.p.writev(p.out, iov)
	switch e {
	case 0:
		p.full = false
	case unix.EAGAIN:
		return true, nil
	default:
		return false, e
	}
	p.wrote(n)
	return false, nil
}

// wrote advances past n bytes written: of the sealed packets, or of the
// opened payloads [wpk, npk).
func (p *pipe) wrote(n int) {
	if p.seal != nil {
		p.woff += n
		return
	}
	for n > 0 {
		rest := int(p.b.Len[p.wpk]) - p.woff
		if n < rest {
			p.woff += n
			break
		}
		n -= rest
		p.wpk++
		p.woff = 0
	}
}

// idleAfter reports whether the pipe will have nothing to do once its
// pending output is written: no input reported, none left over from the
// handshake, no end to pass on.
func (p *pipe) idleAfter() bool {
	return !p.canRead && !p.eof && len(p.early) == 0 && p.prefix == nil
}

// send hands buf, the pipe's pending output, to the poller; false if the
// poller cannot take it, or if the output was full last time: then the
// pipe's own write finds out, and waits for the writable edge as with
// epoll, instead of a send failing again at every wait.
func (p *pipe) send(buf []byte) bool {
	if p.full || !p.c.l.p.send(p.out, buf) {
		return false
	}
	p.sending = true
	return true
}

// sent takes a send's outcome: bytes written, or an error (EAGAIN: the
// socket was full; the next writable edge runs the pipe again).
func (p *pipe) sent(res int32) {
	p.sending = false
	switch {
	case res >= 0:
		p.wrote(int(res))
	case unix.Errno(-res) == unix.EAGAIN:
		p.full = true
	default:
		p.werr = unix.Errno(-res)
	}
}

// readDone takes the outcome of reading n of want bytes and reports
// whether there are bytes to process. If not, the input either ended (eof
// is set), or has nothing for now (EAGAIN: the batch goes back unless it
// holds bytes still to be used, held), or failed (err).
func (p *pipe) readDone(n, want int, e unix.Errno, held bool) (bool, error) {
	switch {
	case e == unix.EAGAIN:
		p.canRead = false
		if !held {
			p.release()
		}
		return false, nil
	case e != 0:
		return false, e
	case n == 0:
		p.eof = true
		return false, nil
	case n < want:
		p.drained()
	}
	return true, nil
}

// drained notes a short read: the socket's queue was empty, and the
// edge-triggered poller reports any byte that arrives after it, so the read
// that would only return EAGAIN is skipped. (A spurious report costs one
// EAGAIN read, nothing more.)
func (p *pipe) drained() {
	if !p.hup {
		p.canRead = false
	}
}

// sibling is the connection's other direction.
func (p *pipe) sibling() *pipe {
	if p == &p.c.fwd {
		return &p.c.rev
	}
	return &p.c.fwd
}

// takeBatch gets p a batch from its loop's pool, or reports false after
// queueing p to run again when one comes back. A pipe whose sibling holds a
// batch always gets one, over the pool's cap: otherwise connections whose
// output waits on their own other direction (an echoing target, say) could
// hold every batch and wait on each other forever.
func (p *pipe) takeBatch() bool {
	if p.sibling().b != nil {
		p.b = p.c.l.pool.GetOverCap()
	} else {
		p.b = p.c.l.getBatch(p)
	}
	return p.b != nil
}

func (p *pipe) init(c *conn) {
	p.c = c
	p.in, p.out = -1, -1
}

// ready records what the poller reported for the pipe's input socket, in
// any state: an edge that comes before the data phase is not lost.
func (p *pipe) ready(flags uint8) {
	if flags&(evRead|evHup) != 0 {
		p.canRead = true
		if flags&evHup != 0 {
			p.hup = true
		}
	}
}

// forget drops the readiness recorded for an input socket that is gone
// (a failed connect; the next attempt has a new socket).
func (p *pipe) forget() { p.canRead, p.hup = false, false }

// start gives the pipe its sockets for the data phase.
func (p *pipe) start(in, out int) { p.in, p.out = in, out }

// stop ends the pipe with its connection: its batch goes back, zeroed, its
// key is wiped and it holds no descriptor any more. A batch that a send
// with the poller still reads goes back once the next wait has started.
func (p *pipe) stop() {
	if p.sending {
		p.sending = false
		p.c.l.sentAfter(sentPut{b: p.b, dirty: p.dirty})
		p.b = nil
		p.rlen, p.npk, p.wpk, p.woff, p.wend, p.dirty = 0, 0, 0, 0, 0, 0
	}
	p.release()
	if p.seal != nil {
		p.seal.Wipe()
	}
	if p.open != nil {
		p.open.Wipe()
	}
	p.in, p.out = -1, -1
	p.dropEarly()
}

// finish ends this direction: shut down the output's write side, and close
// the connection once the other direction has finished too. The direction
// that finishes last skips the shutdown: the close that follows at once
// sends the same FIN, and cannot send a reset instead, since both sockets
// have been read to their end (one system call fewer per connection).
func (p *pipe) finish() error {
	p.release()
	if !p.sibling().shut {
		if err := shutdownWrite(p.out); err != 0 &&
			err != unix.ENOTCONN && err != unix.ECONNRESET {
			return err
		}
	}
	p.shut = true
	p.c.pipeDone()
	return nil
}

// release hands the batch back, zeroed, if the pipe holds one.
func (p *pipe) release() {
	if p.waiting {
		p.c.l.cancelWait(p)
	}
	if p.b != nil {
		b := p.b
		p.b = nil
		dirty := p.dirty
		p.rlen, p.npk, p.wpk, p.woff, p.wend, p.dirty = 0, 0, 0, 0, 0, 0
		p.c.l.putBatch(b, dirty)
	}
}
