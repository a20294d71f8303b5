// Package spipedtest is a kit for testing spiped daemons under timing that
// loopback does not show.
//
// On loopback every connect completes at once and every byte arrives in
// microseconds, so a daemon is never caught between two events that are
// far apart on a real network: a handshake that finishes while the connect
// to the target is still in progress, data that arrives in several pieces,
// a FIN that follows data by a round trip. Two tools bring that timing back
// without leaving the machine:
//
//   - Relay, a loopback TCP proxy that holds what it reads for a delay per
//     direction (a latency, not a cap on throughput), optionally paces
//     bandwidth, and carries half-closes and resets across;
//   - SlowTarget, a listener whose SYNs go unanswered for a while, so a
//     connect to it stays in progress for about a second (the kernel's first
//     SYN retransmission), after which connections are handed to a handler
//     or forwarded to an upstream address.
//
// Everything a value starts it also stops: Close ends every connection and
// waits for every goroutine. There is no package-level state, so tests may
// use as many as they like in parallel.
package spipedtest
