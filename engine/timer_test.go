package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTimerHeapOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h timerHeap
	var fired []int64
	ts := make([]timer, 500)
	for i := range ts {
		ts[i] = newTimer(nil)
		tm := &ts[i]
		tm.fire = func() { fired = append(fired, tm.when) }
		h.add(tm, r.Int64N(1000))
	}
	// Cancel every third, re-arm every fifth.
	cancelled := 0
	for i := range ts {
		switch {
		case i%3 == 0:
			h.del(&ts[i])
			cancelled++
			if ts[i].idx >= 0 {
				t.Fatal("del left the timer armed")
			}
		case i%5 == 0:
			h.del(&ts[i])
			h.add(&ts[i], r.Int64N(1000))
		}
	}
	h.expire(499)
	for _, w := range fired {
		if w > 499 {
			t.Fatalf("fired a timer due at %d at 499", w)
		}
	}
	h.expire(1 << 62)
	if len(fired) != len(ts)-cancelled {
		t.Fatalf("fired %d, want %d", len(fired), len(ts)-cancelled)
	}
	if !slices.IsSorted(fired) {
		t.Fatal("timers fired out of order")
	}
	if len(h) != 0 {
		t.Fatalf("%d timers left", len(h))
	}
}

func TestTimerNext(t *testing.T) {
	var h timerHeap
	if _, ok := h.next(); ok {
		t.Fatal("empty heap has a deadline")
	}
	a, b := newTimer(func() {}), newTimer(func() {})
	h.add(&a, 50)
	h.add(&b, 20)
	if w, _ := h.next(); w != 20 {
		t.Fatalf("next = %d, want 20", w)
	}
	h.del(&b)
	if w, _ := h.next(); w != 50 {
		t.Fatalf("next = %d, want 50", w)
	}
}
