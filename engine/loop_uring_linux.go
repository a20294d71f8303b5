//go:build linux

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ringPoller is the Linux poller where io_uring is allowed: each descriptor
// gets one multishot, edge-triggered poll request, and closing one cancels
// its request and closes it through the ring too. Registering, closing,
// setting the data phase's options and the sends the engine hands over
// (send) so cost no system call of their own: they go to the kernel with
// the next wait, which is one io_uring_enter. Reads, and the other writes,
// stay the engine's own system calls, as with epoll.
//
// A poll request holds its own reference to the socket, so a descriptor
// with one must be closed here, never with close(2): the socket would live
// on, unseen, until the ring itself is closed.
type ringPoller struct {
	r      *ring
	wakefd int
	// gen counts the closes of each descriptor number. A request's
	// user_data carries the number and its generation, so completions of a
	// closed socket's request are told from those of a later socket given
	// the same number.
	gen []uint32
	// unsent are the descriptors whose close may be prepared but not
	// yet handed over (at: the ring's tail after the close request):
	// close closes those itself.
	unsent  []unsentClose
	enabled bool
	// sockopts: socket options are set through the ring too (Linux
	// 6.7); one is their value, where the kernel reads it.
	sockopts bool
	one      int32
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
// generation in the next 29 (wrapping), and the kind of request in the top
// three: a descriptor's poll (none), a send, the wake-up eventfd's poll,
// or a request that completes silently unless it fails (a cancellation, a
// close, a socket option) and then is of no interest.
const (
	udGenMask = 1<<29 - 1
	udSend    = 1 << 61
	udIgnore  = 1 << 62
	udWake    = 1 << 63
)

// unsentClose is a close request's descriptor and its place in the ring.
type unsentClose struct {
	fd int
	at uint32
}

// pollMask is what a descriptor is polled for, as epoll's registration.
const pollMask = unix.POLLIN | unix.POLLOUT | unix.POLLRDHUP

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
	p := &ringPoller{r: r, wakefd: wfd, one: 1}
	p.sockopts = ringSetsockoptWorks(&p.one)
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

func (p *ringPoller) add(fd int) error {
	if fd >= len(p.gen) {
		grown := make([]uint32, max(2*len(p.gen), fd+1, 64))
		copy(grown, p.gen)
		p.gen = grown
	}
	p.arm(fd, pollMask, p.userData(fd))
	return nil
}

// closeFd cancels fd's poll request and closes it, both with the next
// hand-over, and retires the number's generation at once.
func (p *ringPoller) closeFd(fd int) {
	if fd >= len(p.gen) {
		closeFd(fd)
		return
	}
	// A cancellation, not a poll removal: a removal fails (EALREADY), and
	// leaves the request armed, while a wake-up of it is being handled,
	// which with deferred task work is until the next wait.
	s := p.r.sqe()
	s.opcode = opAsyncCancel
	s.addr = p.userData(fd)
	s.flags = sqeCQESkipSuccess
	s.userData = udIgnore
	s = p.r.sqe()
	s.opcode = opClose
	s.fd = int32(fd)
	s.flags = sqeCQESkipSuccess
	s.userData = udIgnore
	p.gen[fd]++
	p.unsent = append(p.unsent, unsentClose{fd, p.r.tail})
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
			continue // a closed socket's
		}
		if ud&udSend != 0 {
			evs[j] = event{fd: int32(fd), flags: evSent, res: c.res}
			j++
			continue
		}
		if c.flags&cqeFMore == 0 {
			// The kernel ended the request (it may, on an overflow or
			// an error): ask again, and let the owner look now.
			p.arm(fd, pollMask, ud)
		}
		f := evRead | evWrite | evHup
		if c.res >= 0 {
			f = pollFlags(uint32(c.res))
		}
		evs[j] = event{fd: int32(fd), flags: f}
		j++
	}
	return j, nil
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
	p.r.close()
	for _, u := range p.unsent {
		if int32(u.at-handed) > 0 {
			closeFd(u.fd)
		}
	}
	p.unsent = nil
	unix.Close(p.wakefd)
}
