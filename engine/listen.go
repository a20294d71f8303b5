package engine

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// listenBacklog is large enough for bursts of hundreds of connects; the
// kernel caps it at its own somaxconn.
const listenBacklog = 4096

// acceptPause is how long accepting rests after running out of descriptors.
const acceptPause = 100 * time.Millisecond

// listenSocket binds and listens on a. A Unix-socket path that exists is an
// error, as with the reference: it is never unlinked. A TCP listener gets
// the data phase's options (tuneData): accepted sockets inherit them, which
// saves two system calls per connection.
func listenSocket(a Addr, keepalive bool) (int, error) {
	sa, family, err := a.sockaddr()
	if err != nil {
		return -1, err
	}
	fd, err := newSocket(family)
	if err != nil {
		return -1, fmt.Errorf("Error creating socket: %w", err)
	}
	if family != unix.AF_UNIX {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	if family == unix.AF_INET6 {
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if family != unix.AF_UNIX {
		tuneData(fd, keepalive)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("Error binding socket: %w", err)
	}
	if err := unix.Listen(fd, listenBacklog); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("Error listening on socket: %w", err)
	}
	return fd, nil
}

// acceptor owns the listening socket on the first loop and deals accepted
// connections to the loops in turn. At the -n limit it stops accepting
// (clients wait in the kernel's backlog) until a connection ends; when
// descriptors run out it rests briefly instead of failing.
type acceptor struct {
	srv      *Server
	l        *loop
	fd       int
	ready    bool // listener reported readable and not yet drained
	atLimit  bool // the -n limit was reached and warned about
	paused   bool // resting after EMFILE and the like
	warnedFD bool
	closed   bool
	queued   int // clients reported waiting at the -n limit, not yet accepted
	pauseT   timer
	rr       int // next loop to hand a connection to
}

func newAcceptor(srv *Server, l *loop, fd int) *acceptor {
	a := &acceptor{srv: srv, l: l, fd: fd}
	a.pauseT = newTimer(a.unpause)
	return a
}

func (a *acceptor) event(fd int, flags uint8, res int32) {
	a.ready = true
	a.accept()
}

// accept takes pending connections while the limit and descriptors allow.
// Stopping at the limit, it reports each client newly found waiting in the
// listener's queue as queued (cause limit).
func (a *acceptor) accept() {
	s := a.srv
	max := int64(s.cfg.MaxConns)
	for a.ready && !a.paused && !a.closed {
		if max > 0 && s.stats.open.Load() >= max {
			for n := a.l.p.acceptWaiting(a.fd); a.queued < n; a.queued++ {
				s.stats.ended[CauseLimit].Add(1)
				if s.cfg.OnEnd != nil {
					s.cfg.OnEnd(&ConnEnd{Cause: CauseLimit})
				}
			}
			return
		}
		a.atLimit = false
		room := -1
		if max > 0 {
			room = int(max - s.stats.open.Load())
		}
		fd, err := a.l.p.accept(a.fd, room)
		switch err {
		case nil:
		case unix.EAGAIN:
			a.ready = false
			return
		case unix.ECONNABORTED:
			continue
		default:
			// EMFILE, ENFILE, ENOBUFS, ENOMEM or worse: rest, then retry.
			a.pause(err)
			return
		}
		a.warnedFD = false
		if a.queued > 0 {
			a.queued--
		}
		open := s.stats.open.Add(1)
		s.stats.total.Add(1)
		if max > 0 && open >= max && !a.atLimit {
			a.atLimit = true
			s.warn(fmt.Sprintf("Maximum number of connections (%d) reached", max))
		}
		to := s.loops[a.rr%len(s.loops)]
		a.rr++
		targets := *s.targets.Load()
		p := s.conns.hold()
		if to == a.l {
			startConn(to, p, targets, fd)
		} else {
			to.post(func() { startConn(to, p, targets, fd) })
		}
	}
}

func (a *acceptor) pause(err error) {
	a.srv.stats.acceptPauses.Add(1)
	if !a.warnedFD {
		a.warnedFD = true
		a.srv.warn(fmt.Sprintf("Error accepting connection: %v; pausing", err))
	}
	a.paused = true
	a.l.after(&a.pauseT, acceptPause)
}

func (a *acceptor) unpause() {
	a.paused = false
	a.accept()
}

// close stops accepting for good.
func (a *acceptor) close() {
	if a.closed {
		return
	}
	a.closed = true
	a.l.timers.del(&a.pauseT)
	a.l.release(a.fd)
}

// adoptListener takes over a listening socket passed in (socket
// activation): it must be a stream socket that listens. It is made
// non-blocking and close-on-exec, and a TCP one gets the data phase's
// options, as listenSocket gives its own.
func adoptListener(fd int, keepalive bool) (int, error) {
	if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on == 0 {
		if err == nil {
			err = unix.EINVAL
		}
		//lint:ignore ST1005 printed as the whole message after "spiped: ", capitalized like the reference's warnp lines
		return -1, fmt.Errorf("Passed descriptor %d is not a listening socket: %w", fd, err)
	}
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM {
		//lint:ignore ST1005 printed as the whole message after "spiped: ", capitalized like the reference's warnp lines
		return -1, fmt.Errorf("Passed descriptor %d is not a stream socket", fd)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		return -1, err
	}
	if sa, err := unix.Getsockname(fd); err == nil {
		if _, isUnix := sa.(*unix.SockaddrUnix); !isUnix {
			tuneData(fd, keepalive)
		}
	}
	return fd, nil
}
