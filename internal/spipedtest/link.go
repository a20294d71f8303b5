package spipedtest

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// readSize is the most one read of a relayed socket takes.
const readSize = 64 << 10

// defaultMaxHeld bounds the bytes a link holds per direction unless the
// configuration says otherwise: with a 25 ms delay it still allows about
// 160 MB/s, more than a daemon pushes through loopback under test.
const defaultMaxHeld = 4 << 20

// resetGrace is how long a reset may wait behind held data that the
// receiver does not take before the link is reset anyway: a real RST does
// not wait for the receiver to read.
const resetGrace = 250 * time.Millisecond

// linkConfig is the timing of one relayed connection.
type linkConfig struct {
	upDelay   time.Duration // a (the accepted side) to b (upstream)
	downDelay time.Duration // b to a
	rate      int64         // bytes per second per direction; 0: unpaced
	maxHeld   int           // bytes held per direction before reading stops
}

// chunkKind says what a chunk carries.
type chunkKind uint8

const (
	dataChunk  chunkKind = iota
	eofChunk             // the source ended cleanly: CloseWrite the destination
	resetChunk           // the source failed: reset both sides
)

// chunk is what one read returned, and the earliest time it may leave.
type chunk struct {
	kind chunkKind
	data []byte
	due  time.Time
}

// queue holds a direction's chunks in order. Its bytes are bounded: a put
// waits while the chunks not yet written hold maxHeld bytes, so a receiver
// that does not read stops the relay from reading (backpressure), as it
// would stop a real sender.
type queue struct {
	mu     sync.Mutex
	more   sync.Cond // a chunk was added, or the queue closed
	room   sync.Cond // bytes were released, or the queue closed
	items  []chunk
	held   int
	max    int
	closed bool
	peak   *atomic.Int64 // the owner's high-water mark of held bytes
}

func newQueue(max int, peak *atomic.Int64) *queue {
	q := &queue{max: max, peak: peak}
	q.more.L = &q.mu
	q.room.L = &q.mu
	return q
}

// put appends c, waiting for room; false once the queue is closed.
func (q *queue) put(c chunk) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.closed && q.held > 0 && q.held+len(c.data) > q.max {
		q.room.Wait()
	}
	if q.closed {
		return false
	}
	q.items = append(q.items, c)
	q.held += len(c.data)
	for {
		p := q.peak.Load()
		if int64(q.held) <= p || q.peak.CompareAndSwap(p, int64(q.held)) {
			break
		}
	}
	q.more.Signal()
	return true
}

// get takes the oldest chunk, waiting for one; false once closed.
func (q *queue) get() (chunk, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.closed && len(q.items) == 0 {
		q.more.Wait()
	}
	if q.closed {
		return chunk{}, false
	}
	c := q.items[0]
	q.items[0] = chunk{}
	q.items = q.items[1:]
	return c, true
}

// release returns n written bytes to the budget.
func (q *queue) release(n int) {
	q.mu.Lock()
	q.held -= n
	q.mu.Unlock()
	q.room.Signal()
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.mu.Unlock()
	q.more.Broadcast()
	q.room.Broadcast()
}

// flow is one direction of a link.
type flow struct {
	src, dst *net.TCPConn
	delay    time.Duration // this direction's
	back     time.Duration // the opposite direction's: how long news of dst's failure takes to reach src
	q        *queue
}

// link relays one connection: a is the accepted side, b the upstream one.
// Each direction has a reader, which stamps what it reads with the time it
// may leave, and a writer, which sends it no earlier than that and no faster
// than the rate; the two run at once, so a delay adds latency without
// limiting throughput.
type link struct {
	a, b     *net.TCPConn
	cfg      linkConfig
	up, down flow
	wg       sync.WaitGroup // the four goroutines
	dead     chan struct{}  // closed when the link is shut
	once     sync.Once
	mu       sync.Mutex
	timer    *time.Timer // a pending reset (abortAfter)
}

func newLink(a, b *net.TCPConn, cfg linkConfig, peak *atomic.Int64) *link {
	if cfg.maxHeld <= 0 {
		cfg.maxHeld = defaultMaxHeld
	}
	l := &link{a: a, b: b, cfg: cfg, dead: make(chan struct{})}
	l.up = flow{src: a, dst: b, delay: cfg.upDelay, back: cfg.downDelay, q: newQueue(cfg.maxHeld, peak)}
	l.down = flow{src: b, dst: a, delay: cfg.downDelay, back: cfg.upDelay, q: newQueue(cfg.maxHeld, peak)}
	return l
}

// run relays until both directions have ended (then both sockets are
// closed normally) or the link is reset.
func (l *link) run() {
	for _, f := range []*flow{&l.up, &l.down} {
		l.wg.Add(2)
		go l.receive(f)
		go l.send(f)
	}
	l.wg.Wait()
	l.shut(false)
}

// receive reads f.src into f's queue. A clean EOF is queued behind the data
// (the destination is half-closed once everything before it is written);
// any other read error is a reset, queued the same way, with a fallback that
// resets the link anyway if the held data is not taken in time.
func (l *link) receive(f *flow) {
	defer l.wg.Done()
	buf := make([]byte, readSize)
	for {
		n, err := f.src.Read(buf)
		due := time.Now().Add(f.delay)
		if n > 0 {
			if !f.q.put(chunk{data: append([]byte(nil), buf[:n]...), due: due}) {
				return
			}
		}
		if err == nil {
			continue
		}
		select {
		case <-l.dead: // our own shut closed the socket
			return
		default:
		}
		if errors.Is(err, io.EOF) {
			f.q.put(chunk{kind: eofChunk, due: due})
			return
		}
		f.q.put(chunk{kind: resetChunk, due: due})
		l.abortAfter(f.delay + resetGrace)
		return
	}
}

// send writes f's queue to f.dst, each chunk no earlier than its due time.
func (l *link) send(f *flow) {
	defer l.wg.Done()
	var next time.Time // pacing: when the next byte may leave
	step := int(max(l.cfg.rate/100, 1))
	for {
		c, ok := f.q.get()
		if !ok || !l.sleepUntil(c.due) {
			return
		}
		switch c.kind {
		case eofChunk:
			f.dst.CloseWrite()
			return
		case resetChunk:
			l.abort()
			return
		}
		for data := c.data; len(data) > 0; {
			n := len(data)
			if l.cfg.rate > 0 {
				// Paced in pieces of 10 ms' worth, so a large chunk
				// is spread out rather than sent in one burst.
				n = min(n, step)
				if !l.sleepUntil(next) {
					return
				}
			}
			w, err := f.dst.Write(data[:n])
			if l.cfg.rate > 0 {
				if now := time.Now(); next.Before(now) {
					next = now
				}
				next = next.Add(time.Duration(int64(w) * int64(time.Second) / l.cfg.rate))
			}
			if err != nil {
				// The destination is gone; its source learns of it
				// one delay of the opposite direction later.
				l.abortAfter(f.back)
				return
			}
			data = data[w:]
		}
		f.q.release(len(c.data))
	}
}

// sleepUntil waits until t; false if the link was shut meanwhile.
func (l *link) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		select {
		case <-l.dead:
			return false
		default:
			return true
		}
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-l.dead:
		return false
	}
}

// abort resets both sides now.
func (l *link) abort() { l.shut(true) }

// abortAfter resets both sides after d, unless the link ends first.
func (l *link) abortAfter(d time.Duration) {
	if d <= 0 {
		l.abort()
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.abort)
	}
}

// shut closes both sockets once: with SO_LINGER 0 (so each peer sees a
// reset) when reset is set, normally otherwise.
func (l *link) shut(reset bool) {
	l.once.Do(func() {
		close(l.dead)
		l.mu.Lock()
		if l.timer != nil {
			l.timer.Stop()
		}
		l.mu.Unlock()
		for _, c := range []*net.TCPConn{l.a, l.b} {
			if reset {
				c.SetLinger(0)
			}
			c.Close()
		}
		l.up.q.close()
		l.down.q.close()
	})
}
