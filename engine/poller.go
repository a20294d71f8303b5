package engine

import "golang.org/x/sys/unix"

// Readiness flags of one event. The poller is edge-triggered: a flag means
// "this became ready", and the owner keeps going until EAGAIN.
const (
	evRead  uint8 = 1 << iota // input (or EOF) available
	evWrite                   // output room available, or a connect finished
	evHup                     // hang-up or error: the next read or write tells which
	evSent                    // a send handed to the poller is done: res tells how
)

// event is one readiness report for a descriptor, or the outcome of a send
// on it (evSent; res is the bytes sent or a negated errno).
type event struct {
	fd    int32
	flags uint8
	res   int32
}

// fdKind says what a registered descriptor is, for a poller that reads for
// the engine (io_uring's receives): a listener is only ever watched, a
// stream socket's input may come by receives, which start on one still
// connecting only once its connect has succeeded (a receive would take the
// connect's error for itself).
type fdKind uint8

const (
	fdListener fdKind = iota
	fdConnected
	fdConnecting
)

// poller is the small interface between a loop and the kernel's event
// notification: io_uring on Linux where allowed (loop_uring_linux.go), else
// epoll (loop_linux.go), and kqueue on the BSDs and macOS (loop_bsd.go).
// Every descriptor is registered once, edge-triggered, for both input and
// output, so flow control never costs a system call, and closed through
// the poller, which removes it. Stream sockets are read and written
// through the poller too: epoll and kqueue only make the system calls,
// while io_uring brings small inputs with their edge (receives) and asks
// for room for output only once a write has found none.
type poller interface {
	// add registers fd for edge-triggered input and output readiness.
	add(fd int, kind fdKind) error
	// accept accepts a connection on a registered listener as accept4(2)
	// would, non-blocking and close-on-exec; after EAGAIN, the next
	// connection is reported as an input edge. room is how many more the
	// caller may take now (-1: no limit); it is at least 1.
	accept(lfd, room int) (int, error)
	// acceptWaiting is how many connections wait to be accepted, asked
	// at the -n limit: from then until the next accept, each new one is
	// reported as an input edge, as readiness would.
	acceptWaiting(lfd int) int
	// connect starts a non-blocking connect of fd, not yet registered,
	// to sa; done reports one that finished at once. Otherwise its outcome
	// is an output edge once fd is registered (fdConnecting), with evHup
	// if it failed, and then res is the negated errno where the poller
	// made the connect itself, or 0 (SO_ERROR tells).
	connect(fd int, sa unix.Sockaddr) (done bool, err error)
	// read and readv read a registered stream socket as read(2) and
	// readv(2) would, non-blocking. A short read means the socket was
	// empty: the next input is reported as an edge.
	read(fd int, p []byte) (int, unix.Errno)
	readv(fd int, iov []unix.Iovec) (int, unix.Errno)
	// write and writev write a registered stream socket as write(2) and
	// writev(2) would, non-blocking; after EAGAIN, room is reported as
	// an edge.
	write(fd int, p []byte) (int, unix.Errno)
	writev(fd int, iov []unix.Iovec) (int, unix.Errno)
	// closeFd closes a registered descriptor, at the latest when the
	// next wait starts.
	closeFd(fd int)
	// wait fills evs and returns how many it filled, blocking at most
	// timeoutMs milliseconds (-1: until something happens). A wake-up from
	// another goroutine returns with zero or more events.
	wait(evs []event, timeoutMs int) (int, error)
	// wake makes a concurrent or the next wait return; safe from any goroutine.
	wake()
	// close releases the poller's own descriptors.
	close()
	// send writes buf to fd as a non-blocking write(2) would, as the next
	// wait starts, and reports the outcome as an evSent event for fd;
	// buf must stay untouched until that wait has started. False means
	// this poller cannot: the caller writes itself.
	send(fd int, buf []byte) bool
	// pending reports requests prepared (a close, a send) that the kernel
	// has not been handed yet, which a wait normally does.
	pending() bool
	// tune sets the data phase's socket options (tuneData) on fd, at the
	// latest when the next wait starts.
	tune(fd int, keepalive bool)
	// pinsThread reports that wait must always be called from one thread:
	// the loop then locks its goroutine to its thread.
	pinsThread() bool
	// name says which interface this is, for operators (metrics, expvar).
	name() string
}

// readinessOnly is the part of a poller that only reports readiness (epoll,
// kqueue): the engine makes the system calls itself, and closing a
// descriptor removes it from the kernel's set.
type readinessOnly struct{}

func (readinessOnly) accept(lfd, room int) (int, error)                 { return acceptSocket(lfd) }
func (readinessOnly) acceptWaiting(lfd int) int                         { return acceptQueueLen(lfd) }
func (readinessOnly) connect(fd int, sa unix.Sockaddr) (bool, error)    { return sysConnect(fd, sa) }
func (readinessOnly) closeFd(fd int)                                    { closeFd(fd) }
func (readinessOnly) read(fd int, p []byte) (int, unix.Errno)           { return sysRead(fd, p) }
func (readinessOnly) readv(fd int, iov []unix.Iovec) (int, unix.Errno)  { return sysReadv(fd, iov) }
func (readinessOnly) write(fd int, p []byte) (int, unix.Errno)          { return sysWrite(fd, p) }
func (readinessOnly) writev(fd int, iov []unix.Iovec) (int, unix.Errno) { return sysWritev(fd, iov) }
func (readinessOnly) send(int, []byte) bool                             { return false }
func (readinessOnly) pending() bool                                     { return false }
func (readinessOnly) tune(fd int, keepalive bool)                       { tuneData(fd, keepalive) }
func (readinessOnly) pinsThread() bool                                  { return false }
