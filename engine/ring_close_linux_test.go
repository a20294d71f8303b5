//go:build linux

package engine

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A close hands the socket back to the kernel only once no request of ours
// holds it: a waiting receive or connect is cancelled with it, and a
// socket with none outstanding (read to its end) is closed without the
// cancellation's search.
// (Each case has a ring of its own: a ring takes requests from one thread
// only, and each subtest runs on a goroutine of its own.)
func TestRingPollerCloseCancels(t *testing.T) {
	t.Run("receive waiting", func(t *testing.T) {
		p := newRecvPoller(t)
		fd, peer := ringPair(t, p)
		settle(t, p)
		if !p.rx[fd].armed {
			t.Fatal("no receive waiting")
		}
		before := p.r.pending
		p.closeFd(fd)
		if got := p.r.pending - before; got != 2 {
			t.Fatalf("close with a receive waiting prepared %d requests; want 2 (cancel, close)", got)
		}
		settle(t, p)
		// The peer sees the end: nothing holds the socket any more.
		if n, err := peerRead(peer); n != 0 || err != nil {
			t.Fatalf("peer read %d, %v; want the end (0, nil)", n, err)
		}
	})

	t.Run("read to its end", func(t *testing.T) {
		p := newRecvPoller(t)
		fd, peer := ringPair(t, p)
		unix.Shutdown(peer, unix.SHUT_WR)
		waitInput(t, p, fd)
		var b [8]byte
		if n, e := p.read(fd, b[:]); n != 0 || e != 0 {
			t.Fatalf("read %d, %v; want the end", n, e)
		}
		before := p.r.pending
		p.closeFd(fd)
		if got := p.r.pending - before; got != 1 {
			t.Fatalf("close of a socket read to its end prepared %d requests; want 1 (close)", got)
		}
		settle(t, p)
		if n, err := peerRead(peer); n != 0 || err != nil {
			t.Fatalf("peer read %d, %v; want the end (0, nil)", n, err)
		}
	})

	t.Run("on readiness", func(t *testing.T) {
		// A receive that fills its buffer sends the socket back to
		// readiness: a standing poll request holds it.
		p := newRecvPoller(t)
		fd, peer := ringPair(t, p)
		if _, err := unix.Write(peer, make([]byte, 2*rxBufSize)); err != nil {
			t.Fatal(err)
		}
		waitInput(t, p, fd)
		if p.rx[fd].on {
			t.Fatal("a full receive left the socket on receives")
		}
		p.closeFd(fd)
		settle(t, p)
		// Closed with unread bytes: the peer gets a reset, and no
		// longer waits.
		if _, err := peerRead(peer); err != unix.ECONNRESET {
			t.Fatalf("peer read: %v; want the reset (ECONNRESET)", err)
		}
	})

	t.Run("connect waiting", func(t *testing.T) {
		p := newRecvPoller(t)
		// A listener whose queue is full drops further SYNs: a connect
		// to it waits in SYN_SENT.
		_, sa := listenLoopback(t, 0)
		first, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(first)
		unix.Connect(first, sa)
		pfd := []unix.PollFd{{Fd: int32(first), Events: unix.POLLOUT}}
		if n, _ := unix.Poll(pfd, 2000); n != 1 {
			t.Fatal("the listener's one place was not taken")
		}

		fd := ringDial(t, p, sa)
		settle(t, p)
		var fst unix.Stat_t
		if err := unix.Fstat(fd, &fst); err != nil {
			t.Fatal(err)
		}
		ino := fst.Ino
		if st := tcpState(t, ino); st != "02" {
			t.Fatalf("the connect's socket is in state %q; want SYN_SENT (02)", st)
		}
		p.closeFd(fd)
		settle(t, p)
		deadline := time.Now().Add(2 * time.Second)
		for st := tcpState(t, ino); st != ""; st = tcpState(t, ino) {
			if time.Now().After(deadline) {
				t.Fatalf("the closed socket is still in state %s: its connect request holds it", st)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// ringPair is a loopback TCP connection: fd, accepted and registered with p
// (its input by receives), and its peer, a blocking socket the test reads.
func ringPair(t *testing.T, p *ringPoller) (fd, peer int) {
	t.Helper()
	lfd, sa := listenLoopback(t, 4)
	peer = dialBlocking(t, sa)
	fd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.add(fd, fdConnected); err != nil {
		t.Fatal(err)
	}
	return fd, peer
}

// peerRead reads one byte from peer, waiting at most 2 s.
func peerRead(peer int) (int, error) {
	tv := unix.Timeval{Sec: 2}
	unix.SetsockoptTimeval(peer, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	var b [1]byte
	return unix.Read(peer, b[:])
}

// tcpState is the state (hex, as /proc/net/tcp gives it) of this network
// namespace's IPv4 TCP socket with inode ino, or "" if there is none.
func tcpState(t *testing.T, ino uint64) string {
	t.Helper()
	f, err := os.Open("/proc/self/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := strconv.FormatUint(ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && fields[9] == want {
			return fields[3]
		}
	}
	return ""
}
