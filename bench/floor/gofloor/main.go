//go:build linux

// Gofloor: ../floor_uring.c, built with -DSHUTDOWN_SYSCALL, ported to Go as
// plainly as it goes, to measure what a minimal Go program doing exactly
// the same io_uring work costs per connection: the Go runtime's own share
// (its system call wrappers, scheduler and threads), without our engine's
// bookkeeping and without cryptography (issue 11). Same options (-e/-d,
// -s, -t; every other option is ignored), same roles and the same bytes
// on the wire as floor.c: 32-byte nonces both ways, then the 288-byte DH
// messages (the client's first), TCP_NODELAY and SO_KEEPALIVE on the
// dialled socket, data in 1060-byte frames (plaintext length in the last
// four bytes; no encryption, no MAC), a half-close with shutdown(SHUT_WR)
// on each EOF, and two closes.
//
// Every per-connection socket operation but the half-close is an io_uring
// request (multishot accept, socket, connect, send, recv, setsockopt as a
// socket uring_cmd, cancel, close), with the same ring setup (SINGLE_ISSUER,
// DEFER_TASKRUN, SUBMIT_ALL, a CQ twice the SQ) and the same requests and
// links as the C; shutdown(2) is a system call, as with -DSHUTDOWN_SYSCALL.
// The loop makes one io_uring_enter per iteration: it submits everything
// prepared and waits for at least one completion. golang.org/x/sys/unix's
// raw system calls only; no liburing, no net package, one goroutine locked
// to its thread (SINGLE_ISSUER and DEFER_TASKRUN want a single submitting
// thread), the waiting io_uring_enter goes through unix.Syscall6 so that
// the runtime knows the thread is blocked, as a Go program's would, and the
// loop yields every 5 ms (see main).
// Needs Linux 6.7 or later (setsockopt through io_uring).
//
// Each direction has at most one send and one recv outstanding: a recv is
// submitted only when the previous frame has been written, linked after
// its send (IOSQE_IO_LINK) so that it starts only once the send completed;
// sends use MSG_WAITALL, so that io_uring writes the rest of a partial
// send itself, and a send short after all (an error) cancels the linked
// recv, which is then submitted again after the rest. A connection is
// freed only when none of its requests is outstanding.
//
// Where the C passes a struct conn pointer in user_data, this passes the
// connection's index in conns (user_data is index<<4 | tag), and conns
// keeps every connection struct referenced, so that the buffers the kernel
// reads and writes stay put (Go's heap does not move; nothing the kernel
// holds is on a stack). The C callocs a connection and frees it, and
// malloc hands the same memory to the next one; so here a freed
// connection's struct goes on a free list and is zeroed when taken again
// (no allocation per connection once the free list holds enough, and no
// work for the garbage collector).
//
// Measure it as if it were ours, against the C floor it ports (Linux
// only):
//
//	go build -o /tmp/gofloor ./bench/floor/gofloor
//	cc -O2 -Wall -DSHUTDOWN_SYSCALL -o /tmp/floor-uring-sc bench/floor/floor_uring.c
//	go run ./bench -ours /tmp/gofloor -ref /tmp/floor-uring-sc -only '^connect-f$|^latency$'
//
// Not a tunnel: never use it for anything but measuring.
package main

import (
	"encoding/binary"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	FRAME      = 1060
	PAYLOAD    = 1024
	SQ_ENTRIES = 4096
	CQ_ENTRIES = 2 * SQ_ENTRIES
)

const (
	CONNECTING = iota
	NONCE
	DH
	DATA
)

// What a completion is for: the low four bits of user_data.
const (
	T_ACCEPT  = iota // multishot accept on the listener (no connection)
	T_SOCKET         // the dialled socket
	T_CONNECT        // its connect
	T_HSSEND         // a handshake message
	T_HSRECV         // handshake bytes
	T_RECV           // data in: +0 fwd (from acc), +1 rev (from dial)
	T_RECV_REV
	T_SEND // data out: +0 fwd (to dial), +1 rev (to acc)
	T_SEND_REV
	T_SHUT // IORING_OP_SHUTDOWN: not made here (shutdown(2) instead); kept for the C's numbering
	T_SHUT_REV
	T_OPT    // setsockopt on the dialled socket
	T_CANCEL // cancel what is outstanding on a socket
	T_CLOSE
)

// <linux/io_uring.h>, what of it is used here.
const (
	IORING_OP_ACCEPT       = 13
	IORING_OP_ASYNC_CANCEL = 14
	IORING_OP_CONNECT      = 16
	IORING_OP_CLOSE        = 19
	IORING_OP_SEND         = 26
	IORING_OP_RECV         = 27
	IORING_OP_SOCKET       = 45
	IORING_OP_URING_CMD    = 46

	OP_SETSOCKOPT = 3 // SOCKET_URING_OP_SETSOCKOPT (Linux 6.7)

	IOSQE_IO_LINK     = 1 << 2
	IOSQE_IO_HARDLINK = 1 << 3

	IORING_ACCEPT_MULTISHOT = 1 << 0

	IORING_ASYNC_CANCEL_ALL = 1 << 0
	IORING_ASYNC_CANCEL_FD  = 1 << 1

	IORING_CQE_F_MORE = 1 << 1

	IORING_SETUP_CQSIZE        = 1 << 3
	IORING_SETUP_SUBMIT_ALL    = 1 << 7
	IORING_SETUP_SINGLE_ISSUER = 1 << 12
	IORING_SETUP_DEFER_TASKRUN = 1 << 13

	IORING_FEAT_SINGLE_MMAP = 1 << 0
	IORING_FEAT_NODROP      = 1 << 1

	IORING_ENTER_GETEVENTS = 1 << 0

	IORING_OFF_SQ_RING = 0
	IORING_OFF_SQES    = 0x10000000
)

// ioUringSqe is struct io_uring_sqe (64 bytes), unions by the name used here.
type ioUringSqe struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64 // also addr2; cmd_op in its first four bytes
	addr        uint64 // level, then optname, for setsockopt
	len         uint32
	opFlags     uint32 // msg_flags, accept_flags, cancel_flags...
	userData    uint64
	bufIndex    uint16
	personality uint16
	fileIndex   uint32 // also optlen
	addr3       uint64 // optval
	_           uint64
}

// ioUringCqe is struct io_uring_cqe (16 bytes).
type ioUringCqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// ioUringParams is struct io_uring_params (120 bytes).
type ioUringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  ioSqringOffsets
	cqOff                                                                  ioCqringOffsets
}

type ioSqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

type ioCqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

type dir struct {
	buf       [FRAME]byte // to write
	len, off  int         // bytes to write in buf; bytes of them written
	in        [FRAME]byte // read
	rlen      int         // opening: bytes of a frame read so far
	got       int         // a recv's result, not yet taken in (if have)
	have      bool
	reading   bool
	writing   bool
	eof, shut bool
	// (the C's shutting is for IORING_OP_SHUTDOWN: never set with
	// -DSHUTDOWN_SYSCALL, so left out with the checks of it)
}

type conn struct {
	id        int    // index in conns: what user_data carries
	sock      [2]int // 0: accepted, 1: dialled (-1: none yet, or closed)
	busy      [2]int // requests outstanding on each socket, close aside
	closing   [2]bool
	ops       int // requests outstanding in all
	dead      bool
	state     int
	enc       bool
	connected bool
	hssending int // handshake sends outstanding
	optsdone  bool
	got       int       // handshake bytes read of the current message
	hs        [512]byte // handshake bytes read
	d         [2]dir    // 0 fwd: acc -> dial; 1 rev: dial -> acc
}

// Read by the kernel while requests are outstanding: package variables,
// which never move.
var (
	zeros  [288]byte // what the handshake sends: only sizes matter
	one    int32     = 1
	target unix.RawSockaddrInet4
)

var (
	encryptMode bool
	listener    int
)

// Every connection struct ever made, by id (live ones and those in
// freeConns): referenced here, their buffers stay where the kernel was
// told they are.
var (
	conns     []*conn
	freeConns []int
)

// The ring.
var (
	ring                              int
	sqKhead, sqKtail                  *uint32
	sqMask, sqEntries, sqTail, sqDone uint32
	cqKhead, cqKtail                  *uint32
	cqMask                            uint32
	sqes                              []ioUringSqe
	cqes                              []ioUringCqe
	ringMem, sqeMem                   []byte // the two mappings
)

func setup() {
	var p ioUringParams
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE
	p.cqEntries = CQ_ENTRIES
	r, _, e := unix.RawSyscall(unix.SYS_IO_URING_SETUP, SQ_ENTRIES, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		die("io_uring_setup", e)
	}
	ring = int(r)
	if p.features&IORING_FEAT_SINGLE_MMAP == 0 || p.features&IORING_FEAT_NODROP == 0 {
		os.Stderr.WriteString("gofloor: kernel too old\n")
		os.Exit(1)
	}
	sqsz := int(p.sqOff.array) + int(p.sqEntries)*int(unsafe.Sizeof(uint32(0)))
	cqsz := int(p.cqOff.cqes) + int(p.cqEntries)*int(unsafe.Sizeof(ioUringCqe{}))
	var err error
	ringMem, err = unix.Mmap(ring, IORING_OFF_SQ_RING, max(sqsz, cqsz), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		die("mmap ring", err)
	}
	sqeMem, err = unix.Mmap(ring, IORING_OFF_SQES, int(p.sqEntries)*int(unsafe.Sizeof(ioUringSqe{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		die("mmap sqes", err)
	}
	at := func(off uint32) unsafe.Pointer { return unsafe.Pointer(&ringMem[off]) }
	sqes = unsafe.Slice((*ioUringSqe)(unsafe.Pointer(&sqeMem[0])), p.sqEntries)
	sqKhead = (*uint32)(at(p.sqOff.head))
	sqKtail = (*uint32)(at(p.sqOff.tail))
	sqMask = *(*uint32)(at(p.sqOff.ringMask))
	sqEntries = p.sqEntries
	array := unsafe.Slice((*uint32)(at(p.sqOff.array)), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	sqTail = atomic.LoadUint32(sqKtail)
	sqDone = sqTail
	cqKhead = (*uint32)(at(p.cqOff.head))
	cqKtail = (*uint32)(at(p.cqOff.tail))
	cqMask = *(*uint32)(at(p.cqOff.ringMask))
	cqes = unsafe.Slice((*ioUringCqe)(at(p.cqOff.cqes)), p.cqEntries)
}

// Submits what is prepared without waiting (the SQ is full). It never
// sleeps, so it is a raw system call.
func flush() {
	for sqDone != sqTail {
		atomic.StoreUint32(sqKtail, sqTail)
		n, _, e := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(ring), uintptr(sqTail-sqDone), 0, 0, 0, 0)
		if e != 0 {
			if e != unix.EINTR && e != unix.EAGAIN && e != unix.EBUSY {
				die("io_uring_enter", e)
			}
			// the CQ overflowed: let the kernel move what it holds
			unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(ring), 0, 0, IORING_ENTER_GETEVENTS, 0, 0)
			continue
		}
		sqDone += uint32(n)
	}
}

// Makes room for n SQEs in a row (a link must not straddle two submits).
func room(n uint32) {
	if sqTail+n-atomic.LoadUint32(sqKhead) > sqEntries {
		flush()
	}
}

func sqe(op uint8, fd int, c *conn, tag int) *ioUringSqe {
	room(1)
	s := &sqes[sqTail&sqMask]
	sqTail++
	*s = ioUringSqe{}
	s.opcode = op
	s.fd = int32(fd)
	s.userData = uint64(tag)
	if c != nil {
		s.userData |= uint64(c.id) << 4
		c.ops++
	}
	return s
}

// An SQE for a request on socket i of c.
func sockop(op uint8, c *conn, i int, tag int) *ioUringSqe {
	c.busy[i]++
	return sqe(op, c.sock[i], c, tag)
}

// addrOf is the address the kernel is given for p, which must stay
// referenced (and off the stack) until the request completes.
func addrOf[T any](p *T) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

func cipher(c *conn) int {
	if c.enc {
		return 1
	}
	return 0
}

// Whether socket i can take data yet: the dialled one once connected.
func ready(c *conn, i int) bool { return i == 0 || c.connected }

func closeall(c *conn) {
	for i := 0; i < 2; i++ {
		if c.sock[i] < 0 || c.closing[i] {
			continue
		}
		// (The C waits here for an IORING_OP_SHUTDOWN of this socket
		// to complete; with shutdown(2) there is none.)
		room(2)
		if c.busy[i] > 0 {
			s := sqe(IORING_OP_ASYNC_CANCEL, c.sock[i], c, T_CANCEL)
			s.opFlags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL
			s.flags = IOSQE_IO_HARDLINK
		}
		sqe(IORING_OP_CLOSE, c.sock[i], c, T_CLOSE)
		c.closing[i] = true
	}
}

func drop(c *conn) {
	if c.dead {
		return
	}
	c.dead = true
	closeall(c)
}

var opts = [2][2]int{{unix.IPPROTO_TCP, unix.TCP_NODELAY}, {unix.SOL_SOCKET, unix.SO_KEEPALIVE}}

func setopts(c *conn) {
	if c.optsdone || c.sock[1] < 0 || c.state != DATA {
		return
	}
	c.optsdone = true
	for k := 0; k < 2; k++ {
		s := sockop(IORING_OP_URING_CMD, c, 1, T_OPT)
		(*[2]uint32)(unsafe.Pointer(&s.off))[0] = OP_SETSOCKOPT // cmd_op
		lv := (*[2]uint32)(unsafe.Pointer(&s.addr))             // level, optname
		lv[0], lv[1] = uint32(opts[k][0]), uint32(opts[k][1])
		s.fileIndex = uint32(unsafe.Sizeof(one)) // optlen
		s.addr3 = addrOf(&one)                   // optval
	}
}

func recvop(c *conn, k int) {
	d := &c.d[k]
	want := FRAME - d.rlen
	if c.enc == (k == 0) { // sealing: plaintext in
		want = PAYLOAD
	}
	s := sockop(IORING_OP_RECV, c, k, T_RECV+k)
	s.addr = addrOf(&d.in[d.rlen])
	s.len = uint32(want)
	d.reading = true
}

// Moves direction k (input socket k, output socket 1-k) as far as it goes
// without waiting.
func pump(c *conn, k int) {
	d := &c.d[k]
	out := 1 - k
	if c.dead || c.state != DATA || d.shut || d.writing {
		return
	}
	canout := ready(c, out) && !(out == cipher(c) && c.hssending > 0)
	if d.off < d.len {
		if !canout {
			return
		}
		link := !d.eof && !d.have && !d.reading && ready(c, k)
		room(2)
		s := sockop(IORING_OP_SEND, c, out, T_SEND+k)
		s.addr = addrOf(&d.buf[d.off])
		s.len = uint32(d.len - d.off)
		s.opFlags = unix.MSG_NOSIGNAL | unix.MSG_WAITALL
		d.writing = true
		if link {
			s.flags = IOSQE_IO_LINK
			recvop(c, k)
		}
		return
	}
	d.len, d.off = 0, 0
	if d.eof {
		if !canout {
			return
		}
		unix.Shutdown(c.sock[out], unix.SHUT_WR) // -DSHUTDOWN_SYSCALL
		d.shut = true
		if c.d[0].shut && c.d[1].shut {
			drop(c)
		}
		return
	}
	if !d.have && !d.reading && ready(c, k) {
		recvop(c, k)
	}
}

// Takes in what direction k's last recv read, once its buffer is free.
func take(c *conn, k int) {
	d := &c.d[k]
	if d.writing || d.off < d.len {
		pump(c, k)
		return
	}
	d.len, d.off = 0, 0
	if d.have {
		n := d.got
		d.have = false
		if n == 0 {
			d.eof = true
		} else if c.enc == (k == 0) { // seal
			copy(d.buf[:], d.in[:n])
			clear(d.buf[n : FRAME-4])
			binary.BigEndian.PutUint32(d.buf[FRAME-4:], uint32(n))
			d.len = FRAME
		} else {
			d.rlen += n
			if d.rlen == FRAME {
				d.len = int(binary.BigEndian.Uint32(d.in[FRAME-4:]))
				if d.len > PAYLOAD {
					drop(c)
					return
				}
				copy(d.buf[:], d.in[:d.len])
				d.rlen = 0
			}
		}
	}
	pump(c, k)
}

func startdata(c *conn) {
	c.state = DATA
	setopts(c)
	pump(c, 0)
	pump(c, 1)
}

func hssend(c *conn, n int) {
	s := sockop(IORING_OP_SEND, c, cipher(c), T_HSSEND)
	s.addr = addrOf(&zeros)
	s.len = uint32(n)
	s.opFlags = unix.MSG_NOSIGNAL | unix.MSG_WAITALL
	c.hssending++
}

// The handshake, both roles, on what has been read so far.
func handshake(c *conn) {
	for {
		need := 288
		if c.state == NONCE {
			need = 32
		}
		if c.got >= need {
			copy(c.hs[:], c.hs[need:c.got])
			c.got -= need
			if c.state == NONCE {
				c.state = DH
				if c.enc {
					hssend(c, 288) // client: our DH message goes first
				}
				continue
			}
			if c.got > 0 {
				drop(c) // peers here never send data ahead
				return
			}
			if !c.enc {
				hssend(c, 288)
			}
			startdata(c)
			return
		}
		s := sockop(IORING_OP_RECV, c, cipher(c), T_HSRECV)
		s.addr = addrOf(&c.hs[c.got])
		s.len = uint32(len(c.hs) - c.got)
		return
	}
}

func startnonce(c *conn) {
	c.state = NONCE
	hssend(c, 32)
	handshake(c)
}

func dial(c *conn) {
	s := sqe(IORING_OP_SOCKET, unix.AF_INET, c, T_SOCKET)
	s.off = unix.SOCK_STREAM | unix.SOCK_CLOEXEC
	s.len = 0
}

func armaccept() {
	s := sqe(IORING_OP_ACCEPT, listener, nil, T_ACCEPT)
	s.ioprio = IORING_ACCEPT_MULTISHOT
	s.opFlags = unix.SOCK_CLOEXEC
}

// newConn is the C's calloc: a freed connection's struct, zeroed, or a
// new one.
func newConn() *conn {
	var c *conn
	if n := len(freeConns); n > 0 {
		c = conns[freeConns[n-1]]
		freeConns = freeConns[:n-1]
		*c = conn{id: c.id}
	} else {
		c = &conn{id: len(conns)}
		conns = append(conns, c)
	}
	return c
}

// freeConn is the C's free: c's struct waits in conns for the next
// connection.
func freeConn(c *conn) { freeConns = append(freeConns, c.id) }

func accepted(fd int) {
	c := newConn()
	c.sock[0] = fd
	c.sock[1] = -1
	c.enc = encryptMode
	if c.enc {
		c.state = CONNECTING
		dial(c)
	} else {
		startnonce(c)
		dial(c)
	}
}

func complete(ud uint64, res int32, flags uint32) {
	tag := int(ud & 15)
	if tag == T_ACCEPT {
		if res >= 0 {
			accepted(int(res))
		}
		if flags&IORING_CQE_F_MORE == 0 {
			armaccept()
		}
		return
	}
	c := conns[ud>>4]
	c.ops--
	switch tag {
	case T_SOCKET:
		if res < 0 {
			die("socket", unix.Errno(-res))
		}
		c.sock[1] = int(res)
		if c.dead {
			closeall(c)
			break
		}
		c.busy[1]++
		s := sqe(IORING_OP_CONNECT, int(res), c, T_CONNECT)
		s.addr = addrOf(&target)
		s.off = unix.SizeofSockaddrInet4
		setopts(c)
	case T_CONNECT:
		c.busy[1]--
		if c.dead {
			break
		}
		if res < 0 {
			drop(c)
			break
		}
		c.connected = true
		if c.state == CONNECTING {
			startnonce(c)
		} else {
			pump(c, 0)
			pump(c, 1)
		}
	case T_HSSEND:
		c.busy[cipher(c)]--
		c.hssending--
		if c.dead {
			break
		}
		if res != 32 && res != 288 {
			drop(c)
			break
		}
		pump(c, 0)
		pump(c, 1)
	case T_HSRECV:
		c.busy[cipher(c)]--
		if c.dead {
			break
		}
		if res <= 0 {
			drop(c)
			break
		}
		c.got += int(res)
		handshake(c)
	case T_RECV, T_RECV_REV:
		k := tag - T_RECV
		c.busy[k]--
		c.d[k].reading = false
		if c.dead {
			break
		}
		if res == -int32(unix.ECANCELED) { // its send was short: again after the rest
			pump(c, k)
			break
		}
		if res < 0 {
			drop(c)
			break
		}
		c.d[k].got = int(res)
		c.d[k].have = true
		take(c, k)
	case T_SEND, T_SEND_REV:
		k := tag - T_SEND
		c.busy[1-k]--
		c.d[k].writing = false
		if c.dead {
			break
		}
		if res < 0 {
			drop(c)
			break
		}
		c.d[k].off += int(res)
		take(c, k)
	// (T_SHUT, T_SHUT_REV: IORING_OP_SHUTDOWN's, not made here.)
	case T_OPT:
		c.busy[1]--
		if res < 0 && !c.dead {
			die("setsockopt through io_uring", unix.Errno(-res))
		}
	case T_CANCEL, T_CLOSE:
	}
	if c.dead && c.ops == 0 {
		freeConn(c)
	}
}

func main() {
	// SINGLE_ISSUER without R_DISABLED makes the thread that sets the
	// ring up its only submitter, and DEFER_TASKRUN runs the completion
	// work only when that thread enters: this goroutine keeps its thread.
	runtime.LockOSThread()
	var sa unix.RawSockaddrInet4
	options(os.Args, "gofloor", &encryptMode, &sa, &target)
	// Sockets stay blocking: io_uring tries each request without
	// blocking first and waits by polling when it would block. Unchecked
	// as in the C: bind fails on a socket that failed.
	listener, _ = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.SetsockoptInt(listener, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	unix.SetsockoptInt(listener, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	unix.SetsockoptInt(listener, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	if err := bind(listener, &sa); err != nil {
		die("listen", err)
	}
	if err := unix.Listen(listener, 4096); err != nil {
		die("listen", err)
	}
	setup()
	armaccept()
	start := time.Now()
	var lastYield time.Duration
	for {
		// The one thing a Go loop needs that the C's does not: this
		// goroutine never passes through the scheduler by itself, so after
		// 10 ms on one scheduling tick sysmon preempts it with a signal,
		// and a locked thread's preemption hands its P away and back. A
		// yield every 5 ms keeps the tick moving, as the engine's loop
		// does; without it this relay costs 1.25x the CPU.
		if now := time.Since(start); now-lastYield > 5*time.Millisecond {
			lastYield = now
			runtime.Gosched()
		}
		atomic.StoreUint32(sqKtail, sqTail)
		n, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(ring), uintptr(sqTail-sqDone), 1, IORING_ENTER_GETEVENTS, 0, 0)
		if e != 0 {
			if e != unix.EINTR && e != unix.EAGAIN && e != unix.EBUSY {
				die("io_uring_enter", e)
			}
		} else {
			sqDone += uint32(n)
		}
		head := *cqKhead
		for {
			tail := atomic.LoadUint32(cqKtail)
			if head == tail {
				break
			}
			for head != tail {
				e := &cqes[head&cqMask]
				ud, res, fl := e.userData, e.res, e.flags
				head++
				atomic.StoreUint32(cqKhead, head)
				complete(ud, res, fl)
			}
		}
	}
}

// bind is bind(2) with the struct sockaddr_in that parse made, as the C
// passes it.
func bind(fd int, sa *unix.RawSockaddrInet4) error {
	_, _, e := unix.RawSyscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(sa)), unix.SizeofSockaddrInet4)
	if e != 0 {
		return e
	}
	return nil
}
