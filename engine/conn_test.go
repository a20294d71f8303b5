//go:build linux

package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// slowTarget is a TCP listener whose connects stay in progress: its accept
// queue (backlog 0) is full, so the kernel drops new SYNs and the client
// retries about a second later. release empties the queue and serves what
// connects from then on with handle.
type slowTarget struct {
	addr    Addr
	fd      int
	fillers []int
}

func newSlowTarget(t *testing.T) *slowTarget {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	s := &slowTarget{fd: fd, addr: Addr{Network: "tcp4", IP: []byte{127, 0, 0, 1}, Port: sa.(*unix.SockaddrInet4).Port}}
	t.Cleanup(func() {
		for _, f := range s.fillers {
			unix.Close(f)
		}
		if s.fd >= 0 {
			unix.Close(s.fd)
		}
	})
	// Connect until one stays in progress: the queue is then full.
	for range 16 {
		f, done, err := dial(s.addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.fillers = append(s.fillers, f)
		if !done {
			pfd := []unix.PollFd{{Fd: int32(f), Events: unix.POLLOUT}}
			if n, _ := unix.Poll(pfd, 100); n == 0 {
				return s
			}
		}
	}
	t.Skip("could not fill the accept queue: connects never stay in progress here")
	return nil
}

// release accepts the fillers and serves every later connection with handle.
func (s *slowTarget) release(t *testing.T, handle func(net.Conn)) {
	f := os.NewFile(uintptr(s.fd), "slow target")
	s.fd = -1
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Error(err)
		return
	}
	t.Cleanup(func() { ln.Close() })
	fillers := map[int]bool{}
	for _, f := range s.fillers {
		if sa, err := unix.Getsockname(f); err == nil {
			fillers[sa.(*unix.SockaddrInet4).Port] = true
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if fillers[c.RemoteAddr().(*net.TCPAddr).Port] {
				c.Close()
				continue
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
}

// conns returns, on the loop's goroutine, what f reports of each of its
// connections.
func loopConns[T any](l *loop, f func(*conn) T) []T {
	out := make(chan []T)
	l.post(func() {
		var r []T
		seen := map[*conn]bool{}
		for _, h := range l.owner {
			if c, ok := h.(*conn); ok && !seen[c] {
				seen[c] = true
				r = append(r, f(c))
			}
		}
		out <- r
	})
	return <-out
}

// On -d the handshake ends before a slow target's connect does. Until it
// does the connection waits, its pipes holding no descriptor; the client's
// early bytes and its FIN stay in the kernel and reach the target once the
// connect completes, as with the reference.
func TestConnWaitsForSlowTarget(t *testing.T) {
	target := newSlowTarget(t)
	key := sha256.Sum256([]byte("slow target"))
	srv, spec, _ := startOurs(t, Config{Key: key, Timeout: 5 * time.Second}, tcp4, fmt.Sprintf("[127.0.0.1]:%d", target.addr.Port))
	src, _ := Resolve(spec)

	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		cfg := ClientConfig{Target: src, Key: key, Timeout: 5 * time.Second}
		done <- RunClient(cfg, bytes.NewReader([]byte("hello")), &out)
	}()

	type view struct {
		state          connState
		fwdIn, fwdOut  int
		revIn, revOut  int
		fwdKey, revKey bool
	}
	var seen view
	deadline := time.Now().Add(3 * time.Second)
	for {
		vs := loopConns(srv.loops[0], func(c *conn) view {
			return view{c.state, c.fwd.in, c.fwd.out, c.rev.in, c.rev.out, c.fwd.open != nil, c.rev.seal != nil}
		})
		if len(vs) == 1 && vs[0].state == waitingTarget {
			seen = vs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection waiting for its target: %+v", vs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if seen.fwdIn != -1 || seen.fwdOut != -1 || seen.revIn != -1 || seen.revOut != -1 {
		t.Errorf("pipes hold descriptors before the data phase: %+v", seen)
	}
	if !seen.fwdKey || !seen.revKey {
		t.Errorf("keys not in place once the handshake is done: %+v", seen)
	}
	// Give the client's bytes and FIN time to arrive while it waits.
	time.Sleep(100 * time.Millisecond)

	target.release(t, func(c net.Conn) {
		got, _ := io.ReadAll(c)
		fmt.Fprintf(c, "target got %q", got)
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("client: %v", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the client never got its answer")
	}
	if want := `target got "hello"`; out.String() != want {
		t.Fatalf("client received %q, want %q", out.String(), want)
	}
}
