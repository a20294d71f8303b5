//go:build linux

package engine

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newRecvPoller is a ring poller with receives, on the test's thread, or
// a skip where the kernel has neither (a failure under CI, which has both).
func newRecvPoller(t *testing.T) *ringPoller {
	t.Helper()
	p, err := newRingPoller()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("io_uring refused under CI: %v", err)
		}
		t.Skipf("io_uring refused here: %v", err)
	}
	if p.bufs == nil {
		p.close()
		if os.Getenv("CI") != "" {
			t.Fatal("provided buffers refused under CI")
		}
		t.Skip("provided buffers refused here")
	}
	runtime.LockOSThread()
	t.Cleanup(func() {
		p.close()
		runtime.UnlockOSThread()
	})
	return p
}

// waitInput waits up to 2 s for an input edge on each of fds, and fails
// the test without one.
func waitInput(t *testing.T, p *ringPoller, fds ...int) {
	t.Helper()
	want := make(map[int]bool, len(fds))
	for _, fd := range fds {
		want[fd] = true
	}
	var evs [256]event
	deadline := time.Now().Add(2 * time.Second)
	for len(want) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no input edge on %d of the descriptors", len(want))
		}
		n, err := p.wait(evs[:], 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs[:n] {
			if ev.flags&evRead != 0 {
				delete(want, int(ev.fd))
			}
		}
	}
}

// A stream socket's input comes by receives: the completion is the edge
// and carries the bytes; bytes past a buffer are read after it in order;
// a short read asks for the next receive; the end and errors reach the
// reader as read(2) would give them.
func TestRingPollerReceives(t *testing.T) {
	p := newRecvPoller(t)
	sp := socketpair(t)
	defer unix.Close(sp[1])
	fd := sp[0]
	if err := p.add(fd, fdConnected); err != nil {
		t.Fatal(err)
	}
	defer p.closeFd(fd)
	var buf [512]byte
	if _, err := p.wait(nil, 0); err != nil {
		t.Fatal(err)
	}
	if n, e := p.read(fd, buf[:]); e != unix.EAGAIN {
		t.Fatalf("read with nothing sent: %d, %v; want EAGAIN", n, e)
	}

	unix.Write(sp[1], []byte("hello"))
	waitInput(t, p, fd)
	if !p.rx[fd].held {
		t.Fatal("the input edge came without the bytes")
	}
	if n, e := p.read(fd, buf[:]); e != 0 || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v; want hello", buf[:n], e)
	}
	if !p.rx[fd].armed {
		t.Fatal("a short read did not ask for the next receive")
	}
	if n, e := p.read(fd, buf[:]); e != unix.EAGAIN {
		t.Fatalf("read past the bytes received: %d, %v; want EAGAIN", n, e)
	}

	// A read into less than a receive brought keeps the rest for the next.
	unix.Write(sp[1], []byte("0123456789"))
	waitInput(t, p, fd)
	for _, want := range []string{"0123", "4567", "89"} {
		if n, e := p.read(fd, buf[:4]); e != 0 || string(buf[:n]) != want {
			t.Fatalf("read %q, %v; want %q", buf[:n], e, want)
		}
	}

	// More than a buffer: the receive's part, then the socket's, in
	// order, through several iovecs, partly filled. A receive that fills
	// its buffer sends the socket back to readiness.
	big := make([]byte, 3*rxBufSize+100)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if n, err := unix.Write(sp[1], big); err != nil || n != len(big) {
		t.Fatalf("write: %d, %v", n, err)
	}
	waitInput(t, p, fd)
	// The socket went back to readiness, whose first edge comes before
	// the reader looks: what the receive left in the socket must not
	// wait for another.
	waitInput(t, p, fd)
	var got []byte
	for len(got) < len(big) {
		a, b, c := make([]byte, 1000), make([]byte, rxBufSize), make([]byte, 4*rxBufSize)
		iov := make([]unix.Iovec, 3)
		for i, s := range [][]byte{a, b, c} {
			setIovec(&iov[i], s)
		}
		n, e := p.readv(fd, iov)
		if e != 0 || n == 0 {
			t.Fatalf("readv after %d bytes: %d, %v", len(got), n, e)
		}
		got = append(got, append(append(append([]byte(nil), a...), b...), c...)[:n]...)
		if n < len(a)+len(b)+len(c) && len(got) < len(big) {
			// A short read: the rest comes with an edge.
			waitInput(t, p, fd)
		}
	}
	if !bytes.Equal(got, big) {
		t.Fatal("bytes past a buffer came out of order or changed")
	}
	if p.rx[fd].on {
		t.Fatal("a receive filled its buffer and the socket stayed on receives")
	}
	if n, e := p.read(fd, buf[:]); e != unix.EAGAIN {
		t.Fatalf("read after everything: %d, %v; want EAGAIN", n, e)
	}
	// By readiness from now on.
	unix.Write(sp[1], []byte("ready"))
	waitInput(t, p, fd)
	if n, e := p.read(fd, buf[:]); e != 0 || string(buf[:n]) != "ready" {
		t.Fatalf("read by readiness: %q, %v; want ready", buf[:n], e)
	}

	unix.Shutdown(sp[1], unix.SHUT_WR)
	waitInput(t, p, fd)
	for range 2 {
		if n, e := p.read(fd, buf[:]); n != 0 || e != 0 {
			t.Fatalf("read at the end: %d, %v; want 0, no error", n, e)
		}
	}
}

// A receive's error is the next read's, as read(2) would give it.
func TestRingPollerReceiveError(t *testing.T) {
	p := newRecvPoller(t)
	ln, sa := listenLoopback(t, 1)
	peer, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err := unix.Connect(peer, sa); err != nil {
		t.Fatal(err)
	}
	fd, _, err := unix.Accept4(ln, unix.SOCK_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	p.add(fd, fdConnected)
	defer p.closeFd(fd)
	if _, err := p.wait(nil, 0); err != nil {
		t.Fatal(err)
	}
	// Closing with SO_LINGER 0 sends a reset.
	unix.SetsockoptLinger(peer, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	unix.Close(peer)
	waitInput(t, p, fd)
	var buf [64]byte
	if n, e := p.read(fd, buf[:]); e != unix.ECONNRESET {
		t.Fatalf("read after a reset: %d, %v; want ECONNRESET", n, e)
	}
}

// When the loop's buffers run out, the sockets left without one go back
// to readiness and read by themselves, and lose nothing; buffers come back
// when their bytes are read, and when their socket is closed unread.
func TestRingPollerBuffersRunOut(t *testing.T) {
	p := newRecvPoller(t)
	const extra = 20
	for round := range 3 {
		pairs := make([][2]int, rxBufCount+extra)
		fds := make([]int, len(pairs))
		for i := range pairs {
			pairs[i] = socketpair(t)
			fds[i] = pairs[i][0]
			if err := p.add(fds[i], fdConnected); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.wait(nil, 0); err != nil {
			t.Fatal(err)
		}
		msg := func(i int) string { return fmt.Sprintf("round %d socket %d", round, i) }
		for i, sp := range pairs {
			unix.Write(sp[1], []byte(msg(i)))
		}
		waitInput(t, p, fds...)
		held, fellBack := 0, 0
		for _, fd := range fds {
			switch r := p.rx[fd]; {
			case r.held:
				held++
			case !r.on:
				fellBack++
			}
		}
		if held != rxBufCount || fellBack != extra {
			t.Fatalf("round %d: %d sockets got a buffer and %d went back to readiness; want %d and %d",
				round, held, fellBack, rxBufCount, extra)
		}
		if round == 1 {
			// Closed unread: their buffers must come back all the same.
			for _, sp := range pairs {
				p.closeFd(sp[0])
				unix.Close(sp[1])
			}
			continue
		}
		var buf [64]byte
		for i, fd := range fds {
			if n, e := p.read(fd, buf[:]); e != 0 || string(buf[:n]) != msg(i) {
				t.Fatalf("round %d socket %d: read %q, %v", round, i, buf[:n], e)
			}
		}
		for _, sp := range pairs {
			p.closeFd(sp[0])
			unix.Close(sp[1])
		}
	}
}

// waitRoom waits up to 2 s for an output edge on fd, and fails the test
// without one.
func waitRoom(t *testing.T, p *ringPoller, fd int) {
	t.Helper()
	var evs [16]event
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		n, err := p.wait(evs[:], 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs[:n] {
			if int(ev.fd) == fd && ev.flags&evWrite != 0 {
				return
			}
		}
	}
	t.Fatal("no output edge after the peer made room")
}

// A socket on receives has no standing poll request: a write that finds
// it full asks for room, and room is reported each time it fills up again.
func TestRingPollerRoom(t *testing.T) {
	p := newRecvPoller(t)
	sp := socketpair(t)
	defer unix.Close(sp[1])
	fd := sp[0]
	p.add(fd, fdConnected)
	defer p.closeFd(fd)
	if _, err := p.wait(nil, 0); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	drain := make([]byte, 1<<20)
	for round := range 3 {
		for {
			if _, e := p.write(fd, chunk); e == unix.EAGAIN {
				break
			} else if e != 0 {
				t.Fatalf("round %d: write: %v", round, e)
			}
		}
		if !p.rx[fd].roomAsk {
			t.Fatalf("round %d: a full write asked for no room", round)
		}
		for {
			if _, err := unix.Read(sp[1], drain); err != nil {
				break // EAGAIN: drained
			}
		}
		waitRoom(t, p, fd)
	}
}
