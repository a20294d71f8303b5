//go:build linux

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ringPoller is the Linux poller where io_uring is allowed. Registering,
// closing (a cancellation of the descriptor's requests, then the close),
// setting the data phase's options and the sends the engine hands over
// (send) cost no system call of their own: they go to the kernel with the
// next wait, which is one io_uring_enter.
//
// A stream socket's input comes by receives: while its reader waits for
// input, one receive waits in the kernel, and takes one of the loop's
// provided buffers (ringBufs) only when bytes arrive, so an idle
// connection still holds none. Its completion is the input edge and
// carries the bytes, so the read that would follow a readiness report
// costs no system call; read and readv hand them over. Such a socket has
// no standing poll request: room for output is asked for with a one-shot
// poll only after a write found none (write, writev), and a connect's
// outcome likewise. Receives pay where input comes in messages of a buffer
// or less (handshakes, requests and replies). A socket whose receive fills
// its buffer (a stream) goes back to readiness for good, once the bytes
// received are read: a standing multishot, edge-triggered poll request, as
// listeners have, and reads of its own, which move its bytes straight into
// the reader's batch. So does a socket that finds no buffer left.
//
// A listener's connections come by accept requests, which wait in the
// kernel and take connections as the loop's next wait runs: a completion
// is the input edge and carries the new socket, so accept costs no system
// call. How many one request may take, and what is kept from the
// reference's accept(2) loop, is ring_accept_linux.go's to say.
//
// A request holds its own reference to the socket, so a descriptor with
// one must be closed here, never with close(2): the socket would live on,
// unseen, until the ring itself is closed.
type ringPoller struct {
	r      *ring
	wakefd int
	// gen counts the closes of each descriptor number. A request's
	// user_data carries the number and its generation, so completions of a
	// closed socket's request are told from those of a later socket given
	// the same number.
	gen []uint32
	// rx is each stream socket's input, by descriptor number; bufs the
	// buffers receives take (nil: the kernel lacks them, all input is
	// by readiness).
	rx   []rxState
	bufs *ringBufs
	// lst is each listener's accepts, by descriptor number; acceptFlags
	// their ioprio (acceptPollFirst, unless the kernel refused it);
	// multishot whether the kernel takes multishot accepts, and queueMax
	// the most connections a listen queue holds.
	lst         map[int]*acceptState
	acceptFlags uint16
	multishot   bool
	queueMax    int
	iov1        [1]unix.Iovec // read's one iovec
	// unsent are the descriptors whose close may be prepared but not
	// yet handed over (at: the ring's tail after the close request):
	// close closes those itself.
	unsent  []unsentClose
	enabled bool
	// sockopts: socket options are set through the ring too (Linux
	// 6.7); one is their value, where the kernel reads it.
	sockopts bool
	one      int32
	// addrs hold the addresses of the connects prepared since the last
	// hand-over, which reads them; naddrs is how many.
	addrs  [64]unix.RawSockaddrInet6
	naddrs int
	// sends counts the sends prepared since the last hand-over. They
	// never wait for room (MSG_DONTWAIT), so each completes while it is
	// handed over: a wait that should sleep until something happens
	// waits for that many completions and one more.
	sends uint32
	cqes  [256]ringCQE
	arg   ringGeteventsArg // the wait's timeout, pointed at ts: kept off the stack
	ts    ringTimespec
	drain [8]byte
}

// A request's user_data: the descriptor in the low 32 bits, its
// generation in the next 25 (wrapping), and the kind of request in the top
// seven: a descriptor's standing poll (none), a socket's connect, a
// listener's accept, a socket's one-shot poll for room, a receive, a send,
// the wake-up eventfd's poll, or a request that completes silently unless
// it fails (a cancellation, a close, a socket option) and then is of no
// interest.
const (
	udGenMask = 1<<25 - 1
	udConnect = 1 << 57
	udAccept  = 1 << 58
	udOnce    = 1 << 59
	udRecv    = 1 << 60
	udSend    = 1 << 61
	udIgnore  = 1 << 62
	udWake    = 1 << 63
)

// unsentClose is a close request's descriptor and its place in the ring.
type unsentClose struct {
	fd int
	at uint32
}

// pollMask is what a descriptor's standing poll asks for, as epoll's
// registration.
const pollMask = unix.POLLIN | unix.POLLOUT | unix.POLLRDHUP

// rxState is what a ringPoller knows of a stream socket's input.
type rxState struct {
	on      bool // input comes by receives, not readiness
	connect bool // receives start once the connect is seen to succeed
	dialing bool // our connect request is prepared or waiting; its completion is the edge
	armed   bool // a receive is prepared or waiting in the kernel
	roomAsk bool // a poll for room is prepared or waiting
	held    bool // buffer bid holds received bytes [off:n] not yet read
	eof     bool // a receive found the end of the input
	bid     uint16
	off, n  uint16
	err     unix.Errno // a receive's error, for the next read
}

// ringEntries is the submission queue's size: enough for a loop
// iteration's registrations and closes in one hand-over.
const ringEntries = 1024

func newRingPoller() (*ringPoller, error) {
	r, err := newRing(ringEntries)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		r.close()
		return nil, err
	}
	p := &ringPoller{r: r, wakefd: wfd, one: 1, acceptFlags: acceptPollFirst,
		multishot: true, queueMax: listenQueueMax()}
	p.sockopts = ringSetsockoptWorks(&p.one)
	// Provided buffers need Linux 5.19; without them every socket's input
	// is by readiness, as with epoll.
	p.bufs, _ = newRingBufs(r.fd)
	// Input only: an eventfd is always writable, and its drain would
	// report that as one more completion per wake-up.
	p.arm(wfd, unix.POLLIN, udWake)
	p.arg.ts = uint64(uintptr(unsafe.Pointer(&p.ts)))
	return p, nil
}

func (p *ringPoller) name() string { return "io_uring" }

// pinsThread: the ring has one submitter thread (newRing says why).
func (p *ringPoller) pinsThread() bool { return true }

// arm asks for fd's readiness to mask, edge-triggered, until the request
// is cancelled.
func (p *ringPoller) arm(fd int, mask uint32, ud uint64) {
	s := p.r.sqe()
	s.opcode = opPollAdd
	s.fd = int32(fd)
	s.len = pollAddMulti
	s.opFlags = mask
	s.userData = ud
}

func (p *ringPoller) userData(fd int) uint64 {
	return uint64(p.gen[fd]&udGenMask)<<32 | uint64(uint32(fd))
}

// grow makes room for descriptor fd in the tables by number.
func (p *ringPoller) grow(fd int) {
	if fd >= len(p.gen) {
		n := max(2*len(p.gen), fd+1, 64)
		p.gen = append(p.gen, make([]uint32, n-len(p.gen))...)
		p.rx = append(p.rx, make([]rxState, n-len(p.rx))...)
	}
}

func (p *ringPoller) add(fd int, kind fdKind) error {
	p.grow(fd)
	if kind == fdListener {
		if p.lst == nil {
			p.lst = make(map[int]*acceptState)
		}
		a := &acceptState{}
		p.lst[fd] = a
		p.armAccept(fd, a, 1)
		return nil
	}
	if p.bufs == nil {
		p.arm(fd, pollMask, p.userData(fd))
		return nil
	}
	dialing := p.rx[fd].dialing
	p.rx[fd] = rxState{on: true, connect: kind == fdConnecting, dialing: dialing}
	switch {
	case kind == fdConnected:
		p.recv(fd)
	case !dialing:
		p.askRoom(fd, false) // the connect's outcome
	}
	return nil
}

// connect hands a TCP connect to the kernel with the next hand-over, where
// input comes by receives: its completion is the edge and carries its
// outcome, so the connect costs no system call. Other sockets, and a
// hand-over with no room left for addresses, connect with connect(2).
func (p *ringPoller) connect(fd int, sa unix.Sockaddr) (bool, error) {
	if p.bufs == nil || p.naddrs == len(p.addrs) {
		return sysConnect(fd, sa)
	}
	raw := &p.addrs[p.naddrs]
	var size uintptr
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		r4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		*r4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: sa.Addr}
		putPort(&r4.Port, sa.Port)
		size = unix.SizeofSockaddrInet4
	case *unix.SockaddrInet6:
		*raw = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: sa.Addr, Scope_id: sa.ZoneId}
		putPort(&raw.Port, sa.Port)
		size = unix.SizeofSockaddrInet6
	default:
		return sysConnect(fd, sa)
	}
	p.naddrs++
	p.grow(fd)
	p.rx[fd] = rxState{dialing: true}
	s := p.r.sqe()
	s.opcode = opConnect
	s.fd = int32(fd)
	s.addr = uint64(uintptr(unsafe.Pointer(raw)))
	s.off = uint64(size)
	s.userData = udConnect | p.userData(fd)
	return false, nil
}

// putPort stores port in network byte order.
func putPort(dst *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(dst))
	b[0], b[1] = byte(port>>8), byte(port)
}

// askRoom asks for fd's room for output (or error), where its input comes
// by receives (other sockets' standing polls report it): once, for a
// connect's outcome; for good once a write has found the socket full. A
// socket that fills up once (a stream's output, a slow reader) will again,
// and a poll request re-armed at each full write cost bulk output up to a
// sixth of `-d`'s CPU per byte.
func (p *ringPoller) askRoom(fd int, standing bool) {
	if fd >= len(p.rx) {
		return
	}
	r := &p.rx[fd]
	if !r.on || r.roomAsk {
		return
	}
	r.roomAsk = true
	s := p.r.sqe()
	s.opcode = opPollAdd
	s.fd = int32(fd)
	if standing {
		s.len = pollAddMulti
	}
	s.opFlags = unix.POLLOUT
	s.userData = udOnce | p.userData(fd)
}

func (p *ringPoller) write(fd int, b []byte) (int, unix.Errno) {
	n, e := sysWrite(fd, b)
	if e == unix.EAGAIN {
		p.askRoom(fd, true)
	}
	return n, e
}

func (p *ringPoller) writev(fd int, iov []unix.Iovec) (int, unix.Errno) {
	n, e := sysWritev(fd, iov)
	if e == unix.EAGAIN {
		p.askRoom(fd, true)
	}
	return n, e
}

// recv asks for fd's next input, unless a receive waits already or the
// input has ended.
func (p *ringPoller) recv(fd int) {
	r := &p.rx[fd]
	if !r.on || r.armed || r.eof || r.err != 0 {
		return
	}
	r.armed, r.connect = true, false
	s := p.r.sqe()
	s.opcode = opRecv
	s.fd = int32(fd)
	s.flags = sqeBufferSelect
	s.bufIndex = rxGroup
	s.userData = udRecv | p.userData(fd)
}

func (p *ringPoller) read(fd int, b []byte) (int, unix.Errno) {
	if fd >= len(p.rx) || !p.rx[fd].on && !p.rx[fd].held {
		return sysRead(fd, b)
	}
	setIovec(&p.iov1[0], b)
	return p.readv(fd, p.iov1[:])
}

// readv hands over what a receive brought, and reads the socket itself
// only if that receive filled its buffer (more may wait) or none was
// asked for. A read that comes back short, or finds nothing, asks for the
// next receive: its completion is the reader's next input edge. It may
// change iov's entries.
func (p *ringPoller) readv(fd int, iov []unix.Iovec) (int, unix.Errno) {
	if fd >= len(p.rx) || !p.rx[fd].on && !p.rx[fd].held {
		return sysReadv(fd, iov)
	}
	r := &p.rx[fd]
	n := 0
	if r.held {
		src := p.bufs.buf(r.bid)[r.off:r.n]
		for len(iov) > 0 && len(src) > 0 {
			dst := unsafe.Slice(iov[0].Base, iov[0].Len)
			c := copy(dst, src)
			src = src[c:]
			n += c
			if c == len(dst) {
				iov = iov[1:]
			} else {
				setIovec(&iov[0], dst[c:])
			}
		}
		if len(src) > 0 {
			r.off = r.n - uint16(len(src))
			return n, 0
		}
		r.held = false
		p.bufs.put(r.bid)
		if r.on && r.n < rxBufSize {
			// The socket was empty when the kernel took these, and
			// the next receive reports what comes after.
			p.recv(fd)
			return n, 0
		}
		// A full buffer: more may wait, and the socket is back on
		// readiness, whose edge for it may have come already.
		if len(iov) == 0 {
			return n, 0
		}
	}
	switch {
	case r.eof:
		return n, 0
	case r.err != 0:
		if n > 0 {
			return n, 0
		}
		return 0, r.err
	case r.armed:
		if n > 0 {
			return n, 0
		}
		return 0, unix.EAGAIN
	}
	var want int
	for i := range iov {
		want += int(iov[i].Len)
	}
	m, e := sysReadv(fd, iov)
	switch {
	case e == unix.EAGAIN:
		p.recv(fd)
		if n > 0 {
			return n, 0
		}
		return 0, e
	case e != 0:
		if n > 0 {
			r.err = e
			return n, 0
		}
		return 0, e
	case m == 0:
		r.eof = true
	case m < want:
		p.recv(fd)
	}
	return n + m, 0
}

// closeFd cancels fd's requests and closes it, both with the next
// hand-over, gives back the buffer its unread bytes hold, and retires the
// number's generation at once.
func (p *ringPoller) closeFd(fd int) {
	if fd >= len(p.gen) {
		closeFd(fd)
		return
	}
	// A request holds its socket open past the close: cancel any first.
	// A cancellation, not a poll removal: a removal fails (EALREADY), and
	// leaves the request armed, while a wake-up of it is being handled,
	// which with deferred task work is until the next wait. Every request
	// on fd goes: its poll and any receive. A socket read to its end
	// whose last receive has completed has none (a short connection's
	// usual close), and the cancellation would only search for them.
	if p.mayHoldRequests(fd) {
		s := p.r.sqe()
		s.opcode = opAsyncCancel
		s.fd = int32(fd)
		s.opFlags = cancelFd | cancelAll
		s.flags = sqeCQESkipSuccess
		s.userData = udIgnore
	}
	s := p.r.sqe()
	s.opcode = opClose
	s.fd = int32(fd)
	s.flags = sqeCQESkipSuccess
	s.userData = udIgnore
	p.gen[fd]++
	if r := &p.rx[fd]; r.held {
		p.bufs.put(r.bid)
	}
	p.rx[fd] = rxState{}
	if a := p.lst[fd]; a != nil {
		a.dropHeld()
		delete(p.lst, fd)
	}
	p.unsent = append(p.unsent, unsentClose{fd, p.r.tail})
}

// mayHoldRequests reports whether a request of fd's may be prepared or
// waiting in the kernel: a standing poll or a listener's accept (neither
// kind of descriptor is ever on receives), a receive, a poll for room, or a
// connect. Sends never wait (MSG_DONTWAIT) and socket options complete as
// they are handed over, so neither outlives the hand-over that carries the
// close too.
func (p *ringPoller) mayHoldRequests(fd int) bool {
	r := &p.rx[fd]
	return !r.on || r.armed || r.roomAsk || r.dialing
}

// pending reports prepared requests not yet handed to the kernel.
func (p *ringPoller) pending() bool { return p.r.pending > 0 }

func (p *ringPoller) send(fd int, buf []byte) bool {
	s := p.r.sqe()
	s.opcode = opSend
	s.fd = int32(fd)
	s.addr = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	s.len = uint32(len(buf))
	s.opFlags = unix.MSG_DONTWAIT
	s.userData = udSend | p.userData(fd)
	p.sends++
	return true
}

// tune sets the data phase's options (tuneData) with the next hand-over,
// where the kernel can.
func (p *ringPoller) tune(fd int, keepalive bool) {
	if !p.sockopts {
		tuneData(fd, keepalive)
		return
	}
	s := p.r.sqe()
	s.setsockopt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, &p.one)
	s.flags = sqeCQESkipSuccess
	s.userData = udIgnore
	if keepalive {
		s = p.r.sqe()
		s.setsockopt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, &p.one)
		s.flags = sqeCQESkipSuccess
		s.userData = udIgnore
	}
}

func (p *ringPoller) wait(evs []event, timeoutMs int) (int, error) {
	if !p.enabled {
		if err := p.r.enable(); err != nil {
			return 0, err
		}
		p.enabled = true
	}
	arg := &p.arg
	arg.ts = 0
	if timeoutMs > 0 {
		p.ts = ringTimespec{sec: int64(timeoutMs / 1000), nsec: int64(timeoutMs%1000) * 1e6}
		arg.ts = uint64(uintptr(unsafe.Pointer(&p.ts)))
	}
	if err := p.r.enter(timeoutMs != 0, p.sends+1, arg); err != nil {
		return 0, err
	}
	if p.r.pending == 0 {
		p.sends = 0
		p.unsent = p.unsent[:0]
		p.naddrs = 0
	}
	n := p.r.reap(p.cqes[:min(len(evs), len(p.cqes))])
	j := 0
	for i := 0; i < n; i++ {
		c := &p.cqes[i]
		ud := c.userData
		if ud&udIgnore != 0 {
			continue
		}
		if ud == udWake {
			unix.RawSyscall(unix.SYS_READ, uintptr(p.wakefd), uintptr(unsafe.Pointer(&p.drain[0])), 8)
			if c.flags&cqeFMore == 0 {
				p.arm(p.wakefd, unix.POLLIN, udWake)
			}
			continue
		}
		fd := int(uint32(ud))
		if fd >= len(p.gen) || p.gen[fd]&udGenMask != uint32(ud>>32)&udGenMask {
			// A closed socket's; a receive's buffer comes back, and a
			// connection accepted is closed.
			if ud&udRecv != 0 && c.flags&cqeFBuffer != 0 {
				p.bufs.put(uint16(c.flags >> cqeBufferShift))
			}
			if ud&udAccept != 0 && c.res >= 0 {
				resetClose(int(c.res))
			}
			continue
		}
		if ud&udConnect != 0 {
			// Connected: its input comes by receives from now. Or
			// not, and the error is the event's.
			p.rx[fd].dialing = false
			evs[j] = event{fd: int32(fd), flags: evWrite}
			if c.res < 0 {
				evs[j] = event{fd: int32(fd), flags: evWrite | evHup, res: c.res}
			} else {
				p.recv(fd)
			}
			j++
			continue
		}
		if ud&udAccept != 0 {
			p.accepted(fd, c)
			evs[j] = event{fd: int32(fd), flags: evRead}
			j++
			continue
		}
		if ud&udSend != 0 {
			evs[j] = event{fd: int32(fd), flags: evSent, res: c.res}
			j++
			continue
		}
		if ud&udRecv != 0 {
			evs[j] = event{fd: int32(fd), flags: p.received(fd, c)}
			j++
			continue
		}
		if unix.Errno(-c.res) == unix.ECANCELED {
			continue // a listener's poll, at the limit no longer
		}
		f := evRead | evWrite | evHup
		if c.res >= 0 {
			f = pollFlags(uint32(c.res))
		}
		if ud&udOnce != 0 {
			r := &p.rx[fd]
			if c.flags&cqeFMore == 0 {
				r.roomAsk = false // asked again at the next full write
			}
			if r.connect && f == evWrite {
				// Connected: its input comes by receives from now.
				p.recv(fd)
			}
			// Input is the receives' to report.
			f &^= evRead
		} else if c.flags&cqeFMore == 0 {
			// The kernel ended the request (it may, on an overflow or
			// an error): ask again, and let the owner look now.
			p.arm(fd, pollMask, ud)
		}
		evs[j] = event{fd: int32(fd), flags: f}
		j++
	}
	return j, nil
}

// received takes a receive's completion for fd and returns the input
// edge it makes: bytes held for the next read, the end, or an error. A
// full buffer, or none left, also sends the socket back to readiness.
func (p *ringPoller) received(fd int, c *ringCQE) uint8 {
	r := &p.rx[fd]
	r.armed = false
	switch {
	case c.res > 0:
		r.held, r.bid, r.off, r.n = true, uint16(c.flags>>cqeBufferShift), 0, uint16(c.res)
		if c.res == rxBufSize {
			p.toReadiness(fd)
		}
	case c.res == 0:
		r.eof = true
	case unix.Errno(-c.res) == unix.ENOBUFS:
		p.toReadiness(fd)
	default:
		r.err = unix.Errno(-c.res)
		return evRead | evHup
	}
	return evRead
}

// toReadiness sends fd back to readiness, for good: a standing poll
// request, with the next hand-over.
func (p *ringPoller) toReadiness(fd int) {
	p.rx[fd].on = false
	p.arm(fd, pollMask, p.userData(fd))
}

func (p *ringPoller) wake() {
	one := [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

// close closes the ring, which drops the poll requests' hold on their
// sockets, and then the descriptors whose close it had not been handed.
// (It may run on another thread than the loop's, which may not submit.)
func (p *ringPoller) close() {
	handed := p.r.tail - p.r.pending // requests before this went to the kernel
	// Connections accepted and not taken are closed, those whose
	// completions were not read yet too.
	for _, a := range p.lst {
		a.dropHeld()
	}
	p.lst = nil
	for n := p.r.reap(p.cqes[:]); n > 0; n = p.r.reap(p.cqes[:]) {
		for _, c := range p.cqes[:n] {
			if c.userData&udAccept != 0 && c.userData&udIgnore == 0 && c.res >= 0 {
				resetClose(int(c.res))
			}
		}
	}
	p.r.close()
	if p.bufs != nil {
		p.bufs.unmap() // the ring, closed, no longer reaches them
		p.bufs = nil
	}
	for _, u := range p.unsent {
		if int32(u.at-handed) > 0 {
			closeFd(u.fd)
		}
	}
	p.unsent = nil
	unix.Close(p.wakefd)
}
