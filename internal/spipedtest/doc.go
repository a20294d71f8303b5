// Package spipedtest is the kit every package's tests share to test spiped
// daemons: ours in-process, our built binary, and the reference.
//
// Its parts, a file each:
//
//   - wire.go and peer.go: an independent implementation of the wire
//     protocol on math/big, crypto/aes and crypto/hmac, pinned to the
//     vectors of PROTOCOL.md §8 (vectors_test.go) and cross-checked with
//     package cipher (cipher_test.go), but sharing no code with it, so a
//     hostile Peer can forge any byte and a bug in cipher cannot hide
//     itself;
//   - service.go, sink.go, record.go, hostileserver.go, tamper.go: targets
//     that run a handler (EchoConn, or the test's own), record what
//     arrives, hand each connection to the test, or forward it with one
//     bit flipped;
//   - digest.go: a SHA-256 check of a streamed transfer of any size;
//   - daemon.go, process.go, ready.go: daemons under test and their
//     launchers, with one readiness rule (the kernel lists the listening
//     socket; no probe connection, which a daemon would serve). The
//     in-process launcher lives with the engine's tests: this package must
//     not import engine, whose in-package tests import it;
//   - fds.go: descriptor, memory and CPU accounting through /proc;
//   - random.go and knob.go: seeded randomness and size knobs;
//   - reference.go, command.go: skip locally, fail under CI, when a program
//     a test needs is missing;
//   - relay.go and slowtarget.go: timing that loopback does not show. On
//     loopback every connect completes at once and every byte arrives in
//     microseconds, so a daemon is never caught between two events that
//     are far apart on a real network. Relay is a loopback TCP proxy that
//     holds what it reads for a delay per direction, optionally paces
//     bandwidth, and carries half-closes and resets across; SlowTarget is
//     a listener whose SYNs go unanswered for a while, so a connect to it
//     stays in progress for about a second (StartSlowTarget and HoldFor
//     set it up for a test).
//
// Everything a value starts it also stops, at the end of its test or in
// Close. The only package-level state is the once-built binary of
// OurBinary, so tests may use the kit in parallel.
package spipedtest
