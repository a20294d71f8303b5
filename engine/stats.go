package engine

import "sync/atomic"

// Stats is a snapshot of a server's counters, for tuning and monitoring.
type Stats struct {
	Open              int64 // connections open now
	Total             int64 // connections accepted since start
	HandshakeFailures int64 // handshakes that failed or timed out
	ConnectFailures   int64 // targets that could not be reached in time
	PlainIn           int64 // plaintext bytes read and sealed
	PlainOut          int64 // plaintext bytes opened and written
	BadPackets        int64 // connections dropped for a bad MAC or length
	AcceptPauses      int64 // times accepting paused for lack of descriptors
}

// counters are the live values behind Stats, updated from every loop.
type counters struct {
	open, total, hsFail, connFail, plainIn, plainOut, badPackets, acceptPauses atomic.Int64
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Open:              c.open.Load(),
		Total:             c.total.Load(),
		HandshakeFailures: c.hsFail.Load(),
		ConnectFailures:   c.connFail.Load(),
		PlainIn:           c.plainIn.Load(),
		PlainOut:          c.plainOut.Load(),
		BadPackets:        c.badPackets.Load(),
		AcceptPauses:      c.acceptPauses.Load(),
	}
}
