//go:build linux

package engine

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is the least of io_uring a loop needs: a submission queue it fills
// from its own goroutine and a completion queue it drains, both in memory
// shared with the kernel, and io_uring_enter to hand the one over and wait
// on the other. No liburing: the layouts below are <linux/io_uring.h>'s.
type ring struct {
	fd int

	sqHead, sqTail *uint32 // shared with the kernel
	sqMask         uint32
	sqes           []ringSQE
	tail           uint32 // our tail: entries up to it are prepared
	pending        uint32 // prepared but not yet handed over

	cqHead, cqTail *uint32 // shared with the kernel
	cqMask         uint32
	cqes           []ringCQE

	rings, sqeMem []byte // the two mappings

	// waitFlags are the waiting enter's flags: with NO_IOWAIT where the
	// kernel has it (newRing says why).
	waitFlags uintptr

	err error // the kernel refused a submission: the loop must stop
}

// ringSQE is struct io_uring_sqe (64 bytes).
type ringSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	opFlags  uint32
	userData uint64
	bufIndex uint16
	persona  uint16
	fileIdx  uint32
	addr3    uint64
	_        uint64
}

// ringCQE is struct io_uring_cqe (16 bytes).
type ringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

// ringParams is struct io_uring_params.
type ringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

// ringTimespec is struct __kernel_timespec: 64-bit fields on every
// architecture, unlike unix.Timespec.
type ringTimespec struct {
	sec, nsec int64
}

// ringGeteventsArg is struct io_uring_getevents_arg.
type ringGeteventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWait   uint32
	ts        uint64
}

const (
	opPollAdd     = 6
	opAccept      = 13
	opConnect     = 16
	opAsyncCancel = 14
	opClose       = 19
	opSend        = 26
	opRecv        = 27
	opUringCmd    = 46

	cmdSetsockopt = 3 // SOCKET_URING_OP_SETSOCKOPT (Linux 6.7)

	sqeBufferSelect   = 1 << 5 // IOSQE_BUFFER_SELECT
	sqeCQESkipSuccess = 1 << 6 // IOSQE_CQE_SKIP_SUCCESS

	cancelAll = 1 << 0 // IORING_ASYNC_CANCEL_ALL
	cancelFd  = 1 << 1 // IORING_ASYNC_CANCEL_FD

	pollAddMulti     = 1 << 0 // IORING_POLL_ADD_MULTI
	acceptMultishot  = 1 << 0 // IORING_ACCEPT_MULTISHOT (Linux 5.19)
	acceptPollFirst  = 1 << 2 // IORING_ACCEPT_POLL_FIRST (Linux 6.10)
	cqeFBuffer       = 1 << 0 // IORING_CQE_F_BUFFER: the buffer id is in the flags' top half
	cqeFMore         = 1 << 1 // IORING_CQE_F_MORE
	cqeFSockNonempty = 1 << 2 // IORING_CQE_F_SOCK_NONEMPTY
	cqeBufferShift   = 16     // IORING_CQE_BUFFER_SHIFT

	setupCQSize       = 1 << 3  // IORING_SETUP_CQSIZE
	setupRDisabled    = 1 << 6  // IORING_SETUP_R_DISABLED
	setupSubmitAll    = 1 << 7  // IORING_SETUP_SUBMIT_ALL
	setupSingleIssuer = 1 << 12 // IORING_SETUP_SINGLE_ISSUER
	setupDeferTaskrun = 1 << 13 // IORING_SETUP_DEFER_TASKRUN

	registerEnableRings = 12 // IORING_REGISTER_ENABLE_RINGS

	enterGetevents = 1 << 0 // IORING_ENTER_GETEVENTS
	enterExtArg    = 1 << 3 // IORING_ENTER_EXT_ARG
	enterNoIOWait  = 1 << 7 // IORING_ENTER_NO_IOWAIT (Linux 6.15)

	featSingleMmap = 1 << 0  // IORING_FEAT_SINGLE_MMAP
	featNodrop     = 1 << 1  // IORING_FEAT_NODROP
	featNoIOWait   = 1 << 17 // IORING_FEAT_NO_IOWAIT
	featExtArg     = 1 << 8  // IORING_FEAT_EXT_ARG
	featCQESkip    = 1 << 11 // IORING_FEAT_CQE_SKIP (5.17, after multishot poll)

	offSQRing = 0          // IORING_OFF_SQ_RING
	offSQEs   = 0x10000000 // IORING_OFF_SQES
)

// ringFeatures are what the loop relies on: one mapping for both rings,
// completions never dropped, a timeout on the wait, and completions that
// can be skipped (a 5.17 feature, so multishot poll is there too).
const ringFeatures = featSingleMmap | featNodrop | featExtArg | featCQESkip

var errRingTooOld = errors.New("io_uring lacks a needed feature")

// errRingBigEndian: the poll mask's halves and the socket command's fields
// are laid out for little-endian machines only.
var errRingBigEndian = errors.New("io_uring is used on little-endian machines only")

// newRing sets up a ring of sq submission entries and twice as many
// completion entries, disabled until enable is called from the one thread
// that will use it.
//
// The kernel finishes a request's work (a poll's wake-up, say) in the
// context of the thread that submitted it. A goroutine moves between
// threads, so without further flags that work would land on whichever
// thread the loop last ran on: a wake-up of an idle thread per event at
// best. SINGLE_ISSUER and DEFER_TASKRUN (Linux 6.1) make it run only
// inside the loop's own wait instead, which needs the loop locked to its
// thread (the submitter is fixed when the ring is enabled).
//
// A thread sleeping in the wait while its requests are in flight (a
// listener's accept, a socket's receive: always, for a daemon) is counted
// as waiting for I/O: an idle daemon would show its CPU as iowait and add
// to the system's I/O pressure, where the reference, in epoll_wait, shows
// it idle. Where the kernel can be told otherwise (Linux 6.15), the wait
// says so; older kernels count it, and SPIPED_POLLER=epoll avoids it.
func newRing(sq uint32) (*ring, error) {
	if x := uint16(1); *(*byte)(unsafe.Pointer(&x)) != 1 {
		return nil, errRingBigEndian
	}
	p := ringParams{
		flags:     setupCQSize | setupSubmitAll | setupSingleIssuer | setupDeferTaskrun | setupRDisabled,
		cqEntries: 2 * sq,
	}
	fd, _, e := unix.RawSyscall(unix.SYS_IO_URING_SETUP, uintptr(sq), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, e
	}
	r := &ring{fd: int(fd), waitFlags: enterGetevents | enterExtArg}
	if p.features&ringFeatures != ringFeatures {
		unix.Close(r.fd)
		return nil, errRingTooOld
	}
	if p.features&featNoIOWait != 0 {
		r.waitFlags |= enterNoIOWait
	}
	if err := r.mapRings(&p); err != nil {
		unix.Close(r.fd)
		return nil, err
	}
	return r, nil
}

// mapRings maps the queues that setup p describes into r.
func (r *ring) mapRings(p *ringParams) error {
	size := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*uint32(unsafe.Sizeof(ringCQE{})))
	var err error
	r.rings, err = unix.Mmap(r.fd, offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return err
	}
	r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(ringSQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		unix.Munmap(r.rings)
		return err
	}
	at := func(off uint32) unsafe.Pointer { return unsafe.Pointer(&r.rings[off]) }
	r.sqHead = (*uint32)(at(p.sqOff.head))
	r.sqTail = (*uint32)(at(p.sqOff.tail))
	r.sqMask = *(*uint32)(at(p.sqOff.ringMask))
	r.sqes = unsafe.Slice((*ringSQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	array := unsafe.Slice((*uint32)(at(p.sqOff.array)), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.tail = atomic.LoadUint32(r.sqTail)
	r.cqHead = (*uint32)(at(p.cqOff.head))
	r.cqTail = (*uint32)(at(p.cqOff.tail))
	r.cqMask = *(*uint32)(at(p.cqOff.ringMask))
	r.cqes = unsafe.Slice((*ringCQE)(at(p.cqOff.cqes)), p.cqEntries)
	return nil
}

// enable starts the ring, making the calling thread its only submitter.
func (r *ring) enable() error {
	_, _, e := unix.RawSyscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerEnableRings, 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// sqe returns the next submission entry, zeroed, handing what is prepared
// to the kernel first if the queue is full.
func (r *ring) sqe() *ringSQE {
	if r.tail-atomic.LoadUint32(r.sqHead) >= uint32(len(r.sqes)) {
		r.submit()
		if r.pending > 0 {
			// The kernel refuses the ring (r.err): an entry reused
			// now would lose a close or a send.
			panic("engine: io_uring submission failed: " + r.err.Error())
		}
	}
	s := &r.sqes[r.tail&r.sqMask]
	*s = ringSQE{}
	r.tail++
	r.pending++
	return s
}

// submit hands every prepared entry to the kernel without waiting; the
// kernel may take fewer than offered when it cannot allocate, and the rest
// go again. The requests a loop makes never sleep while handed over, so
// this is a raw system call. An error other than a passing shortage stops
// it and stays in r.err.
func (r *ring) submit() {
	atomic.StoreUint32(r.sqTail, r.tail)
	for r.pending > 0 && r.err == nil {
		n, _, e := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.pending), 0, 0, 0, 0)
		switch e {
		case 0:
			r.pending -= uint32(n)
		case unix.EINTR, unix.EAGAIN:
		case unix.EBUSY:
			// Completions overflowed into the kernel's list: have
			// them moved to the ring (the loop drains it next).
			unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 0, 0, enterGetevents, 0, 0)
		default:
			r.err = e
		}
	}
}

// enter hands over what is prepared, lets the kernel finish the work it
// deferred (which is what posts completions), and, if block is set and no
// completion is waiting, sleeps until there are want completions or arg's
// timeout passes. It may sleep, so it goes through the scheduler like
// epoll_wait.
func (r *ring) enter(block bool, want uint32, arg *ringGeteventsArg) error {
	atomic.StoreUint32(r.sqTail, r.tail)
	wait := uintptr(want)
	if !block || r.ready() {
		wait = 0
	}
	for r.err == nil {
		n, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.pending), wait,
			r.waitFlags, uintptr(unsafe.Pointer(arg)), unsafe.Sizeof(*arg))
		if e == 0 {
			r.pending -= uint32(n)
		}
		switch {
		case r.pending > 0 && (e == 0 || e == unix.EINTR || e == unix.EAGAIN):
			// The kernel took only part (it could not allocate) and
			// did not wait: hand over the rest first.
		case e == 0, e == unix.EINTR, e == unix.ETIME:
			return nil
		case e == unix.EBUSY:
			// Completions overflowed: take these first, submit later.
			if r.ready() {
				return nil
			}
			wait = 0
		default:
			r.err = e
		}
	}
	return r.err
}

// setsockopt prepares a socket option's setting; v must stay where it is
// until the request is handed over.
func (s *ringSQE) setsockopt(fd, level, opt int, v *int32) {
	s.opcode = opUringCmd
	s.fd = int32(fd)
	s.off = cmdSetsockopt
	s.addr = uint64(uint32(level)) | uint64(uint32(opt))<<32
	s.fileIdx = uint32(unsafe.Sizeof(*v)) // optlen
	s.addr3 = uint64(uintptr(unsafe.Pointer(v)))
}

// ringSetsockoptWorks reports whether this kernel sets socket options
// through a ring: it tries TCP_NODELAY on a new socket, through a ring of
// its own, and reads the option back. one is where the value 1 is put for
// the kernel to read: it must be on the heap, since a stack may move
// while the request holds its address.
func ringSetsockoptWorks(one *int32) bool {
	var p ringParams
	fd, _, e := unix.RawSyscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return false
	}
	r := &ring{fd: int(fd)}
	defer unix.Close(r.fd)
	if err := r.mapRings(&p); err != nil {
		return false
	}
	defer r.unmap()
	sock, err := newSocket(unix.AF_INET)
	if err != nil {
		return false
	}
	defer unix.Close(sock)
	*one = 1
	r.sqe().setsockopt(sock, unix.IPPROTO_TCP, unix.TCP_NODELAY, one)
	atomic.StoreUint32(r.sqTail, r.tail)
	if _, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 1, 1, enterGetevents, 0, 0); e != 0 {
		return false
	}
	var c [1]ringCQE
	if r.reap(c[:]) != 1 || c[0].res != 0 {
		return false
	}
	v, err := unix.GetsockoptInt(sock, unix.IPPROTO_TCP, unix.TCP_NODELAY)
	return err == nil && v == 1
}

// ready reports whether a completion waits in the ring.
func (r *ring) ready() bool {
	return atomic.LoadUint32(r.cqTail) != *r.cqHead
}

// reap copies waiting completions into dst, as many as fit, frees their
// slots and returns how many it copied.
func (r *ring) reap(dst []ringCQE) int {
	head := *r.cqHead
	tail := atomic.LoadUint32(r.cqTail)
	n := 0
	for ; head != tail && n < len(dst); head, n = head+1, n+1 {
		dst[n] = r.cqes[head&r.cqMask]
	}
	atomic.StoreUint32(r.cqHead, head)
	return n
}

func (r *ring) unmap() {
	unix.Munmap(r.sqeMem)
	unix.Munmap(r.rings)
}

func (r *ring) close() {
	r.unmap()
	unix.Close(r.fd)
}
