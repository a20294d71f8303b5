package engine

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a server's counters, for tuning and monitoring.
type Stats struct {
	Open              int64     // connections open now
	Total             int64     // connections accepted since start
	Queued            int64     // times a client was left waiting at the -n limit
	Handshakes        int64     // handshakes completed
	HandshakeFailures int64     // handshakes that failed or timed out
	ConnectFailures   int64     // targets that could not be reached in time
	PlainIn           int64     // plaintext bytes read and sealed
	PlainOut          int64     // plaintext bytes opened and written
	BadPackets        int64     // connections dropped for a bad MAC or length
	AcceptPauses      int64     // times accepting paused for lack of descriptors
	Resolutions       int64     // re-resolutions of the target attempted (-r)
	ResolveFailures   int64     // of which failed or found nothing (the old addresses stay)
	Ended             []int64   // connections ended, indexed by Cause
	HandshakeTime     Histogram // from the handshake's start to its end
	ConnectTime       Histogram // from the first connect to the target to its success
	Poller            string    // what the loops wait with: io_uring, epoll or kqueue
}

// DurationBounds are the upper bounds, in seconds, of the duration
// histograms' buckets (a last bucket takes the rest).
var DurationBounds = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram is a snapshot of a duration histogram: Counts[i] durations
// fell at or under DurationBounds[i] and above the bound before; the last
// count is those above every bound.
type Histogram struct {
	Counts []int64
	Count  int64
	Sum    time.Duration
}

// counters are the live values behind Stats, updated from every loop: per
// batch or per connection, never per packet.
type counters struct {
	open, total, handshakes            atomic.Int64
	sealed, opened                     atomic.Int64
	acceptPauses, resolves, resolveErr atomic.Int64
	ended                              [numCauses]atomic.Int64
	hsTime, connTime                   histogram
}

type histogram struct {
	counts [len(DurationBounds) + 1]atomic.Int64
	sum    atomic.Int64 // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(DurationBounds) && s > DurationBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

func (h *histogram) snapshot() Histogram {
	s := Histogram{Counts: make([]int64, len(h.counts)), Sum: time.Duration(h.sum.Load())}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
		s.Count += s.Counts[i]
	}
	return s
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Open:            c.open.Load(),
		Total:           c.total.Load(),
		Handshakes:      c.handshakes.Load(),
		PlainIn:         c.sealed.Load(),
		PlainOut:        c.opened.Load(),
		AcceptPauses:    c.acceptPauses.Load(),
		Resolutions:     c.resolves.Load(),
		ResolveFailures: c.resolveErr.Load(),
		Ended:           make([]int64, numCauses),
		HandshakeTime:   c.hsTime.snapshot(),
		ConnectTime:     c.connTime.snapshot(),
		Poller:          s.loops[0].p.name(),
	}
	for i := range c.ended {
		st.Ended[i] = c.ended[i].Load()
	}
	st.HandshakeFailures = st.Ended[CauseHandshakeFailed] + st.Ended[CauseHandshakeTimeout] + st.Ended[CauseFSRefused]
	st.ConnectFailures = st.Ended[CauseTargetRefused] + st.Ended[CauseTargetUnreachable] + st.Ended[CauseConnectTimeout]
	st.BadPackets = st.Ended[CauseBadPacket]
	st.Queued = st.Ended[CauseLimit]
	return st
}
