//go:build linux

package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// slowTarget is a loopback target (from the test kit) whose connects hang
// for about a second from now on, serving with handle afterwards.
func slowTarget(t *testing.T, handle func(net.Conn)) Addr {
	t.Helper()
	st, err := spipedtest.NewSlowTarget(spipedtest.SlowTargetConfig{Handle: func(c net.Conn) {
		defer c.Close()
		handle(c)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Connects begun in the next 0.6 s complete at their SYN's first
	// retransmission, about a second after they began.
	if err := st.Hold(600 * time.Millisecond); err != nil {
		t.Skipf("cannot hold connects on this kernel: %v", err)
	}
	a, err := Resolve("[127.0.0.1]:" + st.Addr()[len("127.0.0.1:"):])
	if err != nil {
		t.Fatal(err)
	}
	return a[0]
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
	target := slowTarget(t, func(c net.Conn) {
		got, _ := io.ReadAll(c)
		fmt.Fprintf(c, "target got %q", got)
	})
	key := sha256.Sum256([]byte("slow target"))
	srv, spec, _ := startOurs(t, Config{Key: key, Timeout: 5 * time.Second}, tcp4, fmt.Sprintf("[127.0.0.1]:%d", target.AddrPort.Port()))
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
