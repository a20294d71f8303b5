// Package engine is spiped's sockets and time: event loops (io_uring or
// epoll on Linux, kqueue on the BSDs and macOS, behind one small
// interface), the listener
// with its -n limit, non-blocking connects with re-resolved targets, each
// connection's state machine, the two pipe directions with backpressure,
// the worker pool for handshake arithmetic, and counters.
//
// A daemon is a Server: Listen binds the source socket, Serve runs the
// loops until Shutdown has been called and the last connection has ended.
// Each loop is one goroutine on its own thread owning its connections; no
// connection has a goroutine, and an idle one holds no frame buffers and no
// handshake state, only its sockets, keys and a few hundred bytes.
//
// Data flows one way through a connection's pipe: plaintext is read with
// readv straight into the payload slots of a bufpool batch, sealed in place
// and written with one write; ciphertext is read into a batch, opened in
// place and its payloads written with one writev. With io_uring, input of
// a small buffer or less per arrival (handshakes, requests and replies)
// comes by receives instead, and is copied from the loop's receive buffer
// into the batch: no read system call. The packet layouts stay in package
// cipher and bufpool.
//
// RunClient is spipe's single connection, in plain blocking code.
package engine
