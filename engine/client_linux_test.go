package engine

// Tests that read Linux's /proc and use its socket options: built on Linux
// only, so that vet for the BSD and macOS targets compiles the rest.

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// findPeer returns this process's descriptor connected to dst.
func findPeer(t *testing.T, dst *unix.SockaddrInet4) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list descriptors: %v", err)
	}
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		if sa, err := unix.Getpeername(fd); err == nil {
			if s4, ok := sa.(*unix.SockaddrInet4); ok && s4.Port == dst.Port && s4.Addr == dst.Addr {
				return fd
			}
		}
	}
	t.Fatal("no socket connected to the -d daemon")
	return -1
}

// spipe's socket keeps the kernel's keep-alive idle time, as the
// reference's does (it only sets SO_KEEPALIVE); the net package's dialer
// would set 15 s.
func TestClientKeepaliveIsKernelDefault(t *testing.T) {
	sysctl, err := os.ReadFile("/proc/sys/net/ipv4/tcp_keepalive_time")
	if err != nil {
		t.Skipf("no tcp_keepalive_time to compare with: %v", err)
	}
	want, _ := strconv.Atoi(strings.TrimSpace(string(sysctl)))
	reached := make(chan struct{})
	release := make(chan struct{})
	cfg := clientTarget(t, false, "client key", func(c net.Conn) {
		// A byte arrives only once the client is in its data phase.
		c.Read(make([]byte, 1))
		close(reached)
		<-release
	})
	in, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- RunClient(cfg, in, io.Discard) }()
	go inW.Write([]byte("x"))
	defer func() {
		close(release)
		inW.Close()
		if err := <-done; err != nil {
			t.Errorf("RunClient: %v", err)
		}
	}()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the tunnel did not reach the target")
	}
	// The client's socket is the one in this process whose peer is -d.
	dst, _, _ := cfg.Target[0].sockaddr()
	fd := findPeer(t, dst.(*unix.SockaddrInet4))
	if on, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE); on != 1 {
		t.Errorf("SO_KEEPALIVE = %d, want 1", on)
	}
	if idle, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE); idle != want {
		t.Errorf("TCP_KEEPIDLE = %d s, want the kernel's %d s", idle, want)
	}
	if nd, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); nd != 1 {
		t.Errorf("TCP_NODELAY = %d, want 1", nd)
	}
}
