package engine

// timer is a one-shot deadline owned by one loop. Timers live in a binary
// min-heap, so arming, cancelling and expiring cost O(log n) in the number of
// armed timers and nothing is ever scanned.
type timer struct {
	when int64  // loop clock, nanoseconds
	idx  int    // position in the heap, -1 when not armed
	fire func() // runs on the loop when the deadline passes
}

func newTimer(fire func()) timer { return timer{idx: -1, fire: fire} }

// timerHeap orders armed timers by deadline.
type timerHeap []*timer

// add arms t for when (t must not be armed).
func (h *timerHeap) add(t *timer, when int64) {
	t.when = when
	t.idx = len(*h)
	*h = append(*h, t)
	h.up(t.idx)
}

// del disarms t if armed.
func (h *timerHeap) del(t *timer) {
	i := t.idx
	if i < 0 {
		return
	}
	s := *h
	last := len(s) - 1
	if i != last {
		s.swap(i, last)
	}
	s[last] = nil
	*h = s[:last]
	t.idx = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// next returns the earliest deadline and whether there is one.
func (h timerHeap) next() (int64, bool) {
	if len(h) == 0 {
		return 0, false
	}
	return h[0].when, true
}

// expire disarms and fires every timer due at now, earliest first.
func (h *timerHeap) expire(now int64) {
	for len(*h) > 0 && (*h)[0].when <= now {
		t := (*h)[0]
		h.del(t)
		t.fire()
	}
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].when <= h[i].when {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].when < h[l].when {
			m = r
		}
		if h[i].when <= h[m].when {
			return
		}
		h.swap(i, m)
		i = m
	}
}
