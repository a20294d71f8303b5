//go:build linux

package engine

import (
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ringListener is a loopback TCP listener registered with p, and its
// address.
func ringListener(t *testing.T, p *ringPoller) (int, *unix.SockaddrInet4) {
	t.Helper()
	lfd, sa := loopbackListener(t, unix.SOCK_NONBLOCK)
	if err := p.add(lfd, fdListener); err != nil {
		t.Fatal(err)
	}
	return lfd, sa
}

// loopbackListener is a TCP listener on a free loopback port (flags:
// more socket type flags), and its address.
func loopbackListener(t *testing.T, flags int) (int, *unix.SockaddrInet4) {
	t.Helper()
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|flags, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 64); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		t.Fatal(err)
	}
	return lfd, sa.(*unix.SockaddrInet4)
}

// dialBlocking connects a new socket to sa; it is closed when the test ends.
func dialBlocking(t *testing.T, sa unix.Sockaddr) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	return fd
}

// settle runs the poller's waits for a while, so that every completion
// the kernel can make has been made and read.
func settle(t *testing.T, p *ringPoller) {
	t.Helper()
	var evs [64]event
	for range 10 {
		if _, err := p.wait(evs[:], 10); err != nil {
			t.Fatal(err)
		}
	}
}

// openFds counts this process's open descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// heldConns counts the connections p's requests took on lfd and has not
// handed over.
func heldConns(p *ringPoller, lfd int) int {
	a := p.lst[lfd]
	return len(a.held) - a.heldAt
}

// With room for one connection only, a listener's connection comes by an
// accept request that takes one connection before the engine asks, no
// more: the rest wait in the kernel's queue. Those waiting behind it are
// taken when the engine asks, in the same loop iteration, and every
// connection is handed over once, non-blocking and close-on-exec.
func TestRingPollerAccepts(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := ringListener(t, p)
	settle(t, p)
	if fd, err := p.accept(lfd, 1); err != unix.EAGAIN {
		t.Fatalf("accept with no client: %d, %v; want EAGAIN", fd, err)
	}
	const clients = 4
	for range clients {
		dialBlocking(t, sa)
	}
	waitInput(t, p, lfd)
	settle(t, p)
	if heldConns(p, lfd) == 0 {
		t.Fatal("no connection accepted")
	}
	if n := acceptQueueLen(lfd); n != clients-1 {
		t.Fatalf("%d connections left in the kernel's queue; want %d", n, clients-1)
	}
	seen := map[int]bool{}
	for {
		fd, err := p.accept(lfd, 1)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if seen[fd] {
			t.Fatalf("descriptor %d handed over twice", fd)
		}
		seen[fd] = true
		defer unix.Close(fd)
		checkAcceptedFlags(t, fd)
	}
	if len(seen) != clients {
		t.Fatalf("%d of %d waiting connections handed over in one go", len(seen), clients)
	}
	// The next connection comes by the request made at that EAGAIN.
	dialBlocking(t, sa)
	waitInput(t, p, lfd)
	fd, err := p.accept(lfd, 1)
	if err != nil {
		t.Fatalf("accept after the edge: %v", err)
	}
	unix.Close(fd)
	p.closeFd(lfd)
}

// At the -n limit, the engine stops asking for connections: they wait in
// the kernel's queue, each arrival is still an input edge, and the count
// of those waiting is right. Asking again takes them in order.
func TestRingPollerAcceptAtLimit(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := ringListener(t, p)
	settle(t, p)
	p.accept(lfd, 1)
	dialBlocking(t, sa)
	waitInput(t, p, lfd)
	first, err := p.accept(lfd, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(first)
	if n := p.acceptWaiting(lfd); n != 0 {
		t.Fatalf("%d waiting with no client; want 0", n)
	}
	for i := 1; i <= 2; i++ {
		dialBlocking(t, sa)
		waitInput(t, p, lfd)
		if n := p.acceptWaiting(lfd); n != i {
			t.Fatalf("%d waiting; want %d", n, i)
		}
	}
	for i := 0; i < 2; i++ {
		fd, err := p.accept(lfd, 1)
		if err != nil {
			t.Fatalf("accept of a waiting connection: %v", err)
		}
		defer unix.Close(fd)
	}
	if _, err := p.accept(lfd, 1); err != unix.EAGAIN {
		t.Fatalf("accept with none left: %v; want EAGAIN", err)
	}
	// The poll for arrivals is gone: the next one is the accept's.
	dialBlocking(t, sa)
	var evs [64]event
	deadline := time.Now().Add(2 * time.Second)
	edges := 0
	for heldConns(p, lfd) == 0 && time.Now().Before(deadline) {
		n, err := p.wait(evs[:], 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs[:n] {
			if int(ev.fd) == lfd {
				edges++
			}
		}
	}
	settle(t, p)
	if heldConns(p, lfd) == 0 || edges != 1 {
		t.Fatalf("after the limit: accepted %v, %d edges; want one connection, one edge", heldConns(p, lfd) > 0, edges)
	}
	fd, _ := p.accept(lfd, 1)
	unix.Close(fd)
	p.closeFd(lfd)
}

// An accept that finds no descriptor free reports EMFILE, and the
// connection is taken after the descriptors come back. (The kernel reads
// the limit as an accept request is handed over.)
func TestRingPollerAcceptError(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := ringListener(t, p)
	c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(c)
	// New descriptors take the lowest free number: a limit at it leaves
	// none.
	var old unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &old)
	free := 0
	for ; ; free++ {
		if _, err := os.Lstat("/proc/self/fd/" + strconv.Itoa(free)); err != nil {
			break
		}
	}
	lim := old
	lim.Cur = uint64(free)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
		}
	}
	defer restore()
	settle(t, p)
	if e := p.lst[lfd].err; e != 0 {
		t.Fatalf("accepts failed with no client waiting: %v", e)
	}
	if err := unix.Connect(c, sa); err != nil {
		restore()
		t.Fatal(err)
	}
	waitInput(t, p, lfd)
	restore()
	if _, err = p.accept(lfd, 1); err != unix.EMFILE {
		t.Fatalf("accept with no descriptor free: %v; want EMFILE", err)
	}
	var fd int
	deadline := time.Now().Add(2 * time.Second)
	for err = unix.EAGAIN; err == unix.EAGAIN && time.Now().Before(deadline); {
		settle(t, p)
		fd, err = p.accept(lfd, 1)
	}
	if err != nil {
		t.Fatalf("accept once descriptors are free: %v", err)
	}
	unix.Close(fd)
	p.closeFd(lfd)
}

// Closing a listener closes the connection accepted and not taken.
func TestRingPollerAcceptClose(t *testing.T) {
	p := newRecvPoller(t)
	before := openFds(t)
	lfd, sa := ringListener(t, p)
	settle(t, p)
	p.accept(lfd, 1)
	clients := []int{dialBlocking(t, sa)}
	waitInput(t, p, lfd)
	settle(t, p)
	if heldConns(p, lfd) == 0 {
		t.Fatal("no connection accepted")
	}
	p.closeFd(lfd)
	settle(t, p)
	if n := openFds(t) - len(clients); n != before {
		t.Fatalf("%d descriptors open after the listener's close; want %d", n, before)
	}
}

// A TCP connect made through the ring reports its outcome as an output
// edge: success starts the socket's receives; failure carries the errno,
// which SO_ERROR would no longer give.
func TestRingPollerConnects(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := listenLoopback(t, 4)

	fd := ringDial(t, p, sa)
	defer p.closeFd(fd)
	if ev := waitEvent(t, p, fd); ev.flags&evWrite == 0 || ev.flags&evHup != 0 || ev.res != 0 {
		t.Fatalf("connect's edge: flags %#x res %d; want output only", ev.flags, ev.res)
	}
	if !p.rx[fd].armed {
		t.Fatal("no receive after the connect")
	}
	s, _, err := unix.Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(s)
	unix.Write(s, []byte("hi"))
	waitInput(t, p, fd)
	var buf [8]byte
	if n, e := p.read(fd, buf[:]); e != 0 || string(buf[:n]) != "hi" {
		t.Fatalf("read %q, %v; want hi", buf[:n], e)
	}

	// Nothing listens on a closed listener's port.
	gone := *sa.(*unix.SockaddrInet4)
	c, _ := newSocket(unix.AF_INET)
	unix.Bind(c, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	bound, _ := unix.Getsockname(c)
	unix.Close(c)
	gone.Port = bound.(*unix.SockaddrInet4).Port
	fd2 := ringDial(t, p, &gone)
	defer p.closeFd(fd2)
	if ev := waitEvent(t, p, fd2); ev.flags&evHup == 0 || unix.Errno(-ev.res) != unix.ECONNREFUSED {
		t.Fatalf("refused connect's edge: flags %#x res %d; want a hang-up with ECONNREFUSED", ev.flags, ev.res)
	}
}

// ringDial starts a TCP connect to sa as a ring request and registers the
// socket with p, to learn its outcome.
func ringDial(t *testing.T, p *ringPoller, sa unix.Sockaddr) int {
	t.Helper()
	fd, err := newSocket(unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := p.connect(fd, sa); done || err != nil {
		t.Fatalf("connect: done %v, %v; want a request", done, err)
	}
	if err := p.add(fd, fdConnecting); err != nil {
		t.Fatal(err)
	}
	return fd
}

// waitEvent waits up to 2 s for fd's next event.
func waitEvent(t *testing.T, p *ringPoller, fd int) event {
	t.Helper()
	var evs [64]event
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		n, err := p.wait(evs[:], 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs[:n] {
			if int(ev.fd) == fd {
				return ev
			}
		}
	}
	t.Fatalf("no event on %d", fd)
	return event{}
}

// multishotListener is a listener registered with p whose multishot
// accept request is armed: its first connection came by the single
// request every listener starts with, and is closed. The descriptor
// limit is raised, for the test, to what a multishot request needs.
func multishotListener(t *testing.T, p *ringPoller) (int, *unix.SockaddrInet4) {
	t.Helper()
	if b, _ := acceptBudget(p.queueMax); b <= 0 {
		var lim unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
		setFdLimit(t, lim.Max)
		if b, _ := acceptBudget(p.queueMax); b <= 0 {
			t.Skipf("a descriptor limit of %d leaves no room for multishot accepts", lim.Max)
		}
	}
	lfd, sa := ringListener(t, p)
	settle(t, p)
	if _, err := p.accept(lfd, -1); err != unix.EAGAIN {
		t.Fatalf("accept with no client: %v; want EAGAIN", err)
	}
	if a := p.lst[lfd]; !a.armed || a.multi {
		t.Fatalf("a new listener's request: armed %v, multishot %v; want a single one", a.armed, a.multi)
	}
	acceptOne(t, p, lfd, sa)
	if a := p.lst[lfd]; !a.armed || !a.multi {
		t.Fatalf("with no limit: armed %v, multishot %v; want a multishot request", a.armed, a.multi)
	}
	return lfd, sa
}

// acceptOne dials lfd at sa, waits for the connection, accepts and closes
// it, and checks that the next accept finds none: which asks the kernel
// for the next.
func acceptOne(t *testing.T, p *ringPoller, lfd int, sa unix.Sockaddr) {
	t.Helper()
	dialBlocking(t, sa)
	waitInput(t, p, lfd)
	fd, err := p.accept(lfd, -1)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if _, err := p.accept(lfd, -1); err != unix.EAGAIN {
		t.Fatalf("accept with none left: %v; want EAGAIN", err)
	}
}

// setFdLimit sets the soft descriptor limit to cur until the test ends.
func setFdLimit(t *testing.T, cur uint64) {
	t.Helper()
	var old unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &old)
	lim := old
	lim.Cur = cur
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// checkAcceptedFlags fails the test unless accepted socket fd is
// non-blocking and close-on-exec.
func checkAcceptedFlags(t *testing.T, fd int) {
	t.Helper()
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("accepted socket %d blocks", fd)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Fatalf("accepted socket %d is inherited by children", fd)
	}
}

// peerPort is the remote port of accepted socket fd.
func peerPort(t *testing.T, fd int) int {
	t.Helper()
	sa, err := unix.Getpeername(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*unix.SockaddrInet4).Port
}

// localPort is the local port of socket fd.
func localPort(t *testing.T, fd int) int {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*unix.SockaddrInet4).Port
}

// With room for more than one connection, one multishot request takes
// every connection as it comes, none is left to accept(2) and the request
// stays: the engine's accepts hand them over in order of arrival, and
// after the last, EAGAIN asks the kernel for nothing more.
func TestRingPollerMultishotAccept(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := multishotListener(t, p)
	var ports []int
	for range 4 {
		ports = append(ports, localPort(t, dialBlocking(t, sa)))
	}
	deadline := time.Now().Add(2 * time.Second)
	for heldConns(p, lfd) < len(ports) && time.Now().Before(deadline) {
		settle(t, p)
	}
	if n, q := heldConns(p, lfd), acceptQueueLen(lfd); n != len(ports) || q != 0 {
		t.Fatalf("%d connections taken, %d left in the kernel's queue; want %d and 0", n, q, len(ports))
	}
	for i, port := range ports {
		fd, err := p.accept(lfd, 2)
		if err != nil {
			t.Fatalf("accept %d: %v", i, err)
		}
		defer unix.Close(fd)
		if got := peerPort(t, fd); got != port {
			t.Fatalf("connection %d is from port %d; want %d (in order of arrival)", i, got, port)
		}
		checkAcceptedFlags(t, fd)
	}
	before := p.r.pending
	if _, err := p.accept(lfd, 2); err != unix.EAGAIN {
		t.Fatalf("accept with none left: %v; want EAGAIN", err)
	}
	if a := p.lst[lfd]; !a.armed || !a.multi || p.r.pending != before {
		t.Fatalf("after the last: armed %v, multishot %v, %d requests prepared; want the same request, none new",
			a.armed, a.multi, p.r.pending-before)
	}
	p.closeFd(lfd)
}

// At the -n limit the multishot request is cancelled: what it took is held
// and counted as waiting, later arrivals wait in the kernel's queue, each
// an input edge. Below the limit again, the held ones come first, in order
// of arrival, then those in the queue; with room for one, the next request
// is a single one.
func TestRingPollerMultishotAtLimit(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := multishotListener(t, p)
	var ports []int
	for range 2 {
		ports = append(ports, localPort(t, dialBlocking(t, sa)))
		waitInput(t, p, lfd)
	}
	settle(t, p)
	if n := heldConns(p, lfd); n != 2 {
		t.Fatalf("%d connections taken; want 2", n)
	}
	if n := p.acceptWaiting(lfd); n != 2 {
		t.Fatalf("%d waiting at the limit; want the 2 taken", n)
	}
	settle(t, p)
	if a := p.lst[lfd]; a.armed {
		t.Fatal("the multishot request outlived the limit")
	}
	for i := 3; i <= 4; i++ {
		ports = append(ports, localPort(t, dialBlocking(t, sa)))
		waitInput(t, p, lfd)
		if n := p.acceptWaiting(lfd); n != i {
			t.Fatalf("%d waiting; want %d", n, i)
		}
	}
	settle(t, p)
	if n, q := heldConns(p, lfd), acceptQueueLen(lfd); n != 2 || q != 2 {
		t.Fatalf("at the limit: %d held, %d in the kernel's queue; want 2 and 2", n, q)
	}
	for i, port := range ports {
		fd, err := p.accept(lfd, 1)
		if err != nil {
			t.Fatalf("accept %d below the limit: %v", i, err)
		}
		defer unix.Close(fd)
		if got := peerPort(t, fd); got != port {
			t.Fatalf("connection %d is from port %d; want %d (in order of arrival)", i, got, port)
		}
	}
	if _, err := p.accept(lfd, 1); err != unix.EAGAIN {
		t.Fatalf("accept with none left: %v; want EAGAIN", err)
	}
	if a := p.lst[lfd]; !a.armed || a.multi {
		t.Fatalf("with room for one: armed %v, multishot %v; want a single request", a.armed, a.multi)
	}
	p.closeFd(lfd)
}

// A multishot request is cancelled once it has taken what the descriptors
// counted allow, and the next is made only after they are counted again.
// Where too few are free for a whole listen queue, the request is a single
// one.
func TestRingPollerMultishotBudget(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := multishotListener(t, p)
	p.lst[lfd].budget = 2
	for range 2 {
		dialBlocking(t, sa)
		waitInput(t, p, lfd)
	}
	settle(t, p)
	dialBlocking(t, sa)
	settle(t, p)
	if n, q := heldConns(p, lfd), acceptQueueLen(lfd); n != 2 || q != 1 {
		t.Fatalf("with room for 2: %d taken, %d in the kernel's queue; want 2 and 1", n, q)
	}
	if p.lst[lfd].armed {
		t.Fatal("the multishot request outlived its budget")
	}
	for range 2 {
		fd, err := p.accept(lfd, -1)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	// The third waits in the queue with no request to report it; the
	// next accept asks again, counting the descriptors: few are free.
	setFdLimit(t, uint64(openFds(t)+2*2*p.queueMax+fdReserve))
	if _, err := p.accept(lfd, -1); err != unix.EAGAIN {
		t.Fatalf("accept with the third in the queue: %v; want EAGAIN", err)
	}
	if a := p.lst[lfd]; !a.armed || a.multi {
		t.Fatalf("with descriptors short: armed %v, multishot %v; want a single request", a.armed, a.multi)
	}
	waitInput(t, p, lfd)
	fd, err := p.accept(lfd, -1)
	if err != nil {
		t.Fatalf("the third: %v", err)
	}
	unix.Close(fd)
	p.closeFd(lfd)
}

// A count of the descriptors that leaves no room for a multishot request
// is not made again for every accept: connections are taken singly, as
// many as are open (at least acceptBudgetMin), before the next count.
// With a few thousand connections held, a count per accept cost each
// accept milliseconds.
func TestRingPollerCountsRarely(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := multishotListener(t, p)
	a := p.lst[lfd]
	a.budget = 1
	dialBlocking(t, sa)
	waitInput(t, p, lfd)
	settle(t, p)
	if fd, err := p.accept(lfd, -1); err != nil {
		t.Fatal(err)
	} else {
		unix.Close(fd)
	}
	setFdLimit(t, uint64(openFds(t)+2*2*p.queueMax+fdReserve))
	if _, err := p.accept(lfd, -1); err != unix.EAGAIN {
		t.Fatalf("accept with none waiting: %v; want EAGAIN", err)
	}
	first := a.uncounted
	if !a.armed || a.multi || first < acceptBudgetMin {
		t.Fatalf("with descriptors short: armed %v, multishot %v, %d to take before the next count; want a single request and at least %d",
			a.armed, a.multi, first, acceptBudgetMin)
	}
	const n = 20
	for range n {
		acceptOne(t, p, lfd, sa)
		if a.multi {
			t.Fatal("a multishot request with descriptors short")
		}
	}
	if a.uncounted != first-n {
		t.Fatalf("%d to take before the next count after %d accepts; want %d (counted again meanwhile)", a.uncounted, n, first-n)
	}
	// Room again (the limit raised): the next count, once those are
	// taken, finds it.
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
	setFdLimit(t, lim.Max)
	a.uncounted = 1
	acceptOne(t, p, lfd, sa)
	if !a.armed || !a.multi {
		t.Fatalf("with room again: armed %v, multishot %v; want a multishot request", a.armed, a.multi)
	}
	p.closeFd(lfd)
}

// Connections a multishot request took and the engine never took are
// reset when the listener closes, as the kernel resets those in a closed
// listener's queue.
func TestRingPollerMultishotCloseResets(t *testing.T) {
	p := newRecvPoller(t)
	before := openFds(t)
	lfd, sa := multishotListener(t, p)
	c := dialBlocking(t, sa)
	waitInput(t, p, lfd)
	settle(t, p)
	if heldConns(p, lfd) != 1 {
		t.Fatal("no connection taken")
	}
	p.closeFd(lfd)
	settle(t, p)
	var b [1]byte
	if _, err := unix.Read(c, b[:]); err != unix.ECONNRESET {
		t.Fatalf("a held client reads %v after the listener's close; want ECONNRESET", err)
	}
	if n := openFds(t) - 2; n != before {
		t.Fatalf("%d descriptors open after the listener's close; want %d", n, before)
	}
}

// A multishot request's last completion (no IORING_CQE_F_MORE) ends it
// whatever it carries, and the next accept asks again: a connection (the
// kernel ends the request when the completion queue is full) is handed
// over first; an error (EMFILE) after the connections taken before it; and
// EINVAL (a kernel without multishot accepts) turns to single requests for
// good. The completions are made up; the request in the kernel never
// completes, as no client comes.
func TestRingPollerMultishotEnds(t *testing.T) {
	p := newRecvPoller(t)
	lfd, _ := multishotListener(t, p)
	a := p.lst[lfd]
	spare := func() int {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	ud := udAccept | p.userData(lfd)

	// A connection in the last completion.
	c := spare()
	p.accepted(lfd, &ringCQE{userData: ud, res: int32(c)})
	if a.armed || heldConns(p, lfd) != 1 {
		t.Fatalf("after a last completion with a connection: armed %v, %d held; want none armed, 1 held", a.armed, heldConns(p, lfd))
	}
	if fd, err := p.accept(lfd, -1); err != nil || fd != c {
		t.Fatalf("accept: %d, %v; want %d", fd, err, c)
	}
	unix.Close(c)
	if _, err := p.accept(lfd, -1); err != unix.EAGAIN || !a.armed || !a.multi {
		t.Fatalf("accept after it: %v, armed %v, multishot %v; want EAGAIN and a new multishot request", err, a.armed, a.multi)
	}

	// A connection, then EMFILE: the connection comes first.
	c = spare()
	p.accepted(lfd, &ringCQE{userData: ud, res: int32(c), flags: cqeFMore})
	p.accepted(lfd, &ringCQE{userData: ud, res: -int32(unix.EMFILE)})
	if a.armed {
		t.Fatal("an error left the request armed")
	}
	if fd, err := p.accept(lfd, -1); err != nil || fd != c {
		t.Fatalf("accept before the error: %d, %v; want %d", fd, err, c)
	}
	unix.Close(c)
	if _, err := p.accept(lfd, -1); err != unix.EMFILE {
		t.Fatalf("accept: %v; want EMFILE", err)
	}
	if a.armed {
		t.Fatal("asked again before the engine's next accept (its pause)")
	}
	if _, err := p.accept(lfd, -1); err != unix.EAGAIN || !a.armed {
		t.Fatalf("accept after the error: %v, armed %v; want EAGAIN and a new request", err, a.armed)
	}

	// EINVAL: no more multishot requests.
	p.accepted(lfd, &ringCQE{userData: ud, res: -int32(unix.EINVAL)})
	if p.multishot || !a.armed || a.multi {
		t.Fatalf("after EINVAL: multishot allowed %v, armed %v, multishot %v; want a single request", p.multishot, a.armed, a.multi)
	}
	if a.err != 0 {
		t.Fatalf("EINVAL reported to the engine: %v", a.err)
	}
	p.closeFd(lfd)
}
