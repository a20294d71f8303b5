// Package cipher is spiped's protocol mathematics: the key file, the
// handshake as a sans-I/O state machine, group-14 Diffie-Hellman, and the
// sealing and opening of 1060-byte data packets.
//
// Nothing here touches a socket, a clock or a goroutine: an event loop feeds
// the handshake the peer's bytes, sends what it produces, and runs its
// modular exponentiations wherever it likes.
package cipher
