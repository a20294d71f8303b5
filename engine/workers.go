package engine

import "sync"

// workers run handshake arithmetic (cipher.Handshake.Compute) off the event
// loops: a fixed number of goroutines fed by a FIFO of connections. The queue
// is linked through the connections themselves, so submitting never blocks or
// allocates, and it is bounded because each connection is queued at most once.
type workers struct {
	mu         sync.Mutex
	cond       sync.Cond
	head, tail *conn
	stopped    bool
	wg         sync.WaitGroup
}

func (w *workers) start(n int) {
	w.cond.L = &w.mu
	w.wg.Add(n)
	for range n {
		go w.run()
	}
}

// submit queues c, whose handshake is at StepCompute; when done the worker
// posts c.computed to c's loop.
func (w *workers) submit(c *conn) {
	w.mu.Lock()
	c.nextJob = nil
	if w.tail == nil {
		w.head = c
	} else {
		w.tail.nextJob = c
	}
	w.tail = c
	w.mu.Unlock()
	w.cond.Signal()
}

func (w *workers) run() {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		for w.head == nil && !w.stopped {
			w.cond.Wait()
		}
		c := w.head
		if c == nil {
			w.mu.Unlock()
			return
		}
		w.head = c.nextJob
		if w.head == nil {
			w.tail = nil
		}
		c.nextJob = nil
		w.mu.Unlock()
		if !c.cancelled.Load() {
			c.hs.Compute()
		}
		c.l.post(c.computed)
	}
}

// stop lets the workers finish the queue and waits for them.
func (w *workers) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.cond.Broadcast()
	w.wg.Wait()
}
