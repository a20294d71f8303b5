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
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 64); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(lfd)
	if err := p.add(lfd, fdListener); err != nil {
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

// A listener's connection comes by an accept request that takes one
// connection before the engine asks, no more: the rest wait in the
// kernel's queue. Those waiting
// behind it are taken when the engine asks, in the same loop iteration,
// and every connection is handed over once, non-blocking and
// close-on-exec.
func TestRingPollerAccepts(t *testing.T) {
	p := newRecvPoller(t)
	lfd, sa := ringListener(t, p)
	settle(t, p)
	if fd, err := p.accept(lfd); err != unix.EAGAIN {
		t.Fatalf("accept with no client: %d, %v; want EAGAIN", fd, err)
	}
	const clients = 4
	for range clients {
		dialBlocking(t, sa)
	}
	waitInput(t, p, lfd)
	settle(t, p)
	if p.lst[lfd].fd < 0 {
		t.Fatal("no connection accepted")
	}
	if n := acceptQueueLen(lfd); n != clients-1 {
		t.Fatalf("%d connections left in the kernel's queue; want %d", n, clients-1)
	}
	seen := map[int]bool{}
	for {
		fd, err := p.accept(lfd)
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
		if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
			t.Fatalf("accepted socket %d blocks", fd)
		}
		if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
			t.Fatalf("accepted socket %d is inherited by children", fd)
		}
	}
	if len(seen) != clients {
		t.Fatalf("%d of %d waiting connections handed over in one go", len(seen), clients)
	}
	// The next connection comes by the request made at that EAGAIN.
	dialBlocking(t, sa)
	waitInput(t, p, lfd)
	fd, err := p.accept(lfd)
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
	p.accept(lfd)
	dialBlocking(t, sa)
	waitInput(t, p, lfd)
	first, err := p.accept(lfd)
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
		fd, err := p.accept(lfd)
		if err != nil {
			t.Fatalf("accept of a waiting connection: %v", err)
		}
		defer unix.Close(fd)
	}
	if _, err := p.accept(lfd); err != unix.EAGAIN {
		t.Fatalf("accept with none left: %v; want EAGAIN", err)
	}
	// The poll for arrivals is gone: the next one is the accept's.
	dialBlocking(t, sa)
	var evs [64]event
	deadline := time.Now().Add(2 * time.Second)
	edges := 0
	for p.lst[lfd].fd < 0 && time.Now().Before(deadline) {
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
	if p.lst[lfd].fd < 0 || edges != 1 {
		t.Fatalf("after the limit: accepted %v, %d edges; want one connection, one edge", p.lst[lfd].fd >= 0, edges)
	}
	unix.Close(p.lst[lfd].fd)
	p.lst[lfd].fd = -1
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
	if _, err = p.accept(lfd); err != unix.EMFILE {
		t.Fatalf("accept with no descriptor free: %v; want EMFILE", err)
	}
	var fd int
	deadline := time.Now().Add(2 * time.Second)
	for err = unix.EAGAIN; err == unix.EAGAIN && time.Now().Before(deadline); {
		settle(t, p)
		fd, err = p.accept(lfd)
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
	p.accept(lfd)
	clients := []int{dialBlocking(t, sa)}
	waitInput(t, p, lfd)
	settle(t, p)
	if p.lst[lfd].fd < 0 {
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
