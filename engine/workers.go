package engine

import "sync"

// job is handshake arithmetic handed to a worker. compute runs on the
// worker and hands the result back to its owner itself (a connection posts
// to its loop), so the workers know nothing of connections.
type job interface {
	compute()
}

// workers run jobs off the event loops: a fixed number of goroutines fed by
// one FIFO. Submitting never blocks, and the queue is bounded because each
// connection has at most one job queued.
type workers struct {
	mu      sync.Mutex
	cond    sync.Cond
	queue   []job // queue[head:] waits, oldest first
	head    int
	stopped bool
	wg      sync.WaitGroup
}

func (w *workers) start(n int) {
	w.cond.L = &w.mu
	w.wg.Add(n)
	for range n {
		go w.run()
	}
}

// submit queues j for the next free worker.
func (w *workers) submit(j job) {
	w.mu.Lock()
	w.queue = append(w.queue, j)
	w.mu.Unlock()
	w.cond.Signal()
}

// take waits for the oldest job; nil once stopped with nothing queued.
func (w *workers) take() job {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.head == len(w.queue) && !w.stopped {
		w.cond.Wait()
	}
	if w.head == len(w.queue) {
		return nil
	}
	j := w.queue[w.head]
	w.queue[w.head] = nil
	w.head++
	if w.head == len(w.queue) || (w.head >= 64 && 2*w.head >= len(w.queue)) {
		// Move what waits to the front, so the array is reused and a
		// queue that never empties does not grow without bound.
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
	return j
}

func (w *workers) run() {
	defer w.wg.Done()
	for j := w.take(); j != nil; j = w.take() {
		j.compute()
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
