package engine

import (
	"runtime"
	"sync"
	"time"

	"github.com/spiped-go/spiped/bufpool"
	"github.com/spiped-go/spiped/cipher"
	"golang.org/x/sys/unix"
)

// poolBatches bounds the frame batches one loop hands out at once (about
// 17 MB). A pipe that finds the pool empty waits for a batch to come back.
const poolBatches = 256

// hsRead is the most a handshake read takes (a short read says the socket
// is empty); earliesKept bounds the storage kept for the bytes such a read
// takes past a message (at most hsRead-1 each).
const (
	hsRead      = 512
	earliesKept = 64
)

// yieldEvery is how often a busy loop passes through the Go scheduler.
const yieldEvery = int64(5 * time.Millisecond)

// handler owns descriptors registered with a loop and reacts to their
// events (res: a send's outcome, with evSent).
type handler interface {
	event(fd int, flags uint8, res int32)
}

// loop is one event loop: a goroutine that owns a poller, the connections
// (and so descriptors) registered with it, their timers and a pool of frame
// batches. Everything here is touched only by that goroutine, except the
// inbox, through which other goroutines hand it work.
type loop struct {
	p      poller
	owner  []handler // by descriptor number
	timers timerHeap
	start  time.Time // the loop clock counts nanoseconds from here

	pool    *bufpool.Pool
	waiters []*pipe // pipes waiting for a batch, in the order they asked
	runq    []*pipe // pipes to retry for a batch that came back
	iov     [bufpool.Packets]unix.Iovec
	scratch [hsRead]byte // handshake reads

	closing []int // descriptors to close at the end of this iteration
	// sentPuts are batches of closed pipes that a send handed to the
	// poller still reads: they go back once the next wait has started.
	sentPuts []sentPut
	// handshakes are machines of ended handshakes, wiped, for the next
	// connections (at most handshakesKept).
	handshakes []*cipher.Handshake
	// conns are ended connections, for the next ones (at most connsKept).
	// A connection's memory, its sealer's and opener's among it, is then
	// memory this process has touched before, which on a paravirtual VM is
	// much cheaper than new memory (PERF.md); and connections make no
	// garbage.
	conns []*conn
	// dialTo and dialFrom hold the target's address and -b's for each
	// dial, so that dials make no garbage.
	dialTo, dialFrom sockaddrRoom
	// earlies hold bytes a handshake read past its message until the
	// connection's data phase takes them (at most earliesKept kept).
	earlies []*[hsRead]byte
	// hurry: a pipe waits on its send's outcome to go on, so the next
	// wait must not sleep.
	hurry bool
	end   ConnEnd // the record handed to Config.OnEnd, reused
	evs   [256]event

	mu    sync.Mutex
	inbox []func()
	spare []func()

	stop bool
}

func newLoop() (*loop, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	return &loop{p: p, start: time.Now(), pool: bufpool.New(poolBatches)}, nil
}

// takeEarly returns storage for a pipe's early bytes.
func (l *loop) takeEarly() *[hsRead]byte {
	if n := len(l.earlies); n > 0 {
		e := l.earlies[n-1]
		l.earlies = l.earlies[:n-1]
		return e
	}
	return new([hsRead]byte)
}

// putEarly takes back storage of early bytes that have been used.
func (l *loop) putEarly(e *[hsRead]byte) {
	if len(l.earlies) < earliesKept {
		l.earlies = append(l.earlies, e)
	}
}

// post hands f to the loop's goroutine; safe from any goroutine.
func (l *loop) post(f func()) {
	l.mu.Lock()
	wasEmpty := len(l.inbox) == 0
	l.inbox = append(l.inbox, f)
	l.mu.Unlock()
	if wasEmpty {
		l.p.wake()
	}
}

// register makes h the owner of fd, of kind, and watches it.
func (l *loop) register(fd int, h handler, kind fdKind) error {
	if fd >= len(l.owner) {
		n := max(2*len(l.owner), fd+1, 64)
		grown := make([]handler, n)
		copy(grown, l.owner)
		l.owner = grown
	}
	if err := l.p.add(fd, kind); err != nil {
		return err
	}
	l.owner[fd] = h
	return nil
}

// release forgets fd and closes it at the end of the current iteration, so
// its number cannot be reused while stale events for it may still be queued.
func (l *loop) release(fd int) {
	if fd < 0 {
		return
	}
	if fd < len(l.owner) {
		l.owner[fd] = nil
	}
	l.closing = append(l.closing, fd)
}

// after arms t to fire d from now.
func (l *loop) after(t *timer, d time.Duration) {
	l.timers.del(t)
	l.timers.add(t, l.clock()+int64(d))
}

func (l *loop) clock() int64 { return int64(time.Since(l.start)) }

// run is the loop's goroutine. It returns when stop is set (by a posted
// function) or the poller fails.
//
// The goroutine is locked to its thread only where the poller needs it
// (io_uring): a locked goroutine's yield hands its P to another thread and
// waits to be handed it back (two thread wake-ups, the loop's own among
// them, instead of at most one spinning thread), and so does every return
// from a wait whose P sysmon took.
func (l *loop) run() error {
	if l.p.pinsThread() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	var lastYield int64
	for !l.stop {
		// The loop never passes through the scheduler on its own. After
		// 10 ms on one scheduling tick the runtime's sysmon preempts it
		// with a signal, takes its P away and restarts its own 20 µs
		// polling; a yield every 5 ms keeps the tick moving, so none of
		// that happens (about 200 cheap yields a second, only while busy).
		if now := l.clock(); now-lastYield > yieldEvery {
			lastYield = now
			runtime.Gosched()
		}
		timeout := -1
		if when, ok := l.timers.next(); ok {
			timeout = 0
			if d := when - l.clock(); d > 0 {
				timeout = int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
			}
		}
		if l.hurry {
			l.hurry = false
			timeout = 0
		}
		if err := l.poll(timeout); err != nil {
			return err
		}
	}
	return nil
}

// poll runs one iteration: wait at most timeoutMs for events, dispatch them,
// fire due timers, run posted work, retry the pipes woken by a returned
// batch, and close the descriptors released meanwhile.
func (l *loop) poll(timeoutMs int) error {
	n, err := l.p.wait(l.evs[:], timeoutMs)
	if err != nil {
		return err
	}
	if !l.p.pending() {
		l.releaseSent()
	}
	for i := 0; i < n; i++ {
		ev := &l.evs[i]
		fd := int(ev.fd)
		if fd < len(l.owner) {
			if h := l.owner[fd]; h != nil {
				h.event(fd, ev.flags, ev.res)
			}
		}
	}
	l.timers.expire(l.clock())
	l.runInbox()
	l.runWaiters()
	l.closeReleased()
	return nil
}

func (l *loop) runInbox() {
	l.mu.Lock()
	work := l.inbox
	l.inbox = l.spare[:0]
	l.mu.Unlock()
	for i, f := range work {
		f()
		work[i] = nil
	}
	l.spare = work
}

// runWaiters runs the pipes that putBatch woke. Each asks for a batch
// again; one that misses (another pipe took it first) queues again at the
// tail of the waiters.
func (l *loop) runWaiters() {
	for len(l.runq) > 0 {
		p := l.runq[0]
		l.runq = l.runq[1:]
		p.c.runPipes()
	}
	l.runq = l.runq[:0]
}

func (l *loop) closeReleased() {
	for _, fd := range l.closing {
		l.p.closeFd(fd)
	}
	l.closing = l.closing[:0]
}

// getBatch returns a batch from the pool, or nil after queueing p (once)
// to be run again when a batch comes back.
func (l *loop) getBatch(p *pipe) *bufpool.Batch {
	if b := l.pool.Get(); b != nil {
		return b
	}
	if !p.waiting {
		p.waiting = true
		l.waiters = append(l.waiters, p)
	}
	return nil
}

// putBatch zeroes b.Buf[:dirty] (all that was written) and returns b, and
// wakes the first pipe still waiting: it runs at the end of this
// iteration and asks for a batch again.
func (l *loop) putBatch(b *bufpool.Batch, dirty int) {
	l.pool.PutDirty(b, dirty)
	for len(l.waiters) > 0 {
		p := l.waiters[0]
		l.waiters[0] = nil
		l.waiters = l.waiters[1:]
		if p.waiting {
			p.waiting = false
			l.runq = append(l.runq, p)
			return
		}
	}
}

// releaseSent lets go of what closed connections' sends read: the sends
// have been handed over, so the kernel is done with it.
func (l *loop) releaseSent() {
	for _, s := range l.sentPuts {
		if s.b != nil {
			l.putBatch(s.b, s.dirty)
		}
		if s.hs != nil {
			l.putHandshake(s.hs)
		}
	}
	clear(l.sentPuts)
	l.sentPuts = l.sentPuts[:0]
}

// handshakesKept bounds the machines a loop keeps for reuse: about the
// handshakes in flight at once under load, 2.7 KiB each.
const handshakesKept = 32

// newHandshake returns a machine for a new handshake, reusing a kept one.
func (l *loop) newHandshake(cfg cipher.HandshakeConfig) (*cipher.Handshake, error) {
	if n := len(l.handshakes); n > 0 {
		hs := l.handshakes[n-1]
		l.handshakes[n-1] = nil
		l.handshakes = l.handshakes[:n-1]
		if err := hs.Reset(cfg); err != nil {
			return nil, err
		}
		return hs, nil
	}
	return cipher.NewHandshake(cfg)
}

// putHandshake wipes a machine whose handshake ended and keeps it for the
// next, while fewer than handshakesKept are kept.
func (l *loop) putHandshake(hs *cipher.Handshake) {
	hs.Wipe()
	if len(l.handshakes) < handshakesKept {
		l.handshakes = append(l.handshakes, hs)
	}
}

// connsKept bounds the ended connections a loop keeps for reuse: more
// than it has in flight at once under load, about 1.3 KiB each.
const connsKept = 256

// newConn returns a kept connection, or a new one.
func (l *loop) newConn() *conn {
	if n := len(l.conns); n > 0 {
		c := l.conns[n-1]
		l.conns[n-1] = nil
		l.conns = l.conns[:n-1]
		return c
	}
	return new(conn)
}

// putConn keeps c for a new connection, while fewer than connsKept are
// kept. c must have ended and be out of every hand but the loop's: no
// worker computing for it, no timer armed (its pipes' entries in waiters
// and runq are harmless: the pipes check their connection's state).
func (l *loop) putConn(c *conn) {
	if len(l.conns) < connsKept {
		l.conns = append(l.conns, c)
	}
}

// putHandshakeSent is putHandshake once the next wait has handed over
// the send that reads the machine's last message.
func (l *loop) putHandshakeSent(hs *cipher.Handshake) {
	l.sentPuts = append(l.sentPuts, sentPut{hs: hs})
}

// sentAfter keeps s until the sends that read it have been handed over,
// and makes the next wait not sleep, so that it comes back soon (a pipe
// may be waiting for the batch).
func (l *loop) sentAfter(s sentPut) {
	l.sentPuts = append(l.sentPuts, s)
	l.hurry = true
}

// sentPut is what a closed connection's send with the poller still reads,
// to let go of once the next wait has started: a batch to return, or a
// handshake to wipe.
type sentPut struct {
	b     *bufpool.Batch
	dirty int
	hs    *cipher.Handshake
}

// cancelWait removes p from the waiters (lazily: it is skipped when reached).
func (l *loop) cancelWait(p *pipe) { p.waiting = false }

// shutdown closes everything the loop still holds; called after run returns.
// Closing the poller discards sends not handed over, so what they would
// have read is wiped and zeroed now.
func (l *loop) shutdown() {
	l.closeReleased()
	l.p.close()
	l.releaseSent()
}
