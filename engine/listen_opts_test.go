package engine

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAcceptedSocketOptions: an accepted TCP socket already has the data
// phase's options (no Nagle delay, keepalives unless disabled), inherited
// from the listener, so the data phase only sets them on the dialled one.
func TestAcceptedSocketOptions(t *testing.T) {
	for _, keepalive := range []bool{true, false} {
		lfd, err := listenSocket(IPAddr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0)), keepalive)
		if err != nil {
			t.Fatal(err)
		}
		sa, err := unix.Getsockname(lfd)
		if err != nil {
			t.Fatal(err)
		}
		port := sa.(*unix.SockaddrInet4).Port
		c, err := net.Dial("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		var fd int
		for deadline := time.Now().Add(5 * time.Second); ; {
			if fd, err = acceptSocket(lfd); err != unix.EAGAIN || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		nodelay, err1 := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
		ka, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		c.Close()
		unix.Close(fd)
		unix.Close(lfd)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		wantKA := 0
		if keepalive {
			wantKA = 1
		}
		if nodelay != 1 || ka != wantKA {
			t.Errorf("keepalive %v: accepted socket has TCP_NODELAY %d, SO_KEEPALIVE %d; want 1, %d",
				keepalive, nodelay, ka, wantKA)
		}
	}
}
