package engine

import (
	"net/netip"
	"time"
)

// Cause says why a connection ended, in a fixed vocabulary that logs and
// metrics share.
type Cause uint8

const (
	CauseDone              Cause = iota // both directions closed cleanly
	CauseTargetRefused                  // every target address refused the connect
	CauseTargetUnreachable              // no target address could be reached
	CauseConnectTimeout                 // -o passed before the target connected
	CauseHandshakeTimeout               // -o passed before the handshake finished
	CauseHandshakeFailed                // bad MAC (wrong key, or the peer is not spiped), or the peer left mid-handshake
	CauseFSRefused                      // -g, and the peer runs -f
	CauseBadPacket                      // a packet failed its MAC or length check
	CauseReset                          // a socket was reset (or written after the peer left)
	CauseError                          // any other socket error
	CauseLimit                          // a client queued at the -n limit (reported when queued)
	CauseShutdown                       // closed by the daemon: the drain after SIGTERM ran out
	numCauses
)

var causeNames = [numCauses]string{
	"done", "target-refused", "target-unreachable", "connect-timeout",
	"handshake-timeout", "handshake-failed", "fs-refused", "bad-packet",
	"reset", "error", "limit", "shutdown",
}

func (c Cause) String() string {
	if c < numCauses {
		return causeNames[c]
	}
	return "unknown"
}

// Causes lists every cause, in order (for metrics that name each one).
func Causes() []Cause {
	cs := make([]Cause, numCauses)
	for i := range cs {
		cs[i] = Cause(i)
	}
	return cs
}

// ConnEnd describes a connection that ended (or, for CauseLimit, a client
// left waiting at the -n limit: then only Cause is set).
type ConnEnd struct {
	Peer     netip.AddrPort // the accepted socket's peer; invalid for a Unix socket
	Target   *Addr          // the target address dialled last; nil if none was
	Duration time.Duration  // from accept to end
	ToTarget int64          // plaintext bytes carried from the source side to the target side
	ToSource int64          // plaintext bytes carried back
	Cause    Cause
}
